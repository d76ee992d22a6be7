"""Targets: the template, validated all-or-nothing import, actuals, edits with history."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.kpi._data import WAN
from tests.registry.conftest import write_csv
from zonebrain.core.errors import ImportRejected
from zonebrain.kpi import (
    TargetError,
    import_actuals,
    import_targets,
    load_catalogue,
    parse_target_value,
    set_target,
    target_history,
    write_template,
)
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
    h = target_history(kwh, year=2025).to_pylist()
    assert {(r["park_id"], r["indicator"], r["old_value"], r["new_value"]) for r in h} == {
        ("wutong", "revenue", None, 1_234_560_000),
        ("shifo", "revenue", None, 2000 * WAN),
        ("wutong", "hitech_enterprises", None, 35),
        ("wutong", "investment_signed", None, 125_000 * WAN),
    }
    assert {(r["source"], r["batch_id"], r["changed_by"]) for r in h} == {
        ("import", report.batch_id, "目标责任书")
    }
    assert all(r["reason"] == "导入 targets.xlsx (import)" for r in h)


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


def test_set_target_writes_the_target_and_one_history_row(kwh: Warehouse) -> None:
    change = set_target(kwh, "wutong", "revenue", 2024, 4500 * WAN, user="张三", reason="年中调整")
    assert (change.old, change.new, change.changed, change.source) == (4000 * WAN, 4500 * WAN, True, "edit")
    assert targets_of(kwh, 2024)[("wutong", "revenue")] == 4500 * WAN
    new = set_target(kwh, "shuangqiao", "营业收入", 2024, 10 * WAN, user="李四", reason="新增")
    assert new.old is None and new.indicator == "revenue"
    assert targets_of(kwh, 2024)[("shifo", "revenue")] == 3400 * WAN  # others untouched
    rows = kwh.to_arrow(kwh.table("kpi_targets")).to_pylist()
    edited = next(r for r in rows if (r["park_id"], r["indicator"], r["year"]) == ("wutong", "revenue", 2024))
    assert edited["source"] == "张三" and len(rows) == 6
    h = target_history(kwh, "wutong").to_pylist()
    assert [(r["changed_by"], r["old_value"], r["new_value"], r["reason"], r["source"]) for r in h] == [
        ("张三", 4000 * WAN, 4500 * WAN, "年中调整", "edit")
    ]
    assert h[0]["change_id"] == change.change_id and h[0]["batch_id"] is None
    assert [r["park_id"] for r in target_history(kwh, indicator="营业收入", year=2024).to_pylist()] == [
        "wutong",
        "shuangqiao",
    ]
    assert target_history(kwh, year=2023).num_rows == 0


def test_setting_the_same_value_writes_nothing(kwh: Warehouse) -> None:
    change = set_target(kwh, "wutong", "revenue", 2024, 4000 * WAN, user="张三", reason="核对")
    assert not change.changed
    assert target_history(kwh).num_rows == 0


def test_a_failing_write_leaves_neither_target_nor_history(
    kwh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target and its history row commit together: the history append fails → no new target."""
    from zonebrain.core.errors import StorageError

    real = kwh.append

    def failing(name: str, data: object) -> None:
        if name == "kpi_target_history":
            raise StorageError("simulated failure", engine=kwh.engine, table=name)
        real(name, data)  # type: ignore[arg-type]

    monkeypatch.setattr(kwh, "append", failing)
    with pytest.raises(StorageError):
        set_target(kwh, "wutong", "revenue", 2024, 9999 * WAN, user="张三", reason="会失败")
    monkeypatch.undo()
    assert targets_of(kwh, 2024)[("wutong", "revenue")] == 4000 * WAN
    assert target_history(kwh).num_rows == 0


def test_an_import_records_only_the_values_it_changed(kwh: Warehouse, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "a.csv", [["梧桐", "100", "5"]], header=["园区", "营业收入(万元)", "高新技术企业数(家)"]
    )
    import_targets(kwh, first, year=2026, user="王五")
    set_target(kwh, "wutong", "hitech_enterprises", 2026, 7, user="张三", reason="调高")
    second = write_csv(
        tmp_path / "b.csv", [["梧桐", "120", "5"]], header=["园区", "营业收入(万元)", "高新技术企业数(家)"]
    )
    report = import_targets(kwh, second, year=2026, user="王五")
    assert (report.updated, report.conflicts) == (1, 1)  # 张三's 7 is kept: a conflict, not a change
    h = target_history(kwh, year=2026).to_pylist()
    assert [(r["indicator"], r["old_value"], r["new_value"], r["source"], r["changed_by"]) for r in h] == [
        ("hitech_enterprises", None, 5, "import", "王五"),
        ("revenue", None, 100 * WAN, "import", "王五"),
        ("hitech_enterprises", 5, 7, "edit", "张三"),
        ("revenue", 100 * WAN, 120 * WAN, "import", "王五"),
    ]


@pytest.mark.parametrize(
    ("args", "kwargs", "field", "match"),
    [
        (("mars", "revenue", 2024, 1), {}, "park_id", "未知园区"),
        (("wutong", "GDP", 2024, 1), {}, "indicator", "未知指标"),
        (("wutong", "revenue", 1800, 1), {}, "year", "年度"),
        (("wutong", "revenue", 2024, -1), {}, "value", "非负整数"),
        (("wutong", "revenue", 2024, True), {}, "value", "非负整数"),
        (("wutong", "revenue", 2024, 1), {"user": " "}, "user", "修改人"),
        (("wutong", "revenue", 2024, 1), {"reason": ""}, "reason", "修改原因"),
        (("wutong", "revenue", 2024, 1), {"reason": "a\x00b"}, "reason", "控制字符"),
    ],
)
def test_set_target_names_the_wrong_field(
    kwh: Warehouse,
    args: tuple,  # type: ignore[type-arg]
    kwargs: dict[str, str],
    field: str,
    match: str,
) -> None:
    with pytest.raises(TargetError, match=match) as err:
        set_target(kwh, *args, **{"user": "张三", "reason": "测试", **kwargs})
    assert err.value.field == field
    assert target_history(kwh).num_rows == 0


def test_parse_target_value_reads_the_display_unit_exactly() -> None:
    cat = load_catalogue()
    assert parse_target_value(cat.get("revenue"), "4,500.01") == 4_500_010_000  # 万元 → fen
    assert parse_target_value(cat.get("investment_signed"), "12.5") == 125_000 * WAN  # 亿元
    assert parse_target_value(cat.get("revenue"), "3", "亿元") == 300_000_000_00
    assert parse_target_value(cat.get("hitech_enterprises"), "35") == 35
    assert parse_target_value(cat.get("hitech_enterprises"), "35家") == 35
    for ind, text, match in (
        ("revenue", "0.0000001", "精确到分以下"),
        ("revenue", "四五", "不是数字"),
        ("revenue", "100元", "unit mismatch"),
        ("revenue", "-5", "负数"),
        ("hitech_enterprises", "3.5", "非负整数"),
    ):
        with pytest.raises(TargetError, match=match) as err:
            parse_target_value(cat.get(ind), text)
        assert err.value.field == "value"
