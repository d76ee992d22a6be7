"""招商机会 and 目标企业: the opportunity scatter and ranking, candidate firms, and /api/v1/targeting."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from zonebrain import pipeline as pl
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Principal, client_ip, principal
from zonebrain.web._errors import ERROR_RESPONSES, Forbidden
from zonebrain.web._queries import targeting as q
from zonebrain.web._queries._common import park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/targeting", tags=["targeting"], responses=ERROR_RESPONSES)


def targeting_reader(request: Request) -> Principal:
    """Investment officers, leaders, policy researchers and admins; everyone else 403."""
    p = principal(request)
    if p.role not in q.ROLES:
        raise Forbidden()
    return p


Reader = Annotated[Principal, Depends(targeting_reader)]
Preset = Annotated[str, Query(max_length=16, description="稳妥 / 均衡 / 跨越")]
Mode = Annotated[str, Query(pattern="^(class|node|all_gaps)$", description="class, node or all_gaps")]
Classes = Annotated[str, Query(max_length=200, description="四位行业代码, 逗号分隔 / 4-digit classes")]
Node = Annotated[str, Query(max_length=130, description="chain/node")]
Province = Annotated[str, Query(pattern="^[0-9]{0,6}$", description="省级代码前缀, e.g. 41")]
MinRevenue = Annotated[
    int | None, Query(ge=0, le=10**12, description="最低营收 (万元) / minimum revenue in 万元")
]
Tag = Annotated[str, Query(max_length=32)]
Limit = Annotated[int, Query(ge=1, le=1000)]


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/opportunities")
def opportunities_page(request: Request, p: Reader, preset: Preset = "均衡") -> Response:
    preset = q.preset_name(preset)  # 稳妥/均衡/跨越 or safe/balanced/leap; anything else 400
    ctx, t = context(request), tr(request)
    opp = q.opportunities(ctx, preset)
    return render(
        request,
        "opportunities.html",
        {
            "preset": preset,
            "presets": q.PRESETS,
            "opp": opp,
            "notes": q.notes(opp, t),
            "table": q.opportunity_table(opp, preset, 100, t, q.nodes(ctx, locale(request))),
            "weights": q.weights(opp, preset),
            "scatter": q.scatter(opp),
            "export": f"/api/v1/targeting/opportunities?preset={preset}&format=xlsx",
        },
    )


@pages.get("/candidates")
def candidates_page(
    request: Request,
    p: Reader,
    mode: Annotated[str, Query(max_length=16)] = "",
    classes: Classes = "",
    node: Node = "",
    province: Annotated[str, Query(max_length=6)] = "",
    min_revenue: Annotated[str, Query(max_length=13)] = "",
    tag: Tag = "",
) -> Response:
    params = {"mode": mode, "classes": classes, "node": node, "province": province, "tag": tag}
    return _candidates_view(request, p, params, min_revenue)


def _candidates_view(
    request: Request,
    p: Principal,
    params: dict[str, str],
    min_revenue: str,
    handoff: pl.HandOff | None = None,
    handoff_error: str | None = None,
) -> Response:
    ctx, loc = context(request), locale(request)
    table, error = None, None
    min_wan = int(min_revenue) if min_revenue.isdigit() else None
    in_pipeline = q.pipeline_usccs(ctx)
    if params["mode"]:
        try:
            if params["province"] and not params["province"].isdigit():
                raise InputError("省份代码须为数字 (the province code is digits, e.g. 41)")
            table = q.candidates(
                ctx,
                mode=params["mode"],
                classes=params["classes"],
                node=params["node"],
                province=params["province"],
                min_revenue_wan=min_wan,
                tag=params["tag"],
                exclude=frozenset(in_pipeline),
            )
        except InputError as exc:
            error = str(exc)
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items() if v)
    if min_wan is not None:
        query += f"&min_revenue={min_wan}"
    handoff_parks = {pid: n for pid, n in park_names(ctx, loc).items() if pl.may_edit(p.user, pid)}
    return render(
        request,
        "candidates.html",
        {
            **params,
            "min_revenue": min_wan,
            "nodes": q.nodes(ctx, loc),
            "tags": q.TAGS,
            "table": table,
            "error": error,
            "export": f"/api/v1/targeting/candidates?{query}&format=xlsx",
            "handoff_parks": handoff_parks,
            "in_pipeline": in_pipeline,
            "handoff": handoff,
            "handoff_error": handoff_error,
            "lead_json": _lead_json,
        },
    )


def _lead_json(row: dict[str, Any] | pl.Lead) -> str:
    """The candidate as the hand-off form posts it back (what the officer saw on the page)."""
    if isinstance(row, pl.Lead):
        row = dataclasses.asdict(row)
    return json.dumps(
        {
            "uscc": row.get("uscc"),
            "name": row.get("name"),
            "gap": row.get("gap"),
            "score": row.get("score"),
            "reasons": row.get("reasons"),
        },
        ensure_ascii=False,
    )


def _leads(values: list[str]) -> list[pl.Lead]:
    leads = []
    for text in values:
        try:
            d = json.loads(text)
        except ValueError:
            raise InputError(
                "候选企业数据无效 (bad candidate data); 请刷新页面后重试 / reload the page"
            ) from None
        if not isinstance(d, dict):
            raise InputError("候选企业数据无效 (bad candidate data); 请刷新页面后重试 / reload the page")
        score = d.get("score")
        leads.append(
            pl.Lead(
                name=str(d.get("name") or "")[:256],
                uscc=str(d["uscc"]) if d.get("uscc") else None,
                gap=str(d["gap"])[:130] if d.get("gap") else None,
                score=float(score)
                if isinstance(score, int | float) and not isinstance(score, bool)
                else None,
                reasons=str(d.get("reasons") or "")[:1500],
            )
        )
    return leads


@pages.post("/candidates/add")
def add_candidates_form(
    request: Request,
    p: Reader,
    park_id: Annotated[str, Form(max_length=64)],
    lead: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI's form list default
    one: Annotated[str, Form(max_length=5000)] = "",
    confirm: Annotated[str, Form(max_length=4)] = "",
    mode: Annotated[str, Form(max_length=16)] = "",
    classes: Annotated[str, Form(max_length=200)] = "",
    node: Annotated[str, Form(max_length=130)] = "",
    province: Annotated[str, Form(max_length=6)] = "",
    min_revenue: Annotated[str, Form(max_length=13)] = "",
    tag: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """加入项目库: the checked candidates (or the one whose button was pressed) become 线索.

    htmx gets the result fragment (and the rows' 已在项目库 marks, swapped out of band); a plain form
    post gets the whole page again with the result on top.
    """
    ctx = context(request)
    handoff, error = None, None
    try:
        leads = _leads([one] if one else lead)
        if not leads:
            raise InputError("请先勾选候选企业 (tick at least one candidate)")
        svc = pl.Pipeline(ctx.store, zone=ctx.zone)
        handoff = pl.add_candidates(
            svc, p.user, leads, park_id=park_id, confirm=confirm == "1", ip=client_ip(request)
        )
    except pl.NotAllowed as exc:
        raise Forbidden(str(exc)) from exc
    except InputError as exc:
        error = str(exc)
    if request.headers.get("hx-request"):
        return render(
            request,
            "_candidates_handoff.html",
            {"handoff": handoff, "handoff_error": error, "lead_json": _lead_json, "oob": True},
        )
    params = {"mode": mode, "classes": classes, "node": node, "province": province, "tag": tag}
    return _candidates_view(request, p, params, min_revenue, handoff, error)


# ---- API -----------------------------------------------------------------------------------


@api.get(
    "/opportunities",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="招商机会 / opportunity ranking",
)
def opportunities(
    request: Request, p: Reader, preset: Preset = "均衡", limit: Limit | None = None, format: Format = "json"
) -> Any:
    """The classes the zone does not hold, ranked by the preset's weights (稳妥/均衡/跨越)."""
    ctx, t = context(request), tr(request)
    preset = q.preset_name(preset)
    opp = q.opportunities(ctx, preset)
    table = q.opportunity_table(opp, preset, limit, t, q.nodes(ctx, locale(request)))
    return respond(table, format, t)


@api.get("/opportunities/scatter", summary="可行性 × 吸引力 / scatter data and the weights")
def opportunity_scatter(request: Request, p: Reader, preset: Preset = "均衡") -> dict[str, Any]:
    opp = q.opportunities(context(request), preset)
    return {
        "preset": preset,
        "year": opp.year if opp else None,
        "weights": q.weights(opp, preset),
        "notes": list(opp.notes) if opp else [],
        "points": opp.scatter.to_pylist() if opp else [],
    }


@api.get("/presets", summary="权重方案 / the weight presets")
def presets(request: Request, p: Reader) -> dict[str, Any]:
    return {"presets": {name: q.weights(None, name) for name in q.PRESETS}}


@api.get(
    "/candidates",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="目标企业 / candidate firms with reasons",
)
def candidates(
    request: Request,
    p: Reader,
    mode: Mode = "all_gaps",
    classes: Classes = "",
    node: Node = "",
    province: Province = "",
    min_revenue: MinRevenue = None,
    tag: Tag = "",
    limit: Limit = 100,
    format: Format = "json",
) -> Any:
    """Reference firms outside the zone for classes, a chain node or every gap (revenue in fen).
    Firms a live project of the investment pipeline pursues are left out."""
    ctx = context(request)
    table = q.candidates(
        ctx,
        mode=mode,
        classes=classes,
        node=node,
        province=province,
        min_revenue_wan=min_revenue,
        tag=tag,
        limit=limit,
        exclude=frozenset(q.pipeline_usccs(ctx)),
    )
    return respond(table, format, tr(request))
