from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from zonebrain.core.uscc import USCC

HEADER = ["统一社会信用代码", "企业名称", "所属园区", "行业代码", "注册资本(万元)", "成立日期", "经营范围"]


def code(n: int, division: str = "410172") -> str:
    """A valid USCC numbered *n*."""
    return USCC.build("9", "1", division, f"MA{n:06d}").code


def good_rows(n: int = 3) -> list[list[str]]:
    parks = ["梧桐", "石佛镇", "410172560", "双桥园区", "沟赵乡"]
    return [
        [
            code(i),
            f"郑州测试{i}号科技有限公司",
            parks[i % 5],
            "6513",
            f"{100 + i}.5",
            "2019-05-01",
            "软件开发",
        ]
        for i in range(n)
    ]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def files(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    return d
