"""The QA pass over the 政策 pages: what people read there.

Years and ids without thousands separators; money in 元 in tables and their Excel files; Chinese
labels instead of keys (statuses, 一次性, run kinds, missing data with the year, park names);
the 立即测算 form starts from the what-if page's as-of date; shares never rounded to 100 % or 0 %;
the batch page offers only steps that can still happen; a park officer sees their park's figures;
error messages without server paths, command-line hints or role keys."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._undetermined import with_undetermined
from tests.web.conftest import USERS, Demo, api_error, api_ok, logged_in, private_app, run_now
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_today
from zonebrain.web._queries import policy as q
from zonebrain.web._tables import Col, cell_text, header

EXTRA = {"leader2": Role.LEADER}
"""Pays the batch, so the leader (who approved it) may reverse its entries."""


@pytest.fixture(scope="module")
def qa_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    zone = with_undetermined(demo, tmp_path_factory)  # the 待核实 pages need 待核实 firms
    with private_app(zone, tmp_path_factory, "policyqa", {n: (r, None) for n, r in EXTRA.items()}) as a:
        yield a


@pytest.fixture(scope="module")
def users(qa_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(qa_app, [*USERS, *EXTRA]) as out:
        yield out


@pytest.fixture(scope="module")
def flow(users: dict[str, TestClient]) -> dict[str, Any]:
    """A run and a batch taken to paid; the pages are looked at on the way (``seen``)."""
    post = {name: c.post for name, c in users.items()}
    run_id = str(run_now(users["researcher"])["run_id"])
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
    seen = {"open": users["parkofficer"].get(f"/policy/batches/{bid}").text}
    b = api_ok(  # closed early by leader2, approved by the leader (not whoever closed it)
        post["leader2"](
            f"/api/v1/policy/batches/{bid}/close-publicity",
            json={"expected_version": b["batch"]["version"], "reason": "会议决定"},
        )
    )
    seen["closed"] = users["parkofficer"].get(f"/policy/batches/{bid}").text
    api_ok(
        post["leader"](
            f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["batch"]["version"]}
        )
    )
    seen["approved"] = users["researcher"].get(f"/policy/batches/{bid}").text
    paid = api_ok(post["leader2"](f"/api/v1/policy/batches/{bid}/pay"))
    assert paid["paid"] > 0
    seen["paid"] = users["researcher"].get(f"/policy/batches/{bid}").text
    return {"run_id": run_id, "batch": bid, "seen": seen}


def _sheet(content: bytes, name: str | None = None) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[name] if name else wb.active
    assert ws is not None
    return list(ws.iter_rows(values_only=True))


# ---- 1. years and ids ----------------------------------------------------------------------------


def test_ids_and_years_have_no_thousands_separators(
    flow: dict[str, Any], users: dict[str, TestClient]
) -> None:
    assert cell_text(1956, "id") == "1956" and cell_text(2024, "id") == "2024"
    assert cell_text(1956, "int") == "1,956"  # counts keep theirs
    page = users["leader"].get("/policy/batches").text
    assert "2,024" not in page and '<td class="id">2024</td>' in page
    ledger = api_ok(users["leader"].get("/api/v1/policy/ledger?size=5"))
    kinds = {c["key"]: c["kind"] for c in ledger["columns"]}
    assert kinds["id"] == kinds["batch_id"] == "id"
    batches = api_ok(users["leader"].get("/api/v1/policy/batches"))
    assert {c["key"]: c["kind"] for c in batches["columns"]}["period"] == "id"


def test_kpi_and_pipeline_ids_and_years_are_identifiers() -> None:
    from zonebrain.web._queries import kpi, pipeline

    assert {c.key: c.kind for c in kpi.TARGET_COLUMNS}["year"] == "id"
    assert {c.key: c.kind for c in kpi.HISTORY_COLUMNS}["year"] == "id"
    source = Path(pipeline.__file__).read_text(encoding="utf-8")
    assert 'Col("id", "pipeline.col.id", "int")' not in source
    assert 'Col("project_id", "pipeline.col.id", "int")' not in source


# ---- 3. the 立即测算 date ---------------------------------------------------------------------------


def test_run_now_starts_from_the_what_if_date(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    run = re.search(r'id="run-as-of" value="([^"]+)"', c.get("/policy").text)
    whatif = re.search(r'name="as_of" value="([^"]+)"', c.get("/policy/whatif").text)
    assert run and whatif and run.group(1) == whatif.group(1) == "2025-03-31"


# ---- 4. money in 元 ---------------------------------------------------------------------------------


def test_money_tables_and_exports_are_in_yuan(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["leader"]
    results = api_ok(c.get(f"/api/v1/policy/runs/{flow['run_id']}/results?status=eligible&size=5"))
    rows = _sheet(c.get(f"/api/v1/policy/runs/{flow['run_id']}/results?status=eligible&format=xlsx").content)
    at = rows[1].index("金额 (元)")
    first = results["rows"][0]["amount_fen"]
    assert Decimal(str(rows[2][at])) == (Decimal(first) / 100).quantize(Decimal("0.01"))
    for path in ("/policy/batches", "/policy/ledger", "/policy", f"/policy/batches/{flow['batch']}"):
        page = c.get(path).text
        assert "(元)" in page and not re.search(r"<th[^>]*>[^<]*万元", page), path  # charts may say 万元
    for path in (
        "/api/v1/policy/batches?format=xlsx",
        "/api/v1/policy/ledger?format=xlsx",
        f"/api/v1/policy/runs/{flow['run_id']}/summary?format=xlsx",
        f"/api/v1/policy/batches/{flow['batch']}/items?format=xlsx",
    ):
        heads = " ".join(str(h) for h in _sheet(c.get(path).content)[1])
        assert "(元)" in heads and "万元" not in heads, path
    assert header(
        Col("x", "policy.col.amount", "fen", unit="元"), lambda k: "金额" if "amount" in k else k
    ) == ("金额 (unit.yuan)")


# ---- 5. labels, not keys -------------------------------------------------------------------------


def test_statuses_once_and_run_kinds_are_labels(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    c = users["leader"]
    batches = c.get("/policy/batches").text
    assert "结果代码" not in batches and ">paid<" not in batches and "已兑现" in batches
    assert api_ok(c.get("/api/v1/policy/batches"))["rows"][0]["status"] == "paid"  # the API keeps the code
    codes = _sheet(c.get("/api/v1/policy/batches?format=xlsx").content)[1]
    assert "状态代码" in codes  # and so does the export
    bid = flow["batch"]
    once = [
        r
        for r in api_ok(c.get(f"/api/v1/policy/batches/{bid}/items?size=500"))["rows"]
        if r["period"] == "once"
    ]
    assert once and all(r["period_text"] == "一次性" for r in once)
    for path in (f"/policy/batches/{bid}", f"/policy/ledger?batch={bid}"):
        page = c.get(path).text
        assert ">once<" not in page and ">一次性<" in page, path
    for path in (
        f"/api/v1/policy/batches/{bid}/items?format=xlsx",
        f"/api/v1/policy/ledger?batch={bid}&format=xlsx",
    ):
        cells = {v for row in _sheet(c.get(path).content)[2:] for v in row}
        assert "once" not in cells and "一次性" in cells, path
    policy = c.get("/policy").text
    assert "period=2024" not in policy and "考核年度 2024" in policy and ">测算<" in policy
    assert ">run<" not in policy


def test_missing_data_is_named_in_chinese_with_the_year(
    flow: dict[str, Any], users: dict[str, TestClient], demo: Demo
) -> None:
    c = users["leader"]
    page = c.get(f"/policy/runs/{flow['run_id']}?status=undetermined").text
    shown = re.findall(r'<td title="[^"]*">([^<]+)</td>', page)
    assert shown and all("_fen" not in s and re.search(r"\d{4}年", s) for s in shown), shown[:3]
    rows = api_ok(c.get(f"/api/v1/policy/runs/{flow['run_id']}/results?status=undetermined&size=50"))["rows"]
    assert rows and all(r["missing_text"] and "_fen" not in r["missing_text"] for r in rows)
    assert all(r["missing_fields"] for r in rows)  # the codes stay in the API
    # the enterprise user's own panel
    firm_rows = api_ok(
        users["admin"].get(f"/api/v1/policy/runs/{flow['run_id']}/results?status=undetermined&size=500")
    )["rows"]
    uscc = next((r["uscc"] for r in firm_rows if "max_revenue" in r["missing_fields"]), firm_rows[0]["uscc"])
    fragment = users["admin"].get(f"/policy/enterprise/{uscc}").text
    assert "待核实" in fragment and "_fen" not in fragment and "年" in fragment


def test_verification_export_names_the_parks(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    rows = _sheet(users["leader"].get("/api/v1/policy/verification/export").content, "待核实企业")
    at = rows[0].index("园区")
    parks = {r[at] for r in rows[1:]}
    assert parks and all(re.fullmatch(r"[\u4e00-\u9fff]+", str(p)) for p in parks), parks  # 沟赵, not gouzhao
    detail = _sheet(users["leader"].get("/api/v1/policy/verification/export").content, "待核实明细")
    at = detail[0].index("缺失数据项")
    assert all("_fen" not in str(r[at]) for r in detail[1:])


def test_what_if_names_policies_parks_and_statuses(
    flow: dict[str, Any], users: dict[str, TestClient]
) -> None:
    c = users["researcher"]
    page = c.get("/policy/whatif").text
    assert "郑州高新区企业研发投入奖励 · 奖励比例" in page and ">zz-rd-input.rate <" not in page
    assert "只奖励最高一档" in page and ">highest_only<" not in page and ">cumulative<" not in page
    body = {"as_of": "2025-03-31", "rates_pct": {"zz-rd-input.rate": "3"}}
    r = api_ok(c.post("/api/v1/policy/whatif", json=body))
    named = {x["park_name"] for x in r["by_park"] if x["park_id"]}
    results = api_ok(c.get(f"/api/v1/policy/runs/{flow['run_id']}/results?size=500"))["rows"]
    assert named and named <= {x["park"] for x in results}  # 枫杨, as on every other page
    details = [w["detail_text"] for w in r["winners"]]
    assert details and all("eligible" not in d and "符合" in d for d in details)
    assert all(re.search(r"\d,\d{3}\.\d{2}元", d) for d in details if "元" in d)
    assert all(len(w["moves"]) == w["detail_text"].count(" → ") for w in r["winners"])  # one per clause
    bad = c.post("/api/v1/policy/whatif", json={**body, "rates_pct": {"zz-rd-input.rate": "-3"}})
    assert bad.status_code == 422 and "\\d" not in bad.json()["error"]["message"], bad.text  # no regex shown
    wb = openpyxl.load_workbook(io.BytesIO(c.post("/api/v1/policy/whatif?format=xlsx", json=body).content))
    heads = [str(h) for ws in wb.worksheets for h in next(ws.iter_rows(max_row=1, values_only=True))]
    assert "兑现金额 情景(元)" in heads and not [h for h in heads if h.endswith("_fen") or "_fen(" in h], (
        heads
    )
    clauses = next(ws for ws in wb.worksheets if ws.title.startswith("按条款"))
    heads = [c.value for c in clauses[1]]
    names = {row[heads.index("政策名称")] for row in clauses.iter_rows(min_row=2, values_only=True)}
    assert "郑州高新区企业研发投入奖励" in names and "条款引用" in heads  # names, not only ids
    parks = next(ws for ws in wb.worksheets if ws.title.startswith("按园区"))
    at = [c.value for c in parks[1]].index("园区")
    assert {row[at] for row in parks.iter_rows(min_row=2, values_only=True) if row[at]} <= named | {None}


def test_coverage_names_the_declared_facts(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    page = users["leader"].get("/policy/coverage").text
    assert "视 rd_expense_fen 为已接入数据" not in page and "视 研发" in page


# ---- 6. shares ----------------------------------------------------------------------------------


def test_a_share_is_never_rounded_to_all_or_nothing() -> None:
    from zonebrain.policy._format import share_text

    assert share_text(Fraction(1)) == "100%" and share_text(Fraction(0)) == "0%"
    assert share_text(Fraction(1199964, 1200000)) == "99.997%"
    assert share_text(Fraction(99, 100)) == "99.0%" and share_text(Fraction(1, 3)) == "33.3%"
    assert (
        share_text(Fraction(1, 10**7)) == "<0.001%" and share_text(Fraction(10**7 - 1, 10**7)) == ">99.999%"
    )
    assert share_text(0.9997) == "99.97%" and share_text(None) == "—"


# ---- 7. buttons for steps that can still happen ------------------------------------------------


def test_no_pay_button_on_a_paid_batch_no_objections_after_the_period(flow: dict[str, Any]) -> None:
    seen = flow["seen"]
    assert "object-form" in seen["open"]  # during the 公示期, for the park officer
    assert "object-form" not in seen["closed"]  # ended early: no more objections
    assert 'id="pay-form"' in seen["approved"]
    assert 'id="pay-form"' not in seen["paid"]


# ---- 8. a park officer's figures -----------------------------------------------------------------


def test_a_park_officer_sees_their_parks_figures(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    bid = flow["batch"]
    mine = api_ok(users["parkofficer"].get(f"/api/v1/policy/batches/{bid}/items?size=500"))
    zone = api_ok(users["leader"].get(f"/api/v1/policy/batches/{bid}"))["batch"]
    theirs = api_ok(users["parkofficer"].get(f"/api/v1/policy/batches/{bid}"))["batch"]
    paid = sum(r["amount_fen"] for r in mine["rows"] if r["status"] == "paid")
    assert theirs["total_fen"] == paid < zone["total_fen"]
    assert sum(theirs["counts"].values()) == mine["total"] < sum(zone["counts"].values())
    page = users["parkofficer"].get(f"/policy/batches/{bid}").text
    total = re.search(r'id="batch-total">([^<]+)<', page)
    assert total and total.group(1) == f"{Decimal(paid) / 100:,.2f}" and 'id="batch-scope"' in page
    row = next(
        r for r in api_ok(users["parkofficer"].get("/api/v1/policy/batches"))["rows"] if r["id"] == bid
    )
    assert row["items"] == mine["total"] and row["total_fen"] == paid
    assert 'id="batches-scope"' in users["parkofficer"].get("/policy/batches").text


# ---- 9. and 10. messages -------------------------------------------------------------------------


def test_error_pages_show_no_server_paths(
    flow: dict[str, Any], users: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zonebrain.policy import LIBRARY, PolicyFileError
    from zonebrain.web._queries import policy as q

    def broken() -> None:
        raise PolicyFileError(f"{LIBRARY}/zz-hitech-first-cert.policy.yaml:13: 缺少字段 (missing field)")

    monkeypatch.setattr(q, "library", broken)
    page = users["leader"].get("/policy")
    assert page.status_code == 400
    assert "zz-hitech-first-cert.policy.yaml:13" in page.text and str(LIBRARY) not in page.text
    assert "/work/" not in page.text and "/src/zonebrain" not in page.text


def test_service_messages_are_worded_for_the_web(flow: dict[str, Any], users: dict[str, TestClient]) -> None:
    entry = api_ok(users["leader"].get(f"/api/v1/policy/ledger?batch={flow['batch']}&size=1"))["rows"][0]
    url = f"/api/v1/policy/ledger/{entry['id']}/reverse"
    blank = api_error(users["leader"].post(url, json={"reason": "  "}), 400, "invalid_input")
    assert "请填写原因" in blank and "--reason" not in blank
    role = api_error(users["researcher"].post(url, json={"reason": "误付"}), 403, "forbidden")
    assert role.startswith("政策研究员无权冲正台账记录；须为系统管理员或领导 (a policy researcher"), role
    paid = api_error(
        users["admin"].post(f"/api/v1/policy/batches/{flow['batch']}/cancel", json={"reason": "重算"}),
        409,
        "conflict",
    )
    assert "zonebrain" not in paid and "ENTRY_ID" not in paid and "支付台账" in paid, paid
    missing = api_error(users["leader"].get("/api/v1/policy/batches/99999"), 404, "not_found")
    assert "zonebrain" not in missing


def test_the_enterprise_section_names_clauses_and_says_what_was_paid(
    flow: dict[str, Any], users: dict[str, TestClient]
) -> None:
    """The enterprise page's 政策 section: policies by name, and an award the batch paid after the
    run is marked 已兑现 there, as the self-check marks it (it was offered as 符合 only)."""
    c = users["leader"]
    entry = api_ok(c.get("/api/v1/policy/ledger", params={"batch": flow["batch"]}))["rows"][0]
    page = c.get(f"/policy/enterprise/{entry['uscc']}").text
    assert 'class="badge paid history">已兑现</span>' in page
    name = q.policy_names(q.library())[entry["policy_id"]]
    assert name in page and f">{entry['policy_id']}/{entry['clause_id']}<" not in page
