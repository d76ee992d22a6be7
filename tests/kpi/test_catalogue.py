"""The indicator catalogue: the built-in file, validation errors with file and line, working days."""

from __future__ import annotations

from pathlib import Path

import pytest

import zonebrain.kpi
from zonebrain.core.errors import InputError
from zonebrain.kpi import load_catalogue, working_days


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.kpi.__all__) == [
        "Catalogue",
        "Indicator",
        "KpiImport",
        "Rate",
        "TargetChange",
        "TargetError",
        "ZONE_ID",
        "backtest",
        "build_report",
        "check_month",
        "contributions",
        "data_months",
        "data_quality",
        "display_value",
        "forecast",
        "forecast_rows",
        "import_actuals",
        "import_targets",
        "latest_month",
        "load_catalogue",
        "monitor",
        "parse_target_value",
        "period_label",
        "reporting_enterprises",
        "scope_note",
        "set_target",
        "target_history",
        "trend",
        "warnings",
        "working_days",
        "write_template",
    ]


def test_builtin_catalogue_has_the_ten_indicators() -> None:
    cat = load_catalogue()
    assert [i.name_zh for i in cat.indicators] == [
        "营业收入",
        "规上工业总产值",
        "规上工业增加值",
        "税收收入",
        "固定资产投资",
        "研发投入",
        "高新技术企业数",
        "新增注册企业数",
        "招商签约额",
        "实际到位资金",
    ]
    imported = {i.name_zh for i in cat.indicators if i.source == "imported"}
    assert imported == {"固定资产投资", "招商签约额", "实际到位资金"}
    assert cat.get("营业收入") is cat.get("revenue")
    rate = cat.get("规上工业增加值").rate
    assert rate is not None and rate.percent == 25 and rate.assumption and rate.source
    assert [i.id for i in cat.assumptions()] == ["industrial_value_added"]


def test_unknown_indicator_names_the_choices() -> None:
    with pytest.raises(InputError, match=r"未知指标 'GDP'.*营业收入"):
        load_catalogue().get("GDP")


def test_working_days_match_the_state_council_calendars() -> None:
    cat = load_catalogue()
    assert working_days(cat, 2023, 1, 12) == 249
    assert working_days(cat, 2024, 1, 12) == 251
    assert working_days(cat, 2025, 1, 12) == 248
    # February 2024: 21 weekdays, 5 of them 春节, plus the makeup Sundays 4 and 18 February
    assert working_days(cat, 2024, 2, 2) == 18
    assert cat.progress_share(2024, 6) == 0.5
    assert cat.progress_share(2024, 12, "working_days") == 1.0
    assert cat.progress_share(2024, 2, "working_days") == working_days(cat, 2024, 1, 2) / 251


def test_missing_calendar_year_says_what_to_add() -> None:
    with pytest.raises(InputError, match=r"2030.*holidays"):
        load_catalogue().progress_share(2030, 3, "working_days")


def test_invalid_catalogue_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "indicators:\n"
        "  - id: revenue\n"
        "    name_zh: 营业收入\n"
        "    name_en: Revenue\n"
        "    unit: yuan\n"
        "    display_unit: 万元\n"
        "    source: enterprise_months\n"
        "    column: revenue_fen\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert f"{path}:5: indicators.0.unit" in str(err.value)


def test_catalogue_rules_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "indicators:\n"
        "  - {id: a, name_zh: 甲, name_en: A, unit: fen, display_unit: 万元, source: enterprise_months}\n"
        "  - {id: b, name_zh: 乙, name_en: B, unit: count, display_unit: 家, source: tags}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert "needs one of these columns" in str(err.value)
    assert "filter.tag" in str(err.value)


def test_adding_an_indicator_needs_no_code(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "indicators:\n"
        "  - {id: penalties, name_zh: 行政处罚企业数, name_en: Penalised firms, unit: count,"
        " display_unit: 家, aggregation: count, direction: lower, source: events, filter: {kind: 行政处罚}}\n",
        encoding="utf-8",
    )
    ind = load_catalogue(path).get("行政处罚企业数")
    assert (ind.direction, ind.source, ind.enterprise_level) == ("lower", "events", True)


def test_every_indicator_is_documented() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs/kpi.md").read_text(encoding="utf-8")
    for ind in load_catalogue().indicators:
        assert f"`{ind.id}`" in page and ind.name_zh in page, ind.id
