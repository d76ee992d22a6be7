"""招商机会 / Opportunity ranking of GB/T 4754 classes for the zone.

The zone becomes one more location next to the cities of ``region_activity``; relatedness density,
PCI and COG come from :func:`zonebrain.complexity.compute`. National class statistics (formation
rate, revenue per worker, tagged share) are set-based queries over ``reference_enterprises``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import rankdata

from zonebrain.chains import ChainSet, load_chains
from zonebrain.complexity import compute
from zonebrain.core.errors import InputError
from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse

from ._presets import COMPONENTS, resolve_weights, weights_table

INACTIVE: Final = ("注销", "吊销", "迁出")
"""Statuses of firms no longer operating in the zone (as in the portrait)."""
RD_TAGS: Final = ("高新技术企业", "科技型中小企业", "专精特新")
"""A reference firm carrying any of these tags (substring match) counts toward the R&D proxy."""
ZONE_MEASURES: Final = ("firms", "revenue_fen", "employees", "output_fen", "tax_fen")
FORMATION_YEARS: Final = 3
PERCENTILE: Final = ("density", "pci", "growth", "productivity", "rd")
"""Components scaled by their percentile rank among the candidate classes; the others are in [0, 1]."""
ALL_ZERO: Final = "all_zero"
"""The reason :func:`zonebrain.complexity.compute` gives a location or activity with only zeros."""
LISTED: Final = 20
"""How many left-out regions or classes the note names before ``…``."""
_KINDS: Final = {"location": ("地区", "regions"), "activity": ("行业小类", "industry classes")}


def check_zone_code(zone_code: str) -> str:
    """*zone_code* as a 6-digit division code (统计用区划代码) that the division table carries, or
    whose prefecture-level city it carries (it holds the cities, not every county: 洛阳高新区 410371
    is taken by its city 410300); anything else is refused."""
    from zonebrain.core.divisions import divisions

    code, reg = str(zone_code).strip(), divisions()
    if len(code) != 6 or not code.isdigit() or (code not in reg and code[:4] + "00" not in reg):
        raise InputError(
            f"未知园区代码 '{zone_code}'：须为 6 位行政区划代码，如 410172、410371 "
            f"(unknown zone code {zone_code!r}: use a 6-digit division code such as 410172 or 410371)"
        )
    return code


def zone_code_or_held(wh: Warehouse, zone_code: str | None) -> str:
    """*zone_code* checked, or when None the code of the zone *wh* holds (``parks``; the built-in
    zone's before any zone is loaded)."""
    from zonebrain.registry._zone import held_zone

    return check_zone_code(held_zone(wh).code if zone_code is None else zone_code)


def _label(kind: str, code: str) -> str:
    """A left-out code with its name: ``1462 酱油、食醋及类似制品制造``, ``410100 郑州市``."""
    from zonebrain.core.divisions import divisions

    classes, places = gbt4754(), divisions()
    if kind == "activity" and code in classes:
        return f"{code} {classes.get(code).name}"
    if kind == "location" and code in places:
        return f"{code} {places.get(code).name}"
    return code


def left_out_note(left_out: tuple[tuple[str, str], ...]) -> str | None:
    """One bilingual line naming the regions and classes left out because all their values are 0."""
    if not left_out:
        return None
    parts = []
    for kind, (zh, en) in _KINDS.items():
        codes = [c for k, c in left_out if k == kind]
        if not codes:
            continue
        named = ", ".join(_label(kind, c) for c in codes[:LISTED])
        more = f" … 等共 {len(codes)} 个 / {len(codes)} in all" if len(codes) > LISTED else ""
        parts.append(f"{zh} {en} ({len(codes)}): {named}{more}")
    return "本年度数值全为 0、未参与计算 (left out of this year, all values are 0) — " + "；".join(parts)


def _issue_notes(issues: pd.DataFrame) -> tuple[list[str], tuple[tuple[str, str], ...]]:
    """The complexity issues as notes: the all-zero rows as one line (and returned), the others each once."""
    zero = issues["reason"].astype(str) == ALL_ZERO
    left_out = tuple(
        (str(k), str(c)) for k, c in zip(issues.loc[zero, "kind"], issues.loc[zero, "label"], strict=True)
    )
    other = list(dict.fromkeys(issues.loc[~zero, "message"].astype(str)))
    note = left_out_note(left_out)
    return ([note] if note else []) + other, left_out


@dataclass(frozen=True)
class Opportunities:
    """The ranking (one row per class the zone does not yet hold), the scatter data and the weights."""

    table: pa.Table
    scatter: pa.Table
    weights: pa.Table
    zone_code: str
    year: int
    measure: str
    notes: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...] = ()
    """(kind, code) of the regions (``location``) and classes (``activity``) left out of the year
    because all their values are 0; :attr:`notes` names them in one line (:func:`left_out_note`)."""


def zone_values(wh: Warehouse, year: int, measure: str) -> ir.Table:
    """The zone's own activity by class: active firms counted, or a yearly figure summed (industry_code, value)."""
    if measure not in ZONE_MEASURES:
        raise InputError(
            f"未知指标 '{measure}' (unknown measure {measure!r}); 可选 / choose: {ZONE_MEASURES}"
        )
    ent = wh.table("enterprises")
    active = ent.filter(ent.status.isnull() | ~ent.status.isin(INACTIVE))
    if measure == "firms":
        return active.group_by("industry_code").aggregate(value=active.uscc.count().cast("int64"))
    fig = wh.table("enterprise_years")
    fig = fig.filter(fig.year == year)
    joined = active.join(fig, active.uscc == fig.uscc)
    return joined.group_by("industry_code").aggregate(value=joined[measure].sum().cast("int64"))


def class_statistics(wh: Warehouse, year: int) -> ir.Table:
    """National statistics per class from ``reference_enterprises`` (one set-based query).

    firms, new_firms (registered in the *FORMATION_YEARS* years up to *year*), revenue_fen and
    employees over firms reporting both, tagged (R&D proxy tags).
    """
    ref = wh.table("reference_enterprises")
    since = dt.date(year - FORMATION_YEARS + 1, 1, 1)
    both = ref.revenue_fen.notnull() & ref.employees.notnull() & (ref.employees > 0)
    tagged = ibis.literal(False)
    for tag in RD_TAGS:
        tagged = tagged | ref.tags.fill_null("").contains(tag)
    return ref.group_by("industry_code").aggregate(
        firms=ref.uscc.count().cast("int64"),
        new_firms=ibis.cases((ref.registered_on >= since, 1), else_=0).sum().fill_null(0).cast("int64"),
        revenue_fen=ibis.cases((both, ref.revenue_fen), else_=0).sum().cast("int64"),
        employees=ibis.cases((both, ref.employees), else_=0).sum().cast("int64"),
        tagged=ibis.cases((tagged, 1), else_=0).sum().fill_null(0).cast("int64"),
    )


def _zone_nodes(wh: Warehouse) -> set[tuple[str, str]]:
    t = wh.table("enterprise_chain_nodes")
    rows = wh.to_arrow(t.select("chain_id", "node_id").distinct()).to_pylist()
    return {(r["chain_id"], r["node_id"]) for r in rows}


def _pct(values: pd.Series) -> np.ndarray:
    v = values.fillna(values.min() if values.notna().any() else 0.0).to_numpy(np.float64)
    if v.size == 0:
        return v
    return np.asarray(rankdata(v, method="average") / v.size, dtype=np.float64)


class Ranking(NamedTuple):
    """What :func:`rank_opportunities` returns: the ranked classes, the notes for the reader
    and the (region, class) pairs the computation left out because all their values are 0."""

    frame: pd.DataFrame
    notes: list[str]
    left_out: tuple[tuple[str, str], ...]


def rank_opportunities(
    panel: pd.DataFrame,
    zone: pd.DataFrame,
    stats: pd.DataFrame,
    *,
    chains: ChainSet,
    zone_nodes: set[tuple[str, str]],
    zone_code: str,
    peer_prefix: str,
    weights: Mapping[str, float],
) -> Ranking:
    """The pure part of :func:`opportunities` (pandas in, pandas out; see there)."""
    zone = zone.rename(columns={"industry_code": "activity_code"})
    zone = zone[zone["value"] > 0].assign(region_code=zone_code)
    if zone.empty:
        raise InputError(
            "园区在该年度该指标下没有数据 (the zone has no activity for this year and measure); "
            "请先导入企业与年度数据 / import enterprises and enterprise_years first"
        )
    full = pd.concat(
        [panel[panel["region_code"] != zone_code], zone[["region_code", "activity_code", "value"]]]
    )
    result = compute(
        full, location="region_code", activity="activity_code", value="value", disconnected="largest"
    )
    notes, left_out = _issue_notes(result.issues)
    pairs = result.pairs
    mine = pairs[pairs["region_code"] == zone_code].set_index("activity_code")
    peers = pairs[(pairs["region_code"] != zone_code) & pairs["region_code"].str.startswith(peer_prefix)]
    n_peers = int(peers["region_code"].nunique())
    peer_share = peers.groupby("activity_code")["M"].mean() if n_peers else pd.Series(dtype=float)
    if not n_peers:
        notes.append(
            f"没有代码以 {peer_prefix} 开头的同类地区 (no peer regions under {peer_prefix}); peer_presence = 0"
        )
    pci = result.activities.set_index("activity_code")["pci"]

    cand = mine[mine["M"] == 0][["rca", "density", "cog"]].copy()
    cand["zone_value"] = (
        zone.set_index("activity_code")["value"].reindex(cand.index).fillna(0).astype(np.int64)
    )
    cand["peer_presence"] = peer_share.reindex(cand.index).fillna(0.0)
    cand["pci"] = pci.reindex(cand.index)
    st = stats.set_index("industry_code").reindex(cand.index)
    cand["growth"] = (st["new_firms"] / st["firms"]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rpw = st["revenue_fen"] / st["employees"].where(st["employees"] > 0)
    cand["revenue_per_worker_fen"] = rpw.round().astype("Int64")
    cand["productivity"] = rpw.astype(np.float64)
    cand["rd"] = (st["tagged"] / st["firms"]).astype(np.float64)

    node_of: dict[str, list[tuple[str, str]]] = {}
    for chain in chains:
        for node in chain.nodes:
            for code in node.classes:
                node_of.setdefault(code, []).append((chain.id, node.id))
    zone_chains = {c for c, _ in zone_nodes}
    if not zone_chains:
        notes.append(
            "尚无链节点归属（enterprise_chain_nodes 为空）：补链与链匹配为 0 (no chain memberships yet)"
        )
    nodes = [node_of.get(code, []) for code in cand.index]
    gaps = [[f"{c}/{n}" for c, n in ns if c in zone_chains and (c, n) not in zone_nodes] for ns in nodes]
    cand["chain_nodes"] = [";".join(f"{c}/{n}" for c, n in ns) for ns in nodes]
    cand["gap_nodes"] = [";".join(g) for g in gaps]
    cand["chain_gap"] = [1.0 if g else 0.0 for g in gaps]
    cand["strategic_fit"] = [1.0 if any(c in zone_chains for c, _ in ns) else 0.0 for ns in nodes]

    scaled = {c: (_pct(cand[c]) if c in PERCENTILE else cand[c].to_numpy(np.float64)) for c in COMPONENTS}
    group_score: dict[str, np.ndarray] = {}
    for group in ("feasibility", "attractiveness", "fit"):
        members = [c for c in COMPONENTS if COMPONENTS[c][0] == group]
        w = sum(weights[c] for c in members)
        total = np.zeros(len(cand))
        for c in members:
            total = total + weights[c] * scaled[c]
        group_score[group] = total / w if w > 0 else np.zeros(len(cand))
    cand["score"] = sum(weights[c] * scaled[c] for c in COMPONENTS)
    for group, values in group_score.items():
        cand[group] = values
    cand = cand.reset_index().rename(columns={"index": "activity_code"})
    names = gbt4754()
    cand["name"] = [names.get(c).name if c in names else "" for c in cand["activity_code"]]
    cand = cand.sort_values(["score", "activity_code"], ascending=[False, True], kind="stable")
    cand.insert(0, "rank", np.arange(1, len(cand) + 1, dtype=np.int64))
    if (stats["new_firms"].sum() if len(stats) else 0) == 0:
        notes.append(
            "参考企业库无近年新设企业：growth 无信息 (no recent formations in the reference registry)"
        )
    notes.append(
        "全国增长用近 3 年新设企业占比代替（仅一年面板）/ national growth is proxied by the share of firms formed "
        "in the last 3 years (the panel holds one year)"
    )
    columns = [
        "rank", "activity_code", "name", "score", "feasibility", "attractiveness", "fit", "density",
        "peer_presence", "pci", "cog", "growth", "revenue_per_worker_fen", "rd", "chain_gap",
        "strategic_fit", "chain_nodes", "gap_nodes", "rca", "zone_value",
    ]  # fmt: skip
    return Ranking(cand[columns].reset_index(drop=True), notes, left_out)


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Neutral Arrow types: text as ``string``, counts and fen as ``int64``, scores as ``float64``."""
    fields = []
    for name in frame.columns:
        if name in ("rank", "revenue_per_worker_fen", "zone_value"):
            fields.append(pa.field(name, pa.int64()))
        elif name in ("activity_code", "name", "chain_nodes", "gap_nodes"):
            fields.append(pa.field(name, pa.string()))
        else:
            fields.append(pa.field(name, pa.float64()))
    columns = {
        f.name: frame[f.name].astype(str).tolist() if f.type == pa.string() else frame[f.name] for f in fields
    }
    return pa.table(
        {
            k: pa.array(v, type=f.type, from_pandas=True)
            for (k, v), f in zip(columns.items(), fields, strict=True)
        }
    )


def opportunities(
    wh: Warehouse,
    *,
    year: int = 2024,
    measure: str = "revenue_fen",
    zone_code: str | None = None,
    peer_prefix: str | None = None,
    preset: str | None = "均衡",
    weights: Mapping[str, float] | None = None,
    chains: ChainSet | None = None,
) -> Opportunities:
    """Rank the GB/T 4754 classes the zone does not yet hold (Mcp = 0) as investment opportunities.

    * Panel: ``region_activity`` for *year* and *measure* (cities × classes) plus the zone itself as
      location *zone_code* (default the zone the warehouse holds), from its active ``enterprises``
      (firms) or ``enterprise_years`` (sums).
    * Feasibility: relatedness density (percentile among candidates) and the share of peer regions
      (codes starting with *peer_prefix*, default the zone's province) where the class is present.
    * Attractiveness: PCI, national formation rate (growth proxy), revenue per worker, R&D-tag share
      (percentiles), and chain-gap fill (1 when the class maps to a missing node of a zone chain).
    * Fit: 1 when the class maps to a node of one of the zone's chains.
    * score = Σ weight × component; weights from *preset* (稳妥/均衡/跨越) overridden by *weights*.
    """
    w = resolve_weights(preset, weights)
    zone_code = zone_code_or_held(wh, zone_code)
    if measure not in ZONE_MEASURES:
        raise InputError(
            f"未知指标 '{measure}' (unknown measure {measure!r}); 可选 / choose: {ZONE_MEASURES}"
        )
    peer_prefix = zone_code[:2] if peer_prefix is None else peer_prefix
    ra = wh.table("region_activity")
    panel = wh.to_arrow(
        ra.filter((ra.year == year) & (ra.measure == measure)).select("region_code", "activity_code", "value")
    ).to_pandas()
    if panel.empty:
        raise InputError(
            f"region_activity 中没有 {year} 年 {measure} 的数据 (no region_activity rows for year {year}, "
            f"measure {measure}); 请导入面板 / import a panel: zonebrain import panel FILE"
        )
    zone = wh.to_arrow(zone_values(wh, year, measure)).to_pandas()
    zone = zone.dropna(subset=["industry_code", "value"])
    stats = wh.to_arrow(class_statistics(wh, year)).to_pandas()
    frame, notes, left_out = rank_opportunities(
        panel,
        zone,
        stats,
        chains=chains if chains is not None else load_chains(),
        zone_nodes=_zone_nodes(wh),
        zone_code=zone_code,
        peer_prefix=peer_prefix,
        weights=w,
    )
    table = _to_arrow(frame)
    scatter = table.select(["activity_code", "name", "feasibility", "attractiveness", "score", "chain_gap"])
    return Opportunities(table, scatter, weights_table(w), zone_code, year, measure, tuple(notes), left_out)
