"""A policy whose conditions are year-on-year growths (``growth``: 同比增长), and its case file at
every boundary, shared by the DuckDB test and the conformance suite (every engine)."""

from __future__ import annotations

from pathlib import Path

from tests.policy._extra import library_with

POLICY = """id: zz-growth
family: zz-gxq-2022
meta: {name: 研发投入与就业增长奖励 (测试), number: null, issuer: 测试, issued_on: null,
       effective_from: 2022-01-01, source_url: null}
parameters:
  jobs_growth: {ref: 第二条, kind: rate, values: [{since: 2022-01-01, value: 10%}]}
clauses:
  - id: rd-growth
    ref: 第一条
    title: 研发投入不低于100万元且同比增长20%以上
    when:
      all:
        - {fact: rd_expense_fen, year: 0, op: ">=", value: 100万, ref: 第一条}
        - {growth: rd_expense_fen, year: 0, op: ">=", value: 20%, ref: 第一条, label: 研发投入同比增长20%以上}
    amount: {ref: 第一条, fixed: 10万}
  - id: jobs-growth
    ref: 第二条
    title: 参保人数同比增长10%以上
    when: {growth: insured_employees, op: ">=", param: jobs_growth, ref: 第二条}
    amount: {ref: 第二条, fixed: 5万}
"""

CASES = """policies: [zz-growth]
period: 2024
default:
  enterprise: {division_code: "410172561", status: 存续}
  years:
    2023: {revenue_fen: 600万, tax_fen: 12万, rd_expense_fen: 500万, insured_employees: 50}
    2024: {revenue_fen: 700万, tax_fen: 14万, rd_expense_fen: 600万, insured_employees: 55}
cases:
  - name: 恰为 20% (含) → 10万; 参保人数恰增 10% (含) → 5万
    firm: {}
    expect:
      - {clause: rd-growth, status: eligible, amount: 10万, trace: ['growth rd_expense_fen[2024] over rd_expense_fen[2023] >= 20%', '"value":60000000']}
      - {clause: jobs-growth, status: eligible, amount: 5万, trace: ['jobs_growth=10%']}
  - name: 差一分 (just below) → 无
    firm: {years: {2024: {rd_expense_fen: 5999999.99元, insured_employees: 54}}}
    expect: [{clause: rd-growth, status: ineligible}, {clause: jobs-growth, status: ineligible}]
  - name: 多一分 (just above) → 10万
    firm: {years: {2024: {rd_expense_fen: 6000000.01元}}}
    expect: [{clause: rd-growth, status: eligible, amount: 10万}]
  - name: 上年无数据 → 待核实, 指明上年
    firm: {years: {2023: {rd_expense_fen: null, insured_employees: null}}}
    expect:
      - {clause: rd-growth, status: undetermined, missing: "rd_expense_fen[2023]"}
      - {clause: jobs-growth, status: undetermined, missing: "insured_employees[2023]"}
  - name: 本年无数据 → 待核实, 指明本年
    firm: {years: {2024: {rd_expense_fen: null}}}
    expect: [{clause: rd-growth, status: undetermined, missing: "rd_expense_fen[2024]"}]
  - name: 上年为 0 (无增长率可言) → 无
    firm: {years: {2023: {rd_expense_fen: 0元}}}
    expect: [{clause: rd-growth, status: ineligible}]
  - name: 下降 → 无
    firm: {years: {2024: {rd_expense_fen: 400万, insured_employees: 40}}}
    expect: [{clause: rd-growth, status: ineligible}, {clause: jobs-growth, status: ineligible}]
  - name: 排除情形 (严重违法失信) → 无
    firm: {events: [{kind: 严重违法失信, date: 2024-05-01}]}
    expect: [{clause: rd-growth, status: ineligible}, {clause: jobs-growth, status: ineligible}]
"""


def library_with_growth(folder: Path) -> Path:
    """The built-in library copied to *folder* with this policy and its case file added."""
    return library_with(folder, "zz-growth", POLICY, CASES)
