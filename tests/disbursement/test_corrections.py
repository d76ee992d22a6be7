"""Corrections: cancelling a batch not yet paid (作废) and reversing a ledger entry (冲正).

Cancelling: admin or the batch's creator, with a reason, from any status but paid; the run's awards
may then go into a new batch. Reversing: admin or leader other than the payer, with a reason; the
entry stays (flagged), the ledger no longer counts it, the next run finds the one-time award
eligible again, and a new batch pays it again exactly once.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.disbursement._data import AS_OF, A, B, D
from tests.disbursement._flow import END, START, approved, money_back, publicized
from tests.disbursement.conftest import Clock, People, Zone
from zonebrain import policy
from zonebrain.appstore import AppStore, ConcurrentUpdate
from zonebrain.appstore.disbursement_models import PaymentLedgerRow
from zonebrain.core.errors import InputError, StorageError
from zonebrain.disbursement import (
    Batch,
    BatchStatus,
    Disbursement,
    ItemStatus,
    NotAllowed,
    NotFound,
    RunRows,
    WrongStep,
    load_run,
)

HITECH = "zz-hitech-first-cert"


def _at(status: str, d: Disbursement, p: People, run: RunRows, clock: Clock) -> Batch:
    """A batch built by chen and carried to *status*."""
    if status == "draft":
        return d.create_batch(p.chen, run)
    if status == "reviewed":
        b = d.create_batch(p.chen, run)
        return d.review(p.liu, b.id, expected_version=b.version)
    if status == "publicized":
        return publicized(d, p, run)
    return approved(d, p, run, clock)


# ---- cancelling a batch (作废) ------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "reviewed", "publicized", "approved"])
def test_the_creator_cancels_a_batch_at_each_step_before_payment(
    status: str, d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = _at(status, d, people, first_run, clock)
    assert b.status.value == status and b.total_fen == 62_000_000
    c = d.cancel(people.chen, b.id, reason="  测算参数有误, 重新测算 ", expected_version=b.version)
    assert c.status is BatchStatus.CANCELLED and c.version == b.version + 1
    assert (c.cancelled_by, c.cancel_reason, c.cancelled_at) == ("chen", "测算参数有误, 重新测算", clock.now)
    assert c.total_fen == 0 and sum(c.counts.values()) == 3  # the items stay, as they stood
    (row,) = store.audit.entries(action="disbursement.cancel")
    assert row.outcome == "ok" and row.target == f"batch:{b.id}" and row.username == "chen"
    assert row.detail["status_before"] == status and row.detail["reason"] == "测算参数有误, 重新测算"
    # a cancelled batch is final: no step, no second cancel, no payment, no public list
    with pytest.raises(WrongStep, match=r"已于 .* 作废"):
        d.cancel(people.chen, b.id, reason="再作废一次")
    with pytest.raises(WrongStep):
        d.pay(people.chen, b.id)
    with pytest.raises(WrongStep):
        d.review(people.liu, b.id, expected_version=c.version)
    with pytest.raises(WrongStep, match="已作废"):
        d.export_publicity(people.chen, b.id, "x.xlsx")
    assert d.ledger.count() == 0


def test_an_admin_cancels_someone_elses_batch(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    c = d.cancel(people.admin, b.id, reason="政策文件修订")  # without a version: not checked
    assert c.status is BatchStatus.CANCELLED and c.cancelled_by == "admin"
    assert d.batches(status="cancelled") == [d.batch(b.id)]


def test_a_paid_batch_cannot_be_cancelled(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    d.pay(people.chen, b.id)
    # liu did not create it: still told the batch is paid, not to ask its creator (QA)
    for who in (people.chen, people.admin, people.liu):
        with pytest.raises(WrongStep, match=r"已兑现, 不能作废.*冲正"):
            d.cancel(who, b.id, reason="发错了")
    assert d.batch(b.id).status is BatchStatus.PAID
    assert not store.audit.entries(action="disbursement.cancel")


def test_only_an_admin_or_the_creator_cancels(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    with pytest.raises(NotAllowed, match="制单人"):
        d.cancel(people.liu, b.id, reason="我不同意")  # a policy researcher, but not the creator
    for who in (people.wang, people.li, people.firm_c):  # roles that may not build batches
        with pytest.raises(NotAllowed, match="无权作废兑现批次；须为系统管理员或创建本批次的政策研究员"):
            d.cancel(who, b.id, reason="我不同意")
    denied = store.audit.entries(action="disbursement.cancel")  # every refusal, each denied
    assert sorted(e.username for e in denied) == sorted(["liu", "wang", "li", "firm_c"])
    assert {e.outcome for e in denied} == {"denied"}
    (liu,) = [e for e in denied if e.username == "liu"]  # the audit reason reads Chinese first
    assert liu.detail["reason"] == "既非管理员也非本批次的制单人 (neither an admin nor the batch's creator)"
    assert d.batch(b.id).status is BatchStatus.DRAFT


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(reason: str, d: Disbursement, people: People, first_run: RunRows) -> None:
    b = d.create_batch(people.chen, first_run)
    with pytest.raises(InputError, match="须说明原因"):
        d.cancel(people.chen, b.id, reason=reason)
    assert d.batch(b.id).status is BatchStatus.DRAFT


def test_cancelling_checks_the_version_and_the_batch(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    d.review(people.liu, b.id, expected_version=b.version)
    with pytest.raises(ConcurrentUpdate, match="已被他人修改"):
        d.cancel(people.chen, b.id, reason="重新测算", expected_version=b.version)
    with pytest.raises(NotFound, match="#999"):
        d.cancel(people.chen, 999, reason="重新测算")
    assert d.batch(b.id).status is BatchStatus.REVIEWED
    assert not store.audit.entries(action="disbursement.cancel")  # no change, no audit row


def test_after_cancelling_the_runs_awards_go_into_a_new_batch(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    old = approved(d, people, first_run, clock)
    d.cancel(people.chen, old.id, reason="金额需复核")
    new = d.create_batch(people.chen, first_run)
    assert new.counts == {"listed": 3} and new.total_fen == 62_000_000
    new = d.review(people.liu, new.id, expected_version=new.version)
    start = d.today()  # a week later: the first 公示's dates would end before this batch existed
    new = d.publicize(
        people.chen, new.id, start=start, end=start + (END - START), expected_version=new.version
    )
    clock.days(7)
    new = d.approve(people.wang, new.id, expected_version=new.version)
    paid = d.pay(people.chen, new.id)
    assert len(paid.paid) == 3 and paid.paid_fen == 62_000_000
    assert {e.batch_id for e in d.ledger.entries()} == {new.id}
    assert {i.status for i in d.items(old.id)} == {ItemStatus.APPROVED}  # the cancelled batch's record


# ---- reversing a ledger entry (冲正) -------------------------------------------------------------


def _paid(d: Disbursement, p: People, run: RunRows, clock: Clock) -> int:
    """Approved by wang, paid by chen; returns the batch id."""
    b = approved(d, p, run, clock)
    assert len(d.pay(p.chen, b.id).paid) == 3
    return b.id


def _hitech_entry(d: Disbursement) -> int:
    (entry,) = [e for e in d.ledger.entries(uscc=A) if e.policy_id == HITECH and not e.reversed]
    return entry.id


def test_a_reversed_one_time_award_is_paid_again_exactly_once(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock, zone: Zone
) -> None:
    first = _paid(d, people, first_run, clock)
    assert (A, HITECH, "award") in _paid_keys(d)
    entry_id = _hitech_entry(d)

    clock.days(3)
    e = d.reverse(people.wang, entry_id, reason=" 银行退回: 账户已注销 ", **money_back(d))
    assert e.reversed and e.reversed_by == "wang" and e.reversal_reason == "银行退回: 账户已注销"
    assert e.reversed_at == clock.now and e.paid_by == "chen" and e.amount_fen == 30_000_000
    # kept, flagged; no longer paid
    assert len(d.ledger.entries()) == 3 and d.ledger.count() == 2
    assert d.ledger.total_fen() == 32_000_000
    assert (A, HITECH, "award") not in _paid_keys(d) and (D, HITECH, "award") in _paid_keys(d)
    items = {(i.uscc, i.policy_id): i for i in d.items(first)}
    assert items[A, HITECH].status is ItemStatus.REVERSED
    assert d.batch(first).total_fen == 32_000_000 and d.batch(first).status is BatchStatus.PAID
    (row,) = store.audit.entries(action="disbursement.reverse")
    assert row.outcome == "ok" and row.target == f"ledger:{entry_id}" and row.username == "wang"
    assert row.detail["uscc"] == A and row.detail["amount_fen"] == 30_000_000
    assert row.detail["reason"] == "银行退回: 账户已注销" and row.detail["batch"] == first

    # the next run (reading the ledger) finds the one-time award eligible again; D's stays paid
    rerun = policy.run_policies(zone.wh, policy.load_library(), AS_OF, history=d.ledger)
    rows = {(r["uscc"], r["policy_id"]): r for r in rerun.results.to_pylist()}
    assert rows[A, HITECH]["status"] == "eligible" and rows[A, HITECH]["amount_fen"] == 30_000_000
    assert rows[D, HITECH]["status"] == "ineligible"
    assert json.loads(rows[D, HITECH]["trace"])["ledger"] == "already paid (one-time award)"

    run = load_run(zone.wh, rerun.run_id)
    again = approved(d, people, run, clock)
    assert again.counts == {"approved": 1, "already_paid": 1}  # A again; B's 2024 award is held
    paid = d.pay(people.chen, again.id)
    assert [(i.uscc, i.policy_id) for i in paid.paid] == [(A, HITECH)] and paid.paid_fen == 30_000_000
    assert [(i.uscc, i.policy_id) for i in paid.already_paid] == [(B, "zz-rd-input")]
    a_entries = [e for e in d.ledger.entries(uscc=A) if e.policy_id == HITECH]
    assert [e.reversed for e in a_entries] == [True, False] and a_entries[1].batch_id == again.id
    assert d.ledger.count() == 3 and (A, HITECH, "award") in _paid_keys(d)

    # the same key once more (a second batch of the same run): nothing to pay, no batch, nothing written
    with pytest.raises(WrongStep, match="此前已兑现 2 项"):
        d.create_batch(people.chen, run)
    assert len(d.ledger.entries()) == 4 and d.ledger.total_fen() == 62_000_000


def _paid_keys(d: Disbursement) -> set[tuple[str, str, str]]:
    t = d.ledger.paid()
    return set(zip(*(t[c].to_pylist() for c in ("uscc", "policy_id", "clause_id")), strict=True))


def test_the_database_key_holds_for_live_entries_only(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    batch = _paid(d, people, first_run, clock)
    entry_id = _hitech_entry(d)

    def row(n: int) -> PaymentLedgerRow:
        return PaymentLedgerRow(
            uscc=A, policy_id=HITECH, clause_id="award", period="once", amount_fen=n, batch_id=batch,
            item_id=0, run_id="x", paid_at=dt.datetime(2025, 5, 1), paid_by=people.chen.id,
        )  # fmt: skip

    with pytest.raises(StorageError), store.session() as s:
        s.add(row(1))  # the live entry holds the key
    d.reverse(people.zhou, entry_id, reason="误付", kind="error")
    with store.session() as s:
        s.add(row(2))  # the reversed one does not
    with pytest.raises(StorageError), store.session() as s:
        s.add(row(3))  # … and the new live one does
    assert [e.amount_fen for e in d.ledger.entries(uscc=A) if e.policy_id == HITECH] == [30_000_000, 2]


def test_the_payer_may_not_reverse_their_own_payment(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    d.pay(people.zhou, b.id)  # a leader may record a payment too
    entry_id = _hitech_entry(d)
    with pytest.raises(NotAllowed, match="登记该笔支付"):
        d.reverse(people.zhou, entry_id, reason="银行退回")
    for who in (people.chen, people.liu, people.li, people.firm_c):  # roles that may not reverse
        with pytest.raises(NotAllowed, match="无权冲正台账记录；须为系统管理员或领导"):
            d.reverse(who, entry_id, reason="银行退回")
    denied = store.audit.entries(action="disbursement.reverse")  # every refusal, each denied
    assert sorted(e.username for e in denied) == sorted(["zhou", "chen", "liu", "li", "firm_c"])
    assert {(e.outcome, e.target) for e in denied} == {("denied", f"ledger:{entry_id}")}
    (zhou,) = [e for e in denied if e.username == "zhou"]
    assert zhou.detail["reason"] == "冲正人登记了该笔支付 (the reverser recorded the payment)"
    assert d.ledger.count() == 3
    assert d.reverse(people.admin, entry_id, reason="银行退回", **money_back(d)).reversed_by == "admin"


def test_reversing_twice_is_refused_and_names_the_entry(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    _paid(d, people, first_run, clock)
    entry_id = _hitech_entry(d)
    d.reverse(people.wang, entry_id, reason="银行退回", **money_back(d))
    with pytest.raises(WrongStep, match=rf"台账记录 #{entry_id} 已于 .* 由 wang 冲正, 不能重复冲正"):
        d.reverse(people.zhou, entry_id, reason="又退回")
    assert [e.outcome for e in store.audit.entries(action="disbursement.reverse")] == ["ok"]
    kept = d.ledger.entry(entry_id)
    assert kept is not None and kept.reversal_reason == "银行退回" and kept.reversed_by == "wang"


def test_reversing_needs_a_reason_and_an_entry(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    _paid(d, people, first_run, clock)
    entry_id = _hitech_entry(d)
    for reason in ("", "  "):
        with pytest.raises(InputError, match="冲正须说明原因"):
            d.reverse(people.wang, entry_id, reason=reason)
    with pytest.raises(NotFound, match="没有台账记录 #999"):
        d.reverse(people.wang, 999, reason="银行退回")
    assert d.ledger.count() == 3 and not any(e.reversed for e in d.ledger.entries())


def test_paying_again_after_a_reversal_does_not_repay_the_old_batch(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    """Paying the same (paid) batch again never re-pays a reversed item: a new batch does."""
    batch = _paid(d, people, first_run, clock)
    d.reverse(people.wang, _hitech_entry(d), reason="银行退回", **money_back(d))
    r = d.pay(people.chen, batch)
    assert not r.paid and len(r.already_paid) == 2 and d.ledger.count() == 2
