"""暂缓支付: hold one approved item of a batch, then release it for payment or withdraw it.

Between approval and payment new facts can arrive about one firm (it enters the dishonesty list,
its bank account is wrong). An admin or leader (:data:`~._corrections.APPROVERS`) puts the item on
hold, with a reason: it becomes ``held``, and ``pay`` pays the rest of the batch and leaves it
unpaid. A batch paid with items on hold is 部分兑现 (``part_paid``): it stays open for them (it cannot
be cancelled: money moved). Someone other than who held it (四眼原则) then either releases the
item, with a reason (back to ``approved``: the next ``pay`` of the batch pays it), or withdraws it,
with a reason (``withdrawn``, as an upheld objection withdraws an item: no later batch lists the
award again). Once no item of a partly paid batch is held or waiting for payment, it is 已兑现.

Every step is audited in its transaction (``disbursement.hold``, ``disbursement.release``,
``disbursement.withdraw``, target ``batch:<id>``) and every refusal by role or four eyes is audited
``denied``. Each step bumps the batch's version, so a payment racing a hold fails instead of paying
the held item.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zonebrain.appstore import User
from zonebrain.appstore.disbursement_models import PayoutBatchRow, PayoutHoldRow, PayoutItemRow
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError
from zonebrain.disbursement._corrections import APPROVERS
from zonebrain.disbursement._model import (
    ITEM_LABELS,
    BatchStatus,
    Hold,
    ItemStatus,
    NotFound,
    WrongStep,
    batch_label,
)
from zonebrain.disbursement._steps import (
    _acting,
    _audit,
    _batch_row,
    _check,
    _four_eyes,
    _item_row,
    _refusal_audited,
    _touch,
    _user_name,
)

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

HOLDERS = APPROVERS
"""Roles that hold, release and withdraw a held item: those who approve (admin, leader)."""
HOLDABLE = (BatchStatus.APPROVED.value, BatchStatus.PART_PAID.value)
"""Batch statuses in which an item may be held, released or withdrawn: approved, or partly paid."""
_HINT = "请由另一位领导或管理员处理 (another leader or administrator decides it)"
_BEFORE = "; 审批前对名单有疑问请登记异议 (before approval, record an objection instead)"
_NOT_HOLDABLE = {
    BatchStatus.DRAFT.value: _BEFORE,
    BatchStatus.REVIEWED.value: _BEFORE,
    BatchStatus.PUBLICIZED.value: _BEFORE,
    BatchStatus.PAID.value: "; 已支付的款项有误请冲正支付台账记录 (reverse its ledger entries instead)",
}
"""What to do instead, by the status of a batch whose items cannot be held (none: cancelled)."""


class Holds:
    """暂缓支付 over the app store; a base of :class:`~zonebrain.disbursement.Disbursement`."""

    _store: AppStore
    _clock: Callable[[], dt.datetime]

    def holds(self, batch_id: int, *, open_only: bool = False) -> builtins.list[Hold]:
        """The batch's holds, oldest first (*open_only*: those still on hold)."""
        with self._store.session() as s:
            _batch_row(s, batch_id)
            q = select(PayoutHoldRow).where(PayoutHoldRow.batch_id == batch_id)
            if open_only:
                q = q.where(PayoutHoldRow.outcome.is_(None))
            return [_hold(s, r) for r in s.scalars(q.order_by(PayoutHoldRow.id))]

    @_refusal_audited("disbursement.hold", "batch")
    def hold(
        self,
        actor: User,
        batch_id: int,
        item_id: int,
        *,
        reason: str,
        expected_version: int | None = None,
        ip: str = "",
    ) -> Hold:
        """暂缓支付: put one approved, unpaid item of an approved or partly paid batch on hold, with a
        *reason*; ``pay`` leaves it unpaid until it is released. *expected_version*, when given, is
        checked as every step's is."""
        reason = _required(reason, "暂缓支付", "a hold", "企业已列入失信名单, 待核实")
        with self._store.session() as s:
            _acting(s, actor, HOLDERS, "暂缓支付", "put an item on hold")
            b, item = _batch_and_item(s, batch_id, item_id, expected_version, "暂缓支付 (hold)")
            if item.status == ItemStatus.HELD.value:
                first = _open_hold(s, item)
                raise WrongStep(
                    f"名单项 #{item.id} 已于 {beijing_text(first.held_at)} 由 {_user_name(s, first.held_by)} "
                    f"暂缓支付: {first.reason} (item #{item.id} is already on hold); 无需重复操作"
                )
            if item.status != ItemStatus.APPROVED.value:
                raise WrongStep(
                    f"名单项 #{item.id} 状态为{ITEM_LABELS[ItemStatus(item.status)]} ({item.status}), "
                    "只有已审批待支付的名单项才能暂缓支付 (only an approved item not yet paid can be held)"
                    + _paid_hint(item)
                )
            now = self._clock()
            row = PayoutHoldRow(
                item_id=item.id, batch_id=b.id, reason=reason, held_by=actor.id, held_at=now, outcome_note=""
            )
            s.add(row)
            item.status, item.updated_at = ItemStatus.HELD.value, now
            _touch(b, now)  # a payment that read the batch before this commits fails, never pays it
            s.flush()
            detail = {"item": item.id, "uscc": item.uscc, "amount_fen": item.amount_fen, "hold": row.id,
                      "reason": reason, "batch_status": b.status}  # fmt: skip
            s.add(_audit(actor, "disbursement.hold", b, detail, ip))
            return _hold(s, row)

    @_refusal_audited("disbursement.release", "batch")
    def release(
        self,
        actor: User,
        batch_id: int,
        item_id: int,
        *,
        reason: str,
        expected_version: int | None = None,
        ip: str = "",
    ) -> Hold:
        """放行: end the hold of *item_id*, with a *reason* (what was checked); the item is approved
        again and the batch's next ``pay`` pays it. Not by who held it (四眼原则, audited ``denied``)."""
        reason = _required(reason, "放行暂缓支付的名单项", "a release", "经核实企业未列入失信名单")
        return self._end_hold(actor, batch_id, item_id, reason, expected_version, ip, _RELEASE)

    @_refusal_audited("disbursement.withdraw", "batch")
    def withdraw_held(
        self,
        actor: User,
        batch_id: int,
        item_id: int,
        *,
        reason: str,
        expected_version: int | None = None,
        ip: str = "",
    ) -> Hold:
        """撤回: end the hold of *item_id* by withdrawing the item, with a *reason*: it is not paid, and
        no later batch lists the award again (as after an upheld objection). Not by who held it
        (四眼原则). A partly paid batch left with nothing held or to pay becomes 已兑现."""
        reason = _required(reason, "撤回暂缓支付的名单项", "a withdrawal", "企业已列入失信名单, 不予兑现")
        return self._end_hold(actor, batch_id, item_id, reason, expected_version, ip, _WITHDRAW)

    def _end_hold(
        self, actor: User, batch_id: int, item_id: int, reason: str, version: int | None, ip: str, end: _End
    ) -> Hold:
        """End the hold of *item_id* as *end* says (released or withdrawn), not by who held it; a
        partly paid batch left with nothing held or to pay becomes 已兑现."""
        with self._store.session() as s:
            _acting(s, actor, HOLDERS, end.zh, end.en)
            b, item = _batch_and_item(s, batch_id, item_id, version, end.step)
            row = _held(s, item)
            _four_eyes(actor, end.duty, {"holder": row.held_by}, _HINT, s=s)
            now = self._clock()
            row.outcome, row.outcome_note, row.decided_by, row.decided_at = end.outcome, reason, actor.id, now
            item.status, item.updated_at = end.item_status.value, now
            s.flush()
            before = b.status
            b.status = status_after_pay(s, b) if b.status == BatchStatus.PART_PAID.value else b.status
            _touch(b, now)  # a payment that read the batch before this commits fails
            s.flush()
            detail = {"item": item.id, "uscc": item.uscc, "amount_fen": item.amount_fen, "hold": row.id,
                      "reason": reason, "held_by": _user_name(s, row.held_by), "batch_status_before": before,
                      "batch_status": b.status}  # fmt: skip
            s.add(_audit(actor, end.action, b, detail, ip))
            return _hold(s, row)


class _End(NamedTuple):
    """How a hold ends: its outcome, the item's status after it, and the step's words."""

    outcome: str
    item_status: ItemStatus
    duty: str
    zh: str
    en: str
    step: str
    action: str


_RELEASE = _End("released", ItemStatus.APPROVED, "releaser", "放行暂缓支付的名单项", "release a held item",
                "放行 (release)", "disbursement.release")  # fmt: skip
_WITHDRAW = _End("withdrawn", ItemStatus.WITHDRAWN, "withdrawer", "撤回暂缓支付的名单项", "withdraw a held item",
                 "撤回 (withdraw)", "disbursement.withdraw")  # fmt: skip


# ---- what ``pay`` asks -------------------------------------------------------------------------


def pay_step(b: PayoutBatchRow) -> BatchStatus:
    """The status a batch is paid from: approved, or partly paid (its released items)."""
    return BatchStatus.PART_PAID if b.status == BatchStatus.PART_PAID.value else BatchStatus.APPROVED


def nothing_released(s: Session, b: PayoutBatchRow) -> bool:
    """A partly paid batch with no approved item waiting (none released since): paying it again
    pays nothing, as paying a paid batch again does."""
    return b.status == BatchStatus.PART_PAID.value and not _count(s, b.id, ItemStatus.APPROVED)


def status_after_pay(s: Session, b: PayoutBatchRow) -> str:
    """部分兑现 while an item is held or waits for payment, else 已兑现."""
    waiting = _count(s, b.id, ItemStatus.HELD) + _count(s, b.id, ItemStatus.APPROVED)
    return BatchStatus.PART_PAID.value if waiting else BatchStatus.PAID.value


# ---- helpers -----------------------------------------------------------------------------------


def _required(reason: str, zh: str, en: str, example: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InputError(f"{zh}须说明原因: 请填写原因, 如 '{example}' ({en} needs a reason)")
    return reason


def _batch_and_item(
    s: Session, batch_id: int, item_id: int, expected_version: int | None, what: str
) -> tuple[PayoutBatchRow, PayoutItemRow]:
    """The batch and its item, the batch approved or partly paid (and at *expected_version*, given)."""
    b = _batch_row(s, batch_id)
    item = _item_row(s, item_id)
    if item.batch_id != b.id:
        raise NotFound(
            f"兑现批次 #{b.id} 中没有名单项 #{item_id} (item #{item_id} is not in batch #{b.id}); "
            f"请查看批次名单 (see the batch's items: zonebrain policy batch show {b.id})"
        )
    if expected_version is not None:
        _check(b, expected_version, BatchStatus(b.status), what)
    if b.status not in HOLDABLE:
        raise WrongStep(
            f"兑现批次 #{b.id} 当前为{batch_label(b.status)}, 只有已审批或部分兑现的批次才能{what} "
            f"(only an approved or partly paid batch){_NOT_HOLDABLE.get(b.status, '')}"
        )
    return b, item


def _open_hold(s: Session, item: PayoutItemRow) -> PayoutHoldRow:
    return s.scalars(
        select(PayoutHoldRow).where(PayoutHoldRow.item_id == item.id, PayoutHoldRow.outcome.is_(None))
    ).one()


def _held(s: Session, item: PayoutItemRow) -> PayoutHoldRow:
    """The open hold of *item*; a WrongStep saying where the item stands when it is not held."""
    if item.status != ItemStatus.HELD.value:
        raise WrongStep(
            f"名单项 #{item.id} 状态为{ITEM_LABELS[ItemStatus(item.status)]} ({item.status}), 未被暂缓支付, "
            "无需放行或撤回 (the item is not on hold)"
        )
    return _open_hold(s, item)


def _paid_hint(item: PayoutItemRow) -> str:
    if item.status in (ItemStatus.PAID.value, ItemStatus.ALREADY_PAID.value):
        return "; 已支付的款项有误请冲正支付台账记录 (reverse its ledger entry instead)"
    return ""


def _count(s: Session, batch_id: int, status: ItemStatus) -> int:
    q = select(func.count()).select_from(PayoutItemRow)
    return int(
        s.scalar(q.where(PayoutItemRow.batch_id == batch_id, PayoutItemRow.status == status.value)) or 0
    )


def _hold(s: Session, r: PayoutHoldRow) -> Hold:
    return Hold(
        id=r.id,
        item_id=r.item_id,
        batch_id=r.batch_id,
        reason=r.reason,
        held_by=_user_name(s, r.held_by),
        held_at=r.held_at,
        outcome=r.outcome,
        outcome_note=r.outcome_note or "",
        decided_by=_user_name(s, r.decided_by) if r.decided_by is not None else None,
        decided_at=r.decided_at,
    )
