"""The rules of the workflow: a second role approves, after the 公示期, with every objection
resolved; steps only move forward; stale versions are refused; roles are checked."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from tests.disbursement._data import A, B, C, D
from tests.disbursement._flow import START, money_back, publicized
from tests.disbursement.conftest import Clock, People
from zonebrain.appstore import AppStore, ConcurrentUpdate
from zonebrain.core.errors import InputError
from zonebrain.disbursement import BatchStatus, Disbursement, ItemStatus, NotAllowed, RunRows, WrongStep


def test_the_approver_is_a_second_role(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    p = people
    b = d.create_batch(p.admin, first_run)  # an admin builds it …
    b = d.review(p.wang, b.id, expected_version=b.version)  # … a leader reviews it
    b = d.publicize(p.chen, b.id, start=START, end=START + dt.timedelta(days=4), expected_version=b.version)
    clock.days(5)
    with pytest.raises(NotAllowed, match="制单人"):
        d.approve(p.admin, b.id, expected_version=b.version)
    with pytest.raises(NotAllowed, match="审核人"):
        d.approve(p.wang, b.id, expected_version=b.version)
    with pytest.raises(NotAllowed, match=r"^政策研究员无权审批兑现批次；须为系统管理员或领导 "):
        d.approve(p.chen, b.id, expected_version=b.version)
    denied = store.audit.entries(action="disbursement.approve")
    assert [e.outcome for e in denied] == ["denied", "denied", "denied"]  # creator, reviewer, role
    assert d.approve(p.zhou, b.id, expected_version=b.version).approved_by == "zhou"


def test_approval_waits_for_the_end_of_the_publicity(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)  # 2025-04-01 … 2025-04-07; today is 2025-04-01
    assert (b.publicized_by, b.publicity_closed_by) == ("chen", None)  # who published, on the batch
    clock.days(6)  # 2025-04-07: the last day is still part of the 公示期
    with pytest.raises(WrongStep, match="尚未结束"):
        d.approve(people.wang, b.id, expected_version=b.version)
    with pytest.raises(InputError, match="原因"):
        d.close_publicity(people.wang, b.id, reason=" ", expected_version=b.version)
    b = d.close_publicity(people.wang, b.id, reason="管委会决定缩短公示期", expected_version=b.version)
    assert b.publicity_closed_at is not None and b.publicity_closed_by == "wang"
    assert d.batch(b.id).publicized_by == "chen"  # read back, not only returned
    assert d.approve(people.zhou, b.id, expected_version=b.version).status is BatchStatus.APPROVED


def test_a_publicity_not_yet_begun_cannot_be_closed_nor_approved(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    """QA: published to start in four days, the 公示 was "closed early" the same day, then the batch
    was approved and paid although the list was never public. Closing now waits for the start."""
    b = d.create_batch(people.chen, first_run)
    b = d.review(people.liu, b.id, expected_version=b.version)
    start = d.today() + dt.timedelta(days=4)
    b = d.publicize(
        people.chen, b.id, start=start, end=start + dt.timedelta(days=6), expected_version=b.version
    )
    with pytest.raises(WrongStep, match="尚未开始, 不能提前结束"):
        d.close_publicity(people.wang, b.id, reason="提前", expected_version=b.version)
    with pytest.raises(WrongStep, match="尚未结束"):
        d.approve(people.wang, b.id, expected_version=b.version)
    assert d.batch(b.id).publicity_closed_at is None
    clock.days(4)  # the start day: the list is public, the committee may shorten the period
    b = d.close_publicity(people.wang, b.id, reason="管委会决定缩短公示期", expected_version=b.version)
    assert d.approve(people.zhou, b.id, expected_version=b.version).status is BatchStatus.APPROVED


def test_upheld_objection_withdraws_the_item_and_dismissed_keeps_it(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    items = {i.uscc: i for i in d.items(b.id)}
    o1 = d.object(people.sun, items[D].id, "已迁出", raised_by="张三", raised_by_role="群众")
    o2 = d.object(people.li, items[A].id, "金额有误", raised_by="匿名")
    assert d.items(b.id, status=[ItemStatus.OBJECTED])[0].status is ItemStatus.OBJECTED
    clock.days(7)
    with pytest.raises(WrongStep, match="2 条异议未处理"):
        d.approve(people.wang, b.id, expected_version=d.batch(b.id).version)
    d.resolve(people.liu, o1.id, upheld=True, note="属实")
    d.resolve(people.liu, o2.id, upheld=False, note="金额按上年销售收入分档, 无误")
    with pytest.raises(WrongStep, match="已处理"):
        d.resolve(people.liu, o2.id, upheld=True, note="再议")
    status = {i.uscc: i.status for i in d.items(b.id)}
    assert status[D] is ItemStatus.WITHDRAWN and status[A] is ItemStatus.LISTED
    b = d.approve(people.wang, b.id, expected_version=d.batch(b.id).version)
    assert b.counts == {"approved": 2, "withdrawn": 1}
    assert {o.resolution for o in d.objections(b.id)} == {"upheld", "dismissed"}
    paid = d.pay(people.chen, b.id)
    assert D not in {i.uscc for i in paid.paid}


def test_objections_only_during_publicity_and_enterprises_only_on_their_own(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    item = d.items(b.id)[0]
    with pytest.raises(WrongStep, match="publicized"):
        d.object(people.li, item.id, "有异议", raised_by="匿名")
    b = d.review(people.liu, b.id, expected_version=b.version)
    d.publicize(people.chen, b.id, start=START, end=START + dt.timedelta(days=4), expected_version=b.version)
    with pytest.raises(NotAllowed, match=r"^企业用户无权对其他企业的名单项提出异议"):
        d.object(people.firm_c, item.id, "他家不该拿", raised_by="丙公司", raised_by_role="企业")
    with pytest.raises(InputError, match="提出人"):
        d.object(people.li, item.id, "有异议", raised_by=" ")


def test_steps_only_move_forward(d: Disbursement, people: People, first_run: RunRows) -> None:
    b = d.create_batch(people.chen, first_run)
    with pytest.raises(WrongStep, match="reviewed"):
        d.publicize(people.chen, b.id, start=START, end=START, expected_version=b.version)
    with pytest.raises(WrongStep, match="approved"):
        d.pay(people.chen, b.id)
    b = d.review(people.liu, b.id, expected_version=b.version)
    with pytest.raises(WrongStep, match=r"已审核 \(liu, .*无需重复操作"):  # a second click says so
        d.review(people.liu, b.id, expected_version=b.version)
    with pytest.raises(InputError, match="早于"):
        d.publicize(
            people.chen, b.id, start=START, end=START - dt.timedelta(days=1), expected_version=b.version
        )


def test_concurrent_approvals_one_wins(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    clock.days(7)
    seen = d.batch(b.id)  # both leaders read the same version
    d.approve(people.wang, b.id, expected_version=seen.version)
    with pytest.raises(ConcurrentUpdate, match="已被他人修改"):
        d.approve(people.zhou, b.id, expected_version=seen.version)
    assert d.batch(b.id).approved_by == "wang"


def test_an_objection_makes_an_approval_read_before_it_stale(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    clock.days(7)
    seen = d.batch(b.id)
    o = d.object(people.li, d.items(b.id)[0].id, "逾期异议", raised_by="匿名")
    with pytest.raises(ConcurrentUpdate):
        d.approve(people.wang, b.id, expected_version=seen.version)
    d.resolve(people.liu, o.id, upheld=False, note="不成立")
    assert d.approve(people.wang, b.id, expected_version=d.batch(b.id).version).status is BatchStatus.APPROVED


def test_roles_are_checked_against_the_stored_account(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    with pytest.raises(NotAllowed, match=r"^园区专员无权建立兑现批次"):
        d.create_batch(people.li, first_run)
    store.users.set_active("chen", False)
    with pytest.raises(NotAllowed, match="已停用"):
        d.create_batch(people.chen, first_run)  # the User object still says active; the store does not
    with pytest.raises(InputError, match="没有可兑现"):
        d.create_batch(people.liu, first_run, policies=["zz-revenue-breakthrough"])
    assert C not in {i.uscc for i in d.items(d.create_batch(people.liu, first_run).id)}


def test_an_objection_after_the_publicity_is_recorded_as_late_and_still_resolved(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)  # 2025-04-01 … 2025-04-07; today is 2025-04-01
    items = d.items(b.id)
    assert d.object(people.officer(items[0]), items[0].id, "金额有误", raised_by="匿名").late is False
    clock.days(1)
    b = d.close_publicity(
        people.wang, b.id, reason="管委会决定缩短公示期", expected_version=d.batch(b.id).version
    )
    # still inside the dates, but the period was closed early
    assert d.object(people.officer(items[1]), items[1].id, "已迁出", raised_by="张三").late is True
    assert [o.late for o in d.objections(b.id)] == [False, True]
    audit = store.audit.entries(action="disbursement.object")
    assert sorted(e.detail["late"] for e in audit) == [False, True]
    with pytest.raises(WrongStep, match="2 条异议未处理"):  # late or not, a disputed award waits
        d.approve(people.zhou, b.id, expected_version=d.batch(b.id).version)


def test_an_objection_after_the_last_day_is_late(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    items = d.items(b.id)
    clock.days(6)  # 2025-04-07: the last day is part of the 公示期
    assert d.object(people.officer(items[0]), items[0].id, "金额有误", raised_by="匿名").late is False
    clock.days(1)  # 2025-04-08
    assert d.object(people.officer(items[1]), items[1].id, "已迁出", raised_by="张三").late is True


def test_a_new_batch_keeps_what_an_upheld_objection_withdrew(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    items = {i.uscc: i for i in d.items(b.id)}
    o = d.object(people.sun, items[D].id, "已迁出", raised_by="张三")
    d.resolve(people.liu, o.id, upheld=True, note="属实")
    clock.days(7)
    d.approve(people.wang, b.id, expected_version=d.batch(b.id).version)
    d.pay(people.chen, b.id)
    # the same run once more: D is not 列入名单 again, unnoticed; nothing is left to pay, so no batch
    with pytest.raises(WrongStep, match="此前已兑现 2 项, 已撤回 1 项"):
        d.create_batch(people.chen, first_run)
    (entry,) = d.ledger.entries(uscc=A)
    d.reverse(
        people.wang, entry.id, reason="银行退回", **money_back(d)
    )  # A payable again: a batch, D still withdrawn
    again = d.create_batch(people.chen, first_run)
    status = {i.uscc: i.status for i in d.items(again.id)}
    assert status[D] is ItemStatus.WITHDRAWN and status[A] is ItemStatus.LISTED
    assert status[B] is ItemStatus.ALREADY_PAID
    created = max(store.audit.entries(action="disbursement.create"), key=lambda e: e.id)
    assert [k.split("/")[0] for k in created.detail["withdrawn_before"]] == [D]
    assert set(created.detail["withdrawn_before"].values()) == {b.id}


def test_a_cancelled_batchs_withdrawals_do_not_carry_over(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    items = {i.uscc: i for i in d.items(b.id)}
    o = d.object(people.sun, items[D].id, "已迁出", raised_by="张三")
    d.resolve(people.liu, o.id, upheld=True, note="属实")
    d.cancel(people.chen, b.id, reason="名单有误, 重新生成", expected_version=d.batch(b.id).version)
    again = d.create_batch(people.chen, first_run)
    assert {i.uscc: i.status for i in d.items(again.id)}[D] is ItemStatus.LISTED


def test_an_award_is_in_one_open_batch_at_a_time(d: Disbursement, people: People, first_run: RunRows) -> None:
    """Two open batches of one run would let an award withdrawn in one be paid through the other."""
    hitech = d.create_batch(people.chen, first_run, policies=["zz-hitech-first-cert"])
    rd = d.create_batch(people.chen, first_run, policies=["zz-rd-input"])  # no overlap: allowed
    assert {i.policy_id for i in d.items(rd.id)} == {"zz-rd-input"}
    with pytest.raises(WrongStep, match=f"未完成的兑现批次 #{hitech.id}, #{rd.id}"):
        d.create_batch(people.chen, first_run)
    d.cancel(people.chen, hitech.id, reason="重新生成", expected_version=hitech.version)
    again = d.create_batch(people.chen, first_run, policies=["zz-hitech-first-cert"])  # cancelled: free
    assert len(d.items(again.id)) == len(d.items(hitech.id))


def test_every_refusal_by_role_is_audited(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    item = d.items(b.id)[0]
    with pytest.raises(NotAllowed, match=r"^领导无权作废兑现批次；"):
        d.cancel(people.wang, b.id, reason="试试")  # a leader may not cancel
    with pytest.raises(
        NotAllowed, match=r"^园区专员无权审核兑现批次.*\(a park officer may not review a batch: "
    ):
        d.review(people.li, b.id, expected_version=b.version)
    with pytest.raises(NotAllowed):
        d.object(people.firm_c, item.id, "不该拿", raised_by="丙")  # not its own item: four-eyes kind
    denied = {(e.action, e.target, e.username) for e in store.audit.entries() if e.outcome == "denied"}
    assert ("disbursement.cancel", f"batch:{b.id}", "wang") in denied
    assert ("disbursement.review", f"batch:{b.id}", "li") in denied
    assert all(e.detail.get("reason") for e in store.audit.entries() if e.outcome == "denied")


def test_the_publicity_is_closed_once(d: Disbursement, people: People, first_run: RunRows) -> None:
    """A second close would overwrite who closed it when and why: refused, naming the first."""
    b = publicized(d, people, first_run)
    b = d.close_publicity(people.wang, b.id, reason="管委会决定", expected_version=b.version)
    item = d.items(b.id)[0]
    d.resolve(
        people.liu, d.object(people.li, item.id, "金额有误", raised_by="匿名").id, upheld=False, note="无误"
    )
    b = d.batch(b.id)
    with pytest.raises(
        WrongStep, match=r"公示已于 2025-04-01 10:00 提前结束 \(the publicity was already closed\)"
    ):
        d.close_publicity(people.zhou, b.id, reason="again", expected_version=b.version)
    after = d.batch(b.id)
    assert (after.publicity_note, after.publicity_closed_at, after.version) == (
        "管委会决定",
        b.publicity_closed_at,
        b.version,
    )


def test_the_publicity_may_not_start_before_the_review(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    """Dates wholly in the past would let the batch be approved at once, skipping the 公示; a start
    before the review is a backdated one (audit: a start before the batch existed was accepted).
    The review's day itself is fine: published then, recorded a day later. Dates are Beijing dates."""
    clock.now = dt.datetime(2025, 3, 31, 17, 0)  # 2025-04-01 01:00 in Beijing
    b = d.create_batch(people.chen, first_run)
    b = d.review(people.liu, b.id, expected_version=b.version)
    clock.days(1)  # recorded the day after the review
    for start, end in (
        (dt.date(2020, 1, 1), dt.date(2020, 1, 7)),
        (dt.date(2025, 3, 31), dt.date(2025, 4, 6)),  # UTC's date of the review: a day too early
    ):
        with pytest.raises(InputError, match=f"公示开始日 {start} 早于本批次的审核日 2025-04-01") as err:
            d.publicize(people.chen, b.id, start=start, end=end, expected_version=b.version)
        assert "实际发布公示的日期" in str(err.value)
    assert d.batch(b.id).status is BatchStatus.REVIEWED
    b = d.publicize(
        people.chen, b.id, start=dt.date(2025, 4, 1), end=dt.date(2025, 4, 7), expected_version=b.version
    )
    with pytest.raises(WrongStep, match="尚未结束"):
        d.approve(people.wang, b.id, expected_version=b.version)


def test_only_payable_awards_make_an_open_batch_refuse_a_new_one(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    items = {i.uscc: i for i in d.items(b.id)}
    d.resolve(
        people.liu, d.object(people.sun, items[D].id, "已迁出", raised_by="张三").id, upheld=True, note="属实"
    )
    clock.days(7)
    d.pay(people.chen, d.approve(people.wang, b.id, expected_version=d.batch(b.id).version).id)
    (entry,) = d.ledger.entries(uscc=A)
    d.reverse(people.wang, entry.id, reason="银行退回", **money_back(d))
    open_ = d.create_batch(people.chen, first_run)  # A listed again; B already paid; D withdrawn
    assert open_.counts == {"listed": 1, "already_paid": 1, "withdrawn": 1}
    with pytest.raises(WrongStep, match=rf"^1 项待兑现奖励已在未完成的兑现批次 #{open_.id} 中") as refused:
        d.create_batch(people.chen, first_run)
    assert f"(payable awards already in open batch #{open_.id}: 1)" in str(refused.value)  # no "1 awards"
    with pytest.raises(WrongStep, match="此前已兑现 1 项"):  # B only: nothing to pay twice, no batch
        d.create_batch(people.chen, first_run, policies=["zz-rd-input"])


def test_a_version_ahead_is_wrong_not_changed_by_someone(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    with pytest.raises(ConcurrentUpdate, match=r"版本号不对: 当前为 1, 你填的是 5 \(wrong version") as err:
        d.review(people.liu, b.id, expected_version=5)
    assert "他人" not in str(err.value)
    d.review(people.liu, b.id, expected_version=1)
    with pytest.raises(
        ConcurrentUpdate, match=r"已被他人修改 \(changed by someone else: version 2, you had 1\)"
    ):
        d.publicize(people.chen, b.id, start=START, end=START, expected_version=1)


def test_an_unknown_policy_is_named_with_the_runs_policies(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    with pytest.raises(InputError, match="没有测算政策 zz-nope") as err:
        d.create_batch(people.chen, first_run, policies=["zz-rd-input", "zz-nope"])
    assert "zz-hitech-first-cert, zz-rd-input, zz-revenue-breakthrough" in str(err.value)
    assert "no eligible award" not in str(err.value) and not d.batches()


def test_a_provisional_run_cannot_be_paid(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """A run whose period had not ended on its as-of date is refused (and the refusal audited)."""
    early = dataclasses.replace(first_run, as_of=dt.date(first_run.period, 12, 31), run_id="early-run")
    with pytest.raises(WrongStep, match="暂定") as refused:
        d.create_batch(people.chen, early)
    assert "provisional" in str(refused.value) and f"{first_run.period} 年度在基准日" in str(refused.value)
    (row,) = store.audit.entries(action="disbursement.create")
    assert (row.target, row.outcome) == ("run:early-run", "refused")
    assert d.batches() == []
    assert d.create_batch(people.chen, first_run).run_id == first_run.run_id  # its period over: fine
