"""QA (internal audit): one administrator could move money alone. As the zone's only admin, the
auditor created two accounts and with them created, reviewed, published, approved and paid a batch;
every four-eyes check passed because the accounts differed. Now an account counts as the same person
as the user who created it or gave it its role, and an account a user of the app made waits a
cooling-off before any payout step but an objection; each refusal says why and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from tests.disbursement.conftest import PASSWORD, Clock, People
from zonebrain.appstore import AccountGrantRow, AppStore, Role, User, UserRow, utcnow
from zonebrain.core.errors import InputError
from zonebrain.disbursement import Batch, BatchStatus, Disbursement, NotAllowed, RunRows
from zonebrain.disbursement._separation import AccountOnHold, hold_hours

HOLD_ENV = "ZONEBRAIN_NEW_ACCOUNT_HOLD_HOURS"


@pytest.fixture(autouse=True)
def _default_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOLD_ENV, raising=False)  # the default, 24 hours, whatever the shell says


def _ago(store: AppStore, user: User, hours: float) -> None:
    """Make *user*'s account, and its grant, *hours* old (as if it had been made then)."""
    then = utcnow() - dt.timedelta(hours=hours)
    with store.session() as s:
        s.execute(update(UserRow).where(UserRow.id == user.id).values(created_at=then))
        s.execute(update(AccountGrantRow).where(AccountGrantRow.user_id == user.id).values(granted_at=then))


def _denied(store: AppStore, action: str) -> list[tuple[str, str]]:
    return [
        (e.username, str(e.detail.get("reason")))
        for e in store.audit.entries(action=action)
        if e.outcome == "denied"
    ]


def _published(d: Disbursement, clock: Clock, b: Batch, publisher: User) -> Batch:
    b = d.publicize(
        publisher, b.id, start=d.today(), end=d.today() + dt.timedelta(days=6), expected_version=b.version
    )
    clock.days(7)  # the 公示期 is over
    return b


def test_the_auditors_repro_is_refused_at_each_step_saying_why(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    auditor = people.admin  # the zone's only admin
    r1 = store.users.add("r1", PASSWORD, Role.POLICY_RESEARCHER, by=auditor)
    l1 = store.users.add("l1", PASSWORD, Role.LEADER, by=auditor)

    with pytest.raises(
        AccountOnHold, match=r"账号 r1 由 admin 于 .* 创建, 在 24 小时冷静期内不能建立兑现批次"
    ) as err:
        d.create_batch(r1, first_run)  # at once: the cooling-off
    assert "24-hour cooling-off" in str(err.value) and "之后办理" in str(err.value)
    assert d.batches() == []
    ((who, reason),) = _denied(store, "disbursement.create")
    assert who == "r1" and reason.startswith("账号冷静期至 ") and "created by admin" in reason

    _ago(store, r1, 25)  # a day later
    _ago(store, l1, 25)
    b = d.create_batch(r1, first_run)
    with pytest.raises(NotAllowed, match="审核人与本批次的制单人视为同一人: r1 的账号由 admin 创建") as err:
        d.review(auditor, b.id, expected_version=b.version)
    assert (
        "(the reviewer counts as the same person as the batch's creator: admin created r1's account)"
        in str(err.value)
    )
    b = d.review(l1, b.id, expected_version=b.version)  # two accounts the admin made: the app cannot tell
    b = _published(d, clock, b, r1)
    for approver, why in ((auditor, "审批人与本批次的制单人视为同一人: r1 的账号由 admin 创建"),
                          (l1, "审批人不能是本批次的审核人")):  # fmt: skip
        with pytest.raises(NotAllowed, match=why):
            d.approve(approver, b.id, expected_version=b.version)
    assert d.batch(b.id).status is BatchStatus.PUBLICIZED and d.ledger.count() == 0  # no money moved
    assert _denied(store, "disbursement.review") == [
        (
            "admin",
            "审核人与本批次的制单人视为同一人: r1 的账号由 admin 创建 (reviewer and creator: admin created r1's account)",
        )
    ]
    assert [who for who, _ in _denied(store, "disbursement.approve")] == ["l1", "admin"]  # newest first


def test_a_single_admin_zone_still_pays_with_separated_people(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    """The people an admin made may act with one another (a day after), never with that admin."""
    admin = people.admin
    roles = {"r1": Role.POLICY_RESEARCHER, "r2": Role.POLICY_RESEARCHER, "l1": Role.LEADER}
    r1, r2, l1 = (store.users.add(name, PASSWORD, role, by=admin) for name, role in roles.items())
    for u in (r1, r2, l1):
        _ago(store, u, 25)  # a day later
    b = d.create_batch(r1, first_run)
    b = d.review(r2, b.id, expected_version=b.version)
    b = _published(d, clock, b, r1)
    b = d.approve(l1, b.id, expected_version=b.version)
    with pytest.raises(NotAllowed, match="支付登记人与本批次的审批人视为同一人: l1 的账号由 admin 创建"):
        d.pay(admin, b.id)
    paid = d.pay(r1, b.id)
    assert paid.batch.status is BatchStatus.PAID and paid.paid_fen > 0
    assert (paid.batch.created_by, paid.batch.reviewed_by, paid.batch.approved_by, paid.batch.paid_by) == (
        "r1", "r2", "l1", "r1"
    )  # fmt: skip
    # nor does the admin reverse what an account it made recorded as paid; the operator's leader may
    entry = d.ledger.search().rows[0][0]
    with pytest.raises(NotAllowed, match="冲正人与登记该笔支付的人视为同一人: r1 的账号由 admin 创建"):
        d.reverse(admin, entry.id, reason="银行退回", kind="error")
    still = d.ledger.entry(entry.id)
    assert still is not None and still.reversed_at is None
    assert d.reverse(people.wang, entry.id, reason="误记", kind="error").reversed_at is not None


def test_who_gave_an_account_its_role_is_one_person_with_it(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    """zhou was made by the operator; the admin later gave it its role: from then on they are linked."""
    store.users.set_role("zhou", Role.LEADER, by=people.admin)
    _ago(store, people.zhou, 25)
    b = d.create_batch(people.admin, first_run)
    b = d.review(people.liu, b.id, expected_version=b.version)
    b = _published(d, clock, b, people.admin)
    with pytest.raises(NotAllowed, match="审批人与本批次的制单人视为同一人: zhou 的角色由 admin 授予"):
        d.approve(people.zhou, b.id, expected_version=b.version)
    assert (
        d.approve(people.wang, b.id, expected_version=b.version).approved_by == "wang"
    )  # the operator's: free


def test_an_objection_is_recorded_at_once_and_not_resolved_by_who_made_its_recorder(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    li2 = store.users.add("li2", PASSWORD, Role.PARK_OFFICER, park_id="wutong", by=people.admin)
    b = d.create_batch(people.chen, first_run)
    b = d.review(people.liu, b.id, expected_version=b.version)
    b = d.publicize(
        people.chen, b.id, start=d.today(), end=d.today() + dt.timedelta(days=6), expected_version=b.version
    )
    item = next(i for i in d.items(b.id) if i.park_id == "wutong")
    o = d.object(li2, item.id, "该企业已迁出", raised_by="匿名")  # new, yet an objection only stops money
    with pytest.raises(NotAllowed, match="异议处理人与登记该异议的人视为同一人: li2 的账号由 admin 创建"):
        d.resolve(people.admin, o.id, upheld=True, note="属实")
    assert d.resolve(people.liu, o.id, upheld=True, note="属实").resolution == "upheld"


def test_the_cooling_off_window(d: Disbursement, store: AppStore, people: People, first_run: RunRows,
                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    b = d.create_batch(people.chen, first_run)
    fresh = store.users.add("fresh", PASSWORD, Role.POLICY_RESEARCHER, by=people.admin)
    _ago(store, fresh, 23)
    with pytest.raises(AccountOnHold, match="24 小时冷静期内不能审核兑现批次"):
        d.review(fresh, b.id, expected_version=b.version)
    monkeypatch.setenv(HOLD_ENV, "22")  # a zone's own, shorter cooling-off
    assert hold_hours() == 22
    b = d.review(fresh, b.id, expected_version=b.version)
    assert b.reviewed_by == "fresh"

    monkeypatch.setenv(HOLD_ENV, "24")
    week = {"start": d.today(), "end": d.today() + dt.timedelta(days=6), "expected_version": b.version}
    store.users.set_role("fresh", Role.POLICY_RESEARCHER, by=people.admin)  # its role given again: held again
    with pytest.raises(
        AccountOnHold, match=r"由 admin 于 .* 授予角色或重新启用, 在 24 小时冷静期内不能发布公示"
    ):
        d.publicize(fresh, b.id, **week)
    store.users.set_active("fresh", False)
    store.users.set_active("fresh", True, by=people.admin)  # activated again by a user: the same
    _ago(store, fresh, 25)
    store.users.set_active("fresh", False)
    store.users.set_active("fresh", True, by=people.admin)
    with pytest.raises(AccountOnHold):
        d.publicize(fresh, b.id, **week)
    assert d.batch(b.id).status is BatchStatus.REVIEWED
    store.users.set_role("fresh", Role.POLICY_RESEARCHER)  # by the operator on the server: no hold
    assert d.publicize(fresh, b.id, **week).publicized_by == "fresh"


def test_the_operators_accounts_act_at_once_and_the_setting_is_checked(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hold_hours() == 24
    ops = store.users.add("ops-made", PASSWORD, Role.POLICY_RESEARCHER)  # `zonebrain users add`
    b = d.create_batch(ops, first_run)
    assert b.created_by == "ops-made"
    monkeypatch.setenv(HOLD_ENV, "0")  # no cooling-off (a trial)
    tried = store.users.add("trial", PASSWORD, Role.LEADER, by=people.admin)
    assert d.review(tried, b.id, expected_version=b.version).reviewed_by == "trial"
    for bad in ("abc", "-1", "721"):
        monkeypatch.setenv(HOLD_ENV, bad)
        with pytest.raises(InputError, match=f"冷静期 {HOLD_ENV}='{bad}' 无效, 须为 0 至 720 的整数"):
            hold_hours()


def test_standing_says_who_is_one_person_and_until_when_an_account_waits(
    d: Disbursement, store: AppStore, people: People
) -> None:
    """What the batch page reads to offer only the steps the service would take."""
    auditor = people.admin
    r1 = store.users.add("r1", PASSWORD, Role.POLICY_RESEARCHER, by=auditor)
    store.users.add("l1", PASSWORD, Role.LEADER, by=r1)  # made by an account the admin made
    mine = d.standing(auditor)
    assert mine.me == {"admin", "r1"} and mine.hold_until is None  # the operator's: no cooling-off
    new = d.standing(r1)
    assert new.me == {"r1", "admin", "l1"}  # its maker and the account it made, not further
    assert new.hold_until is not None and new.hold_until - utcnow() > dt.timedelta(hours=23)
    assert d.standing(people.wang).me == {"wang"}
    _ago(store, r1, 25)
    assert d.standing(r1).hold_until is None and d.standing(r1).me == new.me
