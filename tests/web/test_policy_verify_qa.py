"""The 待核实 queue (/policy/verify) after the tester's pass: the export asks only for what is still
open (F4); a new batch does not ask again, a cancelled batch's untouched requests leave the queue
(F5); the park by its name (F7); policy and clause by name, columns labelled as what they hold
(F8); statuses named in a 422 (F11); a refused step shown on the queue page (F12)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._undetermined import with_undetermined
from tests.web.conftest import USERS, Demo, api_error, api_ok, logged_in, login, private_app, run_now
from zonebrain.appstore import Role

QUEUE = "/api/v1/policy/verification"
ALL_STATUSES = "待联系 (open)、已通知 (requested)、已提交 (answered)、已办结 (closed)"


@pytest.fixture(scope="module")
def verify_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    zone = with_undetermined(demo, tmp_path_factory)  # firms with 待核实 results
    with private_app(zone, tmp_path_factory, "verifyqa", {"gzofficer": (Role.PARK_OFFICER, "gouzhao")}) as a:
        yield a


@pytest.fixture(scope="module")
def users(verify_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(verify_app, [*USERS, "gzofficer"]) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    """A recorded run with a batch built from it: its 待核实 results are in the queue."""
    run = str(run_now(users["researcher"])["run_id"])
    api_ok(users["researcher"].post("/api/v1/policy/batches", json={"run_id": run}), 201)
    return run


def _rows(c: TestClient, query: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api_ok(c.get(f"{QUEUE}?size=500{query}"))["rows"]
    assert rows
    return rows


def _move(c: TestClient, r: dict[str, Any], status: str, note: str = "") -> dict[str, Any]:
    body = {"status": status, "expected_version": r["version"], "note": note}
    moved: dict[str, Any] = api_ok(c.post(f"{QUEUE}/{r['id']}", json=body))
    return {**r, **moved}


def _step(c: TestClient, r: dict[str, Any], status: str) -> Any:
    """*c* moving request *r* (as last read) to *status* over the API, the response as it is."""
    return c.post(f"{QUEUE}/{r['id']}", json={"status": status, "expected_version": r["version"]})


def _sheet(content: bytes, name: str) -> list[list[Any]]:
    ws = openpyxl.load_workbook(io.BytesIO(content))[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _token(c: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/policy/verify").text)
    assert found
    return found.group(1)


def _form(c: TestClient, request_id: int, status: str, version: int) -> Any:
    data = {"csrf_token": _token(c), "status": status, "expected_version": str(version), "note": ""}
    return c.post(f"/policy/verify/{request_id}", data=data, follow_redirects=False)


def test_the_export_never_asks_for_what_a_firm_provided(run_id: str, users: dict[str, TestClient]) -> None:
    """F4: the whole queue (the page's 全部): a firm whose requests are all closed is asked for
    nothing, and its requests' statuses are shown."""
    admin = users["admin"]
    rows = _rows(admin, "&status=open")
    uscc = rows[0]["uscc"]
    for r in (r for r in rows if r["uscc"] == uscc):
        _move(admin, r, "closed", "企业已提交专项审计报告")
    export = users["leader"].get("/api/v1/policy/verification/export")
    summary = _sheet(export.content, "待核实企业")
    head = summary[0]
    assert head[3:6] == ["需企业提供", "办理状态", "涉及政策条款"]
    (firm,) = [r for r in summary[1:] if r[1] == uscc]
    assert firm[3] == "无 (所列事项均已提交或办结)" and "请提供" not in firm[3]
    assert re.fullmatch(r"已办结 \d+ 项", firm[4]) and "(已办结)" in firm[5] and "(待联系)" not in firm[5]
    asked = [r for r in summary[1:] if r[1] != uscc]
    assert asked and all("请提供" in r[3] and "待联系" in r[4] for r in asked)  # the others still open
    detail = _sheet(export.content, "待核实明细")
    at = detail[0].index("状态")
    assert {r[at] for r in detail[1:] if r[detail[0].index("统一社会信用代码")] == uscc} == {"已办结"}
    # the enterprise's own page reads the same: no 请补充 for a closed request
    page = admin.get("/policy/verify?status=closed").text
    assert "企业已提交专项审计报告" in page and "已办结，无需再提供" in page
    closed_rows = page.split('id="verify-table"', 1)[1]
    assert "请补充" not in closed_rows


def test_a_new_batch_does_not_ask_again(run_id: str, users: dict[str, TestClient]) -> None:
    """F5 over the API: a request closed, the batch cancelled, a new batch built from the same
    run: no second request for that key; the cancelled batch's untouched requests left the queue
    (and come back once, with the new batch)."""
    researcher, admin = users["researcher"], users["admin"]
    batch = api_ok(researcher.get("/api/v1/policy/batches?status=draft"))["rows"][0]
    before = _rows(admin)
    done = _move(admin, next(r for r in before if r["status"] == "open"), "closed", "企业已提交专项审计报告")
    untouched = {r["id"] for r in before if r["status"] == "open" and r["id"] != done["id"]}
    assert untouched
    body = {"reason": "测算参数有误", "expected_version": batch["version"]}
    api_ok(researcher.post(f"/api/v1/policy/batches/{batch['id']}/cancel", json=body))
    after_cancel = {r["id"] for r in _rows(admin)}
    assert not untouched & after_cancel and done["id"] in after_cancel
    api_ok(researcher.post("/api/v1/policy/batches", json={"run_id": run_id}), 201)
    after = _rows(admin)
    keys = [(r["uscc"], r["policy_id"], r["clause_id"], r["period"]) for r in after]
    assert len(keys) == len(set(keys)) == len(before)  # one request per key, none opened again
    again = next(r for r in after if r["id"] == done["id"])
    assert again["status"] == "closed" and again["note"] == "企业已提交专项审计报告"
    assert not untouched & {r["id"] for r in after}  # new requests, new ids: a stale form cannot hit them
    # a form still showing a cancelled request is refused on the page
    gone = min(untouched)
    r = _form(admin, gone, "requested", 1)
    assert r.status_code == 409 and "作废" in r.text and 'id="verify-error"' in r.text


def test_the_park_is_named(run_id: str, verify_app: FastAPI, users: dict[str, TestClient]) -> None:
    """F7: 梧桐, not wutong, in both languages."""
    page = users["parkofficer"].get("/policy/verify").text
    assert "本园区 (梧桐)" in page and "(wutong)" not in page
    c = TestClient(verify_app)  # no `with`: the app has started already
    try:
        login(c, "parkofficer")
        c.cookies.set("zb_lang", "en")
        page = c.get("/policy/verify").text
    finally:
        c.close()
    assert "(Wutong)" in page and "(wutong)" not in page


def test_policy_and_clause_by_name_and_columns_labelled(run_id: str, users: dict[str, TestClient]) -> None:
    """F8: the clause column reads 第一条 and the clause's title, not its code; the JSON and Excel
    name policy_name 政策名称, policy_id 政策代码, status 状态代码."""
    leader = users["leader"]
    table = api_ok(leader.get(f"{QUEUE}?size=500"))
    labels = {c["key"]: c["label"] for c in table["columns"]}
    assert labels["policy_name"] == "政策名称" and labels["policy_id"] == "政策代码"
    assert labels["status"] == "状态代码" and labels["status_text"] == "状态"
    assert labels["clause_title"] == "条款名称" and labels["clause_id"] == "条款代码"
    r = table["rows"][0]
    assert r["clause_title"] and r["clause_ref"] and r["policy_name"] != r["policy_id"]
    page = leader.get("/policy/verify?status=").text
    row = page.split(f'id="request-{r["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert html.escape(f"{r['clause_ref']} {r['clause_title']}") in row and r["policy_name"] in row
    assert f">{r['clause_id']}<" not in row and "条款代码" not in page
    ws = openpyxl.load_workbook(io.BytesIO(leader.get(f"{QUEUE}?format=xlsx").content)).active
    assert ws is not None
    head = [c.value for c in ws[2]]  # under the title
    assert {"政策名称", "政策代码", "条款名称", "状态", "状态代码"} <= set(head)
    assert "名称" not in head and "结果代码" not in head


def test_a_bad_status_is_named_in_chinese(run_id: str, users: dict[str, TestClient]) -> None:
    """F11: the statuses by name, their codes after, 、 between every two."""
    c = users["leader"]
    for url in (f"{QUEUE}?status=done", "/api/v1/policy/verification/export?status=done"):
        msg = api_error(c.get(url), 422, "validation_error")
        assert msg.startswith(
            f"请求参数不合规：状态 (status) 须为 {ALL_STATUSES} 之一 (status must be one of "
        ), msg
    page = c.get("/policy/verify?status=done")
    assert page.status_code == 422 and ALL_STATUSES in page.text
    r = _rows(users["admin"])[0]
    form = _form(users["admin"], r["id"], "open", r["version"])
    steps = "已通知 (requested)、已提交 (answered)、已办结 (closed)"
    assert form.status_code == 422 and f"状态 (status) 须为 {steps} 之一" in form.text
    # the API's body takes codes or labels and names both alike, with 、 all the way
    body = {"status": "open", "expected_version": r["version"]}
    msg = api_error(users["admin"].post(f"{QUEUE}/{r['id']}", json=body), 422, "validation_error")
    assert msg.startswith(f"请求参数不合规：状态 (status) 须为 {steps} 之一 (status must be one of "), msg


def test_a_refused_step_is_shown_on_the_queue(run_id: str, users: dict[str, TestClient]) -> None:
    """F12: 409 (stale), 400 (backwards), 403 (another park) on the queue page, with the message
    and the request's row as it is now; the API keeps its JSON errors."""
    gz = users["gzofficer"]
    r = next(r for r in _rows(gz) if r["status"] == "open")
    moved = _move(gz, r, "requested")
    stale = _form(gz, r["id"], "answered", r["version"])
    assert stale.status_code == 409
    assert 'id="verify-error"' in stale.text and "已被他人修改" in stale.text
    assert f"待核实事项 #{r['id']} 未能更新" in stale.text and 'id="verify-table"' in stale.text
    row = stale.text.split(f'id="request-{r["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert f'name="expected_version" value="{moved["version"]}"' in row  # retry from here
    assert "error-page" not in stale.text  # the queue, not the bare error page
    answered = _move(gz, moved, "answered")
    back = _form(gz, r["id"], "requested", answered["version"])
    assert back.status_code == 400 and 'id="verify-error"' in back.text and "不能改为已通知" in back.text
    other = _form(users["parkofficer"], r["id"], "closed", answered["version"])
    assert other.status_code == 403 and 'id="verify-error"' in other.text and "其他园区" in other.text
    assert 'id="verify-table"' in other.text and f'id="request-{r["id"]}"' not in other.text  # not theirs
    api_error(
        gz.post(f"{QUEUE}/{r['id']}", json={"status": "closed", "expected_version": 1}), 409, "conflict"
    )
    ok = _form(gz, r["id"], "closed", answered["version"])
    assert ok.status_code == 303 and ok.headers["location"] == "/policy/verify?status="


def test_an_enterprise_says_it_has_submitted(
    run_id: str, verify_app: FastAPI, users: dict[str, TestClient]
) -> None:
    """QA: the queue asked an enterprise for documents and gave it no way to say it had sent them
    (403). Its user now moves its own asking request to 企业已提交 with a note, on the page and
    over the API, and nothing else: not another firm's, not to 已办结, not twice."""
    admin = users["admin"]
    every = _rows(admin)
    mine = next(r for r in every if r["status"] in ("open", "requested"))
    other = next(r for r in every if r["uscc"] != mine["uscc"])
    body = {
        "username": "qfirm",
        "password": "a-long-password-1",
        "role": "enterprise_user",
        "uscc": mine["uscc"],
    }
    api_ok(admin.post("/api/v1/users", json=body), 201)
    with TestClient(verify_app) as firm:
        login(firm, "qfirm", "a-long-password-1")
        page = firm.get("/policy/verify").text
        own = page.split(f'id="request-{mine["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert 'value="answered"' in own and 'value="closed"' not in own  # its one step, offered
        # another firm's request answers as a request that does not exist (QA: 403 against 404
        # told a firm which request ids exist)
        hidden = _step(firm, other, "answered")
        msg = api_error(hidden, 404, "not_found")
        assert msg == f"没有待核实事项 #{other['id']} (no such verification request)"
        gone = api_error(_step(firm, {**other, "id": 10**6}, "answered"), 404, "not_found")
        assert gone == msg.replace(f"#{other['id']}", f"#{10**6}")
        msg = api_error(_step(firm, mine, "closed"), 403, "forbidden")
        assert "企业只能告知已提交材料" in msg
        r = firm.post(
            f"/policy/verify/{mine['id']}",
            data={
                "csrf_token": _token(firm),
                "status": "answered",
                "expected_version": str(mine["version"]),
                "note": "已邮件报送研发费用专项审计报告",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        now = next(r for r in _rows(admin) if r["id"] == mine["id"])
        assert now["status"] == "answered" and "已邮件报送研发费用专项审计报告" in now["note"]
        msg = api_error(_step(firm, now, "answered"), 400, "invalid_input")
        assert "已是" in msg  # once answered, nothing more to say
    audit = api_ok(admin.get("/api/v1/audit?action=verification.update"))["rows"]
    assert any(a["target"] == f"verification:{mine['id']}" and a["username"] == "qfirm" for a in audit), (
        audit[:3]
    )
