"""企业自查 by USCC (/policy/check, /api/v1/policy/check/{uscc}) shows what the 兑现 workflow did
with an award: an annual award already paid for the period is 已兑现 with its ledger entry and
time, not 符合 with its amount; an award withdrawn after an upheld 公示 objection is 已撤回 with
the batch and the reason. Neither counts in the page's total of what is available.

A private app over a copy of the demo zone: a run recorded, one batch of it in 公示 with an
objection upheld, then approved and paid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._policy_pages import publicized
from tests.web.conftest import Demo, api_ok, logged_in, private_app, run_now
from zonebrain.core.clock import beijing_text
from zonebrain.disbursement import Ledger, LedgerEntry
from zonebrain.web._context import WebContext

PERIOD = 2024
RD = ("zz-rd-input", "award")
HITECH = ("zz-hitech-first-cert", "award")
UPHELD = "经核实2019年已认定, 非首次"


@dataclass(frozen=True)
class Done:
    paid: LedgerEntry
    """The ledger entry of an annual award (R&D input) paid for 2024."""
    withdrawn: str
    """The enterprise whose high-tech award an upheld objection withdrew."""
    batch: int


@pytest.fixture(scope="module")
def history_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "checkhistory") as a:
        yield a


@pytest.fixture(scope="module")
def users(history_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(history_app, ["admin", "researcher"]) as out:
        yield out


@pytest.fixture(scope="module")
def done(history_app: FastAPI, users: dict[str, TestClient]) -> Done:
    ctx: WebContext = history_app.state.zonebrain  # the app's own store and warehouse
    d, b = publicized(ctx, str(run_now(users["researcher"])["run_id"]))
    researcher, leader, admin = (ctx.store.users.get(n) for n in ("researcher", "leader", "admin"))
    assert researcher and leader and admin
    item = next(i for i in d.items(b.id) if (i.policy_id, i.clause_id) == HITECH)
    o = d.object(
        researcher, item.id, "该企业2019年已认定过高新, 非首次", raised_by="匿名", raised_by_role="群众"
    )
    d.resolve(leader, o.id, upheld=True, note=UPHELD)
    b = d.close_publicity(leader, b.id, reason="测试", expected_version=d.batch(b.id).version)
    b = d.approve(admin, b.id, expected_version=b.version)
    assert d.pay(researcher, b.id).paid
    paid = next(e for e in d.ledger.entries(batch_id=b.id) if (e.policy_id, e.clause_id) == RD)
    assert paid.period == str(PERIOD)
    return Done(paid, item.uscc, b.id)


def _cell(html: str, key: tuple[str, str]) -> tuple[str, str, str]:
    """(the status cell, the amount cell, the missing-data cell) of one clause's row on the page."""
    m = re.search(rf'<tr [^>]*id="check-{key[0]}-{key[1]}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, html[:2000]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", m.group(1), re.S)
    return cells[3], cells[4].strip(), cells[5].strip()


def _api(c: TestClient, uscc: str, key: tuple[str, str]) -> dict[str, Any]:
    rows = api_ok(c.get(f"/api/v1/policy/check/{uscc}?period={PERIOD}"))["rows"]
    return next(r for r in rows if (r["policy_id"], r["clause_id"]) == key)


def test_an_annual_award_paid_shows_its_entry_not_an_amount(users: dict[str, TestClient], done: Done) -> None:
    page = users["admin"].get(f"/policy/check?uscc={done.paid.uscc}&period={PERIOD}")
    assert page.status_code == 200
    status, amount, missing = _cell(page.text, RD)
    assert "已兑现" in status and "符合" not in status and amount == "" and missing == ""
    assert 'data-history="paid"' in status and f"支付台账 #{done.paid.id}" in status
    assert beijing_text(done.paid.paid_at) in status
    row = _api(users["admin"], done.paid.uscc, RD)
    assert (row["status"], row["history"], row["ledger_entry"]) == ("eligible", "paid", done.paid.id)
    assert row["status_text"] == "已兑现" and row["amount_fen"] is None
    assert f"#{done.paid.id}" in row["history_note"]
    # the page's total is what is still available: the paid award is not in it
    summary = re.search(r'id="check-summary">(.*?)<', page.text, re.S)
    assert summary and "符合" in summary.group(1)
    rows = api_ok(users["admin"].get(f"/api/v1/policy/check/{done.paid.uscc}?period={PERIOD}"))["rows"]
    available = [r for r in rows if r["status"] == "eligible" and not r["history"]]
    assert f"符合 {len(available)} 条" in summary.group(1)


def test_an_award_withdrawn_after_an_objection_says_why(users: dict[str, TestClient], done: Done) -> None:
    page = users["admin"].get(f"/policy/check?uscc={done.withdrawn}&period={PERIOD}")
    assert page.status_code == 200
    status, amount, _ = _cell(page.text, HITECH)
    assert "已撤回" in status and "符合" not in status and amount == ""
    assert 'data-history="withdrawn"' in status and f"兑现批次 #{done.batch}" in status and UPHELD in status
    row = _api(users["admin"], done.withdrawn, HITECH)
    assert (row["history"], row["history_batch"], row["status_text"]) == ("withdrawn", done.batch, "已撤回")
    assert row["amount_fen"] is None and UPHELD in row["history_note"]


def test_the_whatif_says_how_much_of_its_cost_was_already_paid(
    history_app: FastAPI, users: dict[str, TestClient], done: Done
) -> None:
    """QA: the scenario's cost is the policies' (awards paid since the run still count) and the
    page did not say so. The note counts exactly the granted rows whose ledger key is live."""
    c = users["researcher"]
    run_id = api_ok(c.get("/api/v1/policy/runs"))["rows"][0]["run_id"]
    body = {"baseline_run_id": run_id, "rates_pct": {"zz-rd-input.rate": "3"}}
    r = api_ok(c.post("/api/v1/policy/whatif", json=body))
    (note,) = [w for w in r["warnings"] if "已兑现" in w]
    ctx: WebContext = history_app.state.zonebrain
    before = [e for e in Ledger(ctx.store).entries() if not e.reversed and e.period in (str(PERIOD), "once")]
    assert before, "the fixture paid awards of the period"
    assert any((e.policy_id, e.clause_id) == RD for e in before)
    # the rate goes from 2 % to 3 %: the same paid awards are granted on both sides, and the note
    # gives what the ledger paid for them, not the scenario's higher amounts (QA)
    m = re.search(
        r"模拟前其中 ([\d,]+) 项已兑现 \(台账金额 ([\d,.]+) 元\), 模拟后其中 ([\d,]+) 项已兑现 \(台账金额 ([\d,.]+) 元\)",
        note,
    )
    assert m, note
    assert int(m.group(1).replace(",", "")) == len(before) == int(m.group(3).replace(",", ""))
    paid_fen = sum(e.amount_fen for e in before)
    assert (
        Decimal(m.group(2).replace(",", "")) * 100 == paid_fen == Decimal(m.group(4).replace(",", "")) * 100
    )
    assert "既不补发也不追回" in note
    assert "never paid twice" in note


def test_the_runs_summary_counts_what_was_paid_per_clause(
    history_app: FastAPI, users: dict[str, TestClient], done: Done
) -> None:
    """QA: the results said 已兑现 per row, the 按条款汇总 not at all. Its 其中已兑现 per clause is the
    number of the run's eligible awards whose ledger key (the period, or once) is live."""
    c = users["admin"]
    run_id = api_ok(c.get("/api/v1/policy/runs"))["rows"][0]["run_id"]
    rows = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/summary"))["rows"]
    ctx: WebContext = history_app.state.zonebrain
    live = [e for e in Ledger(ctx.store).entries() if not e.reversed]
    want: dict[tuple[str, str], int] = {}
    for e in live:
        if e.period in (str(PERIOD), "once"):
            want[e.policy_id, e.clause_id] = want.get((e.policy_id, e.clause_id), 0) + 1
    got = {(r["policy_id"], r["clause_id"]): r["paid"] for r in rows if r["paid"]}
    assert got == want and sum(got.values()) == len(live)
    assert all(r["paid"] <= r["eligible"] for r in rows)
    page = c.get("/policy").text.split('id="policy-summary-table"')[1].split("</table>")[0]
    assert "其中已兑现 (项)" in page
