"""产业画像诊断报告 / the portrait and diagnosis report: one Word document plus an Excel workbook
holding every table of it (``FILE.xlsx`` next to ``FILE.docx``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.chains import ChainSet, load_chains
from zonebrain.core.errors import CodeError
from zonebrain.core.money import FEN_PER
from zonebrain.portrait._benchmark import INDICATORS, Benchmark, benchmark
from zonebrain.portrait._diagnosis import Diagnosis, ReferenceLevel, StrengthRules, diagnose
from zonebrain.portrait._facts import MONEY, check_park
from zonebrain.portrait._labels import (
    DECIMALS,
    MONEY_COLUMNS,
    MONEY_UNIT,
    PERCENT,
    for_sheet,
    header,
    node_table,
    write_workbook,
)
from zonebrain.portrait._profile import Portrait, portrait
from zonebrain.reports import WordReport
from zonebrain.storage import Warehouse

DEFAULT_PEERS: Final = ("410100", "410000", "420100", "610100", "340100")
"""郑州市, 河南省, 武汉市, 西安市, 合肥市: the peers chosen for 郑州高新区 (its city, its province and
three central provincial capitals), its default."""
CHOSEN_PEERS: Final = MappingProxyType({"410172": DEFAULT_PEERS})
"""Zone code → the peers chosen for it; any other zone defaults to its city and province."""


def default_peers(zone_code: str) -> tuple[str, ...]:
    """The regions a zone is compared with when none are given: its chosen peers (郑州高新区's
    :data:`DEFAULT_PEERS`), else its own prefecture-level city and its province, those the division
    table knows (a municipality once: 北京市 is its own province).

    >>> default_peers("410371")
    ('410300', '410000')
    """
    from zonebrain.core.divisions import divisions

    if zone_code in CHOSEN_PEERS:
        return CHOSEN_PEERS[zone_code]
    reg = divisions()
    out: list[str] = []
    for find in (reg.prefecture_of, reg.province_of):
        try:
            region = find(zone_code)
        except CodeError:
            continue
        if region.code != zone_code and all(reg.get(c).name != region.name for c in out):
            out.append(region.code)
    return tuple(out)


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    xlsx: Path
    seconds: float


def _pct(table: pa.Table) -> pa.Table:
    """For display: shares and growth rates in per cent (the Excel sheets keep the fractions), years and
    ranks as text (no thousands separator), measures by their Chinese names, flags as 是/否."""
    for name in ("year", "first_year", "last_year", "rank"):
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table[name].cast(pa.string()))
    table = for_sheet(table.select([c for c in table.column_names if c not in ("first_value", "last_value")]))
    for name in PERCENT:
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, pc.multiply(table[name].cast(pa.float64()), 100.0))
    return table


def _cols(table: pa.Table, names: Sequence[str]) -> dict[str, str]:
    out = {}
    for n in names:
        if n in table.column_names:
            out[n] = header(n) + (" (%)" if n in PERCENT else "")
    return out


def _yi(fen: int | float | None) -> float:
    return float(fen or 0) / FEN_PER["亿元"]


class _Builder:
    """The document and the workbook built side by side: every table shown is also a sheet."""

    def __init__(self, doc: WordReport) -> None:
        self.doc = doc
        self.sheets: dict[str, pa.Table] = {}

    def table(
        self, name: str, data: pa.Table, columns: Sequence[str], caption: str, limit: int = 200
    ) -> None:
        self.sheets[name] = data
        self.shown(data, columns, caption, limit)

    def shown(self, data: pa.Table, columns: Sequence[str], caption: str, limit: int = 200) -> None:
        """A table in the document only (a slice of a sheet stored with :meth:`store`)."""
        shown = _pct(data)
        money = [c for c in MONEY_COLUMNS if c in columns]
        self.doc.table(
            shown,
            _cols(shown, columns),
            money=money,
            money_unit=MONEY_UNIT,
            caption=caption,
            max_rows=limit,
            decimals=DECIMALS,
        )

    def store(self, name: str, data: pa.Table) -> None:
        self.sheets[name] = data


def portrait_report(
    wh: Warehouse,
    out: Path | str,
    *,
    park: str | None = None,
    chains: ChainSet | None = None,
    peers: Sequence[str] | None = None,
    reference: ReferenceLevel = "city",
    rules: StrengthRules | None = None,
    zone_name: str | None = None,
    today: dt.date | None = None,
) -> ReportFiles:
    """Write 产业画像诊断报告 to *out* (.docx) and every table of it to the same name with .xlsx.

    The zone is the one *wh* holds: *zone_name* defaults to its short name (see
    :func:`zonebrain.registry._zone.held_zone`), *peers* to :func:`default_peers` of its code."""
    from zonebrain.registry._zone import held_zone

    started = time.perf_counter()
    chains = chains or load_chains()
    park_id = check_park(wh, park)
    if zone_name is None or peers is None:
        held = held_zone(wh)
        zone_name = held.short_name_zh if zone_name is None else zone_name
        peers = default_peers(held.code) if peers is None else peers
    subject = zone_name
    if park_id is not None:
        parks = wh.table("parks")
        row = wh.to_arrow(parks.filter(parks.park_id == park_id)).to_pylist()[0]
        subject = f"{zone_name} · {row['name_zh']}"
    p = portrait(wh, park=park_id, chains=chains)
    d = diagnose(wh, chains=chains, park=park_id, reference=reference, rules=rules)
    bm = benchmark(wh, peers, chains=chains, park=park_id, zone_name=subject)

    doc = WordReport("产业画像诊断报告", subject, date=today)
    doc.toc()
    b = _Builder(doc)
    _overview(b, p, subject)
    _structure(b, p)
    _chains(b, p)
    _diagnosis(b, d)
    _benchmark(b, bm, subject)
    _method(b, d)

    out = Path(out)
    docx = doc.save(out)
    xlsx = write_workbook(b.sheets, out.with_suffix(".xlsx"))
    return ReportFiles(docx=docx, xlsx=xlsx, seconds=time.perf_counter() - started)


def _overview(b: _Builder, p: Portrait, subject: str) -> None:
    t = p.totals.to_pylist()[0]
    b.doc.heading("一、总体概况", 1)
    growth = {r["measure"]: r["cagr"] for r in p.growth.to_pylist()}
    rev_cagr = growth.get("revenue_fen")
    text = (
        f"{subject}{p.year or ''}年在营企业 {t['enterprises']:,} 家, 营业收入 {_yi(t['revenue_fen']):,.2f} 亿元, "
        f"总产值 {_yi(t['output_fen']):,.2f} 亿元, 税收 {_yi(t['tax_fen']):,.2f} 亿元, "
        f"研发费用 {_yi(t['rd_expense_fen']):,.2f} 亿元, 从业人员 {t['employees']:,} 人。"
    )
    if rev_cagr is not None:
        text += f" {p.first_year}—{p.year}年营业收入年均增长 {rev_cagr * 100:.1f}%。"
    b.doc.paragraph(text)
    b.table("总量", p.totals, ["enterprises", *MONEY, "employees"], "主要指标总量")
    b.doc.heading("1.1 五年增长", 2)
    b.table(
        "增长",
        p.growth,
        ["measure", "first_year", "last_year", "cagr"],
        "主要指标年均增速 (CAGR; 基期值与末期值见 Excel)",
    )
    years = [str(y) for y in p.trend["year"].to_pylist()]
    if years:
        b.doc.line_chart(
            years,
            {
                "营业收入": [_yi(v) for v in p.trend["revenue_fen"].to_pylist()],
                "税收": [_yi(v) for v in p.trend["tax_fen"].to_pylist()],
            },
            "营业收入与税收走势",
            unit="亿元",
        )
    b.table("逐年", p.trend, ["year", "enterprises", *MONEY, "employees"], "逐年主要指标")
    b.doc.heading("1.2 企业进出", 2)
    recent = p.flows.filter(pc.greater_equal(p.flows["year"], (p.year or dt.date.today().year) - 9))
    b.store("进出", p.flows)
    if recent.num_rows:
        b.shown(recent, ["year", "registered", "moved_in", "exits", "net"], "近十年企业新设、迁入与退出")
        b.doc.bar_chart(
            [str(y) for y in recent["year"].to_pylist()],
            {
                "新设": recent["registered"].to_pylist(),
                "迁入": recent["moved_in"].to_pylist(),
                "退出": recent["exits"].to_pylist(),
            },
            "近十年企业进出",
            unit="家",
        )


def _structure(b: _Builder, p: Portrait) -> None:
    b.doc.heading("二、行业结构", 1)
    b.doc.heading("2.1 国民经济行业门类", 2)
    top = p.by_section.slice(0, 10)
    if top.num_rows:
        b.doc.bar_chart(
            [str(s or "未分类") for s in top["section_name"].to_pylist()],
            {"营业收入": [_yi(v) for v in top["revenue_fen"].to_pylist()]},
            "营业收入前十位门类",
            unit="亿元",
        )
    cols = ["section", "section_name", "enterprises", *MONEY, "employees", "revenue_share", "revenue_cagr"]
    b.table("门类", p.by_section, cols, "按 GB/T 4754-2017 门类")
    b.doc.heading("2.2 国民经济行业大类", 2)
    cols = ["division", "division_name", "enterprises", "revenue_fen", "tax_fen", "employees"]
    b.table(
        "大类", p.by_division, [*cols, "revenue_share", "revenue_cagr"], "按大类 (前 30 位; 全部见 Excel)", 30
    )
    b.doc.heading("2.3 规模结构与集中度", 2)
    b.table("规模", p.sizes, ["size_class", "enterprises", "revenue_fen"], "企业规模分布 (按营业收入)")
    b.table(
        "集中度", p.concentration, ["measure", "firms", "hhi", "top10_share"], "集中度 (HHI 与前十位占比)"
    )
    b.doc.heading("2.4 企业标签", 2)
    b.table("标签", p.tags, ["tag", "enterprises", "share"], "企业资质与标签")


def _chains(b: _Builder, p: Portrait) -> None:
    b.doc.heading("三、产业链画像", 1)
    if p.by_chain.num_rows:
        b.doc.bar_chart(
            p.by_chain["chain_name"].to_pylist(),
            {"营业收入": [_yi(v) for v in p.by_chain["revenue_fen"].to_pylist()]},
            "各产业链营业收入",
            unit="亿元",
        )
    b.table(
        "产业链",
        p.by_chain,
        ["chain_name", "enterprises", *MONEY, "employees", "revenue_cagr"],
        "各产业链概况",
    )
    cols = ["chain_name", "node_name", "stage", "enterprises", "revenue_fen", "tax_fen", "employees"]
    b.table("产业链节点", p.by_node, cols, "各产业链节点概况")


def _diagnosis(b: _Builder, d: Diagnosis) -> None:
    b.doc.heading("四、产业链诊断", 1)
    counts = dict.fromkeys(("强", "弱", "延", "缺"), 0)
    for s in d.nodes["strength"].to_pylist():
        counts[s] = counts.get(s, 0) + 1
    b.doc.paragraph(
        f"以{d.reference_zh}{' ' if d.reference_zh.endswith(')') else ''}为参照 ({d.reference_year or '—'}年, 按{MEASURE_TEXT.get(d.measure, d.measure)}"
        "计算区位熵), "
        f"共诊断 {d.nodes.num_rows} 个节点: 强 {counts['强']} 个, 弱 {counts['弱']} 个, "
        f"缺 {counts['缺']} 个, 延伸机会 {counts['延']} 个; 供需缺口 {d.gaps.num_rows} 处。"
    )
    for w in d.warnings:
        b.doc.paragraph(f"注意: {w}")
    all_nodes = node_table(d.nodes)
    b.store("节点诊断", all_nodes)
    b.store("链主", d.leaders)
    b.store("缺口", d.gaps)
    cols = [
        "node_name",
        "stage",
        "firms",
        "revenue_fen",
        "chain_revenue_share",
        "lq",
        "lq_note",
        "density",
        "strength",
    ]
    for i, chain_id in enumerate(dict.fromkeys(all_nodes["chain_id"].to_pylist()), start=1):
        nodes = all_nodes.filter(pc.equal(all_nodes["chain_id"], chain_id))
        name = nodes["chain_name"][0].as_py()
        b.doc.heading(f"4.{i} {name}", 2)
        b.shown(nodes, cols, f"{name}节点诊断")
        leaders = d.leaders.filter(pc.equal(d.leaders["chain_id"], chain_id))
        if leaders.num_rows:
            cols_l = ["node_name", "rank", "name", "revenue_fen", "is_chain_leader"]
            b.shown(leaders, cols_l, f"{name}各节点领军企业 (链主)")
        gaps = d.gaps.filter(pc.equal(d.gaps["chain_id"], chain_id))
        if gaps.num_rows:
            b.shown(gaps, ["from_name", "from_strength", "to_name", "to_strength", "gap"], f"{name}供需缺口")


def _benchmark(b: _Builder, bm: Benchmark, subject: str) -> None:
    b.doc.heading("五、对标分析", 1)
    b.doc.paragraph(
        "与参照地区 (全国参考企业库) 在相同指标上对比; 雷达图中每项指标以最高地区为 100。链上企业按各节点的"
        "国民经济行业小类统计, 园区与参照地区口径一致。"
    )
    indicators = [k for k in INDICATORS if k != "firms"]
    series: dict[str, Sequence[float]] = {
        str(r["region_name"]): [float(r[k]) for k in indicators] for r in bm.radar.to_pylist()
    }
    b.doc.radar_chart([header(k) for k in indicators], series, f"{subject}与对标地区")
    b.table("对标", bm.table, ["region_name", *INDICATORS], "对标指标")


def _method(b: _Builder, d: Diagnosis) -> None:
    r = d.rules
    b.doc.heading("六、方法说明", 1)
    b.doc.paragraph(
        f"强弱判定: 强 = 节点企业不少于 {r.strong_min_firms} 家且区位熵 ≥ {r.strong_lq}; 弱 = 有企业但未达强; "
        f"延 = 无企业但关联密度不低于全部节点关联密度的 {round(r.extension_quantile * 100)} 分位数 (延伸机会); "
        "缺 = 无企业且关联密度较低。区位熵 LQ = (园区节点值/园区总值) ÷ (参照区域节点值/参照区域总值); "
        f"{BASIS_TEXT.get(d.basis, '')}关联密度由经济复杂度引擎在城市 × 节点面板上计算。"
        "年均增速 CAGR = (末期/基期)^(1/年数) − 1; HHI = Σ(企业份额²), 取值 0–1 (1 为一家企业独占), "
        "表中保留 4 位小数。详见 docs/portrait.md。"
    )


MEASURE_TEXT: Final = {"firms": "企业数", "revenue_fen": "营业收入", "employees": "从业人员"}
"""The LQ measure as the diagnosis sentence names it."""

BASIS_TEXT: Final = {
    "memberships": (
        "园区节点值取已存储的产业链归属 (分类器按经营范围与行业代码判定, 含人工调整) 中该节点的企业, "
        "参照区域节点值为该节点国民经济行业小类之和; 因分类器亦按经营范围识别企业, 园区口径略宽, 区位熵可能偏高。"
    ),
    "classes": "园区与参照区域的节点值均为该节点国民经济行业小类之和 (同一口径)。",
}
"""How the zone's node values were found, by :attr:`Diagnosis.basis`."""
