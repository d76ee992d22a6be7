"""产业链诊断 / diagnosis of every chain node: presence, LQ, relatedness density, strength, 链主, gaps.

The zone side comes from the stored memberships (``enterprise_chain_nodes``) and the latest-year
figures; the reference side from the city × class panel ``region_activity`` (falling back to
``reference_enterprises`` aggregated the same way when the panel is empty), a node being the sum of
its GB/T 4754 classes. Formulas and thresholds: docs/portrait.md.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Final, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from zonebrain.chains import ChainSet, load_chains
from zonebrain.complexity import ComplexityInputError, compute
from zonebrain.core.divisions import DivisionRegistry
from zonebrain.core.errors import CodeError, InputError
from zonebrain.portrait._facts import check_park, firm_facts, memberships, node_dimension, share
from zonebrain.portrait._summary import latest_year
from zonebrain.storage import Warehouse

ReferenceLevel = Literal["city", "province", "nation"]
Measure = Literal["firms", "revenue_fen", "employees"]
Basis = Literal["classes", "memberships"]
STRONG, WEAK, MISSING, EXTENSION = "强", "弱", "缺", "延"
LEADER_TAG: Final = "链主企业"
ZONE: Final = "ZONE"
"""The location code of the zone itself in the relatedness panel."""


class StrengthRules(BaseModel):
    """Thresholds of the strength classes (data, overridable; defaults justified in docs/portrait.md).

    * 强 strong: at least ``strong_min_firms`` firms **and** LQ ≥ ``strong_lq``;
    * 弱 weak: at least one firm, but not strong;
    * 延 extension opportunity: no firm, and relatedness density ≥ the ``extension_quantile`` of the
      zone's densities over all diagnosed nodes (default the median) and > 0;
    * 缺 missing: no firm otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    strong_lq: float = Field(default=1.2, gt=0, description="LQ from which a present node is strong")
    strong_min_firms: int = Field(default=3, ge=1, description="firms a strong node needs at least")
    extension_quantile: float = Field(default=0.5, ge=0, le=1, description="density quantile for 延")
    leaders: int = Field(default=3, ge=1, description="leading firms (链主) listed per node")
    min_reference_firms: int = Field(
        default=10, ge=1, description="reference firms below which a node's LQ (by firms) is flagged"
    )


@dataclass
class Diagnosis:
    """Per-node diagnosis tables (Arrow)."""

    year: int | None
    """Latest zone year (firms' figures)."""
    reference_year: int | None
    reference: str
    """e.g. ``city 410100 郑州市``."""
    measure: str
    rules: StrengthRules
    nodes: pa.Table
    """chain_id, chain_name, node_id, node_name, stage, firms, revenue_fen, chain_share, zone_value,
    reference_value, lq, lq_note (why the LQ is not to be trusted, else null), density, strength."""
    leaders: pa.Table
    """chain_id, node_id, node_name, rank, uscc, name, revenue_fen, is_chain_leader."""
    gaps: pa.Table
    """chain_id, chain_name, from_node, from_name, from_strength, to_node, to_name, to_strength, gap."""
    reference_zh: str = ""
    """The reference economy as Chinese text names it: ``郑州市 (410100)``, ``河南省 (410000)``, ``全国``."""
    basis: str = "memberships"
    """How the zone's node values were found: ``memberships`` or ``classes`` (see :func:`diagnose`)."""
    warnings: tuple[str, ...] = ()
    """Bilingual sentences on how far the LQs can be trusted (see :func:`lq_note`)."""


LQ_ABOVE_REFERENCE: Final = "参照值小于本区"
"""lq_note: the zone's node value exceeds the reference's, which contains the zone."""
LQ_THIN_REFERENCE: Final = "参照样本少"
"""lq_note: the reference has fewer firms in the node than ``StrengthRules.min_reference_firms``."""


def lq_note(zone_value: int, reference_value: int, measure: str, rules: StrengthRules) -> str | None:
    """Why a node's LQ is not to be trusted, or None. The reference economy (city, province or
    nation) contains the zone, so a zone value above the reference's means the reference registry
    misses the zone's firms or is incomplete; by firms, a handful of reference firms makes the
    LQ a ratio of small counts.

    >>> r = StrengthRules()
    >>> lq_note(559, 1, "firms", r), lq_note(5, 8, "firms", r), lq_note(5, 80, "firms", r)
    ('参照值小于本区', '参照样本少', None)
    """
    if reference_value <= 0:
        return None  # no LQ at all
    if zone_value > reference_value:
        return LQ_ABOVE_REFERENCE
    if measure == "firms" and reference_value < rules.min_reference_firms:
        return LQ_THIN_REFERENCE
    return None


def _warnings(
    nodes: list[dict[str, object]], zone_total: int, ref_total: int, label: str, measure: str
) -> tuple[str, ...]:
    """The sentences the reader sees before the LQs: a reference smaller than the zone, and how
    many nodes carry each note (the three largest LQs among them named)."""
    from zonebrain.portrait._labels import MONEY_COLUMNS, MONEY_UNIT, display_value

    zh_unit, en_unit = {"firms": (" 家", " firms"), "employees": (" 人", " employees")}.get(
        measure, (f" {MONEY_UNIT}", f" {MONEY_UNIT} (10,000 yuan)") if measure in MONEY_COLUMNS else ("", "")
    )
    out = []
    if ref_total and zone_total > ref_total:
        ref, zone = display_value(measure, ref_total), display_value(measure, zone_total)
        out.append(
            f"参照地区 {label} 的合计值 ({ref}{zh_unit}) 小于本区 ({zone}{zh_unit}), 而参照地区包含本区: 参照数据"
            "不完整或不含本区企业, 区位熵普遍偏高, 仅供参考; 请导入完整的参照数据 "
            f"(the reference {label} totals {ref}{en_unit}, less than the zone's {zone}{en_unit} although it "
            "contains the zone: the reference data is incomplete and the LQs are inflated; import a complete "
            "reference)"
        )
    for note, en in ((LQ_ABOVE_REFERENCE, "the zone's value exceeds the reference's"),
                     (LQ_THIN_REFERENCE, "too few reference firms")):  # fmt: skip
        hit = [(str(n["node_name"]), float(str(n["lq"] or 0))) for n in nodes if n["lq_note"] == note]
        if hit:
            hit.sort(key=lambda x: -x[1])
            named = "、".join(f"{name} ({lq:.2f})" for name, lq in hit[:3])
            out.append(
                f"{len(hit)} 个节点的区位熵不可靠 ({note}), 如 {named}; 这些节点的强弱判定仅供参考 "
                f"({len(hit)} nodes have an unreliable LQ: {en})"
            )
    return tuple(out)


def zone_code(wh: Warehouse) -> str:
    """The code of the zone *wh* holds (``parks``); the built-in zone's before any zone is loaded."""
    from zonebrain.registry._zone import held_zone

    return held_zone(wh).code


def reference_filter(level: ReferenceLevel, code: str) -> tuple[str, str | None]:
    """(label, region prefix) of the reference economy around the zone *code* (a county code)."""
    from zonebrain.core.divisions import divisions

    if level == "nation":
        return "nation 全国", None
    if level == "province":
        prov = code[:2] + "0000"
        return f"province {prov} {_name(divisions(), prov)}", code[:2]
    if level == "city":
        city = code[:4] + "00"
        return f"city {city} {_name(divisions(), city)}", city
    raise InputError(
        f"参照区域须为 city/province/nation / reference must be city, province or nation: {level}"
    )


def reference_name(level: ReferenceLevel, code: str) -> str:
    """The reference economy around the zone *code* in Chinese: ``郑州市 (410100)`` or ``全国``.

    >>> reference_name("city", "410172"), reference_name("nation", "410172")
    ('郑州市 (410100)', '全国')
    """
    from zonebrain.core.divisions import divisions

    if level == "nation":
        return "全国"
    region = code[:2] + "0000" if level == "province" else code[:4] + "00"
    name = _name(divisions(), region)
    return f"{name} ({region})" if name else region


def _name(reg: DivisionRegistry, code: str) -> str:
    try:
        return reg.get(code).name
    except CodeError:  # a code the registry does not know: the label shows the code only
        return ""


def class_nodes(chains: ChainSet) -> pa.Table:
    """industry_code → (chain_id, node_id): each node's GB/T 4754 classes."""
    rows = [
        {"industry_code": code, "chain_id": c.id, "node_id": n.id}
        for c in chains
        for n in c.nodes
        for code in n.classes
    ]
    schema = pa.schema([("industry_code", pa.string()), ("chain_id", pa.string()), ("node_id", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def reference_panel(wh: Warehouse, measure: Measure) -> tuple[ir.Table, int | None]:
    """region_code, industry_code, value (int64) of the reference panel and its year."""
    ra = wh.table("region_activity")
    years = wh.to_arrow(ra.filter(ra.measure == measure).aggregate(y=ra.year.max()))["y"][0].as_py()
    if years is not None:
        p = ra.filter((ra.measure == measure) & (ra.year == years))
        return p.select(region_code=p.region_code, industry_code=p.activity_code, value=p.value), int(years)
    ref = wh.table("reference_enterprises")
    value = ibis.literal(1, "int64") if measure == "firms" else ref[measure].fill_null(0).cast("int64")
    p = ref.select(region_code=ref.prefecture_code, industry_code=ref.industry_code, value=value)
    return p, None


def _region(p: ir.Table, prefix: str | None) -> ir.Table:
    if prefix is None:
        return p
    if len(prefix) == 2:
        return p.filter(p.region_code.substr(0, 2) == prefix)
    return p.filter(p.region_code == prefix)


def _zone_values(
    wh: Warehouse, facts: ir.Table, measure: Measure, nodes_of: ir.Table, key: str
) -> tuple[dict[tuple[str, str], int], int]:
    value = ibis._.uscc.nunique() if measure == "firms" else ibis._[measure].sum().fill_null(0).cast("int64")
    per_node = wh.to_arrow(facts.join(nodes_of, key).group_by(["chain_id", "node_id"]).aggregate(v=value))
    total = wh.to_arrow(facts.aggregate(v=value))["v"][0].as_py() or 0
    return {(r["chain_id"], r["node_id"]): int(r["v"] or 0) for r in per_node.to_pylist()}, int(total)


def diagnose(
    wh: Warehouse,
    *,
    chains: ChainSet | None = None,
    park: str | None = None,
    reference: ReferenceLevel = "city",
    measure: Measure = "firms",
    rules: StrengthRules | None = None,
    basis: Basis = "memberships",
) -> Diagnosis:
    """Diagnose every node of *chains* for the zone (or *park*) against a reference economy.

    LQ = (zone's node value / zone total) ÷ (reference node value / reference total), *measure*
    being firms, revenue or employees. The reference's node values are the sums of the node's GB/T
    4754 classes. The zone's come from its stored memberships (``basis="memberships"``, default: the
    same firms the presence columns count, so a node without firms has LQ 0) or, with
    ``basis="classes"``, through the classes exactly as the reference (same yardstick on both sides,
    but it may disagree with the presence columns). Density is the relatedness density of the zone (as one
    more location among the reference panel's cities) from :func:`zonebrain.complexity.compute`.
    """
    rules = rules or StrengthRules()
    chains = chains or load_chains()
    park = check_park(wh, park)
    year = latest_year(wh)
    facts = firm_facts(wh, year, park)
    label, prefix = reference_filter(reference, zone_code(wh))
    cn = ibis.memtable(class_nodes(chains))
    panel, ref_year = reference_panel(wh, measure)

    region = _region(panel, prefix)
    ref_total = (
        wh.to_arrow(region.aggregate(v=region.value.sum().fill_null(0).cast("int64")))["v"][0].as_py() or 0
    )
    ref_nodes = {
        (r["chain_id"], r["node_id"]): int(r["v"])
        for r in wh.to_arrow(
            region.join(cn, "industry_code")
            .group_by(["chain_id", "node_id"])
            .aggregate(v=ibis._.value.sum().fill_null(0).cast("int64"))
        ).to_pylist()
    }
    if basis == "classes":
        zone_nodes, zone_total = _zone_values(wh, facts, measure, cn, "industry_code")
    else:
        zone_nodes, zone_total = _zone_values(wh, facts, measure, memberships(wh), "uscc")

    presence = wh.to_arrow(
        facts.join(memberships(wh), "uscc")
        .group_by(["chain_id", "node_id"])
        .aggregate(
            firms=ibis._.uscc.nunique(), revenue_fen=ibis._.revenue_fen.sum().fill_null(0).cast("int64")
        )
    ).to_pylist()
    firms = {(r["chain_id"], r["node_id"]): (int(r["firms"]), int(r["revenue_fen"])) for r in presence}
    chain_rev = {
        r["chain_id"]: int(r["v"])
        for r in wh.to_arrow(
            facts.join(memberships(wh).select("uscc", "chain_id").distinct(), "uscc")
            .group_by("chain_id")
            .aggregate(v=ibis._.revenue_fen.sum().fill_null(0).cast("int64"))
        ).to_pylist()
    }

    density = _density(wh, panel, cn, zone_nodes)
    dim = node_dimension(chains).to_pylist()
    values = [density.get((d["chain_id"], d["node_id"]), 0.0) for d in dim]
    cut = _quantile(values, rules.extension_quantile)
    rows = []
    for d in dim:
        key = (d["chain_id"], d["node_id"])
        n_firms, revenue = firms.get(key, (0, 0))
        zv, rv = zone_nodes.get(key, 0), ref_nodes.get(key, 0)
        lq = (zv / zone_total) / (rv / ref_total) if zone_total and rv and ref_total else None
        dens = density.get(key, 0.0)
        if n_firms >= rules.strong_min_firms and lq is not None and lq >= rules.strong_lq:
            strength = STRONG
        elif n_firms > 0:
            strength = WEAK
        elif dens > 0 and dens >= cut:
            strength = EXTENSION
        else:
            strength = MISSING
        rows.append(
            {
                "chain_id": d["chain_id"],
                "chain_name": d["chain_name"],
                "node_id": d["node_id"],
                "node_name": d["node_name"],
                "stage": d["stage"],
                "firms": n_firms,
                "revenue_fen": revenue,
                "chain_share": share(revenue, chain_rev.get(d["chain_id"])),
                "zone_value": zv,
                "reference_value": rv,
                "lq": lq,
                "lq_note": lq_note(zv, rv, measure, rules),
                "density": dens,
                "strength": strength,
            }
        )
    nodes = pa.Table.from_pylist(rows, schema=NODE_SCHEMA)
    label_zh = reference_name(reference, zone_code(wh))
    return Diagnosis(
        year=year,
        reference_year=ref_year,
        reference=label,
        measure=measure,
        rules=rules,
        nodes=nodes,
        leaders=_leaders(wh, facts, chains, rules.leaders),
        gaps=_gaps(chains, nodes),
        reference_zh=label_zh,
        basis=basis,
        warnings=_warnings(rows, zone_total, ref_total, label_zh, measure),
    )


NODE_SCHEMA: Final = pa.schema(
    [
        ("chain_id", pa.string()),
        ("chain_name", pa.string()),
        ("node_id", pa.string()),
        ("node_name", pa.string()),
        ("stage", pa.string()),
        ("firms", pa.int64()),
        ("revenue_fen", pa.int64()),
        ("chain_share", pa.float64()),
        ("zone_value", pa.int64()),
        ("reference_value", pa.int64()),
        ("lq", pa.float64()),
        ("lq_note", pa.string()),
        ("density", pa.float64()),
        ("strength", pa.string()),
    ]
)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if q == 0.5:
        return float(statistics.median(values))
    s = sorted(values)
    return float(s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))])


def _density(
    wh: Warehouse, panel: ir.Table, cn: ir.Table, zone_nodes: dict[tuple[str, str], int]
) -> dict[tuple[str, str], float]:
    """Relatedness density of the zone for every node (0 when the panel cannot define it)."""
    ref = wh.to_arrow(
        panel.join(cn, "industry_code")
        .group_by(["region_code", "chain_id", "node_id"])
        .aggregate(value=ibis._.value.sum().fill_null(0).cast("int64"))
    ).to_pandas()
    zone = pd.DataFrame(
        [{"region_code": ZONE, "chain_id": c, "node_id": n, "value": v} for (c, n), v in zone_nodes.items()],
        columns=["region_code", "chain_id", "node_id", "value"],
    )
    data = pd.concat([ref, zone], ignore_index=True)
    data = data[data["value"] > 0]
    if data.empty or data["region_code"].nunique() < 2 or ZONE not in set(data["region_code"]):
        return {}
    data = data.assign(
        activity=data["chain_id"] + "/" + data["node_id"], value=data["value"].astype("float64")
    )
    data = data.sort_values(["region_code", "activity"]).reset_index(drop=True)
    try:
        result = compute(
            data, location="region_code", activity="activity", value="value", disconnected="largest"
        )
    except ComplexityInputError:  # a degenerate panel (e.g. one activity): no density
        return {}
    pairs = result.pairs
    pairs = pairs[pairs["region_code"] == ZONE]
    out: dict[tuple[str, str], float] = {}
    for activity, dens in zip(pairs["activity"], pairs["density"], strict=True):
        chain_id, node_id = str(activity).split("/", 1)
        out[(chain_id, node_id)] = 0.0 if pd.isna(dens) else float(dens)
    return out


def _leaders(wh: Warehouse, facts: ir.Table, chains: ChainSet, k: int) -> pa.Table:
    tags = wh.table("enterprise_tags")
    leader = (
        tags.filter(tags.tag == LEADER_TAG)
        .select("uscc")
        .distinct()
        .mutate(is_chain_leader=ibis.literal(True))
    )
    j = facts.join(memberships(wh), "uscc").select("chain_id", "node_id", "uscc", "name", "revenue_fen")
    j = j.left_join(leader, "uscc").select(
        "chain_id",
        "node_id",
        j.uscc,
        "name",
        "revenue_fen",
        is_chain_leader=leader.is_chain_leader.fill_null(False),
    )
    rows = wh.to_arrow(j).to_pylist()
    rows.sort(key=lambda r: (r["chain_id"], r["node_id"], -(r["revenue_fen"] or -1), r["uscc"]))
    names = {(c.id, n.id): n.name_zh for c in chains for n in c.nodes}
    out, rank, last = [], 0, None
    for r in rows:
        key = (r["chain_id"], r["node_id"])
        if key not in names:
            continue
        rank = rank + 1 if key == last else 1
        last = key
        if rank <= k:
            out.append({**r, "node_name": names[key], "rank": rank})
    schema = pa.schema(
        [
            ("chain_id", pa.string()),
            ("node_id", pa.string()),
            ("node_name", pa.string()),
            ("rank", pa.int64()),
            ("uscc", pa.string()),
            ("name", pa.string()),
            ("revenue_fen", pa.int64()),
            ("is_chain_leader", pa.bool_()),
        ]
    )
    return pa.Table.from_pylist([{f: r[f] for f in schema.names} for r in out], schema=schema)


def _gaps(chains: ChainSet, nodes: pa.Table) -> pa.Table:
    """Edges with one end present (强/弱) and the other weak, missing or an extension opportunity."""
    by = {(r["chain_id"], r["node_id"]): r for r in nodes.to_pylist()}
    present = (STRONG, WEAK)
    rows = []
    for c in chains:
        for e in c.edges:
            a, b = by.get((c.id, e.source)), by.get((c.id, e.target))
            if a is None or b is None:
                continue
            if a["strength"] in present and b["strength"] in (WEAK, MISSING, EXTENSION) and b is not a:
                gap = "下游需求薄弱/缺失"  # the customer node is the weak end
            elif b["strength"] in present and a["strength"] in (WEAK, MISSING, EXTENSION):
                gap = "上游供给薄弱/缺失"  # the supplier node is the weak end
            else:
                continue
            rows.append(
                {
                    "chain_id": c.id,
                    "chain_name": c.name_zh,
                    "from_node": e.source,
                    "from_name": a["node_name"],
                    "from_strength": a["strength"],
                    "to_node": e.target,
                    "to_name": b["node_name"],
                    "to_strength": b["strength"],
                    "gap": gap,
                }
            )
    schema = pa.schema(
        [(f, pa.string()) for f in ("chain_id", "chain_name", "from_node", "from_name", "from_strength")]
        + [(f, pa.string()) for f in ("to_node", "to_name", "to_strength", "gap")]
    )
    return pa.Table.from_pylist(rows, schema=schema)
