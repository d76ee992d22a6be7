"""The cockpit's ``year``: ``/api/v1/overview`` and ``/api/v1/parks`` show the finance year asked
for (it was silently the latest), and a year without finance data is a 400 naming the years there
are, as on the portrait."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok

MONEY = ("revenue_fen", "tax_fen", "rd_expense_fen", "employees")


def _years(c: TestClient) -> list[int]:
    years: list[int] = api_ok(c.get("/api/v1/portrait"))["years"]
    assert len(years) >= 2, "the demo should hold several finance years"
    return years


def test_the_overview_shows_the_year_asked_for(clients: dict[str, TestClient], demo: Demo) -> None:
    from zonebrain.storage import open_warehouse
    from zonebrain.web._queries.overview import _park_figures

    c = clients["leader"]
    years = _years(c)
    earlier, latest = years[0], years[-1]
    default = api_ok(c.get("/api/v1/overview"))
    assert default["year"] == latest
    assert api_ok(c.get(f"/api/v1/overview?year={latest}"))["totals"] == default["totals"]

    data = api_ok(c.get(f"/api/v1/overview?year={earlier}"))
    assert data["year"] == earlier
    with open_warehouse(demo.warehouse, read_only=True) as wh:
        figures = _park_figures(wh, earlier)
    for key in MONEY:
        assert data["totals"][key] == sum(int(f.get(key) or 0) for f in figures), key
    assert data["totals"]["revenue_fen"] != default["totals"]["revenue_fen"]  # not the latest year's
    assert data["heatmap"] == default["heatmap"]  # the chains as they are now, whatever the year

    table = api_ok(c.get(f"/api/v1/parks?year={earlier}"))
    assert f"{earlier} 年" in table["title"]
    assert [(r["park"], r["revenue_fen"]) for r in table["rows"]] == [
        (r["park"], r["revenue_fen"]) for r in data["parks"]
    ]


@pytest.mark.parametrize("url", ["/api/v1/overview", "/api/v1/parks"])
@pytest.mark.parametrize("year", [2030, 2019])
def test_a_year_without_data_is_refused_naming_the_years(
    clients: dict[str, TestClient], url: str, year: int
) -> None:
    c = clients["leader"]
    years = _years(c)
    assert year not in years
    msg = api_error(c.get(f"{url}?year={year}"), 400, "invalid_input")
    assert msg.startswith(f"{year} 年没有财务数据") and all(str(y) in msg for y in years), msg
