"""政策兑现 over HTTP: run → batch → review → 公示 → objection upheld → approval by a second role →
pay → pay again (already paid); the exports (masked USCC); roles, scoping, CSRF, 409s; the 待核实
queue; the ledger as the next run's payment history; what-if writes nothing; coverage."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._policy_flow import FLOW_USERS, open_flow_app, walk_flow
from tests.web.conftest import Demo, api_error, api_ok, audit_rows, logged_in, login, run_now

GOUZHAO = "沟赵"
MASKED = re.compile(r"^[0-9A-Z]{4}\*{12}[0-9A-Z]{2}$")


@pytest.fixture(scope="module")
def flow_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A private app (runs write to its warehouse) with an officer of a park with 待核实 firms."""
    with open_flow_app(demo, tmp_path_factory) as a:
        yield a


@pytest.fixture(scope="module")
def users(flow_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(flow_app, FLOW_USERS) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    return str(run_now(users["researcher"])["run_id"])


_ok = api_ok
_error = api_error


@pytest.fixture(scope="module")
def flow(users: dict[str, TestClient], run_id: str, demo: Demo) -> dict[str, Any]:
    """The whole workflow over the JSON API; returns what the tests below look at."""
    return walk_flow(users, run_id)


def test_the_whole_flow_and_its_audit(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    target = f"batch:{flow['batch']}"
    admin = users["admin"]
    # each step audited once, by the service (the web does not audit again)
    for action in ("create", "review", "publicize", "object", "resolve", "close_publicity", "approve"):
        rows = [r for r in audit_rows(admin, f"disbursement.{action}", target) if r["outcome"] == "ok"]
        assert len(rows) == 1, (action, rows)
    denied = [r for r in audit_rows(admin, "disbursement.approve", target) if r["outcome"] == "denied"]
    assert sorted(r["username"] for r in denied) == ["admin", "researcher"]  # reviewer, creator
    denied = [r for r in audit_rows(admin, "disbursement.review", target) if r["outcome"] == "denied"]
    assert [r["username"] for r in denied] == ["researcher"]  # the creator
    pays = audit_rows(admin, "disbursement.pay", target)
    assert sorted((r["outcome"], r["username"]) for r in pays) == [
        ("already_paid", "researcher"), ("denied", "leader"), ("ok", "researcher")
    ]  # fmt: skip


def test_the_batch_page_offers_a_step_only_to_who_may_take_it(flow: dict[str, Any]) -> None:
    """四眼: no review button for the creator, no approve button for the creator or reviewer, no pay
    button for the approver; the others see theirs."""
    draft, done = flow["draft_pages"], flow["approved_pages"]
    assert 'id="review-form"' not in draft["researcher"]  # built it
    assert 'id="review-form"' in draft["admin"] and 'id="review-form"' in draft["leader"]
    closed = flow["closed_pages"]
    assert 'id="approve-form"' not in closed["admin"]  # reviewed it
    assert 'id="approve-form"' in closed["leader"]
    assert 'id="pay-form"' not in done["leader"]  # approved it
    assert 'id="pay-form"' in done["researcher"] and 'id="pay-form"' in done["admin"]


def test_the_exports_mask_the_uscc_on_the_public_list(
    flow: dict[str, Any], users: dict[str, TestClient]
) -> None:
    bid, c = flow["batch"], users["researcher"]
    r = c.get(f"/api/v1/policy/batches/{bid}/publicity?format=xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content))["公示名单"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("序号", "企业名称", "统一社会信用代码")
    assert str(rows[-1][1]).startswith("合计") and rows[-1][2] is None  # the total row ends the list
    codes = [row[2] for row in rows[1:-1]]
    assert codes and all(MASKED.match(str(code)) for code in codes)
    paid_items = _ok(c.get(f"/api/v1/policy/batches/{bid}/items?size=500&status=paid"))["rows"]
    assert len(codes) == len(paid_items)  # withdrawn and previously paid awards are left off
    docx = c.get(f"/api/v1/policy/batches/{bid}/publicity?format=docx")
    assert docx.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode()
    assert "公示名单" in xml and re.search(r"[0-9A-Z]{4}\*{12}[0-9A-Z]{2}", xml)
    # objections go to the office of the app's zone (its zone file's full name), no setting given
    assert "郑州高新技术产业开发区管理委员会政策兑现工作专班" in xml
    assert paid_items[0]["uscc"] not in xml
    notify = openpyxl.load_workbook(io.BytesIO(c.get(f"/api/v1/policy/batches/{bid}/notify").content))
    full = {row[1] for row in notify["通知企业"].iter_rows(min_row=2, values_only=True)}
    assert paid_items[0]["uscc"] in full  # the officers' list keeps the whole USCC
    # which batch and year it is of (QA: no title, batch or period); parks named in Chinese even
    # when exported from an English page (QA: Wutong beside Chinese headers)
    notes = [r[0] for r in notify["说明"].iter_rows(min_row=2, values_only=True)]
    assert f"(兑现批次 #{bid}, " in notes[0] and notes[1].startswith("考核年度 2024; 测算运行 "), notes
    c.get("/lang/en")
    try:
        english = openpyxl.load_workbook(io.BytesIO(c.get(f"/api/v1/policy/batches/{bid}/notify").content))
    finally:
        c.get("/lang/zh-CN")
    parks = {row[2] for row in english["通知企业"].iter_rows(min_row=2, values_only=True)}
    assert parks and all(re.search(r"[\u4e00-\u9fff]", str(p)) for p in parks), parks
    # a park officer may not export the lists; every export is audited
    _error(users["parkofficer"].get(f"/api/v1/policy/batches/{bid}/publicity"), 403, "forbidden")
    details = " ".join(r["detail"] for r in audit_rows(users["admin"], "disbursement.export", f"batch:{bid}"))
    assert "kind=publicity" in details and "kind=notify" in details


def test_batch_pages_per_role(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    bid = flow["batch"]
    expect = {
        "admin": 200,
        "leader": 200,
        "researcher": 200,
        "parkofficer": 200,
        "investor": 403,
        "firm": 403,
    }
    for name, code in expect.items():
        assert users[name].get("/policy/batches").status_code == code, name
        assert users[name].get(f"/policy/batches/{bid}").status_code == code, name
        assert users[name].get(f"/api/v1/policy/batches/{bid}").status_code == code, name
    page = users["researcher"].get(f"/policy/batches/{bid}?paid=0&already=3").text
    assert "此前已兑现 3 项" in page and 'id="publicity-xlsx"' in page and "已兑现" in page
    officer = users["parkofficer"].get(f"/policy/batches/{bid}").text
    assert 'id="publicity-xlsx"' not in officer
    assert users["admin"].get("/policy/batches/999999").status_code == 404
    assert users["admin"].get("/api/v1/policy/batches/0").status_code == 422


def test_the_ledger_is_scoped(flow: dict[str, Any], users: dict[str, TestClient], demo: Demo) -> None:
    everyone = _ok(users["leader"].get("/api/v1/policy/ledger?size=500"))
    officer = _ok(users["parkofficer"].get("/api/v1/policy/ledger?size=500"))
    assert officer["total"] < everyone["total"] and {r["park"] for r in officer["rows"]} <= {"梧桐"}
    firm = _ok(users["firm"].get("/api/v1/policy/ledger?size=500"))
    assert {r["uscc"] for r in firm["rows"]} <= {demo.own_firm}
    assert _ok(users["firm"].get(f"/api/v1/policy/ledger?uscc={demo.wutong_firm}"))["total"] == 0
    _error(users["investor"].get("/api/v1/policy/ledger"), 403, "forbidden")
    assert all(isinstance(r["amount_fen"], int) for r in everyone["rows"])
    ws = openpyxl.load_workbook(
        io.BytesIO(users["leader"].get("/api/v1/policy/ledger?format=xlsx").content)
    ).active
    assert ws is not None and ws.max_row - 2 == everyone["total"]
    page = users["leader"].get(f"/policy/ledger?batch={flow['batch']}")
    assert page.status_code == 200 and "支付台账" in page.text


def test_a_firm_filtering_the_ledger_by_a_batch_without_it_is_told_no_such_batch(
    flow: dict[str, Any], users: dict[str, TestClient], flow_app: FastAPI, demo: Demo
) -> None:
    """QA: 404 for a missing batch against an empty list for another's told a firm which ids exist."""
    admin, bid = users["admin"], flow["batch"]
    inside: set[str] = set()
    for n in range(1, 100):  # every page of the batch's items
        rows = _ok(admin.get(f"/api/v1/policy/batches/{bid}/items?size=500&page={n}"))["rows"]
        inside |= {r["uscc"] for r in rows}
        if len(rows) < 500:
            break
    everyone = {r["uscc"] for r in _ok(admin.get("/api/v1/enterprises?size=500"))["rows"]}
    firms = {"firm-in": sorted(inside)[0], "firm-out": sorted(everyone - inside)[0]}
    for name, uscc in firms.items():
        api_ok(admin.post("/api/v1/users", json={"username": name, "password": "a-long-password-1",
                                                 "role": "enterprise_user", "uscc": uscc}), 201)  # fmt: skip
    with TestClient(flow_app) as in_, TestClient(flow_app) as out:
        login(in_, "firm-in", "a-long-password-1")
        login(out, "firm-out", "a-long-password-1")
        rows = _ok(in_.get(f"/api/v1/policy/ledger?batch={bid}&size=500"))["rows"]
        assert {r["uscc"] for r in rows} <= {firms["firm-in"]}
        hidden = _error(out.get(f"/api/v1/policy/ledger?batch={bid}"), 404, "not_found")
        missing = _error(out.get("/api/v1/policy/ledger?batch=999999"), 404, "not_found")
        assert hidden == missing.replace("#999999", f"#{bid}") and f"没有兑现批次 #{bid}" in hidden
        assert out.get(f"/policy/ledger?batch={bid}").status_code == 404
        # staff see the batch's rows whoever they are
        assert _ok(admin.get(f"/api/v1/policy/ledger?batch={bid}"))["total"] > 0


def test_the_next_run_sees_the_ledger(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    once = [
        r for r in _ok(c.get(f"/api/v1/policy/batches/{flow['batch']}/items?size=500&status=paid"))["rows"]
        if r["period"] == "once"
    ]  # fmt: skip
    assert once, "the demo zone should have a one-time award paid"
    rerun = _ok(c.post("/api/v1/policy/runs", json={"as_of": "2025-03-31"}), 201)["run_id"]
    item = once[0]
    clauses = _ok(c.get(f"/api/v1/policy/runs/{rerun}/trace/{item['uscc']}"))["clauses"]
    got = next(
        x for x in clauses if x["policy_id"] == item["policy_id"] and x["clause_id"] == item["clause_id"]
    )
    assert got["status"] == "ineligible" and got["extra"].get("ledger") == "already paid (one-time award)"
    # a batch from the re-run would list nothing as payable: every award of the period was paid, or
    # withdrawn by the upheld objection (which carries over), and no lower award of a 从高从优 group
    # comes back because the one that beat it was paid. So none is built (409, saying why)
    msg = _error(c.post("/api/v1/policy/batches", json={"run_id": rerun}), 409, "conflict")
    assert "本次测算没有待兑现的奖励" in msg and "已撤回 1 项" in msg, msg
    assert int(re.search(r"此前已兑现 (\d+) 项", msg).group(1)) > 0  # type: ignore[union-attr]
    assert _ok(users["admin"].get("/api/v1/policy/ledger"))["total"] == flow["ledger"]["total"]
    # the re-run's results say which awards the ledger holds (QA: a paid annual award read only
    # 符合, a paid one-time award only 不符合): exactly the ledger's keys, on the page and in Excel
    paid = _ok(c.get(f"/api/v1/policy/batches/{flow['batch']}/items?size=500&status=paid"))["rows"]
    keys = {(r["uscc"], r["policy_id"], r["clause_id"]) for r in paid}
    results = _ok(c.get(f"/api/v1/policy/runs/{rerun}/results?size=500"))["rows"]
    shown = {(r["uscc"], r["policy_id"], r["clause_id"]) for r in results if r["ledger_text"]}
    listed = {(r["uscc"], r["policy_id"], r["clause_id"]) for r in results}
    assert shown and shown == keys & listed, (len(shown), len(keys & listed))
    assert {r["ledger_text"] for r in results} == {"", "已兑现 (见支付台账)"}
    base = f"/api/v1/policy/runs/{rerun}/results?size=500&status=ineligible&policy={item['policy_id']}"
    first = _ok(c.get(base))
    pages = [first["rows"]] + [
        _ok(c.get(f"{base}&page={n}"))["rows"] for n in range(2, first["total"] // 500 + 2)
    ]
    one = next(
        r for rows in pages for r in rows if (r["uscc"], r["clause_id"]) == (item["uscc"], item["clause_id"])
    )
    assert one["status"] == "ineligible" and one["ledger_text"]  # a paid one-time award: 不符合, 已兑现


def test_the_verification_queue_is_scoped(
    flow: dict[str, Any], users: dict[str, TestClient], demo: Demo
) -> None:
    everyone = _ok(users["leader"].get("/api/v1/policy/verification?size=500"))
    assert everyone["total"] > 0 and all(r["ask"] for r in everyone["rows"])
    for name, park in (("parkofficer", "梧桐"), ("gzofficer", GOUZHAO)):
        officer = _ok(users[name].get("/api/v1/policy/verification?size=500"))
        assert officer["total"] == len([r for r in everyone["rows"] if r["park"] == park]) < everyone["total"]
        assert {r["park"] for r in officer["rows"]} <= {park}
    assert officer["total"] > 0  # the demo zone has 待核实 firms in 沟赵
    firm = _ok(users["firm"].get("/api/v1/policy/verification?size=500"))
    assert {r["uscc"] for r in firm["rows"]} <= {demo.own_firm}
    assert _ok(users["firm"].get(f"/api/v1/policy/verification?uscc={demo.wutong_firm}"))["total"] == 0
    _error(users["investor"].get("/api/v1/policy/verification"), 403, "forbidden")
    # the enterprise user reads what to provide (快申快享) and may export only its own
    if firm["total"]:
        assert "请补充" in users["firm"].get("/policy/verify").text
    ws = openpyxl.load_workbook(io.BytesIO(users["firm"].get("/api/v1/policy/verification/export").content))
    codes = {row[1] for row in ws["待核实企业"].iter_rows(min_row=2, values_only=True)}
    assert codes <= {demo.own_firm}
    # updates: the park's officer moves a request on; stale → 409; another park's officer → 403; firm → 404
    mine = officer["rows"][0]
    url = f"/api/v1/policy/verification/{mine['id']}"
    body = {"status": "requested", "expected_version": mine["version"]}
    _error(users["parkofficer"].post(url, json=body), 403, "forbidden")
    # another firm's request reads as one that does not exist (no id enumeration)
    hidden = _error(users["firm"].post(url, json=body), 404, "not_found")
    assert hidden == f"没有待核实事项 #{mine['id']} (no such verification request)"
    moved = _ok(users["gzofficer"].post(url, json=body))
    assert moved["status"] == "requested" and moved["version"] == mine["version"] + 1
    stale = {"status": "answered", "expected_version": mine["version"]}
    _error(users["gzofficer"].post(url, json=stale), 409, "conflict")
    rows = audit_rows(users["admin"], "verification.update", f"verification:{mine['id']}")
    assert [r["username"] for r in rows if r["outcome"] == "ok"] == ["gzofficer"]  # not the stale one
    assert sorted(r["username"] for r in rows if r["outcome"] == "denied") == ["firm", "parkofficer"]
    # the enterprise page's 政策 section repeats what the firm is asked for
    fragment = users["gzofficer"].get(f"/policy/enterprise/{mine['uscc']}").text
    assert 'id="enterprise-asks"' in fragment and "请补充" in fragment
    for name, code in {"leader": 200, "parkofficer": 200, "firm": 200, "investor": 403}.items():
        assert users[name].get("/policy/verify").status_code == code, name


def test_the_verification_queue_asks_in_the_readers_language(
    flow: dict[str, Any], users: dict[str, TestClient]
) -> None:
    """QA: the English queue showed the Chinese ask stored for the enterprise. The record stays
    Chinese (it is what the firm is sent); an English page words the same ask in English."""
    c = users["leader"]
    zh = _ok(c.get("/api/v1/policy/verification?size=500"))["rows"]
    c.get("/lang/en")
    try:
        en = _ok(c.get("/api/v1/policy/verification?size=500"))["rows"]
        page = c.get("/policy/verify").text
    finally:
        c.get("/lang/zh-CN")
    assert zh and [r["id"] for r in en] == [r["id"] for r in zh]
    for a, b in zip(zh, en, strict=True):
        assert "请提供" in a["ask"] and "please provide" in b["ask"], (a["ask"], b["ask"])
        assert not re.search(r"[\u4e00-\u9fff]", b["ask"]), b["ask"]
    assert html.escape(en[0]["ask"].splitlines()[0], quote=False) in page


def _token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


def test_page_forms_need_csrf_and_walk_the_steps(
    flow: dict[str, Any], users: dict[str, TestClient], flow_app: FastAPI
) -> None:
    researcher, run_id = users["researcher"], flow["run_id"]
    page = researcher.get(f"/policy/runs/{run_id}").text
    assert 'id="create-batch-form"' in page
    assert 'id="create-batch-form"' not in users["leader"].get(f"/policy/runs/{run_id}").text
    bare = TestClient(flow_app)
    bare.cookies.update(researcher.cookies)
    for path in (f"/policy/runs/{run_id}/batch", f"/policy/batches/{flow['batch']}/review", "/policy/whatif"):
        r = bare.post(path, data={"expected_version": "1"}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text, path
    bare.close()
    # the run's awards are paid, and a batch with nothing to pay is refused: 冲正 one entry first
    entry = _ok(users["admin"].get("/api/v1/policy/ledger?size=1"))["rows"][0]
    _ok(
        users["admin"].post(
            f"/api/v1/policy/ledger/{entry['id']}/reverse", json={"reason": "误记", "kind": "error"}
        )
    )
    token = _token(researcher, f"/policy/runs/{run_id}")
    page = researcher.get(f"/policy/runs/{run_id}").text
    assert 'name="older_run_reason"' in page
    form = {"csrf_token": token, "title": "页面批次"}
    if _runs(researcher) > 1:  # a later test module's run of the period came first: a reason is asked
        r = researcher.post(f"/policy/runs/{run_id}/batch", data=form, follow_redirects=False)
        assert r.status_code == 409 and "不是本年度最新的测算" in r.text, r.text[:2000]
        form["older_run_reason"] = "页面测试沿用首次运行"
    r = researcher.post(f"/policy/runs/{run_id}/batch", data=form, follow_redirects=False)
    assert r.status_code == 303
    bid = int(r.headers["location"].rsplit("/", 1)[1])
    page = researcher.get(f"/policy/batches/{bid}").text
    assert 'id="review-form"' not in page and "页面批次" in page  # the creator does not review
    version = re.search(r'name="expected_version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    r = researcher.post(
        f"/policy/batches/{bid}/review", data={"csrf_token": token, "expected_version": version}
    )
    assert r.status_code == 403 and "审核人不能是本批次的制单人" in r.text  # nor by posting the form
    admin = users["admin"]
    token = _token(admin, f"/policy/batches/{bid}")
    assert 'id="review-form"' in admin.get(f"/policy/batches/{bid}").text
    r = admin.post(f"/policy/batches/{bid}/review", data={"csrf_token": token, "expected_version": version},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "已审核" in researcher.get(f"/policy/batches/{bid}").text
    # a refusal on a page is the error page with the service's message: the same reviewer's second
    # click is told the batch is already reviewed (by whom), not "changed by someone else"
    r = admin.post(f"/policy/batches/{bid}/review", data={"csrf_token": token, "expected_version": version})
    assert r.status_code == 409 and "已审核 (admin," in r.text and "已被他人修改" not in r.text


def _runs(c: TestClient) -> int:
    return int(_ok(c.get("/api/v1/policy/runs"))["total"])


def test_what_if_writes_nothing(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    before = _runs(c)
    body = {"as_of": "2025-03-31", "rates_pct": {"zz-rd-input.rate": "3"}}  # a fresh baseline
    r = _ok(c.post("/api/v1/policy/whatif", json=body))
    assert r["totals"]["cost_after_fen"] > r["totals"]["cost_before_fen"] and r["changes"] == [
        "郑州高新区企业研发投入奖励 · 奖励比例: 2% → 3%"
    ]  # the policy's name and the parameter's label, never the key
    assert isinstance(r["totals"]["cost_delta_fen"], int) and r["winners_count"] > 0 and r["winners"]
    assert sum(p["cost_after_fen"] for p in r["by_park"]) == r["totals"]["cost_after_fen"]
    same = _ok(
        c.post(
            "/api/v1/policy/whatif",
            json={"baseline_run_id": flow["run_id"], "rates_pct": {"zz-rd-input.rate": "2"}},
        )
    )
    assert same["changes"] == []  # equal to the value in force: not an override
    pool = {
        "baseline_run_id": flow["run_id"],
        "budgets": {"zz-gxq-2022": {"pool_wan": "100", "rule": "pro_rata"}},
    }
    pooled = _ok(c.post("/api/v1/policy/whatif", json=pool))
    assert pooled["totals"]["cost_after_fen"] <= 100 * 1_000_000 and pooled["budget"]
    # the page fragment and the Excel file
    token = _token(c, "/policy/whatif")
    form = {
        "csrf_token": token,
        "baseline": flow["run_id"],
        "param:zz-rd-input.rate": "2.5",
        "param:zz-rd-input.cap": "60",
    }
    frag = c.post("/policy/whatif", data=form)
    assert frag.status_code == 200 and 'id="whatif-cost-after"' in frag.text and "<html" not in frag.text
    assert 'data-chart="whatif-bars"' in frag.text and "奖励比例: 2% → 2.5%" in frag.text
    xlsx = c.post("/policy/whatif/export", data=form)
    assert (
        xlsx.status_code == 200
        and "情景 scenario" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames
    )
    api_xlsx = c.post("/api/v1/policy/whatif?format=xlsx", json=body)
    assert (
        api_xlsx.status_code == 200
        and "受益 winners" in openpyxl.load_workbook(io.BytesIO(api_xlsx.content)).sheetnames
    )
    # bad input is refused (422 by the schema, 400 by the parser); roles
    _error(
        c.post("/api/v1/policy/whatif", json={"rates_pct": {"zz-rd-input.rate": "abc"}}),
        422,
        "validation_error",
    )
    _error(
        c.post("/api/v1/policy/whatif", json={"rates_pct": {"zz-rd-input.cap": "3"}}), 400, "invalid_input"
    )
    assert c.post("/policy/whatif", data={**form, "param:zz-rd-input.rate": "1e3"}).status_code == 400
    for rate in ("150", "2.12345"):  # at most 100 %, 4 decimals: rate × base stays exact in int64 fen
        _error(
            c.post("/api/v1/policy/whatif", json={"rates_pct": {"zz-rd-input.rate": rate}}),
            400,
            "invalid_input",
        )
    for name in ("investor", "parkofficer", "firm"):
        assert users[name].get("/policy/whatif").status_code == 403, name
        _error(users[name].post("/api/v1/policy/whatif", json=body), 403, "forbidden")
    assert users["leader"].get("/policy/whatif").status_code == 200
    assert _runs(c) == before  # nothing recorded


def test_coverage(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["leader"]
    data = _ok(c.get(f"/api/v1/policy/coverage?run={flow['run_id']}"))
    assert 0 < data["clause_share_pct"] < 100 and data["decisions"] and data["missing"]
    assert data["clause_share_pct"] == round(data["clause_share_pct"], 2)  # 83.33, not 83.33333333333334
    assert data["missing"][0]["decides"] >= data["missing"][-1]["decides"]
    more = _ok(c.get(f"/api/v1/policy/coverage?run={flow['run_id']}&data=rd_expense_fen"))
    assert more["clause_share_pct"] > data["clause_share_pct"]
    _error(c.get("/api/v1/policy/coverage?data=nonsense"), 400, "invalid_input")
    page = c.get("/policy/coverage")
    assert page.status_code == 200 and 'data-chart="coverage-bars"' in page.text
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/policy/coverage?format=xlsx").content))
    assert "缺失字段 missing" in wb.sheetnames
    assert users["firm"].get("/policy/coverage").status_code == 403
