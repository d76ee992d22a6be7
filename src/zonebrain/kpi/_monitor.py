"""Monthly monitoring: 累计, 同比, 完成率, 序时进度 and the gap, ranks among parks, warnings, trends.

The engine computes park × month values (``_series.park_values``); the small ratios are computed
here in Python from those integers, so every engine gives identical floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.errors import InputError
from zonebrain.kpi._catalogue import Catalogue, Indicator, load_catalogue
from zonebrain.kpi._quality import data_quality
from zonebrain.kpi._series import park_values
from zonebrain.storage import Warehouse

ZONE_ID = "_zone"
"""``park_id`` of the zone-wide total rows (the sum of all parks and township units)."""

MONITOR_SCHEMA = pa.schema(
    [
        ("park_id", pa.string()),
        ("park", pa.string()),
        ("indicator", pa.string()),
        ("indicator_name", pa.string()),
        ("unit", pa.string()),
        ("display_unit", pa.string()),
        ("ytd", pa.int64()),
        ("ytd_prev", pa.int64()),
        ("yoy", pa.float64()),
        ("target", pa.int64()),
        ("completion", pa.float64()),
        ("progress", pa.float64()),
        ("gap_pp", pa.float64()),
        ("rank", pa.int32()),
        ("status", pa.string()),
        ("suspect", pa.int64()),
    ]
)


def suspect_values(wh: Warehouse, year: int, month: int, cat: Catalogue) -> pa.Table:
    """``uscc, month, column, park_id`` of values flagged as likely unit errors this year up to *month*."""
    dq = data_quality(wh, year, month, catalogue=cat)
    jumps = dq.filter(pc.equal(dq["issue"], "unit_jump"))
    return jumps.select(["uscc", "month", "column", "park_id"])


def _suspect_counts(suspects: pa.Table, ind: Indicator) -> dict[str, int]:
    if ind.source != "enterprise_months":
        return {}
    out: dict[str, int] = defaultdict(int)
    for r in suspects.to_pylist():
        if r["column"] == ind.column:
            out[r["park_id"]] += 1
    return dict(out)


@dataclass(frozen=True)
class _Park:
    park_id: str
    name: str


def parks(wh: Warehouse) -> list[_Park]:
    t = wh.to_arrow(wh.table("parks").select("park_id", "short_name").order_by("park_id"))
    return [_Park(r["park_id"], r["short_name"] or r["park_id"]) for r in t.to_pylist()]


def latest_month(wh: Warehouse) -> tuple[int, int] | None:
    """The latest month with enterprise monthly data or imported actuals, as (year, month)."""
    best = None
    for name in ("enterprise_months", "kpi_actuals"):
        v = wh.to_arrow(wh.table(name).aggregate(m=ibis._.month.max()))["m"][0].as_py()
        if v is not None and (best is None or v > best):
            best = v
    return (best.year, best.month) if best else None


def targets(wh: Warehouse, year: int) -> dict[tuple[str, str], int]:
    t = wh.table("kpi_targets")
    rows = wh.to_arrow(t.filter(t.year == year).select("park_id", "indicator", "value")).to_pylist()
    return {(r["park_id"], r["indicator"]): int(r["value"]) for r in rows}


def values(
    wh: Warehouse, ind: Indicator, year: int, month: int, exclude: pa.Table | None = None
) -> dict[tuple[str, int, int], int]:
    """(park_id, year, month) → the month's value, for the year before *year* and *year* up to *month*."""
    last = (year, 12) if ind.frequency == "yearly" else (year, month)
    t = wh.to_arrow(park_values(wh, ind, (year - 1, 1), last, exclude))
    return {(r["park_id"], r["year"], r["month"]): int(r["value"]) for r in t.to_pylist()}


def ytd(
    series: dict[tuple[str, int, int], int], ind: Indicator, park: str, year: int, month: int
) -> int | None:
    """The year-to-date value (flow) or the month-end value (stock); None when nothing is recorded."""
    if ind.kind == "stock":
        return series.get((park, year, month))
    vals = [v for (p, y, m), v in series.items() if p == park and y == year and m <= month]
    return sum(vals) if vals else None


def _has_year(series: dict[tuple[str, int, int], int], year: int) -> bool:
    return any(y == year for (_, y, _) in series)


def monitor(
    wh: Warehouse,
    year: int,
    month: int,
    *,
    catalogue: Catalogue | None = None,
    indicators: list[str] | None = None,
    basis: str | None = None,
    exclude_suspect: bool = False,
) -> pa.Table:
    """One row per park (and the zone, ``park_id='_zone'``) and indicator at the end of *month*.

    Columns: ``ytd`` (累计; flow: January..month; stock: at month end), ``ytd_prev`` (the same
    months of the year before), ``yoy`` (同比, a ratio: 0.05 = +5%), ``target`` (年度目标),
    ``completion`` (完成率 = ytd / target), ``progress`` (序时进度, by months or working days),
    ``gap_pp`` (超(+)/欠(−)序时进度 in percentage points; sign flipped for lower-is-better),
    ``rank`` among the units with a value (by completion, or by yoy without targets) and ``status``:
    ``ahead``, ``behind`` (more than the warning margin behind), ``on_track``, ``no_target``,
    ``yearly`` (an annual indicator before December) or ``no_data``. ``suspect`` counts the
    enterprise-month values in this year's 累计 flagged as likely unit errors
    (:func:`~zonebrain.kpi.data_quality`); with *exclude_suspect* they are left out of every figure.
    """
    cat = catalogue or load_catalogue()
    if not 1 <= month <= 12:
        raise InputError(f"月份 {month} 无效 (month must be 1–12); 请写成 2024-06 / write YYYY-MM")
    chosen = [cat.get(i) for i in indicators] if indicators else cat.indicators
    units = parks(wh)
    goal = targets(wh, year)
    progress = cat.progress_share(year, month, basis)
    suspects = suspect_values(wh, year, month, cat)
    exclude = suspects if exclude_suspect else None
    rows: list[dict[str, Any]] = []
    for ind in chosen:
        series = values(wh, ind, year, month, exclude)
        flagged = _suspect_counts(suspects, ind)
        have_prev = _has_year(series, year - 1)
        block = []
        for unit in [*units, _Park(ZONE_ID, "全区")]:
            if unit.park_id == ZONE_ID:
                cur = _sum_opt(ytd(series, ind, p.park_id, year, month) for p in units)
                prev = _sum_opt(ytd(series, ind, p.park_id, year - 1, month) for p in units)
                tgt = _sum_opt(goal.get((p.park_id, ind.id)) for p in units)
            else:
                cur = ytd(series, ind, unit.park_id, year, month)
                prev = ytd(series, ind, unit.park_id, year - 1, month)
                tgt = goal.get((unit.park_id, ind.id))
            yearly_pending = ind.frequency == "yearly" and month < 12
            if yearly_pending:
                cur = prev = None
            elif cur is None and _has_year(series, year):
                cur = 0  # data exists for the year, none for this unit: zero, not unknown
            if prev is None and have_prev and not yearly_pending:
                prev = 0
            row = _measure(ind, cur, prev, tgt, progress, cat.warning_margin_pp)
            if yearly_pending:
                row["status"] = "yearly"
            if unit.park_id == ZONE_ID:
                row["suspect"] = sum(flagged.values())
            else:
                row["suspect"] = flagged.get(unit.park_id, 0)
            block.append({"park_id": unit.park_id, "park": unit.name, **row, **_labels(ind)})
        _rank(block, ind)
        rows.extend(block)
    return pa.Table.from_pylist(rows, schema=MONITOR_SCHEMA)


def _labels(ind: Indicator) -> dict[str, Any]:
    return {
        "indicator": ind.id,
        "indicator_name": ind.name_zh,
        "unit": ind.unit,
        "display_unit": ind.display_unit,
    }


def _sum_opt(values: Iterable[int | None]) -> int | None:
    got = [v for v in values if v is not None]
    return sum(got) if got else None


def _measure(
    ind: Indicator, cur: int | None, prev: int | None, tgt: int | None, progress: float, margin: float
) -> dict[str, Any]:
    yoy = cur / prev - 1 if cur is not None and prev else None
    completion = cur / tgt if cur is not None and tgt else None
    prog = progress if ind.kind == "flow" else None
    gap = None
    if completion is not None and prog is not None:
        gap = (completion - prog) * 100 if ind.direction == "higher" else (prog - completion) * 100
    if cur is None:
        status = "no_data"
    elif tgt is None:
        status = "no_target"
    elif gap is None:
        status = "on_track" if (completion or 0) >= 1 or ind.direction == "lower" else "no_progress"
    elif gap < -margin:
        status = "behind"
    elif gap > 0:
        status = "ahead"
    else:
        status = "on_track"
    return {
        "ytd": cur,
        "ytd_prev": prev,
        "yoy": yoy,
        "target": tgt,
        "completion": completion,
        "progress": prog,
        "gap_pp": gap,
        "status": status,
    }


def _rank(block: list[dict[str, Any]], ind: Indicator) -> None:
    """Rank the parks (not the zone row): by completion when any park has a target, else by yoy."""
    units = [r for r in block if r["park_id"] != ZONE_ID]
    key = "completion" if any(r["completion"] is not None for r in units) else "yoy"
    sign = 1 if ind.direction == "higher" else -1
    scored = [r for r in units if r[key] is not None]
    for r in scored:
        better = sum(1 for o in scored if sign * o[key] > sign * r[key])
        r["rank"] = better + 1
    for r in block:
        r.setdefault("rank", None)


WARNING_SCHEMA = pa.schema(
    [
        ("park_id", pa.string()),
        ("park", pa.string()),
        ("indicator", pa.string()),
        ("indicator_name", pa.string()),
        ("kind", pa.string()),
        ("value", pa.float64()),
        ("message", pa.string()),
    ]
)


def warnings(
    wh: Warehouse,
    year: int,
    month: int,
    *,
    catalogue: Catalogue | None = None,
    margin_pp: float | None = None,
) -> pa.Table:
    """预警: indicators behind 序时进度 by more than the margin (``behind_schedule``) and year-on-year
    declines (``yoy_decline``; a rise for lower-is-better indicators), worst first."""
    cat = catalogue or load_catalogue()
    margin = cat.warning_margin_pp if margin_pp is None else margin_pp
    table = monitor(wh, year, month, catalogue=cat)
    direction = {i.id: i.direction for i in cat.indicators}
    out: list[dict[str, Any]] = []
    for r in table.to_pylist():
        gap, yoy = r["gap_pp"], r["yoy"]
        if gap is not None and gap < -margin:
            out.append(
                {
                    **_who(r),
                    "kind": "behind_schedule",
                    "value": gap,
                    "message": f"{r['park']}{r['indicator_name']}完成率 {r['completion']:.1%}，"
                    f"落后序时进度 {-gap:.1f} 个百分点 (behind schedule by {-gap:.1f} pp)",
                }
            )
        worse = yoy is not None and (yoy < 0 if direction[r["indicator"]] == "higher" else yoy > 0)
        if worse:
            out.append(
                {
                    **_who(r),
                    "kind": "yoy_decline",
                    "value": yoy * 100,
                    "message": f"{r['park']}{r['indicator_name']}同比{'下降' if yoy < 0 else '上升'} "
                    f"{abs(yoy):.1%} (year on year {yoy:+.1%})",
                }
            )
    out.sort(key=lambda w: (w["kind"], w["value"] if w["kind"] != "yoy_decline" else -abs(w["value"])))
    return pa.Table.from_pylist(out, schema=WARNING_SCHEMA)


def _who(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("park_id", "park", "indicator", "indicator_name")}


TREND_SCHEMA = pa.schema(
    [
        ("park_id", pa.string()),
        ("month", pa.int32()),
        ("ytd", pa.int64()),
        ("ytd_prev", pa.int64()),
        ("month_value", pa.int64()),
        ("yoy", pa.float64()),
        ("completion", pa.float64()),
        ("progress", pa.float64()),
    ]
)


def trend(
    wh: Warehouse,
    indicator: str,
    year: int,
    *,
    last_month: int = 12,
    catalogue: Catalogue | None = None,
    basis: str | None = None,
) -> pa.Table:
    """For charts: per park (and ``_zone``) and month 1..*last_month*, 累计, the year before, 当月值,
    同比, 完成率 and 序时进度."""
    cat = catalogue or load_catalogue()
    ind = cat.get(indicator)
    series = values(wh, ind, year, last_month)
    zone: dict[tuple[str, int, int], int] = defaultdict(int)
    for (_p, y, m), v in series.items():
        zone[(ZONE_ID, y, m)] += v
    series = {**series, **zone}
    goal = targets(wh, year)
    units = [p.park_id for p in parks(wh)]
    goal[(ZONE_ID, ind.id)] = sum(v for (p, i), v in goal.items() if i == ind.id and p in units)
    rows = []
    for unit in [*units, ZONE_ID]:
        for m in range(1, last_month + 1):
            cur = ytd(series, ind, unit, year, m)
            prev = ytd(series, ind, unit, year - 1, m)
            tgt = goal.get((unit, ind.id)) or None
            rows.append(
                {
                    "park_id": unit,
                    "month": m,
                    "ytd": cur,
                    "ytd_prev": prev,
                    "month_value": series.get((unit, year, m)),
                    "yoy": cur / prev - 1 if cur is not None and prev else None,
                    "completion": cur / tgt if cur is not None and tgt else None,
                    "progress": cat.progress_share(year, m, basis) if ind.kind == "flow" else None,
                }
            )
    return pa.Table.from_pylist(rows, schema=TREND_SCHEMA)
