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

from ._opportunities import check_zone_code, zone_code_or_held

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
SCORE_BUCKETS: Final = 1024
"""Score buckets of the per-class cut (a power of two, so ``score × 1024`` is exact)."""


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
    zone_code: str = ""
    """The zone the firms were scored for (its province makes a firm 同省)."""


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
    # a class may serve several gap nodes (3983 sensors: eight nodes of one chain): its label names
    # them all, each chain once (``chain/node1、node2``), so that no gap node goes unsearched
    nodes: dict[str, dict[str, list[str]]] = {}
    for chain in chains:
        if chain.id not in zone_chains:
            continue
        for spec in chain.nodes:
            if (chain.id, spec.id) in present:
                continue
            for c in spec.classes:
                nodes.setdefault(c, {}).setdefault(chain.id, []).append(spec.id)
    mapping = {
        c: "；".join(f"{chain}/{'、'.join(ids)}" for chain, ids in per_chain.items())
        for c, per_chain in nodes.items()
    }
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


def _searched_classes(target: Target, *, related: bool = True) -> dict[str, str]:
    """Class code → gap label for every class searched: the target classes and, when *related*,
    the other classes of their GB/T 中类 (labelled with the first target class of that 中类)."""
    codes = sorted(target.classes)
    label: dict[str, str] = {}
    if related:
        groups = {c[:3]: target.classes[c] for c in reversed(codes)}
        for item in gbt4754():
            code = item.code
            if len(code) == 4 and code[:3] in groups and code not in target.classes:
                label[code] = groups[code[:3]]
    label.update(target.classes)
    return label


def _class_table(target: Target, label: Mapping[str, str], linked: Mapping[str, str]) -> ir.Table:
    """The searched classes as a small table: code, gap label, fit, on a chain node next to the zone."""
    codes = sorted(label)
    return ibis.memtable(
        pa.table(
            {
                "cls_code": pa.array(codes, pa.string()),
                "gap": pa.array([label[c] for c in codes], pa.string()),
                "fit": pa.array([1.0 if c in target.classes else RELATED_FIT for c in codes], pa.float64()),
                "chain_link": pa.array([1 if c in linked else 0 for c in codes], pa.int64()),
            }
        )
    )


def _best_per_class(out: ir.Table, per_class: int) -> ir.Table:
    """The best *per_class* rows of each class (score descending, then uscc), exactly.

    A per-class window sort over every candidate is the costly part of the query, so the rows are
    first cut by score bucket: per class, a histogram of ``floor(score × 1024)`` gives the lowest
    bucket with fewer than *per_class* rows in the buckets above it; every row of the best
    *per_class* lies in that bucket or higher. The cut keeps one more bucket below (so a last-bit
    difference between two evaluations of a score cannot move a row out), which keeps whole buckets
    from the top: the ranks among the kept rows are the ranks among all rows. The window then sorts
    only the kept rows.
    """
    bucket = (out.score * SCORE_BUCKETS).floor().cast("int64")
    out = out.mutate(_bucket=bucket)
    hist = out.group_by(h_code=out.code, h_bucket=out._bucket).aggregate(h_n=out.count())
    running = ibis.cumulative_window(group_by=hist.h_code, order_by=ibis.desc(hist.h_bucket))
    above = hist.h_n.sum().over(running)  # rows in this bucket and the buckets above it
    hist = hist.mutate(h_above=above - hist.h_n)
    floor = hist.group_by("h_code").aggregate(h_floor=hist.h_bucket.min(where=hist.h_above < per_class))
    kept = out.join(floor, out.code == floor.h_code).filter(ibis._._bucket >= ibis._.h_floor - 1)
    kept = kept.drop("_bucket", "h_code", "h_floor")
    place = ibis.row_number().over(group_by="code", order_by=[ibis.desc("score"), "uscc"])
    return kept.mutate(_place=place).filter(ibis._._place < per_class).drop("_place")


def check_filters(zone_code: str, min_revenue_fen: int | None, min_employees: int | None) -> None:
    """Refuse a zone code that is no division and a negative minimum (bilingual ``InputError``)."""
    check_zone_code(zone_code)
    if min_revenue_fen is not None and min_revenue_fen < 0:
        raise InputError("最低营业收入不能为负 (the minimum revenue must not be negative)")
    if min_employees is not None and min_employees < 0:
        raise InputError("最少从业人员不能为负 (the minimum number of employees must not be negative)")


def candidate_query(
    wh: Warehouse,
    target: Target,
    *,
    zone_code: str | None = None,
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
    if per_class is not None and per_class < 1:
        raise InputError(f"per_class 须为正整数 (per_class must be at least 1, got {per_class})")
    zone_code = zone_code_or_held(wh, zone_code)
    check_filters(zone_code, min_revenue_fen, min_employees)
    registry = wh.table("reference_enterprises")
    # DuckDB joins the display columns back by rowid, which it turns into a fetch of just those rows
    # (a join-back by USCC reads every column shown for every firm of the searched classes); Ibis
    # has no rowid on PostgreSQL and Spark, which join back by USCC
    by_rowid = wh.has_rowid
    ref = registry.mutate(_rid=registry.rowid()) if by_rowid else registry
    ent = wh.table("enterprises")
    label = _searched_classes(target, related=related)
    # the searched classes as a small joined table, not long IN lists and CASE maps of literals:
    # those cost more to compile (Ibis → SQL) than the query costs to run
    cls = _class_table(target, label, linked or {})
    keep = []
    if provinces:
        keep.append(ref.province_code.isin([p[:2] + "0000" for p in provinces]))
    if min_revenue_fen is not None:
        keep.append(ref.revenue_fen >= min_revenue_fen)
    if min_employees is not None:
        keep.append(ref.employees >= min_employees)
    keep.extend(ref.tags.fill_null("").contains(tag) for tag in tags)
    if exclude:  # the pipeline's firms: a small table, not a literal list (cheaper to compile when long)
        dropped = ibis.memtable(pa.table({"ex_uscc": pa.array(sorted(set(exclude)), pa.string())}))
        keep.append(~ref.uscc.isin(dropped.ex_uscc))
    scan = ref.filter(*keep) if keep else ref
    tag_points = ibis.literal(0.0)
    for tag, pts in TAG_POINTS.items():
        # 0/1 as an integer, then float: PostgreSQL would type a CASE over decimal literals as NUMERIC
        tag_points = tag_points + pts * ibis.cases((scan.tags.contains(tag), 1), else_=0).cast("float64")
    # most firms carry no tags: the substring tests then are not evaluated at all
    tag_points = ibis.cases((scan.tags.isnull(), 0.0), else_=ibis.least(tag_points, 1.0)).cast("float64")
    # score on narrow rows; the wide display columns are joined back only for the rows kept
    rowid = ["_rid"] if by_rowid else []
    narrow = scan.select(
        "uscc", "industry_code", "province_code", "revenue_fen", *rowid, tag_points=tag_points
    )
    base = narrow.join(cls, narrow.industry_code == cls.cls_code).select(narrow, cls.fit, cls.chain_link)
    base = base.anti_join(ent, base.uscc == ent.uscc)
    # the percentile before the signals are joined: the window then sorts fewer columns
    base = base.mutate(size_pct=ibis.percent_rank().over(order_by=[base.revenue_fen.fill_null(0)]))

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
    # every component in one projection: fewer relations for Ibis to compile
    strength = j.signal_strength.fill_null(0.0)
    signals = 1.0 - (-strength).exp()
    province = zone_code[:2] + "0000"
    same_province = ibis.cases((j.province_code == province, 1), else_=0).cast("int64")  # no bool→int on PG
    links = 0.5 * same_province.cast("float64") + 0.5 * j.chain_link.cast("float64")
    quality = QUALITY_SIZE_SHARE * j.size_pct + (1 - QUALITY_SIZE_SHARE) * j.tag_points
    score = (
        weights["fit"] * j.fit + weights["quality"] * quality + weights["signals"] * signals
        + weights["links"] * links
    )  # fmt: skip
    components = {
        "score": score, "fit": j.fit, "quality": quality, "signals": signals, "links": links,
        "size_pct": j.size_pct, "tag_points": j.tag_points, "signal_strength": strength,
    }  # fmt: skip
    # PostgreSQL types CASE/POWER over decimal literals as NUMERIC: cast every score to float64
    out = j.select(
        "uscc", *(v.cast("float64").name(k) for k, v in components.items()),
        j.n_signals.fill_null(0).name("n_signals"), "last_signal_on", same_province.name("same_province"),
        "chain_link", "province_code", "revenue_fen", *rowid, code=j.industry_code,
    )  # fmt: skip
    if per_class is not None:
        out = _best_per_class(out, per_class)
    if limit is not None:
        out = out.order_by([ibis.desc("score"), "uscc"]).limit(limit)
    # the display columns not scored on, for the rows kept only
    again = registry  # the same table again: Ibis makes the self-join
    shown = ("name", "prefecture_code", "employees", "registered_capital_fen", "registered_on", "tags")
    if by_rowid:
        wide = again.select(*shown, ref_rid=again.rowid())
        full = out.join(wide, out._rid == wide.ref_rid)
    else:
        wide = again.semi_join(cls, again.industry_code == cls.cls_code).select(*shown, ref_uscc=again.uscc)
        full = out.join(wide, out.uscc == wide.ref_uscc)
    full = full.join(cls, full.code == cls.cls_code)  # the gap label
    return full.select(
        "uscc", "name", "province_code", "prefecture_code", full.code.name("industry_code"), "gap", "score",
        "fit", "quality", "signals", "links", "size_pct", "tag_points", "signal_strength", "n_signals",
        "last_signal_on", "same_province", "chain_link", "revenue_fen", "employees", "registered_capital_fen",
        "registered_on", "tags",
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
    zone_code: str | None = None,
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
    * links: 0.5 × same province as the zone (*zone_code*, default the zone the warehouse holds)
      + 0.5 × the class sits on a node adjacent (chain edge) to a node where the zone has firms
      (supplier or customer of zone firms, by chain map).

    Firms whose USCC is in ``enterprises`` or in *exclude* (the pipeline) are left out. *per_class*
    keeps the best N firms of each industry class before the overall *limit*.
    Each row carries ``reasons``: the top three contributions with the numbers behind them.
    """
    chains = chains if chains is not None else load_chains()
    zone_code = zone_code_or_held(wh, zone_code)
    check_filters(zone_code, min_revenue_fen, min_employees)
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
    return Candidates(table, target, w, as_of, half_life_days, zone_code)
