"""驾驶舱: headline figures per park and the chain × park strength heat map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from zonebrain.storage import Warehouse
from zonebrain.web._i18n import pick
from zonebrain.web._queries._common import (
    ABOVE_SCALE,
    HIGH_TECH,
    active,
    memberships,
    park_names,
    parks,
    rows,
    tagged,
    year_end,
    year_of,
)
from zonebrain.web._queries.chains import strength_key, strengths
from zonebrain.web._queries.portrait import check_year
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

PARK_COLUMNS = [
    Col("park", "col.park"),
    Col("enterprises", "col.enterprises", "int"),
    Col("high_tech", "col.high_tech", "int"),
    Col("above_scale", "col.above_scale", "int"),
    Col("revenue_fen", "col.revenue", "fen"),
    Col("tax_fen", "col.tax", "fen"),
    Col("rd_expense_fen", "col.rd_expense", "fen"),
    Col("employees", "col.employees", "int"),
]


def _park_figures(wh: Warehouse, year: int | None) -> list[dict[str, Any]]:
    ent = active(wh).select("uscc", "park_id")
    y = wh.table("enterprise_years")
    fin = y.filter(y.year == (year or 0)).select(
        "uscc", "revenue_fen", "tax_fen", "rd_expense_fen", "employees"
    )
    joined = ent.left_join(fin, "uscc").select(
        ent.uscc, ent.park_id, fin.revenue_fen, fin.tax_fen, fin.rd_expense_fen, fin.employees
    )
    money = joined.group_by("park_id").aggregate(
        enterprises=ibis._.uscc.count(),
        revenue_fen=ibis._.revenue_fen.sum().fill_null(0),
        tax_fen=ibis._.tax_fen.sum().fill_null(0),
        rd_expense_fen=ibis._.rd_expense_fen.sum().fill_null(0),
        employees=ibis._.employees.sum().fill_null(0),
    )
    out = {r["park_id"]: r for r in rows(wh, money)}
    day = year_end(year)  # tags valid at the end of the year shown, as the portrait and the KPI monitor
    for name, tags in (("high_tech", (HIGH_TECH,)), ("above_scale", ABOVE_SCALE)):
        counted = (
            ent.semi_join(tagged(wh, tags, day), "uscc").group_by("park_id").aggregate(n=ibis._.uscc.count())
        )
        for r in rows(wh, counted):
            out.setdefault(r["park_id"], {"park_id": r["park_id"]})[name] = r["n"]
    return list(out.values())


def park_table(ctx: WebContext, locale: str, year: int | None = None) -> DataTable:
    """The figures per park for the finance *year* (default: the latest); a year the warehouse
    holds no finance data for is refused (400), naming the years there are, as on the portrait."""
    check_year(ctx, year)
    year = year or year_of(ctx)
    figures = ctx.cache.get(("park_figures", year), lambda wh: _park_figures(wh, year))
    by_id = {f["park_id"]: f for f in figures}
    names = park_names(ctx, locale)
    out = []
    for p in parks(ctx):
        f = by_id.get(p["park_id"], {})
        out.append(
            {"park_id": p["park_id"], "park": names[p["park_id"]]}
            | {c.key: int(f.get(c.key) or 0) for c in PARK_COLUMNS if c.key != "park"}
        )
    out.sort(key=lambda r: (-r["enterprises"], r["park_id"]))
    return DataTable("parks", "overview.parks_title", PARK_COLUMNS, out, title_params={"year": year or "-"})


def totals(table: DataTable) -> dict[str, int]:
    return {c.key: sum(int(r[c.key]) for r in table.rows) for c in PARK_COLUMNS if c.key != "park"}


CLASS_ORDER = ("strong", "weak", "extension", "missing")
"""The heat map's classes, strongest first; a cell's class index is its position here."""


def heatmap(ctx: WebContext, locale: str) -> dict[str, Any]:
    """The chain strength heat map: per chain × park, the diagnosis' strength class and the firms.

    Each cell is ``[park index, chain index, class index, firms, nodes per class]``. A chain's class
    in a park is the strongest class among its nodes in that park's diagnosis
    (:func:`zonebrain.portrait.diagnose` with ``park=``, as the chain graph's park filter): 强 when
    at least one node is strong (≥ 3 firms and LQ ≥ 1.2), 弱 when it has firms but no strong node,
    延 when it has no firm but an extension opportunity, 缺 otherwise. The cell's number is the
    park's firms on the chain; the tooltip adds the node counts per class. The parks are in the
    order of the park table and its bar chart (most firms first), so the cockpit reads one order.
    """
    m = memberships(ctx)
    names = park_names(ctx, locale)
    park_ids = [r["park_id"] for r in park_table(ctx, locale).rows]
    classes = {pid: strengths(ctx, pid) for pid in park_ids}
    key = ("heatmap", locale, tuple(park_ids))
    return ctx.cache.get(key, lambda _: _heatmap(ctx, m, names, park_ids, classes, locale))


def _heatmap(
    ctx: WebContext,
    m: Any,
    names: dict[str, str],
    park_ids: list[str],
    classes: dict[str, dict[tuple[str, str], str]],
    locale: str,
) -> dict[str, Any]:
    pairs = (
        m.select(["uscc", "park_id", "chain"])
        .group_by(["chain", "park_id"])
        .aggregate([("uscc", "count_distinct")])
    )
    counts = {
        (c, p): int(n)
        for c, p, n in zip(
            pairs["chain"].to_pylist(),
            pairs["park_id"].to_pylist(),
            pairs["uscc_count_distinct"].to_pylist(),
            strict=True,
        )
    }
    chains = list(ctx.chains)
    cells: list[list[Any]] = []
    most = 0
    for ci, ch in enumerate(chains):
        for pi, pid in enumerate(park_ids):
            per = dict.fromkeys(CLASS_ORDER, 0)
            for node in ch.nodes:
                per[strength_key(classes[pid].get((ch.id, node.id)))] += 1
            best = next((i for i, k in enumerate(CLASS_ORDER) if per[k]), len(CLASS_ORDER) - 1)
            firms = counts.get((ch.id, pid), 0)
            most = max(most, firms)
            cells.append([pi, ci, best, firms, per])
    return {
        "parks": [names[p] for p in park_ids],
        "chains": [pick(locale, ch.name_zh, ch.name_en) for ch in chains],
        "chain_ids": [ch.id for ch in chains],
        "classes": list(CLASS_ORDER),
        "cells": cells,
        "max": most,
    }


def heatmap_table(ctx: WebContext, locale: str) -> DataTable:
    h = heatmap(ctx, locale)
    cols = [Col("chain", "col.chain")] + [Col(f"p{i}", name, "int") for i, name in enumerate(h["parks"])]
    out: list[dict[str, Any]] = [{"chain": name} for name in h["chains"]]
    for pi, ci, _cls, n, _per in h["cells"]:
        out[ci][f"p{pi}"] = n
    return DataTable("chain_heatmap", "overview.heatmap_title", cols, out)
