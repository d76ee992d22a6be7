"""政策兑现 workflow pages and /api/v1/policy/{batches,items,objections,ledger,verification}.

Corrections: ``…/batches/{id}/cancel`` (作废, an admin or the batch's creator, with a reason); holds
(暂缓支付) and ``…/ledger/{entry_id}/reverse`` (冲正, with its kind and proof) are in
:mod:`.payout_corrections`.

Every step calls :class:`zonebrain.disbursement.Disbursement`, which checks the role, the four-eyes
rule (reviewer ≠ creator; approver ≠ creator, reviewer; payer ≠ approver) and the version the
officer read, and writes its own audit row (so nothing here audits again). The batch page offers a
step only to who may take it (:func:`zonebrain.web._queries.payout.steps`). Its refusals become
the API's: not allowed → 403, no such batch → 404, wrong step → 409, a stale version
(``ConcurrentUpdate``) → 409, bad input → 400. Pages are plain forms with the CSRF token; each
action redirects back to the batch (or queue) page.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BeforeValidator

from zonebrain import disbursement
from zonebrain.appstore import ConcurrentUpdate
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, client_ip, principal, requires
from zonebrain.web._errors import ERROR_RESPONSES, public_message
from zonebrain.web._queries import payout as q
from zonebrain.web._queries import payout_holds as hq
from zonebrain.web._queries import policy as pq
from zonebrain.web._queries._common import park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, form_day, locale, paged, tr
from zonebrain.web._routes._payout_io import (
    BATCH_NAMES,
    DOCX,
    FILE_RESPONSES,
    ITEM_NAMES,
    ApproveIn,
    BatchIn,
    CancelIn,
    CloseIn,
    ObjectionIn,
    PayIn,
    PublicizeIn,
    ResolveIn,
    VerifyIn,
    VersionIn,
    _export,
    _file,
    domain_errors,
    one_of,
    respond_sheet,
)
from zonebrain.web._tables import XLSX, XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy workflow"], responses=ERROR_RESPONSES)
User = Annotated[Principal, Depends(principal)]
Finance = Annotated[Principal, Depends(requires(Perm.FINANCE))]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$")]
Version = Annotated[int, Form(ge=1, le=2**31 - 1)]
Page = Annotated[int, Query(ge=1, le=100_000)]
Size = Annotated[int, Query(ge=1, le=q.MAX_PAGE)]
BatchStatus = Annotated[
    str | None,
    Query(
        pattern=r"^(draft|reviewed|publicized|approved|part_paid|paid|cancelled)?$", description="批次状态"
    ),
    BeforeValidator(one_of(q.BATCH_STATUSES, labels=True, names=BATCH_NAMES)),
]
ItemStatus = Annotated[
    str | None,
    Query(
        pattern=r"^(listed|objected|withdrawn|approved|paid|already_paid|reversed|held)?$",
        description="名单项状态",
    ),
    BeforeValidator(one_of(q.ITEM_STATUSES, labels=True, names=ITEM_NAMES)),
]


VerifyStatus = Annotated[
    str | None,
    Query(pattern=r"^(open|requested|answered|closed)?$", description="待核实状态"),
    BeforeValidator(one_of(q.VERIFY_STATUSES)),
]
VerifyStep = Annotated[
    Literal["requested", "answered", "closed"], Form(), BeforeValidator(one_of(q.VERIFY_STATUSES[1:]))
]
UsccQuery = Annotated[str | None, Query(max_length=18, pattern=r"^[0-9A-Za-z]{0,18}$")]
LedgerUscc = Annotated[str | None, Query(max_length=64)]  # blanks and case: q.ledger_filters
PolicyQuery = Annotated[str | None, Query(max_length=128, description="政策编号或名称 / policy id or name")]
BatchQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Count = Annotated[int | None, Query(ge=0, le=10_000_000)]
PAGE_SIZE = 200


def create_batch(
    request: Request, p: Principal, run_id: str, title: str, policies: list[str], older_run_reason: str = ""
) -> Any:
    ctx = context(request)
    q.require(p, q.BATCH_VIEWERS)
    pq.run_info(ctx, run_id)  # 404 for an unknown run
    with ctx.pool.reader() as wh:
        run = disbursement.load_run(wh, run_id, pq.library())
    with domain_errors(request):
        return q.service(ctx).create_batch(
            p.user, run, policies=policies or None, title=title, older_run_reason=older_run_reason,
            ip=client_ip(request),
        )  # fmt: skip


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/policy/batches")
def batches_page(request: Request, p: User, status: BatchStatus = None) -> Response:
    ctx, t = context(request), tr(request)
    table = q.batches(ctx, p, t, status)
    return render(
        request,
        "policy_batches.html",
        {
            "table": table,
            "status": status,
            "statuses": q.BATCH_STATUSES,
            "export": f"/api/v1/policy/batches?format=xlsx{'&status=' + status if status else ''}",
        },
    )


@pages.post("/policy/runs/{run_id}/batch")
def create_form(
    request: Request,
    p: User,
    run_id: RunId,
    title: Annotated[str, Form(max_length=256)] = "",
    older_run_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    b = create_batch(request, p, run_id, title, [], older_run_reason)
    return RedirectResponse(f"/policy/batches/{b.id}", status_code=303)


@pages.get("/policy/batches/{batch_id}")
def batch_page(
    request: Request,
    p: User,
    batch_id: Id,
    status: ItemStatus = None,
    page: Page = 1,
    paid: Count = None,
    already: Count = None,
    before: Count = None,
) -> Response:
    ctx, t, loc = context(request), tr(request), locale(request)
    with domain_errors(request):
        b = q.batch(ctx, p, batch_id)
        fetch = partial(q.items, ctx, p, t, loc, batch_id, status=status, size=PAGE_SIZE)
        table, page, pages = paged(lambda n: fetch(page=n), page, PAGE_SIZE)
        objections = q.objections(ctx, p, batch_id)
    d = q.service(ctx)
    today, standing = d.today(), d.standing(p.user)
    days = max(7, d.min_publicity_days())  # a week by default, or the zone's longer minimum
    return render(
        request,
        "policy_batch.html",
        {
            "batch": b,
            "table": table,
            "objections": objections,
            "can": q.steps(p, b, today, standing),
            "same_person": standing.me,
            "hold_until": beijing_text(standing.hold_until) if standing.hold_until else "",
            "holds": hq.holds(ctx, p, t, b, standing),
            "can_hold": hq.steps(p, b, standing),
            "changes": q.data_changes(ctx, b),
            "min_days": d.min_publicity_days(),
            "today": today.isoformat(),
            "publicity_end": (today + dt.timedelta(days=days - 1)).isoformat(),
            "status": status,
            "statuses": q.ITEM_STATUSES,
            "page": page,
            "pages": pages,
            "paid": paid,
            "already": already,
            "before": before,
            "yuan": pq.yuan,
            "export": f"/api/v1/policy/batches/{batch_id}/items?format=xlsx{'&status=' + status if status else ''}",
        },
    )


def _back(batch_id: int, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"/policy/batches/{batch_id}{'?' + query if query else ''}", status_code=303)


@pages.post("/policy/batches/{batch_id}/review")
def review_form(
    request: Request,
    p: User,
    batch_id: Id,
    expected_version: Version,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with domain_errors(request):
        q.service(context(request)).review(
            p.user, batch_id, expected_version=expected_version, note=note, ip=client_ip(request)
        )
    return _back(batch_id)


@pages.post("/policy/batches/{batch_id}/publicize")
def publicize_form(
    request: Request,
    p: User,
    batch_id: Id,
    expected_version: Version,
    start: Annotated[str, Form(max_length=10)],
    end: Annotated[str, Form(max_length=10)],
) -> Response:
    first, last = form_day(start, "公示开始日"), form_day(end, "公示截止日")
    with domain_errors(request):
        q.service(context(request)).publicize(
            p.user, batch_id, start=first, end=last, expected_version=expected_version, ip=client_ip(request)
        )
    return _back(batch_id)


@pages.post("/policy/batches/{batch_id}/close-publicity")
def close_form(
    request: Request,
    p: User,
    batch_id: Id,
    expected_version: Version,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with domain_errors(request):
        q.service(context(request)).close_publicity(
            p.user, batch_id, reason=reason, expected_version=expected_version, ip=client_ip(request)
        )
    return _back(batch_id)


@pages.post("/policy/batches/{batch_id}/approve")
def approve_form(
    request: Request,
    p: User,
    batch_id: Id,
    expected_version: Version,
    note: Annotated[str, Form(max_length=2000)] = "",
    acknowledge_data_changes: Annotated[bool, Form()] = False,
) -> Response:
    with domain_errors(request):
        q.service(context(request)).approve(
            p.user, batch_id, expected_version=expected_version, note=note,
            acknowledge_data_changes=acknowledge_data_changes, ip=client_ip(request),
        )  # fmt: skip
    return _back(batch_id)


@pages.post("/policy/batches/{batch_id}/pay")
def pay_form(
    request: Request, p: User, batch_id: Id, acknowledge_data_changes: Annotated[bool, Form()] = False
) -> Response:
    with domain_errors(request):
        r = q.service(context(request)).pay(
            p.user, batch_id, acknowledge_data_changes=acknowledge_data_changes, ip=client_ip(request)
        )
    before = len(r.paid_before) or None  # a second click: this batch's own payments, not "paid before"
    return _back(batch_id, paid=len(r.paid), already=r.paid_elsewhere, before=before)


@pages.post("/policy/batches/{batch_id}/cancel")
def cancel_form(
    request: Request,
    p: User,
    batch_id: Id,
    expected_version: Version,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """作废: the service checks who (admin or creator), the status (not paid) and the reason (400 if empty)."""
    with domain_errors(request):
        q.service(context(request)).cancel(
            p.user, batch_id, reason=reason, expected_version=expected_version, ip=client_ip(request)
        )
    return _back(batch_id)


@pages.post("/policy/items/{item_id}/objections")
def object_form(
    request: Request,
    p: User,
    item_id: Id,
    text: Annotated[str, Form(max_length=4000)],
    raised_by: Annotated[str, Form(max_length=128)],
    raised_by_role: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[Literal["batch", "check"], Form()] = "batch",
) -> Response:
    """An objection from the batch page, or (``back=check``) from the enterprise's self-check page,
    which an enterprise user returns to: the batch pages are staff's."""
    ctx = context(request)
    with domain_errors(request):
        it = q.item_in_scope(ctx, p, item_id, client_ip(request))
        q.service(ctx).object(
            p.user, item_id, text, raised_by=raised_by, raised_by_role=raised_by_role, ip=client_ip(request)
        )
    if back == "check":
        return RedirectResponse(f"/policy/check?{urlencode({'uscc': it.uscc})}#on-the-list", status_code=303)
    return _back(it.batch_id)


@pages.post("/policy/objections/{objection_id}/resolve")
def resolve_form(
    request: Request,
    p: User,
    objection_id: Id,
    resolution: Annotated[Literal["upheld", "dismissed"], Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with domain_errors(request):
        o = q.service(context(request)).resolve(
            p.user, objection_id, upheld=resolution == "upheld", note=note, ip=client_ip(request)
        )
    return _back(o.batch_id)


@pages.get("/policy/ledger")
def ledger_page(
    request: Request,
    p: User,
    uscc: LedgerUscc = None,
    batch: BatchQuery = None,
    policy: PolicyQuery = None,
    page: Page = 1,
    done: Annotated[int | None, Query(alias="reversed", ge=1, le=2**31 - 1)] = None,
) -> Response:
    ctx, t, loc = context(request), tr(request), locale(request)
    uscc, batch, policy = q.ledger_filters(ctx, p, uscc, batch, policy)
    fetch = partial(q.ledger, ctx, p, t, loc, uscc=uscc, batch_id=batch, policy_id=policy, size=PAGE_SIZE)
    table, page, pages = paged(lambda n: fetch(page=n), page, PAGE_SIZE)
    filters = {"uscc": uscc, "batch": batch, "policy": policy}
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "policy_ledger.html",
        {
            "table": table,
            **filters,
            "policies": pq.policy_names(pq.library()),  # as the results page names them: 名称 (code)
            "page": page,
            "pages": pages,
            "yuan": pq.yuan,
            "can_reverse": q.may_reverse(p),
            "me": p.user.username,
            "reversed": done,
            "export": f"/api/v1/policy/ledger?{query + '&' if query else ''}format=xlsx",
        },
    )


@pages.get("/policy/verify")
def verify_page(request: Request, p: User, status: VerifyStatus = None, page: Page = 1) -> Response:
    """Officers start on the open requests; an enterprise user on all of its own (请补充…)."""
    if status is None:
        status = "" if p.uscc_scope else "open"
    return _queue_page(request, p, status, page)


def _queue_page(
    request: Request,
    p: Principal,
    status: str,
    page: int,
    *,
    failed: int | None = None,
    error: str = "",
    code: int = 200,
) -> Response:
    """The queue page (*status*: a filter, or empty for all); with *error*, the refusal of a step
    on request *failed*, shown above the table, the page answering *code*."""
    ctx, t, loc = context(request), tr(request), locale(request)
    fetch = partial(q.verification, ctx, p, t, loc, status=status or None, size=PAGE_SIZE)
    table, page, pages = paged(lambda n: fetch(page=n), page, PAGE_SIZE)
    return render(
        request,
        "policy_verify.html",
        {
            "table": table,
            "status": status,
            "statuses": q.VERIFY_STATUSES,
            "asking": q.ASKING,
            "park_name": park_names(ctx, loc).get(p.park_scope, p.park_scope) if p.park_scope else "",
            "can_update": q.may_update_requests(p),
            "next_statuses": partial(_next_statuses, p),
            "page": page,
            "pages": pages,
            "export": f"/api/v1/policy/verification/export{'?status=' + status if status else ''}",
            "error": error,
            "failed": failed,
        },
        status=code,
    )


def _next_statuses(p: Principal, status: str) -> list[str]:
    return q.next_statuses(status, p)


@pages.post("/policy/verify/{request_id}")
def verify_form(
    request: Request,
    p: User,
    request_id: Id,
    status: VerifyStep,
    expected_version: Version,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move a request on; a refusal (403 another park, 404, 409 a stale version, 400 a step back) is
    shown on the queue, all of it, at the page listing the request as it is now, so the officer
    reads why and can retry there. The API keeps its JSON errors."""
    ctx = context(request)
    q.require(p, q.QUEUE_VIEWERS)
    try:
        q.service(ctx).verification.update(
            p.user,
            request_id,
            status=status,
            expected_version=expected_version,
            note=note,
            ip=client_ip(request),
        )
    except (disbursement.NotAllowed, disbursement.NotFound, ConcurrentUpdate, InputError) as exc:
        code = (
            403 if isinstance(exc, disbursement.NotAllowed)
            else 404 if isinstance(exc, disbursement.NotFound)
            else 409 if isinstance(exc, ConcurrentUpdate | disbursement.WrongStep)
            else 400
        )  # fmt: skip
        page = q.verification_page_of(ctx, p, request_id, size=PAGE_SIZE)
        return _queue_page(request, p, "", page, failed=request_id, error=public_message(str(exc)), code=code)
    return RedirectResponse("/policy/verify?status=", status_code=303)


# ---- API -----------------------------------------------------------------------------------


def _batch_out(b: disbursement.Batch) -> dict[str, Any]:
    return {"batch": q.batch_json(b)}


@api.get("/batches", response_model=TableOut, responses=XLSX_RESPONSE, summary="兑现批次 / payout batches")
def list_batches(request: Request, p: User, status: BatchStatus = None, format: Format = "json") -> Any:
    """Newest first; ``total_fen`` is what the batch pays (or paid). Staff only (park officers too)."""
    t, ctx = tr(request), context(request)
    if format == "xlsx":  # a refused download is audited
        q.require_export(ctx, p, q.BATCH_VIEWERS, "batches", client_ip(request))
    table = q.batches(ctx, p, t, status)
    return respond_sheet(table, format, q.sheet_name(table, t), t)


@api.post("/batches", status_code=201, summary="生成兑现批次 / build a draft batch from a recorded run")
def post_batch(request: Request, p: User, body: BatchIn) -> JSONResponse:
    """Admin and policy researcher; eligible awards become items, 待核实 results join the queue."""
    known = sorted(pq.library().policies)
    for pid in body.policies:
        if pid not in known:
            raise InputError(f"未知政策 '{pid}' (unknown policy); 可用 / available: {', '.join(known)}")
    b = create_batch(request, p, body.run_id, body.title, body.policies, body.older_run_reason)
    return JSONResponse(_batch_out(b), status_code=201)


@api.get("/batches/{batch_id}", summary="一个兑现批次 / one batch with its objections")
def get_batch(request: Request, p: User, batch_id: Id) -> dict[str, Any]:
    ctx = context(request)
    with domain_errors(request):
        b = q.batch(ctx, p, batch_id)
        objections = q.objections(ctx, p, batch_id)
    return {**_batch_out(b), "objections": objections}


@api.get(
    "/batches/{batch_id}/items",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="批次名单 / a batch's items (park officers: their park)",
)
def batch_items(
    request: Request,
    p: User,
    batch_id: Id,
    status: ItemStatus = None,
    page: Page = 1,
    size: Size = 200,
    format: Format = "json",
) -> Any:
    ctx, t = context(request), tr(request)
    if format == "xlsx":  # a refused download is audited
        q.require_export(ctx, p, q.BATCH_VIEWERS, f"batch:{batch_id}", client_ip(request))
    with domain_errors(request):
        table = q.items(
            ctx,
            p,
            t,
            locale(request),
            batch_id,
            status=status,
            page=page,
            size=None if format == "xlsx" else size,
        )
    return respond_sheet(table, format, q.sheet_name(table, t), t)


@api.post("/batches/{batch_id}/review", summary="审核 / review (draft → reviewed, not by its creator)")
def api_review(request: Request, p: User, batch_id: Id, body: VersionIn) -> dict[str, Any]:
    """403 when the reviewer built the batch (四眼原则)."""
    with domain_errors(request):
        b = q.service(context(request)).review(
            p.user, batch_id, expected_version=body.expected_version, note=body.note, ip=client_ip(request)
        )
    return _batch_out(b)


@api.post("/batches/{batch_id}/publicize", summary="发布公示 / start the public notice period")
def api_publicize(request: Request, p: User, batch_id: Id, body: PublicizeIn) -> dict[str, Any]:
    for day, what in ((body.start, "公示开始日"), (body.end, "公示截止日")):
        form_day(day.isoformat(), what)
    with domain_errors(request):
        b = q.service(context(request)).publicize(
            p.user,
            batch_id,
            start=body.start,
            end=body.end,
            expected_version=body.expected_version,
            ip=client_ip(request),
        )
    return _batch_out(b)


@api.post("/batches/{batch_id}/close-publicity", summary="提前结束公示 / close the public notice early")
def api_close(request: Request, p: User, batch_id: Id, body: CloseIn) -> dict[str, Any]:
    with domain_errors(request):
        b = q.service(context(request)).close_publicity(
            p.user,
            batch_id,
            reason=body.reason,
            expected_version=body.expected_version,
            ip=client_ip(request),
        )
    return _batch_out(b)


@api.post("/batches/{batch_id}/approve", summary="审批 / approve (admin or leader, not creator or reviewer)")
def api_approve(request: Request, p: User, batch_id: Id, body: ApproveIn) -> dict[str, Any]:
    """403 when the approver built or reviewed the batch or closed its 公示 early (四眼原则), 409
    before the 公示期 is over, or when data was imported since the run and
    ``acknowledge_data_changes`` is not true (the message names the imports)."""
    with domain_errors(request):
        b = q.service(context(request)).approve(
            p.user, batch_id, expected_version=body.expected_version, note=body.note,
            acknowledge_data_changes=body.acknowledge_data_changes, ip=client_ip(request),
        )  # fmt: skip
    return _batch_out(b)


@api.post("/batches/{batch_id}/pay", summary="支付 / record the payment (not by its approver; idempotent)")
def api_pay(request: Request, p: User, batch_id: Id, body: PayIn | None = None) -> dict[str, Any]:
    """Writes the ledger once; paying again reports every award as ``already_paid``, and of them
    those this batch itself paid earlier as ``paid_before``; items on hold are left unpaid (``held``).
    403 when the payer approved the batch
    (segregation of duties); 409 when data was imported since the run and the (optional) body's
    ``acknowledge_data_changes`` is not true."""
    ack = body is not None and body.acknowledge_data_changes
    with domain_errors(request):
        r = q.service(context(request)).pay(
            p.user, batch_id, acknowledge_data_changes=ack, ip=client_ip(request)
        )
    return {
        **_batch_out(r.batch),
        "paid": len(r.paid),
        "paid_fen": r.paid_fen,
        "already_paid": len(r.already_paid),
        "paid_before": len(r.paid_before),
        "held": len(r.held),  # 暂缓支付: left unpaid (the batch is then part_paid)
        "already_paid_items": [
            {
                "item_id": i.id,
                "uscc": i.uscc,
                "policy_id": i.policy_id,
                "clause_id": i.clause_id,
                "period": i.period,
            }
            for i in r.already_paid
        ],
    }


@api.post("/batches/{batch_id}/cancel", summary="作废 / cancel a batch not yet paid (admin or its creator)")
def api_cancel(request: Request, p: User, batch_id: Id, body: CancelIn) -> dict[str, Any]:
    """Any status but paid (409 when paid or already cancelled); 403 unless an admin or the batch's
    creator. The run's awards may then go into a new batch."""
    with domain_errors(request):
        b = q.service(context(request)).cancel(
            p.user,
            batch_id,
            reason=body.reason,
            expected_version=body.expected_version,
            ip=client_ip(request),
        )
    return _batch_out(b)


@api.post("/items/{item_id}/objections", status_code=201, summary="登记异议 / record an objection")
def api_object(request: Request, p: User, item_id: Id, body: ObjectionIn) -> JSONResponse:
    """During the 公示期; staff (park officers: their park's items), an enterprise user on its own items."""
    ctx = context(request)
    with domain_errors(request):
        q.item_in_scope(ctx, p, item_id, client_ip(request))
        o = q.service(ctx).object(
            p.user,
            item_id,
            body.text,
            raised_by=body.raised_by,
            raised_by_role=body.raised_by_role,
            ip=client_ip(request),
        )
    return JSONResponse({"id": o.id, "item_id": o.item_id, "batch_id": o.batch_id}, status_code=201)


@api.post("/objections/{objection_id}/resolve", summary="处理异议 / resolve: upheld withdraws the item")
def api_resolve(request: Request, p: User, objection_id: Id, body: ResolveIn) -> dict[str, Any]:
    with domain_errors(request):
        o = q.service(context(request)).resolve(
            p.user, objection_id, upheld=body.upheld, note=body.note, ip=client_ip(request)
        )
    return {"id": o.id, "batch_id": o.batch_id, "item_id": o.item_id, "resolution": o.resolution}


@api.get(
    "/batches/{batch_id}/publicity",
    responses=FILE_RESPONSES,
    summary="公示名单 / the public list (Excel or Word, USCC masked)",
)
def publicity_file(
    request: Request, p: User, batch_id: Id, format: Annotated[Literal["xlsx", "docx"], Query()] = "xlsx"
) -> Response:
    """序号, 企业名称, 统一社会信用代码 (first 4 and last 2 shown), 政策, 条款, 金额(元); audited."""
    ctx = context(request)
    d = q.service(ctx)  # it refuses other roles (an enterprise user), audited
    name = f"publicity-batch-{batch_id}.{format}"
    zone_name = ctx.zone.zone.name_zh  # the default contact is this zone's 管委会 office

    def export(path: FsPath) -> FsPath:
        return d.export_publicity(p.user, batch_id, path, ip=client_ip(request), zone_name=zone_name)

    data = _export(request, export, name)
    return _file(data, XLSX if format == "xlsx" else DOCX, f"公示名单-{batch_id}.{format}")


@api.get(
    "/batches/{batch_id}/notify", responses=FILE_RESPONSES, summary="通知名单 / enterprises to notify (Excel)"
)
def notify_file(request: Request, p: User, batch_id: Id) -> Response:
    """Approved or paid awards: one sheet per enterprise with its total, one per award; audited."""
    ctx = context(request)
    d = q.service(ctx)  # it refuses other roles (an enterprise user), audited
    parks = park_names(ctx, "zh-CN")  # the file is a Chinese document, whatever the page's language
    data = _export(
        request,
        lambda path: d.export_notify(p.user, batch_id, path, ip=client_ip(request), parks=parks),
        "notify.xlsx",
    )
    return _file(data, XLSX, f"通知名单-{batch_id}.xlsx")


@api.get(
    "/ledger",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="支付台账 / the payment ledger (scoped: park officers their park, enterprise users their own)",
)
def api_ledger(
    request: Request,
    p: Finance,
    uscc: LedgerUscc = None,
    batch: BatchQuery = None,
    policy: PolicyQuery = None,
    page: Page = 1,
    size: Size = 200,
    format: Format = "json",
) -> Any:
    """Newest first. The idempotency key is uscc × policy × clause × period (year, or ``once``)."""
    t = tr(request)
    table = q.ledger(
        context(request),
        p,
        t,
        locale(request),
        uscc=uscc or None,
        batch_id=batch,
        policy_id=policy or None,
        page=page,
        size=None if format == "xlsx" else size,
    )
    return respond_sheet(table, format, q.sheet_name(table, t), t)


@api.get(
    "/verification",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="待核实队列 / verification requests (scoped) with what to ask for",
)
def api_verification(
    request: Request,
    p: User,
    status: VerifyStatus = None,
    uscc: UsccQuery = None,
    page: Page = 1,
    size: Size = 200,
    format: Format = "json",
) -> Any:
    t = tr(request)
    table = q.verification(
        context(request),
        p,
        t,
        locale(request),
        status=status or None,
        uscc=uscc or None,
        page=page,
        size=None if format == "xlsx" else size,
    )
    return respond(table, format, t)


@api.get(
    "/verification/export",
    responses=FILE_RESPONSES,
    summary="待核实清单 / the queue as Excel: per enterprise what to provide, then each request",
)
def verification_file(request: Request, p: User, status: VerifyStatus = None) -> Response:
    ctx = context(request)
    d = q.service(ctx)  # it refuses other roles (an investment officer), audited
    parks = park_names(ctx, "zh-CN")  # the file is a Chinese document, whatever the page's language
    data = _export(
        request,
        lambda path: d.export_verification(
            p.user, path, status=status or None, ip=client_ip(request), parks=parks
        ),
        "verification.xlsx",
    )
    return _file(data, XLSX, "待核实清单.xlsx")


@api.post("/verification/{request_id}", summary="推进待核实事项 / move a request on (409 on a stale version)")
def api_verify_update(request: Request, p: User, request_id: Id, body: VerifyIn) -> dict[str, Any]:
    q.require(p, q.QUEUE_VIEWERS)
    with domain_errors(request):
        r = q.service(context(request)).verification.update(
            p.user,
            request_id,
            status=body.status,
            expected_version=body.expected_version,
            note=body.note,
            ip=client_ip(request),
        )
    return {"id": r.id, "status": r.status.value, "version": r.version, "note": r.note}
