"""四眼原则 on every step: the reviewer is not the creator, the payer not the approver; each
refusal is audited ``denied``, and so is a refused export of the 待核实 queue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.disbursement._flow import START, approved
from tests.disbursement.conftest import PASSWORD, Clock, People
from zonebrain.appstore import AppStore, Role
from zonebrain.disbursement import BatchStatus, Disbursement, NotAllowed, RunRows


def _denied(store: AppStore, action: str) -> list[tuple[str, str, str]]:
    rows = store.audit.entries(action=action)
    return [(e.username, e.target, str(e.detail.get("reason"))) for e in rows if e.outcome == "denied"]


def test_the_creator_may_not_review_their_own_batch(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    with pytest.raises(NotAllowed, match=r"审核人不能是本批次的制单人 \(the reviewer must not be") as err:
        d.review(people.chen, b.id, expected_version=b.version, ip="10.0.0.7")
    assert "请由另一位工作人员审核" in str(err.value)
    assert _denied(store, "disbursement.review") == [
        ("chen", f"batch:{b.id}", "审核人是本批次的制单人 (reviewer is the batch's creator)")
    ]
    (row,) = [e for e in store.audit.entries(action="disbursement.review") if e.outcome == "denied"]
    assert row.ip == "10.0.0.7"
    assert d.batch(b.id).status is BatchStatus.DRAFT and d.batch(b.id).version == b.version  # nothing changed
    reviewed = d.review(people.liu, b.id, expected_version=b.version)  # a colleague may
    assert (reviewed.status, reviewed.reviewed_by) == (BatchStatus.REVIEWED, "liu")


def test_an_admin_creator_may_not_review_either_and_a_leader_may(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.admin, first_run)
    with pytest.raises(NotAllowed, match="制单人"):
        d.review(people.admin, b.id, expected_version=b.version)
    assert d.review(people.wang, b.id, expected_version=b.version).reviewed_by == "wang"
    assert [u for u, _, _ in _denied(store, "disbursement.review")] == ["admin"]


def test_the_approver_may_not_record_the_payment(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)  # built by chen, reviewed by liu, approved by wang
    with pytest.raises(NotAllowed, match=r"支付登记人不能是本批次的审批人 \(the payer must not be") as err:
        d.pay(people.wang, b.id)
    assert "请由制单人或另一位工作人员登记支付" in str(err.value)
    assert _denied(store, "disbursement.pay") == [
        ("wang", f"batch:{b.id}", "支付登记人是本批次的审批人 (payer is the batch's approver)")
    ]
    assert d.ledger.count() == 0 and d.batch(b.id).status is BatchStatus.APPROVED
    paid = d.pay(people.chen, b.id)  # the creator records it
    assert paid.batch.paid_by == "chen" and len(paid.paid) == 3
    with pytest.raises(NotAllowed, match="审批人"):  # paying again is no way round it
        d.pay(people.wang, b.id)
    assert len(_denied(store, "disbursement.pay")) == 2 and d.ledger.count() == 3


@pytest.mark.parametrize("payer", ["liu", "zhou", "admin"])
def test_anyone_else_who_may_pay_records_the_payment(
    payer: str, d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    """The reviewer, another leader, an admin: only the approver is kept away from the payment."""
    b = approved(d, people, first_run, clock)
    assert d.pay(getattr(people, payer), b.id).batch.paid_by == payer


def test_a_small_zone_pays_with_three_people(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    """One researcher, one admin, one leader are enough: create, review, approve, pay, none twice
    where the rules forbid it."""
    b = d.create_batch(people.chen, first_run)
    b = d.review(people.admin, b.id, expected_version=b.version)
    b = d.publicize(
        people.chen, b.id, start=START, end=START + dt.timedelta(days=4), expected_version=b.version
    )
    clock.days(5)  # the day after the shortest 公示 (five days)
    b = d.approve(people.wang, b.id, expected_version=b.version)
    assert d.pay(people.chen, b.id).batch.status is BatchStatus.PAID
    assert not [e for e in store.audit.entries() if e.outcome == "denied"]


def test_a_refused_verification_export_is_audited(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    d.verification.add_from_run(people.chen, first_run)
    investor = store.users.add("zhao", PASSWORD, Role.INVESTMENT_OFFICER)
    with pytest.raises(NotAllowed, match=r"^招商专员无权导出兑现名单 "):
        d.export_verification(investor, tmp_path / "待核实.xlsx", ip="10.0.0.8")
    assert not (tmp_path / "待核实.xlsx").exists()
    rows = [e for e in store.audit.entries(action="disbursement.export") if e.outcome == "denied"]
    assert [(e.username, e.target, e.ip) for e in rows] == [("zhao", "verification", "10.0.0.8")]
    assert rows[0].detail["reason"].startswith("招商专员无权")
    d.export_verification(people.li, tmp_path / "园区.xlsx")  # a park officer: its own park's, audited ok
    ok = [e for e in store.audit.entries(action="disbursement.export") if e.outcome == "ok"]
    assert [(e.username, e.target) for e in ok] == [("li", "verification")]
