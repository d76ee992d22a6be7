"""What a QA pass found on the pipeline's pages and API: duplicates inside one hand-off request,
moving a park officer's project to another park, park filters by name and in any case (unknown
ones refused), names instead of codes, percentages on the funnel page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.test_pipeline import papp, pc  # noqa: F401  (fixtures)

A = "91110000600037341L"
B = "91350503MA31DKY80A"
Clients = dict[str, TestClient]


def test_duplicates_in_one_request_get_one_outcome_each(pc: Clients) -> None:  # noqa: F811
    body = {
        "park_id": "wutong",
        "candidates": [
            {"uscc": A, "name": "重复甲光电有限公司"},
            {"uscc": A, "name": "重复甲光电有限公司"},
            {"name": "郑州重复乙传感有限公司"},
            {"name": "重复乙传感有限公司"},
        ],
    }
    r = pc["investor"].post("/api/v1/pipeline/projects/from-candidates", json=body)
    assert r.status_code == 200, r.text
    out = r.json()["outcomes"]
    assert [o["status"] for o in out] == ["created", "already", "created", "needs_confirm"]
    assert out[1]["existing_project_id"] == out[0]["project"]["id"]
    assert r.json()["created"] == 2


def test_a_park_move_needs_a_hand_over_first(pc: Clients) -> None:  # noqa: F811
    r = pc["parkofficer"].post(
        "/api/v1/pipeline/projects", json={"name": "迁园区测试公司", "park_id": "wutong", "origin": "event"}
    )
    assert r.status_code == 201, r.text
    p = r.json()["project"]
    assert p["owner"] == "parkofficer"
    moved = pc["admin"].patch(
        f"/api/v1/pipeline/projects/{p['id']}", json={"park_id": "shifo", "expected_version": p["version"]}
    )
    assert moved.status_code == 400 and "请先交接" in moved.json()["error"]["message"], moved.text
    assert pc["parkofficer"].get(f"/api/v1/pipeline/projects/{p['id']}").status_code == 200
    h = pc["admin"].post(
        f"/api/v1/pipeline/projects/{p['id']}/handover",
        json={"to_owner": "investor", "expected_version": p["version"], "reason": "转石佛"},
    )
    assert h.status_code == 200, h.text
    moved = pc["admin"].patch(
        f"/api/v1/pipeline/projects/{p['id']}", json={"park_id": "石佛", "expected_version": p["version"] + 1}
    )
    assert moved.status_code == 200 and moved.json()["project"]["park_id"] == "shifo", moved.text


def test_park_filters_by_code_in_any_case_or_name_unknown_refused(pc: Clients) -> None:  # noqa: F811
    c = pc["investor"]
    c.post("/api/v1/pipeline/projects", json={"name": "过滤测试公司", "park_id": "wutong", "origin": "event"})
    counts = {
        park: len(c.get("/api/v1/pipeline/projects", params={"park": park}).json()["rows"])
        for park in ("wutong", "WUTONG", "梧桐", "梧桐街道")
    }
    assert len(set(counts.values())) == 1 and counts["wutong"] >= 1, counts
    r = c.get("/api/v1/pipeline/projects", params={"park": "mars"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert "mars" in r.json()["error"]["message"] and "wutong" in r.json()["error"]["message"]
    assert c.get("/pipeline", params={"park": "mars"}).status_code == 400
    page = c.get("/pipeline", params={"park": "梧桐"})
    assert page.status_code == 200 and '<option value="wutong" selected>' in page.text


def test_pages_show_names_not_codes(pc: Clients) -> None:  # noqa: F811
    c = pc["investor"]
    c.post(
        "/api/v1/pipeline/projects",
        json={"name": "名称测试公司", "park_id": "fengyang", "origin": "targeting"},
    )
    page = c.get("/pipeline").text
    table = page.split('id="projects-table"', 1)[1]
    cells = re.findall(r'<td class="text">([^<]*)</td>', table)
    assert "枫杨" in cells and "目标清单" in cells and "正常" in cells
    assert not {"fengyang", "targeting", "green", "none", "wutong"} & set(cells)
    api = c.get("/api/v1/pipeline/projects").json()["rows"]
    assert {r["park"] for r in api} >= {"fengyang"} and {r["origin"] for r in api} >= {"targeting"}
    digest = pc["leader"].get("/pipeline/digest", params={"by": "park"}).text
    assert "园区 park 枫杨" in digest and "园区 park fengyang" not in digest


def test_funnel_page_shows_rates_in_percent(pc: Clients) -> None:  # noqa: F811
    c = pc["investor"]
    r = c.post(
        "/api/v1/pipeline/projects", json={"name": "漏斗比例公司", "park_id": "shifo", "origin": "agency"}
    )
    p = r.json()["project"]
    c.post(f"/api/v1/pipeline/projects/{p['id']}/stage", json={"to": "签约", "expected_version": 1})
    table = c.get("/pipeline/funnel").text.split('id="conversion-table"', 1)[1]
    rates = re.findall(r'<td class="pct">([^<]*)</td>', table)
    assert rates and all(re.fullmatch(r"\d+\.\d%", x) for x in rates if x), rates
    rows = c.get("/api/v1/pipeline/funnel/conversion").json()["rows"]
    assert all(r["signed_rate"] is None or r["signed_rate"] <= 1 for r in rows)  # JSON keeps fractions
