"""The project page's forms: edit the promises (万元 parsed exactly to integer fen, the version read
checked — a stale save shows 记录已被他人修改，请刷新 and writes nothing), hand over with history, a
dated note, terminate with a reason; per role, with CSRF; and the same through PATCH."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.test_pipeline import _envelope, papp, pc  # noqa: F401  (fixtures)

Clients = dict[str, TestClient]


def _token(c: TestClient, pid: int) -> tuple[str, int]:
    page = c.get(f"/pipeline/{pid}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    version = re.search(r'id="project-version">(\d+)<', page)
    assert token and version, page[:500]
    return token.group(1), int(version.group(1))


def _new(c: TestClient, name: str, park: str = "shifo") -> int:
    r = c.post("/api/v1/pipeline/projects", json={"name": name, "park_id": park, "origin": "referral"})
    assert r.status_code == 201, r.text
    return int(r.json()["project"]["id"])


def _get(c: TestClient, pid: int) -> dict[str, object]:
    return c.get(f"/api/v1/pipeline/projects/{pid}").json()  # type: ignore[no-any-return]


def _edit(c: TestClient, pid: int, token: str, version: int, **fields: str) -> object:
    data = {"csrf_token": token, "expected_version": str(version), "park_id": fields.pop("park_id", "shifo")}
    return c.post(f"/pipeline/{pid}/edit", data={**data, **fields}, follow_redirects=False)


def test_investor_edits_the_promises_exactly(pc: Clients) -> None:  # noqa: F811
    inv = pc["investor"]
    pid = _new(inv, "表单承诺甲公司")
    page = inv.get(f"/pipeline/{pid}").text
    assert 'id="edit-form"' in page and 'id="handover-form"' in page and 'id="note-form"' in page
    assert 'id="terminate-form"' in page
    token, version = _token(inv, pid)
    r = _edit(
        inv,
        pid,
        token,
        version,
        promised_investment="1,234.56",
        promised_output="0.000001",
        promised_tax="12.5万",
        promised_jobs="50",
        chain_node="intelligent-sensors/mems",
        notes="首批意向",
    )
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    p = _get(inv, pid)["project"]
    assert isinstance(p, dict)
    assert p["promised_investment_fen"] == 1_234_560_000  # 1,234.56 万元, exactly
    assert p["promised_output_fen"] == 1  # 0.000001 万元 = 1 分
    assert p["promised_tax_fen"] == 12_500_000  # 12.5 万元 = 125,000 元
    assert (p["promised_jobs"], p["chain_node"], p["notes"], p["version"]) == (
        50,
        "intelligent-sensors/mems",
        "首批意向",
        version + 1,
    )
    page = inv.get(f"/pipeline/{pid}").text
    assert 'value="1234.56"' in page and 'value="0.000001"' in page and 'value="12.5"' in page
    assert 'id="promised-investment">1,234.56<' in page
    # finer than a fen, or not a number: refused with the reason, nothing written
    token, version = _token(inv, pid)
    bad = _edit(inv, pid, token, version, promised_investment="0.0000001")
    assert bad.status_code == 400 and "精确到分以下" in bad.text  # type: ignore[attr-defined]
    bad = _edit(inv, pid, token, version, promised_investment="五百")
    assert bad.status_code == 400 and "不是数字" in bad.text  # type: ignore[attr-defined]
    assert _get(inv, pid)["project"]["version"] == version  # type: ignore[index]
    # a unit of its own is read as the Excel import reads it: 500元, 1.2亿, 1200万
    good = _edit(inv, pid, token, version, promised_investment="500元", promised_output="1.2亿")
    assert good.status_code == 303  # type: ignore[attr-defined]
    p = _get(inv, pid)["project"]
    assert isinstance(p, dict)
    assert (p["promised_investment_fen"], p["promised_output_fen"]) == (50_000, 12_000_000_000)
    version = int(p["version"])
    audit = pc["admin"].get("/api/v1/audit", params={"action": "project.update"})
    assert audit.status_code == 200 and f"project:{pid}" in audit.text


def test_a_stale_save_never_overwrites(pc: Clients) -> None:  # noqa: F811
    inv, admin = pc["investor"], pc["admin"]
    pid = _new(inv, "表单并发乙公司")
    token, version = _token(inv, pid)
    # the admin saves first (through the API), the officer's form still carries the old version
    r = admin.patch(
        f"/api/v1/pipeline/projects/{pid}", json={"expected_version": version, "promised_jobs": 7}
    )
    assert r.status_code == 200
    stale = _edit(inv, pid, token, version, promised_jobs="99", notes="覆盖?")
    assert stale.status_code == 409  # type: ignore[attr-defined]
    assert "记录已被他人修改，请刷新" in stale.text  # type: ignore[attr-defined]
    p = _get(inv, pid)["project"]
    assert isinstance(p, dict) and (p["promised_jobs"], p["notes"], p["version"]) == (7, "", version + 1)
    _envelope(
        inv.patch(f"/api/v1/pipeline/projects/{pid}", json={"expected_version": version, "notes": "x"}),
        409,
        "conflict",
    )


def test_who_may_edit(pc: Clients) -> None:  # noqa: F811
    inv = pc["investor"]
    shifo, wutong = _new(inv, "表单角色丙公司", "shifo"), _new(inv, "表单角色丁公司", "wutong")
    # an admin may edit an investment officer's project (admins and investment officers write any)
    token, version = _token(pc["admin"], shifo)
    assert _edit(pc["admin"], shifo, token, version, promised_jobs="3").status_code == 303  # type: ignore[attr-defined]
    # a park officer: its own park's projects, even another officer's; never another park's
    token, version = _token(pc["parkofficer"], wutong)
    ok = _edit(pc["parkofficer"], wutong, token, version, park_id="wutong", promised_jobs="4")
    assert ok.status_code == 303  # type: ignore[attr-defined]
    page = pc["parkofficer"].get(f"/pipeline/{shifo}").text
    assert 'id="edit-form"' not in page
    token, version = _token(pc["parkofficer"], shifo)
    assert _edit(pc["parkofficer"], shifo, token, version, promised_jobs="5").status_code == 403  # type: ignore[attr-defined]
    # nor move a project of its park into another park
    token, version = _token(pc["parkofficer"], wutong)
    assert _edit(pc["parkofficer"], wutong, token, version, park_id="shifo").status_code == 403  # type: ignore[attr-defined]
    # leaders read only: no forms, and a post is refused
    page = pc["leader"].get(f"/pipeline/{shifo}").text
    for form in ("stage-form", "edit-form", "handover-form", "note-form", "terminate-form"):
        assert f'id="{form}"' not in page, form
    token, version = _token(pc["leader"], shifo)
    assert _edit(pc["leader"], shifo, token, version, promised_jobs="6").status_code == 403  # type: ignore[attr-defined]
    _envelope(
        pc["leader"].patch(f"/api/v1/pipeline/projects/{shifo}", json={"expected_version": 2, "notes": "x"}),
        403,
        "forbidden",
    )
    # enterprise users do not see the pipeline at all
    assert pc["firm"].get(f"/pipeline/{shifo}").status_code == 403
    _envelope(
        pc["firm"].patch(f"/api/v1/pipeline/projects/{shifo}", json={"expected_version": 2, "notes": "x"}),
        403,
        "forbidden",
    )
    assert _get(inv, shifo)["project"]["promised_jobs"] == 3  # type: ignore[index]


def test_csrf_is_required_on_the_forms(pc: Clients) -> None:  # noqa: F811
    inv = pc["investor"]
    pid = _new(inv, "表单令牌戊公司")
    _, version = _token(inv, pid)
    c = TestClient(inv.app)
    c.cookies.update(inv.cookies)
    for path, data in (
        ("edit", {"expected_version": str(version), "park_id": "shifo", "promised_jobs": "1"}),
        ("handover", {"expected_version": str(version), "to_owner": "admin"}),
        ("notes", {"text": "无令牌"}),
        ("stage", {"expected_version": str(version), "to": "终止", "reason": "x"}),
    ):
        r = c.post(f"/pipeline/{pid}/{path}", data=data, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    c.close()
    _envelope(
        inv.patch(
            f"/api/v1/pipeline/projects/{pid}",
            json={"expected_version": version, "notes": "x"},
            headers={"X-CSRF-Token": ""},
        ),
        403,
        "csrf_failed",
    )
    assert _get(inv, pid)["project"]["version"] == version  # type: ignore[index]


def test_hand_over_note_and_terminate(pc: Clients) -> None:  # noqa: F811
    inv = pc["investor"]
    pid = _new(inv, "表单交接己公司", "wutong")
    page = inv.get(f"/pipeline/{pid}").text
    owners = re.findall(r'<select name="to_owner"[^>]*>(.*?)</select>', page, re.S)[0]
    # admins and park officers of the project's park; never leaders, firms or the owner itself
    assert 'value="parkofficer"' in owners and 'value="admin"' in owners
    assert (
        'value="leader"' not in owners and 'value="firm"' not in owners and 'value="investor"' not in owners
    )
    token, version = _token(inv, pid)
    r = inv.post(
        f"/pipeline/{pid}/handover",
        data={
            "csrf_token": token,
            "expected_version": version,
            "to_owner": "parkofficer",
            "reason": "属地跟进",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = inv.get(f"/pipeline/{pid}").text
    assert 'id="project-owner">parkofficer<' in page
    history = page.split('id="handover-history"', 1)[1].split("</section>", 1)[0]
    assert 'data-to="parkofficer"' in history and "investor" in history and "属地跟进" in history
    events = _get(inv, pid)["events"]
    assert isinstance(events, list) and events[-1]["kind"] == "handover"
    assert events[-1]["detail"]["after"]["owner"] == "parkofficer" and events[-1]["text"] == "属地跟进"
    # a stale hand-over and an owner who may not own it are refused, nothing written
    stale = inv.post(
        f"/pipeline/{pid}/handover",
        data={"csrf_token": token, "expected_version": version, "to_owner": "admin"},
        follow_redirects=False,
    )
    assert stale.status_code == 409 and "记录已被他人修改，请刷新" in stale.text
    token, version = _token(inv, pid)
    bad = inv.post(
        f"/pipeline/{pid}/handover",
        data={"csrf_token": token, "expected_version": version, "to_owner": "leader"},
        follow_redirects=False,
    )
    assert bad.status_code == 400 and "不能负责项目" in bad.text
    # a dated note, then terminate with a reason (a reason is required)
    r = inv.post(
        f"/pipeline/{pid}/notes",
        data={"csrf_token": token, "text": "上门拜访", "on": "2026-01-05"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    note = [e for e in _get(inv, pid)["events"] if e["kind"] == "note"]  # type: ignore[union-attr]
    assert note[-1]["text"] == "上门拜访" and note[-1]["at"].startswith("2026-01-05")
    future = inv.post(f"/pipeline/{pid}/notes", data={"csrf_token": token, "text": "x", "on": "2999-01-01"})
    assert future.status_code == 400
    empty = inv.post(
        f"/pipeline/{pid}/stage", data={"csrf_token": token, "expected_version": version, "to": "终止"}
    )
    assert empty.status_code == 400
    r = inv.post(
        f"/pipeline/{pid}/stage",
        data={"csrf_token": token, "expected_version": version, "to": "终止", "reason": "企业外迁"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    p = _get(inv, pid)["project"]
    assert isinstance(p, dict) and (p["stage"], p["terminated_reason"]) == ("终止", "企业外迁")
    assert 'id="terminate-form"' not in inv.get(f"/pipeline/{pid}").text
    # the note API takes a day too, never a future one
    r = inv.post(f"/api/v1/pipeline/projects/{pid}/notes", json={"text": "电话", "on": "2026-01-06"})
    assert r.status_code == 201 and r.json()["at"].startswith("2026-01-06")
    _envelope(
        inv.post(f"/api/v1/pipeline/projects/{pid}/notes", json={"text": "电话", "on": "2999-01-06"}),
        400,
        "invalid_input",
    )
