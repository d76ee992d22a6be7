"""The internal auditor's control findings, over the web (A–F): a batch of an older run needs a
reason; refusals by scope and refused exports are audited; the batch page offers no resolve form to
the creator or the recorder, no approve form to whoever closed the 公示 early; data imported since
the run is named on the batch page and must be acknowledged to approve or pay."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, api_ok, logged_in, private_app, run_now
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_today
from zonebrain.web._context import WebContext

EXTRA = {"leader2": Role.LEADER}
"""Closes the 公示 early (so may not approve it)."""
FILE = "2024年财务数据-补报.xlsx"


@pytest.fixture(scope="module")
def audit_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "payoutaudit", {n: (r, None) for n, r in EXTRA.items()}) as a:
        yield a


@pytest.fixture(scope="module")
def users(audit_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(audit_app, [*USERS, *EXTRA]) as out:
        yield out


def _audit(app: FastAPI, action: str) -> list[Any]:
    ctx: WebContext = app.state.zonebrain
    return ctx.store.audit.entries(action=action)


def _token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


@pytest.fixture(scope="module")
def batch(users: dict[str, TestClient], audit_app: FastAPI) -> dict[str, Any]:
    """A batch of an older run (with its reason), reviewed and in 公示 for a week."""
    researcher, admin = users["researcher"], users["admin"]
    old, new = run_now(researcher)["run_id"], run_now(researcher)["run_id"]
    msg = api_error(researcher.post("/api/v1/policy/batches", json={"run_id": old}), 409, "conflict")
    assert f"运行 {old} 不是本年度最新的测算: 之后还有运行 {new}" in msg and "older_run_reason" in msg
    assert _audit(audit_app, "disbursement.create")[0].outcome == "refused"
    body = {"run_id": old, "older_run_reason": "新运行尚未复核"}
    b = api_ok(researcher.post("/api/v1/policy/batches", json=body), 201)["batch"]
    created = _audit(audit_app, "disbursement.create")[0]
    assert created.outcome == "ok" and created.detail["older_run_reason"] == "新运行尚未复核"
    b = api_ok(
        admin.post(f"/api/v1/policy/batches/{b['id']}/review", json={"expected_version": b["version"]})
    )
    today = beijing_today()
    days = {"start": today.isoformat(), "end": (today + dt.timedelta(days=6)).isoformat()}
    short = {**days, "end": days["start"], "expected_version": b["batch"]["version"]}
    msg = api_error(researcher.post(f"/api/v1/policy/batches/{b['batch']['id']}/publicize", json=short), 400,
                    "invalid_input")  # fmt: skip
    assert "短于最短公示期 5 天" in msg and "ZONEBRAIN_PUBLICITY_MIN_DAYS" in msg
    page = researcher.get(f"/policy/batches/{b['batch']['id']}").text
    assert 'id="min-publicity"' in page and "最短公示 5 天" in page
    body = {**days, "expected_version": b["batch"]["version"]}
    b = api_ok(researcher.post(f"/api/v1/policy/batches/{b['batch']['id']}/publicize", json=body))["batch"]
    items = api_ok(admin.get(f"/api/v1/policy/batches/{b['id']}/items?size=500"))["rows"]
    return {"id": b["id"], "run_id": old, "items": items}


def test_refusals_by_scope_are_audited(
    users: dict[str, TestClient], audit_app: FastAPI, batch: dict[str, Any], demo: Demo
) -> None:
    """Audit: another park's or firm's item was refused before the service, and left no trace."""
    other = next(r for r in batch["items"] if r["park"] != "梧桐" and r["uscc"] != demo.own_firm)
    objection = {"text": "该企业已迁出", "raised_by": "匿名"}
    # an enterprise user is answered as for a missing item (no item-id oracle), audited all the same
    for name, status, code in (("parkofficer", 403, "forbidden"), ("firm", 404, "not_found")):
        msg = api_error(users[name].post(f"/api/v1/policy/items/{other['id']}/objections", json=objection),
                        status, code)  # fmt: skip
        denied = _audit(audit_app, "disbursement.object")[0]
        assert (denied.outcome, denied.username, denied.target) == ("denied", name, f"item:{other['id']}")
        if name == "parkofficer":
            assert denied.detail == {"reason": msg}
        else:
            assert denied.detail["reason"].startswith("企业用户无权对其他企业的名单项提出异议: 名单项")
            assert msg.startswith(f"没有名单项 #{other['id']} (no such item)")


def test_refused_exports_are_audited(
    users: dict[str, TestClient], audit_app: FastAPI, batch: dict[str, Any]
) -> None:
    """Audit: an enterprise user's refused downloads of the lists were not audited."""
    bid, firm = batch["id"], users["firm"]
    for path, target in (
        (f"/api/v1/policy/batches/{bid}/publicity?format=xlsx", f"batch:{bid}"),
        (f"/api/v1/policy/batches/{bid}/notify", f"batch:{bid}"),
        (f"/api/v1/policy/batches/{bid}/items?format=xlsx", f"batch:{bid}"),
        ("/api/v1/policy/batches?format=xlsx", "batches"),
    ):
        msg = api_error(firm.get(path), 403, "forbidden")
        assert "企业用户无权导出兑现名单" in msg, path
        denied = _audit(audit_app, "disbursement.export")[0]
        assert (denied.outcome, denied.username, denied.target) == ("denied", "firm", target), path
        assert denied.detail["reason"].startswith("企业用户无权导出兑现名单"), path


def test_the_page_keeps_the_four_eyes_on_objections_and_the_early_close(
    users: dict[str, TestClient], audit_app: FastAPI, batch: dict[str, Any]
) -> None:
    bid = batch["id"]
    item = next(r for r in batch["items"] if r["status"] == "listed")
    body = {"text": "金额有误", "raised_by": "匿名", "raised_by_role": "群众"}
    o = api_ok(users["admin"].post(f"/api/v1/policy/items/{item['id']}/objections", json=body), 201)
    page = f"/policy/batches/{bid}"
    assert "resolve-form" not in users["researcher"].get(page).text  # built the batch
    assert "resolve-form" not in users["admin"].get(page).text  # recorded the objection
    assert "resolve-form" in users["leader"].get(page).text
    resolve = {"upheld": False, "note": "无误"}
    msg = api_error(users["admin"].post(f"/api/v1/policy/objections/{o['id']}/resolve", json=resolve), 403,
                    "forbidden")  # fmt: skip
    assert "异议处理人不能是登记该异议的人" in msg
    row = _audit(audit_app, "disbursement.object")[0].detail
    assert (row["text"], row["raised_by"], row["raised_by_role"]) == ("金额有误", "匿名", "群众")
    api_ok(users["leader"].post(f"/api/v1/policy/objections/{o['id']}/resolve", json=resolve))
    assert _audit(audit_app, "disbursement.resolve")[0].detail["note"] == "无误"
    version = api_ok(users["leader"].get(f"/api/v1/policy/batches/{bid}"))["batch"]["version"]
    close = {"expected_version": version, "reason": "会议决定"}
    api_ok(users["leader2"].post(f"/api/v1/policy/batches/{bid}/close-publicity", json=close))
    assert 'id="approve-form"' not in users["leader2"].get(page).text  # closed it early
    assert 'id="approve-form"' in users["leader"].get(page).text


def test_data_imported_since_the_run_is_named_and_acknowledged(
    users: dict[str, TestClient], audit_app: FastAPI, batch: dict[str, Any]
) -> None:
    """Audit: finance data imported after the run was not mentioned at approval or payment."""
    bid, leader, researcher = batch["id"], users["leader"], users["researcher"]
    page = f"/policy/batches/{bid}"
    assert 'id="data-changes"' not in leader.get(page).text
    ctx: WebContext = audit_app.state.zonebrain
    at = dt.datetime(2025, 4, 2, 2, 30)
    row = {
        "batch_id": "after-the-run", "kind": "finance", "file_name": FILE, "file_sha256": "0" * 64,
        "source": "财政局", "rows_in": 37, "rows_loaded": 37, "rows_rejected": 0, "inserted": 0, "updated": 37,
        "unchanged": 0, "conflicts": 0, "started_at": at, "finished_at": at,
    }  # fmt: skip
    with ctx.pool.writer() as wh, wh.transaction():
        wh.append("import_batches", pa.table({k: [v] for k, v in row.items()}))
    text = leader.get(page).text
    warning = text[text.index('id="data-changes"') : text.index('id="batch-status"')]
    assert f"{FILE} (finance，2025-04-02 10:30 北京时间，37 行)" in warning
    assert 'id="approve-acknowledge"' in text
    version = api_ok(leader.get(f"/api/v1/policy/batches/{bid}"))["batch"]["version"]
    msg = api_error(leader.post(f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": version}), 409,
                    "conflict")  # fmt: skip
    assert FILE in msg and "acknowledge_data_changes" in msg
    assert _audit(audit_app, "disbursement.approve")[0].outcome == "refused"
    body = {"expected_version": version, "acknowledge_data_changes": True}
    api_ok(leader.post(f"/api/v1/policy/batches/{bid}/approve", json=body))
    ok = _audit(audit_app, "disbursement.approve")[0]
    assert ok.outcome == "ok" and ok.detail["acknowledge_data_changes"] is True
    assert [i["file"] for i in ok.detail["imports_after_run"]] == [FILE]
    # the pay form: refused without the box ticked, paid with it
    assert 'id="pay-acknowledge"' in researcher.get(page).text
    token = _token(researcher, page)
    r = researcher.post(f"{page}/pay", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 409 and FILE in r.text
    r = researcher.post(f"{page}/pay", data={"csrf_token": token, "acknowledge_data_changes": "true"},
                        follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    paid = _audit(audit_app, "disbursement.pay")[0]
    assert paid.outcome == "ok" and paid.detail["acknowledge_data_changes"] is True
    assert 'id="data-changes"' not in researcher.get(page).text  # paid: nothing left to warn of
