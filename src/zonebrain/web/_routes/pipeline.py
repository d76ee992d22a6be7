"""项目库: the board by stage with stall colours, one project, and their /api/v1/pipeline endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain import pipeline as pl
from zonebrain.web._auth import Perm, Principal, client_ip, requires
from zonebrain.web._errors import ERROR_RESPONSES, Forbidden, NotFound
from zonebrain.web._queries import pipeline as q
from zonebrain.web._queries._common import park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/pipeline", tags=["pipeline"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Filter = Annotated[str | None, Query(max_length=64)]


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
    with domain_errors():
        items = q.projects(ctx, p, park=park or None, owner=owner or None, origin=origin or None)
    query = "&".join(f"{k}={v}" for k, v in (("park", park), ("owner", owner), ("origin", origin)) if v)
    return render(
        request,
        "pipeline.html",
        {
            "columns": q.board(items),
            "table": q.table(items),
            "parks": park_names(ctx, loc),
            "origins": [o.value for o in pl.Origin],
            "park": park,
            "owner": owner,
            "origin": origin,
            "create_parks": {pid: n for pid, n in park_names(ctx, loc).items() if pl.may_edit(p.user, pid)},
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


@pages.get("/pipeline/{project_id}")
def project_page(request: Request, p: Reader, project_id: ProjectId) -> Response:
    ctx, loc = context(request), locale(request)
    with domain_errors():
        data = q.detail(ctx, p, project_id)
    return render(
        request,
        "pipeline_project.html",
        {**data, "stages": q.BOARD_STAGES, "stage_key": q.stage_key, "parks": park_names(ctx, loc)},
    )


@pages.post("/pipeline/{project_id}/stage")
def move_form(
    request: Request,
    p: Reader,
    project_id: ProjectId,
    to: Annotated[str, Form(max_length=16)],
    expected_version: Annotated[int, Form(ge=1, le=2**31 - 1)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with domain_errors():
        q.service(context(request)).move(
            p.user, project_id, to, expected_version=expected_version, reason=reason, ip=client_ip(request)
        )
    return RedirectResponse(f"/pipeline/{project_id}", status_code=303)


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
    return respond(q.table(items), format, tr(request))


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
        ev = q.service(context(request)).add_note(p.user, project_id, body.text, ip=client_ip(request))
    return JSONResponse({"id": ev.id, "at": ev.at.isoformat(), "text": ev.text}, status_code=201)


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
