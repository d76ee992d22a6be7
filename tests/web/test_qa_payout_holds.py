"""暂缓支付, 冲正 with its proof, and no item-id oracle, over HTTP (internal-audit QA of the payout
workflow).

* An approved item is held on the batch page or over the API (admin or leader, with a reason); the
  payment leaves it unpaid and the batch reads 部分兑现; the items export and the batch page show it;
  the notify list leaves the held firm out; someone other than its holder releases it (then paid).
* The ledger's reverse form asks the kind; 待追回 keeps the entry live, flagged on the page and in JSON.
* An enterprise user's objection to another firm's item gets the very 404 a missing item id gets
  (status and body alike), and the refusal is still audited ``denied``.

A private app (its runs and steps write to its own stores), so the session's shared app is untouched.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, api_ok, audit_rows, logged_in, private_app, run_now
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_today

EXTRA = {"leader2": Role.LEADER}
"""A second leader: closes the 公示 early and holds an item (so the leader may approve and release)."""


@pytest.fixture(scope="module")
def holds_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "payoutholds", {n: (r, None) for n, r in EXTRA.items()}) as a:
        yield a


@pytest.fixture(scope="module")
def users(holds_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(holds_app, [*USERS, *EXTRA]) as out:
        yield out


@pytest.fixture(scope="module")
def approved(users: dict[str, TestClient]) -> dict[str, Any]:
    """A batch of a fresh run: built by the researcher, reviewed by the admin, its 公示 closed early
    by leader2, approved by the leader; with its items (admin's view)."""
    post = {name: users[name].post for name in users}
    run_id = run_now(users["researcher"])["run_id"]
    b = api_ok(post["researcher"]("/api/v1/policy/batches", json={"run_id": run_id}), 201)["batch"]
    bid = b["id"]
    b = api_ok(post["admin"](f"/api/v1/policy/batches/{bid}/review", json={"expected_version": b["version"]}))
    today = beijing_today()
    body = {"start": today.isoformat(), "end": (today + dt.timedelta(6)).isoformat()}
    b = api_ok(
        post["researcher"](
            f"/api/v1/policy/batches/{bid}/publicize",
            json={**body, "expected_version": b["batch"]["version"]},
        )
    )
    b = api_ok(
        post["leader2"](
            f"/api/v1/policy/batches/{bid}/close-publicity",
            json={"expected_version": b["batch"]["version"], "reason": "会议决定"},
        )
    )
    version = b["batch"]["version"]
    api_ok(post["leader"](f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": version}))
    items = api_ok(users["admin"].get(f"/api/v1/policy/batches/{bid}/items?size=500"))["rows"]
    assert len(items) >= 3 and {i["status"] for i in items} >= {"approved"}
    return {"id": bid, "items": items}


def _token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


def _batch(users: dict[str, TestClient], bid: int) -> dict[str, Any]:
    return dict(api_ok(users["admin"].get(f"/api/v1/policy/batches/{bid}"))["batch"])


def test_a_held_item_is_left_unpaid_shown_and_paid_once_released(
    users: dict[str, TestClient], approved: dict[str, Any]
) -> None:
    bid, items = approved["id"], [i for i in approved["items"] if i["status"] == "approved"]
    page = f"/policy/batches/{bid}"
    api_item, page_item = items[0], items[1]
    # the forms: for admins and leaders only
    for name, shown in {"admin": True, "leader": True, "researcher": False, "parkofficer": False}.items():
        assert ('class="inline hold-form"' in users[name].get(page).text) is shown, name

    # over the API: a reason is needed; another role is refused (403, audited)
    url = f"/api/v1/policy/batches/{bid}/items/{api_item['id']}/hold"
    api_error(users["leader2"].post(url, json={"reason": ""}), 422, "validation_error")
    api_error(users["researcher"].post(url, json={"reason": "待核实"}), 403, "forbidden")
    done = api_ok(users["leader2"].post(url, json={"reason": "企业列入失信名单, 待核实"}))
    assert done["hold"]["open"] and done["hold"]["held_by"] == "leader2" and done["item_status"] == "held"
    assert "由 leader2 暂缓支付" in api_error(
        users["admin"].post(url, json={"reason": "再暂缓"}), 409, "conflict"
    )
    # on the page: the form, with the CSRF token and the batch's version
    c = users["admin"]
    form = {"csrf_token": _token(c, page), "expected_version": str(_batch(users, bid)["version"])}
    r = c.post(
        f"{page}/items/{page_item['id']}/hold",
        data={**form, "reason": "银行账户有误"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{page}#holds"
    text = c.get(page).text
    assert 'id="holds"' in text and "企业列入失信名单, 待核实" in text and "银行账户有误" in text
    assert 'id="held-note"' in text

    # the payment leaves both unpaid; the batch reads 部分兑现
    paid = api_ok(users["researcher"].post(f"/api/v1/policy/batches/{bid}/pay"))
    assert paid["held"] == 2 and paid["paid"] == len(approved["items"]) - 2
    assert paid["batch"]["status"] == "part_paid" and paid["batch"]["counts"]["held"] == 2
    assert "部分兑现" in users["leader"].get(page).text
    ledger = api_ok(users["admin"].get(f"/api/v1/policy/ledger?batch={bid}&size=500"))["rows"]
    paid_keys = {(e["uscc"], e["policy_id"], e["clause_id"]) for e in ledger}
    assert len(ledger) == paid["paid"] and not paid_keys & {
        (i["uscc"], i["policy_id"], i["clause_id"]) for i in (api_item, page_item)
    }

    # the items export says which are held and why; the notify list leaves them out
    xlsx = users["admin"].get(f"/api/v1/policy/batches/{bid}/items?format=xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    head = rows[1]
    by_id = {r[0]: r for r in rows[2:]}
    assert by_id[api_item["id"]][head.index("状态")] == "暂缓支付"
    assert by_id[api_item["id"]][head.index("暂缓原因")] == "企业列入失信名单, 待核实"
    notify = users["admin"].get(f"/api/v1/policy/batches/{bid}/notify")
    detail = list(openpyxl.load_workbook(io.BytesIO(notify.content))["兑现明细"].iter_rows(values_only=True))
    told = {(r[1], r[3]) for r in detail}
    assert (api_item["uscc"], api_item["clause_ref"]) not in told and len(detail) - 1 == paid["paid"]

    # the holder may not release it (four eyes, audited); the leader does, and the next payment pays it
    release = f"/api/v1/policy/batches/{bid}/items/{api_item['id']}/release"
    assert "放行人不能是暂缓支付该项的人" in api_error(
        users["leader2"].post(release, json={"reason": "核实无误"}), 403, "forbidden"
    )
    holds = api_ok(users["leader2"].get(f"/api/v1/policy/batches/{bid}/holds"))["holds"]
    mine = next(h for h in holds if h["item_id"] == api_item["id"])
    assert mine["can_decide"] is False and mine["outcome_text"] == "暂缓中"
    assert 'class="inline release-form"' in users["leader"].get(page).text
    done = api_ok(users["leader"].post(release, json={"reason": "经核实未列入失信名单"}))
    assert done["hold"]["outcome"] == "released" and done["item_status"] == "approved"
    again = api_ok(users["researcher"].post(f"/api/v1/policy/batches/{bid}/pay"))
    assert (again["paid"], again["held"], again["batch"]["status"]) == (1, 1, "part_paid")

    # the other is withdrawn on the page form (leader, not its holder admin): never paid; the batch is paid
    c = users["leader"]
    form = {"csrf_token": _token(c, page), "expected_version": str(_batch(users, bid)["version"])}
    r = c.post(f"{page}/items/{page_item['id']}/withdraw", data={**form, "reason": "账户无法核实, 不予兑现"},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert _batch(users, bid)["status"] == "paid"
    rows = {
        a: [
            (r["username"], r["outcome"])
            for r in audit_rows(users["admin"], f"disbursement.{a}", f"batch:{bid}")
        ]
        for a in ("hold", "release", "withdraw")
    }
    assert sorted(rows["hold"]) == [("admin", "ok"), ("leader2", "ok"), ("researcher", "denied")]
    assert sorted(rows["release"]) == [("leader", "ok"), ("leader2", "denied")]
    assert rows["withdraw"] == [("leader", "ok")]


def test_a_reversal_asks_its_kind_and_to_recover_keeps_the_entry_live(
    users: dict[str, TestClient], approved: dict[str, Any]
) -> None:
    bid = approved["id"]
    if _batch(users, bid)["status"] == "approved":  # run alone: pay it first
        api_ok(users["researcher"].post(f"/api/v1/policy/batches/{bid}/pay"))
    entries = api_ok(users["admin"].get(f"/api/v1/policy/ledger?batch={bid}&size=500"))["rows"]
    entry = next(e for e in entries if not e["reversed_at"])
    page = f"/policy/ledger?batch={bid}"
    text = users["admin"].get(page).text
    assert 'name="kind"' in text and 'name="evidence"' in text and 'name="money_back_on"' in text
    c = users["admin"]
    form = {"csrf_token": _token(c, page), "reason": "误付: 企业不符合条件, 已发函追回"}
    r = c.post(f"/policy/ledger/{entry['id']}/reverse", data=form, follow_redirects=False)
    assert r.status_code == 400 and "冲正须注明类型" in r.text  # no kind: told the kinds
    r = c.post(
        f"/policy/ledger/{entry['id']}/reverse", data={**form, "kind": "unrecovered"}, follow_redirects=False
    )
    assert r.status_code == 303
    shown = c.get(r.headers["location"]).text
    assert 'id="reverse-result"' in shown and "已记为待追回" in shown and "有效 (待追回)" in shown
    row = next(
        e
        for e in api_ok(c.get(f"/api/v1/policy/ledger?batch={bid}&size=500"))["rows"]
        if e["id"] == entry["id"]
    )
    assert (row["status_text"], row["reversal_kind_text"], row["reversed_at"]) == (
        "有效 (待追回)", "待追回 (款项未退回)", None
    )  # fmt: skip
    # recovered later, with its evidence and day
    back = {"reason": "已追回", "kind": "recovered", "evidence": "JZ-1", "money_back_on": "2099-01-01"}
    url = f"/api/v1/policy/ledger/{entry['id']}/reverse"
    assert "须在支付日" in api_error(users["leader"].post(url, json=back), 400, "invalid_input")
    e = api_ok(users["leader"].post(url, json={**back, "money_back_on": beijing_today().isoformat()}))[
        "entry"
    ]
    assert e["reversed"] and e["reversal_kind"] == "recovered" and e["reversal_evidence"] == "JZ-1"
    assert not e["to_recover"]


def test_another_firms_item_answers_as_a_missing_one_for_an_enterprise_user(
    users: dict[str, TestClient], approved: dict[str, Any], demo: Demo
) -> None:
    firm = users["firm"]
    other = next(i for i in approved["items"] if i["uscc"] != demo.own_firm)
    missing = 2**31 - 1
    body = {"text": "他家不该拿", "raised_by": "我司"}

    def strip(r: Any) -> str:
        """The page with the item id asked for and the request id blanked (they differ by design)."""
        text = re.sub(rf"(?<![0-9]){missing}(?![0-9])", "N", r.text)
        text = re.sub(rf"(?<![0-9]){other['id']}(?![0-9])", "N", text)
        return re.sub(r"[0-9a-f]{12}", "ID", text)

    api = [firm.post(f"/api/v1/policy/items/{i}/objections", json=body) for i in (other["id"], missing)]
    assert [r.status_code for r in api] == [404, 404]
    a, b = (r.json()["error"] for r in api)
    assert a["message"] == f"没有名单项 #{other['id']} (no such item); 请查看批次名单 (see the batch's items)"
    assert b["message"] == a["message"].replace(str(other["id"]), str(missing))
    assert {k: v for k, v in a.items() if k not in ("request_id", "message")} == {
        k: v for k, v in b.items() if k not in ("request_id", "message")
    }
    token = _token(firm, "/policy/ledger")
    pages = [
        firm.post(f"/policy/items/{i}/objections", data={**body, "csrf_token": token, "back": "check"})
        for i in (other["id"], missing)
    ]
    assert [r.status_code for r in pages] == [404, 404]
    assert strip(pages[0]) == strip(pages[1]) and "不是本企业的" not in pages[0].text
    # still audited as the scope refusal it is (the item named), the missing one not at all
    rows = audit_rows(users["admin"], "disbursement.object", f"item:{other['id']}")
    assert [(r["username"], r["outcome"]) for r in rows] == [("firm", "denied")] * 2
    assert "不是本企业的" in str(rows[0]["detail"])  # the real reason, for the auditor
    assert not audit_rows(users["admin"], "disbursement.object", f"item:{missing}")
    # a park officer, who works the batch pages, is still told it is another park's item
    shifo = next(i for i in approved["items"] if i["uscc"] == demo.own_firm or i["park"] == "石佛")
    r = users["parkofficer"].post(f"/api/v1/policy/items/{shifo['id']}/objections", json=body)
    assert r.status_code == 403 and "不属于您负责的" in r.json()["error"]["message"]
