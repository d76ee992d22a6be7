"""Roles and scope, enforced in the API: each role gets 403 or an empty list for what it must not see."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo

AGGREGATE_PATHS = [
    "/api/v1/overview",
    "/api/v1/parks",
    "/api/v1/summary",
    "/api/v1/portrait",
    "/api/v1/portrait/classes",
    "/api/v1/chains",
    "/api/v1/chains/intelligent-sensors",
    "/api/v1/chains/heatmap",
    "/api/v1/complexity",
    "/api/v1/complexity/locations",
]
ALLOWED = {
    # role: (aggregates, enterprise list, finance of firms in scope)
    "admin": (True, True, True),
    "leader": (True, True, True),
    "investor": (True, True, False),
    "parkofficer": (True, True, True),
    "researcher": (True, True, True),
    "firm": (False, True, True),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_aggregates_by_role(clients: dict[str, TestClient], name: str) -> None:
    for path in AGGREGATE_PATHS:
        r = clients[name].get(path)
        assert r.status_code == (200 if ALLOWED[name][0] else 403), (name, path, r.text[:200])
        if r.status_code == 403:
            assert r.json()["error"]["code"] == "forbidden"


def _usccs(c: TestClient, path: str) -> set[str]:
    r = c.get(path)
    assert r.status_code == 200, r.text
    return {row["uscc"] for row in r.json()["rows"]}


def test_enterprise_lists_are_scoped(clients: dict[str, TestClient], demo: Demo) -> None:
    everyone = clients["leader"].get("/api/v1/enterprises?size=500").json()
    assert everyone["total"] > 100
    parks = {r["park"] for r in everyone["rows"]}
    assert len(parks) >= 4
    officer = clients["parkofficer"].get("/api/v1/enterprises?size=500").json()
    assert 0 < officer["total"] < everyone["total"]
    assert {r["park"] for r in officer["rows"]} == {"梧桐"}
    # asking for another park gives an empty list, not that park's firms
    assert clients["parkofficer"].get("/api/v1/enterprises?park=shifo").json()["total"] == 0
    assert _usccs(clients["firm"], "/api/v1/enterprises?size=500") == {demo.own_firm}
    assert _usccs(clients["firm"], "/api/v1/enterprises?park=wutong") == set()


def test_chain_node_lists_are_scoped(clients: dict[str, TestClient]) -> None:
    graph = clients["leader"].get("/api/v1/chains/computing-digital").json()
    node = max(graph["nodes"], key=lambda n: n["firms"])
    path = f"/api/v1/chains/computing-digital/nodes/{node['id']}/enterprises"
    full = clients["leader"].get(path).json()
    assert len(full["rows"]) == node["firms"] > 0
    assert "revenue_fen" in {c["key"] for c in full["columns"]}
    officer = clients["parkofficer"].get(path).json()
    assert {r["park"] for r in officer["rows"]} <= {"梧桐"}
    investor = clients["investor"].get(path).json()
    assert "revenue_fen" not in {c["key"] for c in investor["columns"]}  # no firm-level finance
    assert all("revenue_fen" not in r for r in investor["rows"])
    firm = clients["firm"].get(path).json()
    assert len(firm["rows"]) <= 1


def test_enterprise_profile_and_finance_by_role(clients: dict[str, TestClient], demo: Demo) -> None:
    own, other = demo.own_firm, demo.wutong_firm  # own: in 石佛; other: in 梧桐
    expect = {
        # name: (profile own, finance own, profile other, finance other)
        "admin": (200, 200, 200, 200),
        "leader": (200, 200, 200, 200),
        "investor": (200, 403, 200, 403),
        "parkofficer": (403, 403, 200, 200),
        "researcher": (200, 200, 200, 200),
        "firm": (200, 200, 403, 403),
    }
    for name, codes in expect.items():
        got = tuple(
            clients[name].get(path).status_code
            for path in (
                f"/api/v1/enterprises/{own}",
                f"/api/v1/enterprises/{own}/finance",
                f"/api/v1/enterprises/{other}",
                f"/api/v1/enterprises/{other}/finance",
            )
        )
        assert got == codes, name
        page = clients[name].get(f"/enterprises/{other}")
        assert page.status_code == codes[2], name
        if codes[2] == 200:
            assert ("finance-table" in page.text) == (codes[3] == 200), name


def test_scoped_users_learn_nothing_about_unknown_firms(clients: dict[str, TestClient]) -> None:
    unknown = "91410172MA00000001"
    assert clients["leader"].get(f"/api/v1/enterprises/{unknown}").status_code in (404, 422)
    assert clients["parkofficer"].get(f"/api/v1/enterprises/{unknown}").status_code in (403, 422)


def test_exports_are_scoped_too(clients: dict[str, TestClient]) -> None:
    import io

    import openpyxl

    r = clients["parkofficer"].get("/api/v1/enterprises?format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    parks = {row[2] for row in ws.iter_rows(min_row=3, values_only=True)}
    assert parks == {"梧桐"}


def test_enterprise_user_home_is_their_firm(clients: dict[str, TestClient], demo: Demo) -> None:
    r = clients["firm"].get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/enterprises/{demo.own_firm}"
    page = clients["firm"].get(f"/enterprises/{demo.own_firm}")
    assert page.status_code == 200 and "/portrait" not in page.text  # no nav to pages it may not open
