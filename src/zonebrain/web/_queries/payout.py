"""政策兑现 queries: payout batches, their items and objections, the payment ledger, the 待核实 queue.

The data lives in the app store and every write goes through :class:`zonebrain.disbursement.Disbursement`
(which checks roles, the four-eyes rule and versions, and writes the audit row in the same
transaction), so these functions only read, scope and shape. Who sees what:

* batches, their items and objections: admin, leader, policy researcher (every item) and park
  officers (their park's items; they record objections); full USCC, since these are officers' pages.
  The public 公示 file masks it (``disbursement.mask_uscc``).
* the ledger: every role with the finance permission, scoped (park officers: their park; enterprise
  users: their own USCC); investment officers 403. Reversed entries (冲正) are listed, flagged with
  who, when and why, and left out of the total.
* the 待核实 queue: admin, leader, policy researcher (all), park officers (their park), enterprise
  users (their own requests: what to provide, 快申快享); investment officers 403.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from zonebrain import disbursement
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing, beijing_text
from zonebrain.core.money import display_fen
from zonebrain.disbursement._convert import LIVE
from zonebrain.disbursement._exports import ASKING as ASKING_STATUSES
from zonebrain.disbursement._exports import clause_title, list_order
from zonebrain.disbursement._service import ENTERPRISE_RAISER, RECORDERS
from zonebrain.disbursement._steps import no_batch, no_item
from zonebrain.disbursement._verify import ENTERPRISE_STEP
from zonebrain.web._auth import Principal
from zonebrain.web._errors import Forbidden, NotFound
from zonebrain.web._i18n import locale_of
from zonebrain.web._queries import policy as pq
from zonebrain.web._queries._common import field_names, park_names
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

BATCH_VIEWERS: Final = frozenset({Role.ADMIN, Role.LEADER, Role.POLICY_RESEARCHER, Role.PARK_OFFICER})
"""Roles that open the batch pages (park officers see only their park's items)."""
LEDGER_VIEWERS: Final = frozenset(
    {Role.ADMIN, Role.LEADER, Role.POLICY_RESEARCHER, Role.PARK_OFFICER, Role.ENTERPRISE_USER}
)
QUEUE_VIEWERS: Final = LEDGER_VIEWERS
MAX_PAGE: Final = 500
BATCH_STATUSES: Final = tuple(s.value for s in disbursement.BatchStatus)
ITEM_STATUSES: Final = tuple(s.value for s in disbursement.ItemStatus)
VERIFY_STATUSES: Final = tuple(s.value for s in disbursement.VerificationStatus)

BATCH_COLUMNS: Final = [
    Col("id", "payout.col.batch", "link"),
    Col("title", "payout.col.title"),
    Col("status_text", "payout.col.status"),
    Col("run_id", "policy.col.run_id"),
    Col("period", "policy.period", "id"),
    Col("policies", "payout.col.policies"),
    Col("publicity", "payout.col.publicity"),
    Col("items", "payout.col.items", "int"),
    Col("total_fen", "payout.col.total", "fen", unit="元"),
    Col("created_by", "payout.col.created_by"),
    Col("reviewed_by", "payout.col.reviewed_by"),
    Col("publicized_by", "payout.col.publicized_by"),
    Col("approved_by", "payout.col.approved_by"),
    Col("paid_by", "payout.col.paid_by"),
    Col("version", "payout.col.version", "id"),
    Col("status", "payout.col.status_code", page=False),
]
"""Park officers' items and total are their park's (:func:`scoped_batch`). 政策 names the policies
by their Chinese names; 公示期 says when a 公示 was closed early."""
ITEM_COLUMNS: Final = [
    Col("id", "payout.col.item", "id"),
    Col("enterprise_name", "col.name"),
    Col("uscc", "col.uscc"),
    Col("park", "col.park"),
    Col("policy_name", "payout.col.policy_name"),
    Col("clause_ref", "policy.col.ref"),
    Col("clause_title", "policy.col.clause_title"),
    Col("policy_id", "payout.col.policy_code"),
    Col("clause_id", "payout.col.clause_code"),
    Col("period_text", "payout.col.ledger_period"),
    Col("period", "payout.col.period_code", page=False, xlsx=False),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    # the export's sum: a withdrawn, reversed or earlier-paid item keeps its amount above but
    # counts 0 here, so the column sums to the batch's total (QA summed the amounts, withdrawn too)
    Col("counted_fen", "payout.col.counted", "fen", unit="元", page=False),
    Col("status_text", "payout.col.status"),
    Col("status", "payout.col.status_code", page=False),
    Col("hold_reason", "payout.col.hold_reason", page=False),  # 暂缓支付: why (the page shows its holds)
]
LEDGER_COLUMNS: Final = [
    Col("id", "payout.col.entry", "id"),
    Col("uscc", "col.uscc"),
    Col("enterprise_name", "col.name"),
    Col("park", "col.park"),
    Col("policy_name", "payout.col.policy_name"),
    Col("clause_ref", "policy.col.ref"),
    Col("clause_title", "policy.col.clause_title"),
    Col("policy_id", "payout.col.policy_code"),
    Col("clause_id", "payout.col.clause_code"),
    Col("period_text", "payout.col.ledger_period"),
    Col("period", "payout.col.period_code", page=False, xlsx=False),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    Col("source_text", "payout.col.source"),
    Col("reference", "payout.col.import_reference"),
    Col("batch_id", "payout.col.batch", "id"),
    Col("run_id", "policy.col.run_id"),
    Col("paid_at", "payout.col.paid_at", "date"),
    Col("paid_by", "payout.col.paid_by"),
    Col("status_text", "payout.col.entry_status"),
    Col("reversal_reason", "payout.col.reversal_reason"),
    Col("reversed_by", "payout.col.reversed_by"),
    Col("reversed_at", "payout.col.reversed_at", "date"),
    Col("reversal_kind_text", "payout.col.reversal_kind"),
    Col("reversal_evidence", "payout.col.reversal_evidence"),
    Col("money_back_on", "payout.col.money_back_on", "date"),
]
"""The policy by its Chinese name and the clause by reference and title (as the batch page shows
them), then their codes; 来源 says whether a 兑现批次 paid it or it was paid before ZoneBrain
(往年导入, with its 文号/批次/凭证号)."""
VERIFY_COLUMNS: Final = [
    Col("id", "payout.col.request", "id"),
    Col("enterprise_name", "col.name"),
    Col("uscc", "col.uscc"),
    Col("park", "col.park"),
    Col("policy_name", "payout.col.policy_name"),
    Col("clause_ref", "policy.col.ref"),
    Col("clause_title", "policy.col.clause_title"),
    Col("policy_id", "payout.col.policy_code"),
    Col("clause_id", "payout.col.clause_code"),
    Col("period", "policy.period", "id"),
    Col("missing_text", "policy.col.missing"),
    Col("missing_fields", "policy.col.missing_code", page=False, xlsx=False),
    Col("ask", "payout.col.ask"),
    Col("status_text", "payout.col.status"),
    Col("note", "payout.col.note"),
    Col("updated_at", "payout.col.updated_at", "date"),
    Col("version", "payout.col.version", "id"),
    Col("status", "payout.col.status_code", page=False),
]
"""The 待核实 queue: the policy by name and code, the clause by reference, title and code; the
request's status as a label and as its code (``status``, for the API and Excel)."""


def period_text(period: str, t: Any) -> str:
    """A ledger period as people read it: the year, or 一次性 for a one-time award (stored ``once``)."""
    return t("policy.once") if period == "once" else str(period)


def service(ctx: WebContext) -> disbursement.Disbursement:
    """The 兑现 service over the app's store and warehouse pool (cheap: it holds them and a clock);
    approval and payment read the warehouse for data imported since the batch's run."""
    return disbursement.Disbursement(ctx.store, warehouse=ctx.pool.reader)


def batches_by_run(ctx: WebContext, p: Principal, t: Any) -> dict[str, str]:
    """For the run pickers (what-if baseline, coverage): each run that a batch not cancelled was made
    from, with the batches' numbers and statuses (``兑现批次 #2 已公示``), so the published run is told
    from the trial ones. Empty for a role that may not see batches."""
    if p.role not in BATCH_VIEWERS:
        return {}
    said: dict[str, list[str]] = {}
    for b in service(ctx).batches():
        if b.status is not disbursement.BatchStatus.CANCELLED:
            status = t(f"payout.status_{b.status.value}")
            said.setdefault(b.run_id, []).append(t("payout.batch_mark", id=b.id, status=status))
    return {run: "; ".join(marks) for run, marks in said.items()}


def denied(ctx: WebContext, p: Principal, action: str, target: str, reason: str, ip: str) -> None:
    """Audit a refusal decided here, before the service is asked (another park's or firm's item,
    an export the role may not make), as the service audits its own: outcome ``denied``."""
    ctx.store.audit.record(
        action, user=p.user, target=target, outcome="denied", ip=ip, detail={"reason": reason}
    )


def require_export(ctx: WebContext, p: Principal, roles: frozenset[Role], target: str, ip: str) -> None:
    """:func:`require` for a file download (Excel of a list), the refusal audited as the service's
    exports are (``disbursement.export``, ``denied``; QA: an enterprise user's refused exports left
    no trace)."""
    if p.role in roles:
        return
    exc = p.role.refuse(Forbidden, "导出兑现名单", "export these lists")
    denied(ctx, p, "disbursement.export", target, str(exc), ip)
    raise exc


def data_changes(ctx: WebContext, b: disbursement.Batch) -> list[dict[str, Any]]:
    """The imports made since *b*'s run (file, kind, Beijing time, rows), for the batch page's
    warning while the batch is still to be approved or paid; none once paid or cancelled."""
    s = disbursement.BatchStatus
    if b.status in (s.PAID, s.CANCELLED):
        return []
    return [
        {
            "file": i.file_name or i.batch_id,
            "kind": i.kind,
            "at": beijing_text(i.finished_at) if i.finished_at else "—",
            "rows": i.rows,
        }
        for i in service(ctx).imports_since(b.run_id) or ()
    ]


def require(p: Principal, roles: frozenset[Role]) -> None:
    if p.role not in roles:
        raise Forbidden()


def _page(rows: list[Any], page: int, size: int | None) -> list[Any]:
    if size is None:
        return rows
    size = max(1, min(size, MAX_PAGE))
    start = (max(1, page) - 1) * size
    return rows[start : start + size]


# ---- batches ---------------------------------------------------------------------------------


def batch_json(b: disbursement.Batch) -> dict[str, Any]:
    return {
        "id": b.id,
        "run_id": b.run_id,
        "as_of": b.as_of.isoformat(),
        "period": b.period,
        "policies": list(b.policies),
        "title": b.title,
        "status": b.status.value,
        "publicity_start": b.publicity_start.isoformat() if b.publicity_start else None,
        "publicity_end": b.publicity_end.isoformat() if b.publicity_end else None,
        "publicity_closed_at": b.publicity_closed_at.isoformat() if b.publicity_closed_at else None,
        "publicity_note": b.publicity_note,
        "created_by": b.created_by,
        "reviewed_by": b.reviewed_by,
        "publicized_by": b.publicized_by,
        "publicity_closed_by": b.publicity_closed_by,
        "approved_by": b.approved_by,
        "paid_by": b.paid_by,
        "created_at": b.created_at.isoformat(),
        "updated_at": b.updated_at.isoformat(),
        "version": b.version,
        "counts": b.counts,
        "total_fen": b.total_fen,
        "cancelled_by": b.cancelled_by,
        "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None,
        "cancel_reason": b.cancel_reason,
    }


def _publicity(b: disbursement.Batch, t: Any) -> str:
    """``2026-11-24 ~ 2026-11-30``, and when it was closed early ``(已于 2026-11-27 提前结束)``."""
    if b.publicity_start is None:
        return ""
    text = f"{b.publicity_start} ~ {b.publicity_end}"
    if b.publicity_closed_at is None:
        return text
    return (
        f"{text} {t('payout.publicity_closed_early', date=beijing(b.publicity_closed_at).date().isoformat())}"
    )


def _policy_names(ids: Any) -> str:
    """Policies by their Chinese names (one no longer in the library: its id)."""
    names = pq.policy_names(pq.library())
    return "、".join(names.get(pid, pid) for pid in ids)


def scoped_batch(ctx: WebContext, p: Principal, b: disbursement.Batch) -> disbursement.Batch:
    """*b* as *p* may see it: a park officer's (or enterprise's) item counts and total are those of
    the items in their scope, never the zone's (the service's rule: live items, none once cancelled)."""
    if p.park_scope is None and p.uscc_scope is None:
        return b
    mine = [i for i in service(ctx).items(b.id) if p.may_see(i.park_id, i.uscc)]
    counts = Counter(i.status.value for i in mine)
    paying = b.status is not disbursement.BatchStatus.CANCELLED
    total = sum(i.amount_fen for i in mine if paying and i.status in LIVE)
    return dataclasses.replace(b, counts=dict(counts), total_fen=total)


def batches(ctx: WebContext, p: Principal, t: Any, status: str | None = None) -> DataTable:
    """Every batch, newest first; a park officer's item counts and totals are their park's."""
    require(p, BATCH_VIEWERS)
    rows = []
    for whole in service(ctx).batches(status=status or None):
        # 政策 by name; 公示期 with its early close spelled out
        b = scoped_batch(ctx, p, whole)
        rows.append(
            {
                "id": b.id,
                "title": b.title,
                "status_text": t(f"payout.status_{b.status.value}"),
                "run_id": b.run_id,
                "period": b.period,
                "policies": _policy_names(b.policies),
                "publicity": _publicity(b, t),
                "items": sum(b.counts.values()),
                "total_fen": b.total_fen,
                "created_by": b.created_by,
                "reviewed_by": b.reviewed_by or "",
                "publicized_by": b.publicized_by or "",
                "approved_by": b.approved_by or "",
                "paid_by": b.paid_by or "",
                "version": b.version,
                "status": b.status.value,
            }
        )
    return DataTable("payout_batches", "payout.batches_title", list(BATCH_COLUMNS), rows)


SHEETS: Final = {"payout_batches": "payout.sheet_batches", "payment_ledger": "payout.sheet_ledger"}
"""The Excel sheet name of each table (catalogue key); a batch's items: ``payout.sheet_items``."""


def sheet_name(table: DataTable, t: Any) -> str:
    """The name of *table*'s Excel sheet as people read it (兑现批次, 批次 #3 名单, 支付台账)."""
    if table.name in SHEETS:
        return str(t(SHEETS[table.name]))
    return str(t("payout.sheet_items", **table.title_params))


def batch(ctx: WebContext, p: Principal, batch_id: int) -> disbursement.Batch:
    """One batch; a park officer's counts and total are their park's (:func:`scoped_batch`)."""
    require(p, BATCH_VIEWERS)
    return scoped_batch(ctx, p, service(ctx).batch(batch_id))


def items(
    ctx: WebContext,
    p: Principal,
    t: Any,
    locale: str,
    batch_id: int,
    *,
    status: str | None = None,
    page: int = 1,
    size: int | None = 200,
) -> DataTable:
    """The batch's items *p* may see (park officers: their park), one page of *size* (None: all), in
    the 公示 list's order (:func:`~zonebrain.disbursement._exports.list_order`)."""
    require(p, BATCH_VIEWERS)
    found = sorted(
        (
            i
            for i in service(ctx).items(batch_id, status=[status] if status else None)
            if p.may_see(i.park_id, i.uscc)
        ),
        key=list_order,
    )
    names = park_names(ctx, locale)
    held = {h.item_id: h.reason for h in service(ctx).holds(batch_id, open_only=True)}
    rows = [
        {
            "id": i.id,
            "enterprise_name": i.enterprise_name,
            "uscc": i.uscc,
            "park": names.get(i.park_id or "", i.park_id or ""),
            "park_id": i.park_id,
            "policy_id": i.policy_id,
            "policy_name": i.policy_name,
            "clause_id": i.clause_id,
            "clause_ref": i.clause_ref,
            "clause_title": i.clause_title,
            "period": i.period,
            "period_text": period_text(i.period, t),
            "amount_fen": i.amount_fen,
            "counted_fen": i.amount_fen if i.status in LIVE else 0,
            "status_text": t(f"payout.item_{i.status.value}"),
            "status": i.status.value,
            "hold_reason": held.get(i.id, ""),
        }
        for i in _page(found, page, size)
    ]
    return DataTable(
        f"payout_batch_{batch_id}_items",
        "payout.items_title",
        list(ITEM_COLUMNS),
        rows,
        total=len(found),
        title_params={"batch": batch_id},
    )


def item_in_scope(ctx: WebContext, p: Principal, item_id: int, ip: str = "") -> disbursement.Item:
    """One item, or a refusal when *p* may not see its enterprise, audited (``disbursement.object``,
    ``denied``, with the real reason) as the service's own are. A park officer gets 403 naming its
    park. An enterprise user gets the 404 of an item id that names no item, word for word (QA: 403
    for another firm's item against 404 for a missing one let a firm enumerate the item ids)."""
    it = service(ctx).item(item_id)
    if p.may_see(it.park_id, it.uscc):
        return it
    if p.uscc_scope is not None:
        reason = p.role.refusal(
            f"对其他企业的名单项提出异议: 名单项 #{it.id} 不是本企业的",
            f"object to other firms' items: item #{it.id} is not your enterprise's",
        )
        denied(ctx, p, "disbursement.object", f"item:{it.id}", reason, ip)
        raise NotFound(str(no_item(item_id)))
    mine = park_names(ctx, "zh-CN").get(p.park_scope or "", p.park_scope or "")
    exc = p.role.refuse(
        Forbidden,
        f"对其他园区的名单项提出异议: 名单项 #{it.id} 不属于您负责的{mine}园区",
        f"object to other parks' items: item #{it.id} is outside your park {mine}",
        park_id=p.park_scope,
    )
    denied(ctx, p, "disbursement.object", f"item:{it.id}", str(exc), ip)
    raise exc


def on_the_list(ctx: WebContext, p: Principal, t: Any, uscc: str) -> list[dict[str, Any]]:
    """*uscc*'s awards on a list now in 公示, for its self-check page (the caller has checked that
    *p* may see the firm): each with its batch, 公示期, the objections recorded on it (an enterprise
    user: only those it recorded itself, never who else objected) and whether *p* may object to it
    now (``can_object``: the 公示 has begun; an enterprise user, or a role that records objections;
    ``late``: the 公示 is over, an objection is recorded as late). QA: an enterprise could object only
    through the API, the batch pages being staff's."""
    may = p.role is Role.ENTERPRISE_USER or p.role in RECORDERS
    d = service(ctx)
    today = d.today()
    batches: dict[int, disbursement.Batch] = {}
    staff = _staff_name(p, t)
    out = []
    for i in d.publicized_items(uscc):
        b = batches.setdefault(i.batch_id, d.batch(i.batch_id))
        begun, over = b.publicity_begun(today), b.publicity_over(today)
        said = [
            {
                "text": o.text,
                "raised_by": o.raised_by,
                "created_at": beijing(o.created_at).strftime("%Y-%m-%d %H:%M"),
                "resolution_text": t(
                    f"payout.resolution_{o.resolution}" if o.resolution else "payout.open_objection"
                ),
                "resolved_by": staff(o.resolved_by),
            }
            for o in d.objections(b.id, item_id=i.id)
            if p.role is not Role.ENTERPRISE_USER or o.recorded_by == p.user.username
        ]
        out.append(
            {
                "id": i.id, "batch_id": b.id, "batch_title": b.title, "publicity": _publicity(b, t),
                "policy_name": i.policy_name, "clause_ref": i.clause_ref, "clause_title": i.clause_title,
                "period_text": period_text(i.period, t), "amount_fen": i.amount_fen, "status": i.status.value,
                "status_text": t(f"payout.item_{i.status.value}"), "objections": said,
                "can_object": may and begun, "late": begun and over,
                "raised_by": i.enterprise_name if p.role is Role.ENTERPRISE_USER else t("payout.anonymous"),
                # stored data stay Chinese whatever the page's language, as the asks do
                "raised_by_role": ENTERPRISE_RAISER if p.role is Role.ENTERPRISE_USER else "",
                "not_started": None if begun else t("payout.publicity_not_started", start=b.publicity_start),
            }
        )  # fmt: skip
    return out


def objections(ctx: WebContext, p: Principal, batch_id: int) -> list[dict[str, Any]]:
    """The batch's objections on items *p* may see, with the item's enterprise and clause; ``late``:
    raised after the 公示期 (:attr:`~zonebrain.disbursement.Objection.late`)."""
    require(p, BATCH_VIEWERS)
    d = service(ctx)
    by_id = {i.id: i for i in d.items(batch_id)}
    out = []
    for o in d.objections(batch_id):
        it = by_id.get(o.item_id)
        if it is None or not p.may_see(it.park_id, it.uscc):
            continue
        out.append(
            {
                "id": o.id,
                "item_id": o.item_id,
                "enterprise_name": it.enterprise_name,
                "uscc": it.uscc,
                "clause": f"{it.policy_name} {it.clause_ref}",
                "text": o.text,
                "raised_by": o.raised_by,
                "raised_by_role": o.raised_by_role,
                "recorded_by": o.recorded_by,
                "created_at": o.created_at.isoformat(),
                "resolution": o.resolution,
                "resolution_note": o.resolution_note,
                "resolved_by": o.resolved_by,
                "resolved_at": o.resolved_at.isoformat() if o.resolved_at else None,
                "late": o.late,
            }
        )
    return out


def steps(
    p: Principal, b: disbursement.Batch, today: dt.date, standing: disbursement.Standing
) -> dict[str, bool]:
    """Which action buttons to show *p* for *b* (the service decides; this only avoids dead buttons).

    Four eyes: review is not offered to the batch's creator, approval not to its creator, reviewer
    or whoever closed its 公示 early, payment not to its approver, resolving objections not to its
    creator (nor, on the page, an objection to who recorded it); each of them being any account
    in *standing*'s ``me`` (the accounts that count as one person). An account in its cooling-off
    is offered no step but an objection (``cooling_off``). The service refuses them all, audited
    ``denied``."""
    role, status, me = p.role, b.status, standing.me
    s = disbursement.BatchStatus
    begun, over = b.publicity_begun(today), b.publicity_over(today)
    not_started = status is s.PUBLICIZED and not begun
    acts = standing.hold_until is None
    return {
        "review": acts and status is s.DRAFT and role in disbursement.REVIEWERS and b.created_by not in me,
        "publicize": acts and status is s.REVIEWED and role in disbursement.CREATORS,
        "close": acts
        and status is s.PUBLICIZED
        and not over
        and not not_started
        and role in disbursement.APPROVERS,
        "approve": acts
        and status is s.PUBLICIZED
        and role in disbursement.APPROVERS
        and not me & {b.created_by, b.reviewed_by, b.publicity_closed_by},
        "pay": acts
        and (status is s.APPROVED or (status is s.PART_PAID and b.counts.get("approved", 0) > 0))
        and role in (disbursement.CREATORS | disbursement.APPROVERS)
        and b.approved_by not in me,
        "object": status is s.PUBLICIZED and not over and not not_started and role in BATCH_VIEWERS,
        "resolve": acts
        and status is s.PUBLICIZED
        and role in disbursement.REVIEWERS
        and b.created_by not in me,
        "publicity_file": status not in (s.DRAFT, s.CANCELLED)
        and role in (disbursement.CREATORS | disbursement.REVIEWERS),
        "notify_file": status in (s.APPROVED, s.PART_PAID, s.PAID)
        and role in (disbursement.CREATORS | disbursement.REVIEWERS),
        "cancel": acts and status not in (s.PART_PAID, s.PAID, s.CANCELLED) and may_cancel(p, b),
        "approval_pending": status in (s.DRAFT, s.REVIEWED, s.PUBLICIZED),
        "over": over,
        "not_started": not_started,
        "cooling_off": not acts,
    }


def may_cancel(p: Principal, b: disbursement.Batch) -> bool:
    """An admin, or the batch's creator while their role may still build batches (the service decides)."""
    return p.role is Role.ADMIN or (p.role in disbursement.CREATORS and p.user.username == b.created_by)


def may_reverse(p: Principal) -> bool:
    """Admins and leaders reverse ledger entries (never their own payments: the service refuses)."""
    return p.role in disbursement.REVERSERS


def entry_json(e: disbursement.LedgerEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "uscc": e.uscc,
        "policy_id": e.policy_id,
        "clause_id": e.clause_id,
        "period": e.period,
        "amount_fen": e.amount_fen,
        "source": e.source,
        "reference": e.reference,
        "batch_id": e.batch_id,
        "item_id": e.item_id,
        "run_id": e.run_id,
        "paid_at": e.paid_at.isoformat(),
        "paid_by": e.paid_by,
        "reversed": e.reversed,
        "reversed_at": e.reversed_at.isoformat() if e.reversed_at else None,
        "reversed_by": e.reversed_by,
        "reversal_reason": e.reversal_reason,
        "reversal_kind": e.reversal_kind,
        "reversal_evidence": e.reversal_evidence,
        "money_back_on": e.money_back_on.isoformat() if e.money_back_on else None,
        "to_recover": _to_recover(e),
    }


def _to_recover(e: disbursement.LedgerEntry) -> bool:
    """A live entry recorded as to recover (待追回): it still counts as paid and holds its key."""
    return not e.reversed and e.reversal_kind == disbursement.ReversalKind.UNRECOVERED.value


# ---- the ledger ------------------------------------------------------------------------------


def ledger_filters(
    ctx: WebContext, p: Principal, uscc: str | None, batch_id: int | None, policy: str | None
) -> tuple[str | None, int | None, str | None]:
    """The ledger's filters as the results page reads them: a USCC without blanks, upper-cased; a
    policy by id or Chinese name (unknown: 400 naming the policies); a batch that exists (unknown:
    404 naming it), never a filter that silently matches nothing. An enterprise user gets that 404,
    word for word, for a batch that holds none of its items (QA: 404 against an empty list told a
    firm which batch ids exist; it cannot open batch pages)."""
    code = "".join((uscc or "").split()).upper() or None
    if batch_id is not None:
        try:
            service(ctx).batch(batch_id)
        except disbursement.NotFound as exc:
            raise NotFound(str(exc)) from exc
        if p.uscc_scope is not None and all(i.uscc != p.uscc_scope for i in service(ctx).items(batch_id)):
            raise NotFound(str(no_batch(batch_id)))
    return code, batch_id, pq.resolve_policy(policy)


def ledger(
    ctx: WebContext,
    p: Principal,
    t: Any,
    locale: str,
    *,
    uscc: str | None = None,
    batch_id: int | None = None,
    policy_id: str | None = None,
    page: int = 1,
    size: int | None = 200,
) -> DataTable:
    """Ledger rows *p* may see (scoped through the paid item's park and USCC), newest first.

    Reversed entries are rows too, flagged (状态 已冲正, with the reason); the title's total counts
    the live entries only."""
    require(p, LEDGER_VIEWERS)
    uscc, batch_id, policy_id = ledger_filters(ctx, p, uscc, batch_id, policy_id)
    found = disbursement.LedgerPage(0, 0, 0, [])
    if not (uscc and p.uscc_scope and uscc != p.uscc_scope):
        limit = None if size is None else max(1, min(size, MAX_PAGE))
        found = service(ctx).ledger.search(
            uscc=p.uscc_scope or uscc or None,
            park_id=p.park_scope,
            batch_id=batch_id,
            policy_id=policy_id or None,
            limit=limit,
            offset=0 if limit is None else (max(1, page) - 1) * limit,
        )
    names = park_names(ctx, locale)
    staff = _staff_name(p, t)
    lib = pq.library()
    policy_names, clauses = pq.policy_names(lib), pq.clause_refs(lib)
    rows = [
        {
            "id": e.id,
            "uscc": e.uscc,
            "enterprise_name": name,
            "park": names.get(park or "", park or ""),
            "policy_name": policy_names.get(e.policy_id, e.policy_id),
            "policy_id": e.policy_id,
            "clause_id": e.clause_id,
            "clause_ref": ref,
            "clause_title": clause_title(clauses, e.policy_id, e.clause_id),
            "period": e.period,
            "period_text": period_text(e.period, t),
            "amount_fen": e.amount_fen,
            "source_text": t("payout.source_import" if e.imported else "payout.source_batch"),
            "reference": e.reference,
            "batch_id": e.batch_id,
            "run_id": e.run_id,
            "paid_at": e.paid_at,
            "paid_by": staff(e.paid_by),
            "status_text": t(_entry_status(e)),
            "reversal_reason": e.reversal_reason,
            "reversed_by": staff(e.reversed_by),
            "reversed_at": e.reversed_at,
            "reversed": e.reversed,
            "reversal_kind_text": t(f"payout.kind_{e.reversal_kind}") if e.reversal_kind else "",
            "reversal_kind": e.reversal_kind,
            "reversal_evidence": e.reversal_evidence,
            "money_back_on": e.money_back_on,
            "to_recover": _to_recover(e),
        }
        for e, name, park, ref in found.rows
    ]
    return DataTable(
        "payment_ledger",
        "payout.ledger_title",
        list(LEDGER_COLUMNS),
        rows,
        total=found.total,
        title_params={
            "total": found.total_fen,
            "amount": display_fen(found.total_fen, "元"),
            "live": found.total - found.reversed,
            "reversed": found.reversed,
        },
    )


def _entry_status(e: disbursement.LedgerEntry) -> str:
    if e.reversed:
        return "payout.entry_reversed"
    return "payout.entry_to_recover" if _to_recover(e) else "payout.entry_live"


def _staff_name(p: Principal, t: Any) -> Callable[[str | None], str]:
    """How *p* reads a staff account's name: as it is for staff; for an enterprise user the zone
    administration (高新区管委会), never an officer's account name."""
    if p.role is not Role.ENTERPRISE_USER:
        return lambda name: name or ""
    office = t("payout.staff")
    return lambda name: office if name else ""


# ---- the 待核实 queue -------------------------------------------------------------------------


def _queue_scope(p: Principal) -> dict[str, str | None]:
    require(p, QUEUE_VIEWERS)
    return {"park_id": p.park_scope, "uscc": p.uscc_scope}


def verification(
    ctx: WebContext,
    p: Principal,
    t: Any,
    locale: str,
    *,
    status: str | None = None,
    uscc: str | None = None,
    page: int = 1,
    size: int | None = 200,
) -> DataTable:
    """The 待核实 requests *p* may see (park officers: their park; enterprise users: their own); each
    clause's title from the library (one no longer in it: its id and a note, as in the Excel export)."""
    found = _requests(ctx, p, status, uscc)
    names = park_names(ctx, locale)
    clauses = pq.clause_refs(pq.library())
    rows = [
        {
            "id": r.id,
            "enterprise_name": r.enterprise_name,
            "uscc": r.uscc,
            "park": names.get(r.park_id or "", r.park_id or ""),
            "park_id": r.park_id,
            "policy_id": r.policy_id,
            "policy_name": r.policy_name,
            "clause_id": r.clause_id,
            "clause_ref": r.clause_ref,
            "clause_title": clause_title(clauses, r.policy_id, r.clause_id),
            "period": r.period,
            "missing_fields": r.missing_fields,
            "missing_text": field_names(locale_of(t), r.missing_fields),
            "ask": _ask_in(locale_of(t), r),
            "status_text": t(f"payout.verify_{r.status.value}"),
            "note": r.note,
            "updated_at": r.updated_at,
            "version": r.version,
            "status": r.status.value,
        }
        for r in _page(found, page, size)
    ]
    return DataTable(
        "verification_queue", "payout.verify_title", list(VERIFY_COLUMNS), rows, total=len(found)
    )


def _ask_in(locale: str, r: disbursement.VerificationRequest) -> str:
    """The request's ask as its reader's language words it: the stored ask is what the enterprise
    is sent (Chinese); an English page shows its English wording when the stored text is the one
    :func:`~zonebrain.disbursement.ask_for` gives for the missing fields, else the stored text."""
    if locale == "en" and r.ask == disbursement.ask_for(r.missing_fields or ""):
        return disbursement.ask_for(r.missing_fields or "", "en")
    return r.ask


def _requests(
    ctx: WebContext, p: Principal, status: str | None, uscc: str | None
) -> list[disbursement.VerificationRequest]:
    scope = _queue_scope(p)
    if uscc and scope["uscc"] and uscc != scope["uscc"]:
        return []
    return service(ctx).verification.list(
        status=status or None, uscc=scope["uscc"] or uscc or None, park_id=scope["park_id"]
    )


def verification_page_of(ctx: WebContext, p: Principal, request_id: int, *, size: int) -> int:
    """The page of the whole queue *p* sees (pages of *size*) that lists *request_id*; 1 when it
    lists none (no such request, or not in *p*'s scope)."""
    ids = [r.id for r in _requests(ctx, p, None, None)]
    return ids.index(request_id) // size + 1 if request_id in ids else 1


def may_update_requests(p: Principal) -> bool:
    """Admin, policy researcher, park officers (their park: the service checks) move requests on;
    an enterprise user says its own have been answered (企业已提交, :func:`next_statuses`)."""
    return p.role in (Role.ADMIN, Role.POLICY_RESEARCHER, Role.PARK_OFFICER, Role.ENTERPRISE_USER)


ASKING: Final = tuple(s.value for s in ASKING_STATUSES)
"""Statuses whose asks are still open (待联系, 已通知): a page says 请补充 for these only."""


def next_statuses(status: str, p: Principal | None = None) -> list[str]:
    """The steps offered on a request in *status*: every later one, or for an enterprise user
    (*p*) only 企业已提交, while the request still asks."""
    if p is not None and p.role is Role.ENTERPRISE_USER:
        return [ENTERPRISE_STEP.value] if status in ASKING else []
    order = list(VERIFY_STATUSES)
    return order[order.index(status) + 1 :] if status in order else []
