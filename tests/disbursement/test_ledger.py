"""The payment ledger: paying is idempotent (enterprise × policy × clause × period), a re-run sees
what was paid, and the UNIQUE key holds even when two payments race."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from tests.disbursement._data import AS_OF, A, B, D
from tests.disbursement._flow import approved
from tests.disbursement.conftest import Clock, People, Zone
from zonebrain import policy
from zonebrain.appstore import AppStore
from zonebrain.appstore.disbursement_models import PaymentLedgerRow
from zonebrain.core.errors import StorageError
from zonebrain.disbursement import Disbursement, Ledger, RunRows, WrongStep, load_run


def test_paying_twice_pays_once(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    first = d.pay(people.chen, b.id)
    assert len(first.paid) == 3 and first.paid_fen == 62_000_000
    again = d.pay(people.chen, b.id)
    assert not again.paid and len(again.already_paid) == 3
    assert d.ledger.count() == 3 and d.ledger.total_fen() == 62_000_000
    pays = store.audit.entries(action="disbursement.pay")
    assert [e.outcome for e in pays] == ["already_paid", "ok"]
    assert {e.period for e in d.ledger.entries()} == {"once", "2024"}
    assert [e.paid_by for e in d.ledger.entries(uscc=B)] == ["chen"]


def test_ledger_is_the_payment_history_of_a_rerun(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    b = approved(d, people, first_run, clock)
    d.pay(people.chen, b.id)
    history: policy.PaymentHistory = d.ledger
    assert history.paid().column_names == ["uscc", "policy_id", "clause_id"]
    rerun = policy.run_policies(zone.wh, policy.load_library(), AS_OF, history=d.ledger)
    rows = {(r["uscc"], r["policy_id"]): r for r in rerun.results.to_pylist()}
    once = rows[A, "zz-hitech-first-cert"]
    assert once["status"] == "ineligible" and once["amount_fen"] is None
    assert json.loads(once["trace"])["ledger"] == "already paid (one-time award)"
    assert rows[B, "zz-rd-input"]["status"] == "eligible"  # a yearly award: the engine pays it again …

    # … the ledger does not (same period): B's award is already paid, A's not in it; no batch
    with pytest.raises(WrongStep, match=r"本次测算没有待兑现的奖励: .* 1 项奖励中, 此前已兑现 1 项"):
        d.create_batch(people.chen, load_run(zone.wh, rerun.run_id))


def test_a_rerun_without_history_still_cannot_pay_twice(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    d.pay(people.chen, approved(d, people, first_run, clock).id)
    rerun = policy.run_policies(zone.wh, policy.load_library(), AS_OF)  # forgot history=ledger
    with pytest.raises(WrongStep, match="此前已兑现 3 项"):  # the ledger holds all three: no batch
        d.create_batch(people.chen, load_run(zone.wh, rerun.run_id))
    assert d.ledger.count() == 3


def test_two_approved_batches_of_one_run_pay_each_award_once(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = approved(d, people, first_run, clock)
    # two batches of one award may exist only through a race the open-batch check cannot see
    # (two servers creating at once): the last line of defence is the ledger's UNIQUE key
    from zonebrain.disbursement import _service

    monkeypatch.setattr(_service, "_in_open_batches", lambda s, keys: {})
    two = approved(d, people, first_run, clock)
    d.pay(people.chen, one.id)
    # the pre-check misses the first payment once (as if it committed in between): the UNIQUE key
    # refuses the insert, the service retries, and the retry reports everything as already paid
    real, calls = _service.existing, []

    def blind_once(s: object, keys: object) -> dict[tuple[str, str, str, str], int]:
        calls.append(1)
        return {} if len(calls) == 1 else real(s, keys)  # type: ignore[arg-type]

    monkeypatch.setattr(_service, "existing", blind_once)
    r = d.pay(people.chen, two.id)
    assert len(calls) == 2 and not r.paid and len(r.already_paid) == 3
    assert {i.ledger_id for i in r.already_paid} == {e.id for e in d.ledger.entries(batch_id=one.id)}
    assert d.ledger.count() == 3


def test_the_unique_key_is_in_the_database(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    d.pay(people.chen, b.id)
    entry = d.ledger.entries(uscc=D)[0]
    dup = PaymentLedgerRow(
        uscc=D, policy_id=entry.policy_id, clause_id=entry.clause_id, period=entry.period, amount_fen=1,
        batch_id=b.id, item_id=0, run_id="x", paid_at=dt.datetime(2025, 1, 1), paid_by=people.chen.id,
    )  # fmt: skip
    with pytest.raises(StorageError), store.session() as s:
        s.add(dup)
    assert d.ledger.count() == 3


def test_ledger_table(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    assert Ledger(store).paid().num_rows == 0
    d.pay(people.chen, approved(d, people, first_run, clock).id)
    t = d.ledger.table()
    assert isinstance(t, pa.Table) and t.num_rows == 3 and t["amount_fen"].type == pa.int64()
