"""Import and the zone summary on every engine, compared with the DuckDB reference run side by side."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pytest

from tests.conformance._compare import assert_same_table, sorted_rows
from tests.registry.conftest import code, write_csv
from zonebrain.core.industry import gbt4754
from zonebrain.portrait import zone_summary
from zonebrain.registry import import_file
from zonebrain.storage import TABLES, Warehouse

TODAY = dt.date(2025, 1, 15)
E_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "所属园区",
    "行业代码",
    "注册资本(万元)",
    "成立日期",
    "登记状态",
    "经营范围",
    "注册地址",
]
F_HEADER = [
    "统一社会信用代码",
    "年度",
    "营业收入(万元)",
    "纳税总额(万元)",
    "利润总额(万元)",
    "从业人员",
    "发明专利数",
]
VOLATILE = {"loaded_at", "started_at", "finished_at"}
"""Columns holding the wall-clock time of the import: the only ones allowed to differ."""


def enterprise_rows(n: int = 60) -> list[list[str]]:
    rnd = random.Random(11)
    classes = [c.code for c in gbt4754().level("class")]
    common = rnd.sample(classes, 6)
    parks = ["梧桐", "石佛镇", "枫杨街道", "双桥园区", "沟赵乡"]
    status = ["存续", "在业", "注销", "迁出", "", "吊销"]
    out = []
    for i in range(n):
        out.append(
            [
                code(i),
                f"郑州样本{i}号科技有限公司",
                parks[i % 5],
                rnd.choice(common) if i % 4 else rnd.choice(classes),
                "" if i % 7 == 0 else f"{rnd.randint(1, 90_000)}.{rnd.randint(0, 99):02d}",
                f"{rnd.randint(1995, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                status[i % 6],
                "软件开发；技术服务" if i % 3 else "",
                f"高新区{i}号路" if i % 2 else "",
            ]
        )
    return out


def finance_rows(n: int = 60) -> list[list[str]]:
    rnd = random.Random(12)
    out = []
    for i in range(0, n, 2):
        for year in (2023, 2024):
            if year == 2024 and i % 6 == 0:
                continue
            out.append(
                [
                    code(i),
                    str(year),
                    f"{rnd.randint(0, 2_000_000)}.{rnd.randint(0, 9999):04d}",
                    f"{rnd.randint(0, 9000)}.5",
                    f"-{rnd.randint(0, 900)}.25" if i % 5 == 0 else f"{rnd.randint(0, 900)}",
                    str(rnd.randint(1, 3000)),
                    "" if i % 3 == 0 else str(rnd.randint(0, 40)),
                ]
            )
    return out


def import_both(wh: Warehouse, ref: Warehouse, kind: str, path: Path, **kw: object) -> tuple[object, object]:
    got = import_file(wh, kind, path, today=TODAY, **kw)  # type: ignore[arg-type]
    want = import_file(ref, kind, path, today=TODAY, **kw)  # type: ignore[arg-type]
    counts = (
        "status",
        "rows_in",
        "rows_rejected",
        "inserted",
        "updated",
        "unchanged",
        "conflicts",
        "batch_id",
    )
    assert {k: getattr(got, k) for k in counts} == {k: getattr(want, k) for k in counts}
    return got, want


def assert_same_content(wh: Warehouse, ref: Warehouse, *tables: str) -> None:
    for name in tables or tuple(TABLES):
        key = TABLES[name].key
        ignore = tuple(c for c in TABLES[name].column_names if c in VOLATILE)
        assert_same_table(
            sorted_rows(wh.to_arrow(wh.table(name)), *key),
            sorted_rows(ref.to_arrow(ref.table(name)), *key),
            ignore=ignore,
        )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    write_csv(d / "enterprises.csv", enterprise_rows(), header=E_HEADER)
    write_csv(d / "finance.csv", finance_rows(), header=F_HEADER)
    return d


def test_import_stores_identical_rows(wh: Warehouse, reference: Warehouse, files: Path) -> None:
    got, _ = import_both(wh, reference, "enterprises", files / "enterprises.csv")
    assert got.inserted == 60  # type: ignore[attr-defined]
    import_both(wh, reference, "finance", files / "finance.csv")
    assert_same_content(wh, reference)
    assert wh.checksum("parks") == reference.checksum("parks")


def test_reimport_is_idempotent_and_updates_match(wh: Warehouse, reference: Warehouse, files: Path) -> None:
    import_both(wh, reference, "enterprises", files / "enterprises.csv")
    before = {t: wh.checksum(t) for t in ("enterprises", "import_batches", "import_conflicts")}
    again, _ = import_both(wh, reference, "enterprises", files / "enterprises.csv")
    assert again.status == "already_imported"  # type: ignore[attr-defined]
    assert {t: wh.checksum(t) for t in before} == before
    rows = enterprise_rows()
    rows.reverse()  # same rows, another file: a new batch that changes nothing
    write_csv(files / "reordered.csv", rows, header=E_HEADER)
    same, _ = import_both(wh, reference, "enterprises", files / "reordered.csv")
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 60)  # type: ignore[attr-defined]
    assert wh.checksum("enterprises") == before["enterprises"]
    rows = enterprise_rows()
    rows[1][8] = "新地址1号"  # same source: updated
    rows[2][8] = "新地址2号"
    write_csv(files / "changed.csv", rows, header=E_HEADER)
    changed, _ = import_both(wh, reference, "enterprises", files / "changed.csv")
    assert changed.updated == 2  # type: ignore[attr-defined]
    rows[3][1] = "别名有限公司"  # another source: a conflict, not overwritten
    rows[0][8] = "填补的地址"  # another source fills an empty field
    write_csv(files / "tax.csv", rows, header=E_HEADER)
    tax, _ = import_both(wh, reference, "enterprises", files / "tax.csv", source="税务")
    assert (tax.updated, tax.conflicts) == (1, 1)  # type: ignore[attr-defined]
    assert_same_content(wh, reference, "enterprises", "import_conflicts", "import_batches")


def test_zone_summary_is_identical(wh: Warehouse, reference: Warehouse, files: Path) -> None:
    empty_got, empty_want = zone_summary(wh), zone_summary(reference)
    assert (empty_got.year, empty_got.enterprises) == (empty_want.year, empty_want.enterprises) == (None, 0)
    import_both(wh, reference, "enterprises", files / "enterprises.csv")
    import_both(wh, reference, "finance", files / "finance.csv")
    got, want = zone_summary(wh), zone_summary(reference)
    assert (got.year, got.enterprises) == (want.year, want.enterprises) == (2024, 30)
    for part in ("by_park", "by_section", "top_classes"):
        assert_same_table(getattr(got, part), getattr(want, part))
    assert got.by_park.schema.field("revenue_fen").type == pa.int64()
    assert sum(got.by_park["enterprises"].to_pylist()) == 30
