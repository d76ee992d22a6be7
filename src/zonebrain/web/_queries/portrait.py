"""产业画像: the zone (or one park, one chain) by industry and over the years."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from zonebrain.core.errors import InputError
from zonebrain.portrait import industry_dimension
from zonebrain.portrait import portrait as domain_portrait
from zonebrain.storage import Warehouse
from zonebrain.web._queries._common import active, chain_usccs, park_names, rows, stored, year_of, years
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext


@dataclass(frozen=True)
class Filters:
    park: str | None = None
    chain: str | None = None
    year: int | None = None


SECTION_COLUMNS = [
    Col("section", "col.section"),
    Col("section_name", "col.section_name"),
    Col("enterprises", "col.enterprises", "int"),
    Col("revenue_fen", "col.revenue", "fen"),
    Col("tax_fen", "col.tax", "fen"),
]
CLASS_COLUMNS = [
    Col("industry_code", "col.industry_code"),
    Col("class_name", "col.class_name"),
    Col("enterprises", "col.enterprises", "int"),
    Col("revenue_fen", "col.revenue", "fen"),
    Col("tax_fen", "col.tax", "fen"),
]
TREND_COLUMNS = [
    Col("year", "col.year"),
    Col("enterprises", "col.reporting_firms", "int"),
    Col("revenue_fen", "col.revenue", "fen"),
    Col("tax_fen", "col.tax", "fen"),
    Col("rd_expense_fen", "col.rd_expense", "fen"),
    Col("employees", "col.employees", "int"),
]
PARK_COLUMNS = [
    Col("park", "col.park"),
    Col("enterprises", "col.enterprises", "int"),
    Col("revenue_fen", "col.revenue", "fen"),
]


def _base(wh: Warehouse, f: Filters, on_chain: ir.Table | None) -> ir.Table:
    ent = active(wh)
    if f.park:
        ent = ent.filter(ent.park_id == f.park)
    if on_chain is not None:
        ent = ent.semi_join(on_chain, "uscc")
    return ent.select("uscc", "park_id", "industry_code")


def _compute(wh: Warehouse, f: Filters, year: int | None, on_chain: ir.Table | None) -> dict[str, Any]:
    base = _base(wh, f, on_chain)
    y = wh.table("enterprise_years")
    fin = y.filter(y.year == (year or 0)).select("uscc", "revenue_fen", "tax_fen")
    joined = base.left_join(fin, "uscc").select(
        base.uscc, base.park_id, base.industry_code, fin.revenue_fen, fin.tax_fen
    )
    dim = industry_dimension()
    with_dim = joined.left_join(dim, "industry_code")
    sums = {
        "enterprises": ibis._.uscc.count(),
        "revenue_fen": ibis._.revenue_fen.sum().fill_null(0),
        "tax_fen": ibis._.tax_fen.sum().fill_null(0),
    }
    by_section = (
        with_dim.group_by(["section", "section_name"])
        .aggregate(**sums)
        .order_by(ibis.desc("revenue_fen"), "section")
    )
    by_class = (
        with_dim.group_by(["industry_code", "class_name"])
        .aggregate(**sums)
        .order_by(ibis.desc("revenue_fen"), "industry_code")
        .limit(20)
    )
    by_park = (
        joined.group_by("park_id")
        .aggregate(enterprises=ibis._.uscc.count(), revenue_fen=ibis._.revenue_fen.sum().fill_null(0))
        .order_by("park_id")
    )
    return {"sections": rows(wh, by_section), "classes": rows(wh, by_class), "parks": rows(wh, by_park)}


TREND_KEYS = tuple(c.key for c in TREND_COLUMNS)


def _zone_trend(wh: Warehouse, park: str | None, chains: Any) -> list[dict[str, Any]]:
    """The five-year trend of the zone or a park: :func:`zonebrain.portrait.portrait`'s own table,
    the one the Word report and ``portrait show`` print (firms of any status reporting that year)."""
    trend = domain_portrait(wh, park=park, chains=chains).trend.to_pylist()
    return [{k: r[k] for k in TREND_KEYS} for r in trend]


def _chain_trend(
    wh: Warehouse, park: str | None, chain: str, on_chain: ir.Table, window: list[int]
) -> list[dict[str, Any]]:
    """The trend of a chain's firms over the domain's window, by the domain's definition: firms of
    any status reporting that year. The chain's firms are the stored memberships when
    ``classify-zone`` has run (every status), else those classified on the fly (active firms)."""
    if stored(wh):
        ecn = wh.table("enterprise_chain_nodes")
        on_chain = ecn.filter(ecn.chain_id == chain).select("uscc").distinct()
    ent = wh.table("enterprises")
    if park:
        ent = ent.filter(ent.park_id == park)
    firms = ent.select("uscc").semi_join(on_chain, "uscc")
    y = wh.table("enterprise_years")
    y = y.filter(y.year.isin(window or [-1]))
    expr = (
        firms.join(y, "uscc")
        .group_by("year")
        .aggregate(
            enterprises=ibis._.uscc.nunique(),
            **{k: ibis._[k].sum().fill_null(0).cast("int64") for k in TREND_KEYS[2:]},
        )
        .order_by("year")
    )
    return [{k: r[k] for k in TREND_KEYS} for r in rows(wh, expr)]


def trend(ctx: WebContext, f: Filters, on_chain: ir.Table | None) -> list[dict[str, Any]]:
    """The five-year trend for the filters (cached): the domain's for the zone or a park."""
    zone = ctx.cache.get(("portrait_trend", f.park), lambda wh: _zone_trend(wh, f.park, ctx.chains))
    if not f.chain or on_chain is None:
        return zone
    window = [
        int(r["year"])
        for r in ctx.cache.get(("portrait_trend", None), lambda wh: _zone_trend(wh, None, ctx.chains))
    ]
    chain = f.chain
    return ctx.cache.get(
        ("portrait_trend", f.park, chain), lambda wh: _chain_trend(wh, f.park, chain, on_chain, window)
    )


def check_year(ctx: WebContext, year: int | None) -> None:
    """Refuse a year the warehouse holds no finance data for (400 ``invalid_input``), naming the years
    that have data, instead of showing every sum as 0."""
    known = years(ctx)
    if year is None or year in known:
        return
    choices = ", ".join(str(y) for y in known) or "无 none"
    raise InputError(
        f"{year} 年没有财务数据 (no finance data for {year}); 可选年度 / years with data: {choices}"
    )


def portrait(ctx: WebContext, f: Filters) -> dict[str, Any]:
    """Tables of the portrait for the filters (cached per filter and data version)."""
    check_year(ctx, f.year)
    year = f.year or year_of(ctx)
    on_chain = chain_usccs(ctx, f.chain) if f.chain else None  # resolved outside the cached compute
    return ctx.cache.get(("portrait", f.park, f.chain, year), lambda wh: _compute(wh, f, year, on_chain)) | {
        "trend": trend(ctx, f, on_chain),
        "year": year,
        "years": years(ctx),
    }


def tables(ctx: WebContext, f: Filters, locale: str) -> dict[str, DataTable]:
    data = portrait(ctx, f)
    names = park_names(ctx, locale)
    params = {"year": data["year"] or "-"}
    parks = sorted(
        ({"park": names.get(r["park_id"], r["park_id"]), **r} for r in data["parks"]),
        key=lambda r: (-int(r["enterprises"]), str(r["park_id"])),
    )
    return {
        "sections": DataTable(
            "portrait_sections",
            "portrait.sections_title",
            SECTION_COLUMNS,
            data["sections"],
            title_params=params,
        ),
        "classes": DataTable(
            "portrait_classes", "portrait.classes_title", CLASS_COLUMNS, data["classes"], title_params=params
        ),
        "trend": DataTable("portrait_trend", "portrait.trend_title", TREND_COLUMNS, data["trend"]),
        "parks": DataTable(
            "portrait_parks", "portrait.parks_title", PARK_COLUMNS, parks, title_params=params
        ),
    }
