"""暂缓支付 (holds) on the batch page and in the API: the batch's holds as its officers read them, and
which hold forms to offer whom. The service (:mod:`zonebrain.disbursement._holds`) decides and
audits; this only reads, scopes (a park officer sees its park's items only) and shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zonebrain import disbursement
from zonebrain.core.clock import beijing_text
from zonebrain.web._auth import Principal
from zonebrain.web._queries import payout as q

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

HOLDABLE = frozenset({disbursement.BatchStatus.APPROVED, disbursement.BatchStatus.PART_PAID})
"""Batch statuses whose approved items may be held, and whose held items released or withdrawn."""


def steps(p: Principal, b: disbursement.Batch, standing: disbursement.Standing) -> dict[str, bool]:
    """Which hold forms to show *p* on *b*: ``hold`` an approved item, ``decide`` (release or
    withdraw) a held one (never to who held it, nor an account that counts as the same person: the
    page checks each hold, the service refuses); none during the account's cooling-off."""
    may = b.status in HOLDABLE and p.role in disbursement.APPROVERS and standing.hold_until is None
    return {"hold": may, "decide": may}


def hold_json(h: disbursement.Hold) -> dict[str, Any]:
    return {
        "id": h.id,
        "item_id": h.item_id,
        "batch_id": h.batch_id,
        "reason": h.reason,
        "held_by": h.held_by,
        "held_at": h.held_at.isoformat(),
        "open": h.open,
        "outcome": h.outcome,
        "outcome_note": h.outcome_note,
        "decided_by": h.decided_by,
        "decided_at": h.decided_at.isoformat() if h.decided_at else None,
    }


def holds(
    ctx: WebContext, p: Principal, t: Any, b: disbursement.Batch, standing: disbursement.Standing
) -> list[dict[str, Any]]:
    """*b*'s holds on items *p* may see, open ones first, each with its item's enterprise, clause
    and amount and whether *p* may decide it now (``can_decide``: not who held it, nor one person
    with them)."""
    q.require(p, q.BATCH_VIEWERS)
    d = q.service(ctx)
    by_id = {i.id: i for i in d.items(b.id)}
    may = steps(p, b, standing)["decide"]
    out = []
    for h in sorted(d.holds(b.id), key=lambda h: (not h.open, h.id)):
        it = by_id.get(h.item_id)
        if it is None or not p.may_see(it.park_id, it.uscc):
            continue
        outcome = "open" if h.open else h.outcome
        out.append(
            {
                **hold_json(h),
                "enterprise_name": it.enterprise_name,
                "uscc": it.uscc,
                "clause": f"{it.policy_name} {it.clause_ref}",
                "amount_fen": it.amount_fen,
                "outcome_text": t(f"payout.hold_{outcome}"),
                "held_text": t("payout.hold_by", by=h.held_by, at=beijing_text(h.held_at)),
                "decided_text": t("payout.hold_decided", by=h.decided_by, at=beijing_text(h.decided_at))
                if h.decided_at
                else "",
                "can_decide": may and h.open and h.held_by not in standing.me,
            }
        )
    return out
