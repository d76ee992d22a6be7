"""Monitoring on the tiny zone: 累计, 同比, 完成率, 序时进度, gaps, ranks, warnings, trends."""

from __future__ import annotations

import itertools

import pytest

from tests.kpi._data import WAN
from zonebrain.core.errors import InputError
from zonebrain.kpi import ZONE_ID, latest_month, load_catalogue, monitor, trend, warnings, working_days
from zonebrain.storage import Warehouse


def rows(wh: Warehouse, year: int = 2024, month: int = 6, **kw: object) -> dict[tuple[str, str], dict]:
    return {(r["park_id"], r["indicator"]): r for r in monitor(wh, year, month, **kw).to_pylist()}  # type: ignore[arg-type]


def test_year_to_date_and_year_on_year(kwh: Warehouse) -> None:
    r = rows(kwh)
    w = r[("wutong", "revenue")]
    # firm 0: Σ(120+m) = 741 万; firm 1: 6 × 40 万 (+100 fen each); firm 4: 5 × 10 万 (+400 fen each)
    assert w["ytd"] == 1031 * WAN + 6 * 100 + 5 * 400
    # 2023: firm 0 Σ(100+m) = 621 万, firm 1 300 万 (+600 fen)
    assert w["ytd_prev"] == 921 * WAN + 600
    assert w["yoy"] == pytest.approx(w["ytd"] / w["ytd_prev"] - 1)
    assert w["target"] == 4000 * WAN
    assert w["completion"] == pytest.approx(w["ytd"] / (4000 * WAN))
    assert w["progress"] == 0.5
    assert w["gap_pp"] == pytest.approx((w["completion"] - 0.5) * 100)
    assert w["status"] == "behind"
    z = r[(ZONE_ID, "revenue")]
    assert z["ytd"] == sum(
        r[(p, "revenue")]["ytd"] or 0 for p in ("wutong", "shifo", "fengyang", "shuangqiao", "gouzhao")
    )
    assert z["target"] == 7400 * WAN
    assert z["rank"] is None


def test_tag_filter_rate_and_stock(kwh: Warehouse) -> None:
    r = rows(kwh)
    out = r[("wutong", "industrial_output")]
    # firm 0 all six months; firm 1 only from March 2024 (its 规上 tag starts then)
    firm0 = sum(2 * (120 + m) * WAN + 3 for m in range(1, 7))
    firm1 = 4 * (2 * (40 * WAN + 100) + 3)
    assert out["ytd"] == firm0 + firm1
    added = r[("wutong", "industrial_value_added")]
    per_month = [2 * (120 + m) * WAN + 3 for m in range(1, 7)] + [2 * (40 * WAN + 100) + 3] * 4
    assert added["ytd"] == sum(v * 25 // 100 for v in per_month)
    assert r[("shifo", "industrial_output")]["ytd"] == 0  # no 规上工业 firm there
    assert r[("shifo", "hitech_enterprises")]["ytd"] == 1  # firm 2 since April 2024
    assert r[("shifo", "hitech_enterprises")]["ytd_prev"] == 1  # firm 3 until end 2023
    assert r[("shifo", "hitech_enterprises")]["progress"] is None  # stock: no 序时进度
    assert r[("wutong", "new_registrations")]["ytd"] == 1
    assert r[("shifo", "new_registrations")]["ytd_prev"] == 1


def test_imported_and_yearly_indicators(kwh: Warehouse) -> None:
    r = rows(kwh, month=2)
    fai = r[("wutong", "fixed_asset_investment")]
    assert (fai["ytd"], fai["ytd_prev"], fai["completion"]) == (150 * WAN, 120 * WAN, 0.15)
    assert r[("wutong", "rd_expense")]["status"] == "yearly"
    assert r[("wutong", "rd_expense")]["ytd"] is None
    dec = rows(kwh, month=12, indicators=["rd_expense"])
    assert dec[("wutong", "rd_expense")]["ytd"] == 4 * WAN
    assert dec[("shifo", "rd_expense")]["ytd_prev"] == 9 * WAN
    assert r[("wutong", "investment_signed")]["status"] == "no_data"


def test_ranks_follow_completion(kwh: Warehouse) -> None:
    r = rows(kwh)
    assert (r[("shifo", "revenue")]["rank"], r[("wutong", "revenue")]["rank"]) == (1, 2)
    assert r[("fengyang", "revenue")]["rank"] is None  # no target there


def test_progress_by_working_days(kwh: Warehouse) -> None:
    cat = load_catalogue()
    r = rows(kwh, basis="working_days")
    assert r[("wutong", "revenue")]["progress"] == working_days(cat, 2024, 1, 6) / 251


def test_bad_month_is_an_input_error(kwh: Warehouse) -> None:
    with pytest.raises(InputError, match="2024-06"):
        monitor(kwh, 2024, 13)


def test_warnings(kwh: Warehouse) -> None:
    w = warnings(kwh, 2024, 6).to_pylist()
    kinds = {(x["park_id"], x["indicator"], x["kind"]) for x in w}
    assert ("wutong", "revenue", "behind_schedule") in kinds
    assert ("shifo", "new_registrations", "yoy_decline") in kinds
    assert ("shifo", "revenue", "behind_schedule") not in kinds
    assert all("百分点" in x["message"] or "同比" in x["message"] for x in w)
    lenient = warnings(kwh, 2024, 6, margin_pp=100)["kind"].to_pylist()
    assert "behind_schedule" not in lenient


def test_trend_is_cumulative(kwh: Warehouse) -> None:
    t = [r for r in trend(kwh, "revenue", 2024, last_month=6).to_pylist() if r["park_id"] == "wutong"]
    assert [r["month"] for r in t] == [1, 2, 3, 4, 5, 6]
    assert t[-1]["ytd"] == rows(kwh)[("wutong", "revenue")]["ytd"]
    assert all(a["ytd"] + b["month_value"] == b["ytd"] for a, b in itertools.pairwise(t))


def test_latest_month(kwh: Warehouse) -> None:
    assert latest_month(kwh) == (2024, 6)
