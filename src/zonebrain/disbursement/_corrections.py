"""Corrections of the 兑现 workflow, each with a reason and its audit row: :meth:`Corrections.cancel`
(作废) ends a batch not yet paid; :meth:`Corrections.reverse` (冲正) marks a ledger entry reversed.

:class:`~zonebrain.disbursement.Disbursement` takes them (and the step helper ``_done``) from
:class:`Corrections`, its base class."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zonebrain.appstore import Role, User
from zonebrain.appstore.disbursement_models import (
    PaymentLedgerRow,
    PayoutBatchRow,
    PayoutHoldRow,
    PayoutItemRow,
)
from zonebrain.appstore.pipeline_models import audit_row
from zonebrain.core.clock import beijing, beijing_text
from zonebrain.core.errors import InputError
from zonebrain.disbursement import _convert, _reversal, _separation
from zonebrain.disbursement._ledger import Ledger
from zonebrain.disbursement._model import (
    REOPENING,
    Batch,
    BatchStatus,
    DutyRefused,
    ItemStatus,
    LedgerEntry,
    NotFound,
    ReversalKind,
    WrongStep,
)
from zonebrain.disbursement._steps import (
    _acting,
    _audit,
    _batch_row,
    _check,
    _entry_row,
    _refusal_audited,
    _touch,
    _user_name,
)
from zonebrain.disbursement._verify import VerificationQueue

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

CREATORS = frozenset({Role.ADMIN, Role.POLICY_RESEARCHER})
"""Roles that build a batch from a run and publish its 公示; they, and :data:`APPROVERS`, pay it
(the payer never the batch's approver)."""
APPROVERS = frozenset({Role.ADMIN, Role.LEADER})
"""Roles that approve (and must be neither the batch's creator nor its reviewer)."""
REVERSERS = APPROVERS
"""Roles that reverse a ledger entry (冲正), and never the one who recorded the payment."""
CANCELLABLE = frozenset(
    {BatchStatus.DRAFT, BatchStatus.REVIEWED, BatchStatus.PUBLICIZED, BatchStatus.APPROVED}
)
"""Statuses a batch may be cancelled (作废) from: every one before payment."""


class Corrections:
    """作废 and 冲正 over the app store; the base of :class:`~zonebrain.disbursement.Disbursement`."""

    _store: AppStore
    _clock: Callable[[], dt.datetime]
    ledger: Ledger
    verification: VerificationQueue

    @_refusal_audited("disbursement.cancel", "batch")
    def cancel(
        self,
        actor: User,
        batch_id: int,
        *,
        reason: str,
        expected_version: int | None = None,
        ip: str = "",
    ) -> Batch:
        """作废: end a batch that is not paid, with a reason. Its awards may then go into a new batch.

        By an admin, or by the user who created the batch (while their role may still build
        batches). A paid batch is never cancelled: reverse its ledger entries instead. A refusal
        because the actor is neither is audited with outcome ``denied``. *expected_version*, when
        given, is checked like every other step's. The 待核实 requests the batch made and no one
        has worked on yet are cancelled with it (:meth:`VerificationQueue.release_batch`)."""
        reason = reason.strip()
        if not reason:
            raise InputError(
                "作废批次须说明原因: 请填写原因, 如 '测算参数有误, 重新测算' (cancelling a batch needs a reason)"
            )
        with self._store.session() as s:
            b = _batch_row(s, batch_id)
            who = (
                "系统管理员或创建本批次的政策研究员",
                "an administrator or the policy researcher who created it",
            )
            row = _acting(s, actor, CREATORS, "作废兑现批次", "cancel a batch", who=who)
            if b.status == BatchStatus.PAID.value:  # no one may: say so before asking who one is
                raise WrongStep(
                    f"兑现批次 #{b.id} 已兑现, 不能作废 (a paid batch cannot be cancelled); "
                    "支付有误请冲正相应的支付台账记录 (reverse its ledger entries instead)"
                )
            if b.status == BatchStatus.PART_PAID.value:  # money moved: no one may either
                raise WrongStep(
                    f"兑现批次 #{b.id} 已部分兑现, 不能作废 (a partly paid batch cannot be cancelled); "
                    "暂缓支付的名单项请放行或撤回, 支付有误请冲正相应的支付台账记录 (release or withdraw its "
                    "held items; reverse its ledger entries instead)"
                )
            if Role(row.role) is not Role.ADMIN and actor.id != b.created_by:
                raise DutyRefused(
                    "只有管理员或本批次的制单人可以作废批次 "
                    "(only an admin or the user who created the batch may cancel it); 请联系制单人或管理员",
                    reason="既非管理员也非本批次的制单人 (neither an admin nor the batch's creator)",
                )
            if expected_version is not None:
                _check(b, expected_version, BatchStatus(b.status), "作废 (cancel)")
            before = BatchStatus(b.status)
            if before not in CANCELLABLE:
                when = beijing_text(b.cancelled_at)
                raise WrongStep(f"兑现批次 #{b.id} 已于 {when} 作废 (already cancelled): {b.cancel_reason}")
            counts = {
                str(status): int(n)
                for status, n in s.execute(
                    select(PayoutItemRow.status, func.count())
                    .where(PayoutItemRow.batch_id == b.id)
                    .group_by(PayoutItemRow.status)
                )
            }  # read before the change: a query autoflushes, which would bump the version twice
            released = self.verification.release_batch(s, b, actor)  # its untouched 待核实 requests
            now = self._clock()
            holds = _holds_end_with_batch(s, b, actor, now, reason)
            b.status, b.cancelled_by, b.cancelled_at = BatchStatus.CANCELLED.value, actor.id, now
            b.cancel_reason = reason
            detail = {
                "reason": reason,
                "status_before": before.value,
                "items": counts,
                "verification": released,
                "holds_closed": holds,
            }
            return self._done(s, actor, b, "disbursement.cancel", detail, ip)

    @_refusal_audited("disbursement.reverse", "ledger")
    def reverse(
        self,
        actor: User,
        entry_id: int,
        *,
        reason: str,
        kind: ReversalKind | str | None = None,
        evidence: str = "",
        money_back_on: dt.date | None = None,
        ip: str = "",
    ) -> LedgerEntry:
        """冲正: mark a paid ledger entry reversed, saying what the reversal rests on (*kind*).

        退汇 (``returned``: the bank returned the transfer) and 追回 (``recovered``: the money was
        recovered from the firm) need the *evidence* (回单号/凭证号) and the day the money came back
        (*money_back_on*); 误记 (``error``: booked, no money moved) its reason. The entry is kept,
        flagged with who, when, why and this proof; it no longer counts as paid (:meth:`Ledger.paid`,
        totals) nor holds its key, so the award can be paid again, once, by a new batch; its item in
        the paying batch becomes ``reversed``. 待追回 (``unrecovered``: paid wrongly, the money not
        back) only records that on the entry, which stays live and holds its key until a 追回
        reversal (:mod:`._reversal`). By an admin or leader who did not record the payment (a second
        role, as for approval; the payer's attempt is audited ``denied``). Reversing an entry twice
        is refused."""
        reason = reason.strip()
        if not reason:
            raise InputError(
                "冲正须说明原因: 请填写原因, 如 '银行退回: 账户已注销' (a reversal needs a reason)"
            )
        with self._store.session() as s:
            first = _entry_row(s, entry_id)
            _acting(s, actor, REVERSERS, "冲正台账记录", "reverse a ledger entry")
            if first.reversed_at is not None:
                raise WrongStep(
                    f"台账记录 #{entry_id} 已于 {beijing_text(first.reversed_at)} 由 "
                    f"{_user_name(s, first.reversed_by)} 冲正, 不能重复冲正 (ledger entry #{entry_id} is "
                    f"already reversed): {first.reversal_reason}"
                )
            if actor.id == first.paid_by:
                raise DutyRefused(
                    f"冲正人不能是登记该笔支付的人 (台账记录 #{entry_id}: the reverser must not be the user "
                    "who recorded the payment); 请由另一位领导或管理员冲正",
                    reason="冲正人登记了该笔支付 (the reverser recorded the payment)",
                )
            how = _separation.link(s, actor.id, first.paid_by)
            if how is not None:  # one person with two accounts (docs/adr/0014)
                raise DutyRefused(
                    f"冲正人与登记该笔支付的人视为同一人: {how[0]} (台账记录 #{entry_id}: the reverser counts as "
                    f"the same person as who recorded the payment: {how[1]}); 请由另一位领导或管理员冲正",
                    reason=f"冲正人与登记支付的人视为同一人: {how[0]} (reverser and payer: {how[1]})",
                )
            kind = _reversal.parse_kind(kind)  # after who may: a refused role is told so first
            pending = first.reversal_kind == ReversalKind.UNRECOVERED.value
            if pending and kind is ReversalKind.UNRECOVERED:
                raise WrongStep(
                    f"台账记录 #{entry_id} 已于 {beijing_text(first.recovery_noted_at)} 由 "
                    f"{_user_name(s, first.recovery_noted_by)} 记为待追回 (already recorded as to recover): "
                    f"{first.reversal_reason}; 款项追回后请以 追回 (recovered) 冲正, 并填写凭证号和退回日期"
                )
            evidence, back_on = _reversal.proof(
                kind, evidence, money_back_on, first.paid_at, beijing(self._clock()).date()
            )
        with self._store.session() as s:
            _acting(s, actor, REVERSERS, "冲正台账记录", "reverse a ledger entry")
            now = self._clock()
            row = _entry_row(s, entry_id)
            said = f"{row.reversal_reason}\n{reason}" if pending and row.reversal_reason else reason
            values: dict[str, Any] = {"reversal_reason": said, "reversal_kind": kind.value,
                                      "reversal_evidence": evidence or None, "money_back_on": back_on}  # fmt: skip
            if kind is ReversalKind.UNRECOVERED:  # recorded; the entry stays live and holds its key
                values |= {"recovery_noted_at": now, "recovery_noted_by": actor.id}
            else:
                values |= {"reversed_at": now, "reversed_by": actor.id}
            marked = s.execute(  # only while not reversed: of two racing reversals one wins
                update(PaymentLedgerRow)
                .where(PaymentLedgerRow.id == entry_id, PaymentLedgerRow.reversed_at.is_(None))
                .where(PaymentLedgerRow.reversal_kind.is_not_distinct_from(row.reversal_kind))
                .values(**values)
                .returning(PaymentLedgerRow.id)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if marked is None:
                raise WrongStep(
                    f"台账记录 #{entry_id} 刚被他人冲正, 不能重复冲正 (ledger entry #{entry_id} was just "
                    "reversed by someone else); 请刷新查看 / reload to see it"
                )
            s.expire(row)
            item = s.get(PayoutItemRow, row.item_id) if row.item_id is not None else None
            freed = kind in REOPENING
            if (
                freed
                and item is not None
                and item.ledger_id == row.id
                and item.status == ItemStatus.PAID.value
            ):
                item.status, item.updated_at = ItemStatus.REVERSED.value, now
            detail = {
                "batch": row.batch_id, "item": row.item_id, "uscc": row.uscc, "policy_id": row.policy_id,
                "clause_id": row.clause_id, "period": row.period, "amount_fen": row.amount_fen,
                "paid_by": _user_name(s, row.paid_by), "reason": reason, "kind": kind.value,
                "evidence": evidence, "money_back_on": back_on.isoformat() if back_on else None,
                "key_freed": freed, "was_to_recover": pending,
            }  # fmt: skip
            s.add(
                audit_row(
                    "disbursement.reverse", user_id=actor.id, username=actor.username,
                    role=actor.role.value, target=f"ledger:{row.id}", detail=detail, ip=ip, outcome="ok",
                )
            )  # fmt: skip
        found = self.ledger.entry(entry_id)
        if found is None:  # only if it were deleted since, which nothing does
            raise NotFound(f"没有台账记录 #{entry_id} (no such ledger entry)")
        return found

    def _done(
        self, s: Session, actor: User, b: PayoutBatchRow, action: str, detail: dict[str, Any], ip: str
    ) -> Batch:
        before = b.version
        _touch(b, self._clock())
        s.flush()  # the version check happens here: UPDATE … WHERE version = :read
        s.add(_audit(actor, action, b, {"status": b.status, "version_before": before, **detail}, ip))
        return _convert.batch(s, b)


def _holds_end_with_batch(s: Session, b: PayoutBatchRow, actor: User, now: dt.datetime, reason: str) -> int:
    """The open holds (暂缓支付) of a batch being cancelled end with it (outcome ``cancelled``, the
    batch's reason): a held item of a cancelled batch is neither paid nor waiting. Their number."""
    rows = s.scalars(
        select(PayoutHoldRow).where(PayoutHoldRow.batch_id == b.id, PayoutHoldRow.outcome.is_(None))
    ).all()
    for row in rows:
        row.outcome, row.outcome_note = "cancelled", f"批次作废 (batch cancelled): {reason}"
        row.decided_by, row.decided_at = actor.id, now
    return len(rows)
