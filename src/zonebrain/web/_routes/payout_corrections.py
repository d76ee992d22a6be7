"""Corrections after approval: 暂缓支付 (hold an approved item, release or withdraw it) and 冲正
(reverse a ledger entry, with what it rests on), as page forms and under /api/v1/policy.

Pages: ``/policy/batches/{batch_id}/items/{item_id}/hold`` (``…/release``, ``…/withdraw``) from the
batch page's 暂缓支付 forms, each back to the batch page; ``/policy/ledger/{entry_id}/reverse`` from
the ledger page. API: the same under ``/api/v1/policy`` with JSON bodies, and
``GET /api/v1/policy/batches/{batch_id}/holds``. The service checks the role (admin or leader),
the four-eyes rule (the releaser or withdrawer is not who held the item; the reverser not the
payer), the batch's status and version, and writes the audit row; its refusals become 403, 404,
409 and 400 as on every payout route (:func:`~zonebrain.web._routes._payout_io.domain_errors`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain import disbursement
from zonebrain.web._auth import Principal, client_ip, principal
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._queries import payout as q
from zonebrain.web._queries import payout_holds as hq
from zonebrain.web._routes._deps import context, form_day, tr
from zonebrain.web._routes._payout_io import ReverseIn, domain_errors

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy workflow"], responses=ERROR_RESPONSES)
User = Annotated[Principal, Depends(principal)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Step = Literal["hold", "release", "withdraw"]
Reason = Annotated[str, Form(max_length=2000)]
OptionalVersion = Annotated[int | None, Form(ge=1, le=2**31 - 1)]


class HoldIn(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="理由 (暂缓: 如 列入失信名单、账户有误; 放行、撤回: 核实情况) / why",
    )
    expected_version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="你读到的批次版本 (给出则核对) / checked if given"
    )


def _step(
    request: Request, p: Principal, step: Step, batch_id: int, item_id: int, reason: str, version: int | None
) -> disbursement.Hold:
    d = q.service(context(request))
    act = {"hold": d.hold, "release": d.release, "withdraw": d.withdraw_held}[step]
    with domain_errors(request):
        return act(p.user, batch_id, item_id, reason=reason, expected_version=version, ip=client_ip(request))


# ---- pages ---------------------------------------------------------------------------------------


def _back(batch_id: int) -> RedirectResponse:
    return RedirectResponse(f"/policy/batches/{batch_id}#holds", status_code=303)


@pages.post("/policy/batches/{batch_id}/items/{item_id}/{step}")
def hold_step_form(
    request: Request,
    p: User,
    batch_id: Id,
    item_id: Id,
    step: Step,
    reason: Reason = "",
    expected_version: OptionalVersion = None,
) -> Response:
    """暂缓支付 one approved item (``hold``: admin or leader, with a reason), or end a hold, not by who
    held it: 放行 (``release``: the batch's next payment pays it) or 撤回 (``withdraw``: not paid).
    The service checks and audits."""
    _step(request, p, step, batch_id, item_id, reason, expected_version)
    return _back(batch_id)


@pages.post("/policy/ledger/{entry_id}/reverse")
def reverse_form(
    request: Request,
    p: User,
    entry_id: Id,
    reason: Reason = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    evidence: Annotated[str, Form(max_length=128)] = "",
    money_back_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """冲正 one entry, with its kind and proof: admin or leader, not the payer (the service checks,
    and audits). A 待追回 (to recover) is recorded on the entry, which stays live."""
    q.require(p, q.LEDGER_VIEWERS)
    day = form_day(money_back_on, "款项退回日期") if money_back_on.strip() else None
    with domain_errors(request):
        e = q.service(context(request)).reverse(
            p.user, entry_id, reason=reason, kind=kind, evidence=evidence, money_back_on=day,
            ip=client_ip(request),
        )  # fmt: skip
    batch = f"batch={e.batch_id}&" if e.batch_id is not None else ""  # none: paid before ZoneBrain
    return RedirectResponse(f"/policy/ledger?{batch}reversed={e.id}", status_code=303)


# ---- API -----------------------------------------------------------------------------------------


@api.get("/batches/{batch_id}/holds", summary="暂缓支付记录 / a batch's holds (open ones first)")
def api_holds(request: Request, p: User, batch_id: Id) -> dict[str, Any]:
    """Each hold with its item's enterprise, clause and amount, who held it, when and why, and how
    it ended (``released``, ``withdrawn``; ``open`` while held). Park officers: their park's items."""
    ctx = context(request)
    with domain_errors(request):
        b = q.batch(ctx, p, batch_id)
        standing = q.service(ctx).standing(p.user)
        return {"batch": q.batch_json(b), "holds": hq.holds(ctx, p, tr(request), b, standing)}


def _out(request: Request, h: disbursement.Hold) -> dict[str, Any]:
    """The hold, its item's status now and the batch (its version for the next step)."""
    d = q.service(context(request))
    return {
        "hold": hq.hold_json(h),
        "item_status": d.item(h.item_id).status.value,
        "batch": q.batch_json(d.batch(h.batch_id)),
    }


@api.post(
    "/batches/{batch_id}/items/{item_id}/hold",
    summary="暂缓支付 / hold an approved item (admin or leader, with a reason)",
)
def api_hold(request: Request, p: User, batch_id: Id, item_id: Id, body: HoldIn) -> dict[str, Any]:
    """The item becomes ``held``: paying the batch leaves it unpaid (the batch is then
    ``part_paid``) until it is released. 403 for another role, 404 for an item not in the batch,
    409 unless the batch is approved or partly paid and the item approved and unpaid."""
    return _out(request, _step(request, p, "hold", batch_id, item_id, body.reason, body.expected_version))


@api.post(
    "/batches/{batch_id}/items/{item_id}/release",
    summary="放行 / release a held item (admin or leader, not who held it)",
)
def api_release(request: Request, p: User, batch_id: Id, item_id: Id, body: HoldIn) -> dict[str, Any]:
    """The item is approved again; the batch's next payment pays it. 403 for who held it (四眼原则)."""
    return _out(request, _step(request, p, "release", batch_id, item_id, body.reason, body.expected_version))


@api.post(
    "/batches/{batch_id}/items/{item_id}/withdraw",
    summary="撤回 / withdraw a held item (admin or leader, not who held it): not paid",
)
def api_withdraw(request: Request, p: User, batch_id: Id, item_id: Id, body: HoldIn) -> dict[str, Any]:
    """The item is ``withdrawn`` and never paid (no later batch lists the award again); a partly paid
    batch left with nothing held or to pay becomes ``paid``. 403 for who held it (四眼原则)."""
    return _out(request, _step(request, p, "withdraw", batch_id, item_id, body.reason, body.expected_version))


@api.post(
    "/ledger/{entry_id}/reverse",
    summary="冲正 / reverse a ledger entry with its kind and proof (admin or leader, not the payer)",
)
def api_reverse(request: Request, p: User, entry_id: Id, body: ReverseIn) -> dict[str, Any]:
    """``returned`` (退汇) and ``recovered`` (追回) need ``evidence`` and ``money_back_on``; ``error``
    (误记, no money moved) its reason: the entry stays in the ledger, flagged, and no longer counts as
    paid, so a new batch may pay the award again, once. ``unrecovered`` (待追回) records the claim:
    the entry stays live (``to_recover``) and holds its key. 403 for the payer or another role, 409
    when already reversed, 400 for a missing kind or proof."""
    q.require(p, q.LEDGER_VIEWERS)
    with domain_errors(request):
        e = q.service(context(request)).reverse(
            p.user, entry_id, reason=body.reason, kind=body.kind, evidence=body.evidence,
            money_back_on=body.money_back_on, ip=client_ip(request),
        )  # fmt: skip
    return {"entry": q.entry_json(e)}
