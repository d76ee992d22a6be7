"""The monthly 经济运行分析 Word report: overview, parks, trend, warnings, drill-down, forecast, quality.

Every figure is written in its indicator's own unit from the catalogue (万元/亿元 for money, 家 for
counts), a stock is called 期末 (not 累计), and the enterprise-panel figures state their scope: the
firms that report monthly (月报企业口径), fewer than the enterprise portrait's all-firm totals.
Imports python-docx and matplotlib only when a report is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.money import FEN_PER
from zonebrain.kpi._catalogue import Catalogue, Indicator, load_catalogue
from zonebrain.kpi._contrib import contributions
from zonebrain.kpi._forecast import forecast
from zonebrain.kpi._format import period_label, show, value_label
from zonebrain.kpi._monitor import ZONE_ID, monitor, trend, warnings
from zonebrain.kpi._quality import data_quality
from zonebrain.kpi._scope import reporting_enterprises
from zonebrain.storage import Warehouse

_COLUMN_ZH = {
    "revenue_fen": "营业收入",
    "output_fen": "工业总产值",
    "tax_fen": "税收",
    "rd_expense_fen": "研发投入",
}


def _pct(v: object, pp: bool = False) -> str:
    if not isinstance(v, float):
        return "—"
    return f"{v:+.1f}" if pp else f"{v:.1%}"


def indicator_label(ind: Indicator) -> str:
    """``营业收入(万元)``; a stock says it is a month-end value: ``高新技术企业数(期末, 家)``."""
    return f"{ind.name_zh}({'期末, ' if ind.kind == 'stock' else ''}{ind.display_unit})"


def _park_rows(rows: list[dict[str, Any]], cat: Catalogue) -> pa.Table:
    out = []
    for r in rows:
        ind = cat.get(r["indicator"])
        out.append(
            {
                "park": r["park"],
                "indicator": indicator_label(ind),
                "ytd": show(r["ytd"], ind),
                "yoy": _pct(r["yoy"]),
                "target": show(r["target"], ind),
                "completion": _pct(r["completion"]),
                "gap": _pct(r["gap_pp"], pp=True),
                "rank": str(r["rank"] or "—"),
            }
        )
    return pa.Table.from_pylist(out)


def forecast_rows(fc: pa.Table, cat: Catalogue) -> pa.Table:
    """The forecast as text, each row in its indicator's own unit (a count is not money)."""
    out = []
    for r in fc.to_pylist():
        ind = cat.get(r["indicator"])
        out.append(
            {
                "park_id": r["park_id"],
                "indicator": indicator_label(ind),
                **{k: show(r[k], ind) for k in ("ytd", "forecast", "low", "high", "target")},
                "forecast_completion": _pct(r["forecast_completion"]),
                "years_used": str(r["years_used"]),
            }
        )
    return pa.Table.from_pylist(out)


def build_report(
    wh: Warehouse,
    year: int,
    month: int,
    out: Path,
    *,
    exclude_suspect: bool = False,
    catalogue: Catalogue | None = None,
    zone_name: str | None = None,
) -> Path:
    """Write the monthly 经济运行分析 Word report for January..*month* of *year* to *out*; the cover
    names *zone_name*, default the short name of the zone *wh* holds (see
    :func:`zonebrain.registry._zone.held_zone`)."""
    from zonebrain.registry._zone import held_zone
    from zonebrain.reports import WordReport

    cat = catalogue or load_catalogue()
    period = period_label(year, month)
    mon = monitor(wh, year, month, catalogue=cat, exclude_suspect=exclude_suspect)
    rows = mon.to_pylist()
    firms = reporting_enterprises(wh, year, month)
    scope = f"月报企业口径，{firms:,} 家"
    monthly = [i for i in cat.indicators if i.source == "enterprise_months"]
    name = held_zone(wh).short_name_zh if zone_name is None else zone_name
    doc = WordReport(f"{period}经济运行分析", subtitle=f"{name}产业大脑 · 经济运行与目标考核")
    doc.toc()
    doc.heading("一、总体情况", 1)
    for r in rows:
        if r["park_id"] != ZONE_ID or r["ytd"] is None:
            continue
        ind = cat.get(r["indicator"])
        text = f"{ind.name_zh}{value_label(ind)} {show(r['ytd'], ind)} {ind.display_unit}"
        if r["yoy"] is not None:
            text += f"，同比{'增长' if r['yoy'] >= 0 else '下降'} {abs(r['yoy']):.1%}"
        if r["completion"] is not None:
            text += f"，完成年度目标 {r['completion']:.1%}"
        if r["gap_pp"] is not None:
            text += f"，{'超' if r['gap_pp'] >= 0 else '欠'}序时进度 {abs(r['gap_pp']):.1f} 个百分点"
        doc.paragraph(text + "。")
    if monthly:
        doc.paragraph(
            f"注：{'、'.join(i.name_zh for i in monthly)}取自企业月报，为月报企业口径（{firms:,} 家），即{period}报送过月报的企业"
            "（规上工业指标另限规上工业企业）；企业画像中的营业收入等按全部企业年报统计，口径不同，"
            "数值不可直接比较。"
        )
    for ind in cat.assumptions():
        assert ind.rate is not None
        doc.paragraph(
            f"注：{ind.name_zh}由企业月报{_COLUMN_ZH.get(ind.column or '', ind.column)}乘以"
            f"{ind.rate.describe()}推算，逐企业逐月向下取整到分。"
        )
    doc.heading("二、分园区完成情况", 1)
    doc.table(
        _park_rows([r for r in rows if r["park_id"] != ZONE_ID], cat),
        {
            "park": "园区",
            "indicator": "指标",
            "ytd": "累计/期末",
            "yoy": "同比",
            "target": "目标",
            "completion": "完成率",
            "gap": "超/欠序时(百分点)",
            "rank": "排名",
        },
        caption=f"{period}各园区主要指标（企业月报指标为{scope}）",
    )
    rev = [r for r in rows if r["indicator"] == "revenue" and r["park_id"] != ZONE_ID]
    if rev:
        key, label = (
            ("completion", "完成率") if any(r["completion"] is not None for r in rev) else ("yoy", "同比")
        )
        doc.bar_chart(
            [r["park"] for r in rev],
            {label: [100 * (r[key] or 0.0) for r in rev]},
            f"各园区营业收入{label}",
            unit="%",
        )
    doc.heading("三、走势", 1)
    revenue = cat.get("revenue")
    per = FEN_PER[revenue.display_unit]
    tr = trend(wh, revenue.id, year, last_month=month, catalogue=cat)
    zone = [r for r in tr.to_pylist() if r["park_id"] == ZONE_ID]
    title = f"全区营业收入累计走势（{scope}）"
    doc.line_chart(
        [f"{r['month']}月" for r in zone],
        {
            f"{year}年累计": [r["ytd"] / per if r["ytd"] is not None else None for r in zone],
            f"{year - 1}年同期": [r["ytd_prev"] / per if r["ytd_prev"] is not None else None for r in zone],
        },
        title,
        revenue.display_unit,
    )
    doc.heading("四、预警", 1)
    warn = warnings(wh, year, month, catalogue=cat)
    if warn.num_rows:
        doc.table(warn, {"park": "园区", "indicator_name": "指标", "message": "预警"}, caption="预警清单")
    else:
        doc.paragraph("本月无落后序时进度或同比下降的指标。")
    doc.heading("五、企业贡献", 1)
    worst = min((r for r in rev if r["yoy"] is not None), key=lambda r: r["yoy"], default=None)
    if worst is not None:
        contrib = contributions(
            wh,
            worst["park_id"],
            revenue.id,
            year,
            month,
            top=10,
            catalogue=cat,
            exclude_suspect=exclude_suspect,
        )
        doc.paragraph(f"营业收入同比增速最低的是{worst['park']}（{worst['yoy']:+.1%}），影响最大的企业如下。")
        doc.table(
            contrib,
            {"rank": "排名", "name": "企业", "ytd": "本年累计", "ytd_prev": "上年同期", "change": "增减"},
            money=("ytd", "ytd_prev", "change"),
            money_unit=revenue.display_unit,
            caption=f"{worst['park']}营业收入企业贡献",
        )
    doc.heading("六、全年预测", 1)
    fc = forecast(wh, year, month, catalogue=cat)
    doc.table(
        forecast_rows(fc.filter(pc.equal(fc["park_id"], ZONE_ID)), cat),
        {
            "indicator": "指标",
            "ytd": "累计",
            "forecast": "全年预测",
            "low": "区间下限",
            "high": "区间上限",
            "years_used": "参考年数",
        },
        caption="全区全年预测（季节占比模型）",
    )
    doc.paragraph(
        "预测 = 累计 ÷ 历年同期累计占全年比重（各园区、各年平均）；区间取历年占比的最大与最小值。"
        "各指标按其自身单位列示（见指标名后括号）。"
    )
    doc.heading("七、数据质量", 1)
    dq = data_quality(wh, year, month, catalogue=cat)
    counts = {k: 0 for k in ("not_reported", "missing_month", "unit_jump")}
    for issue in dq["issue"].to_pylist():
        counts[issue] += 1
    doc.paragraph(
        f"本月未报送的规上/限上企业 {counts['not_reported']:,} 家，缺月记录 {counts['missing_month']:,} 条，"
        f"疑似单位错误 {counts['unit_jump']:,} 条；以上数据未作修正，请园区核实。"
        + (
            "本报告各项数字已剔除疑似单位错误的企业月度值。"
            if exclude_suspect
            else "本报告各项数字仍包含疑似单位错误的企业月度值（可用 --exclude-suspect 剔除）。"
        )
    )
    if dq.num_rows:
        doc.table(
            dq,
            {"issue": "问题", "name": "企业", "month": "月份", "message": "说明"},
            caption="数据质量问题清单",
            max_rows=50,
        )
    return doc.save(out)
