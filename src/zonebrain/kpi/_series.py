"""Indicator values compiled to Ibis expressions: per enterprise and month, per park and month.

Everything here is an Ibis expression over ``wh.table(...)`` and a small calendar memtable, so it
runs unchanged on DuckDB, PostgreSQL and Spark. Dates are never computed in the engine: the
calendar (month start, month end, year, month number) is built in Python and joined.
Money stays integer fen; a rate (工业增加值率, ``Indicator.rate``) is applied per enterprise and month,
rounded down to whole fen, so park totals are exact sums of enterprise values.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from fractions import Fraction

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.kpi._catalogue import Indicator
from zonebrain.storage import Warehouse

YM = tuple[int, int]


def month_range(first: YM, last: YM) -> list[YM]:
    """Every (year, month) from *first* to *last* inclusive."""
    out = []
    y, m = first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def calendar_table(first: YM, last: YM) -> ir.Table:
    """A memtable of months: ``cal_year``, ``cal_month``, ``month_start``, ``month_end``."""
    months = month_range(first, last)
    return ibis.memtable(
        pa.table(
            {
                "cal_year": pa.array([y for y, _ in months], pa.int32()),
                "cal_month": pa.array([m for _, m in months], pa.int32()),
                "month_start": pa.array([dt.date(y, m, 1) for y, m in months], pa.date32()),
                "month_end": pa.array(
                    [dt.date(y, m, _cal.monthrange(y, m)[1]) for y, m in months], pa.date32()
                ),
            }
        )
    )


def _tagged(wh: Warehouse, rows: ir.Table, tag: str) -> ir.Table:
    """*rows* (with ``uscc`` and ``month_end``) whose enterprise has *tag* valid at the month's end."""
    tags = wh.table("enterprise_tags")
    tags = tags.filter(tags.tag == tag).select(t_uscc=tags.uscc, t_since=tags.since, t_until=tags.until)
    joined = rows.join(tags, rows.uscc == tags.t_uscc)
    joined = joined.filter(
        (joined.t_since.isnull() | (joined.t_since <= joined.month_end))
        & (joined.t_until.isnull() | (joined.t_until >= joined.month_end))
    )
    return joined.select(*rows.columns)


def apply_rate(value: ir.IntegerValue, rate: Fraction) -> ir.IntegerValue:
    """floor(value × n / d) in integers, exactly on every engine.

    The engines compile ``//`` to FLOOR of a double division, so ``value * n // d`` would lose
    exactness once ``value × n`` passes 2⁵³. Split instead: value = q·d + r with r = value % d
    (an integer remainder on every engine, same sign as value), then floor(value·n/d) =
    q·n + floor(r·n/d), where ``(value − r) / d`` is an exact quotient and ``r·n < d·n ≤ 10⁸``.
    Exact while |value| < 2⁵³ fen, whatever the rate.
    """
    n, d = rate.numerator, rate.denominator
    if d == 1:
        return (value * n).cast("int64")
    r = value % d
    q = ((value - r) // d).cast("int64")
    return (q * n + ((r * n) // d).cast("int64")).cast("int64")


def enterprise_values(
    wh: Warehouse, ind: Indicator, first: YM, last: YM, exclude: pa.Table | None = None
) -> ir.Table:
    """``park_id, uscc, year, month, value`` per enterprise and month (flow: the month's amount;
    stock: 1 when the enterprise counts at the month's end). Not for ``imported`` indicators.

    *exclude* (``uscc, month, column``): enterprise-month values left out (suspected unit errors);
    only rows naming this indicator's ``column`` of ``enterprise_months`` apply.
    """
    cal = calendar_table(first, last)
    if ind.source == "enterprise_months":
        t = wh.table("enterprise_months")
        if exclude is not None:
            skip = exclude.filter(pc.equal(exclude["column"], ind.column or ""))
            if skip.num_rows:
                memo = ibis.memtable(skip.select(["uscc", "month"]).rename_columns(["x_uscc", "x_month"]))
                t = t.anti_join(memo, (t.uscc == memo.x_uscc) & (t.month == memo.x_month))
        rows = t.join(cal, t.month == cal.month_start)
        value = rows[ind.column] if ind.aggregation == "sum" else ibis.literal(1, "int64")
        rows = rows.filter(value.notnull()).select(
            "uscc", "cal_year", "cal_month", "month_end", value=value.cast("int64")
        )
    elif ind.source == "enterprise_years":
        t = wh.table("enterprise_years")
        dec = cal.filter(cal.cal_month == 12)
        rows = t.join(dec, t.year == dec.cal_year)
        value = rows[ind.column] if ind.aggregation == "sum" else ibis.literal(1, "int64")
        rows = rows.filter(value.notnull()).select(
            "uscc", "cal_year", "cal_month", "month_end", value=value.cast("int64")
        )
    elif ind.source in ("enterprises", "events"):
        t = wh.table(ind.source)
        day = t.registered_on if ind.source == "enterprises" else t.date
        if ind.source == "events":
            t = t.filter(t.kind == ind.filter.kind)
            day = t.date
        rows = t.join(cal, (day >= cal.month_start) & (day <= cal.month_end))
        rows = rows.select("uscc", "cal_year", "cal_month", "month_end", value=ibis.literal(1, "int64"))
        if ind.source == "events":  # one enterprise counts once per month however many events
            rows = rows.distinct()
    elif ind.source == "tags":
        t = wh.table("enterprise_tags")
        t = t.filter(t.tag == ind.filter.tag)
        rows = t.cross_join(cal)
        rows = rows.filter(
            (rows.since.isnull() | (rows.since <= rows.month_end))
            & (rows.until.isnull() | (rows.until >= rows.month_end))
        )
        rows = rows.select("uscc", "cal_year", "cal_month", "month_end", value=ibis.literal(1, "int64"))
    else:
        raise ValueError(f"{ind.id}: imported indicators have no enterprise values")
    if ind.filter.tag and ind.source != "tags":
        rows = _tagged(wh, rows, ind.filter.tag)
    if ind.rate is not None:
        rows = rows.mutate(value=apply_rate(rows.value, ind.rate.fraction))
    ent = wh.table("enterprises").select(e_uscc="uscc", park_id="park_id")
    joined = rows.join(ent, rows.uscc == ent.e_uscc).filter(ibis._.park_id.notnull())
    return joined.select(
        joined.park_id,
        joined.uscc,
        year=joined.cal_year.cast("int32"),
        month=joined.cal_month.cast("int32"),
        value=joined.value,
    )


def park_values(
    wh: Warehouse, ind: Indicator, first: YM, last: YM, exclude: pa.Table | None = None
) -> ir.Table:
    """``park_id, year, month, value`` per park and month: the month's amount (flow) or the
    month-end count (stock). Imported indicators read ``kpi_actuals`` (当月值, the month's own value)."""
    if ind.source == "imported":
        cal = calendar_table(first, last)
        t = wh.table("kpi_actuals")
        t = t.filter(t.indicator == ind.id)
        rows = t.join(cal, t.month == cal.month_start)
        return rows.group_by(
            rows.park_id, year=rows.cal_year.cast("int32"), month=rows.cal_month.cast("int32")
        ).aggregate(value=rows.value.sum().cast("int64"))
    ev = enterprise_values(wh, ind, first, last, exclude)
    return ev.group_by("park_id", "year", "month").aggregate(value=ev.value.sum().cast("int64"))


def enterprise_window(
    wh: Warehouse,
    ind: Indicator,
    park_id: str | None,
    year: int,
    month: int,
    exclude: pa.Table | None = None,
) -> ir.Table:
    """``uscc, year, value`` for one park (None: the whole zone): each enterprise's year-to-date
    value at *month* of *year* and of the year before (flow: January..month summed; stock: the
    month-end count)."""
    ev = enterprise_values(wh, ind, (year - 1, 1), (year, month), exclude)
    if park_id is not None:
        ev = ev.filter(ev.park_id == park_id)
    ev = ev.filter(ev.month == month) if ind.kind == "stock" else ev.filter(ev.month <= month)
    return ev.group_by("uscc", "year").aggregate(value=ev.value.sum().cast("int64"))
