"""产业链图谱: each chain as a graph of nodes coloured by their diagnosed strength class, and a node's firms.

The strength classes are those of :func:`zonebrain.portrait.diagnose` (强 strong, 弱 weak, 缺 missing,
延 extension opportunity; rules in docs/portrait.md). The diagnosis reads the stored memberships
(``enterprise_chain_nodes``); until ``zonebrain chains classify-zone`` has filled that table, it is
given the memberships the web app classifies on the fly instead, so the classes always agree with
the firm counts the graph shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal, scope_key
from zonebrain.web._errors import NotFound
from zonebrain.web._i18n import pick
from zonebrain.web._queries._common import (
    active,
    chain_usccs,
    labels_by_node,
    memberships,
    memberships_stored,
    park_names,
    year_of,
)
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.chains import ChainSpec
    from zonebrain.web._context import WebContext

STAGE_X = {"upstream": 0, "midstream": 1, "downstream": 2}
STRENGTH_KEYS: Final = {"强": "strong", "弱": "weak", "延": "extension", "缺": "missing"}
"""The diagnosis' strength classes → the keys the page, the colours and the catalogue use."""


class _WithMemberships:
    """A warehouse whose ``enterprise_chain_nodes`` is the given memberships (everything else as is).

    Lets :func:`zonebrain.portrait.diagnose` run over the memberships classified on the fly while the
    stored table is still empty: it reads nothing else from it, and nothing is written.
    """

    def __init__(self, wh: Warehouse, rows: pa.Table) -> None:
        self._wh = wh
        self._rows = rows

    def table(self, name: str) -> ir.Table:
        if name == "enterprise_chain_nodes":
            return ibis.memtable(self._rows)
        return self._wh.table(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wh, name)


def _diagnosed(
    ctx: WebContext, park: str | None = None
) -> tuple[dict[tuple[str, str], str], tuple[str, ...]]:
    """The diagnosis of the zone or one park as the pages use it (cached): (chain, node) → the
    strength class, and the diagnosis' warnings."""
    from zonebrain.portrait import diagnose

    if memberships_stored(ctx):
        rows = None
    else:
        m = memberships(ctx)
        rows = pa.table(
            {"uscc": m["uscc"], "chain_id": m["chain"], "node_id": m["node"]},
            schema=pa.schema([("uscc", pa.string()), ("chain_id", pa.string()), ("node_id", pa.string())]),
        )

    def compute(wh: Warehouse) -> tuple[dict[tuple[str, str], str], tuple[str, ...]]:
        source = wh if rows is None else cast(Warehouse, _WithMemberships(wh, rows))
        d = diagnose(source, chains=ctx.chains, park=park)
        return {(r["chain_id"], r["node_id"]): str(r["strength"]) for r in d.nodes.to_pylist()}, d.warnings

    return ctx.cache.get(("diagnosis", park), compute)


def strengths(ctx: WebContext, park: str | None = None) -> dict[tuple[str, str], str]:
    """(chain, node) → the diagnosed strength class (强/弱/缺/延) for the zone or one park (cached)."""
    return _diagnosed(ctx, park)[0]


def lq_warnings(ctx: WebContext, park: str | None = None) -> tuple[str, ...]:
    """The diagnosis' sentences on how far its LQs (and so its 强 class) can be trusted: a reference
    smaller than the zone, nodes whose reference value is below the zone's or thin."""
    return _diagnosed(ctx, park)[1]


def strength_key(strength: str | None) -> str:
    return STRENGTH_KEYS.get(strength or "", "missing")


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
    """Each chain with its node count, nodes per strength class and the zone's firms on it."""
    firms = chain_firm_counts(ctx)
    classes = strengths(ctx)
    out = []
    for ch in ctx.chains:
        keys = [strength_key(classes.get((ch.id, n.id))) for n in ch.nodes]
        out.append(
            {
                "id": ch.id,
                "name": pick(locale, ch.name_zh, ch.name_en),
                "nodes": len(ch.nodes),
                **{key: keys.count(key) for key in STRENGTH_KEYS.values()},
                "firms": firms.get(ch.id, 0),
            }
        )
    return out


def graph(ctx: WebContext, chain_id: str, locale: str, park: str | None = None) -> dict[str, Any]:
    """Nodes (with stage, firm count and strength class) and edges of one chain."""
    ch = chain_or_404(ctx, chain_id)
    counts = node_counts(ctx, chain_id, park)
    classes = strengths(ctx, park)
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
                "strength": classes.get((ch.id, n.id), "缺"),
                "strength_key": strength_key(classes.get((ch.id, n.id))),
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
