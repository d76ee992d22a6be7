"""经济运行 queries: the monitor per indicator × park, warnings, trends, forecasts, drill-downs.

Shared by the page and the API. Aggregates (parks and the zone) are for every role with
``Perm.AGGREGATES``; enterprise-level detail (contributions, data quality) needs ``Perm.FINANCE``
and is limited to the park officer's own park — checked here, not in templates.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from zonebrain import kpi
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal
from zonebrain.web._context import WebContext
from zonebrain.web._errors import Forbidden
from zonebrain.web._i18n import pick
from zonebrain.web._tables import Col, DataTable, Kind

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
STATUSES = ("ahead", "on_track", "behind", "no_target", "yearly", "no_data")


@cache
def catalogue() -> kpi.Catalogue:
    return kpi.load_catalogue()


def indicators(locale: str) -> dict[str, str]:
    """Indicator id → its name in *locale*, in catalogue order."""
    return {i.id: pick(locale, i.name_zh, i.name_en) for i in catalogue().indicators}


def indicator(ind_id: str) -> kpi.Indicator:
    if ind_id not in {i.id for i in catalogue().indicators}:
        raise InputError(f"未知指标 '{ind_id}' (unknown indicator {ind_id!r})")
    return catalogue().get(ind_id)


def latest(ctx: WebContext) -> tuple[int, int] | None:
    return ctx.cache.get(("kpi-latest-month",), kpi.latest_month)


def resolve_month(ctx: WebContext, text: str | None) -> tuple[int, int] | None:
    """``YYYY-MM`` → (year, month); empty → the latest month with data (None when there is none)."""
    if not text:
        return latest(ctx)
    m = MONTH_RE.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12 or not 1900 <= int(m.group(1)) <= 2999:
        raise InputError(f"月份格式应为 YYYY-MM (month must look like 2024-06, got {text!r})")
    return int(m.group(1)), int(m.group(2))


def may_drill(p: Principal, park_id: str) -> bool:
    """May *p* see enterprise-level KPI detail of *park_id*? (finance permission, own park for park officers)"""
    if not p.can(Perm.FINANCE) or p.uscc_scope is not None:
        return False
    return p.park_scope is None or p.park_scope == park_id


def require_drill(p: Principal, park_id: str) -> None:
    if not may_drill(p, park_id):
        raise Forbidden()


def _monitor(ctx: WebContext, year: int, month: int) -> list[dict[str, Any]]:
    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.monitor(wh, year, month).to_pylist()
        return found

    return ctx.cache.get(("kpi-monitor", year, month), compute)


def _value_kind(ind: kpi.Indicator) -> Kind:
    return "fen" if ind.unit == "fen" else "int"


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 2)


def monitor_table(ctx: WebContext, year: int, month: int, ind_id: str) -> DataTable:
    """One indicator × every park and the zone: 累计, 同比, 完成率, 序时进度, 超欠, rank, status."""
    ind = indicator(ind_id)
    kind = _value_kind(ind)
    rows = [
        {
            "park_id": r["park_id"],
            "park": r["park"],
            "ytd": r["ytd"],
            "ytd_prev": r["ytd_prev"],
            "yoy_pct": _pct(r["yoy"]),
            "target": r["target"],
            "completion_pct": _pct(r["completion"]),
            "progress_pct": _pct(r["progress"]),
            "gap_pp": None if r["gap_pp"] is None else round(r["gap_pp"], 2),
            "rank": r["rank"],
            "status": r["status"],
            "suspect": r["suspect"],
        }
        for r in _monitor(ctx, year, month)
        if r["indicator"] == ind_id
    ]
    return DataTable(
        name=f"kpi-{ind_id}-{year}-{month:02d}",
        title="kpi.monitor_title",
        title_params={"indicator": ind.name_zh, "month": f"{year}-{month:02d}"},
        columns=[
            Col("park_id", "kpi.col.park_id"),
            Col("park", "col.park"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("ytd_prev", "kpi.col.ytd_prev", kind),
            Col("yoy_pct", "kpi.col.yoy_pct", "float"),
            Col("target", "kpi.col.target", kind),
            Col("completion_pct", "kpi.col.completion_pct", "float"),
            Col("progress_pct", "kpi.col.progress_pct", "float"),
            Col("gap_pp", "kpi.col.gap_pp", "float"),
            Col("rank", "kpi.col.rank", "int"),
            Col("status", "kpi.col.status"),
            Col("suspect", "kpi.col.suspect", "int"),
        ],
        rows=rows,
    )


def warnings_table(ctx: WebContext, year: int, month: int) -> DataTable:
    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.warnings(wh, year, month).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-warnings", year, month), compute)
    return DataTable(
        name=f"kpi-warnings-{year}-{month:02d}",
        title="kpi.warnings_title",
        title_params={"month": f"{year}-{month:02d}"},
        columns=[
            Col("park_id", "kpi.col.park_id"),
            Col("park", "col.park"),
            Col("indicator", "kpi.col.indicator_id"),
            Col("indicator_name", "kpi.col.indicator"),
            Col("kind", "kpi.col.warning_kind"),
            Col("value", "kpi.col.warning_value", "float"),
            Col("message", "kpi.col.message"),
        ],
        rows=[{**r, "value": None if r["value"] is None else round(r["value"], 2)} for r in rows],
    )


def forecast_table(ctx: WebContext, year: int, month: int, ind_id: str) -> DataTable:
    ind = indicator(ind_id)
    kind = _value_kind(ind)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.forecast(wh, year, month, indicators=[ind_id]).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-forecast", year, month, ind_id), compute)
    return DataTable(
        name=f"kpi-forecast-{ind_id}-{year}-{month:02d}",
        title="kpi.forecast_title",
        title_params={"indicator": ind.name_zh, "year": year},
        columns=[
            Col("park_id", "kpi.col.park_id"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("forecast", "kpi.col.forecast", kind),
            Col("low", "kpi.col.low", kind),
            Col("high", "kpi.col.high", kind),
            Col("target", "kpi.col.target", kind),
            Col("forecast_completion_pct", "kpi.col.forecast_completion_pct", "float"),
            Col("years_used", "kpi.col.years_used", "int"),
        ],
        rows=[{**r, "forecast_completion_pct": _pct(r["forecast_completion"])} for r in rows],
    )


def trend(ctx: WebContext, year: int, month: int, ind_id: str, names: dict[str, str]) -> dict[str, Any]:
    """Per park (and the zone): 累计 by month, for the line chart (money in fen)."""
    ind = indicator(ind_id)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.trend(wh, ind_id, year, last_month=month).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-trend", year, month, ind_id), compute)
    months = list(range(1, month + 1))
    by_park: dict[str, dict[int, Any]] = {}
    for r in rows:
        by_park.setdefault(r["park_id"], {})[r["month"]] = r["ytd"]
    series = [
        {"park_id": pid, "name": names.get(pid, pid), "ytd": [vals.get(m) for m in months]}
        for pid, vals in by_park.items()
    ]
    return {
        "indicator": ind_id,
        "unit": ind.unit,
        "display_unit": ind.display_unit,
        "year": year,
        "months": months,
        "series": series,
    }


def contributions_table(
    ctx: WebContext, p: Principal, park_id: str, ind_id: str, year: int, month: int, top: int = 20
) -> DataTable:
    """The enterprises behind a park's change (403 outside the caller's scope)."""
    require_drill(p, park_id)
    ind = indicator(ind_id)
    kind = _value_kind(ind)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.contributions(wh, park_id, ind_id, year, month, top=top).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-contrib", park_id, ind_id, year, month, top), compute)
    return DataTable(
        name=f"kpi-contributions-{park_id}-{ind_id}-{year}-{month:02d}",
        title="kpi.contributions_title",
        title_params={"park": park_id, "indicator": ind.name_zh, "month": f"{year}-{month:02d}"},
        columns=[
            Col("rank", "kpi.col.rank", "int"),
            Col("uscc", "col.uscc", "link"),
            Col("name", "col.name"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("ytd_prev", "kpi.col.ytd_prev", kind),
            Col("change", "kpi.col.change", kind),
            Col("share_pct", "kpi.col.share_pct", "float"),
        ],
        rows=[{**r, "share_pct": _pct(r["share"])} for r in rows],
    )


def quality_table(ctx: WebContext, p: Principal, year: int, month: int) -> DataTable:
    """Suspect values and missing reports, limited to the parks the caller may see in detail."""
    if not p.can(Perm.FINANCE) or p.uscc_scope is not None:
        raise Forbidden()

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.data_quality(wh, year, month).to_pylist()
        return found

    rows = [r for r in ctx.cache.get(("kpi-quality", year, month), compute) if may_drill(p, r["park_id"])]
    return DataTable(
        name=f"kpi-quality-{year}-{month:02d}",
        title="kpi.quality_title",
        title_params={"month": f"{year}-{month:02d}"},
        columns=[
            Col("issue", "kpi.col.issue"),
            Col("uscc", "col.uscc", "link"),
            Col("name", "col.name"),
            Col("park_id", "kpi.col.park_id"),
            Col("month", "kpi.col.month", "date"),
            Col("column", "kpi.col.column"),
            Col("value", "kpi.col.value", "fen"),
            Col("median", "kpi.col.median", "fen"),
            Col("ratio", "kpi.col.ratio", "float"),
            Col("message", "kpi.col.message"),
        ],
        rows=rows,
    )
