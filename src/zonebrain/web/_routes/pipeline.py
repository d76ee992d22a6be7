"""项目库: the board by stage with stall colours, one project, and their /api/v1/pipeline endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain import pipeline as pl
from zonebrain.appstore import ConcurrentUpdate
from zonebrain.core.clock import beijing_today, from_beijing
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, client_ip, requires
from zonebrain.web._errors import ERROR_RESPONSES, Forbidden, NotFound
from zonebrain.web._queries import pipeline as q
from zonebrain.web._queries._common import park_names, resolve_park
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, form_day, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/pipeline", tags=["pipeline"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Filter = Annotated[str | None, Query(max_length=64)]
Year = Annotated[
    int | None, Query(ge=1949, le=2100, description="年度 (默认各企业最新) / year (default: latest)")
]
Version = Annotated[int, Form(ge=1, le=2**31 - 1)]


@contextmanager
def domain_errors() -> Iterator[None]:
    """The domain's refusals as the API's: not allowed → 403, no such project → 404."""
    try:
        yield
    except pl.NotAllowed as exc:
        raise Forbidden(str(exc)) from exc
    except pl.ProjectNotFound as exc:
        raise NotFound(str(exc)) from exc


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=256)
    park_id: str = Field(min_length=1, max_length=64)
    origin: str = Field(min_length=1, max_length=16)
    owner: str | None = Field(default=None, max_length=64)
    uscc: str | None = Field(default=None, max_length=18)
    chain_node: str | None = Field(default=None, max_length=64)
    promised_investment_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_output_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_tax_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_jobs: int | None = Field(default=None, ge=0, le=10_000_000)
    notes: str = Field(default="", max_length=10_000)


class StageIn(BaseModel):
    to: str = Field(min_length=1, max_length=16, description="目标阶段 / stage (线索…达产, 终止)")
    expected_version: int = Field(ge=1, le=2**31 - 1, description="你读到的版本 / the version you read")
    reason: str = Field(default="", max_length=2000)


class ProjectPatch(BaseModel):
    expected_version: int = Field(ge=1, le=2**31 - 1, description="你读到的版本 / the version you read")
    name: str | None = Field(default=None, min_length=1, max_length=256)
    park_id: str | None = Field(default=None, min_length=1, max_length=64)
    origin: str | None = Field(default=None, min_length=1, max_length=16)
    uscc: str | None = Field(default=None, max_length=18)
    chain_node: str | None = Field(default=None, max_length=64)
    promised_investment_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_output_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_tax_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    promised_jobs: int | None = Field(default=None, ge=0, le=10_000_000)
    notes: str | None = Field(default=None, max_length=10_000)


class HandOverIn(BaseModel):
    to_owner: str = Field(min_length=1, max_length=64)
    expected_version: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(default="", max_length=2000)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    on: dt.date | None = Field(
        default=None, description="发生日期 (默认现在; 不能是将来) / the day it happened (default now)"
    )


def _form_date(text: str) -> dt.date | None:
    """A form's ``<input type=date>`` (empty: none)."""
    if not text.strip():
        return None
    return form_day(text, "日期", earliest=dt.date(1950, 1, 1))


def _note_time(on: dt.date | None, today: dt.date | None = None) -> dt.datetime | None:
    """A note's day (a Beijing date, as users type it) as a stored time: now for today (or none),
    noon Beijing time of an earlier day, in UTC (never the future)."""
    today = today or beijing_today()
    if on is not None and on > today:
        raise InputError(f"记录日期 {on} 在未来 (in the future); 请填写实际发生的日期")
    if on is None or on == today:
        return None
    return from_beijing(dt.datetime.combine(on, dt.time(12, 0)))


def _project_json(x: pl.Project) -> dict[str, Any]:
    return x.as_dict()


def _warning_json(w: pl.PursuitWarning) -> dict[str, Any]:
    return {
        "project_id": w.project_id,
        "name": w.name,
        "park_id": w.park_id,
        "owner": w.owner,
        "stage": w.stage.value,
        "match": w.match,
        "kind": w.kind,
        "message": w.message(),
    }


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/pipeline")
def pipeline_page(
    request: Request, p: Reader, park: Filter = None, owner: Filter = None, origin: Filter = None
) -> Response:
    ctx, loc = context(request), locale(request)
    park = resolve_park(ctx, park)  # 梧桐, WUTONG → wutong; an unknown park is a 400 naming the parks
    with domain_errors():
        items = q.projects(ctx, p, park=park, owner=owner or None, origin=origin or None)
    query = "&".join(f"{k}={v}" for k, v in (("park", park), ("owner", owner), ("origin", origin)) if v)
    parks = park_names(ctx, loc)
    return render(
        request,
        "pipeline.html",
        {
            "columns": q.board(items),
            "table": q.table(items, parks=parks),
            "parks": parks,
            "origins": [o.value for o in pl.Origin],
            "park": park,
            "owner": owner,
            "origin": origin,
            "create_parks": {pid: n for pid, n in park_names(ctx, loc).items() if pl.may_edit(p.user, pid)},
            "show_delivery": q.may_see_delivery(p),
            "export": f"/api/v1/pipeline/projects?{query}&format=xlsx"
            if query
            else "/api/v1/pipeline/projects?format=xlsx",
        },
    )


@pages.post("/pipeline")
def create_form(
    request: Request,
    p: Reader,
    name: Annotated[str, Form(max_length=256)],
    park_id: Annotated[str, Form(max_length=64)],
    origin: Annotated[str, Form(max_length=16)],
    uscc: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    with domain_errors():
        created = q.service(context(request)).create(
            p.user, name=name, park_id=park_id, origin=origin, uscc=uscc or None, ip=client_ip(request)
        )
    return RedirectResponse(f"/pipeline/{created.project.id}", status_code=303)


@pages.get("/pipeline/funnel")
def funnel_page(request: Request, p: Reader, by: Annotated[str, Query(max_length=16)] = "origin") -> Response:
    """漏斗分析: projects reaching each stage, median days in stage, conversion per origin/officer/park."""
    ctx, loc = context(request), locale(request)
    with domain_errors():
        data = q.analytics(ctx, p, by, park_names(ctx, loc))
    t = tr(request)
    for chart in (data["funnel"], data["days"]):  # the stages as the reader reads them
        chart["stages"] = [t(q.STAGE_LABELS.get(s, s)) for s in chart["stages"]]
    return render(
        request,
        "pipeline_funnel.html",
        {
            **data,
            "groups": q.FUNNEL_GROUPS,
            "export": f"/api/v1/pipeline/funnel/conversion?by={data['by']}&format=xlsx",
        },
    )


@pages.get("/pipeline/delivery")
def delivery_page(request: Request, p: Reader, year: Year = None) -> Response:
    """达产达效: promised vs actual output, tax and jobs of the landed projects, flags, chart, Excel."""
    ctx, loc = context(request), locale(request)
    with domain_errors():
        rows = q.delivery_rows(q.delivery_frame(ctx, p, year), park_names(ctx, loc))
    query = f"year={year}&" if year else ""
    return render(
        request,
        "pipeline_delivery.html",
        {
            "table": q.delivery_table(rows, year),
            "chart_data": q.delivery_chart(rows),
            "far_behind": [r for r in rows if r["status"] == "far_behind"],
            "behind": [r for r in rows if r["status"] == "behind"],
            "year": year,
            "export": f"/api/v1/pipeline/delivery?{query}format=xlsx",
        },
    )


@pages.get("/pipeline/digest")
def digest_page(request: Request, p: Reader, by: Annotated[str, Query(max_length=16)] = "owner") -> Response:
    """周报: per officer or park — colour counts, red and yellow projects, this week's moves."""
    ctx, loc = context(request), locale(request)
    with domain_errors():
        data = q.digest(ctx, p, by, park_names(ctx, loc))
    base = f"/api/v1/pipeline/digest?by={data['by']}&format=xlsx"
    return render(
        request,
        "pipeline_digest.html",
        {
            **data,
            "groups": q.DIGEST_GROUPS,
            "exports": {k: f"{base}&table={k}" for k in ("summary", "flagged", "moves")},
        },
    )


def _project_view(
    request: Request, p: Principal, project_id: int, *, error: str | None = None, status: int = 200
) -> Response:
    ctx, loc = context(request), locale(request)
    with domain_errors():
        data = q.detail(ctx, p, project_id)
    project = data["project"]
    parks = park_names(ctx, loc)
    return render(
        request,
        "pipeline_project.html",
        {
            **data,
            "stages": q.BOARD_STAGES,
            "stage_key": q.stage_key,
            "parks": parks,
            "edit_parks": {pid: n for pid, n in parks.items() if pl.may_edit(p.user, pid)},
            "owners": q.owner_choices(ctx, project) if data["may_edit"] else [],
            "handovers": q.handovers(data["events"]),
            "wan": {f: q.wan_text(getattr(project, k)) for f, k in q.MONEY_FORM.items()},
            "field_labels": q.FIELD_LABELS,
            "error": error,
        },
        status=status,
    )


def _form_write(request: Request, p: Principal, project_id: int, write: Callable[[], object]) -> Response:
    """Run a form's write; back to the project page, or the page again with what went wrong:
    a stale version (409: 记录已被他人修改，请刷新 — nothing is written) or bad input (400)."""
    try:
        with domain_errors():
            write()
    except ConcurrentUpdate:
        return _project_view(request, p, project_id, error=tr(request)("pipeline.stale"), status=409)
    except InputError as exc:
        return _project_view(request, p, project_id, error=str(exc), status=400)
    return RedirectResponse(f"/pipeline/{project_id}", status_code=303)


@pages.get("/pipeline/{project_id}")
def project_page(request: Request, p: Reader, project_id: ProjectId) -> Response:
    return _project_view(request, p, project_id)


@pages.post("/pipeline/{project_id}/stage")
def move_form(
    request: Request,
    p: Reader,
    project_id: ProjectId,
    to: Annotated[str, Form(max_length=16)],
    expected_version: Version,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """推进阶段, and 终止 (the terminate form sends to=终止 with its required reason)."""
    return _form_write(
        request,
        p,
        project_id,
        lambda: q.service(context(request)).move(
            p.user, project_id, to, expected_version=expected_version, reason=reason, ip=client_ip(request)
        ),
    )


@pages.post("/pipeline/{project_id}/edit")
def edit_form(
    request: Request,
    p: Reader,
    project_id: ProjectId,
    expected_version: Version,
    park_id: Annotated[str, Form(min_length=1, max_length=64)],
    uscc: Annotated[str, Form(max_length=18)] = "",
    chain_node: Annotated[str, Form(max_length=64)] = "",
    promised_investment: Annotated[str, Form(max_length=40)] = "",
    promised_output: Annotated[str, Form(max_length=40)] = "",
    promised_tax: Annotated[str, Form(max_length=40)] = "",
    promised_jobs: Annotated[str, Form(max_length=12)] = "",
    notes: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """修改项目: promises typed in 万元 and parsed exactly to integer fen; the version read is checked."""
    t = tr(request)

    def write() -> object:
        typed = {"promised_investment": promised_investment, "promised_output": promised_output}
        typed["promised_tax"] = promised_tax
        changes: dict[str, Any] = {
            field: q.parse_wan(t(f"pipeline.col.{name}"), typed[name]) for name, field in q.MONEY_FORM.items()
        }
        changes.update(
            park_id=park_id,
            uscc=uscc or None,
            chain_node=chain_node or None,
            promised_jobs=q.parse_jobs(promised_jobs),
            notes=notes,
        )
        return q.service(context(request)).update(
            p.user, project_id, expected_version=expected_version, ip=client_ip(request), **changes
        )

    return _form_write(request, p, project_id, write)


@pages.post("/pipeline/{project_id}/handover")
def handover_form(
    request: Request,
    p: Reader,
    project_id: ProjectId,
    to_owner: Annotated[str, Form(min_length=1, max_length=64)],
    expected_version: Version,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """交接: to an investment officer, an admin, or a park officer of the project's park."""
    return _form_write(
        request,
        p,
        project_id,
        lambda: q.service(context(request)).hand_over(
            p.user,
            project_id,
            to_owner,
            expected_version=expected_version,
            reason=reason,
            ip=client_ip(request),
        ),
    )


@pages.post("/pipeline/{project_id}/notes")
def note_form(
    request: Request,
    p: Reader,
    project_id: ProjectId,
    text: Annotated[str, Form(max_length=10_000)],
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """跟进记录: a dated note (a call, a visit); notes do not change the stage or the version."""
    return _form_write(
        request,
        p,
        project_id,
        lambda: q.service(context(request)).add_note(
            p.user, project_id, text, at=_note_time(_form_date(on)), ip=client_ip(request)
        ),
    )


# ---- API -----------------------------------------------------------------------------------


@api.get("/projects", response_model=TableOut, responses=XLSX_RESPONSE, summary="项目清单 / projects")
def list_projects(
    request: Request,
    p: Reader,
    park: Filter = None,
    owner: Filter = None,
    origin: Filter = None,
    stage: Filter = None,
    format: Format = "json",
) -> Any:
    """Every project of the shared pipeline (enterprise users have no access), with its stall colour."""
    with domain_errors():
        items = q.projects(context(request), p, park=park, owner=owner, origin=origin, stage=stage)
    return respond(q.table(items, parks=park_names(context(request), locale(request))), format, tr(request))


@api.post("/projects", status_code=201, summary="新增项目 / add a project (warns of duplicate pursuit)")
def create_project(request: Request, p: Reader, body: ProjectIn) -> JSONResponse:
    with domain_errors():
        created = q.service(context(request)).create(p.user, **body.model_dump(), ip=client_ip(request))
    return JSONResponse(
        {"project": _project_json(created.project), "warnings": [_warning_json(w) for w in created.warnings]},
        status_code=201,
    )


@api.get("/projects/{project_id}", summary="项目详情 / one project with its history")
def get_project(request: Request, p: Reader, project_id: ProjectId) -> dict[str, Any]:
    with domain_errors():
        data = q.detail(context(request), p, project_id)
    return {
        "project": _project_json(data["project"]),
        "stall": data["stall"],
        "events": [
            {
                "at": e.at.isoformat(),
                "username": e.username,
                "kind": e.kind,
                "from_stage": e.from_stage.value if e.from_stage else None,
                "to_stage": e.to_stage.value if e.to_stage else None,
                "text": e.text,
                "detail": e.detail,
            }
            for e in data["events"]
        ],
        "warnings": [_warning_json(w) for w in data["warnings"]],
    }


@api.post("/projects/{project_id}/stage", summary="推进阶段 / move a stage (409 on a stale version)")
def move_project(request: Request, p: Reader, project_id: ProjectId, body: StageIn) -> dict[str, Any]:
    with domain_errors():
        moved = q.service(context(request)).move(
            p.user,
            project_id,
            body.to,
            expected_version=body.expected_version,
            reason=body.reason,
            ip=client_ip(request),
        )
    return {"project": _project_json(moved)}


@api.patch("/projects/{project_id}", summary="修改项目 / change fields (409 on a stale version)")
def update_project(request: Request, p: Reader, project_id: ProjectId, body: ProjectPatch) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    expected = changes.pop("expected_version")
    with domain_errors():
        updated = q.service(context(request)).update(
            p.user, project_id, expected_version=expected, ip=client_ip(request), **changes
        )
    return {"project": _project_json(updated)}


@api.post("/projects/{project_id}/handover", summary="交接 / hand the project to another officer")
def hand_over(request: Request, p: Reader, project_id: ProjectId, body: HandOverIn) -> dict[str, Any]:
    with domain_errors():
        moved = q.service(context(request)).hand_over(
            p.user,
            project_id,
            body.to_owner,
            expected_version=body.expected_version,
            reason=body.reason,
            ip=client_ip(request),
        )
    return {"project": _project_json(moved)}


@api.post("/projects/{project_id}/notes", status_code=201, summary="跟进记录 / add a dated note")
def add_note(request: Request, p: Reader, project_id: ProjectId, body: NoteIn) -> JSONResponse:
    with domain_errors():
        ev = q.service(context(request)).add_note(
            p.user, project_id, body.text, at=_note_time(body.on), ip=client_ip(request)
        )
    return JSONResponse({"id": ev.id, "at": ev.at.isoformat(), "text": ev.text}, status_code=201)


@api.get(
    "/delivery",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="达产达效 / promised vs actual output, tax and jobs of landed projects",
)
def delivery(request: Request, p: Reader, year: Year = None, format: Format = "json") -> Any:
    """Projects at 注册落地 or later: promised and actual (from ``enterprise_years``; money in integer
    fen), the rates and ``delivery_rate`` (their mean), ``status`` ok / behind (< 80 %) / far_behind
    (< 50 %) / pending / no_data / not_registered / no_uscc. Firm-level finance: admins, leaders,
    policy researchers, park officers (their park's); investment officers and firms 403."""
    ctx = context(request)
    with domain_errors():
        rows = q.delivery_rows(q.delivery_frame(ctx, p, year), park_names(ctx, locale(request)))
    return respond(q.delivery_table(rows, year), format, tr(request))  # Excel: exact 万元, rates 0.0%


DigestTable = Annotated[
    str, Query(pattern="^(summary|flagged|moves)$", description="summary, flagged or moves")
]
DigestGroup = Annotated[str, Query(pattern="^(owner|park)$", description="owner or park")]


@api.get("/digest", response_model=TableOut, responses=XLSX_RESPONSE, summary="周报 / the weekly digest")
def weekly_digest(
    request: Request,
    p: Reader,
    by: DigestGroup = "owner",
    table: DigestTable = "summary",
    format: Format = "json",
) -> Any:
    """The 7 days to now per officer or park: ``summary`` (colour counts, new, moved), ``flagged``
    (red and yellow projects, longest in stage first) or ``moves`` (this week's stage moves)."""
    ctx = context(request)
    with domain_errors():
        data = q.digest(ctx, p, by, park_names(ctx, locale(request)))
    return respond(data[table], format, tr(request))


@api.get("/funnel", summary="漏斗 / conversion per stage")
def funnel(
    request: Request, p: Reader, by: Annotated[str | None, Query(pattern="^(owner|park|origin)$")] = None
) -> Any:
    ctx = context(request)
    with domain_errors():
        items = q.projects(ctx, p)
    df = pl.funnel(items, q.service(ctx).all_events(), by=by)
    records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return {"by": by, "rows": records}


Group = Annotated[str, Query(pattern="^(owner|park|origin)$", description="owner, park or origin")]


@api.get(
    "/funnel/conversion",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="转化 / conversion per origin, officer or park",
)
def funnel_conversion(request: Request, p: Reader, by: Group = "origin", format: Format = "json") -> Any:
    """One row per group and a 全部 all row: projects, reached 接洽/签约/注册落地/投产, signed and landed
    rates, median days to 签约. The groups add up to the all row."""
    ctx = context(request)
    with domain_errors():
        data = q.analytics(ctx, p, by, park_names(ctx, locale(request)))
    return respond(data["conversion"], format, tr(request))


@api.get("/funnel/stages", summary="漏斗与阶段停留 / projects reaching each stage, median days in stage")
def funnel_stages(request: Request, p: Reader) -> dict[str, Any]:
    """The whole pipeline: ``funnel`` (projects that reached each stage, conversion to the next) and
    ``days`` (finished stays: median days per stage; open stays so far)."""
    with domain_errors():
        data = q.analytics(context(request), p)
    return {"total": data["total"], "funnel": data["funnel"], "days": data["days"]}


class CandidateIn(BaseModel):
    uscc: str | None = Field(default=None, max_length=18, description="统一社会信用代码 (GB 32100)")
    name: str = Field(min_length=1, max_length=256)
    gap: str | None = Field(default=None, max_length=130, description="链节点 chain/node 或行业小类")
    score: float | None = Field(default=None, ge=0, le=1000)
    reasons: str = Field(default="", max_length=2000)


class FromCandidatesIn(BaseModel):
    park_id: str = Field(min_length=1, max_length=64)
    candidates: list[CandidateIn] = Field(min_length=1, max_length=200)
    confirm: bool = Field(
        default=False, description="名称相同的重复跟进也加入 / add firms another project matches by name"
    )


def _outcome_json(o: pl.LeadOutcome) -> dict[str, Any]:
    return {
        "uscc": o.lead.uscc,
        "name": o.lead.name,
        "status": o.status,
        "project": _project_json(o.project) if o.project else None,
        "existing_project_id": o.existing_id,
        "warnings": [_warning_json(w) for w in o.warnings],
        "message": o.message,
    }


@api.post(
    "/projects/from-candidates",
    summary="目标企业加入项目库 / add candidate firms as leads (origin targeting)",
)
def from_candidates(request: Request, p: Reader, body: FromCandidatesIn) -> dict[str, Any]:
    """Each candidate becomes a 线索 of *park_id* owned by you, origin ``targeting``, its gap as chain
    node. ``already``: a live project pursues the firm (same USCC) — not added; ``needs_confirm``:
    another project matches by name — added only with ``confirm: true``; ``invalid``: bad USCC."""
    leads = [pl.Lead(c.name, c.uscc, c.gap, c.score, c.reasons) for c in body.candidates]
    ctx = context(request)
    with domain_errors():
        result = pl.add_candidates(
            q.service(ctx), p.user, leads, park_id=body.park_id, confirm=body.confirm, ip=client_ip(request)
        )
    return {
        "park_id": result.park_id,
        "summary": result.summary(),
        "created": len(result.created),
        "outcomes": [_outcome_json(o) for o in result.outcomes],
    }
