"""产业链图谱: each chain as a graph of nodes coloured by the zone's presence, and a node's firms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal, scope_key
from zonebrain.web._errors import NotFound
from zonebrain.web._i18n import pick
from zonebrain.web._queries._common import (
    PRESENT_MIN,
    active,
    chain_usccs,
    labels_by_node,
    memberships,
    park_names,
    year_of,
)
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.chains import ChainSpec
    from zonebrain.web._context import WebContext

STAGE_X = {"upstream": 0, "midstream": 1, "downstream": 2}


def presence(firms: int) -> str:
    """present (≥ 3 firms), thin (1-2) or absent (0); issue 5 replaces this with strength classes."""
    return "present" if firms >= PRESENT_MIN else "thin" if firms else "absent"


def chain_or_404(ctx: WebContext, chain_id: str) -> ChainSpec:
    if chain_id not in ctx.chains:
        raise NotFound()
    return ctx.chains[chain_id]


def node_counts(ctx: WebContext, chain_id: str, park: str | None = None) -> dict[str, int]:
    m = memberships(ctx)
    mask = pc.equal(m["chain"], chain_id)
    if park:
        mask = pc.and_(mask, pc.equal(m["park_id"], park))
    g = m.filter(mask).group_by("node").aggregate([("uscc", "count_distinct")])
    return dict(
        zip(g["node"].to_pylist(), (int(x) for x in g["uscc_count_distinct"].to_pylist()), strict=True)
    )


def chain_firm_counts(ctx: WebContext) -> dict[str, int]:
    m = memberships(ctx)
    g = m.group_by("chain").aggregate([("uscc", "count_distinct")])
    return dict(
        zip(g["chain"].to_pylist(), (int(x) for x in g["uscc_count_distinct"].to_pylist()), strict=True)
    )


def chain_list(ctx: WebContext, locale: str) -> list[dict[str, Any]]:
    firms = chain_firm_counts(ctx)
    out = []
    for ch in ctx.chains:
        counts = node_counts(ctx, ch.id)
        out.append(
            {
                "id": ch.id,
                "name": pick(locale, ch.name_zh, ch.name_en),
                "nodes": len(ch.nodes),
                "present": sum(1 for n in ch.nodes if presence(counts.get(n.id, 0)) == "present"),
                "firms": firms.get(ch.id, 0),
            }
        )
    return out


def graph(ctx: WebContext, chain_id: str, locale: str, park: str | None = None) -> dict[str, Any]:
    """Nodes (with stage, firm count and presence class) and edges of one chain."""
    ch = chain_or_404(ctx, chain_id)
    counts = node_counts(ctx, chain_id, park)
    per_stage: dict[str, int] = {}
    nodes = []
    for n in ch.nodes:
        stage = n.stage.en  # upstream / midstream / downstream
        row = per_stage.get(stage, 0)
        per_stage[stage] = row + 1
        firms = counts.get(n.id, 0)
        nodes.append(
            {
                "id": n.id,
                "name": pick(locale, n.name_zh, n.name_en),
                "stage": stage,
                "parent": n.parent,
                "firms": firms,
                "presence": presence(firms),
                "x": STAGE_X.get(stage, 1),
                "y": row,
            }
        )
    edges: list[dict[str, Any]] = [{"source": e.source, "target": e.target} for e in ch.edges]
    known = {n["id"] for n in nodes}
    edges += [{"source": n["parent"], "target": n["id"]} for n in nodes if n["parent"] in known]
    return {"id": ch.id, "name": pick(locale, ch.name_zh, ch.name_en), "nodes": nodes, "edges": edges}


NODE_COLUMNS = [
    Col("uscc", "col.uscc", "link"),
    Col("name", "col.name"),
    Col("park", "col.park"),
    Col("industry_code", "col.industry_code"),
    Col("confidence", "col.confidence", "float"),
]


def node_enterprises(ctx: WebContext, p: Principal, chain_id: str, node_id: str, locale: str) -> DataTable:
    """The firms of one node that *p* may see (revenue only with the finance permission)."""
    ch = chain_or_404(ctx, chain_id)
    if node_id not in {n.id for n in ch.nodes}:
        raise NotFound()
    year = year_of(ctx)
    confidence = {x["uscc"]: x["confidence"] for x in labels_by_node(ctx).get((chain_id, node_id), [])}
    on_node = chain_usccs(ctx, chain_id, node_id)
    finance = p.can(Perm.FINANCE)

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        ent = p.scope_enterprises(active(wh)).semi_join(on_node, "uscc")
        cols = ["uscc", "name", "park_id", "industry_code"]
        expr = ent.select(*cols)
        if finance:
            y = wh.table("enterprise_years")
            fin = y.filter(y.year == (year or 0)).select("uscc", "revenue_fen")
            expr = expr.left_join(fin, "uscc").select(*[expr[c] for c in cols], fin.revenue_fen)
        rows: list[dict[str, Any]] = wh.to_arrow(expr.order_by("name").limit(2000)).to_pylist()
        return rows

    key = ("node_firms", chain_id, node_id, scope_key(p), finance, year)
    found = [dict(r) for r in ctx.cache.get(key, compute)]
    names = park_names(ctx, locale)
    for r in found:
        r["park"] = names.get(r["park_id"], r["park_id"])
        r["confidence"] = confidence.get(r["uscc"])
    columns = NODE_COLUMNS + ([Col("revenue_fen", "col.revenue", "fen")] if finance else [])
    node = ctx.chains.node(chain_id, node_id)
    return DataTable(
        f"chain_{chain_id}_{node_id}",
        "chains.node_firms_title",
        columns,
        found,
        title_params={"node": pick(locale, node.name_zh, node.name_en)},
    )
