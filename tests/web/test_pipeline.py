"""项目库 and 资源对接 over HTTP: the board, a project's page, the API (create with a duplicate-pursuit warning,
move a stage, 409 on a stale version, 403 for roles without the pipeline), one error envelope.

The routes are mounted on a small app of this module's own (an empty warehouse: the pipeline lives
in the app store) until `zonebrain.web._app` registers them beside the other route modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, USERS, login
from zonebrain.appstore import Role, open_app_store
from zonebrain.registry import load_zone
from zonebrain.storage import open_warehouse

OWN = "91110000600037341L"


@pytest.fixture(scope="module")
def papp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    from zonebrain.web import create_app

    folder = tmp_path_factory.mktemp("pipeweb")
    with open_warehouse(folder / "wh.duckdb") as wh:
        wh.migrate()
        wh.replace("parks", load_zone().parks_table())
    store = open_app_store(folder / "app.sqlite", password_cost="low")
    for name, (role, extra) in USERS.items():
        scope = dict(extra)
        if role is Role.ENTERPRISE_USER:
            scope["uscc"] = OWN
        store.users.add(name, PASSWORD, role, **scope)  # type: ignore[arg-type]
    store.close()
    app = create_app(
        str(folder / "wh.duckdb"), app_db_url=str(folder / "app.sqlite"), data_dir=folder, password_cost="low"
    )
    with TestClient(app):
        yield app


@pytest.fixture(scope="module")
def pc(papp: FastAPI) -> Iterator[dict[str, TestClient]]:
    out = {}
    for name in USERS:
        c = TestClient(papp)
        login(c, name)
        out[name] = c
    yield out
    for c in out.values():
        c.close()


def _envelope(r: object, status: int, code: str) -> None:
    body = r.json()  # type: ignore[attr-defined]
    assert r.status_code == status, body  # type: ignore[attr-defined]
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["request_id"]


def test_create_warn_move_and_conflict(pc: dict[str, TestClient]) -> None:
    investor, park = pc["investor"], pc["parkofficer"]
    r = investor.post(
        "/api/v1/pipeline/projects",
        json={
            "name": "郑州华锐光电有限公司",
            "park_id": "shifo",
            "origin": "targeting",
            "promised_investment_fen": 5_000_000_000,
        },
    )
    assert r.status_code == 201, r.text
    first = r.json()["project"]
    assert (first["stage"], first["version"], first["promised_investment_fen"]) == ("线索", 1, 5_000_000_000)
    r = park.post(
        "/api/v1/pipeline/projects",
        json={"name": "华锐光电（中国）股份有限公司", "park_id": "wutong", "origin": "event"},
    )
    assert r.status_code == 201
    [w] = r.json()["warnings"]
    assert (w["project_id"], w["kind"], w["match"]) == (first["id"], "other_park", "name")
    pid = first["id"]
    r = investor.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "接洽", "expected_version": 1})
    assert r.status_code == 200 and r.json()["project"]["stage"] == "接洽"
    r = investor.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "考察", "expected_version": 1})
    _envelope(r, 409, "conflict")
    assert "已被他人修改" in r.json()["error"]["message"]
    r = investor.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "终止", "expected_version": 2})
    _envelope(r, 400, "invalid_input")
    detail = investor.get(f"/api/v1/pipeline/projects/{pid}").json()
    assert [e["kind"] for e in detail["events"]] == ["created", "stage"] and detail["stall"] == "green"
    assert len(detail["warnings"]) == 1
    # a park officer may not move another park's project
    _envelope(
        park.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "考察", "expected_version": 2}),
        403,
        "forbidden",
    )
    assert (
        investor.post(f"/api/v1/pipeline/projects/{pid}/notes", json={"text": "电话沟通"}).status_code == 201
    )


def test_roles_and_not_found(pc: dict[str, TestClient]) -> None:
    _envelope(pc["firm"].get("/api/v1/pipeline/projects"), 403, "forbidden")
    _envelope(
        pc["leader"].post(
            "/api/v1/pipeline/projects", json={"name": "x", "park_id": "wutong", "origin": "event"}
        ),
        403,
        "forbidden",
    )
    _envelope(pc["admin"].get("/api/v1/pipeline/projects/99999"), 404, "not_found")
    _envelope(
        pc["admin"].post(
            "/api/v1/pipeline/projects", json={"name": "x", "park_id": "mars", "origin": "event"}
        ),
        400,
        "invalid_input",
    )
    assert pc["leader"].get("/api/v1/pipeline/projects").status_code == 200
    r = pc["admin"].get("/api/v1/pipeline/projects", params={"format": "xlsx"})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    f = pc["researcher"].get("/api/v1/pipeline/funnel", params={"by": "origin"})
    assert f.status_code == 200 and f.json()["rows"][0]["stage"] == "线索"


def test_pages_board_detail_and_form_flow(pc: dict[str, TestClient]) -> None:
    c = pc["admin"]
    page = c.get("/pipeline")
    assert page.status_code == 200 and 'id="pipeline-board"' in page.text and "招商项目库" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = c.post(
        "/pipeline",
        data={"name": "表单公司", "park_id": "wutong", "origin": "event", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = c.get(r.headers["location"])
    assert detail.status_code == 200 and "表单公司" in detail.text and 'id="stage-form"' in detail.text
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    r = c.post(
        f"/pipeline/{pid}/stage",
        data={"to": "接洽", "expected_version": "1", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert 'id="project-stage">接洽<' in c.get(f"/pipeline/{pid}").text
    board = c.get("/pipeline").text
    assert f'data-project="{pid}" data-stall="green"' in board
    assert pc["firm"].get("/pipeline").status_code == 403
    en = TestClient(c.app)
    login(en, "leader")
    en.cookies.set("zb_lang", "en")
    assert "Investment pipeline" in en.get("/pipeline").text
    en.close()


def test_csrf_is_required(papp: FastAPI) -> None:
    c = TestClient(papp)
    login(c, "admin")
    del c.headers["X-CSRF-Token"]
    _envelope(
        c.post("/api/v1/pipeline/projects", json={"name": "x", "park_id": "wutong", "origin": "event"}),
        403,
        "csrf_failed",
    )
    c.close()


def test_a_park_officer_adds_only_in_own_park(pc: dict[str, TestClient]) -> None:
    page = pc["parkofficer"].get("/pipeline").text
    form = page.split('id="project-form"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'name="park_id">(.*?)</select>', form, re.S)[0].count("<option") == 1
    assert 'value="wutong"' in form
    assert 'id="project-form"' not in pc["leader"].get("/pipeline").text  # leaders read only


def test_linking_api_flow_and_scope(pc: dict[str, TestClient]) -> None:
    investor, firm = pc["investor"], pc["firm"]
    r = investor.post(
        "/api/v1/linking/resources",
        json={
            "kind": "bank_loan",
            "name": "科技贷",
            "keywords": ["研发"],
            "min_amount_fen": 1,
            "max_amount_fen": 10**12,
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["resource"]["id"]
    _envelope(firm.post("/api/v1/linking/resources", json={"kind": "fund", "name": "x"}), 403, "forbidden")
    _envelope(firm.get("/api/v1/linking/resources"), 403, "forbidden")
    r = firm.post(
        "/api/v1/linking/demands",
        json={"uscc": OWN, "kind": "融资", "title": "研发贷款", "amount_fen": 3 * 10**8},
    )
    assert r.status_code == 201, r.text
    d = r.json()["demand"]
    other = "91350503MA31DKY80A"
    _envelope(
        firm.post("/api/v1/linking/demands", json={"uscc": other, "kind": "融资", "title": "x"}),
        403,
        "forbidden",
    )
    [s] = investor.get(f"/api/v1/linking/demands/{d['id']}/suggestions").json()["suggestions"]
    assert s["resource"]["id"] == rid and any("研发" in x for x in s["reasons"])
    _envelope(firm.get(f"/api/v1/linking/demands/{d['id']}/suggestions"), 403, "forbidden")
    r = investor.post(
        f"/api/v1/linking/demands/{d['id']}/propose", json={"resource_id": rid, "expected_version": 1}
    )
    assert r.status_code == 201
    _envelope(
        investor.post(
            f"/api/v1/linking/demands/{d['id']}/resolve", json={"resolution": "x", "expected_version": 1}
        ),
        409,
        "conflict",
    )
    r = investor.post(
        f"/api/v1/linking/demands/{d['id']}/resolve", json={"resolution": "已放款", "expected_version": 2}
    )
    assert r.json()["demand"]["status"] == "resolved"
    r = firm.post(f"/api/v1/linking/demands/{d['id']}/rating", json={"rating": 5, "expected_version": 3})
    assert r.json()["demand"]["rating"] == 5
    assert [x["id"] for x in firm.get("/api/v1/linking/demands").json()["demands"]] == [d["id"]]
    assert pc["parkofficer"].get("/api/v1/linking/demands").json()["demands"] == []  # no park on this demand
    _envelope(pc["parkofficer"].get(f"/api/v1/linking/demands/{d['id']}"), 403, "forbidden")
    _envelope(investor.get("/api/v1/linking/demands/99999"), 404, "not_found")
    page = firm.get(f"/linking/demands/{d['id']}")
    assert page.status_code == 200 and "已办结" in page.text and 'id="demand-rating">5<' in page.text
    assert firm.get("/linking").status_code == 200


def test_patch_and_hand_over(pc: dict[str, TestClient]) -> None:
    c = pc["admin"]
    pid = c.post(
        "/api/v1/pipeline/projects", json={"name": "补丁公司", "park_id": "wutong", "origin": "event"}
    ).json()["project"]["id"]
    r = c.patch(f"/api/v1/pipeline/projects/{pid}", json={"expected_version": 1, "promised_jobs": 50})
    assert r.status_code == 200 and r.json()["project"]["promised_jobs"] == 50
    _envelope(
        c.patch(f"/api/v1/pipeline/projects/{pid}", json={"expected_version": 1, "notes": "x"}),
        409,
        "conflict",
    )
    r = c.post(
        f"/api/v1/pipeline/projects/{pid}/handover", json={"to_owner": "parkofficer", "expected_version": 2}
    )
    assert r.status_code == 200 and r.json()["project"]["owner"] == "parkofficer"
    kinds = [e["kind"] for e in c.get(f"/api/v1/pipeline/projects/{pid}").json()["events"]]
    assert kinds == ["created", "update", "handover"]
    audit = c.get("/api/v1/audit", params={"action": "project.handover"})
    assert audit.status_code == 200 and "parkofficer" in audit.text
