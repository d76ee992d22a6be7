"""产业画像 / the portrait of the zone or one park.

Counts and money sums are Ibis aggregates run on the engine (exact int64 fen); shares, CAGR, HHI
and the top-10 share are computed afterwards in Python from those exact integers, so every engine
returns the same numbers. See docs/portrait.md for every definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import ibis
import pyarrow as pa

from zonebrain.chains import ChainSet, load_chains
from zonebrain.portrait._facts import (
    MEASURES,
    cagr,
    check_park,
    division_dimension,
    firm_facts,
    measure_sums,
    memberships,
    node_dimension,
    share,
    sort_rows,
    with_column,
)
from zonebrain.portrait._summary import latest_year
from zonebrain.storage import Warehouse

GROWTH_YEARS: Final = 5
"""The growth window: the last five years with data (CAGR over at most four intervals)."""

SIZE_BANDS: Final = (("大型", 400_000_000_00), ("中型", 20_000_000_00), ("小型", 3_000_000_00), ("微型", 0))
"""Size classes by latest-year revenue in fen (统计上大中小微型企业划分办法 2017, 工业 revenue bounds:
大型 ≥ 4 亿元, 中型 ≥ 2,000 万元, 小型 ≥ 300 万元, else 微型); firms without revenue are 无数据."""

ENTRY_EVENTS: Final = ("迁入",)
EXIT_EVENTS: Final = ("迁出", "注销", "吊销")


@dataclass
class Portrait:
    """The portrait tables (all Arrow). Money columns end in ``_fen``; see docs/portrait.md."""

    year: int | None
    """Latest year with finance data; the measures refer to it."""
    first_year: int | None
    """First year of the growth window."""
    park: str | None
    """park_id, or None for the whole zone."""
    totals: pa.Table
    """enterprises and every measure (one row)."""
    by_section: pa.Table
    """section, section_name, enterprises, measures…, revenue_share, revenue_cagr."""
    by_division: pa.Table
    """division, division_name, section, enterprises, measures…, revenue_share, revenue_cagr."""
    by_chain: pa.Table
    """chain_id, chain_name, enterprises, measures…, revenue_cagr."""
    by_node: pa.Table
    """chain_id, chain_name, node_id, node_name, stage, enterprises, measures…."""
    trend: pa.Table
    """year, enterprises (reporting that year), measures… (every firm of the zone/park, any status)."""
    growth: pa.Table
    """measure, first_year, last_year, first_value, last_value, cagr."""
    concentration: pa.Table
    """measure, firms (with a positive value), hhi (0–1), top10_share."""
    sizes: pa.Table
    """size_class, enterprises, revenue_fen."""
    tags: pa.Table
    """tag, enterprises, share (of the active firms)."""
    flows: pa.Table
    """year, registered, moved_in, exits (迁出/注销/吊销 events), net."""


def _all_firms(wh: Warehouse, park: str | None) -> ibis.Table:
    ent = wh.table("enterprises")
    return ent if park is None else ent.filter(ent.park_id == park)


def _years_window(wh: Warehouse, last: int | None) -> tuple[int | None, list[int]]:
    if last is None:
        return None, []
    years = wh.to_arrow(wh.table("enterprise_years").select("year").distinct())["year"].to_pylist()
    window = sorted(y for y in years if last - GROWTH_YEARS < y <= last)
    return window[0], window


def _growth_by(
    wh: Warehouse, park: str | None, key: list[str], first: int | None, last: int | None, dim: ibis.Table
) -> dict[tuple[str, ...], float | None]:
    """Revenue CAGR per *key* between *first* and *last* (firms of any status)."""
    if first is None or last is None or first == last:
        return {}
    ent = _all_firms(wh, park)
    y = wh.table("enterprise_years")
    y = y.filter(y.year.isin([first, last]))
    j = ent.select("uscc", "industry_code").join(y.select("uscc", "year", "revenue_fen"), "uscc")
    j = j.join(dim, "industry_code") if "section" in key or "division" in key else j
    g = wh.to_arrow(
        j.group_by([*key, "year"]).aggregate(revenue_fen=ibis._.revenue_fen.sum().fill_null(0).cast("int64"))
    ).to_pylist()
    values: dict[tuple[str, ...], dict[int, int]] = {}
    for r in g:
        values.setdefault(tuple(r[k] for k in key), {})[int(r["year"])] = int(r["revenue_fen"])
    return {k: cagr(v.get(first), v.get(last), last - first) for k, v in values.items()}


def _chain_growth(
    wh: Warehouse, park: str | None, first: int | None, last: int | None
) -> dict[str, float | None]:
    if first is None or last is None or first == last:
        return {}
    ent = _all_firms(wh, park).select("uscc")
    m = memberships(wh).select("uscc", "chain_id").distinct()
    y = wh.table("enterprise_years")
    y = y.filter(y.year.isin([first, last])).select("uscc", "year", "revenue_fen")
    j = ent.join(m, "uscc").join(y, "uscc")
    g = wh.to_arrow(
        j.group_by(["chain_id", "year"]).aggregate(
            revenue_fen=ibis._.revenue_fen.sum().fill_null(0).cast("int64")
        )
    ).to_pylist()
    values: dict[str, dict[int, int]] = {}
    for r in g:
        values.setdefault(r["chain_id"], {})[int(r["year"])] = int(r["revenue_fen"])
    return {k: cagr(v.get(first), v.get(last), last - first) for k, v in values.items()}


def portrait(
    wh: Warehouse,
    *,
    park: str | None = None,
    chains: ChainSet | None = None,
    as_of: dt.date | None = None,
) -> Portrait:
    """The portrait of the zone (or of *park*: id or name) in the latest year with finance data.

    Tags count when valid on *as_of* (default: 31 December of that year). Chain figures use the
    memberships stored by :func:`zonebrain.chains.classify_zone`.
    """
    park = check_park(wh, park)
    chains = chains or load_chains()
    year = latest_year(wh)
    first, window = _years_window(wh, year)
    facts = firm_facts(wh, year, park)
    dim = division_dimension()
    sums = measure_sums()

    totals = wh.to_arrow(facts.aggregate(**sums))
    zone_revenue = totals["revenue_fen"][0].as_py()

    with_dim = facts.left_join(dim, "industry_code")
    by_section = sort_rows(
        wh.to_arrow(with_dim.group_by(["section", "section_name"]).aggregate(**sums)),
        "-revenue_fen",
        "-enterprises",
        "section",
    )
    growth_s = _growth_by(wh, park, ["section"], first, year, dim)
    by_section = with_column(
        by_section, "revenue_share", [share(v, zone_revenue) for v in by_section["revenue_fen"].to_pylist()]
    )
    by_section = with_column(
        by_section, "revenue_cagr", [growth_s.get((s,)) for s in by_section["section"].to_pylist()]
    )

    by_division = sort_rows(
        wh.to_arrow(with_dim.group_by(["division", "division_name", "section"]).aggregate(**sums)),
        "-revenue_fen",
        "-enterprises",
        "division",
    )
    growth_d = _growth_by(wh, park, ["division"], first, year, dim)
    by_division = with_column(
        by_division,
        "revenue_share",
        [share(v, zone_revenue) for v in by_division["revenue_fen"].to_pylist()],
    )
    by_division = with_column(
        by_division, "revenue_cagr", [growth_d.get((d,)) for d in by_division["division"].to_pylist()]
    )

    nodes = ibis.memtable(node_dimension(chains))
    m = memberships(wh)
    in_chain = facts.join(m, "uscc")
    # a firm on two nodes of one chain counts once for the chain
    on_chain = facts.join(m.select("uscc", "chain_id").distinct(), "uscc")
    chain_names = nodes.select("chain_id", "chain_name").distinct()
    by_chain = wh.to_arrow(
        on_chain.group_by("chain_id")
        .aggregate(**sums)
        .join(chain_names, "chain_id")
        .select("chain_id", "chain_name", "enterprises", *MEASURES)
    )
    by_chain = sort_rows(by_chain, "-revenue_fen", "-enterprises", "chain_id")
    growth_c = _chain_growth(wh, park, first, year)
    by_chain = with_column(
        by_chain, "revenue_cagr", [growth_c.get(c) for c in by_chain["chain_id"].to_pylist()]
    )
    per_node = in_chain.group_by(["chain_id", "node_id"]).aggregate(**sums)
    by_node = wh.to_arrow(
        nodes.left_join(per_node, ["chain_id", "node_id"])
        .select(
            nodes.chain_id,
            nodes.chain_name,
            nodes.node_id,
            nodes.node_name,
            nodes.stage,
            nodes.position,
            enterprises=per_node.enterprises.fill_null(0),
            **{k: per_node[k].fill_null(0) for k in MEASURES},
        )
        .order_by(["chain_id", "position"])
        .drop("position")
    )

    trend = _trend(wh, park, window)
    growth = _growth(trend, first, year)
    firm_rows = wh.to_arrow(facts.select("uscc", *MEASURES))
    return Portrait(
        year=year,
        first_year=first,
        park=park,
        totals=totals,
        by_section=by_section,
        by_division=by_division,
        by_chain=by_chain,
        by_node=by_node,
        trend=trend,
        growth=growth,
        concentration=_concentration(firm_rows),
        sizes=_sizes(firm_rows),
        tags=_tags(wh, park, as_of or (dt.date(year, 12, 31) if year else dt.date.today()), totals),
        flows=_flows(wh, park),
    )


def _trend(wh: Warehouse, park: str | None, window: list[int]) -> pa.Table:
    ent = _all_firms(wh, park).select("uscc")
    y = wh.table("enterprise_years")
    y = y.filter(y.year.isin(window or [-1]))
    return sort_rows(wh.to_arrow(ent.join(y, "uscc").group_by("year").aggregate(**measure_sums())), "year")


def _growth(trend: pa.Table, first: int | None, last: int | None) -> pa.Table:
    by_year = {int(r["year"]): r for r in trend.to_pylist()}
    rows = []
    for m in ("enterprises", *MEASURES):
        a = by_year.get(first or -1, {}).get(m)
        b = by_year.get(last or -1, {}).get(m)
        span = (last - first) if first is not None and last is not None else 0
        rows.append(
            {
                "measure": m,
                "first_year": first,
                "last_year": last,
                "first_value": a,
                "last_value": b,
                "cagr": cagr(a, b, span),
            }
        )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("measure", pa.string()),
                ("first_year", pa.int32()),
                ("last_year", pa.int32()),
                ("first_value", pa.int64()),
                ("last_value", pa.int64()),
                ("cagr", pa.float64()),
            ]
        ),
    )


def _concentration(firms: pa.Table) -> pa.Table:
    rows = []
    for m in MEASURES:
        values = sorted((int(v) for v in firms[m].to_pylist() if v is not None and v > 0), reverse=True)
        total = sum(values)
        rows.append(
            {
                "measure": m,
                "firms": len(values),
                "hhi": (sum(v * v for v in values) / (total * total)) if total else None,
                "top10_share": (sum(values[:10]) / total) if total else None,
            }
        )
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("measure", pa.string()),
                ("firms", pa.int64()),
                ("hhi", pa.float64()),
                ("top10_share", pa.float64()),
            ]
        ),
    )


def _sizes(firms: pa.Table) -> pa.Table:
    order = [name for name, _ in SIZE_BANDS] + ["无数据"]
    count = dict.fromkeys(order, 0)
    revenue = dict.fromkeys(order, 0)
    for v in firms["revenue_fen"].to_pylist():
        if v is None:
            band = "无数据"
        else:
            band = next(name for name, low in SIZE_BANDS if v >= low)
            revenue[band] += int(v)
        count[band] += 1
    return pa.table(
        {
            "size_class": pa.array(order, pa.string()),
            "enterprises": pa.array([count[b] for b in order], pa.int64()),
            "revenue_fen": pa.array([revenue[b] for b in order], pa.int64()),
        }
    )


def _tags(wh: Warehouse, park: str | None, day: dt.date, totals: pa.Table) -> pa.Table:
    from zonebrain.portrait._facts import active_firms

    firms = active_firms(wh, park).select("uscc")
    t = wh.table("enterprise_tags")
    t = t.filter((t.since.isnull() | (t.since <= day)) & (t.until.isnull() | (t.until >= day)))
    g = wh.to_arrow(
        firms.join(t.select("uscc", "tag"), "uscc")
        .group_by("tag")
        .aggregate(enterprises=ibis._.uscc.nunique())
    )
    g = sort_rows(g, "-enterprises", "tag")
    n = totals["enterprises"][0].as_py()
    return with_column(g, "share", [share(v, n) for v in g["enterprises"].to_pylist()])


def _flows(wh: Warehouse, park: str | None) -> pa.Table:
    ent = _all_firms(wh, park)
    reg = wh.to_arrow(
        ent.filter(ent.registered_on.notnull())
        .group_by(year=ent.registered_on.year().cast("int32"))
        .aggregate(n=ibis._.uscc.count())
    ).to_pylist()
    ev = wh.table("events")
    ev = ev.filter(ev.kind.isin([*ENTRY_EVENTS, *EXIT_EVENTS]))
    moves = wh.to_arrow(
        ent.select("uscc")
        .join(ev, "uscc")
        .group_by([ev.kind, ibis._.date.year().cast("int32").name("year")])
        .aggregate(n=ibis._.uscc.nunique())
    ).to_pylist()
    years: dict[int, dict[str, int]] = {}
    for r in reg:
        years.setdefault(int(r["year"]), {})["registered"] = int(r["n"])
    for r in moves:
        col = "moved_in" if r["kind"] in ENTRY_EVENTS else "exits"
        slot = years.setdefault(int(r["year"]), {})
        slot[col] = slot.get(col, 0) + int(r["n"])
    rows = []
    for y in sorted(years):
        d = years[y]
        reg_n, mi, ex = d.get("registered", 0), d.get("moved_in", 0), d.get("exits", 0)
        rows.append({"year": y, "registered": reg_n, "moved_in": mi, "exits": ex, "net": reg_n + mi - ex})
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("year", pa.int32()),
                ("registered", pa.int64()),
                ("moved_in", pa.int64()),
                ("exits", pa.int64()),
                ("net", pa.int64()),
            ]
        ),
    )
