"""产业画像: portrait with charts, filtered by park, chain and year."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._i18n import pick
from zonebrain.web._queries import portrait as q
from zonebrain.web._queries._common import park_names, resolve_chain, resolve_park
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/portrait", tags=["portrait"], responses=ERROR_RESPONSES)
Aggregates = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
Park = Annotated[str | None, Query(max_length=64, description="园区 park_id")]
Chain = Annotated[str | None, Query(max_length=64, description="产业链 chain id")]
Year = Annotated[int | None, Query(ge=1949, le=2200, description="年度 (默认最新) / year, default latest")]


def filters(request: Request, park: str | None, chain: str | None, year: int | None) -> q.Filters:
    """The filters, a park or chain given by its code or its name; an unknown one is refused (400)."""
    ctx = context(request)
    return q.Filters(resolve_park(ctx, park), resolve_chain(ctx, chain), year)


@pages.get("/portrait")
def portrait_page(request: Request, park: Park = None, chain: Chain = None, year: Year = None) -> Response:
    requires(Perm.AGGREGATES)(request)
    ctx, loc = context(request), locale(request)
    f = filters(request, park, chain, year)
    data = q.portrait(ctx, f)
    tables = q.tables(ctx, f, loc)
    query = "&".join(f"{k}={v}" for k, v in (("park", f.park), ("chain", f.chain), ("year", f.year)) if v)
    return render(
        request,
        "portrait.html",
        {
            "f": f,
            "year": data["year"],
            "years": data["years"],
            "parks": park_names(ctx, loc),
            "chains": [(c.id, pick(loc, c.name_zh, c.name_en)) for c in ctx.chains],
            "tables": tables,
            "query": query,
        },
    )


@api.get("", summary="产业画像 / portrait tables for the filters (money in fen)")
def portrait(
    request: Request, p: Aggregates, park: Park = None, chain: Chain = None, year: Year = None
) -> JSONResponse:
    f = filters(request, park, chain, year)
    data = q.portrait(context(request), f)
    return JSONResponse(
        {
            "year": data["year"],
            "years": data["years"],
            "filters": {"park": f.park, "chain": f.chain},
            **{k: data[k] for k in ("sections", "classes", "parks", "trend")},
        }
    )


@api.get("/{table}", response_model=TableOut, responses=XLSX_RESPONSE, summary="画像表 / one portrait table")
def portrait_table(
    request: Request,
    p: Aggregates,
    table: Literal["sections", "classes", "trend", "parks"],
    park: Park = None,
    chain: Chain = None,
    year: Year = None,
    format: Format = "json",
) -> Any:
    f = filters(request, park, chain, year)
    return respond(q.tables(context(request), f, locale(request))[table], format, tr(request))
