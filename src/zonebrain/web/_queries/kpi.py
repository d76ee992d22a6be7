"""经济运行 queries: the monitor per indicator × park, warnings, trends, forecasts, drill-downs.

Shared by the page and the API. Aggregates (parks and the zone) are for every role with
``Perm.AGGREGATES``; enterprise-level detail (contributions, data quality) needs ``Perm.FINANCE``
and is limited to the park officer's own park — checked here, not in templates.

Targets (年度目标) are read by every role with ``Perm.AGGREGATES``; they are changed by admins and
leaders for any park and by a park officer for their own park only (:func:`may_edit_target`), each
change in ``kpi_target_history`` and the audit log.
"""

from __future__ import annotations

import re
import threading
import time
from functools import cache
from typing import Any

import ibis

from zonebrain import kpi
from zonebrain.appstore import Role
from zonebrain.core.errors import InputError
from zonebrain.core.money import format_fen
from zonebrain.storage import TABLES, Warehouse
from zonebrain.web._auth import Perm, Principal
from zonebrain.web._context import WebContext
from zonebrain.web._errors import Forbidden
from zonebrain.web._i18n import pick
from zonebrain.web._queries._common import parks
from zonebrain.web._tables import Col, DataTable, Kind

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
STATUSES = ("ahead", "on_track", "behind", "no_target", "yearly", "no_data")


@cache
def catalogue() -> kpi.Catalogue:
    return kpi.load_catalogue()


def indicators(locale: str) -> dict[str, str]:
    """Indicator id → its name in *locale*, in catalogue order."""
    return {i.id: pick(locale, i.name_zh, i.name_en) for i in catalogue().indicators}


def indicator_name(ind: kpi.Indicator, locale: str) -> str:
    return pick(locale, ind.name_zh, ind.name_en)


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

    return ctx.cache.get(("kpi-monitor", year, month, targets_version(ctx)), compute)


def _value_kind(ind: kpi.Indicator) -> Kind:
    return "fen" if ind.unit == "fen" else "int"


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 2)


Names = dict[str, str]
"""Park id (and ``_zone``) → its name in the reader's language (``routes.kpi._names``)."""
PARK_ID = Col("park_id", "kpi.col.park_id", page=False)
"""The park's code: for the API and Excel; pages show the name."""


def _park(names: Names, park_id: str, fallback: str | None = None) -> str:
    return names.get(park_id) or fallback or park_id


def monitor_table(
    ctx: WebContext, year: int, month: int, ind_id: str, locale: str = "zh-CN", names: Names | None = None
) -> DataTable:
    """One indicator × every park and the zone: 累计, 同比, 完成率, 序时进度, 超欠, rank, status."""
    ind = indicator(ind_id)
    kind = _value_kind(ind)
    names = names or {}
    rows = [
        {
            "park_id": r["park_id"],
            "park": _park(names, r["park_id"], r["park"]),
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
        title_params={"indicator": indicator_name(ind, locale), "month": f"{year}-{month:02d}"},
        columns=[
            PARK_ID,
            Col("park", "col.park"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("ytd_prev", "kpi.col.ytd_prev", kind),
            Col("yoy_pct", "kpi.col.yoy_pct", "pct"),
            Col("target", "kpi.col.target", kind),
            Col("completion_pct", "kpi.col.completion_pct", "pct"),
            Col("progress_pct", "kpi.col.progress_pct", "pct"),
            Col("gap_pp", "kpi.col.gap_pp", "pp"),
            Col("rank", "kpi.col.rank", "int"),
            Col("status", "kpi.col.status"),
            Col("suspect", "kpi.col.suspect", "int"),
        ],
        rows=rows,
    )


def warnings_table(
    ctx: WebContext, year: int, month: int, locale: str = "zh-CN", names: Names | None = None
) -> DataTable:
    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.warnings(wh, year, month).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-warnings", year, month, targets_version(ctx)), compute)
    return DataTable(
        name=f"kpi-warnings-{year}-{month:02d}",
        title="kpi.warnings_title",
        title_params={"month": f"{year}-{month:02d}"},
        columns=[
            PARK_ID,
            Col("park", "col.park"),
            Col("indicator", "kpi.col.indicator_id", page=False),
            Col("indicator_name", "kpi.col.indicator"),
            Col("kind", "kpi.col.warning_kind"),
            Col("value", "kpi.col.warning_value", "float"),
            Col("message", "kpi.col.message"),
        ],
        rows=[
            {
                **r,
                "park": _park(names or {}, r["park_id"], r["park"]),
                "indicator_name": _indicator_label(r["indicator"], locale, r["indicator_name"]),
                "value": None if r["value"] is None else round(r["value"], 2),
            }
            for r in rows
        ],
    )


def forecast_table(
    ctx: WebContext, year: int, month: int, ind_id: str, locale: str = "zh-CN", names: Names | None = None
) -> DataTable:
    ind = indicator(ind_id)
    kind = _value_kind(ind)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.forecast(wh, year, month, indicators=[ind_id]).to_pylist()
        return found

    rows = ctx.cache.get(("kpi-forecast", year, month, ind_id, targets_version(ctx)), compute)
    return DataTable(
        name=f"kpi-forecast-{ind_id}-{year}-{month:02d}",
        title="kpi.forecast_title",
        title_params={"indicator": indicator_name(ind, locale), "year": year},
        columns=[
            PARK_ID,
            Col("park", "col.park"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("forecast", "kpi.col.forecast", kind),
            Col("low", "kpi.col.low", kind),
            Col("high", "kpi.col.high", kind),
            Col("target", "kpi.col.target", kind),
            Col("forecast_completion_pct", "kpi.col.forecast_completion_pct", "pct"),
            Col("years_used", "kpi.col.years_used", "int"),
        ],
        rows=[
            {
                **r,
                "park": _park(names or {}, r["park_id"]),
                "forecast_completion_pct": _pct(r["forecast_completion"]),
            }
            for r in rows
        ],
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
    ctx: WebContext,
    p: Principal,
    park_id: str,
    ind_id: str,
    year: int,
    month: int,
    top: int = 20,
    locale: str = "zh-CN",
    names: Names | None = None,
) -> DataTable:
    """The enterprises behind a park's change, or the whole zone's (``_zone``); 403 outside the
    caller's scope."""
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
        title_params={
            "park": _park(names or {}, park_id),
            "indicator": indicator_name(ind, locale),
            "month": f"{year}-{month:02d}",
        },
        columns=[
            Col("rank", "kpi.col.rank", "int"),
            Col("uscc", "col.uscc", "link"),
            Col("name", "col.name"),
            Col("ytd", "kpi.col.ytd", kind),
            Col("ytd_prev", "kpi.col.ytd_prev", kind),
            Col("change", "kpi.col.change", kind),
            Col("share_pct", "kpi.col.share_pct", "pct"),
        ],
        rows=[{**r, "share_pct": _pct(r["share"])} for r in rows],
    )


def quality_table(
    ctx: WebContext, p: Principal, year: int, month: int, names: Names | None = None
) -> DataTable:
    """Suspect values and missing reports, limited to the parks the caller may see in detail."""
    if not p.can(Perm.FINANCE) or p.uscc_scope is not None:
        raise Forbidden()

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = kpi.data_quality(wh, year, month).to_pylist()
        return found

    rows = [
        {**r, "park": _park(names or {}, r["park_id"])}
        for r in ctx.cache.get(("kpi-quality", year, month), compute)
        if may_drill(p, r["park_id"])
    ]
    return DataTable(
        name=f"kpi-quality-{year}-{month:02d}",
        title="kpi.quality_title",
        title_params={"month": f"{year}-{month:02d}"},
        columns=[
            Col("issue", "kpi.col.issue"),
            Col("uscc", "col.uscc", "link"),
            Col("name", "col.name"),
            PARK_ID,
            Col("park", "col.park"),
            Col("month", "kpi.col.month", "date"),
            Col("column", "kpi.col.column"),
            Col("value", "kpi.col.value", "fen"),
            Col("median", "kpi.col.median", "fen"),
            Col("ratio", "kpi.col.ratio", "float"),
            Col("message", "kpi.col.message"),
        ],
        rows=rows,
    )


# ---- targets: who may change them, the grid, the history ---------------------------------------

HISTORY_SINCE = TABLES["kpi_target_history"].since
_versions: dict[int, tuple[float, tuple[Any, ...]]] = {}
_versions_lock = threading.Lock()


def targets_version(ctx: WebContext) -> tuple[Any, ...]:
    """(changes, last change) of ``kpi_target_history``, checked at most every few seconds: part of
    the cache key of every result that shows targets, so a change made elsewhere (the CLI, another
    worker) is seen without an import batch."""
    now = time.monotonic()
    with _versions_lock:
        hit = _versions.get(id(ctx))
        if hit is not None and now - hit[0] < ctx.config.data_version_ttl:
            return hit[1]
    with ctx.pool.reader() as wh:
        if not wh.schema_at_least(HISTORY_SINCE):
            version: tuple[Any, ...] = ("no-history",)
        else:
            t = wh.table("kpi_target_history")
            row = wh.to_arrow(t.aggregate(n=ibis._.count(), last=ibis._.changed_at.max())).to_pylist()[0]
            version = (row["n"], str(row["last"]))
    with _versions_lock:
        _versions[id(ctx)] = (time.monotonic(), version)
    return version


def forget_targets_version(ctx: WebContext) -> None:
    with _versions_lock:
        _versions.pop(id(ctx), None)


def may_edit_target(p: Principal, park_id: str) -> bool:
    """May *p* change the targets of *park_id*? Admins and leaders: every park; a park officer:
    their own park; nobody else (investment officers, researchers, enterprise users)."""
    if p.role in (Role.ADMIN, Role.LEADER):
        return True
    return p.role is Role.PARK_OFFICER and p.park_scope is not None and p.park_scope == park_id


def require_edit_target(p: Principal, park_id: str) -> None:
    if not may_edit_target(p, park_id):
        raise Forbidden()


def value_text(ind: kpi.Indicator | None, value: int | None) -> str:
    """A target as people write it, exactly: money in the display unit (万元, 亿元), counts as is."""
    if value is None:
        return ""
    if ind is not None and ind.unit == "fen":
        return format_fen(int(value), ind.display_unit)
    return str(value)


def _indicator_label(ind_id: str, locale: str, fallback: str) -> str:
    ind = _indicator_or_none(ind_id)
    return indicator_name(ind, locale) if ind else fallback


def _indicator_or_none(ind_id: str) -> kpi.Indicator | None:
    try:
        return indicator(ind_id)
    except InputError:  # an indicator no longer in the catalogue: shown raw
        return None


def target_rows(
    ctx: WebContext, year: int | None = None, park: str | None = None, ind: str | None = None
) -> list[dict[str, Any]]:
    """The targets (fresh from the warehouse, not cached: small, and just edited perhaps)."""
    with ctx.pool.reader() as wh:
        t = wh.table("kpi_targets")
        if year is not None:
            t = t.filter(t.year == year)
        if park:
            t = t.filter(t.park_id == park)
        if ind:
            t = t.filter(t.indicator == ind)
        found: list[dict[str, Any]] = wh.to_arrow(t.order_by(["year", "park_id", "indicator"])).to_pylist()
    return found


TARGET_COLUMNS = [
    Col("year", "kpi.col.year", "id"),
    Col("park_id", "kpi.col.park_id"),
    Col("park", "col.park"),
    Col("indicator", "kpi.col.indicator_id"),
    Col("indicator_name", "kpi.col.indicator"),
    Col("display_unit", "kpi.col.display_unit"),
    Col("value_text", "kpi.col.target_display"),
    Col("value", "kpi.col.value_raw", "int"),
    Col("unit", "kpi.col.unit"),
    Col("set_by", "kpi.col.set_by"),
    Col("set_at", "kpi.col.set_at", "date"),
    Col("editable", "kpi.col.editable"),
]


def targets_table(
    ctx: WebContext,
    p: Principal,
    names: dict[str, str],
    year: int | None = None,
    park: str | None = None,
    ind_id: str | None = None,
    locale: str = "zh-CN",
) -> DataTable:
    """Targets as a table: ``value`` in the stored unit (fen or a count, see ``unit``) and
    ``value_text`` exactly in the display unit; ``editable`` says whether the caller may change it;
    the indicator named in *locale*."""
    if ind_id:
        indicator(ind_id)
    rows = []
    for r in target_rows(ctx, year, park, ind_id):
        ind = _indicator_or_none(r["indicator"])
        rows.append(
            {
                "year": r["year"],
                "park_id": r["park_id"],
                "park": names.get(r["park_id"], r["park_id"]),
                "indicator": r["indicator"],
                "indicator_name": pick(locale, ind.name_zh, ind.name_en) if ind else r["indicator"],
                "display_unit": ind.display_unit if ind else "",
                "value_text": value_text(ind, r["value"]),
                "value": r["value"],
                "unit": ind.unit if ind else "",
                "set_by": r["source"],
                "set_at": r["loaded_at"],
                "editable": may_edit_target(p, r["park_id"]),
            }
        )
    return DataTable(
        name=f"kpi-targets-{year}" if year else "kpi-targets",
        title="kpi.targets_title",
        title_params={"year": year or ""},
        columns=TARGET_COLUMNS,
        rows=rows,
    )


def target_grid(ctx: WebContext, p: Principal, year: int, names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per park: ``cells`` = indicator id → the target as text (display unit); ``editable``."""
    cells: dict[str, dict[str, str]] = {pid: {} for pid in names if pid != "_zone"}
    for r in target_rows(ctx, year):
        cells.setdefault(r["park_id"], {})[r["indicator"]] = value_text(
            _indicator_or_none(r["indicator"]), r["value"]
        )
    return [
        {"park_id": pid, "park": names.get(pid, pid), "cells": c, "editable": may_edit_target(p, pid)}
        for pid, c in cells.items()
    ]


HISTORY_COLUMNS = [
    Col("changed_at", "kpi.col.changed_at", "date"),
    Col("park_id", "kpi.col.park_id"),
    Col("park", "col.park"),
    Col("indicator", "kpi.col.indicator_id"),
    Col("indicator_name", "kpi.col.indicator"),
    Col("year", "kpi.col.year", "id"),
    Col("display_unit", "kpi.col.display_unit"),
    Col("old_text", "kpi.col.old_value"),
    Col("new_text", "kpi.col.new_value"),
    Col("changed_by", "kpi.col.changed_by"),
    Col("source", "kpi.col.change_source"),
    Col("reason", "kpi.col.reason"),
    Col("old_value", "kpi.col.old_raw", "int"),
    Col("new_value", "kpi.col.new_raw", "int"),
    Col("unit", "kpi.col.unit"),
]


def history_table(
    ctx: WebContext,
    names: dict[str, str],
    park: str | None = None,
    ind_id: str | None = None,
    year: int | None = None,
    locale: str = "zh-CN",
) -> DataTable:
    """Every change of a target, newest first: who, when, old → new (display unit), why, import|edit;
    the indicator named in *locale*."""
    if ind_id:
        indicator(ind_id)
    with ctx.pool.reader() as wh:
        if not wh.schema_at_least(HISTORY_SINCE):
            raise InputError(
                f"仓库架构版本低于 {HISTORY_SINCE}, 尚无目标修改历史表 (the warehouse predates the target history); "
                "请管理员运行 zonebrain warehouse migrate / ask an admin to run it"
            )
        found = kpi.target_history(wh, park, ind_id, year, catalogue=catalogue()).to_pylist()
    rows = []
    for r in reversed(found):
        ind = _indicator_or_none(r["indicator"])
        rows.append(
            {
                **r,
                "park": names.get(r["park_id"], r["park_id"]),
                "indicator_name": pick(locale, ind.name_zh, ind.name_en) if ind else r["indicator"],
                "display_unit": ind.display_unit if ind else "",
                "old_text": value_text(ind, r["old_value"]),
                "new_text": value_text(ind, r["new_value"]),
                "unit": ind.unit if ind else "",
            }
        )
    suffix = re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(str(x) for x in (park, ind_id, year) if x))[:60]
    return DataTable(
        name=f"kpi-target-history-{suffix}" if suffix else "kpi-target-history",
        title="kpi.history_title",
        columns=HISTORY_COLUMNS,
        rows=rows,
    )


def save_target(
    ctx: WebContext,
    p: Principal,
    park: str,
    ind_id: str,
    year: int,
    value: str | int,
    unit: str | None,
    reason: str,
) -> tuple[kpi.TargetChange, kpi.Indicator]:
    """Check the caller may edit *park*, read *value* exactly in the display unit (or *unit*), and
    write the target and its history in one transaction. Raises Forbidden or kpi.TargetError."""
    require_edit_target(p, park)
    try:
        ind = indicator(ind_id)
    except InputError as exc:
        raise kpi.TargetError(str(exc), field="indicator") from exc
    amount = kpi.parse_target_value(ind, value, unit or None)
    known = [r["park_id"] for r in parks(ctx)]
    if park not in known:  # refused before the warehouse is opened for writing
        raise kpi.TargetError(
            f"未知园区 '{park}' (unknown park); 可用 / use one of: {', '.join(sorted(known))}",
            field="park_id",
        )
    with ctx.pool.writer() as wh:
        change = kpi.set_target(
            wh, park, ind.id, year, amount, user=p.user.username, reason=reason, catalogue=catalogue()
        )
    ctx.cache.invalidate()
    forget_targets_version(ctx)
    return change, ind


def assumptions(locale: str) -> list[str]:
    """The rates indicators are derived with (工业增加值率 …), as sentences for the page."""
    out = []
    for ind in catalogue().assumptions():
        assert ind.rate is not None
        name = pick(locale, ind.name_zh, ind.name_en)
        out.append(f"{name}: {ind.rate.describe('en' if locale.startswith('en') else 'zh')}")
    return out
