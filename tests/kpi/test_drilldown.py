"""Contributions add up exactly; forecasts and the backtest; data-quality flags."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.kpi._data import FIRMS, WAN
from zonebrain.core.errors import InputError
from zonebrain.kpi import ZONE_ID, backtest, contributions, data_quality, forecast, monitor
from zonebrain.storage import Warehouse


@pytest.mark.parametrize("indicator", ["revenue", "tax", "industrial_value_added", "hitech_enterprises"])
@pytest.mark.parametrize("park", ["wutong", "shifo"])
def test_contributions_add_up_to_the_park_change_exactly(kwh: Warehouse, park: str, indicator: str) -> None:
    row = next(r for r in monitor(kwh, 2024, 6, indicators=[indicator]).to_pylist() if r["park_id"] == park)
    full = contributions(kwh, park, indicator, 2024, 6)
    assert sum(full["change"].to_pylist()) == row["ytd"] - row["ytd_prev"]
    assert sum(full["ytd"].to_pylist()) == row["ytd"]
    changes = full["change"].to_pylist()
    assert [abs(c) for c in changes] == sorted((abs(c) for c in changes), reverse=True)
    folded = contributions(kwh, park, indicator, 2024, 6, top=1)
    assert sum(folded["change"].to_pylist()) == sum(changes)
    assert folded.num_rows == min(2, full.num_rows)


def test_contribution_rows(kwh: Warehouse) -> None:
    t = contributions(kwh, "wutong", "revenue", 2024, 6).to_pylist()
    by = {r["uscc"]: r for r in t}
    assert by[FIRMS[0]]["change"] == 120 * WAN  # (741 − 621) 万
    assert by[FIRMS[4]]["ytd_prev"] == 0  # new firm: its whole value is change
    assert t[0]["rank"] == 1 and t[0]["name"] == "测试0号公司"
    assert sum(r["share"] for r in t) == pytest.approx(1.0)


def test_contributions_refuse_what_has_no_enterprises(kwh: Warehouse) -> None:
    with pytest.raises(InputError, match="没有企业明细"):
        contributions(kwh, "wutong", "fixed_asset_investment", 2024, 6)
    with pytest.raises(InputError, match="12"):
        contributions(kwh, "wutong", "rd_expense", 2024, 6)


def test_forecast_uses_last_years_shares(kwh: Warehouse) -> None:
    t = {
        (r["park_id"], r["indicator"]): r for r in forecast(kwh, 2024, 6, indicators=["revenue"]).to_pylist()
    }
    w = t[("wutong", "revenue")]
    assert w["years_used"] == 1
    assert w["forecast"] == round(w["ytd"] / w["share"])
    assert w["low"] <= w["forecast"] <= w["high"]
    assert w["forecast_completion"] == pytest.approx(w["forecast"] / (4000 * WAN))
    assert t[(ZONE_ID, "revenue")]["ytd"] == sum(
        t[(p, "revenue")]["ytd"] for p in ("wutong", "shifo", "fengyang", "shuangqiao", "gouzhao")
    )


def test_forecast_without_history_has_no_value(kwh: Warehouse) -> None:
    t = forecast(kwh, 2023, 6, indicators=["revenue"]).to_pylist()
    assert all(r["forecast"] is None and r["years_used"] == 0 for r in t)


def test_backtest_needs_a_complete_year(kwh: Warehouse) -> None:
    assert backtest(kwh, 2024).num_rows == 0  # 2024 stops in June in the tiny zone


def test_data_quality_flags(kwh: Warehouse) -> None:
    t = data_quality(kwh, 2024, 6).to_pylist()
    got = {(r["issue"], r["uscc"], r["month"], r["column"]) for r in t}
    assert got == {
        ("missing_month", FIRMS[2], dt.date(2024, 3, 1), None),
        ("not_reported", FIRMS[3], dt.date(2024, 6, 1), None),
        ("unit_jump", FIRMS[3], dt.date(2024, 5, 1), "revenue_fen"),
        ("unit_jump", FIRMS[3], dt.date(2024, 5, 1), "output_fen"),
        ("unit_jump", FIRMS[3], dt.date(2024, 5, 1), "tax_fen"),
    }
    jump = next(r for r in t if r["column"] == "revenue_fen")
    assert jump["ratio"] == pytest.approx(10_000, rel=1e-4)
    assert "单位" in jump["message"]
    # the firm gone in 2023 (注销) is not expected to report
    assert all(r["uscc"] != FIRMS[5] for r in t)


def test_suspect_values_are_flagged_and_can_be_left_out(kwh: Warehouse) -> None:
    plain = {(r["park_id"], r["indicator"]): r for r in monitor(kwh, 2024, 6).to_pylist()}
    clean = {
        (r["park_id"], r["indicator"]): r for r in monitor(kwh, 2024, 6, exclude_suspect=True).to_pylist()
    }
    # firm 3 (shifo) entered May 2024 revenue in 元 in a 万元 column: 200 × 10⁴ 万 instead of 200 万
    assert plain[("shifo", "revenue")]["suspect"] == 1
    assert plain[(ZONE_ID, "revenue")]["suspect"] == 1
    assert plain[("wutong", "revenue")]["suspect"] == 0
    may = 200 * 10_000 * WAN + 300
    assert plain[("shifo", "revenue")]["ytd"] - clean[("shifo", "revenue")]["ytd"] == may
    assert plain[("wutong", "revenue")]["ytd"] == clean[("wutong", "revenue")]["ytd"]
    assert plain[("shifo", "fixed_asset_investment")]["suspect"] == 0
    full = contributions(kwh, "shifo", "revenue", 2024, 6, exclude_suspect=True)
    row = clean[("shifo", "revenue")]
    assert sum(full["change"].to_pylist()) == row["ytd"] - row["ytd_prev"]
