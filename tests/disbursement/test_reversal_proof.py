"""冲正 needs proof (QA: a reversal with a reason alone reopened the key for a full re-payment, with
no proof that the money came back).

A reversal names its kind: 退汇 (returned) and 追回 (recovered) with the evidence reference and the day
the money came back, 误记 (error: no money moved) with its reason; those reverse the entry and free
its key. 待追回 (unrecovered) records the claim on the entry, which stays live (counted as paid, its
key held) until a 追回 reversal with its evidence. Each is stored, shown and audited.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.disbursement._data import A, D
from tests.disbursement._flow import approved
from tests.disbursement.conftest import Clock, People
from zonebrain.appstore import AppStore
from zonebrain.core.errors import InputError
from zonebrain.disbursement import (
    Disbursement,
    ItemStatus,
    LedgerEntry,
    NotAllowed,
    ReversalKind,
    RunRows,
    WrongStep,
)
from zonebrain.disbursement._exports import entry_state

HITECH = "zz-hitech-first-cert"
PAID_ON = dt.date(2025, 4, 8)  # the flow approves and pays on 2025-04-08 (Beijing)


def _paid_entry(d: Disbursement, p: People, run: RunRows, clock: Clock, uscc: str = A) -> LedgerEntry:
    """The batch approved by wang and paid by chen; *uscc*'s one-time award's ledger entry."""
    b = approved(d, p, run, clock)
    d.pay(p.chen, b.id)
    (entry,) = [e for e in d.ledger.entries(uscc=uscc) if e.policy_id == HITECH]
    return entry


def _live_keys(d: Disbursement) -> set[str]:
    return {k[0] for k in d.ledger.live_keys() if k[1] == HITECH}


@pytest.mark.parametrize(
    ("kind", "label"), [("returned", "退汇"), ("recovered", "追回"), (ReversalKind.RETURNED, "退汇")]
)
def test_money_back_needs_its_evidence_and_day_then_frees_the_key(
    kind: ReversalKind | str,
    label: str,
    d: Disbursement,
    store: AppStore,
    people: People,
    first_run: RunRows,
    clock: Clock,
) -> None:
    entry = _paid_entry(d, people, first_run, clock)
    clock.days(4)  # 2025-04-12
    for evidence, day in (("", dt.date(2025, 4, 10)), ("HD-1", None), ("  ", None)):
        with pytest.raises(InputError, match=f"{label} \\(\\w+\\) 须填写.*待追回"):
            d.reverse(
                people.wang, entry.id, reason="银行退回", kind=kind, evidence=evidence, money_back_on=day
            )
    for day in (PAID_ON - dt.timedelta(days=1), dt.date(2025, 4, 13)):  # before the payment; after today
        with pytest.raises(InputError, match=r"款项退回日期 .* 须在支付日 2025-04-08 与今天 2025-04-12 之间"):
            d.reverse(people.wang, entry.id, reason="银行退回", kind=kind, evidence="HD-1", money_back_on=day)
    assert A in _live_keys(d) and not store.audit.entries(action="disbursement.reverse")

    e = d.reverse(
        people.wang, entry.id, reason="银行退回: 账户已注销", kind=kind, evidence=" HD 20250410-7 ",
        money_back_on=dt.date(2025, 4, 10),
    )  # fmt: skip
    assert e.reversed and (e.reversal_kind, e.reversal_evidence, e.money_back_on) == (
        ReversalKind(kind).value, "HD 20250410-7", dt.date(2025, 4, 10)
    )  # fmt: skip
    assert A not in _live_keys(d) and D in _live_keys(d)  # the key is free: the award may be paid again
    assert {i.uscc: i.status for i in d.items(e.batch_id or 0)}[A] is ItemStatus.REVERSED
    assert entry_state(e) == "已冲正" and d.ledger.entry(e.id) == e  # stored as returned
    (row,) = store.audit.entries(action="disbursement.reverse")
    assert (row.detail["kind"], row.detail["evidence"], row.detail["money_back_on"]) == (
        ReversalKind(kind).value, "HD 20250410-7", "2025-04-10"
    )  # fmt: skip
    assert row.detail["key_freed"] is True and row.detail["was_to_recover"] is False


def test_booked_in_error_needs_no_evidence_and_no_day(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    entry = _paid_entry(d, people, first_run, clock)
    with pytest.raises(InputError, match="没有退回的款项, 不填退回日期"):
        d.reverse(people.wang, entry.id, reason="重复记账", kind="error", money_back_on=PAID_ON)
    e = d.reverse(people.wang, entry.id, reason="重复记账, 未实际付款", kind="误记")  # by its Chinese label
    assert e.reversed and (e.reversal_kind, e.reversal_evidence, e.money_back_on) == ("error", "", None)
    assert A not in _live_keys(d)


def test_money_not_back_is_recorded_and_keeps_the_key_until_recovered(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    entry = _paid_entry(d, people, first_run, clock)
    before = (d.ledger.count(), d.ledger.total_fen())
    clock.days(1)
    e = d.reverse(people.zhou, entry.id, reason="误付: 企业不符合条件, 已发函追回", kind="unrecovered")
    assert not e.reversed and e.reversal_kind == "unrecovered" and e.recovery_noted_at == clock.now
    assert entry_state(e) == "有效 (待追回)"
    # still paid: counted, its key held, its item paid; the award cannot be paid again
    assert (d.ledger.count(), d.ledger.total_fen()) == before and A in _live_keys(d)
    assert {i.uscc: i.status for i in d.items(e.batch_id or 0)}[A] is ItemStatus.PAID
    with pytest.raises(WrongStep, match=r"已于 .* 由 zhou 记为待追回.*追回 \(recovered\)"):
        d.reverse(people.wang, entry.id, reason="再记一次", kind="unrecovered")
    with pytest.raises(InputError, match="须填写凭证号"):
        d.reverse(people.wang, entry.id, reason="已追回", kind="recovered")

    clock.days(20)
    back = dt.date(2025, 4, 25)
    done = d.reverse(
        people.wang, entry.id, reason="已追回", kind="recovered", evidence="JZ-0425", money_back_on=back
    )
    assert done.reversed and (done.reversal_kind, done.money_back_on) == ("recovered", back)
    assert done.reversal_reason == "误付: 企业不符合条件, 已发函追回\n已追回"  # both steps' reasons
    assert done.recovery_noted_at is not None and A not in _live_keys(d)
    rows = sorted(store.audit.entries(action="disbursement.reverse"), key=lambda r: r.id)
    assert [(r.username, r.detail["kind"], r.detail["key_freed"]) for r in rows] == [
        ("zhou", "unrecovered", False),
        ("wang", "recovered", True),
    ]
    assert rows[1].detail["was_to_recover"] is True and rows[1].detail["evidence"] == "JZ-0425"


@pytest.mark.parametrize("kind", [None, "", "legacy", "银行退回", "refund"])
def test_a_reversal_names_a_kind_it_may_be_given(
    kind: str | None, d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    entry = _paid_entry(d, people, first_run, clock)
    with pytest.raises(InputError) as err:
        d.reverse(people.wang, entry.id, reason="银行退回", kind=kind)
    said = str(err.value)
    assert ("冲正须注明类型" if not kind else f"'{kind}' 不是可用的冲正类型") in said
    assert "退汇 (returned)、追回 (recovered)、误记 (error)、待追回 (unrecovered)" in said
    assert "legacy" not in said.split("可用")[1] and A in _live_keys(d)


def test_the_payer_still_may_not_reverse_and_is_told_so_before_the_kind(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    d.pay(people.zhou, b.id)  # a leader who did not approve it records the payment
    (entry,) = [e for e in d.ledger.entries(uscc=A) if e.policy_id == HITECH]
    with pytest.raises(NotAllowed, match="冲正人不能是登记该笔支付的人"):
        d.reverse(people.zhou, entry.id, reason="银行退回")  # no kind: who may comes first
    (row,) = store.audit.entries(action="disbursement.reverse")
    assert (row.username, row.outcome) == ("zhou", "denied")
