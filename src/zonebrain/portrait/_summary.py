"""The zone summary: enterprises per park, revenue by GB/T 4754 section, the top classes.

Written once as Ibis expressions, so it runs on every warehouse engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse


@cache
def _class_dimension() -> pa.Table:
    classes = gbt4754().level("class")
    cls = gbt4754()
    return pa.table(
        {
            "industry_code": [c.code for c in classes],
            "class_name": [c.name for c in classes],
            "section": [cls.section_of(c.code) for c in classes],
            "section_name": [cls.get(cls.section_of(c.code)).name for c in classes],
        }
    )


def industry_dimension() -> ir.Table:
    """GB/T 4754 classes with their section, as an Ibis memtable any engine can join."""
    return ibis.memtable(_class_dimension())


@dataclass
class ZoneSummary:
    year: int | None
    """The latest year with finance data (the year revenue figures refer to)."""
    by_park: pa.Table
    """park_id, park (name), enterprises, revenue_fen."""
    by_section: pa.Table
    """section, section_name, enterprises, revenue_fen (descending revenue)."""
    top_classes: pa.Table
    """industry_code, class_name, enterprises, revenue_fen (top 10 by enterprises)."""
    enterprises: int


def latest_year(wh: Warehouse) -> int | None:
    value = wh.to_arrow(wh.table("enterprise_years").aggregate(y=ibis._.year.max()))["y"][0].as_py()
    return int(value) if value is not None else None


def _revenue(wh: Warehouse, year: int | None) -> ir.Table:
    years = wh.table("enterprise_years")
    if year is None:
        return years.filter(ibis.literal(False)).select("uscc", "revenue_fen")
    return years.filter(years.year == year).select("uscc", "revenue_fen")


def zone_summary(wh: Warehouse, top: int = 10) -> ZoneSummary:
    """Headline tables of the zone; revenue is the latest year's, in fen."""
    year = latest_year(wh)
    ent = wh.table("enterprises")
    active = ent.filter(ent.status.isnull() | ~ent.status.isin(["注销", "吊销", "迁出"]))
    rev = _revenue(wh, year)
    joined = active.left_join(rev, "uscc").select(
        active.uscc, active.park_id, active.industry_code, rev.revenue_fen
    )
    parks = wh.table("parks")
    per_park = joined.group_by("park_id").aggregate(
        enterprises=ibis._.uscc.count(), revenue_fen=ibis._.revenue_fen.sum().fill_null(0)
    )
    by_park = (
        parks.left_join(per_park, "park_id")
        .select(
            parks.park_id,
            park=parks.short_name,
            enterprises=per_park.enterprises.fill_null(0),
            revenue_fen=per_park.revenue_fen.fill_null(0),
        )
        .order_by(ibis.desc("enterprises"), "park_id")
    )
    dim = industry_dimension()
    with_dim = joined.left_join(dim, "industry_code")
    by_section = (
        with_dim.group_by(["section", "section_name"])
        .aggregate(enterprises=ibis._.uscc.count(), revenue_fen=ibis._.revenue_fen.sum().fill_null(0))
        .order_by(ibis.desc("revenue_fen"), "section")
    )
    top_classes = (
        with_dim.group_by(["industry_code", "class_name"])
        .aggregate(enterprises=ibis._.uscc.count(), revenue_fen=ibis._.revenue_fen.sum().fill_null(0))
        .order_by(ibis.desc("enterprises"), ibis.desc("revenue_fen"), "industry_code")
        .limit(top)
    )
    total = wh.to_arrow(active.aggregate(n=ibis._.uscc.count()))["n"][0].as_py()
    return ZoneSummary(
        year=year,
        by_park=wh.to_arrow(by_park),
        by_section=wh.to_arrow(by_section),
        top_classes=wh.to_arrow(top_classes),
        enterprises=int(total),
    )
