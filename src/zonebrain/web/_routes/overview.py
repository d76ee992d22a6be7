"""驾驶舱 overview: headline figures per park, the chain heat map."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from zonebrain.web._auth import Perm, Principal, optional_principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._queries import overview as q
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["overview"], responses=ERROR_RESPONSES)
Aggregates = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
Year = Annotated[
    int | None,
    Query(ge=1949, le=2200, description="财务年度 (默认最新; 无数据的年度返回 400) / year, default latest"),
]


@pages.get("/")
def overview_page(request: Request) -> Response:
    p = optional_principal(request)
    if p is not None and p.uscc_scope:  # an enterprise user's home is their enterprise
        from fastapi.responses import RedirectResponse

        return RedirectResponse(f"/enterprises/{p.uscc_scope}", status_code=303)
    requires(Perm.AGGREGATES)(request)
    ctx, loc = context(request), locale(request)
    parks = q.park_table(ctx, loc)
    heat = q.heatmap(ctx, loc)
    return render(
        request,
        "overview.html",
        {"parks": parks, "totals": q.totals(parks), "heat": heat, "heat_table": q.heatmap_table(ctx, loc)},
    )


@api.get("/overview", summary="驾驶舱 / headline figures per park and the chain heat map")
def overview(request: Request, p: Aggregates, year: Year = None) -> JSONResponse:
    """Money in integer fen, for the finance *year* (default: the latest; a year without finance
    data is a 400 naming the years there are). ``heatmap.cells`` are ``[park index, chain index,
    class index, firms, nodes per class]``: the chains as they are now, whatever the year."""
    ctx, loc = context(request), locale(request)
    parks = q.park_table(ctx, loc, year)
    return JSONResponse(
        {
            "year": parks.title_params["year"],
            "totals": q.totals(parks),
            "parks": parks.rows,
            "heatmap": q.heatmap(ctx, loc),
        }
    )


@api.get("/parks", response_model=TableOut, responses=XLSX_RESPONSE, summary="各园区 / figures per park")
def parks_table(request: Request, p: Aggregates, year: Year = None, format: Format = "json") -> Any:
    return respond(q.park_table(context(request), locale(request), year), format, tr(request))


@api.get(
    "/chains/heatmap",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="产业链 × 园区 企业数 / firms per chain and park",
)
def heatmap_table(request: Request, p: Aggregates, format: Format = "json") -> Any:
    return respond(q.heatmap_table(context(request), locale(request)), format, tr(request))


@api.get("/summary", summary="园区概况 / zone summary (money in fen)")
def summary(request: Request, p: Aggregates) -> JSONResponse:
    from zonebrain.portrait import zone_summary

    def compute(wh: Any) -> dict[str, Any]:
        s = zone_summary(wh)
        return {
            "year": s.year,
            "enterprises": s.enterprises,
            "by_park": s.by_park.to_pylist(),
            "by_section": s.by_section.to_pylist(),
            "top_classes": s.top_classes.to_pylist(),
        }

    return JSONResponse(context(request).cache.get(("summary",), compute))
