"""目标企业 / Candidate firms for a gap: set-based scoring over the reference registry.

One Ibis query does the work on any engine: filter ``reference_enterprises`` to the target classes,
drop firms already in the zone or in the pipeline, join recency-weighted expansion signals, score,
sort and cut. Only the cut rows come back to Python, where their reasons are written out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.chains import ChainSet, load_chains
from zonebrain.core.errors import InputError
from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse

SIGNAL_WEIGHTS: Final = MappingProxyType(
    {"新建厂房": 1.0, "新设分支机构": 0.8, "融资": 0.8, "增资": 0.5, "中标": 0.3}
)
"""How much one fresh signal of each kind says about expansion (a signal of weight w, age 0, adds w)."""
TAG_POINTS: Final = MappingProxyType(
    {"链主企业": 0.4, "专精特新小巨人": 0.4, "上市企业": 0.3, "高新技术企业": 0.3, "专精特新中小企业": 0.2,
     "瞪羚企业": 0.2, "科技型中小企业": 0.15}
)  # fmt: skip
"""Quality points per tag (substring match on ``tags``), summed and capped at 1."""
DEFAULT_WEIGHTS: Final = MappingProxyType({"fit": 0.30, "quality": 0.30, "signals": 0.25, "links": 0.15})
HALF_LIFE_DAYS: Final = 180
RELATED_FIT: Final = 0.5
"""Fit of a firm in the same GB/T 中类 (first three digits) as a target class but not in it."""
QUALITY_SIZE_SHARE: Final = 0.6
"""quality = 0.6 × revenue percentile + 0.4 × tag points."""


@dataclass(frozen=True)
class Target:
    """What the candidates should fill: class code → label of the gap (class or chain node)."""

    classes: Mapping[str, str]
    description: str


@dataclass(frozen=True)
class Candidates:
    """Ranked candidate firms with their reasons, the target they fill and the weights used."""

    table: pa.Table
    target: Target
    weights: Mapping[str, float]
    as_of: dt.date
    half_life_days: float


def _zone_nodes(wh: Warehouse) -> set[tuple[str, str]]:
    t = wh.table("enterprise_chain_nodes")
    return {
        (r["chain_id"], r["node_id"])
        for r in wh.to_arrow(t.select("chain_id", "node_id").distinct()).to_pylist()
    }


def resolve_target(
    wh: Warehouse,
    *,
    classes: Sequence[str] = (),
    node: str | None = None,
    all_gaps: bool = False,
    chains: ChainSet | None = None,
) -> Target:
    """The classes to search: explicit *classes*, a chain *node* (``chain/node``), or every gap node.

    A gap node is a node of a chain the zone takes part in (some member firm in
    ``enterprise_chain_nodes``) that has no member firm in the zone.
    """
    if sum((bool(classes), node is not None, all_gaps)) != 1:
        raise InputError(
            "请且只请指定一项：行业代码、链节点或全部缺链 (give exactly one of classes, node, all_gaps)"
        )
    if classes:
        names = gbt4754()
        for c in classes:
            names.get(c)  # CodeError (an InputError) naming the code and the fix
            if len(c) != 4:
                raise InputError(f"请填写4位小类代码 (give 4-digit GB/T 4754 classes, got {c!r})")
        return Target({c: c for c in classes}, "classes " + ",".join(classes))
    chains = chains if chains is not None else load_chains()
    if node is not None:
        chain_id, _, node_id = node.partition("/")
        spec = chains.node(chain_id, node_id)
        return Target({c: node for c in spec.classes}, f"node {node} {spec.name_zh}")
    present = _zone_nodes(wh)
    zone_chains = {c for c, _ in present}
    if not zone_chains:
        raise InputError(
            "园区尚无产业链归属，无法确定缺链节点 (no chain memberships in the zone, so no gaps are known); "
            "请先运行 / run: zonebrain chains classify"
        )
    mapping: dict[str, str] = {}
    for chain in chains:
        if chain.id not in zone_chains:
            continue
        for spec in chain.nodes:
            if (chain.id, spec.id) in present:
                continue
            for c in spec.classes:
                mapping.setdefault(c, f"{chain.id}/{spec.id}")
    return Target(mapping, "all gap nodes")


def _linked_classes(wh: Warehouse, chains: ChainSet) -> dict[str, str]:
    """Classes of nodes adjacent (a chain edge either way) to a node where the zone has firms → that node."""
    present = _zone_nodes(wh)
    out: dict[str, str] = {}
    for chain in chains:
        for edge in chain.edges:
            for here, there in ((edge.source, edge.target), (edge.target, edge.source)):
                if (chain.id, here) in present:
                    for c in chains.node(chain.id, there).classes:
                        out.setdefault(c, f"{chain.id}/{here}")
    return out


def _map(col: ir.StringValue, mapping: Mapping[str, object], default: object) -> ir.Value:
    if not mapping:
        return ibis.literal(default)
    return col.substitute(dict(mapping), else_=default)


def candidate_query(
    wh: Warehouse,
    target: Target,
    *,
    zone_code: str = "410172",
    as_of: dt.date,
    half_life_days: float = HALF_LIFE_DAYS,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    related: bool = True,
    exclude: Sequence[str] = (),
    provinces: Sequence[str] = (),
    min_revenue_fen: int | None = None,
    min_employees: int | None = None,
    tags: Sequence[str] = (),
    linked: Mapping[str, str] | None = None,
    limit: int | None = 100,
    per_class: int | None = None,
) -> ir.Table:
    """The scoring as one Ibis expression (no rows fetched); see :func:`candidates`."""
    if half_life_days <= 0:
        raise InputError(f"半衰期须为正 (half_life_days must be positive, got {half_life_days})")
    ref = wh.table("reference_enterprises")
    ent = wh.table("enterprises")
    codes = sorted(target.classes)
    # related classes (same 中类) are listed explicitly: a plain IN keeps the filter in the scan
    label: dict[str, str] = {}
    if related:
        groups = {c[:3]: target.classes[c] for c in reversed(codes)}
        for item in gbt4754():
            code = item.code
            if len(code) == 4 and code[:3] in groups and code not in target.classes:
                label[code] = groups[code[:3]]
    label.update(target.classes)
    keep = ref.industry_code.isin(sorted(label))
    if provinces:
        keep = keep & ref.province_code.isin([p[:2] + "0000" for p in provinces])
    if min_revenue_fen is not None:
        keep = keep & (ref.revenue_fen >= min_revenue_fen)
    if min_employees is not None:
        keep = keep & (ref.employees >= min_employees)
    for tag in tags:
        keep = keep & ref.tags.fill_null("").contains(tag)
    if exclude:
        keep = keep & ~ref.uscc.isin(sorted(set(exclude)))
    # score on narrow rows; the wide display columns are joined back only for the rows kept
    narrow = ref.filter(keep).select("uscc", "industry_code", "province_code", "revenue_fen", "tags")
    base = narrow.anti_join(ent, narrow.uscc == ent.uscc)

    sig = wh.table("reference_signals")
    fresh = sig.filter(sig.date <= as_of)
    age = ibis.literal(as_of).delta(fresh.date, unit="day")
    kind_w = _map(fresh.kind, SIGNAL_WEIGHTS, 0.0).cast("float64")
    per_firm = fresh.group_by(sig_uscc=fresh.uscc).aggregate(
        n_signals=fresh.uscc.count().cast("int64"),
        last_signal_on=fresh.date.max(),
        signal_strength=(
            kind_w * (ibis.literal(0.5, type="float64") ** (age.cast("float64") / float(half_life_days)))
        ).sum(),
    )
    j = base.left_join(per_firm, base.uscc == per_firm.sig_uscc)

    tag_text = j.tags.fill_null("")
    tag_points = ibis.literal(0.0)
    for tag, pts in TAG_POINTS.items():
        # 0/1 as an integer, then float: PostgreSQL would type a CASE over decimal literals as NUMERIC
        tag_points = tag_points + pts * ibis.cases((tag_text.contains(tag), 1), else_=0).cast("float64")
    strength = j.signal_strength.fill_null(0.0)
    province = zone_code[:2] + "0000"
    same_province = ibis.cases((j.province_code == province, 1), else_=0).cast("int64")  # no bool→int on PG
    linked = linked or {}
    chain_link = (
        ibis.cases((j.industry_code.isin(sorted(linked)), 1), else_=0).cast("int64")
        if linked
        else ibis.literal(0).cast("int64")
    )
    exact = j.industry_code.isin(codes)
    scored = j.mutate(
        fit=RELATED_FIT + (1 - RELATED_FIT) * ibis.cases((exact, 1), else_=0).cast("float64"),
        size_pct=ibis.percent_rank().over(order_by=[j.revenue_fen.fill_null(0)]),
        tag_points=ibis.least(tag_points, 1.0),
        signal_strength=strength,
        signals=1.0 - (-strength).exp(),
        same_province=same_province,
        chain_link=chain_link,
        links=0.5 * same_province.cast("float64") + 0.5 * chain_link.cast("float64"),
        n_signals=j.n_signals.fill_null(0),
    )
    scored = scored.mutate(
        quality=QUALITY_SIZE_SHARE * scored.size_pct + (1 - QUALITY_SIZE_SHARE) * scored.tag_points
    )
    scored = scored.mutate(
        score=weights["fit"] * scored.fit
        + weights["quality"] * scored.quality
        + weights["signals"] * scored.signals
        + weights["links"] * scored.links
    )
    floats = ("score", "fit", "quality", "signals", "links", "size_pct", "tag_points", "signal_strength")
    # PostgreSQL types CASE/POWER over decimal literals as NUMERIC: cast every score to float64
    out = scored.select(
        "uscc", *(scored[c].cast("float64").name(c) for c in floats), "n_signals", "last_signal_on",
        "same_province", "chain_link", code=scored.industry_code,
    )  # fmt: skip
    if per_class is not None:
        if per_class < 1:
            raise InputError(f"per_class 须为正整数 (per_class must be at least 1, got {per_class})")
        place = ibis.row_number().over(group_by="code", order_by=[ibis.desc("score"), "uscc"])
        out = out.mutate(_place=place).filter(ibis._._place < per_class).drop("_place")
    if limit is not None:
        out = out.order_by([ibis.desc("score"), "uscc"]).limit(limit)
    again = wh.table("reference_enterprises")
    again = again.filter(again.industry_code.isin(sorted(label)))  # keeps the join-back scan small
    wide = again.select(
        "name", "province_code", "prefecture_code", "industry_code", "revenue_fen", "employees",
        "registered_capital_fen", "registered_on", "tags", ref_uscc=again.uscc,
    )  # fmt: skip
    full = out.join(wide, out.uscc == wide.ref_uscc)
    full = full.mutate(gap=_map(full.industry_code, label, ""))  # labels only for the rows kept
    return full.select(
        "uscc", "name", "province_code", "prefecture_code", "industry_code", "gap", "score", "fit", "quality",
        "signals", "links", "size_pct", "tag_points", "signal_strength", "n_signals", "last_signal_on",
        "same_province", "chain_link", "revenue_fen", "employees", "registered_capital_fen", "registered_on",
        "tags",
    ).order_by([ibis.desc("score"), "uscc"])  # fmt: skip


def _fen_wan(fen: int | None) -> str:
    return "未知" if fen is None else f"{fen / 1_000_000:,.0f}万元"


def _reasons(row: Mapping[str, object], weights: Mapping[str, float], linked: Mapping[str, str]) -> str:
    parts: list[tuple[float, str]] = []
    fit = float(row["fit"])  # type: ignore[arg-type]
    code = row["industry_code"]
    parts.append(
        (
            weights["fit"] * fit,
            f"补缺 {row['gap']}：行业 {code}"
            + ("（同中类相近）" if fit < 1 else "（完全匹配）")
            + f" fit={fit:.2f}",
        )
    )
    tags = str(row["tags"] or "").replace(";", "、")
    parts.append(
        (
            weights["quality"] * float(row["quality"]),  # type: ignore[arg-type]
            f"质量 {float(row['quality']):.2f}：营收 {_fen_wan(row['revenue_fen'])}（前 {100 * (1 - float(row['size_pct'])):.0f}%）"  # type: ignore[arg-type]
            f"，从业 {row['employees'] if row['employees'] is not None else '未知'} 人"
            + (f"，{tags}" if tags else ""),
        )
    )
    if int(row["n_signals"]):  # type: ignore[call-overload]
        parts.append(
            (
                weights["signals"] * float(row["signals"]),  # type: ignore[arg-type]
                f"扩张信号 {row['n_signals']} 条，最近 {row['last_signal_on']}，加权强度 {float(row['signal_strength']):.2f}",  # type: ignore[arg-type]
            )
        )
    link_bits = []
    if int(row["same_province"]):  # type: ignore[call-overload]
        link_bits.append("同省")
    if int(row["chain_link"]):  # type: ignore[call-overload]
        link_bits.append(f"与园区 {linked.get(str(code), '')} 节点上下游相邻")
    if link_bits:
        parts.append((weights["links"] * float(row["links"]), "关联：" + "，".join(link_bits)))  # type: ignore[arg-type]
    parts.sort(key=lambda p: -p[0])
    return "；".join(f"{text}（+{c:.3f}）" for c, text in parts[:3])


def candidates(
    wh: Warehouse,
    *,
    classes: Sequence[str] = (),
    node: str | None = None,
    all_gaps: bool = False,
    zone_code: str = "410172",
    as_of: dt.date | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
    weights: Mapping[str, float] | None = None,
    related: bool = True,
    exclude: Sequence[str] = (),
    provinces: Sequence[str] = (),
    min_revenue_fen: int | None = None,
    min_employees: int | None = None,
    tags: Sequence[str] = (),
    limit: int | None = 100,
    per_class: int | None = None,
    chains: ChainSet | None = None,
) -> Candidates:
    """Rank reference firms outside the zone that could fill a gap (see docs/targeting.md).

    score = w_fit·fit + w_quality·quality + w_signals·signals + w_links·links, each in [0, 1]:

    * fit: 1 in a target class, 0.5 in the same 中类 (when *related*);
    * quality: 0.6 × revenue percentile among the candidates + 0.4 × tag points (capped at 1);
    * signals: 1 − exp(−s), s = Σ kind weight × 0.5^(age in days / *half_life_days*) over the
      firm's expansion signals dated on or before *as_of* (later ones are ignored);
    * links: 0.5 × same province as the zone + 0.5 × the class sits on a node adjacent (chain
      edge) to a node where the zone has firms (supplier or customer of zone firms, by chain map).

    Firms whose USCC is in ``enterprises`` or in *exclude* (the pipeline) are left out. *per_class*
    keeps the best N firms of each industry class before the overall *limit*.
    Each row carries ``reasons``: the top three contributions with the numbers behind them.
    """
    chains = chains if chains is not None else load_chains()
    target = resolve_target(wh, classes=classes, node=node, all_gaps=all_gaps, chains=chains)
    w = dict(DEFAULT_WEIGHTS)
    for key, value in (weights or {}).items():
        if key not in DEFAULT_WEIGHTS:
            raise InputError(
                f"未知权重项 '{key}' (unknown weight {key!r}); 可选 / choose: {', '.join(DEFAULT_WEIGHTS)}"
            )
        if not value >= 0:
            raise InputError(f"权重须为非负数 (weight {key} must be ≥ 0, got {value})")
        w[key] = float(value)
    total = sum(w.values())
    if total <= 0:
        raise InputError("权重之和须为正 (the weights must not all be 0)")
    w = {k: v / total for k, v in w.items()}
    as_of = as_of or dt.date.today()
    linked = _linked_classes(wh, chains)
    expr = candidate_query(
        wh, target, zone_code=zone_code, as_of=as_of, half_life_days=half_life_days, weights=w,
        related=related, exclude=exclude, provinces=provinces, min_revenue_fen=min_revenue_fen,
        min_employees=min_employees, tags=tags, linked=linked, limit=limit, per_class=per_class,
    )  # fmt: skip
    table = wh.to_arrow(expr)
    rows = table.to_pylist()
    table = table.append_column("reasons", pa.array([_reasons(r, w, linked) for r in rows], pa.string()))
    table = table.add_column(0, "rank", pa.array(range(1, len(rows) + 1), pa.int64()))
    return Candidates(table, target, w, as_of, half_life_days)
