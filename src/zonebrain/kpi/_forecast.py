"""Year-end forecast from seasonality, and its backtest.

Model: the share of the annual total reached by the end of month m, averaged over every earlier
complete year and every park (pooled, so one odd park-year weighs little): year-end = YTD / share.
The interval divides YTD by the largest and smallest share seen (the spread of the shares).
Naive baseline: each park's own share at month m last year. Only flow indicators with monthly
data can be forecast; the backtest needs at least one complete earlier year.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

import pyarrow as pa

from zonebrain.kpi._catalogue import Catalogue, Indicator, load_catalogue
from zonebrain.kpi._monitor import ZONE_ID, parks
from zonebrain.kpi._series import park_values
from zonebrain.storage import Warehouse

HISTORY_YEARS = 6
"""How many earlier years the seasonal shares may draw on."""

Series = dict[tuple[str, int, int], int]


def _series(wh: Warehouse, ind: Indicator, year: int, month: int) -> Series:
    t = wh.to_arrow(park_values(wh, ind, (year - HISTORY_YEARS, 1), (year, month)))
    s: Series = {(r["park_id"], r["year"], r["month"]): int(r["value"]) for r in t.to_pylist()}
    zone: Series = defaultdict(int)
    for (_p, y, m), v in s.items():
        zone[(ZONE_ID, y, m)] += v
    return {**s, **zone}


def _complete_years(s: Series, before: int) -> list[int]:
    months: dict[int, set[int]] = defaultdict(set)
    for _p, y, m in s:
        months[y].add(m)
    return sorted(y for y, ms in months.items() if y < before and len(ms) == 12)


def _cum(s: Series, unit: str, year: int, month: int) -> int:
    return sum(s.get((unit, year, m), 0) for m in range(1, month + 1))


def _shares(s: Series, units: list[str], years: list[int], month: int) -> list[float]:
    out = []
    for y in years:
        for u in units:
            total = _cum(s, u, y, 12)
            if total > 0:
                out.append(_cum(s, u, y, month) / total)
    return [x for x in out if x > 0]


FORECAST_SCHEMA = pa.schema(
    [
        ("park_id", pa.string()),
        ("indicator", pa.string()),
        ("indicator_name", pa.string()),
        ("unit", pa.string()),
        ("display_unit", pa.string()),
        ("ytd", pa.int64()),
        ("share", pa.float64()),
        ("forecast", pa.int64()),
        ("low", pa.int64()),
        ("high", pa.int64()),
        ("target", pa.int64()),
        ("forecast_completion", pa.float64()),
        ("years_used", pa.int32()),
    ]
)


def forecast(
    wh: Warehouse,
    year: int,
    month: int,
    *,
    indicators: list[str] | None = None,
    catalogue: Catalogue | None = None,
) -> pa.Table:
    """Year-end forecast per park (and ``_zone``) for flow indicators with monthly data.

    ``share`` is the pooled seasonal share at *month*; ``low``/``high`` use the largest and smallest
    share seen; ``forecast_completion`` = forecast / target. ``unit`` (``fen`` or ``count``) and
    ``display_unit`` come from the catalogue, so a count is never shown as money. Rows without an earlier complete year
    have no forecast (None).
    """
    from zonebrain.kpi._monitor import targets

    cat = catalogue or load_catalogue()
    chosen = [cat.get(i) for i in indicators] if indicators else cat.indicators
    units = [p.park_id for p in parks(wh)]
    goal = targets(wh, year)
    for ind in chosen:
        goal[(ZONE_ID, ind.id)] = sum(v for (p, i), v in goal.items() if i == ind.id and p in units) or 0
    rows = []
    for ind in chosen:
        if ind.kind != "flow" or ind.frequency != "monthly":
            continue
        s = _series(wh, ind, year, month)
        years = _complete_years(s, year)
        shares = _shares(s, units, years, month)
        share = mean(shares) if shares else None
        for u in [*units, ZONE_ID]:
            ytd = _cum(s, u, year, month)
            fc = round(ytd / share) if share else None
            tgt = goal.get((u, ind.id)) or None
            rows.append(
                {
                    "park_id": u,
                    "indicator": ind.id,
                    "indicator_name": ind.name_zh,
                    "unit": ind.unit,
                    "display_unit": ind.display_unit,
                    "ytd": ytd,
                    "share": share,
                    "forecast": fc,
                    "low": round(ytd / max(shares)) if shares else None,
                    "high": round(ytd / min(shares)) if shares else None,
                    "target": tgt,
                    "forecast_completion": fc / tgt if fc is not None and tgt else None,
                    "years_used": len(years),
                }
            )
    return pa.Table.from_pylist(rows, schema=FORECAST_SCHEMA)


BACKTEST_SCHEMA = pa.schema(
    [
        ("indicator", pa.string()),
        ("month", pa.int32()),
        ("cases", pa.int32()),
        ("mape_model", pa.float64()),
        ("mape_naive", pa.float64()),
    ]
)


def backtest(
    wh: Warehouse, year: int, *, indicators: list[str] | None = None, catalogue: Catalogue | None = None
) -> pa.Table:
    """Forecast *year*'s total at months 1–11 from the years before it and compare with the actual total.

    One row per indicator and month, plus per-indicator rows (``month=0``) and an overall row
    (``indicator='_all'``, ``month=0``): MAPE (mean absolute percentage error, 0.05 = 5%) of the
    seasonal model and of the naive baseline (the park's own share last year), over parks.
    """
    cat = catalogue or load_catalogue()
    chosen = [cat.get(i) for i in indicators] if indicators else cat.indicators
    units = [p.park_id for p in parks(wh)]
    rows = []
    everything: dict[str, list[float]] = {"model": [], "naive": []}
    for ind in chosen:
        if ind.kind != "flow" or ind.frequency != "monthly":
            continue
        s = _series(wh, ind, year, 12)
        years = _complete_years(s, year)
        if not years or year not in _complete_years(s, year + 1):
            continue
        per_ind: dict[str, list[float]] = {"model": [], "naive": []}
        for month in range(1, 12):
            shares = _shares(s, units, years, month)
            share = mean(shares) if shares else None
            errs: dict[str, list[float]] = {"model": [], "naive": []}
            for u in units:
                actual = _cum(s, u, year, 12)
                ytd = _cum(s, u, year, month)
                last_total = _cum(s, u, years[-1], 12)
                naive_share = _cum(s, u, years[-1], month) / last_total if last_total else 0
                if actual <= 0 or not share or naive_share <= 0:
                    continue
                errs["model"].append(abs(ytd / share - actual) / actual)
                errs["naive"].append(abs(ytd / naive_share - actual) / actual)
            if errs["model"]:
                rows.append(_bt_row(ind.id, month, errs))
                for k in errs:
                    per_ind[k] += errs[k]
                    everything[k] += errs[k]
        if per_ind["model"]:
            rows.append(_bt_row(ind.id, 0, per_ind))
    if everything["model"]:
        rows.append(_bt_row("_all", 0, everything))
    return pa.Table.from_pylist(rows, schema=BACKTEST_SCHEMA)


def _bt_row(indicator: str, month: int, errs: dict[str, list[float]]) -> dict[str, object]:
    return {
        "indicator": indicator,
        "month": month,
        "cases": len(errs["model"]),
        "mape_model": mean(errs["model"]),
        "mape_naive": mean(errs["naive"]),
    }
