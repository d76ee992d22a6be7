"""Excel import (every cell checked, all rows or none) and export (re-importable, exact 万元)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.pipeline import Origin, Pipeline, Stage, export_projects, import_projects, projects_table
from zonebrain.registry import load_zone

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "园区",
    "来源",
    "负责人",
    "阶段",
    "阶段开始日期",
    "承诺投资(万元)",
    "承诺就业(人)",
]


def _xlsx(path: Path, rows: list[list[object]], headers: list[str] = HEADERS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def zpipe(store: AppStore) -> Pipeline:
    return Pipeline(store, zone=load_zone())


def test_a_good_file_is_imported_whole(
    store: AppStore, zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    f = _xlsx(
        tmp_path / "p.xlsx",
        [
            [
                "郑州甲科技有限公司",
                "91110000600037341L",
                "梧桐",
                "目标清单",
                "li",
                "谈判",
                "2026-03-01",
                "1,250.5",
                "120",
            ],
            ["乙新材料有限公司", None, "shifo", "event", None, None, None, "1.2亿", None],
        ],
    )
    result = import_projects(zpipe, people.wang, f)
    assert result.ok and result.rows == 2 and len(result.created) == 2
    a, b = (c.project for c in result.created)
    assert (a.park_id, a.owner, a.stage, a.origin) == ("wutong", "li", Stage.NEGOTIATION, Origin.TARGETING)
    # 2026-03-01 is a Beijing date: its midnight is stored as 16:00 UTC the day before
    assert a.stage_since == dt.datetime(2026, 2, 28, 16) and a.promised_jobs == 120
    assert a.promised_investment_fen == 12_505_000_00  # 1,250.5 万元 in fen, exactly
    assert (b.owner, b.stage, b.promised_investment_fen) == ("wang", Stage.LEAD, 12_000_000_000)
    assert len(store.audit.entries(action="project.create")) == 2


def test_a_bad_file_says_row_column_value_and_fix_and_writes_nothing(
    zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    f = _xlsx(
        tmp_path / "bad.xlsx",
        [
            ["好公司", None, "梧桐", "event", None, None, None, "10", "5"],
            [
                "坏公司",
                "91110000600037341X",
                "火星",
                "magic",
                "leader",
                "终止",
                "2026-13-01",
                "12.3456789",
                "3.5",
            ],
            [None, None, "梧桐", "event", None, None, None, None, None],
            ["别园区公司", None, "石佛", "event", None, None, None, None, None],
        ],
    )
    result = import_projects(zpipe, people.li, f)  # li is the 梧桐 park officer
    assert not result.ok and result.created == []
    got = {(p.row, p.column) for p in result.problems}
    assert {
        (3, "统一社会信用代码"),
        (3, "园区"),
        (3, "来源"),
        (3, "阶段"),
        (3, "阶段开始日期"),
        (3, "承诺投资(万元)"),
        (3, "承诺就业(人)"),
        (4, "企业名称"),
        (5, "园区"),
    } <= got
    park = next(p for p in result.problems if p.row == 3 and p.column == "园区")
    assert park.value == "火星" and "未知园区" in park.message and "wutong" in park.message
    assert "第 3 行" in str(park) and "bad.xlsx" in str(park)
    assert zpipe.list() == []
    assert result.problems_table().num_rows == len(result.problems)


def test_missing_required_columns(zpipe: Pipeline, people: People, tmp_path: Path) -> None:
    f = _xlsx(tmp_path / "cols.xlsx", [["x"]], headers=["企业名称"])
    result = import_projects(zpipe, people.wang, f)
    assert {p.column for p in result.problems} == {"园区", "来源"}
    assert all(p.row == 1 and "缺少必填列" in p.message for p in result.problems)


def test_dry_run_writes_nothing(zpipe: Pipeline, people: People, tmp_path: Path) -> None:
    f = _xlsx(tmp_path / "p.xlsx", [["丙公司", None, "梧桐", "event", None, None, None, None, None]])
    assert import_projects(zpipe, people.wang, f, dry_run=True).ok
    assert zpipe.list() == []


def test_export_round_trips_and_keeps_names_text(
    store: AppStore, zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    p = zpipe.create(
        people.wang,
        name='=HYPERLINK("http://x")公司',
        park_id="wutong",
        origin="agency",
        promised_investment_fen=12_345_678,
        promised_jobs=7,
        at=dt.datetime(2026, 1, 2),
    ).project
    out = export_projects(zpipe.list(), tmp_path / "out.xlsx", as_of=dt.datetime(2026, 5, 1))
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["企业名称"] == p.name and ws.cell(2, header.index("企业名称") + 1).data_type == "s"
    assert Decimal(str(row["承诺投资(万元)"])) == Decimal("12.345678")
    assert row["停滞预警"] == "红" and row["版本"] == 1
    # the exported file imports into another store as the same project
    other = Pipeline(store, zone=load_zone())
    for q in zpipe.list():
        zpipe.move(people.wang, q.id, Stage.TERMINATED, expected_version=q.version, reason="测试")
    again = import_projects(other, people.wang, out)
    assert again.ok, again.problems
    [c] = again.created
    assert (c.project.name, c.project.promised_investment_fen, c.project.promised_jobs) == (
        p.name,
        12_345_678,
        7,
    )
    assert c.project.stage_since == p.stage_since


def test_projects_table_is_arrow_with_fen(pipe: Pipeline, people: People) -> None:
    pipe.create(people.wang, name="丁公司", park_id="wutong", origin="event", promised_tax_fen=100)
    t = projects_table(pipe.list())
    assert (
        t.column("promised_tax_fen").to_pylist() == [100]
        and str(t.schema.field("promised_tax_fen").type) == "int64"
    )
    assert t.column("stall").to_pylist() == ["green"]
