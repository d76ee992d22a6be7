"""What a KPI question may ask about, and what its answer covers.

* the months that have monthly data (a month without any is refused, not answered with blanks);
* the parks (an unknown park is refused, naming the valid ones);
* the scope of the enterprise-panel indicators: firms that report monthly (月报企业), not every firm
  (the enterprise portrait's 营业收入 covers all firms from their annual data, so it is larger).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from zonebrain.core.errors import InputError
from zonebrain.kpi._format import months_text
from zonebrain.kpi._monitor import ZONE_ID, parks
from zonebrain.storage import Warehouse

MONTHLY_SOURCES = ("enterprise_months", "kpi_actuals")
"""Tables whose rows are monthly values: enterprise monthly reports and imported park actuals."""


def data_months(wh: Warehouse) -> list[tuple[int, int]]:
    """Every (year, month) with enterprise monthly reports or imported park actuals, oldest first."""
    found: set[tuple[int, int]] = set()
    for name in MONTHLY_SOURCES:
        t = wh.table(name)
        for v in wh.to_arrow(t.select("month").distinct())["month"].to_pylist():
            if v is not None:
                found.add((v.year, v.month))
    return sorted(found)


def check_month(wh: Warehouse, year: int, month: int) -> None:
    """Refuse a month without monthly data (a future month, one before the records): an
    :class:`InputError` naming the months that have data."""
    have = data_months(wh)
    if not have:
        raise InputError(
            "仓库中没有月度数据 (the warehouse holds no monthly data); 请先导入 / import some first"
        )
    if (year, month) not in have:
        raise InputError(
            f"{year}-{month:02d} 没有月度数据 (no monthly data for {year}-{month:02d}); "
            f"有数据的月份 / months with data: {months_text(have)}"
        )


def check_park(wh: Warehouse, park_id: str) -> None:
    """Refuse an unknown park id, naming the valid ones (``_zone`` is the whole zone)."""
    known = parks(wh)
    if park_id == ZONE_ID or any(p.park_id == park_id for p in known):
        return
    valid = ", ".join(f"{p.park_id} ({p.name})" for p in known)
    raise InputError(
        f"未知园区 '{park_id}' (unknown park {park_id!r}); 可用 / valid: {valid}, {ZONE_ID} (全区 / whole zone)"
    )


def reporting_enterprises(wh: Warehouse, year: int, month: int) -> int:
    """How many enterprises (attributed to a park) filed a monthly report in January..*month* of
    *year*: the scope (月报企业口径) of every ``enterprise_months`` indicator's 累计."""
    t = wh.table("enterprise_months")
    t = t.filter((t.month >= dt.date(year, 1, 1)) & (t.month <= dt.date(year, month, 1)))
    ent = wh.table("enterprises").select(e_uscc="uscc", park_id="park_id")
    joined = t.join(ent, t.uscc == ent.e_uscc).filter(ent.park_id.notnull())
    got: pa.Table = wh.to_arrow(joined.aggregate(n=joined.uscc.nunique()))
    return int(got["n"][0].as_py() or 0)


def scope_note(wh: Warehouse, year: int, month: int) -> str:
    """One bilingual line: the monthly-report scope and its size, for titles and reports."""
    n = reporting_enterprises(wh, year, month)
    return f"企业月报指标为月报企业口径 ({n:,} 家) / monthly-reporting firms only ({n:,})"
