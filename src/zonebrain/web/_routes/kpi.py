"""经济运行: the monthly monitor per indicator × park, warnings, trend, forecast, drill-down, and /api/v1/kpi."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._queries import kpi as q
from zonebrain.web._queries._common import park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/kpi", tags=["kpi"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
Month = Annotated[
    str | None, Query(max_length=7, description="YYYY-MM (默认最近月份 / default: the latest month)")
]
Indicator = Annotated[str, Query(min_length=1, max_length=64, description="指标 id, e.g. revenue")]
Park = Annotated[str, Query(min_length=1, max_length=64)]
Top = Annotated[int, Query(ge=1, le=500)]


def _month(request: Request, month: str | None) -> tuple[int, int]:
    found = q.resolve_month(context(request), month)
    if found is None:
        raise InputError("仓库中尚无月度数据 (no monthly data in the warehouse yet)")
    return found


def _names(request: Request) -> dict[str, str]:
    names = park_names(context(request), locale(request))
    return {**names, "_zone": tr(request)("kpi.zone")}


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/kpi")
def kpi_page(request: Request, p: Reader, month: Month = None, indicator: str = "revenue") -> Response:
    ctx, loc = context(request), locale(request)
    inds = q.indicators(loc)
    if indicator not in inds:
        indicator = "revenue"
    found = q.resolve_month(ctx, month)
    data: dict[str, Any] = {"indicators": inds, "indicator": indicator, "ym": found, "month": None}
    if found is not None:
        year, m = found
        names = _names(request)
        base = f"month={year}-{m:02d}"
        data.update(
            month=f"{year}-{m:02d}",
            monitor=q.monitor_table(ctx, year, m, indicator),
            warnings=q.warnings_table(ctx, year, m),
            forecast=q.forecast_table(ctx, year, m, indicator),
            trend={**q.trend(ctx, year, m, indicator, names), "name": inds[indicator]},
            names=names,
            drillable={pid for pid in names if q.may_drill(p, pid)},
            quality=q.quality_table(ctx, p, year, m) if p.can(Perm.FINANCE) and not p.uscc_scope else None,
            export_monitor=f"/api/v1/kpi/monitor?{base}&indicator={indicator}&format=xlsx",
            export_warnings=f"/api/v1/kpi/warnings?{base}&format=xlsx",
            export_forecast=f"/api/v1/kpi/forecast?{base}&indicator={indicator}&format=xlsx",
            export_quality=f"/api/v1/kpi/quality?{base}&format=xlsx",
        )
    return render(request, "kpi.html", data)


@pages.get("/kpi/contributions")
def contributions_fragment(
    request: Request, p: Reader, park: Park, indicator: Indicator, month: Month = None
) -> Response:
    """The drill-down table (an htmx fragment): 403 for a park outside the caller's scope."""
    year, m = _month(request, month)
    q.require_drill(p, park)
    try:
        table = q.contributions_table(context(request), p, park, indicator, year, m)
        error = None
    except InputError as exc:
        table, error = None, str(exc)
    export = f"/api/v1/kpi/contributions?park={park}&indicator={indicator}&month={year}-{m:02d}&format=xlsx"
    return render(request, "_kpi_contrib.html", {"table": table, "error": error, "export": export})


# ---- API -----------------------------------------------------------------------------------


@api.get("/months/latest", summary="最近月份 / the latest month with data")
def latest_month(request: Request, p: Reader) -> dict[str, Any]:
    found = q.latest(context(request))
    return {"month": f"{found[0]}-{found[1]:02d}" if found else None}


@api.get("/indicators", summary="指标目录 / the indicator catalogue")
def indicators(request: Request, p: Reader) -> dict[str, Any]:
    return {
        "indicators": [
            {
                "id": i.id,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "unit": i.unit,
                "display_unit": i.display_unit,
                "kind": i.kind,
            }
            for i in q.catalogue().indicators
        ]
    }


@api.get("/monitor", response_model=TableOut, responses=XLSX_RESPONSE, summary="经济运行监测 / monitor")
def monitor(
    request: Request,
    p: Reader,
    month: Month = None,
    indicator: Indicator = "revenue",
    format: Format = "json",
) -> Any:
    """One indicator per park and the zone (`_zone`): 累计, 同比 %, 完成率 %, 序时进度 %, 超欠 pp, rank, status."""
    year, m = _month(request, month)
    return respond(q.monitor_table(context(request), year, m, indicator), format, tr(request))


@api.get("/warnings", response_model=TableOut, responses=XLSX_RESPONSE, summary="预警 / warnings")
def warnings(request: Request, p: Reader, month: Month = None, format: Format = "json") -> Any:
    year, m = _month(request, month)
    return respond(q.warnings_table(context(request), year, m), format, tr(request))


@api.get(
    "/forecast", response_model=TableOut, responses=XLSX_RESPONSE, summary="全年预测 / year-end forecast"
)
def forecast(
    request: Request,
    p: Reader,
    month: Month = None,
    indicator: Indicator = "revenue",
    format: Format = "json",
) -> Any:
    year, m = _month(request, month)
    return respond(q.forecast_table(context(request), year, m, indicator), format, tr(request))


@api.get("/trend", summary="走势 / 累计 per month and park (money in fen)")
def trend(
    request: Request, p: Reader, month: Month = None, indicator: Indicator = "revenue"
) -> dict[str, Any]:
    year, m = _month(request, month)
    return q.trend(context(request), year, m, indicator, _names(request))


@api.get(
    "/contributions",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="企业贡献 / enterprise contributions (own park only for park officers)",
)
def contributions(
    request: Request,
    p: Reader,
    park: Park,
    indicator: Indicator = "revenue",
    month: Month = None,
    top: Top = 20,
    format: Format = "json",
) -> Any:
    q.require_drill(p, park)
    year, m = _month(request, month)
    return respond(
        q.contributions_table(context(request), p, park, indicator, year, m, top), format, tr(request)
    )


@api.get("/quality", response_model=TableOut, responses=XLSX_RESPONSE, summary="数据质量 / data quality")
def quality(request: Request, p: Reader, month: Month = None, format: Format = "json") -> Any:
    year, m = _month(request, month)
    return respond(q.quality_table(context(request), p, year, m), format, tr(request))
