"""Cancelling a batch (作废) and reversing a ledger entry (冲正) over HTTP: who may (403 for the others),
a reason is required (422 by the schema, 400 when blank), CSRF on the page forms, the forms shown only
to those allowed, the audit rows, the ledger's flags and totals in JSON, on the page and in Excel."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, api_ok, audit_rows, logged_in, private_app, run_now
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_today
from zonebrain.core.money import display_fen

EXTRA = {"leader2": Role.LEADER, "researcher2": Role.POLICY_RESEARCHER}
"""A second leader (records a payment, so may not reverse it) and a researcher who built nothing."""


@pytest.fixture(scope="module")
def corr_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A private app (runs write to its warehouse) with the two extra users."""
    with private_app(
        demo, tmp_path_factory, "payoutcorrections", {n: (r, None) for n, r in EXTRA.items()}
    ) as a:
        yield a


@pytest.fixture(scope="module")
def users(corr_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(corr_app, [*USERS, *EXTRA]) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    return str(run_now(users["researcher"])["run_id"])


_ok = api_ok
_error = api_error


def _batch(users: dict[str, TestClient], run_id: str) -> dict[str, Any]:
    """A draft batch of the run, built by the researcher (the open batches earlier tests left are
    cancelled first: an award is in one open batch at a time)."""
    for old in _ok(users["admin"].get("/api/v1/policy/batches?size=500"))["rows"]:
        if old["status"] not in ("paid", "cancelled"):
            body = {"reason": "测试: 重新生成", "expected_version": old["version"]}
            _ok(users["admin"].post(f"/api/v1/policy/batches/{old['id']}/cancel", json=body))
    r = users["researcher"].post("/api/v1/policy/batches", json={"run_id": run_id})
    if r.status_code == 409 and "本次测算没有待兑现的奖励" in r.text:
        # every award of the run is paid (a batch with nothing to pay is refused): the admin reverses
        # the oldest live entry (冲正; leader2 paid it), so the run has one award to pay again
        live = [
            e
            for e in _ok(users["admin"].get("/api/v1/policy/ledger?size=500"))["rows"]
            if not e["reversed_at"]
        ]
        oldest = min(live, key=lambda e: e["id"])
        _ok(
            users["admin"].post(
                f"/api/v1/policy/ledger/{oldest['id']}/reverse",
                json={"reason": "测试: 重新兑现", "kind": "error"},
            )
        )
        r = users["researcher"].post("/api/v1/policy/batches", json={"run_id": run_id})
    b: dict[str, Any] = _ok(r, 201)["batch"]
    return b


def _token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


# ---- 作废 -----------------------------------------------------------------------------------------


def test_cancel_over_the_api_per_role(users: dict[str, TestClient], run_id: str) -> None:
    b = _batch(users, run_id)
    url = f"/api/v1/policy/batches/{b['id']}/cancel"
    _error(users["researcher"].post(url, json={"reason": ""}), 422, "validation_error")
    _error(users["researcher"].post(url, json={}), 422, "validation_error")
    msg = _error(users["researcher"].post(url, json={"reason": "   "}), 400, "invalid_input")
    assert "须说明原因" in msg
    for name in ("leader", "parkofficer", "investor", "firm", "researcher2"):  # not admin, not the creator
        _error(users[name].post(url, json={"reason": "不同意"}), 403, "forbidden")
    _error(users["researcher"].post(url, json={"reason": "重算", "expected_version": 99}), 409, "conflict")
    done = _ok(users["researcher"].post(url, json={"reason": "参数有误", "expected_version": b["version"]}))
    c = done["batch"]
    assert (
        c["status"] == "cancelled" and c["cancel_reason"] == "参数有误" and c["cancelled_by"] == "researcher"
    )
    assert c["total_fen"] == 0 and c["cancelled_at"]
    assert "作废" in _error(users["researcher"].post(url, json={"reason": "再来"}), 409, "conflict")
    # the audit: one ok row by the creator, a denied row for each refused attempt
    rows = audit_rows(users["admin"], "disbursement.cancel", f"batch:{b['id']}")
    assert sorted((r["username"], r["outcome"]) for r in rows) == sorted(
        [("researcher", "ok")]
        + [(n, "denied") for n in ("leader", "parkofficer", "investor", "firm", "researcher2")]
    )
    # the list filters by the new status; a new batch of the same run lists the same awards
    listed = _ok(users["leader"].get("/api/v1/policy/batches?status=cancelled"))["rows"]
    assert b["id"] in [r["id"] for r in listed]
    again = _batch(users, run_id)
    assert again["counts"] == b["counts"] and again["total_fen"] == b["total_fen"] > 0


def test_an_admin_cancels_any_unpaid_batch_but_not_a_paid_one(
    users: dict[str, TestClient], run_id: str, paid: dict[str, Any]
) -> None:
    b = _batch(users, run_id)
    done = _ok(users["admin"].post(f"/api/v1/policy/batches/{b['id']}/cancel", json={"reason": "文件修订"}))
    assert done["batch"]["status"] == "cancelled" and done["batch"]["cancelled_by"] == "admin"
    url = f"/api/v1/policy/batches/{paid['batch']}/cancel"
    msg = _error(users["admin"].post(url, json={"reason": "发错了"}), 409, "conflict")
    assert "冲正" in msg


def test_the_cancel_form_is_shown_to_those_allowed_and_needs_csrf(
    users: dict[str, TestClient], run_id: str, corr_app: FastAPI
) -> None:
    b = _batch(users, run_id)
    page = f"/policy/batches/{b['id']}"
    for name, shown in {"researcher": True, "admin": True, "researcher2": False, "leader": False}.items():
        assert ('id="cancel-form"' in users[name].get(page).text) is shown, name
    assert 'id="cancel-form"' not in users["parkofficer"].get(page).text
    bare = TestClient(corr_app)
    bare.cookies.update(users["researcher"].cookies)
    r = bare.post(
        f"{page}/cancel", data={"expected_version": b["version"], "reason": "x"}, follow_redirects=False
    )
    assert r.status_code == 403 and "CSRF" in r.text
    bare.close()
    c = users["researcher"]
    token = _token(c, page)
    form = {"csrf_token": token, "expected_version": str(b["version"])}
    assert c.post(f"{page}/cancel", data=form, follow_redirects=False).status_code == 400  # no reason
    r = c.post(f"{page}/cancel", data={**form, "reason": "页面作废"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == page
    text = c.get(page).text
    assert 'id="cancelled-note"' in text and "页面作废" in text and "已作废" in text
    assert 'id="cancel-form"' not in text and 'id="review-form"' not in text


# ---- 冲正 -----------------------------------------------------------------------------------------


def _paid_batch(users: dict[str, TestClient], run_id: str) -> int:
    """Built by the researcher, reviewed by the admin, its 公示 closed early by leader2, approved by
    the leader, paid by leader2."""
    b = _batch(users, run_id)
    bid = b["id"]
    post = {name: users[name].post for name in users}
    b = _ok(post["admin"](f"/api/v1/policy/batches/{bid}/review", json={"expected_version": b["version"]}))
    today = beijing_today()
    body: dict[str, Any] = {"start": today.isoformat(), "end": (today + dt.timedelta(6)).isoformat()}
    body["expected_version"] = b["batch"]["version"]
    b = _ok(post["researcher"](f"/api/v1/policy/batches/{bid}/publicize", json=body))
    b = _ok(  # closed early by leader2: whoever closes it does not approve it
        post["leader2"](
            f"/api/v1/policy/batches/{bid}/close-publicity",
            json={"expected_version": b["batch"]["version"], "reason": "会议决定"},
        )
    )
    _ok(
        post["leader"](
            f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["batch"]["version"]}
        )
    )
    assert _ok(post["leader2"](f"/api/v1/policy/batches/{bid}/pay"))["paid"] > 0
    return int(bid)


@pytest.fixture(scope="module")
def paid(users: dict[str, TestClient], run_id: str) -> dict[str, Any]:
    bid = _paid_batch(users, run_id)
    rows = _ok(users["admin"].get(f"/api/v1/policy/ledger?batch={bid}&size=500"))["rows"]
    return {"batch": bid, "rows": rows}


def test_reverse_over_the_api_per_role(users: dict[str, TestClient], paid: dict[str, Any]) -> None:
    before = _ok(users["admin"].get(f"/api/v1/policy/ledger?batch={paid['batch']}&size=500"))
    entry = paid["rows"][0]
    url = f"/api/v1/policy/ledger/{entry['id']}/reverse"
    _error(users["leader"].post(url, json={"reason": ""}), 422, "validation_error")
    assert "须说明原因" in _error(users["leader"].post(url, json={"reason": "  "}), 400, "invalid_input")
    msg = _error(users["leader2"].post(url, json={"reason": "银行退回"}), 403, "forbidden")
    assert "登记该笔支付" in msg  # the payer: a second person reverses
    for name in ("researcher", "parkofficer", "investor", "firm"):
        _error(users[name].post(url, json={"reason": "银行退回"}), 403, "forbidden")
    _error(
        users["leader"].post("/api/v1/policy/ledger/99999/reverse", json={"reason": "x"}), 404, "not_found"
    )
    msg = _error(users["leader"].post(url, json={"reason": "银行退回"}), 400, "invalid_input")
    assert "冲正须注明类型" in msg and "退汇 (returned)" in msg  # a reversal says what it rests on
    back = {"kind": "returned", "evidence": "HD-0412", "money_back_on": beijing_today().isoformat()}
    e = _ok(users["leader"].post(url, json={"reason": "银行退回: 账户已注销", **back}))["entry"]
    assert e["id"] == entry["id"] and e["reversed"] and e["reversed_by"] == "leader"
    assert (e["reversal_kind"], e["reversal_evidence"], e["money_back_on"]) == tuple(back.values())
    assert e["reversal_reason"] == "银行退回: 账户已注销" and e["paid_by"] == "leader2"
    assert f"#{entry['id']}" in _error(users["admin"].post(url, json={"reason": "再冲"}), 409, "conflict")
    rows = audit_rows(users["admin"], "disbursement.reverse", f"ledger:{entry['id']}")
    assert sorted((r["username"], r["outcome"]) for r in rows) == sorted(
        [("leader", "ok"), ("leader2", "denied")]
        + [(n, "denied") for n in ("researcher", "parkofficer", "firm")]
    )  # the investment officer has no firm finance: the web refuses it before the service is asked

    # kept and flagged; the total counts the live entries only
    after = _ok(users["admin"].get(f"/api/v1/policy/ledger?batch={paid['batch']}&size=500"))
    assert after["total"] == before["total"]
    flagged = {r["id"]: r for r in after["rows"]}[entry["id"]]
    assert flagged["status_text"] == "已冲正" and flagged["reversal_reason"] == "银行退回: 账户已注销"
    assert flagged["reversed_by"] == "leader" and flagged["reversed_at"]
    # (an earlier test's new batch may have reversed another entry of this batch: _batch)
    was = {r["id"]: r["status_text"] for r in before["rows"] if r["id"] != entry["id"]}
    assert {r["id"]: r["status_text"] for r in after["rows"] if r["id"] != entry["id"]} == was
    prior = sum(v == "已冲正" for v in was.values())
    live = sum(r["amount_fen"] for r in after["rows"] if r["status_text"] == "有效")
    assert f"已冲正 {prior + 1} 笔不计入" in after["title"] and display_fen(live, "元") in after["title"]
    items = _ok(users["leader"].get(f"/api/v1/policy/batches/{paid['batch']}/items?status=reversed"))["rows"]
    assert entry["uscc"] in [r["uscc"] for r in items] and len(items) == prior + 1

    # the Excel export flags it too, and its title's total leaves it out
    xlsx = users["admin"].get(f"/api/v1/policy/ledger?batch={paid['batch']}&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    cells = [list(r) for r in ws.iter_rows(values_only=True)]
    title, header, body = cells[0][0], cells[1], cells[2:]
    assert f"已冲正 {prior + 1} 笔不计入" in str(title) and display_fen(live, "元") in str(title)
    status, reason = header.index("状态"), header.index("冲正原因")
    row = next(r for r in body if r[0] == entry["id"])
    assert row[status] == "已冲正" and row[reason] == "银行退回: 账户已注销"
    assert (row[header.index("冲正类型")], row[header.index("凭证号")]) == ("退汇", "HD-0412")
    assert {r[0]: r[status] for r in body if r[0] != entry["id"]} == was


def test_the_reverse_form_is_shown_to_those_allowed_and_needs_csrf(
    users: dict[str, TestClient], paid: dict[str, Any], corr_app: FastAPI
) -> None:
    page = f"/policy/ledger?batch={paid['batch']}"
    live = [r for r in _ok(users["admin"].get(f"/api/v1/policy/ledger?batch={paid['batch']}&size=500"))["rows"]
            if r["status_text"] == "有效"]  # fmt: skip
    entry = live[0]
    form_of = f'action="/policy/ledger/{entry["id"]}/reverse"'
    assert form_of in users["admin"].get(page).text and form_of in users["leader"].get(page).text
    for name in ("leader2", "researcher", "parkofficer", "firm"):  # the payer sees no form on its payments
        assert 'class="inline reverse-form"' not in users[name].get(page).text, name
    bare = TestClient(corr_app)
    bare.cookies.update(users["admin"].cookies)
    r = bare.post(f"/policy/ledger/{entry['id']}/reverse", data={"reason": "x"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    bare.close()
    c = users["admin"]
    token = _token(c, page)
    assert c.post(f"/policy/ledger/{entry['id']}/reverse", data={"csrf_token": token}).status_code == 400
    for name in ("leader2", "researcher"):
        other = _token(users[name], "/policy/ledger")
        r = users[name].post(
            f"/policy/ledger/{entry['id']}/reverse", data={"csrf_token": other, "reason": "x"}
        )
        assert r.status_code == 403, name
    r = c.post(
        f"/policy/ledger/{entry['id']}/reverse",
        data={"csrf_token": token, "reason": "误付", "kind": "error"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{page}&reversed={entry['id']}"
    text = c.get(r.headers["location"]).text
    assert 'id="reverse-result"' in text and "误付" in text and form_of not in text
    assert f'<tr id="entry-{entry["id"]}" class="entry-reversed">' in text


# ---- QA: Beijing time, late objections, labels, downloads, staff names, one order ---------------------


def _beijing(stored: str) -> str:
    """A stored time of the JSON (naive UTC) as the pages show it: Beijing time to the minute."""
    return f"{dt.datetime.fromisoformat(stored) + dt.timedelta(hours=8):%Y-%m-%d %H:%M}"


def test_payout_times_are_shown_in_beijing_time(users: dict[str, TestClient], paid: dict[str, Any]) -> None:
    row = paid["rows"][0]
    page = users["admin"].get(f"/policy/ledger?batch={paid['batch']}").text
    assert _beijing(row["paid_at"]) in page
    raw = f"{dt.datetime.fromisoformat(row['paid_at']):%Y-%m-%d %H:%M}"
    assert raw == _beijing(row["paid_at"]) or raw not in page
    xlsx = users["admin"].get(f"/api/v1/policy/ledger?batch={paid['batch']}&format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    cells = [c for r in ws.iter_rows(min_row=3, values_only=True) for c in r if isinstance(c, dt.datetime)]
    assert cells and abs(
        cells[0] - dt.datetime.fromisoformat(row["paid_at"]) - dt.timedelta(hours=8)
    ) < dt.timedelta(seconds=1)


def test_the_cancelled_note_is_in_beijing_time(users: dict[str, TestClient], run_id: str) -> None:
    b = _batch(users, run_id)
    done = _ok(users["admin"].post(f"/api/v1/policy/batches/{b['id']}/cancel", json={"reason": "QA"}))
    note = users["admin"].get(f"/policy/batches/{b['id']}").text
    assert f"本批次已于 {_beijing(done['batch']['cancelled_at'])} 由 admin 作废" in note


def test_a_late_objection_is_shown_late_and_messages_use_labels(
    users: dict[str, TestClient], run_id: str
) -> None:
    b = _batch(users, run_id)
    bid, post = b["id"], {name: users[name].post for name in users}
    b = _ok(post["admin"](f"/api/v1/policy/batches/{bid}/review", json={"expected_version": b["version"]}))
    today = beijing_today()
    body: dict[str, Any] = {"start": today.isoformat(), "end": (today + dt.timedelta(6)).isoformat()}
    b = _ok(
        post["researcher"](
            f"/api/v1/policy/batches/{bid}/publicize",
            json={**body, "expected_version": b["batch"]["version"]},
        )
    )
    rows = _ok(users["admin"].get(f"/api/v1/policy/batches/{bid}/items?size=500"))["rows"]
    item = next(r for r in rows if r["status"] == "listed")
    objection = {"text": "按时提出", "raised_by": "匿名", "raised_by_role": "群众"}
    on_time = _ok(post["admin"](f"/api/v1/policy/items/{item['id']}/objections", json=objection), 201)
    version = _ok(users["admin"].get(f"/api/v1/policy/batches/{bid}"))["batch"]["version"]
    close = {"expected_version": version, "reason": "会议决定"}
    _ok(post["leader"](f"/api/v1/policy/batches/{bid}/close-publicity", json=close))
    objection["text"] = "逾期提出"  # the same text again would be the same objection (refused)
    late = _ok(post["admin"](f"/api/v1/policy/items/{item['id']}/objections", json=objection), 201)
    found = {
        o["id"]: o["late"] for o in _ok(users["admin"].get(f"/api/v1/policy/batches/{bid}"))["objections"]
    }
    assert found == {on_time["id"]: False, late["id"]: True}
    page = users["admin"].get(f"/policy/batches/{bid}").text
    row = page[page.index(f'id="objection-{late["id"]}"') :]
    assert "逾期提出" in row[: row.index("</tr>")]
    assert "逾期提出" not in page[page.index(f'id="objection-{on_time["id"]}"') :].split("</tr>")[0]
    resolve = {"upheld": True, "note": "属实"}  # by the leader: the admin recorded it (四眼)
    _ok(post["leader"](f"/api/v1/policy/objections/{on_time['id']}/resolve", json=resolve))
    msg = _error(
        post["leader"](f"/api/v1/policy/objections/{on_time['id']}/resolve", json=resolve), 409, "conflict"
    )
    assert "已处理为成立 (upheld)" in msg
    _ok(post["admin"](f"/api/v1/policy/batches/{bid}/cancel", json={"reason": "QA"}))
    review = {
        "expected_version": _ok(users["admin"].get(f"/api/v1/policy/batches/{bid}"))["batch"]["version"]
    }
    msg = _error(post["admin"](f"/api/v1/policy/batches/{bid}/review", json=review), 409, "conflict")
    assert "当前为已作废 (cancelled), 只有草稿 (draft) 状态" in msg and "为 cancelled" not in msg


def test_the_approval_rules_show_only_while_approval_is_pending(
    users: dict[str, TestClient], run_id: str, paid: dict[str, Any]
) -> None:
    assert 'id="approval-rules"' not in users["admin"].get(f"/policy/batches/{paid['batch']}").text
    b = _batch(users, run_id)
    assert 'id="approval-rules"' in users["admin"].get(f"/policy/batches/{b['id']}").text
    _ok(users["admin"].post(f"/api/v1/policy/batches/{b['id']}/cancel", json={"reason": "QA"}))
    assert 'id="approval-rules"' not in users["admin"].get(f"/policy/batches/{b['id']}").text


def test_downloads_have_a_meaningful_ascii_name(users: dict[str, TestClient], paid: dict[str, Any]) -> None:
    bid = paid["batch"]
    for url, ascii_name, utf8 in (
        (f"/api/v1/policy/batches/{bid}/publicity?format=xlsx", f"publicity-{bid}.xlsx", "公示名单"),
        (f"/api/v1/policy/batches/{bid}/publicity?format=docx", f"publicity-{bid}.docx", "公示名单"),
        (f"/api/v1/policy/batches/{bid}/notify", f"notification-{bid}.xlsx", "通知名单"),
    ):
        header = users["researcher"].get(url).headers["content-disposition"]
        assert f'filename="{ascii_name}"' in header, header
        assert f"filename*=UTF-8''{quote(utf8)}" in header


def test_enterprise_users_do_not_see_staff_names(
    users: dict[str, TestClient], demo: Demo, paid: dict[str, Any]
) -> None:
    staff = _ok(users["admin"].get(f"/api/v1/policy/ledger?uscc={demo.own_firm}&size=500"))["rows"]
    mine = _ok(users["firm"].get("/api/v1/policy/ledger?size=500"))["rows"]
    assert staff and [r["id"] for r in mine] == [r["id"] for r in staff]
    assert {r["paid_by"] for r in mine} <= {"高新区管委会"}
    page = users["firm"].get("/policy/ledger").text
    for r in staff:
        assert r["paid_by"] not in mine[0].values() and f">{r['paid_by']}<" not in page
    # the policy filter names the policies as the results page does (QA: it listed bare codes)
    assert ">郑州高新区企业研发投入奖励 (zz-rd-input)</option>" in page, page


def test_the_batch_page_lists_items_in_the_public_order(
    users: dict[str, TestClient], paid: dict[str, Any]
) -> None:
    bid = paid["batch"]
    items = _ok(users["researcher"].get(f"/api/v1/policy/batches/{bid}/items?size=500"))["rows"]
    public = {"listed", "objected", "approved", "paid"}
    page = [(r["enterprise_name"], r["clause_ref"]) for r in items if r["status"] in public]
    xlsx = users["researcher"].get(f"/api/v1/policy/batches/{bid}/publicity?format=xlsx").content
    ws = openpyxl.load_workbook(io.BytesIO(xlsx))["公示名单"]
    listed = list(ws.iter_rows(min_row=2, values_only=True))
    assert page == [(r[1], r[4]) for r in listed[:-1]] and str(listed[-1][1]).startswith("合计")
