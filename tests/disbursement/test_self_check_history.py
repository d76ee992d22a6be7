"""The enterprise self-check sees what the 兑现 workflow already did with an award.

* An award paid for the same enterprise × policy × clause × period is ``paid``, with its ledger
  entry, time and amount: an annual award (R&D input, ledger period ``2024``) as a one-time one
  (``once``); a reversed entry (冲正) counts for nothing; another period's award is not it.
* An award withdrawn after an upheld 公示 objection, and kept withdrawn by later batches, is
  ``withdrawn``, with the batch whose 公示 upheld it and the reason; once that batch is cancelled
  the withdrawal no longer holds (as ``create_batch`` reads it) and the award is available again.
* An award held (暂缓支付) and then withdrawn is ``withdrawn`` too, with the hold's batch, when it
  was withdrawn and why.

The workflow runs on the 兑现 tests' four-firm zone (tests/disbursement/_data.py) and their
fixtures (conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.disbursement._data import A, B, D, build
from tests.disbursement._flow import approved, money_back, publicized
from tests.disbursement.conftest import Clock, People, Zone
from zonebrain.appstore import AppStore
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.core.clock import beijing_text
from zonebrain.disbursement import Disbursement, RunRows, WrongStep
from zonebrain.policy import NoPayments, load_library, self_check
from zonebrain.storage import open_warehouse

RD = ("zz-rd-input", "award")
HITECH = ("zz-hitech-first-cert", "award")
UPHELD = "经核实2019年已认定, 非首次"
runner = CliRunner()


def _row(zone: Zone, uscc: str, key: tuple[str, str], history: Any, period: int = 2024) -> dict[str, Any]:
    rows = self_check(zone.wh, load_library(), period, uscc=uscc, history=history).to_pylist()
    return next(r for r in rows if (r["policy_id"], r["clause_id"]) == key)


def _pay_first_run(d: Disbursement, people: People, run: RunRows, clock: Clock) -> int:
    """The first run's batch approved and paid; returns the batch id."""
    b = approved(d, people, run, clock)
    assert d.pay(people.chen, b.id).paid
    return b.id


def test_an_annual_award_paid_for_the_period_is_paid(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    before = _row(zone, B, RD, d.ledger)
    assert (before["status"], before["amount_fen"], before["history"]) == ("eligible", 12_000_000, None)
    batch = _pay_first_run(d, people, first_run, clock)
    entry = next(e for e in d.ledger.entries(uscc=B) if (e.policy_id, e.clause_id) == RD)
    assert entry.period == "2024"
    row = _row(zone, B, RD, d.ledger)
    assert row["status"] == "eligible"  # what the data decide, unchanged …
    assert (row["history"], row["history_entry"], row["history_batch"]) == ("paid", entry.id, batch)
    assert (row["history_at"], row["history_amount_fen"]) == (entry.paid_at, 12_000_000)
    assert (
        f"支付台账 #{entry.id}" in row["history_text"] and beijing_text(entry.paid_at) in row["history_text"]
    )
    assert row["history_text"].startswith("已兑现") and "120,000.00 元" in row["history_text"]
    # … another year's award of the same clause is not the one paid
    assert _row(zone, B, RD, d.ledger, period=2023)["history"] is None
    # without the ledger's records (no app store) nothing is known to be paid
    assert _row(zone, B, RD, NoPayments())["history"] is None


def test_a_one_time_award_paid_is_paid_with_its_entry(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    _pay_first_run(d, people, first_run, clock)
    entry = next(e for e in d.ledger.entries(uscc=A) if (e.policy_id, e.clause_id) == HITECH)
    assert entry.period == "once"
    row = _row(zone, A, HITECH, d.ledger)
    assert row["status"] == "ineligible" and '"ledger":"already paid' in row["trace"]
    assert (row["history"], row["history_entry"]) == ("paid", entry.id)


def test_a_reversed_payment_is_not_paid(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    _pay_first_run(d, people, first_run, clock)
    entry = next(e for e in d.ledger.entries(uscc=B) if (e.policy_id, e.clause_id) == RD)
    d.reverse(people.zhou, entry.id, reason="银行退回: 账户已注销", **money_back(d))
    row = _row(zone, B, RD, d.ledger)
    assert (row["status"], row["history"], row["history_text"]) == ("eligible", None, None)


def _uphold(d: Disbursement, people: People, run: RunRows) -> tuple[int, int]:
    """A batch in 公示 whose D high-tech item an upheld objection withdrew: (batch, item)."""
    b = publicized(d, people, run)
    item = next(i for i in d.items(b.id) if i.uscc == D and (i.policy_id, i.clause_id) == HITECH)
    o = d.object(
        people.sun, item.id, "该企业2019年已认定过高新, 非首次", raised_by="匿名", raised_by_role="群众"
    )
    d.resolve(people.liu, o.id, upheld=True, note=UPHELD)
    return b.id, item.id


def test_an_award_withdrawn_after_an_upheld_objection_says_so(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    assert _row(zone, D, HITECH, d.ledger)["status"] == "eligible"
    batch, _ = _uphold(d, people, first_run)
    row = _row(zone, D, HITECH, d.ledger)
    assert row["status"] == "eligible"  # the data still say so; the workflow does not pay it
    assert (row["history"], row["history_batch"], row["history_reason"]) == ("withdrawn", batch, UPHELD)
    assert row["history_entry"] is None and row["history_at"] is not None
    assert row["history_text"].startswith("异议成立已撤回") and f"兑现批次 #{batch}" in row["history_text"]
    assert UPHELD in row["history_text"]
    # the batch paid, a later batch of the same run keeps the award withdrawn: still that batch's reason
    clock.days(7)
    b = d.approve(people.wang, batch, expected_version=d.batch(batch).version)
    d.pay(people.chen, b.id)
    with pytest.raises(WrongStep, match="已撤回 1 项"):  # nothing left to pay: no later batch
        d.create_batch(people.chen, first_run)
    row = _row(zone, D, HITECH, d.ledger)
    assert (row["history"], row["history_batch"], row["history_reason"]) == ("withdrawn", batch, UPHELD)


def test_a_held_award_withdrawn_says_why_and_when(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    """QA: an award held (暂缓支付) and then withdrawn read as withdrawn with no reason and no time,
    and its sentence spoke of an upheld objection there never was."""
    b = approved(d, people, first_run, clock)
    item = next(i for i in d.items(b.id) if i.uscc == D and (i.policy_id, i.clause_id) == HITECH)
    d.hold(people.zhou, b.id, item.id, reason="企业列入失信名单, 待核实")
    clock.days(1)
    h = d.withdraw_held(people.admin, b.id, item.id, reason="核实属实, 不予兑现")
    row = _row(zone, D, HITECH, d.ledger)
    assert (row["history"], row["history_batch"], row["history_reason"]) == (
        "withdrawn",
        b.id,
        "核实属实, 不予兑现",
    )
    assert row["history_at"] == h.decided_at and row["history_entry"] is None
    text = row["history_text"]
    assert text.startswith("暂缓支付后撤回") and f"兑现批次 #{b.id}" in text and "核实属实, 不予兑现" in text
    assert beijing_text(h.decided_at) in text and "异议" not in text


def test_a_withdrawal_in_a_cancelled_batch_no_longer_holds(
    d: Disbursement, people: People, first_run: RunRows, zone: Zone
) -> None:
    batch, _ = _uphold(d, people, first_run)
    d.cancel(people.chen, batch, reason="重新测算")
    row = _row(zone, D, HITECH, d.ledger)
    assert (row["status"], row["history"]) == ("eligible", None)  # a new batch would list it again


def test_the_check_command_shows_the_entry_and_the_withdrawal(
    d: Disbursement,
    people: People,
    first_run: RunRows,
    clock: Clock,
    store: AppStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``zonebrain policy check``: the annual award paid is 已兑现 with its ledger entry and time, not
    符合 with its amount; the award withdrawn says so with the batch and the reason."""
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "check.duckdb"))
    with open_warehouse(tmp_path / "check.duckdb") as wh:  # the same firms, a warehouse of its own
        wh.migrate()
        build(wh)
    batch, _ = _uphold(d, people, first_run)
    clock.days(7)
    d.pay(people.chen, d.approve(people.wang, batch, expected_version=d.batch(batch).version).id)
    entry = next(e for e in d.ledger.entries(uscc=B) if (e.policy_id, e.clause_id) == RD)

    paid = runner.invoke(app, ["check", B, "--app-db", store.url], env={"COLUMNS": "250"})
    assert paid.exit_code == 0, paid.output
    line = next(x for x in paid.output.splitlines() if "zz-rd-input/award" in x and "│" in x)
    assert "已兑现" in line and "符合 eligible" not in line and "120,000.00" not in line
    said = next(x for x in paid.output.splitlines() if "(zz-rd-input/award): " in x and "│" not in x)
    assert f"支付台账 #{entry.id}" in said and beijing_text(entry.paid_at) in said

    withdrawn = runner.invoke(app, ["check", D, "--app-db", store.url], env={"COLUMNS": "250"})
    assert withdrawn.exit_code == 0, withdrawn.output
    line = next(x for x in withdrawn.output.splitlines() if "zz-hitech-first-c" in x and "│" in x)
    assert "异议成立已撤回" in line and "符合 eligible" not in line
    said = next(
        x for x in withdrawn.output.splitlines() if "(zz-hitech-first-cert/award): " in x and "│" not in x
    )
    assert f"兑现批次 #{batch}" in said and UPHELD in said
