"""A policy whose condition is a tag first held in the period (``since_within``), and its case file
at every boundary, shared by the DuckDB test and the conformance suite (every engine)."""

from __future__ import annotations

from pathlib import Path

from tests.policy._extra import library_with

POLICY = """id: zz-tag-first
family: zz-gxq-2022
meta: {name: 专精特新中小企业首次认定奖励 (测试), number: null, issuer: 测试, issued_on: null,
       effective_from: 2022-01-01, source_url: null}
clauses:
  - id: award
    ref: 第一条
    title: 本年度首次认定为专精特新中小企业的一次性奖励
    once: true
    when: {tag: 专精特新中小企业, since_within: period, ref: 第一条, label: 本期首次认定}
    amount: {ref: 第一条, fixed: 20万}
"""

CASES = """policies: [zz-tag-first]
period: 2024
default:
  enterprise: {division_code: "410172561", status: 存续}
  years:
    2024: {revenue_fen: 600万, tax_fen: 12万, insured_employees: 12}
  tags: [{tag: 专精特新中小企业, since: 2024-03-01}]
cases:
  - name: 本期首次取得 → 20万
    firm: {}
    expect: [{clause: award, status: eligible, amount: 20万, trace: ['"value":"2024-03-01"', '"result":true']}]
  - name: 恰为期初 (含) → 20万
    firm: {tags: [{tag: 专精特新中小企业, since: 2024-01-01}]}
    expect: [{clause: award, status: eligible, amount: 20万}]
  - name: 恰为期末 (含) → 20万
    firm: {tags: [{tag: 专精特新中小企业, since: 2024-12-31}]}
    expect: [{clause: award, status: eligible, amount: 20万}]
  - name: 上年已取得 (just before) → 无
    firm: {tags: [{tag: 专精特新中小企业, since: 2023-12-31}]}
    expect: [{clause: award, status: ineligible, trace: ['"value":"2023-12-31"']}]
  - name: 期后取得 (just after) → 无
    firm: {tags: [{tag: 专精特新中小企业, since: 2025-01-01}]}
    expect: [{clause: award, status: ineligible}]
  - name: 未持有 → 无
    firm: {tags: [{tag: 非独立核算的其他标签, since: 2024-03-01}]}
    expect: [{clause: award, status: ineligible, trace: ['"value":"未持有 (not held)"']}]
  - name: 取得日期未填 → 待核实
    firm: {tags: [{tag: 专精特新中小企业}]}
    expect: [{clause: award, status: undetermined, missing: "tag_since[专精特新中小企业]"}]
  - name: 排除情形 (严重违法失信) → 无
    firm: {events: [{kind: 严重违法失信, date: 2024-05-01}]}
    expect: [{clause: award, status: ineligible}]
  - name: 已兑现 (一次性) → 无
    firm: {}
    paid: [zz-tag-first/award]
    expect: [{clause: award, status: ineligible, trace: ['already paid']}]
"""


def library_with_tag_first(folder: Path) -> Path:
    """The built-in library copied to *folder* with this policy and its case file added."""
    return library_with(folder, "zz-tag-first", POLICY, CASES)
