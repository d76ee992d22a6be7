"""Shared building blocks of the portrait queries: active firms, their latest-year figures, dimensions.

Everything here returns Ibis expressions, so it runs on every warehouse engine. Money stays in fen
(int64 sums are exact); ratios are computed afterwards in Python from the exact aggregates, so
every engine gives the same floats.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.chains import ChainSet
from zonebrain.core.errors import InputError
from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse

INACTIVE: Final = ("注销", "吊销", "迁出")
"""Statuses of firms no longer operating in the zone (as in :func:`zonebrain.portrait.zone_summary`)."""

MEASURES: Final = ("revenue_fen", "output_fen", "tax_fen", "rd_expense_fen", "employees")
"""The yearly indicators of the portrait (money in fen, employees in persons)."""

MONEY: Final = ("revenue_fen", "output_fen", "tax_fen", "rd_expense_fen")


def active_firms(wh: Warehouse, park: str | None = None) -> ir.Table:
    """Enterprises operating in the zone (or one park): not 注销/吊销/迁出."""
    ent = wh.table("enterprises")
    ent = ent.filter(ent.status.isnull() | ~ent.status.isin(list(INACTIVE)))
    if park is not None:
        ent = ent.filter(ent.park_id == park)
    return ent


def check_park(wh: Warehouse, park: str | None) -> str | None:
    """*park* as a park_id (accepts the id, the short or the full Chinese name); raise if unknown."""
    if park is None:
        return None
    rows = wh.to_arrow(wh.table("parks").select("park_id", "short_name", "name_zh")).to_pylist()
    for r in rows:
        if park in (r["park_id"], r["short_name"], r["name_zh"]):
            return str(r["park_id"])
    known = ", ".join(f"{r['park_id']} ({r['short_name']})" for r in rows)
    raise InputError(f"未知园区 '{park}' / unknown park; 可用 / known: {known or '无 none'}")


def year_figures(wh: Warehouse, year: int | None) -> ir.Table:
    """uscc and the :data:`MEASURES` of *year* (no rows when *year* is None)."""
    years = wh.table("enterprise_years")
    if year is None:
        return years.filter(ibis.literal(False)).select("uscc", *MEASURES)
    return years.filter(years.year == year).select("uscc", *MEASURES)


def firm_facts(wh: Warehouse, year: int | None, park: str | None = None) -> ir.Table:
    """One row per active firm: uscc, name, park_id, industry_code, registered_on and *year*'s measures."""
    firms = active_firms(wh, park)
    figures = year_figures(wh, year)
    joined = firms.left_join(figures, "uscc")
    return joined.select(
        firms.uscc,
        firms.name,
        firms.park_id,
        firms.industry_code,
        firms.registered_on,
        *[figures[m] for m in MEASURES],
    )


def measure_sums(uscc: str = "uscc") -> dict[str, ir.Value]:
    """Aggregations: distinct firms and the exact sums of every measure (0 when empty)."""
    out: dict[str, ir.Value] = {"enterprises": ibis._[uscc].nunique()}
    for m in MEASURES:
        out[m] = ibis._[m].sum().fill_null(0).cast("int64")
    return out


@cache
def _division_dimension() -> pa.Table:
    cls = gbt4754()
    classes = cls.level("class")
    return pa.table(
        {
            "industry_code": [c.code for c in classes],
            "division": [c.code[:2] for c in classes],
            "division_name": [cls.get(c.code[:2]).name for c in classes],
            "section": [cls.section_of(c.code) for c in classes],
            "section_name": [cls.get(cls.section_of(c.code)).name for c in classes],
        }
    )


def division_dimension() -> ir.Table:
    """GB/T 4754 classes with their division and section, as an Ibis memtable."""
    return ibis.memtable(_division_dimension())


def node_dimension(chains: ChainSet) -> pa.Table:
    """chain_id, chain_name, node_id, node_name, stage (上游/中游/下游), position (order in the file)."""
    rows = [
        {
            "chain_id": c.id,
            "chain_name": c.name_zh,
            "node_id": n.id,
            "node_name": n.name_zh,
            "stage": n.stage.value,
            "position": i,
        }
        for c in chains
        for i, n in enumerate(c.nodes)
    ]
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("chain_id", pa.string()),
                ("chain_name", pa.string()),
                ("node_id", pa.string()),
                ("node_name", pa.string()),
                ("stage", pa.string()),
                ("position", pa.int64()),
            ]
        ),
    )


def memberships(wh: Warehouse) -> ir.Table:
    """uscc, chain_id, node_id of the stored memberships (see :func:`zonebrain.chains.classify_zone`)."""
    return wh.table("enterprise_chain_nodes").select("uscc", "chain_id", "node_id")


def share(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or not whole:
        return None
    return float(part) / float(whole)


def cagr(first: float | int | None, last: float | int | None, years: int) -> float | None:
    """Compound annual growth rate over *years* intervals; None when undefined (no base, no span)."""
    if years <= 0 or first is None or last is None or first <= 0 or last < 0:
        return None
    return float((float(last) / float(first)) ** (1.0 / years) - 1.0)


def with_column(table: pa.Table, name: str, values: list[float | None] | list[str | None]) -> pa.Table:
    kind = pa.string() if any(isinstance(v, str) for v in values) else pa.float64()
    return table.append_column(name, pa.array(values, kind))


def sort_rows(table: pa.Table, *keys: str) -> pa.Table:
    """*table* sorted by *keys* (``-name``: descending, numbers only), nulls last, text by code point:
    the same order on every engine whatever its collation or null ordering."""

    def key(row: dict[str, Any]) -> tuple[tuple[bool, Any], ...]:
        parts = []
        for k in keys:
            name = k.removeprefix("-")
            value = row[name]
            if value is not None and k.startswith("-"):
                value = -value
            parts.append((value is None, 0 if value is None else value))
        return tuple(parts)

    return pa.Table.from_pylist(sorted(table.to_pylist(), key=key), schema=table.schema)
