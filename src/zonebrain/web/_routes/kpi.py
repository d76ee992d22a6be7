"""经济运行: the monthly monitor per indicator × park, warnings, trend, forecast, drill-down, the annual
targets with their history (/kpi/targets), and /api/v1/kpi.

Who may change a target: admins and leaders for every park, a park officer for their own park only;
investment officers and researchers read targets but do not change them; enterprise users see
neither. The rule lives in ``_queries.kpi.may_edit_target`` and is enforced there for the page and
the API alike; every change (and every refused attempt) goes to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, StrictInt, StrictStr

from zonebrain import kpi
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES, ApiError, Forbidden
from zonebrain.web._queries import kpi as q
from zonebrain.web._queries._common import park_names, resolve_park
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, locale, tr
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
YEAR_MIN, YEAR_MAX, REASON_MAX = 2000, 2100, 2000
"""Bounds of a target's year and reason (kpi.set_target checks them again)."""
YearQ = Annotated[int | None, Query(ge=YEAR_MIN, le=YEAR_MAX, description="年度 / year")]
ParkQ = Annotated[str | None, Query(max_length=64, description="园区 id / park id")]
IndicatorQ = Annotated[str | None, Query(max_length=64, description="指标 id / indicator id")]


class TargetInvalid(ApiError):
    """A target edit with a wrong field: 422 ``validation_error``, ``detail`` names the field."""

    status, code = 422, "validation_error"


def _month(request: Request, month: str | None) -> tuple[int, int]:
    found = q.resolve_month(context(request), month)
    if found is None:
        raise InputError("仓库中尚无月度数据 (no monthly data in the warehouse yet)")
    return found


def _names(request: Request) -> dict[str, str]:
    names = park_names(context(request), locale(request))
    return {**names, "_zone": tr(request)("kpi.zone")}


def _drill_park(request: Request, park: str) -> str:
    """The drill-down's park: ``_zone`` (the whole zone), a park's code or its name; else 400."""
    return park if park == kpi.ZONE_ID else str(resolve_park(context(request), park))


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/kpi")
def kpi_page(request: Request, p: Reader, month: Month = None, indicator: str = "revenue") -> Response:
    ctx, loc = context(request), locale(request)
    inds = q.indicators(loc)
    q.indicator(indicator)  # an unknown one is a 400 naming it, not silently 营业收入
    found = q.resolve_month(ctx, month)
    data: dict[str, Any] = {"indicators": inds, "indicator": indicator, "ym": found, "month": None}
    if found is not None:
        year, m = found
        names = _names(request)
        base = f"month={year}-{m:02d}"
        data.update(
            month=f"{year}-{m:02d}",
            monitor=q.monitor_table(ctx, year, m, indicator, loc, names),
            warnings=q.warnings_table(ctx, year, m, loc, names),
            forecast=q.forecast_table(ctx, year, m, indicator, loc, names),
            trend={**q.trend(ctx, year, m, indicator, names), "name": inds[indicator]},
            names=names,
            drillable={pid for pid in names if q.may_drill(p, pid)},
            quality=q.quality_table(ctx, p, year, m, names)
            if p.can(Perm.FINANCE) and not p.uscc_scope
            else None,
            export_monitor=f"/api/v1/kpi/monitor?{base}&indicator={indicator}&format=xlsx",
            export_warnings=f"/api/v1/kpi/warnings?{base}&format=xlsx",
            export_forecast=f"/api/v1/kpi/forecast?{base}&indicator={indicator}&format=xlsx",
            export_quality=f"/api/v1/kpi/quality?{base}&format=xlsx",
            assumptions=q.assumptions(loc),
        )
    return render(request, "kpi.html", data)


@pages.get("/kpi/contributions")
def contributions_fragment(
    request: Request, p: Reader, park: Park, indicator: Indicator, month: Month = None
) -> Response:
    """The drill-down table (an htmx fragment): 403 for a park outside the caller's scope."""
    year, m = _month(request, month)
    park = _drill_park(request, park)
    q.require_drill(p, park)
    try:
        table = q.contributions_table(
            context(request), p, park, indicator, year, m, locale=locale(request), names=_names(request)
        )
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
                "rate": None
                if i.rate is None
                else {
                    "percent": format(i.rate.percent.normalize(), "f"),
                    "name_zh": i.rate.name_zh,
                    "source": i.rate.source,
                    "assumption": i.rate.assumption,
                },
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
    table = q.monitor_table(context(request), year, m, indicator, locale(request), _names(request))
    return respond(table, format, tr(request))


@api.get("/warnings", response_model=TableOut, responses=XLSX_RESPONSE, summary="预警 / warnings")
def warnings(request: Request, p: Reader, month: Month = None, format: Format = "json") -> Any:
    year, m = _month(request, month)
    table = q.warnings_table(context(request), year, m, locale(request), _names(request))
    return respond(table, format, tr(request))


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
    table = q.forecast_table(context(request), year, m, indicator, locale(request), _names(request))
    return respond(table, format, tr(request))


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
    park = _drill_park(request, park)
    q.require_drill(p, park)
    year, m = _month(request, month)
    table = q.contributions_table(
        context(request), p, park, indicator, year, m, top, locale(request), _names(request)
    )
    return respond(table, format, tr(request))


@api.get("/quality", response_model=TableOut, responses=XLSX_RESPONSE, summary="数据质量 / data quality")
def quality(request: Request, p: Reader, month: Month = None, format: Format = "json") -> Any:
    year, m = _month(request, month)
    return respond(q.quality_table(context(request), p, year, m, _names(request)), format, tr(request))


# ---- targets (年度目标): the page, the edit, the history, and their API ---------------------------


def _default_year(request: Request) -> int:
    found = q.resolve_month(context(request), None)
    return found[0] if found else dt.date.today().year


def _refuse(request: Request, p: Principal, park: str, ind: str, year: int) -> None:
    """Audit and refuse an edit of a park the caller may not change."""
    if not q.may_edit_target(p, park):
        audit(request, "kpi.target.set", p=p, target=f"{park}/{ind}/{year}", outcome="forbidden")
        name = park_names(context(request), locale(request)).get(park, park)
        raise Forbidden(tr(request)("kpi.edit_forbidden", park=name))


def _save(
    request: Request,
    p: Principal,
    park: str,
    ind: str,
    year: int,
    value: str | int,
    unit: str | None,
    reason: str,
) -> tuple[kpi.TargetChange, kpi.Indicator]:
    _refuse(request, p, park, ind, year)
    change, indicator = q.save_target(context(request), p, park, ind, year, value, unit, reason)
    audit(
        request,
        "kpi.target.set",
        p=p,
        target=f"{park}/{indicator.id}/{year}",
        outcome="ok" if change.changed else "unchanged",
        detail={
            "change_id": change.change_id,
            "old": change.old,
            "new": change.new,
            "unit": indicator.unit,
            "reason": change.reason,
        },
    )
    return change, indicator


def _targets_page(
    request: Request,
    p: Principal,
    year: int,
    *,
    form: dict[str, Any] | None = None,
    error: str | None = None,
    error_field: str | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Response:
    ctx, loc = context(request), locale(request)
    names = park_names(ctx, loc)
    inds = q.catalogue().indicators
    editable = {pid: n for pid, n in names.items() if q.may_edit_target(p, pid)}
    data = {
        "year": year,
        "years": list(range(year - 3, year + 3)),
        "indicators": inds,
        "ind_names": q.indicators(loc),
        "grid": q.target_grid(ctx, p, year, names),
        "editable_parks": editable,
        "form": form or {},
        "error": error,
        "error_field": error_field,
        "saved": saved,
        "history": q.history_table(ctx, names, year=year, locale=loc),
        "export_history": f"/api/v1/kpi/targets/history?year={year}&format=xlsx",
        "export_targets": f"/api/v1/kpi/targets?year={year}&format=xlsx",
        "assumptions": q.assumptions(loc),
    }
    return render(request, "kpi_targets.html", data, status)


@pages.get("/kpi/targets")
def targets_page(
    request: Request,
    p: Reader,
    year: YearQ = None,
    park: ParkQ = None,
    indicator: IndicatorQ = None,
    saved: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Targets per park × indicator for one year, the edit form (prefilled from ?park=&indicator=)
    for the parks the caller may change, and the history of changes with its Excel export."""
    form = {"park_id": park or "", "indicator": indicator or ""}
    return _targets_page(
        request, p, year or _default_year(request), form=form, saved=_saved_text(request, saved)
    )


def _saved_text(request: Request, saved: str | None) -> str | None:
    """The confirmation after a form edit (``park:indicator:changed|unchanged``), in words."""
    parts = (saved or "").split(":")
    if len(parts) != 3 or parts[2] not in ("changed", "unchanged"):
        return None
    park = _names(request).get(parts[0], parts[0])
    name = q.indicators(locale(request)).get(parts[1], parts[1])
    return tr(request)(f"kpi.saved_{parts[2]}", park=park, indicator=name)


@pages.post("/kpi/targets")
def targets_form(
    request: Request,
    p: Reader,
    park_id: Annotated[str, Form(max_length=64)],
    indicator: Annotated[str, Form(max_length=64)],
    year: Annotated[int, Form(ge=YEAR_MIN, le=YEAR_MAX)],
    value: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=REASON_MAX)] = "",
) -> Response:
    """The edit form: the value is written in the indicator's display unit (万元, 亿元, 家)."""
    form = {"park_id": park_id, "indicator": indicator, "value": value, "reason": reason}
    try:
        change, ind = _save(request, p, park_id, indicator, year, value, None, reason)
    except kpi.TargetError as exc:
        return _targets_page(request, p, year, form=form, error=str(exc), error_field=exc.field, status=422)
    label = f"{park_id}:{ind.id}:{'changed' if change.changed else 'unchanged'}"
    return RedirectResponse(f"/kpi/targets?{urlencode({'year': year, 'saved': label})}", status_code=303)


class TargetIn(BaseModel):
    """One target: ``value`` as text in the indicator's display unit (or ``unit``), or an integer of
    that unit; never a float (money must stay exact)."""

    value: Annotated[StrictStr, Field(max_length=64)] | StrictInt = Field(
        description='目标值, 如 "4500.5" (万元) 或 35 (家) / the target in the display unit',
        examples=["4500.5"],
    )
    unit: str | None = Field(
        default=None, max_length=8, description="金额单位 元/万元/亿元 (默认指标显示单位) / money unit"
    )
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="修改原因 / why (required)")


class TargetCreate(TargetIn):
    park_id: str = Field(min_length=1, max_length=64)
    indicator: str = Field(min_length=1, max_length=64)
    year: int = Field(ge=YEAR_MIN, le=YEAR_MAX)


class TargetChangeOut(BaseModel):
    change_id: str
    park_id: str
    indicator: str
    year: int
    old_value: int | None = Field(description="原值 (分或个数) / before, in fen or a count")
    new_value: int = Field(description="新值 (分或个数) / after, in fen or a count")
    unit: str = Field(description="fen | count")
    display_unit: str
    old_text: str
    new_text: str
    changed: bool = Field(description="False: the target already had this value; nothing was written")
    changed_by: str
    changed_at: str
    reason: str


def _api_save(
    request: Request, p: Principal, park: str, ind: str, year: int, body: TargetIn, where: str
) -> Any:
    try:
        change, indicator = _save(request, p, park, ind, year, body.value, body.unit, body.reason)
    except kpi.TargetError as exc:
        in_body = where == "body" or exc.field in ("value", "reason", "user")
        loc = ["body" if in_body else "path", exc.field]
        raise TargetInvalid(str(exc), detail=[{"loc": loc, "msg": str(exc), "type": "value_error"}]) from exc
    return TargetChangeOut(
        change_id=change.change_id,
        park_id=change.park_id,
        indicator=change.indicator,
        year=change.year,
        old_value=change.old,
        new_value=change.new,
        unit=indicator.unit,
        display_unit=indicator.display_unit,
        old_text=q.value_text(indicator, change.old),
        new_text=q.value_text(indicator, change.new),
        changed=change.changed,
        changed_by=change.changed_by,
        changed_at=change.changed_at.isoformat(),
        reason=change.reason,
    )


@api.get(
    "/targets",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="年度目标 / annual targets (value in fen or a count; value_text in the display unit)",
)
def list_targets(
    request: Request,
    p: Reader,
    year: YearQ = None,
    park: ParkQ = None,
    indicator: IndicatorQ = None,
    format: Format = "json",
) -> Any:
    table = q.targets_table(context(request), p, _names(request), year, park, indicator, locale(request))
    return respond(table, format, tr(request))


@api.get(
    "/targets/history",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="目标修改历史 / target history: who, when, old → new, why (newest first)",
)
def target_history(
    request: Request,
    p: Reader,
    year: YearQ = None,
    park: ParkQ = None,
    indicator: IndicatorQ = None,
    format: Format = "json",
) -> Any:
    table = q.history_table(context(request), _names(request), park, indicator, year, locale(request))
    return respond(table, format, tr(request))


@api.put(
    "/targets/{park_id}/{indicator}/{year}",
    response_model=TargetChangeOut,
    summary="修改一个年度目标 / set one target (admin, leader; park officer: own park only)",
)
def put_target(
    request: Request,
    p: Reader,
    park_id: Annotated[str, Path(min_length=1, max_length=64)],
    indicator: Annotated[str, Path(min_length=1, max_length=64)],
    year: Annotated[int, Path(ge=YEAR_MIN, le=YEAR_MAX)],
    body: TargetIn,
) -> Any:
    """Writes the target and one history row in one transaction, and an audit entry. A wrong value
    or reason is a 422 ``validation_error`` whose ``detail`` names the field and the fix."""
    return _api_save(request, p, park_id, indicator, year, body, "path")


@api.post(
    "/targets",
    response_model=TargetChangeOut,
    summary="修改一个年度目标 (参数在请求体) / set one target (fields in the body)",
)
def post_target(request: Request, p: Reader, body: TargetCreate) -> Any:
    return _api_save(request, p, body.park_id, body.indicator, body.year, body, "body")
