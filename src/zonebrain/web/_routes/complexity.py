"""经济复杂度: the industry space of the reference panel and the zone's position in it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES, Unavailable
from zonebrain.web._queries import complexity as q
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/complexity", tags=["complexity"], responses=ERROR_RESPONSES)
Aggregates = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]


def _space(request: Request) -> dict[str, Any] | None:
    if not q.available():
        return None
    return q.space(context(request))


@pages.get("/complexity")
def complexity_page(request: Request, p: Aggregates) -> Response:
    ctx = context(request)
    data = _space(request)
    if data is None:
        return render(request, "complexity.html", {"data": None})
    locations = q.location_table(ctx, data)
    top = locations.rows[:25]
    zone_code = ctx.zone.zone.code
    if data["zone"] and all(r["region_code"] != zone_code for r in top):
        top = [*top, *(r for r in locations.rows if r["region_code"] == zone_code)]
    return render(
        request,
        "complexity.html",
        {
            "data": data,
            "zone": data["zone"],
            "zone_code": zone_code,
            "scatter": q.scatter(data),
            "ranking": [
                {"name": r["region"], "eci": round(r["eci"], 3), "zone": r["region_code"] == zone_code}
                for r in top
            ],
            "related": q.activity_table(data, only="absent", limit=30),
            "locations": locations,
        },
    )


@api.get("", summary="区位与复杂度 / the zone's ECI, rank and the density × PCI points")
def complexity(request: Request, p: Aggregates) -> JSONResponse:
    data = _space(request)
    if data is None:
        raise Unavailable(tr(request)("complexity.no_panel"))
    points = context(request).cache.get(("complexity_scatter",), lambda _: q.scatter(data))
    return JSONResponse({"year": data["year"], "zone": data["zone"], "space": points})


@api.get("/{table}", response_model=TableOut, responses=XLSX_RESPONSE, summary="复杂度表 / complexity tables")
def complexity_table(
    request: Request,
    p: Aggregates,
    table: Literal["locations", "industries", "related"],
    format: Format = "json",
) -> Any:
    data = _space(request)
    if data is None:
        raise Unavailable(tr(request)("complexity.no_panel"))
    if table == "locations":
        out = q.location_table(context(request), data)
    elif table == "related":
        out = q.activity_table(data, only="absent", limit=100)
    else:
        out = q.activity_table(data)
    return respond(out, format, tr(request))
