"""资源对接: demands in your scope, ranked resources with reasons, proposals, resolution, rating;
and their /api/v1/linking endpoints. Enterprise users submit and see their own demands only."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain import linking as lk
from zonebrain.appstore import Role
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, client_ip, requires
from zonebrain.web._errors import ERROR_RESPONSES, Conflict, Forbidden, NotFound
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, own_upload, problem_report, save_upload, tr
from zonebrain.web._tables import XLSX, attachment

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/linking", tags=["linking"], responses=ERROR_RESPONSES)
Anyone = Annotated[Principal, Depends(requires(Perm.ENTERPRISES))]
DemandId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except lk.NotAllowed as exc:
        raise Forbidden(str(exc)) from exc
    except lk.DemandNotFound as exc:
        raise NotFound(str(exc)) from exc
    except lk.AlreadyThere as exc:  # a resource's name + provider, a proposal made before
        raise Conflict(str(exc)) from exc


def service(request: Request) -> lk.Linking:
    ctx = context(request)
    return lk.Linking(ctx.store, firms=lk.RegistryFirms(ctx.pool.reader), parks=lk.park_aliases(ctx.zone))


class DemandIn(BaseModel):
    uscc: str = Field(min_length=18, max_length=18)
    kind: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=256)
    detail: str = Field(default="", max_length=10_000)
    amount_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    firm_name: str = Field(default="", max_length=256)
    park_id: str | None = Field(default=None, max_length=64)
    chain_node: str | None = Field(default=None, max_length=64)


class ResourceIn(BaseModel):
    kind: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=256)
    provider: str = Field(default="", max_length=256)
    description: str = Field(default="", max_length=10_000)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    chain_nodes: list[str] = Field(default_factory=list, max_length=50)
    parks: list[str] = Field(default_factory=list, max_length=10)
    min_amount_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    max_amount_fen: int | None = Field(default=None, ge=0, le=2**63 - 1)
    contact: str = Field(default="", max_length=256)


class ProposeIn(BaseModel):
    resource_id: int = Field(ge=1, le=2**31 - 1)
    expected_version: int = Field(ge=1, le=2**31 - 1)


class ResolveIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=10_000)
    expected_version: int = Field(ge=1, le=2**31 - 1)


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)
    expected_version: int = Field(ge=1, le=2**31 - 1)


def _demand_json(d: lk.Demand) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.__dict__.items():
        out[k] = (
            v.isoformat() if hasattr(v, "isoformat") else (v.value if isinstance(v, lk.DemandKind) else v)
        )
    return out


def _resource_json(r: lk.Resource) -> dict[str, Any]:
    return {
        **r.__dict__,
        "kind": r.kind.value,
        "keywords": list(r.keywords),
        "chain_nodes": list(r.chain_nodes),
        "parks": list(r.parks),
    }


def _suggestion_json(s: lk.Suggestion) -> dict[str, Any]:
    return {"resource": _resource_json(s.resource), "score": s.score, "reasons": list(s.reasons)}


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/linking")
def linking_page(request: Request, p: Anyone) -> Response:
    return _linking_view(request, p)


def _import_kinds(p: Principal) -> list[str]:
    """What *p* may import: the catalogue (admins, investment officers), demands (officers, firms)."""
    kinds = []
    if p.role in (Role.ADMIN, Role.INVESTMENT_OFFICER):
        kinds.append("resources")
    if p.role in (Role.ADMIN, Role.INVESTMENT_OFFICER, Role.PARK_OFFICER, Role.ENTERPRISE_USER):
        kinds.append("demands")
    return kinds


def _linking_view(
    request: Request, p: Principal, result: lk.LinkImport | None = None, report_url: str | None = None,
    error: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    svc = service(request)
    with domain_errors():
        demands = svc.demands(p.user)
    return render(
        request,
        "linking.html",
        {
            "demands": demands,
            "kinds": [(k.value, lk.DEMAND_ZH[k]) for k in lk.DemandKind],
            "own_uscc": p.user.uscc if p.role is Role.ENTERPRISE_USER else None,
            "may_submit": p.role in (Role.ENTERPRISE_USER, Role.ADMIN, Role.INVESTMENT_OFFICER),
            "import_kinds": _import_kinds(p),
            "import_result": result,
            "report_url": report_url,
            "import_error": error,
        },
        status=status,
    )


ImportKind = Annotated[str, Path(pattern="^(resources|demands)$")]
UPLOAD_ID = re.compile(r"^linking-[0-9a-f]{16}$")


@pages.get("/linking/template/{kind}")
def import_template(request: Request, p: Anyone, kind: ImportKind) -> Response:
    """An empty .xlsx with the Chinese headers, one example row and a sheet 说明."""
    if kind not in _import_kinds(p):
        raise Forbidden()
    with tempfile.TemporaryDirectory() as tmp:
        data = lk.write_template(kind, FsPath(tmp) / "t.xlsx").read_bytes()
    name = {"resources": "资源目录模板.xlsx", "demands": "企业需求模板.xlsx"}[kind]
    return Response(data, media_type=XLSX, headers={"Content-Disposition": attachment(name)})


@pages.post("/linking/import")
def import_upload(
    request: Request,
    p: Anyone,
    kind: Annotated[str, Form(pattern="^(resources|demands)$")],
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Upload resources or demands (.xlsx/.csv): every cell is checked; all rows are written or none.
    Rejected rows come back as an Excel report; re-importing the same file adds nothing twice."""
    if kind not in _import_kinds(p):
        raise Forbidden()
    ctx = context(request)
    name = FsPath(file.filename or "upload.xlsx").name
    if not name.lower().endswith((".xlsx", ".csv")):
        return _linking_view(request, p, error=tr(request)("linking.import_suffix"), status=400)
    upload_id, folder, target = save_upload(ctx, file, name, prefix="linking-")
    try:
        with domain_errors():
            result = lk.import_file(
                service(request),
                p.user,
                kind,
                target,
                zone=ctx.zone,
                dry_run=dry_run == "1",
                ip=client_ip(request),
            )
    except InputError as exc:  # an unreadable file: name the problem, keep the page
        shutil.rmtree(folder, ignore_errors=True)
        return _linking_view(request, p, error=str(exc), status=400)
    report_url = None
    if not result.ok:
        lk.write_report(result, folder / "report.xlsx")
        meta = {"by": p.user.username, "file": name}
        (folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        report_url = f"/linking/import/{upload_id}/report"
    target.unlink(missing_ok=True)
    return _linking_view(request, p, result, report_url, status=200 if result.ok else 400)


@pages.get("/linking/import/{upload_id}/report")
def import_report(request: Request, p: Anyone, upload_id: Annotated[str, Path(max_length=40)]) -> Response:
    """The problem report of a rejected upload (only for the user who uploaded it)."""
    folder, meta = own_upload(context(request), upload_id, UPLOAD_ID, p.user.username)
    return problem_report(folder / "report.xlsx", str(meta.get("file", "")))


@pages.post("/linking")
def submit_form(
    request: Request,
    p: Anyone,
    kind: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(max_length=256)],
    detail: Annotated[str, Form(max_length=10_000)] = "",
    uscc: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    code = p.user.uscc if p.role is Role.ENTERPRISE_USER else uscc
    with domain_errors():
        d = service(request).submit_demand(
            p.user, uscc=code or "", kind=kind, title=title, detail=detail, ip=client_ip(request)
        )
    return RedirectResponse(f"/linking/demands/{d.id}", status_code=303)


@pages.get("/linking/demands/{demand_id}")
def demand_page(request: Request, p: Anyone, demand_id: DemandId) -> Response:
    svc = service(request)
    with domain_errors():
        demand = svc.get_demand(p.user, demand_id)
        matches = svc.matches(p.user, demand_id)
        officer = p.role in (Role.ADMIN, Role.INVESTMENT_OFFICER, Role.PARK_OFFICER)
        suggestions = svc.suggest(p.user, demand_id) if officer else []
    names = {r.id: r.name for r in svc.resources(active_only=False)}
    return render(
        request,
        "linking_demand.html",
        {
            "demand": demand,
            "kind_zh": lk.DEMAND_ZH[demand.kind],
            "matches": [(m, names.get(m.resource_id, "")) for m in matches],
            "suggestions": suggestions,
            "proposed": {m.resource_id for m in matches},  # proposed once only: no button again
            "officer": officer,
            "may_rate": p.role is Role.ENTERPRISE_USER
            and demand.status == "resolved"
            and demand.rating is None,
        },
    )


@pages.post("/linking/demands/{demand_id}/propose")
def propose_form(
    request: Request,
    p: Anyone,
    demand_id: DemandId,
    resource_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    expected_version: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    with domain_errors():
        service(request).propose(
            p.user, demand_id, resource_id, expected_version=expected_version, ip=client_ip(request)
        )
    return RedirectResponse(f"/linking/demands/{demand_id}", status_code=303)


@pages.post("/linking/demands/{demand_id}/resolve")
def resolve_form(
    request: Request,
    p: Anyone,
    demand_id: DemandId,
    resolution: Annotated[str, Form(max_length=10_000)],
    expected_version: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    with domain_errors():
        service(request).resolve(
            p.user, demand_id, resolution=resolution, expected_version=expected_version, ip=client_ip(request)
        )
    return RedirectResponse(f"/linking/demands/{demand_id}", status_code=303)


@pages.post("/linking/demands/{demand_id}/rating")
def rate_form(
    request: Request,
    p: Anyone,
    demand_id: DemandId,
    rating: Annotated[int, Form(ge=1, le=5)],
    expected_version: Annotated[int, Form(ge=1, le=2**31 - 1)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with domain_errors():
        service(request).rate(
            p.user,
            demand_id,
            rating,
            comment=comment,
            expected_version=expected_version,
            ip=client_ip(request),
        )
    return RedirectResponse(f"/linking/demands/{demand_id}", status_code=303)


# ---- API -----------------------------------------------------------------------------------


@api.get("/demands", summary="企业需求 / demands in your scope")
def list_demands(request: Request, p: Anyone) -> dict[str, Any]:
    with domain_errors():
        return {"demands": [_demand_json(d) for d in service(request).demands(p.user)]}


@api.post("/demands", status_code=201, summary="提交需求 / submit a demand (enterprise users: own USCC)")
def submit_demand(request: Request, p: Anyone, body: DemandIn) -> JSONResponse:
    with domain_errors():
        d = service(request).submit_demand(p.user, **body.model_dump(), ip=client_ip(request))
    return JSONResponse({"demand": _demand_json(d)}, status_code=201)


@api.get("/demands/{demand_id}", summary="需求详情 / one demand with its matches")
def get_demand(request: Request, p: Anyone, demand_id: DemandId) -> dict[str, Any]:
    svc = service(request)
    with domain_errors():
        d = svc.get_demand(p.user, demand_id)
        matches = svc.matches(p.user, demand_id)
    return {
        "demand": _demand_json(d),
        "matches": [
            {**m.__dict__, "reasons": list(m.reasons), "created_at": m.created_at.isoformat()}
            for m in matches
        ],
    }


@api.get("/demands/{demand_id}/suggestions", summary="资源推荐 / resources ranked with reasons")
def suggestions(request: Request, p: Anyone, demand_id: DemandId) -> dict[str, Any]:
    with domain_errors():
        return {"suggestions": [_suggestion_json(s) for s in service(request).suggest(p.user, demand_id)]}


@api.post("/demands/{demand_id}/propose", status_code=201, summary="对接资源 / propose a resource")
def propose(request: Request, p: Anyone, demand_id: DemandId, body: ProposeIn) -> JSONResponse:
    with domain_errors():
        m = service(request).propose(
            p.user, demand_id, body.resource_id, expected_version=body.expected_version, ip=client_ip(request)
        )
    return JSONResponse({"match_id": m.id, "score": m.score, "reasons": list(m.reasons)}, status_code=201)


@api.post("/demands/{demand_id}/resolve", summary="办结 / resolve a demand (409 on a stale version)")
def resolve(request: Request, p: Anyone, demand_id: DemandId, body: ResolveIn) -> dict[str, Any]:
    with domain_errors():
        d = service(request).resolve(
            p.user,
            demand_id,
            resolution=body.resolution,
            expected_version=body.expected_version,
            ip=client_ip(request),
        )
    return {"demand": _demand_json(d)}


@api.post("/demands/{demand_id}/rating", summary="企业评价 / the enterprise rates the handling (1-5)")
def rate(request: Request, p: Anyone, demand_id: DemandId, body: RatingIn) -> dict[str, Any]:
    with domain_errors():
        d = service(request).rate(
            p.user,
            demand_id,
            body.rating,
            comment=body.comment,
            expected_version=body.expected_version,
            ip=client_ip(request),
        )
    return {"demand": _demand_json(d)}


@api.get("/resources", summary="资源目录 / the resource catalogue")
def list_resources(request: Request, p: Anyone) -> dict[str, Any]:
    if p.role is Role.ENTERPRISE_USER:
        raise Forbidden()
    return {"resources": [_resource_json(r) for r in service(request).resources()]}


@api.post("/resources", status_code=201, summary="新增资源 / add a resource (admin, investment officer)")
def add_resource(request: Request, p: Anyone, body: ResourceIn) -> JSONResponse:
    with domain_errors():
        r = service(request).add_resource(p.user, **body.model_dump(), ip=client_ip(request))
    return JSONResponse({"resource": _resource_json(r)}, status_code=201)
