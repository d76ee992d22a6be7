"""What to ask an enterprise for (快申快享): the facts a run found missing, in plain Chinese.

A run names each missing fact as the policy compiler labels it (``tax_fen[2024]``, ``division_code``;
see ``policy._compile.fact_label``). Each becomes one request line: what the fact is, and the
document that proves it.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?P<fact>[a-z_]+)(?:\[(?P<year>\d{4})\])?$")

ASKS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "revenue_fen": (
        ("{y}年度营业收入 (销售收入)", "{y}年度财务报表或增值税纳税申报表"),
        ("revenue (sales) of {y}", "the {y} financial statements or VAT returns"),
    ),
    "tax_fen": (
        ("{y}年度在高新区缴纳的税款", "{y}年度完税证明或税务部门出具的纳税信息"),
        ("tax paid in the zone in {y}", "the {y} tax payment certificates or the tax office's statement"),
    ),
    "rd_expense_fen": (
        ("{y}年度研发投入", "{y}年度研发费用加计扣除申报资料或研发费用专项审计报告"),
        ("R&D input of {y}", "the {y} R&D super-deduction filing or a special audit report on R&D"),
    ),
    "employees": (
        ("{y}年末从业人员数", "{y}年度统计报表中的从业人员数据"),
        ("employees at the end of {y}", "the employee figures of the {y} statistical returns"),
    ),
    "insured_employees": (
        ("{y}年度参加社会保险的职工人数", "社保部门出具的{y}年度参保缴费证明"),
        ("employees covered by social insurance in {y}", "the social insurance office's certificate for {y}"),
    ),
    "max_revenue_fen_before": (
        ("{y}年以前各年度的营业收入", "{y}年以前年度的财务报表 (用于判断是否首次突破)"),
        (
            "revenue of each year before {y}",
            "the financial statements of the years before {y} (a first breakthrough?)",
        ),
    ),
    "division_code": (("工商注册地", "营业执照"), ("registered address", "the business licence")),
    "park_id": (
        ("所在园区", "营业执照及经营场所证明"),
        ("park", "the business licence and proof of the premises"),
    ),
    "industry_code": (
        ("所属国民经济行业", "营业执照经营范围或统计部门确认的行业分类"),
        ("industry", "the business scope on the licence or the statistics office's classification"),
    ),
    "status": (
        ("经营状态", "营业执照及持续经营情况说明"),
        ("operating status", "the business licence and a statement of continued operation"),
    ),
}
"""Fact → (what it is, the document that proves it), in Chinese and in English (for pages read in
English; the asks sent to enterprises are Chinese); ``{y}`` is the year in the label."""


def ask_for(missing_fields: str, locale: str = "zh-CN") -> str:
    """One line per missing fact: ``what — 请提供 document`` (``locale`` ``en``: ``what — please
    provide document``).

    >>> print(ask_for("tax_fen[2024],rd_expense_fen[2024]"))
    2024年度在高新区缴纳的税款 — 请提供2024年度完税证明或税务部门出具的纳税信息
    2024年度研发投入 — 请提供2024年度研发费用加计扣除申报资料或研发费用专项审计报告
    >>> print(ask_for("tax_fen[2024]", "en"))
    tax paid in the zone in 2024 — please provide the 2024 tax payment certificates or the tax office's statement
    """
    lines = []
    for label in (part.strip() for part in missing_fields.split(",")):
        if not label:
            continue
        m = _LABEL.match(label)
        fact, year = (m["fact"], m["year"] or "") if m else (label, "")
        zh, en = ASKS.get(fact, ((label, "证明该数据的材料"), (label, "a document that proves it")))
        what, proof = en if locale == "en" else zh
        ask = "please provide " if locale == "en" else "请提供"
        lines.append(f"{what.format(y=year)} — {ask}{proof.format(y=year)}")
    return "\n".join(dict.fromkeys(lines))
