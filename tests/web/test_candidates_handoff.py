"""目标企业 → 项目库 on the page: tick candidates, add them as 线索 (origin targeting), see them marked
已在项目库 and left out of the next list; a name match of another project needs confirmation; roles."""

from __future__ import annotations

import html
import json
import re

from fastapi.testclient import TestClient

SEARCH = "/candidates?mode=class&classes=3976"


def _leads(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="lead" value="([^"]+)"', page)]


def _post(c: TestClient, data: dict[str, object], htmx: bool = True) -> str:
    headers = {"HX-Request": "true"} if htmx else {}
    r = c.post("/candidates/add", data=data, headers=headers)
    assert r.status_code == 200, r.text
    return r.text


def test_add_two_candidates_then_they_are_left_out(clients: dict[str, TestClient]) -> None:
    inv = clients["investor"]
    page = inv.get(SEARCH).text
    assert 'id="cand-handoff"' in page and 'id="handoff-park"' in page
    leads = _leads(page)
    assert len(leads) > 3
    picked = [json.loads(x) for x in leads[:2]]
    fragment = _post(inv, {"park_id": "wutong", "lead": leads[:2]})
    assert fragment.count('data-status="created"') == 2
    for lead in picked:
        assert f'id="cand-status-{lead["uscc"]}" hx-swap-oob="true"' in fragment
    board = clients["leader"].get("/api/v1/pipeline/projects?origin=targeting").json()["rows"]
    mine = {r["uscc"]: r for r in board}
    for lead in picked:
        row = mine[lead["uscc"]]
        assert (row["stage"], row["owner"], row["park"], row["name"]) == (
            "线索",
            "investor",
            "wutong",
            lead["name"],
        )
    # the page and the scoring exclusion agree: the added firms are no longer offered
    again = inv.get(SEARCH).text
    assert 'id="cand-excluded"' in again
    offered = {json.loads(x)["uscc"] for x in _leads(again)}
    assert not offered & {lead["uscc"] for lead in picked}
    api = inv.get("/api/v1/targeting/candidates?mode=class&classes=3976").json()["rows"]
    assert not {r["uscc"] for r in api} & {lead["uscc"] for lead in picked}
    # posting one of them again (a stale page) says 已在项目库 and adds nothing
    stale = _post(inv, {"park_id": "wutong", "one": leads[0]})
    assert 'data-status="already"' in stale
    assert len(clients["leader"].get("/api/v1/pipeline/projects?origin=targeting").json()["rows"]) == len(
        board
    )


def test_a_name_match_needs_confirmation(clients: dict[str, TestClient]) -> None:
    inv = clients["investor"]
    lead = _leads(inv.get(SEARCH).text)[0]
    name = json.loads(lead)["name"]
    r = inv.post("/api/v1/pipeline/projects", json={"name": name, "park_id": "shifo", "origin": "event"})
    assert r.status_code == 201
    ask = _post(inv, {"park_id": "wutong", "one": lead})
    assert 'data-status="needs_confirm"' in ask and 'class="inline confirm-form"' in ask and "其他园区" in ask
    confirmed = _post(inv, {"park_id": "wutong", "one": lead, "confirm": "1"})
    assert 'data-status="created"' in confirmed


def test_plain_form_post_renders_the_page(clients: dict[str, TestClient]) -> None:
    inv = clients["investor"]
    leads = _leads(inv.get(SEARCH).text)
    page = _post(
        inv, {"park_id": "wutong", "lead": leads[:1], "mode": "class", "classes": "3976"}, htmx=False
    )
    assert 'id="handoff-summary"' in page and 'id="cand-handoff"' in page
    assert "hx-swap-oob" not in page
    empty = _post(inv, {"park_id": "wutong"})
    assert 'id="handoff-error"' in empty
    garbage = _post(inv, {"park_id": "wutong", "one": "{not json"})
    assert 'id="handoff-error"' in garbage
    bad_park = _post(inv, {"park_id": "moon", "one": leads[1]})
    assert 'id="handoff-error"' in bad_park


def test_who_may_hand_off(clients: dict[str, TestClient]) -> None:
    for role in ("leader", "researcher"):
        page = clients[role].get(SEARCH)
        assert page.status_code == 200 and 'id="candidates-table"' in page.text
        assert 'id="cand-handoff"' not in page.text
    lead = _leads(clients["admin"].get(SEARCH).text)[0]
    no_token = clients["admin"].post(
        "/candidates/add", data={"park_id": "wutong", "one": lead}, headers={"X-CSRF-Token": ""}
    )
    assert no_token.status_code == 403 and "csrf" in no_token.text
    assert (
        clients["leader"].post("/candidates/add", data={"park_id": "wutong", "one": lead}).status_code == 403
    )
    assert (
        clients["parkofficer"].post("/candidates/add", data={"park_id": "wutong", "one": lead}).status_code
        == 403
    )
    assert clients["firm"].post("/candidates/add", data={"park_id": "wutong", "one": lead}).status_code == 403
