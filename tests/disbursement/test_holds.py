"""暂缓支付: an approved item held before payment (QA: between approval and payment the only options
were cancelling the whole batch or paying everyone, whatever new facts arrived about one firm).

``pay`` pays the rest and leaves the held item unpaid (the batch 部分兑现, open for it); someone
other than who held it releases it (the next ``pay`` pays it) or withdraws it (never paid); every
step and every refusal is in the audit log; the 公示 and notify lists never tell a held firm it is
paid. On SQLite and (when selected) PostgreSQL, as every ``store`` test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.disbursement._data import A, B, D
from tests.disbursement._flow import approved, publicized
from tests.disbursement.conftest import PASSWORD, Clock, People, ZoneFile
from zonebrain.appstore import AppStore, ConcurrentUpdate, Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.core.errors import InputError
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
from zonebrain.storage import open_warehouse

runner = CliRunner()


def _item_of(d: Disbursement, batch_id: int, uscc: str) -> int:
    (item,) = [i for i in d.items(batch_id) if i.uscc == uscc]
    return item.id


def _held_batch(d: Disbursement, p: People, run: RunRows, clock: Clock) -> tuple[Batch, int]:
    """Approved by wang; D's award (20万) held by the leader zhou: (the batch, D's item id)."""
    b = approved(d, p, run, clock)
    item = _item_of(d, b.id, D)
    h = d.hold(p.zhou, b.id, item, reason=" 企业列入失信名单, 待核实 ", expected_version=b.version)
    assert (h.reason, h.held_by, h.held_at, h.open) == ("企业列入失信名单, 待核实", "zhou", clock.now, True)
    return d.batch(b.id), item


def _statuses(d: Disbursement, batch_id: int) -> dict[str, ItemStatus]:
    return {i.uscc: i.status for i in d.items(batch_id)}


def test_pay_skips_the_held_item_and_pays_the_rest(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b, item = _held_batch(d, people, first_run, clock)
    assert b.status is BatchStatus.APPROVED and b.counts == {"approved": 2, "held": 1}
    assert b.total_fen == 62_000_000  # a held award still counts until it is withdrawn

    r = d.pay(people.chen, b.id)
    assert sorted(i.uscc for i in r.paid) == [A, B] and r.paid_fen == 42_000_000
    assert [(i.id, i.status) for i in r.held] == [(item, ItemStatus.HELD)]
    assert r.batch.status is BatchStatus.PART_PAID and r.batch.paid_by == "chen"
    assert _statuses(d, b.id) == {A: ItemStatus.PAID, B: ItemStatus.PAID, D: ItemStatus.HELD}
    assert {e.uscc for e in d.ledger.entries()} == {A, B} and d.ledger.total_fen() == 42_000_000
    # the batch stays open for the held award: it cannot go into another batch, nor be cancelled
    with pytest.raises(WrongStep, match="已部分兑现, 不能作废"):
        d.cancel(people.chen, b.id, reason="重新测算")

    (hold,) = store.audit.entries(action="disbursement.hold")
    assert (hold.username, hold.target, hold.outcome) == ("zhou", f"batch:{b.id}", "ok")
    assert (hold.detail["item"], hold.detail["uscc"], hold.detail["reason"]) == (
        item,
        D,
        "企业列入失信名单, 待核实",
    )
    assert hold.detail["amount_fen"] == 20_000_000
    (pay,) = store.audit.entries(action="disbursement.pay")
    assert (pay.detail["paid_now"], pay.detail["held"], pay.detail["total_fen"]) == (2, 1, 42_000_000)


def test_the_held_item_is_paid_only_once_released_and_not_by_its_holder(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b, item = _held_batch(d, people, first_run, clock)
    d.pay(people.chen, b.id)
    again = d.pay(people.chen, b.id)  # a second click: nothing released, nothing paid
    assert again.paid == () and len(again.paid_before) == 2 and [i.id for i in again.held] == [item]
    assert d.ledger.count() == 2 and _statuses(d, b.id)[D] is ItemStatus.HELD

    with pytest.raises(NotAllowed, match="放行人不能是暂缓支付该项的人"):
        d.release(people.zhou, b.id, item, reason="核实无误")  # four eyes: not who held it
    with pytest.raises(NotAllowed, match="政策研究员无权放行暂缓支付的名单项"):
        d.release(people.liu, b.id, item, reason="核实无误")  # a role that does not approve
    assert _statuses(d, b.id)[D] is ItemStatus.HELD
    denied = store.audit.entries(action="disbursement.release")
    assert sorted((e.username, e.outcome) for e in denied) == [("liu", "denied"), ("zhou", "denied")]
    (zhou,) = [e for e in denied if e.username == "zhou"]
    assert zhou.detail["reason"] == "放行人是暂缓支付该项的人 (releaser is who put the item on hold)"

    clock.days(1)
    h = d.release(people.admin, b.id, item, reason=" 经核实企业未列入失信名单 ")
    assert (h.outcome, h.outcome_note, h.decided_by, h.decided_at) == (
        "released", "经核实企业未列入失信名单", "admin", clock.now
    )  # fmt: skip
    assert _statuses(d, b.id)[D] is ItemStatus.APPROVED and d.batch(b.id).status is BatchStatus.PART_PAID
    (ok,) = [e for e in store.audit.entries(action="disbursement.release") if e.outcome == "ok"]
    assert (ok.username, ok.detail["held_by"], ok.detail["reason"]) == (
        "admin",
        "zhou",
        "经核实企业未列入失信名单",
    )

    paid = d.pay(people.chen, b.id)
    assert [(i.uscc, i.amount_fen) for i in paid.paid] == [(D, 20_000_000)] and paid.held == ()
    assert paid.batch.status is BatchStatus.PAID and paid.batch.paid_by == "chen"
    assert d.ledger.count() == 3 and d.ledger.total_fen() == 62_000_000
    assert set(_statuses(d, b.id).values()) == {ItemStatus.PAID}
    assert [h.outcome for h in d.holds(b.id)] == ["released"] and d.holds(b.id, open_only=True) == []


def test_a_hold_released_before_payment_lets_one_payment_pay_everything(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b, item = _held_batch(d, people, first_run, clock)
    d.release(people.wang, b.id, item, reason="账户已更正")  # the approver may: it did not hold it
    with pytest.raises(WrongStep, match="未被暂缓支付"):
        d.withdraw_held(people.admin, b.id, item, reason="再议")  # released: nothing to decide
    r = d.pay(people.chen, b.id)
    assert len(r.paid) == 3 and r.batch.status is BatchStatus.PAID and r.held == ()


def test_a_withdrawn_item_is_never_paid_and_the_batch_is_then_paid(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b, item = _held_batch(d, people, first_run, clock)
    assert d.pay(people.chen, b.id).batch.status is BatchStatus.PART_PAID
    with pytest.raises(NotAllowed, match="撤回人不能是暂缓支付该项的人"):
        d.withdraw_held(people.zhou, b.id, item, reason="不予兑现")
    with pytest.raises(InputError, match="须说明原因"):
        d.withdraw_held(people.admin, b.id, item, reason="  ")
    h = d.withdraw_held(people.admin, b.id, item, reason="企业列入失信名单, 不予兑现")
    assert (h.outcome, h.decided_by) == ("withdrawn", "admin")
    after = d.batch(b.id)
    assert after.status is BatchStatus.PAID and after.total_fen == 42_000_000  # nothing left to pay
    assert _statuses(d, b.id)[D] is ItemStatus.WITHDRAWN and d.ledger.count() == 2
    (row,) = [e for e in store.audit.entries(action="disbursement.withdraw") if e.outcome == "ok"]
    assert (row.detail["batch_status_before"], row.detail["batch_status"]) == ("part_paid", "paid")
    assert row.detail["reason"] == "企业列入失信名单, 不予兑现" and row.detail["held_by"] == "zhou"
    assert d.pay(people.chen, b.id).paid == ()  # paying again pays nothing
    with pytest.raises(WrongStep, match=r"已兑现 \(paid\), 只有已审批或部分兑现的批次才能放行.*冲正"):
        d.release(people.wang, b.id, item, reason="改变主意")
    # as after an upheld objection, no later batch lists the withdrawn award again
    with pytest.raises(WrongStep, match=r"此前已兑现 2 项, 已撤回 1 项"):
        d.create_batch(people.chen, first_run)


def test_holding_is_refused_saying_why(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    early = publicized(d, people, first_run)
    with pytest.raises(WrongStep, match=r"只有已审批或部分兑现的批次才能暂缓支付.*登记异议"):
        d.hold(people.zhou, early.id, d.items(early.id)[0].id, reason="待核实")
    d.cancel(people.chen, early.id, reason="重做")
    b = approved(d, people, first_run, clock)
    item = _item_of(d, b.id, D)
    with pytest.raises(InputError, match="暂缓支付须说明原因"):
        d.hold(people.zhou, b.id, item, reason=" ")
    with pytest.raises(NotAllowed, match="政策研究员无权暂缓支付"):
        d.hold(people.chen, b.id, item, reason="待核实")
    with pytest.raises(NotFound, match="没有名单项 #99999"):
        d.hold(people.zhou, b.id, 99_999, reason="待核实")
    other = d.items(early.id)[0].id  # an item of another batch
    with pytest.raises(NotFound, match=f"兑现批次 #{b.id} 中没有名单项 #{other}"):
        d.hold(people.zhou, b.id, other, reason="待核实")
    with pytest.raises(ConcurrentUpdate):
        d.hold(people.zhou, b.id, item, reason="待核实", expected_version=b.version - 1)
    d.hold(people.zhou, b.id, item, reason="待核实")
    assert d.batch(b.id).version == b.version + 1  # a payment that read the batch before fails
    with pytest.raises(WrongStep, match=r"已于 .* 由 zhou 暂缓支付: 待核实"):
        d.hold(people.admin, b.id, item, reason="再暂缓")
    d.pay(people.chen, b.id)
    paid_item = _item_of(d, b.id, A)
    with pytest.raises(WrongStep, match=r"只有已审批待支付的名单项才能暂缓支付.*冲正"):
        d.hold(people.zhou, b.id, paid_item, reason="待核实")
    denied = store.audit.entries(action="disbursement.hold")
    assert [(e.username, e.outcome) for e in denied if e.outcome != "ok"] == [("chen", "denied")]


def test_held_firms_are_not_told_they_are_paid(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, tmp_path: Path
) -> None:
    b, _item = _held_batch(d, people, first_run, clock)
    d.pay(people.chen, b.id)

    notify = openpyxl.load_workbook(d.export_notify(people.chen, b.id, tmp_path / "通知.xlsx"))
    detail = list(notify["兑现明细"].iter_rows(values_only=True))
    assert D not in {r[1] for r in detail} and {A, B} <= {r[1] for r in detail}
    notes = [r[0] for r in notify["说明"].iter_rows(values_only=True)]
    assert "另有 1 项奖励暂缓支付, 未列入本名单" in " ".join(str(n) for n in notes)
    assert "部分兑现 (part_paid)" in str(notes[1])

    public = openpyxl.load_workbook(d.export_publicity(people.chen, b.id, tmp_path / "公示.xlsx"))
    names = {r[1] for r in public["公示名单"].iter_rows(values_only=True)}
    assert "郑州丁生物科技有限公司" not in names and "郑州甲芯科技有限公司" in names
    text = " ".join(str(r[0]) for r in public["说明"].iter_rows(values_only=True))
    assert "已审批兑现以下 2 项奖励" in text and "另有 1 项奖励暂缓支付" in text and "已兑现以下" not in text


def test_the_hold_record_is_read_back_in_order(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b, item = _held_batch(d, people, first_run, clock)
    d.release(people.admin, b.id, item, reason="已核实")
    d.hold(people.wang, b.id, item, reason="又有新情况")  # held again, before payment
    first, second = d.holds(b.id)
    assert (first.outcome, second.outcome, second.held_by) == ("released", None, "wang")
    assert d.holds(b.id, open_only=True) == [second]
    assert d.pay(people.chen, b.id).held == (d.item(item),)  # held again: left unpaid again


def test_cancelling_the_batch_ends_its_open_holds(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    """QA: a cancelled approved batch kept its holds open, held items of a batch no one can pay."""
    b, _item = _held_batch(d, people, first_run, clock)
    d.cancel(people.admin, b.id, reason="测算参数有误, 重新测算")
    (h,) = d.holds(b.id)
    assert (h.open, h.outcome, h.decided_by) == (False, "cancelled", "admin")
    assert h.outcome_note == "批次作废 (batch cancelled): 测算参数有误, 重新测算"
    (cancel,) = store.audit.entries(action="disbursement.cancel")
    assert cancel.detail["holds_closed"] == 1


def test_hold_release_and_withdraw_from_the_shell(
    zone_file: ZoneFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zonebrain policy batch hold|release|withdraw``: each step signed in (as paying is), its
    refusal a message with exit code 1, ``batch show`` and ``batch pay`` saying what is held."""
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setenv("ZONEBRAIN_PASSWORD", PASSWORD)
    run_id = zone_file.copy_to(tmp_path / "wh.duckdb")
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        add = store.users.add
        chen, liu = (
            add("chen", PASSWORD, Role.POLICY_RESEARCHER),
            add("liu", PASSWORD, Role.POLICY_RESEARCHER),
        )
        wang, zhou = add("wang", PASSWORD, Role.LEADER), add("zhou", PASSWORD, Role.LEADER)
        add("admin", PASSWORD, Role.ADMIN)
        d = Disbursement(store)
        with open_warehouse(tmp_path / "wh.duckdb", read_only=True) as wh:
            run = load_run(wh, run_id)
        b = d.create_batch(chen, run)
        b = d.review(liu, b.id, expected_version=b.version)
        b = d.publicize(
            chen, b.id, start=d.today(), end=d.today() + dt.timedelta(days=6), expected_version=b.version
        )
        b = d.close_publicity(wang, b.id, reason="会议决定", expected_version=b.version)
        b = d.approve(zhou, b.id, expected_version=b.version)
        held, kept = _item_of(d, b.id, D), _item_of(d, b.id, B)

    def shell(*args: str) -> tuple[int, str]:
        r = runner.invoke(app, ["batch", *args])
        return r.exit_code, r.output

    code, out = shell("hold", str(b.id), str(held), "--user", "chen", "--reason", "待核实")
    assert code == 1 and "政策研究员无权暂缓支付" in out
    code, out = shell("hold", str(b.id), str(held), "--user", "wang", "--reason", " ")
    assert code == 1 and "暂缓支付须说明原因" in out
    for item, why in ((held, "企业列入失信名单, 待核实"), (kept, "银行账户有误")):
        code, out = shell("hold", str(b.id), str(item), "--user", "wang", "--reason", why)
        assert code == 0 and f"名单项 item #{item}" in out and "暂缓支付 held" in out, out
    code, out = shell("pay", str(b.id), "--user", "chen")
    assert code == 0 and "本次支付 paid now: 1 项" in out and "暂缓支付 held: 2 项" in out, out
    code, out = shell("show", str(b.id))
    assert "部分兑现 part_paid" in out and out.count("暂缓中 on hold") == 2 and "银行账户有误" in out
    code, out = shell("release", str(b.id), str(kept), "--user", "wang", "--reason", "账户已更正")
    assert code == 1 and "放行人不能是暂缓支付该项的人" in out
    code, out = shell("release", str(b.id), str(kept), "--user", "admin", "--reason", "账户已更正")
    assert code == 0 and "已放行 released" in out and "已审批 approved" in out, out
    code, out = shell("withdraw", str(b.id), str(held), "--user", "zhou", "--reason", "不予兑现")
    assert code == 0 and "已撤回 withdrawn" in out and "部分兑现 part_paid" in out, out  # one still to pay
    code, out = shell("pay", str(b.id), "--user", "chen")
    assert code == 0 and "本次支付 paid now: 1 项" in out and "held" not in out
    code, out = shell("show", str(b.id))
    assert "已兑现 paid" in out and "已放行 released (admin" in out and "已撤回 withdrawn (zhou" in out
    with open_app_store(tmp_path / "app.sqlite", create=False) as store:
        done = [(e.action, e.username, e.outcome) for e in store.audit.entries() if "hold" in e.action
                or e.action in ("disbursement.release", "disbursement.withdraw")]  # fmt: skip
    assert sorted(done) == sorted(
        [("disbursement.hold", "chen", "denied"), ("disbursement.hold", "wang", "ok"),
         ("disbursement.hold", "wang", "ok"), ("disbursement.release", "wang", "denied"),
         ("disbursement.release", "admin", "ok"), ("disbursement.withdraw", "zhou", "ok")]
    )  # fmt: skip
