"""How the portrait tables are shown: one set of Chinese labels, units and number formats for the Word
report, its workbook and the CLI (the tables themselves keep codes, fen and fractions).

Rules: a money column's label has no unit (the writers add ``(万元)`` once); a share or growth rate is
a fraction in the data, a percentage on screen and in Word (1 decimal) and a ``0.0%`` cell in Excel;
HHI keeps its 0–1 scale with 4 decimals; LQ and density show 2 decimals; a missing value is ``—``.

>>> header("revenue_fen"), header("hhi")
('营业收入', '集中度指数 HHI (0–1)')
>>> display_value("lq", 1.23456), display_value("cagr", 0.10785633004918149), display_value("lq", None)
('1.23', '10.8%', '—')
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Final

import pyarrow as pa

from zonebrain.core.money import FEN_PER, display_fen
from zonebrain.portrait._benchmark import INDICATORS
from zonebrain.portrait._facts import MONEY

MONEY_UNIT: Final = "万元"
MONEY_COLUMNS: Final = (*MONEY, "revenue_per_firm")
"""Columns in fen, shown in 万元."""

MEASURE_LABELS: Final = {
    "enterprises": "企业数 (家)",
    "revenue_fen": "营业收入 (万元)",
    "output_fen": "总产值 (万元)",
    "tax_fen": "税收 (万元)",
    "rd_expense_fen": "研发费用 (万元)",
    "employees": "从业人员 (人)",
}
"""A measure named in a cell (the growth and concentration tables): its name with its unit."""

SCORE_PREFIX: Final = "score_"
"""Radar columns are scores (best region = 100), renamed so they are never taken for money."""

HEADERS: Final = {
    "enterprises": "企业数 (家)",
    "revenue_fen": "营业收入",
    "output_fen": "总产值",
    "tax_fen": "税收",
    "rd_expense_fen": "研发费用",
    "employees": "从业人员 (人)",
    "section": "门类",
    "section_name": "门类名称",
    "division": "大类",
    "division_name": "大类名称",
    "chain_id": "产业链代码",
    "chain_name": "产业链",
    "node_id": "节点代码",
    "node_name": "节点",
    "stage": "环节",
    "position": "序位",
    "revenue_share": "营收占比",
    "revenue_cagr": "营收年均增速",
    "year": "年份",
    "measure": "指标",
    "first_year": "基期",
    "last_year": "末期",
    "first_value": "基期值",
    "last_value": "末期值",
    "cagr": "年均增速",
    "firms": "企业数 (家)",
    "hhi": "集中度指数 HHI (0–1)",
    "top10_share": "前十位占比",
    "size_class": "规模",
    "tag": "标签",
    "share": "占比",
    "registered": "新设 (家)",
    "moved_in": "迁入 (家)",
    "exits": "迁出/注销/吊销 (家)",
    "net": "净增 (家)",
    "chain_revenue_share": "占链营收比重",
    "zone_value": "园区值",
    "reference_value": "参照值",
    "lq": "区位熵 LQ",
    "lq_note": "区位熵提示",
    "density": "关联密度",
    "strength": "强弱",
    "rank": "排名",
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "is_chain_leader": "链主企业",
    "from_node": "供给节点代码",
    "from_name": "供给节点",
    "from_strength": "供给强弱",
    "to_node": "需求节点代码",
    "to_name": "需求节点",
    "to_strength": "需求强弱",
    "gap": "缺口",
    "region_code": "地区代码",
    "region_name": "地区",
    "park_id": "园区",
    **{k: v.removesuffix(" (万元)") for k, v in INDICATORS.items()},
    **{f"{SCORE_PREFIX}{k}": f"{v.split(' (')[0]} 得分 (最高=100)" for k, v in INDICATORS.items()},
}
"""Column → Chinese label. ``chain_share`` is the benchmark's share of firms on a chain; the
diagnosis' node revenue over chain revenue is shown as ``chain_revenue_share`` (:func:`node_table`)."""

PERCENT: Final = (
    "revenue_share",
    "revenue_cagr",
    "cagr",
    "top10_share",
    "share",
    "chain_share",
    "chain_revenue_share",
    "high_tech_share",
    "specialised_share",
    "new_firm_share",
)
"""Fractions shown as percentages."""

DECIMALS: Final = {"hhi": 4, "lq": 2, "density": 2, "employees_per_firm": 1, **dict.fromkeys(PERCENT, 1)}
"""Decimal places of float columns on screen and in Word (percentages after × 100)."""

EXCEL_FORMATS: Final = {
    **dict.fromkeys(PERCENT, "0.0%"),
    "hhi": "0.0000",
    "lq": "0.00",
    "density": "0.00",
    "employees_per_firm": "0.0",
    **{f"{SCORE_PREFIX}{k}": "0.0" for k in INDICATORS},
}


def header(column: str) -> str:
    """The Chinese label of *column* (money without its unit; the column name if unknown)."""
    return HEADERS.get(column, column)


def display_value(column: str, value: object) -> str:
    """One cell as text: money in 万元, percentages with 1 decimal, HHI 4, LQ 2, missing ``—``."""
    if value is None:
        return "—"
    if column in MONEY_COLUMNS and isinstance(value, int | float):
        return display_fen(int(value), MONEY_UNIT)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if column in PERCENT:
            return f"{value * 100:,.{DECIMALS[column]}f}%"
        return f"{value:,.{DECIMALS.get(column, 2)}f}"
    if isinstance(value, int) and column not in ("year", "first_year", "last_year", "rank", "position"):
        return f"{value:,}"
    if column == "measure":
        return MEASURE_LABELS.get(str(value), str(value))
    return str(value)


def node_table(nodes: pa.Table) -> pa.Table:
    """The diagnosis' node table with ``chain_share`` (node revenue / chain revenue) renamed
    ``chain_revenue_share``, so it is not labelled as the benchmark's share of firms."""
    return nodes.rename_columns(
        ["chain_revenue_share" if c == "chain_share" else c for c in nodes.column_names]
    )


def radar_table(radar: pa.Table) -> pa.Table:
    """The benchmark's radar scores with every indicator column renamed ``score_…`` (not money)."""
    return radar.rename_columns([f"{SCORE_PREFIX}{c}" if c in INDICATORS else c for c in radar.column_names])


def for_sheet(table: pa.Table) -> pa.Table:
    """*table* as a sheet shows it: measures by Chinese name and unit, flags as 是/否, the growth
    table's values of money measures in 万元 (exact decimals) and of the others as they are."""
    names = table.column_names
    if "measure" in names and ("first_value" in names or "last_value" in names):
        measures = table["measure"].to_pylist()
        per = FEN_PER[MONEY_UNIT]
        for col in ("first_value", "last_value"):
            if col in names:
                values = [
                    None if v is None else (Decimal(v) / per if m in MONEY else Decimal(v))
                    for m, v in zip(measures, table[col].to_pylist(), strict=True)
                ]
                table = _set(table, col, pa.array(values, pa.decimal128(38, 6)))
    if "measure" in names:
        labels = [MEASURE_LABELS.get(v, v) for v in table["measure"].to_pylist()]
        table = _set(table, "measure", pa.array(labels, pa.string()))
    for col in names:
        if pa.types.is_boolean(table.schema.field(col).type):
            flags = [None if v is None else ("是" if v else "否") for v in table[col].to_pylist()]
            table = _set(table, col, pa.array(flags, pa.string()))
    return table


def write_workbook(sheets: Mapping[str, pa.Table], path: Path | str) -> Path:
    """Every table a sheet, with Chinese headers, money in 万元 (unit once), percentages as ``0.0%``."""
    from zonebrain.reports import export_excel

    return export_excel(
        {name: for_sheet(t) for name, t in sheets.items()},
        path,
        headers=dict(HEADERS),
        money=MONEY_COLUMNS,
        money_unit=MONEY_UNIT,
        formats=EXCEL_FORMATS,
    )


def _set(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)
