"""漏斗分析 over HTTP: the page draws a funnel and a days-in-stage chart from data attributes, the
conversion table per origin/officer/park adds up to its 全部 all row, agrees with the stage funnel,
and exports to Excel; the hand-off API adds candidates as 线索 with origin targeting."""

from __future__ import annotations

import io
import json
import re

from fastapi.testclient import TestClient

from tests.web.test_pipeline import papp, pc  # noqa: F401  (fixtures)

A = "91110000600037341L"
B = "91350503MA31DKY80A"


def _add(c: TestClient, name: str, park: str, origin: str) -> dict[str, object]:
    r = c.post("/api/v1/pipeline/projects", json={"name": name, "park_id": park, "origin": origin})
    assert r.status_code == 201, r.text
    return r.json()["project"]  # type: ignore[no-any-return]


def _move(c: TestClient, project: dict[str, object], to: str, reason: str = "") -> dict[str, object]:
    r = c.post(
        f"/api/v1/pipeline/projects/{project['id']}/stage",
        json={"to": to, "expected_version": project["version"], "reason": reason},
    )
    assert r.status_code == 200, r.text
    return r.json()["project"]  # type: ignore[no-any-return]


def test_funnel_numbers_add_up(pc: dict[str, TestClient]) -> None:  # noqa: F811
    inv, park = pc["investor"], pc["parkofficer"]
    a = _add(inv, "漏斗甲公司", "shifo", "targeting")
    _move(inv, _move(inv, a, "接洽"), "签约")
    b = _add(inv, "漏斗乙公司", "shifo", "targeting")
    _move(inv, b, "接洽")
    c = _add(park, "漏斗丙公司", "wutong", "event")
    _move(park, c, "终止", reason="外迁")
    _add(park, "漏斗丁公司", "wutong", "referral")

    stages = inv.get("/api/v1/pipeline/funnel/stages").json()
    total = stages["total"]
    assert total >= 4 and stages["funnel"]["reached"][0] == total
    reached = stages["funnel"]["reached"]
    assert reached == sorted(reached, reverse=True)  # a funnel never widens
    assert stages["funnel"]["stages"][:2] == ["线索", "接洽"] and len(stages["days"]["stages"]) == 8

    for by in ("origin", "owner", "park"):
        body = inv.get(f"/api/v1/pipeline/funnel/conversion?by={by}").json()
        rows = {r["group"]: r for r in body["rows"]}
        whole = rows.pop("全部 all")
        assert whole["projects"] == total
        for col in ("projects", "live", "terminated", "reached_contact", "reached_signed"):
            assert sum(r[col] for r in rows.values()) == whole[col], (by, col)
        assert whole["reached_contact"] == reached[1] and whole["reached_signed"] == reached[4]
        assert all(r["projects"] == r["live"] + r["terminated"] for r in body["rows"])
    by_origin = {
        r["group"]: r for r in inv.get("/api/v1/pipeline/funnel/conversion?by=origin").json()["rows"]
    }
    assert by_origin["目标清单 targeting"]["reached_signed"] >= 1
    assert inv.get("/api/v1/pipeline/funnel/conversion?by=chain").status_code == 422


def test_funnel_page_and_export(pc: dict[str, TestClient]) -> None:  # noqa: F811
    from openpyxl import load_workbook

    page = pc["leader"].get("/pipeline/funnel?by=park")
    assert page.status_code == 200, page.text
    assert 'data-chart="funnel"' in page.text and 'data-chart="stage-days"' in page.text
    data = re.search(r'<script type="application/json" id="pipeline-funnel-data">(.*?)</script>', page.text)
    assert data and json.loads(data.group(1))["stages"][0] == "线索"
    assert 'id="conversion-table"' in page.text and 'data-group="park"' in page.text
    assert pc["leader"].get("/pipeline/funnel?by=nonsense").status_code == 400  # names the choices
    assert 'href="/pipeline/funnel"' in pc["investor"].get("/pipeline").text
    r = pc["leader"].get("/api/v1/pipeline/funnel/conversion?by=owner&format=xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None and ws.max_row >= 3
    assert pc["firm"].get("/pipeline/funnel").status_code == 403
    assert pc["firm"].get("/api/v1/pipeline/funnel/stages").status_code == 403


def test_from_candidates_api(pc: dict[str, TestClient]) -> None:  # noqa: F811
    inv = pc["investor"]
    body = {
        "park_id": "wutong",
        "candidates": [
            {
                "uscc": A,
                "name": "接口甲光电有限公司",
                "gap": "intelligent-sensors/optical-image-sensors",
                "score": 0.6,
            },
            {"uscc": "bad", "name": "接口乙公司"},
        ],
    }
    r = inv.post("/api/v1/pipeline/projects/from-candidates", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [o["status"] for o in out["outcomes"]] == ["invalid", "created"] or [
        o["status"] for o in out["outcomes"]
    ] == ["created", "invalid"]
    made = next(o for o in out["outcomes"] if o["status"] == "created")["project"]
    assert (made["origin"], made["stage"], made["owner"], made["park_id"]) == (
        "targeting",
        "线索",
        "investor",
        "wutong",
    )
    assert made["chain_node"] == "intelligent-sensors/optical-image-sensors"
    again = inv.post("/api/v1/pipeline/projects/from-candidates", json=body).json()
    assert next(o for o in again["outcomes"] if o["uscc"] == A)["status"] == "already"
    # a park officer for its own park only; leaders and firms not at all
    own = {"park_id": "wutong", "candidates": [{"uscc": B, "name": "接口丙公司"}]}
    assert pc["parkofficer"].post("/api/v1/pipeline/projects/from-candidates", json=own).status_code == 200
    other = {"park_id": "shifo", "candidates": [{"name": "接口丁公司"}]}
    assert pc["parkofficer"].post("/api/v1/pipeline/projects/from-candidates", json=other).status_code == 403
    assert pc["leader"].post("/api/v1/pipeline/projects/from-candidates", json=other).status_code == 403
    assert pc["firm"].post("/api/v1/pipeline/projects/from-candidates", json=other).status_code == 403
    no_token = inv.post("/api/v1/pipeline/projects/from-candidates", json=own, headers={"X-CSRF-Token": ""})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf_failed"
    bad_park = {"park_id": "moon", "candidates": [{"name": "接口戊公司"}]}
    assert inv.post("/api/v1/pipeline/projects/from-candidates", json=bad_park).status_code == 400
    assert (
        inv.post(
            "/api/v1/pipeline/projects/from-candidates", json={"park_id": "wutong", "candidates": []}
        ).status_code
        == 422
    )
    audit = pc["admin"].get("/api/v1/pipeline/projects").json()
    assert any(r["name"] == "接口甲光电有限公司" for r in audit["rows"])
