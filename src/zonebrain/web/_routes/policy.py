"""政策: the policy library, runs (run now), a run's results, one firm's traces, and /api/v1/policy.

Who may do what: the library, the runs and the per-clause summary are aggregates; results and
traces carry firm-level figures, so they need the finance permission and are scoped (a park
officer sees their park's firms, an enterprise user their own); running the policies is for the
admin and the policy researcher (``Perm.POLICY_RUN``) and is audited.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, BeforeValidator, Field

from zonebrain import disbursement
from zonebrain import policy as pol
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._queries import policy as q
from zonebrain.web._queries._common import field_names, park_names
from zonebrain.web._queries.payout import ASKING, BATCH_VIEWERS
from zonebrain.web._queries.policy_analysis import WHATIF_ROLES
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, form_day, locale, paged, tr
from zonebrain.web._routes._payout_io import RESULT_LABELS, one_of
from zonebrain.web._tables import XLSX_RESPONSE, Col, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
Finance = Annotated[Principal, Depends(requires(Perm.FINANCE))]
Runner = Annotated[Principal, Depends(requires(Perm.POLICY_RUN))]
RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$")]
Uscc = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$")]
Park = Annotated[
    str | None, Query(max_length=64, description="园区代码或名称 / park code or name (梧桐, wutong)")
]
PolicyId = Annotated[str | None, Query(max_length=128, description="政策编号或名称 / policy id or name")]
Status = Annotated[
    str | None,
    Query(
        pattern=r"^(eligible|undetermined|superseded|ineligible)?$",
        description="符合/待核实/被从高替代/不符合 (empty: all)",
    ),
    BeforeValidator(one_of(q.STATUSES, labels=True, names=RESULT_LABELS)),
]
Page = Annotated[int, Query(ge=1, le=100_000)]
Size = Annotated[int, Query(ge=1, le=q.MAX_PAGE)]
PAGE_SIZE = 100
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


class RunIn(BaseModel):
    as_of: dt.date = Field(description="测算基准日 / as-of date (YYYY-MM-DD)")
    period: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        description="考核年度 (默认上一年) / year assessed (default: the year before)",
    )


def _check_day(day: dt.date) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(
            f"基准日须在 {FIRST_DAY} 至 {LAST_DAY} 之间 (the as-of date must lie in that range): {day}"
        )
    return pol.check_as_of(day)  # a recorded run dated after today would become the latest run


def _run(request: Request, p: Principal, as_of: dt.date, period: int | None) -> pol.RunResult:
    """Evaluate, record, audit (the failure too: a run that could not be made is worth knowing)."""
    ctx = context(request)
    try:
        r = q.run_now(ctx, _check_day(as_of), period)
    except InputError as exc:
        audit(request, "policy.run", p=p, outcome="failed", detail={"as_of": str(as_of), "error": str(exc)})
        raise
    ctx.cache.invalidate()
    audit(
        request,
        "policy.run",
        p=p,
        target=r.run_id,
        detail={"as_of": r.as_of.isoformat(), "period": r.period, "counts": r.counts()},
    )
    return r


def _export(path: str, **params: Any) -> str:
    return f"{path}?{urlencode({**{k: v for k, v in params.items() if v}, 'format': 'xlsx'})}"


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/policy")
def policy_page(request: Request, p: Reader) -> Response:
    ctx, t = context(request), tr(request)
    runs = q.runs(ctx, t, short=True)
    if not p.can(Perm.FINANCE):  # no link to results the role may not open
        runs.columns = [Col(c.key, c.label, "text") if c.kind == "link" else c for c in runs.columns]
    latest = runs.rows[0]["run_id"] if runs.rows else None
    summary = q.summary(ctx, latest, p) if latest else None
    provisional = q.provisional_note(q.run_info(ctx, latest)) if latest else None
    return render(
        request,
        "policy.html",
        {
            "policies": q.library_view(q.library()),
            "runs": runs,
            "latest": latest,
            "provisional": provisional,
            "summary": summary,
            "chart_data": q.chart(summary, t) if summary and summary.rows else None,
            "can_run": p.can(Perm.POLICY_RUN),
            "can_whatif": p.role in WHATIF_ROLES,
            "can_batches": p.role in BATCH_VIEWERS,
            "can_results": p.can(Perm.FINANCE),
            "as_of": q.default_as_of(ctx).isoformat(),  # the what-if page's default too
            "export_runs": "/api/v1/policy/runs?format=xlsx",
            "export_summary": f"/api/v1/policy/runs/{latest}/summary?format=xlsx" if latest else None,
        },
    )


@pages.post("/policy/run")
def run_form(
    request: Request,
    p: Runner,
    as_of: Annotated[str, Form(max_length=10)],
    period: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    day = form_day(as_of, "基准日")
    year: int | None = None
    if period.strip():
        if not period.strip().isdigit() or not 2000 <= int(period) <= 2100:
            raise InputError(f"考核年度 '{period}' 无效 (bad period year); 请写成 2024 / write e.g. 2024")
        year = int(period)
    r = _run(request, p, day, year)
    return RedirectResponse(f"/policy/runs/{r.run_id}", status_code=303)


@pages.get("/policy/runs/{run_id}")
def results_page(
    request: Request,
    p: Finance,
    run_id: RunId,
    park: Park = None,
    policy: PolicyId = None,
    status: Status = None,
    page: Page = 1,
) -> Response:
    ctx, loc, t = context(request), locale(request), tr(request)
    run = q.run_info(ctx, run_id)  # an unknown run: 404 naming it
    park, policy = q.result_filters(ctx, park, policy)  # 梧桐 → wutong; an unknown value: 400
    table, page, pages = paged(
        lambda n: q.results(
            ctx, p, loc, t, run_id, park=park, policy_id=policy, status=status or None, page=n, size=PAGE_SIZE
        ),
        page,
        PAGE_SIZE,
    )
    names = park_names(ctx, loc)
    if p.park_scope:
        names = {k: v for k, v in names.items() if k == p.park_scope}
    filters = {"park": park, "policy": policy, "status": status}
    return render(
        request,
        "policy_results.html",
        {
            "run": run,
            "note": q.run_note_text(run["note"], t),
            "provisional": q.provisional_note(run),
            "table": table,
            "parks": {} if p.uscc_scope else names,
            "policies": q.policy_names(q.library()),
            "statuses": q.STATUSES,
            **filters,
            "page": page,
            "pages": pages,
            "yuan": q.yuan,
            "export": _export(f"/api/v1/policy/runs/{run_id}/results", **filters),
            "can_batch": p.role in disbursement.CREATORS,
        },
    )


@pages.get("/policy/runs/{run_id}/trace/{uscc}")
def trace_page(request: Request, p: Finance, run_id: RunId, uscc: Uscc) -> Response:
    ctx, loc, t = context(request), locale(request), tr(request)
    data = q.traces(ctx, p, run_id, uscc, loc)
    firm = data["firm"]
    for item in data["items"]:  # the notes in words (the stored trace keeps its codes)
        item["notes"] = q.trace_notes(item["explained"], t)
        item["shown_status"] = q.shown_status(item["status"], item["amount_fen"])
    return render(
        request,
        "policy_trace.html",
        {
            **data,
            "policy_names": q.policy_names(q.library()),
            "provisional": q.provisional_note(data["run"]),
            "park": park_names(ctx, loc).get(firm["park_id"], firm["park_id"]),
            "yuan": q.yuan,
            "missing_text": partial(field_names, loc),
        },
    )


@pages.get("/policy/enterprise/{uscc}")
def enterprise_fragment(request: Request, p: Finance, uscc: Uscc) -> Response:
    """The enterprise page's 政策 section (an htmx fragment): the latest run's results of the firm."""
    ctx = context(request)
    data = q.enterprise_policies(ctx, p, uscc, locale(request))
    asks = [
        r
        for r in disbursement.Disbursement(ctx.store).verification.list(uscc=data["firm"]["uscc"])
        if r.status is not disbursement.VerificationStatus.CLOSED
    ]  # 快申快享: what the firm is asked to provide (the firm is in scope: checked above)
    return render(
        request, "_policy_enterprise.html", {**data, "asks": asks, "asking": ASKING, "yuan": q.yuan}
    )


# ---- API -----------------------------------------------------------------------------------


@api.get("/library", summary="政策库 / policies, clauses (条款, once-only) and dated parameters")
def library(request: Request, p: Reader) -> JSONResponse:
    return JSONResponse({"policies": q.library_view(q.library())})


@api.get(
    "/clauses",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="政策条款 / every clause with its policy, 条款 ref, one-time flag and parameters in force",
)
def list_clauses(request: Request, p: Reader, format: Format = "json") -> Any:
    t = tr(request)
    return respond(q.clauses_table(q.library(), t), format, t)


@api.get("/runs", response_model=TableOut, responses=XLSX_RESPONSE, summary="测算记录 / recorded runs")
def list_runs(request: Request, p: Reader, format: Format = "json") -> Any:
    """Newest first: run id, as-of date, rule and parameter hashes, data batches, created."""
    t = tr(request)
    return respond(q.runs(context(request), t), format, t)


@api.post("/runs", status_code=201, summary="立即测算 / evaluate every policy and record the run")
def create_run(request: Request, p: Runner, body: RunIn) -> JSONResponse:
    """Admin and policy researcher only; audited. Returns the run and its status counts."""
    r = _run(request, p, body.as_of, body.period)
    return JSONResponse(
        {
            "run_id": r.run_id,
            "as_of": r.as_of.isoformat(),
            "period": r.period,
            "policies_hash": r.policies_hash,
            "parameters_hash": r.parameters_hash,
            "batch_ids": list(r.batch_ids),
            "counts": r.counts(),
        },
        status_code=201,
    )


@api.get("/runs/{run_id}", summary="一次测算 / one run: as-of date, hashes, data batches")
def get_run(request: Request, p: Reader, run_id: RunId) -> JSONResponse:
    run = q.run_info(context(request), run_id)
    return JSONResponse(
        {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in run.items()}
    )


@api.get(
    "/runs/{run_id}/summary",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="按条款汇总 / per clause: eligible, undetermined, superseded firms and the amount (fen)",
)
def run_summary(request: Request, p: Reader, run_id: RunId, format: Format = "json") -> Any:
    ctx = context(request)
    q.run_info(ctx, run_id)
    return respond(q.summary(ctx, run_id, p), format, tr(request))


@api.get(
    "/runs/{run_id}/results",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="测算结果 / results you may see (park officers: own park; enterprise users: own firm)",
)
def run_results(
    request: Request,
    p: Finance,
    run_id: RunId,
    park: Park = None,
    policy: PolicyId = None,
    status: Status = None,
    page: Page = 1,
    size: Size = 100,
    format: Format = "json",
) -> Any:
    """Payable first. ``amount_fen`` is integer fen; the Excel export holds every matching row."""
    ctx, t = context(request), tr(request)
    q.run_info(ctx, run_id)  # an unknown run: 404 naming it
    table = q.results(  # park by code or name, policy by id or name; an unknown value: 400
        ctx,
        p,
        locale(request),
        t,
        run_id,
        park=park or None,
        policy_id=policy or None,
        status=status or None,
        page=page,
        size=None if format == "xlsx" else size,
    )
    return respond(table, format, t)


@api.get(
    "/runs/{run_id}/trace/{uscc}", summary="逐条追溯 / one firm's trace per clause, condition by condition"
)
def run_trace(request: Request, p: Finance, run_id: RunId, uscc: Uscc) -> JSONResponse:
    data = q.traces(context(request), p, run_id, uscc, locale(request))
    return JSONResponse(
        {
            "run_id": data["run"]["run_id"],
            "uscc": data["firm"]["uscc"],
            "name": data["firm"]["name"],
            "clauses": [q.trace_json(i) for i in data["items"]],
        }
    )


@api.get("/enterprises/{uscc}", summary="企业政策 / one firm's results in the latest run")
def enterprise_results(request: Request, p: Finance, uscc: Uscc) -> JSONResponse:
    data = q.enterprise_policies(context(request), p, uscc)
    return JSONResponse(
        {
            "run_id": data["run_id"],
            "uscc": data["firm"]["uscc"],
            "results": data["rows"],
        }
    )
