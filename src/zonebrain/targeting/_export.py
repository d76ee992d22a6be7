"""Excel exports and the pipeline hand-off file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from zonebrain.reports import export_excel

from ._candidates import Candidates
from ._opportunities import Opportunities

CANDIDATE_HEADERS = {
    "rank": "排名", "uscc": "统一社会信用代码", "name": "企业名称", "province_code": "省级代码",
    "prefecture_code": "地市代码", "industry_code": "行业代码", "gap": "补缺环节", "score": "综合得分",
    "fit": "匹配度", "quality": "企业质量", "signals": "扩张信号", "links": "关联度", "revenue_fen": "营业收入",
    "employees": "从业人员", "registered_capital_fen": "注册资本", "registered_on": "成立日期", "tags": "标签",
    "n_signals": "信号条数", "last_signal_on": "最近信号日期", "reasons": "推荐理由", "source": "来源",
}  # fmt: skip
PIPELINE_COLUMNS = ("uscc", "name", "industry_code", "gap", "score", "reasons")
"""The hand-off to the investment pipeline: one row per firm (until the pipeline imports it directly)."""


def export_candidates(result: Candidates, path: Path | str) -> Path:
    """Write candidates (sheet 目标企业), the weights (权重) and a pipeline import sheet (导入招商项目库)."""
    weights = pa.table({"component": list(result.weights), "weight": list(result.weights.values())})
    pipeline = result.table.select(list(PIPELINE_COLUMNS)).append_column(
        "source", pa.array(["zonebrain targeting"] * result.table.num_rows, pa.string())
    )
    return export_excel(
        {"目标企业": result.table, "权重": weights, "导入招商项目库": pipeline},
        path,
        headers=CANDIDATE_HEADERS,
        money=("revenue_fen", "registered_capital_fen"),
    )


def export_opportunities(result: Opportunities, path: Path | str) -> Path:
    """Write the ranking (招商机会), the scatter data (散点) and the weights (权重)."""
    return export_excel(
        {"招商机会": result.table, "散点": result.scatter, "权重": result.weights},
        path,
        money=("revenue_per_worker_fen",),
    )
