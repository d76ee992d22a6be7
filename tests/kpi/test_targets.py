"""Targets: the template, validated all-or-nothing import, actuals, edits with history."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.kpi._data import WAN
from tests.registry.conftest import write_csv
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.kpi import import_actuals, import_targets, set_target, target_history, write_template
from zonebrain.storage import Warehouse


def targets_of(wh: Warehouse, year: int) -> dict[tuple[str, str], int]:
    t = wh.table("kpi_targets")
    return {
        (r["park_id"], r["indicator"]): r["value"] for r in wh.to_arrow(t.filter(t.year == year)).to_pylist()
    }


def filled_template(tmp_path: Path, year: int = 2025) -> Path:
    path = write_template(tmp_path / "targets.xlsx", year)
    wb = openpyxl.load_workbook(path)
    ws = wb[str(year)]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["园区", "营业收入(万元)", "规上工业总产值(万元)"]
    assert [ws.cell(r, 1).value for r in range(2, 7)] == ["梧桐", "石佛", "枫杨", "双桥", "沟赵"]
    ws.cell(2, 2, "1234.56")  # 梧桐 营业收入
    ws.cell(3, 2, 2000)  # 石佛
    ws.cell(2, header.index("高新技术企业数(家)") + 1, 35)
    ws.cell(2, header.index("招商签约额(亿元)") + 1, 12.5)
    wb.save(path)
    return path


def test_template_round_trip(kwh: Warehouse, tmp_path: Path) -> None:
    path = filled_template(tmp_path)
    report = import_targets(kwh, path)
    assert (report.status, report.rows, report.inserted) == ("imported", 4, 4)
    assert targets_of(kwh, 2025) == {
        ("wutong", "revenue"): 1_234_560_000,
        ("shifo", "revenue"): 2000 * WAN,
        ("wutong", "hitech_enterprises"): 35,
        ("wutong", "investment_signed"): 125_000 * WAN,  # 12.5 亿元
    }
    again = import_targets(kwh, path)
    assert again.status == "already_imported"
    assert [r["kind"] for r in target_history(kwh).to_pylist()] == ["kpi_targets"]


def test_every_problem_is_reported_and_nothing_is_written(kwh: Warehouse, tmp_path: Path) -> None:
    before = targets_of(kwh, 2025)
    path = write_csv(
        tmp_path / "t.csv",
        [
            ["梧桐", "2025", "100", "5", "1"],
            ["火星园区", "2025", "100", "5", "1"],
            ["石佛", "2025", "一百", "5", "1"],
            ["枫杨", "2025", "-3", "5", "1"],
            ["双桥", "2025", "100元", "5.5", "1"],
            ["梧桐", "2025", "1", "", ""],
        ],
        header=["园区", "年度", "营业收入(万元)", "高新技术企业数(家)", "GDP(万元)"],
    )
    with pytest.raises(ImportRejected) as err:
        import_targets(kwh, path)
    text = str(err.value)
    assert "列 'GDP(万元)': 未知指标 'GDP'" in text
    assert "第 3 行 列 '园区' 值 '火星园区': 未知园区" in text
    assert "第 4 行 列 '营业收入(万元)' 值 '一百'" in text
    assert "第 5 行 列 '营业收入(万元)' 值 '-3': 不能为负数" in text
    assert "第 6 行 列 '营业收入(万元)' 值 '100元'" in text and "unit mismatch" in text
    assert "第 6 行 列 '高新技术企业数(家)' 值 '5.5'" in text
    assert "第 7 行" in text and "duplicate" in text
    assert targets_of(kwh, 2025) == before


def test_unit_mismatch_in_the_header(kwh: Warehouse, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [["梧桐", "1", "2"]],
        header=["园区", "高新技术企业数(万元)", "营业收入"],
    )
    with pytest.raises(ImportRejected) as err:
        import_targets(kwh, path, year=2025)
    assert "是个数, 不能用金额单位 万元" in str(err.value)
    assert "表头须注明单位" in str(err.value)


def test_year_is_required(kwh: Warehouse, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["梧桐", "1"]], header=["园区", "营业收入(万元)"])
    with pytest.raises(ImportRejected, match="--year"):
        import_targets(kwh, path)
    assert import_targets(kwh, path, year=2026).inserted == 1


def test_import_actuals(kwh: Warehouse, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        [["梧桐", "2024-03", "12.5"], ["石佛园区", "2024年3月", "7"]],
        header=["园区", "月份", "固定资产投资(亿元)"],
    )
    assert import_actuals(kwh, path).inserted == 2
    bad = write_csv(
        tmp_path / "b.csv", [["梧桐", "2024-13", "1"]], header=["园区", "月份", "固定资产投资(万元)"]
    )
    with pytest.raises(ImportRejected, match="月份无效"):
        import_actuals(kwh, bad)


def test_set_target_keeps_history(kwh: Warehouse) -> None:
    old = set_target(kwh, "wutong", "revenue", 2024, 4500 * WAN, "张三", "年中调整")
    assert old == 4000 * WAN
    assert targets_of(kwh, 2024)[("wutong", "revenue")] == 4500 * WAN
    assert set_target(kwh, "shuangqiao", "营业收入", 2024, 10 * WAN, "李四") is None
    assert targets_of(kwh, 2024)[("shifo", "revenue")] == 3400 * WAN  # others untouched
    wh_rows = kwh.to_arrow(kwh.table("kpi_targets")).to_pylist()
    edited = next(
        r for r in wh_rows if (r["park_id"], r["indicator"], r["year"]) == ("wutong", "revenue", 2024)
    )
    assert edited["source"] == "张三"
    assert len(wh_rows) == 6
    h = target_history(kwh, park_id="wutong").to_pylist()
    assert [(r["author"], r["old"], r["new"], r["note"]) for r in h] == [
        ("张三", 4000 * WAN, 4500 * WAN, "年中调整")
    ]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("mars", "revenue", 2024, 1, "张三"), "未知园区"),
        (("wutong", "GDP", 2024, 1, "张三"), "未知指标"),
        (("wutong", "revenue", 2024, -1, "张三"), "非负整数"),
        (("wutong", "revenue", 2024, 1, " "), "author"),
    ],
)
def test_set_target_refuses_bad_input(kwh: Warehouse, args: tuple, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InputError, match=match):
        set_target(kwh, *args)
