"""企业: find enterprises (within the user's scope) and one enterprise's whole profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal, scope_key
from zonebrain.web._errors import Forbidden, NotFound
from zonebrain.web._i18n import pick
from zonebrain.web._queries._common import chain_usccs, labels_by_uscc, park_names, year_of
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

LIST_COLUMNS = [
    Col("uscc", "col.uscc", "link"),
    Col("name", "col.name"),
    Col("park", "col.park"),
    Col("industry_code", "col.industry_code"),
    Col("class_name", "col.class_name"),
    Col("status", "col.status"),
    Col("registered_on", "col.registered_on", "date"),
]
FINANCE_COLUMNS = [
    Col("year", "col.year"),
    Col("revenue_fen", "col.revenue", "fen"),
    Col("output_fen", "col.output", "fen"),
    Col("tax_fen", "col.tax", "fen"),
    Col("profit_fen", "col.profit", "fen"),
    Col("rd_expense_fen", "col.rd_expense", "fen"),
    Col("export_fen", "col.export", "fen"),
    Col("employees", "col.employees", "int"),
    Col("patents", "col.patents", "int"),
    Col("invention_patents", "col.invention_patents", "int"),
]
EVENT_COLUMNS = [Col("date", "col.date", "date"), Col("kind", "col.event_kind"), Col("detail", "col.detail")]
MAX_PAGE = 500
PAGE_SIZE = 50
"""Rows per page of the enterprise list (the page's pager counts with it)."""


def _class_name(code: str | None) -> str:
    cls = gbt4754()
    return cls.get(code).name if code and code in cls else ""


def search(
    ctx: WebContext,
    p: Principal,
    locale: str,
    *,
    q: str = "",
    park: str | None = None,
    chain: str | None = None,
    page: int = 1,
    size: int | None = PAGE_SIZE,
) -> DataTable:
    """Enterprises matching *q* (name or USCC prefix) that *p* may see, newest first, one page of *size*."""
    p.require(Perm.ENTERPRISES)
    page = max(1, page)
    year = year_of(ctx)
    on_chain = chain_usccs(ctx, chain) if chain else None
    finance = p.can(Perm.FINANCE)
    if size is not None:  # None: every matching row (the Excel export)
        size = max(1, min(size, MAX_PAGE))

    def compute(wh: Warehouse) -> tuple[int, list[dict[str, Any]]]:
        ent = p.scope_enterprises(wh.table("enterprises"))
        if q.strip():
            text = q.strip()
            ent = ent.filter(ent.name.contains(text) | ent.uscc.startswith(text.upper()))
        if park:
            ent = ent.filter(ent.park_id == park)
        if on_chain is not None:
            ent = ent.semi_join(on_chain, "uscc")
        total = int(wh.to_arrow(ent.aggregate(n=ibis._.uscc.count()))["n"][0].as_py())
        cols = ["uscc", "name", "park_id", "industry_code", "status", "registered_on"]
        expr = ent.select(*cols)
        if finance:
            y = wh.table("enterprise_years")
            fin = y.filter(y.year == (year or 0)).select("uscc", "revenue_fen")
            expr = expr.left_join(fin, "uscc").select(*[expr[c] for c in cols], fin.revenue_fen)
        expr = expr.order_by([ibis.desc("registered_on"), "uscc"])
        if size is not None:
            expr = expr.limit(size, offset=(page - 1) * size)
        return total, wh.to_arrow(expr).to_pylist()

    if size is None:  # an export is not kept in the cache
        with ctx.pool.reader() as wh:
            total, cached = compute(wh)
    else:
        key = ("search", scope_key(p), q.strip(), park, chain, page, size, finance, year)
        total, cached = ctx.cache.get(key, compute)
    found = [dict(r) for r in cached]  # the cached rows stay untouched
    names = park_names(ctx, locale)
    for r in found:
        r["park"] = names.get(r["park_id"], r["park_id"])
        r["class_name"] = _class_name(r["industry_code"])
    columns = LIST_COLUMNS + ([Col("revenue_fen", "col.revenue", "fen")] if finance else [])
    return DataTable(
        "enterprises",
        "enterprises.list_title" if finance else "enterprises.list_title_plain",
        columns,
        found,
        total=total,
        title_params={"year": year or "-"},
    )


def _by_uscc(
    ctx: WebContext, table: str, columns: tuple[str, ...], order: str, *, descending: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """A small per-firm table (tags, events) grouped by USCC: one query per data version."""

    def compute(wh: Warehouse) -> dict[str, list[dict[str, Any]]]:
        t = wh.table(table)
        key = ibis.desc(order) if descending else order
        out: dict[str, list[dict[str, Any]]] = {}
        for r in wh.to_arrow(t.select("uscc", *columns).order_by(["uscc", key])).to_pylist():
            out.setdefault(r.pop("uscc"), []).append(r)
        return out

    return ctx.cache.get(("by_uscc", table), compute)


def _registry_row(wh: Warehouse, uscc: str) -> ir.Table:
    ent = wh.table("enterprises")
    return ent.filter(ent.uscc == uscc)


def _finance_rows(wh: Warehouse, uscc: str) -> ir.Table:
    y = wh.table("enterprise_years")
    return y.filter(y.uscc == uscc).order_by("year")


def _one(ctx: WebContext, p: Principal, uscc: str) -> dict[str, Any]:
    """The registry row of *uscc* if *p* may see it: 404 when unknown, 403 when out of scope."""
    p.require(Perm.ENTERPRISES)
    code = uscc.strip().upper()

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = wh.lookup("web.enterprise", _registry_row, code).to_pylist()
        return rows

    found = ctx.cache.get(("enterprise", code), compute)
    if not found:
        if p.uscc_scope is not None or p.park_scope is not None:
            raise Forbidden()  # a scoped user learns nothing about firms outside the scope
        raise NotFound()
    row: dict[str, Any] = dict(found[0])
    if not p.may_see(row["park_id"], row["uscc"]):
        raise Forbidden()
    return row


def profile(ctx: WebContext, p: Principal, uscc: str, locale: str) -> dict[str, Any]:
    """Registry, tags, chain nodes, events (and with the finance permission: yearly finance)."""
    row = _one(ctx, p, uscc)
    code = row["uscc"]
    mine = labels_by_uscc(ctx).get(code, [])
    chains = []
    for x in mine:
        if x["chain"] not in ctx.chains:
            continue
        ch = ctx.chains[x["chain"]]
        node = ctx.chains.node(x["chain"], x["node"])
        chains.append(
            {
                "chain": x["chain"],
                "chain_name": pick(locale, ch.name_zh, ch.name_en),
                "node": x["node"],
                "node_name": pick(locale, node.name_zh, node.name_en),
                "confidence": x["confidence"],
                "reason": x["reason"],
            }
        )

    tag_rows = _by_uscc(ctx, "enterprise_tags", ("tag", "since", "until"), "tag").get(code, [])
    registry = {k: v for k, v in row.items() if k not in ("source", "batch_id", "loaded_at")}
    registry["park"] = park_names(ctx, locale).get(row["park_id"], row["park_id"])
    registry["class_name"] = _class_name(row["industry_code"])
    return {
        "registry": registry,
        "tags": [dict(t) for t in tag_rows],
        "chains": chains,
        "finance_visible": p.can(Perm.FINANCE),
    }


def finance(ctx: WebContext, p: Principal, uscc: str) -> DataTable:
    p.require(Perm.FINANCE)
    row = _one(ctx, p, uscc)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = wh.lookup("web.finance", _finance_rows, row["uscc"]).to_pylist()
        return rows

    found = [dict(r) for r in ctx.cache.get(("finance", row["uscc"]), compute)]
    return DataTable(
        f"finance_{row['uscc']}",
        "enterprise.finance_title",
        FINANCE_COLUMNS,
        found,
        title_params={"name": row["name"]},
    )


def events(ctx: WebContext, p: Principal, uscc: str) -> DataTable:
    row = _one(ctx, p, uscc)

    found = [
        dict(r)
        for r in _by_uscc(ctx, "events", ("date", "kind", "detail"), "date", descending=True).get(
            row["uscc"], []
        )
    ]
    return DataTable(
        f"events_{row['uscc']}",
        "enterprise.events_title",
        EVENT_COLUMNS,
        found,
        title_params={"name": row["name"]},
    )
