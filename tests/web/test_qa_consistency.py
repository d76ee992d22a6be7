"""QA: the web says the same numbers as the domain (the portrait, the Word report, the KPI monitor).

The cockpit counts tags valid at the end of the year it shows (not today); the portrait's five-year
trend is the domain's (firms of any status), and a year without data is refused, not shown as 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok

HIGH_TECH = "高新技术企业"


def _domain(demo: Demo, park: str | None = None) -> Any:
    from zonebrain.portrait import portrait
    from zonebrain.storage import open_warehouse

    with open_warehouse(demo.warehouse, read_only=True) as wh:
        return portrait(wh, park=park)


def _high_tech(p: Any) -> int:
    return next((int(r["enterprises"]) for r in p.tags.to_pylist() if r["tag"] == HIGH_TECH), 0)


def test_cockpit_counts_tags_valid_at_the_end_of_its_year(clients: dict[str, TestClient], demo: Demo) -> None:
    data = api_ok(clients["leader"].get("/api/v1/overview"))
    zone = _domain(demo)
    assert data["year"] == zone.year
    assert data["totals"]["high_tech"] == _high_tech(zone)
    for park in ("shifo", "wutong"):
        row = next(r for r in data["parks"] if r["park_id"] == park)
        assert row["high_tech"] == _high_tech(_domain(demo, park)), park


def test_cockpit_tag_count_does_not_depend_on_today(demo: Demo) -> None:
    """Tags that expired between the year's end and today still count for that year."""
    from zonebrain.storage import open_warehouse
    from zonebrain.web._queries.overview import _park_figures

    with open_warehouse(demo.warehouse, read_only=True) as wh:
        t = wh.table("enterprise_tags")
        year = _domain(demo).year
        assert year is not None
        end = dt.date(year, 12, 31)
        expired = wh.to_arrow(
            t.filter(
                (t.tag == HIGH_TECH) & t.until.notnull() & (t.until >= end) & (t.until < dt.date.today())
            )
        ).num_rows
        figures = _park_figures(wh, year)
    assert expired > 0, "the demo should hold tags that lapsed after the year's end"
    assert sum(int(f.get("high_tech") or 0) for f in figures) == _high_tech(_domain(demo))


def test_trend_is_the_domain_trend(clients: dict[str, TestClient], demo: Demo) -> None:
    for park in (None, "shifo"):
        url = "/api/v1/portrait/trend" + (f"?park={park}" if park else "")
        web = {r["year"]: r for r in api_ok(clients["leader"].get(url))["rows"]}
        domain = _domain(demo, park).trend.to_pylist()
        assert sorted(web) == [r["year"] for r in domain]
        for r in domain:
            w = web[r["year"]]
            for k in ("enterprises", "revenue_fen", "tax_fen", "rd_expense_fen", "employees"):
                assert w[k] == r[k], (park, r["year"], k)
        body = api_ok(clients["leader"].get("/api/v1/portrait" + (f"?park={park}" if park else "")))
        assert [r["year"] for r in body["trend"]] == [r["year"] for r in domain]


def test_trend_counts_firms_of_any_status(clients: dict[str, TestClient], demo: Demo) -> None:
    from zonebrain.storage import open_warehouse

    with open_warehouse(demo.warehouse, read_only=True) as wh:
        ent, y = wh.table("enterprises"), wh.table("enterprise_years")
        year = _domain(demo).trend["year"].to_pylist()[0]
        every = wh.to_arrow(
            y.filter(y.year == year).semi_join(ent, "uscc").select("uscc").distinct()
        ).num_rows
    web = {r["year"]: r for r in api_ok(clients["leader"].get("/api/v1/portrait/trend"))["rows"]}
    assert web[year]["enterprises"] == every


@pytest.mark.parametrize("year", [2030, 2019])
def test_a_year_without_data_is_refused(clients: dict[str, TestClient], year: int) -> None:
    c = clients["leader"]
    years = api_ok(c.get("/api/v1/portrait"))["years"]
    assert year not in years
    msg = api_error(c.get(f"/api/v1/portrait?year={year}"), 400, "invalid_input")
    assert str(year) in msg and all(str(y) in msg for y in years), msg
    api_error(c.get(f"/api/v1/portrait/sections?year={year}"), 400, "invalid_input")
    page = c.get(f"/portrait?year={year}")
    assert page.status_code == 400 and str(years[-1]) in page.text
    assert api_ok(c.get(f"/api/v1/portrait?year={years[-1]}"))["year"] == years[-1]
