"""经济运行 (/kpi) and /api/v1/kpi: role rules (aggregates for all but enterprise users, enterprise
detail only for the park officer's own park), JSON shapes (money in fen), Excel exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, Demo, login
from zonebrain.storage import open_warehouse

AGGREGATE_ROLES = ("admin", "leader", "investor", "parkofficer", "researcher")


@pytest.fixture(scope="module")
def month(demo: Demo) -> str:
    from zonebrain import kpi

    with open_warehouse(demo.warehouse, read_only=True) as wh:
        found = kpi.latest_month(wh)
    assert found is not None
    return f"{found[0]}-{found[1]:02d}"


@pytest.mark.parametrize("role", AGGREGATE_ROLES)
def test_page_renders_for_aggregate_roles(clients: dict[str, TestClient], role: str, month: str) -> None:
    r = clients[role].get("/kpi")
    assert r.status_code == 200, r.text
    assert 'id="kpi-monitor"' in r.text
    assert f'value="{month}"' in r.text  # the latest month by default
    assert 'data-chart="kpi-lines"' in r.text
    assert 'href="/kpi/targets"' in r.text
    assert 'id="kpi-assumptions"' in r.text and "工业增加值率 25%" in r.text  # the derivation's assumption


def test_enterprise_user_and_anonymous_are_refused(clients: dict[str, TestClient], anon: TestClient) -> None:
    assert clients["firm"].get("/kpi").status_code == 403
    assert clients["firm"].get("/api/v1/kpi/monitor").status_code == 403
    assert anon.get("/api/v1/kpi/monitor").status_code == 401
    assert anon.get("/kpi", follow_redirects=False).status_code in (302, 303, 307)


def test_monitor_json_money_in_fen(clients: dict[str, TestClient], month: str) -> None:
    r = clients["leader"].get(f"/api/v1/kpi/monitor?month={month}&indicator=revenue")
    assert r.status_code == 200
    body = r.json()
    assert {c["key"] for c in body["columns"]} >= {
        "park_id",
        "ytd",
        "yoy_pct",
        "completion_pct",
        "gap_pp",
        "rank",
    }
    kinds = {c["key"]: c["kind"] for c in body["columns"]}
    assert kinds["ytd"] == "fen"
    rows = {row["park_id"]: row for row in body["rows"]}
    assert "_zone" in rows and "wutong" in rows
    assert isinstance(rows["_zone"]["ytd"], int)
    parks = sum(row["ytd"] or 0 for pid, row in rows.items() if pid != "_zone")
    assert rows["_zone"]["ytd"] == parks
    counts = clients["leader"].get(f"/api/v1/kpi/monitor?month={month}&indicator=hitech_enterprises").json()
    assert {c["key"]: c["kind"] for c in counts["columns"]}["ytd"] == "int"


def test_trend_warnings_forecast_shapes(clients: dict[str, TestClient], month: str) -> None:
    c = clients["researcher"]
    trend = c.get(f"/api/v1/kpi/trend?month={month}&indicator=revenue").json()
    assert trend["unit"] == "fen" and trend["months"][-1] == int(month[-2:])
    assert all(len(s["ytd"]) == len(trend["months"]) for s in trend["series"])
    assert c.get(f"/api/v1/kpi/warnings?month={month}").json()["name"].startswith("kpi-warnings")
    assert c.get(f"/api/v1/kpi/forecast?month={month}").status_code == 200
    inds = c.get("/api/v1/kpi/indicators").json()["indicators"]
    assert inds[0]["id"] == "revenue" and inds[0]["rate"] is None
    va = next(i for i in inds if i["id"] == "industrial_value_added")
    assert va["rate"]["percent"] == "25" and va["rate"]["assumption"] is True and va["rate"]["source"]
    assert c.get("/api/v1/kpi/months/latest").json() == {"month": month}


def test_bad_input_is_a_400_not_a_500(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    assert c.get("/api/v1/kpi/monitor?month=2024-13").status_code == 400
    assert c.get("/api/v1/kpi/monitor?indicator=nope").status_code == 400
    assert (
        c.get("/api/v1/kpi/monitor?month=1999-01").status_code == 200
    )  # no data: an empty month, not an error
    r = c.get("/api/v1/kpi/contributions?park=wutong&indicator=fixed_asset_investment")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert c.get("/kpi?month=1999-01").status_code == 200


def test_contributions_scoped_to_own_park(clients: dict[str, TestClient], month: str) -> None:
    po = clients["parkofficer"]
    own = po.get(f"/api/v1/kpi/contributions?park=wutong&indicator=revenue&month={month}")
    assert own.status_code == 200
    rows = own.json()["rows"]
    assert rows and isinstance(rows[0]["change"], int)
    assert po.get(f"/api/v1/kpi/contributions?park=shifo&indicator=revenue&month={month}").status_code == 403
    assert po.get(f"/kpi/contributions?park=shifo&indicator=revenue&month={month}").status_code == 403
    frag = po.get(f"/kpi/contributions?park=wutong&indicator=revenue&month={month}")
    assert frag.status_code == 200 and 'id="kpi-contributions"' in frag.text
    page = po.get("/kpi").text
    assert 'data-park="wutong"' in page and 'data-park="shifo"' not in page
    # investment officers have no firm finance: no drill-down at all
    assert clients["investor"].get(f"/api/v1/kpi/contributions?park=wutong&month={month}").status_code == 403
    assert clients["investor"].get(f"/api/v1/kpi/quality?month={month}").status_code == 403
    assert clients["leader"].get(f"/api/v1/kpi/contributions?park=shifo&month={month}").status_code == 200


def test_quality_lists_only_the_own_park(clients: dict[str, TestClient], month: str) -> None:
    rows = clients["parkofficer"].get(f"/api/v1/kpi/quality?month={month}").json()["rows"]
    assert all(r["park_id"] == "wutong" for r in rows)
    assert clients["admin"].get(f"/api/v1/kpi/quality?month={month}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/kpi/monitor?indicator=revenue&format=xlsx",
        "/api/v1/kpi/warnings?format=xlsx",
        "/api/v1/kpi/forecast?format=xlsx",
        "/api/v1/kpi/contributions?park=wutong&format=xlsx",
        "/api/v1/kpi/quality?format=xlsx",
    ],
)
def test_excel_exports_open(clients: dict[str, TestClient], path: str) -> None:
    from openpyxl import load_workbook

    r = clients["admin"].get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None and ws.max_row >= 2


def test_an_empty_warehouse_shows_empty_states(tmp_path: Path) -> None:
    """No monthly data, no panel, no reference firms: empty-state messages, never a 500."""
    from zonebrain.appstore import Role, open_app_store
    from zonebrain.registry import load_zone
    from zonebrain.web import create_app

    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        wh.replace("parks", load_zone().parks_table())
    store = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    store.users.add("admin", PASSWORD, Role.ADMIN)
    store.close()
    app = create_app(
        str(tmp_path / "wh.duckdb"),
        app_db_url=str(tmp_path / "app.sqlite"),
        data_dir=tmp_path,
        password_cost="low",
    )
    with TestClient(app) as c:
        login(c, "admin")
        page = c.get("/kpi")
        assert page.status_code == 200 and 'id="kpi-empty"' in page.text
        assert c.get("/api/v1/kpi/monitor").status_code == 400
        assert c.get("/api/v1/kpi/months/latest").json() == {"month": None}
        opp = c.get("/opportunities")
        assert opp.status_code == 200 and 'id="opp-empty"' in opp.text
        assert c.get("/api/v1/targeting/opportunities").json()["rows"] == []
        cand = c.get("/candidates?mode=class&classes=3976")
        assert cand.status_code == 200
