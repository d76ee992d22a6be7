"""招商机会 and 目标企业: the opportunity scatter and ranking, candidate firms, and /api/v1/targeting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from zonebrain.core.errors import InputError
from zonebrain.web._auth import Principal, principal
from zonebrain.web._errors import ERROR_RESPONSES, Forbidden
from zonebrain.web._queries import targeting as q
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
def opportunities_page(request: Request, p: Reader, preset: str = "均衡") -> Response:
    if preset not in q.PRESETS:
        preset = "均衡"
    opp = q.opportunities(context(request), preset)
    return render(
        request,
        "opportunities.html",
        {
            "preset": preset,
            "presets": q.PRESETS,
            "opp": opp,
            "table": q.opportunity_table(opp, preset, limit=100),
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
    ctx, loc = context(request), locale(request)
    table, error = None, None
    min_wan = int(min_revenue) if min_revenue.isdigit() else None
    if mode:
        try:
            if province and not province.isdigit():
                raise InputError("省份代码须为数字 (the province code is digits, e.g. 41)")
            table = q.candidates(
                ctx,
                mode=mode,
                classes=classes,
                node=node,
                province=province,
                min_revenue_wan=min_wan,
                tag=tag,
            )
        except InputError as exc:
            error = str(exc)
    params = {"mode": mode, "classes": classes, "node": node, "province": province, "tag": tag}
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    if min_wan is not None:
        query += f"&min_revenue={min_wan}"
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
        },
    )


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
    opp = q.opportunities(context(request), preset)
    return respond(q.opportunity_table(opp, preset, limit=limit), format, tr(request))


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
    """Reference firms outside the zone for classes, a chain node or every gap (revenue in fen)."""
    table = q.candidates(
        context(request),
        mode=mode,
        classes=classes,
        node=node,
        province=province,
        min_revenue_wan=min_revenue,
        tag=tag,
        limit=limit,
    )
    return respond(table, format, tr(request))
