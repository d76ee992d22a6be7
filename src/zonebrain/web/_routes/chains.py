"""产业链图谱: each chain as an ECharts graph; click a node to list its firms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from zonebrain.portrait import StrengthRules
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._queries import chains as q
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/chains", tags=["chains"], responses=ERROR_RESPONSES)
Aggregates = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
Enterprises = Annotated[Principal, Depends(requires(Perm.ENTERPRISES))]
ChainId = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
NodeId = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


@pages.get("/chains")
def chains_page(request: Request, p: Aggregates, chain: str | None = None) -> Response:
    ctx, loc = context(request), locale(request)
    chains = q.chain_list(ctx, loc)
    current = chain if chain in ctx.chains else (chains[0]["id"] if chains else None)
    graph = q.graph(ctx, current, loc) if current else None
    return render(
        request,
        "chains.html",
        {
            "chains": chains,
            "current": current,
            "graph": graph,
            "can_list": p.can(Perm.ENTERPRISES),
            "strength_keys": list(q.STRENGTH_KEYS.values()),
            "rules": StrengthRules(),
            "lq_warnings": q.lq_warnings(ctx),
        },
    )


@pages.get("/chains/{chain_id}/nodes/{node_id}")
def node_fragment(request: Request, p: Enterprises, chain_id: ChainId, node_id: NodeId) -> Response:
    """An htmx fragment: the node's firms as a table."""
    table = q.node_enterprises(context(request), p, chain_id, node_id, locale(request))
    export = f"/api/v1/chains/{chain_id}/nodes/{node_id}/enterprises?format=xlsx"
    return render(request, "_node_firms.html", {"table": table, "export": export})


@api.get("", summary="产业链列表 / chains with node counts per strength class and firm counts")
def chain_list(request: Request, p: Aggregates) -> JSONResponse:
    return JSONResponse(q.chain_list(context(request), locale(request)))


@api.get("/{chain_id}", summary="产业链图谱 / one chain's nodes (firms, strength class) and edges")
def chain_graph(request: Request, p: Aggregates, chain_id: ChainId) -> JSONResponse:
    """``strength``: the diagnosis class 强/弱/缺/延 (``strength_key``: strong, weak, missing, extension)."""
    return JSONResponse(q.graph(context(request), chain_id, locale(request)))


@api.get(
    "/{chain_id}/nodes/{node_id}/enterprises",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="节点企业 / the firms of one chain node you may see",
)
def node_enterprises(
    request: Request, p: Enterprises, chain_id: ChainId, node_id: NodeId, format: Format = "json"
) -> Any:
    table = q.node_enterprises(context(request), p, chain_id, node_id, locale(request))
    return respond(table, format, tr(request))
