"""App-store rows → the records the service returns (usernames resolved, item counts per status)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zonebrain.appstore import UserRow
from zonebrain.appstore.disbursement_models import PayoutBatchRow, PayoutItemRow, PayoutObjectionRow
from zonebrain.core.clock import beijing
from zonebrain.core.errors import InputError
from zonebrain.disbursement._model import Batch, BatchStatus, Item, ItemStatus, Objection

LIVE = frozenset(
    {ItemStatus.LISTED, ItemStatus.OBJECTED, ItemStatus.APPROVED, ItemStatus.PAID, ItemStatus.HELD}
)
"""Item statuses whose amount the batch pays (or paid); a held one (暂缓支付) counts until withdrawn."""


def _name(s: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    row = s.get(UserRow, user_id)
    return row.username if row else f"#{user_id}"


def batch_status(value: BatchStatus | str) -> BatchStatus:
    try:
        return BatchStatus(value)
    except ValueError:
        raise InputError(
            f"未知批次状态 '{value}' (unknown batch status); 可用 / use: {', '.join(BatchStatus)}"
        ) from None


def item_status(value: ItemStatus | str) -> ItemStatus:
    try:
        return ItemStatus(value)
    except ValueError:
        raise InputError(
            f"未知名单项状态 '{value}' (unknown item status); 可用 / use: {', '.join(ItemStatus)}"
        ) from None


def batch(s: Session, r: PayoutBatchRow) -> Batch:
    q = (
        select(PayoutItemRow.status, func.count(), func.sum(PayoutItemRow.amount_fen))
        .where(PayoutItemRow.batch_id == r.id)
        .group_by(PayoutItemRow.status)
    )
    counts: dict[str, int] = {}
    total = 0
    for status, n, fen in s.execute(q):
        counts[str(status)] = int(n)
        if ItemStatus(status) in LIVE and r.status != BatchStatus.CANCELLED.value:
            total += int(fen or 0)  # a cancelled batch pays nothing
    return Batch(
        id=r.id,
        run_id=r.run_id,
        as_of=r.as_of,
        period=r.period,
        policies=tuple(p for p in r.policies.split(",") if p),
        title=r.title,
        status=BatchStatus(r.status),
        publicity_start=r.publicity_start,
        publicity_end=r.publicity_end,
        publicity_closed_at=r.publicity_closed_at,
        publicity_note=r.publicity_note,
        created_by=_name(s, r.created_by) or "",
        reviewed_by=_name(s, r.reviewed_by),
        approved_by=_name(s, r.approved_by),
        paid_by=_name(s, r.paid_by),
        created_at=r.created_at,
        updated_at=r.updated_at,
        version=r.version,
        counts=counts,
        total_fen=total,
        cancelled_by=_name(s, r.cancelled_by),
        cancelled_at=r.cancelled_at,
        cancel_reason=r.cancel_reason or "",
        publicized_by=_name(s, r.publicized_by),
        publicity_closed_by=_name(s, r.publicity_closed_by),
    )


def item(r: PayoutItemRow) -> Item:
    return Item(
        id=r.id,
        batch_id=r.batch_id,
        uscc=r.uscc,
        enterprise_name=r.enterprise_name,
        park_id=r.park_id,
        policy_id=r.policy_id,
        policy_name=r.policy_name,
        clause_id=r.clause_id,
        clause_ref=r.clause_ref,
        clause_title=r.clause_title,
        period=r.period,
        amount_fen=r.amount_fen,
        status=ItemStatus(r.status),
        ledger_id=r.ledger_id,
    )


def objection(s: Session, r: PayoutObjectionRow) -> Objection:
    return Objection(
        id=r.id,
        item_id=r.item_id,
        batch_id=r.batch_id,
        text=r.text,
        raised_by=r.raised_by,
        raised_by_role=r.raised_by_role,
        recorded_by=_name(s, r.recorded_by) or "",
        created_at=r.created_at,
        resolution=r.resolution,
        resolution_note=r.resolution_note,
        resolved_by=_name(s, r.resolved_by),
        resolved_at=r.resolved_at,
        late=objection_is_late(s.get_one(PayoutBatchRow, r.batch_id), r.created_at),
    )


def objection_is_late(b: PayoutBatchRow, at: dt.datetime) -> bool:
    """Was *at* (UTC) after the batch's 公示期: closed early before it, or past the last day
    (counted in Beijing dates, both days of the period included)?"""
    if b.publicity_closed_at is not None and at >= b.publicity_closed_at:
        return True
    return b.publicity_end is not None and beijing(at).date() > b.publicity_end
