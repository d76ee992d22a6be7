"""Fair-competition lint (公平竞争审查) reads a condition as it works, not as it is spelt.

QA found a tax threshold flagged only as a literal ``>=``/``>`` (not a parameter, not under ``not``),
and origin flagged only on 迁入/迁出 events (not on a tag such as 本地企业). A test of "pays any tax
at all" (``tax_fen > 0元``, the family's own ``tax_fen == 0元`` 无纳税 exclusion) is a sign of real
operation, not favouring by tax amount, and stays unflagged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonebrain.cli.policy_cmd import app
from zonebrain.policy import RULES, Finding, lint, load_library

FAMILY = """
id: fam
meta: {name: 测试政策措施, issuer: 某区, effective_from: 2022-01-01}
eligibility:
  all:
    - {fact: division_code, op: startswith, value: "410172", ref: 第一条}
    - {not: {tag: 非独立核算, ref: 第一条}}
exclusions:
  - any:
      - {fact: tax_fen, op: "==", value: 0元, ref: 第二条, label: 无纳税}
      - {fact: revenue_fen, op: "==", value: 0元, ref: 第二条}
{extra}
"""

POLICY = """
id: award
family: fam
meta: {name: 测试奖励, issuer: 某区, effective_from: 2022-01-01}
parameters:
  threshold: {ref: 第三条, kind: amount, values: [{since: 2022-01-01, value: 500万元}]}
  floor: {ref: 第三条, kind: amount, values: [{since: 2022-01-01, value: 0元}]}
clauses:
  - id: grant
    ref: 第三条
    title: 测试
    when:
      all:
        - {fact: revenue_fen, op: ">=", value: 1000万, ref: 第三条}
        - {WHEN}
    amount: {ref: 第三条, fixed: 10万}
"""


def _lint(tmp_path: Path, when: str, extra: str = "") -> list[Finding]:
    (tmp_path / "fam.family.yaml").write_text(FAMILY.replace("{extra}", extra), encoding="utf-8")
    (tmp_path / "award.policy.yaml").write_text(POLICY.replace("WHEN", when), encoding="utf-8")
    return lint(load_library(tmp_path))


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        ('fact: tax_fen, op: ">=", value: 100万, ref: 第三条', "tax_fen >= 100万"),
        ('fact: tax_fen, op: ">=", param: threshold, ref: 第三条', "tax_fen >= 参数 threshold = 500万元"),
        ('not: {fact: tax_fen, op: "<", value: 100万, ref: 第三条}', "not (tax_fen < 100万)"),
        ('not: {fact: tax_fen, op: "<", param: threshold, ref: 第三条}', "not (tax_fen < 参数 threshold"),
        ('fact: tax_fen, op: "<=", value: 50万, ref: 第三条', "tax_fen <= 50万"),
        ('fact: tax_fen, op: "==", value: 100万, ref: 第三条', "tax_fen == 100万"),
        ('any: [{fact: tax_fen, op: ">", value: 1元, year: -1, ref: 第三条}]', "tax_fen > 1元"),
    ],
)
def test_a_positive_tax_threshold_is_flagged_however_written(tmp_path: Path, when: str, shown: str) -> None:
    found = [f for f in _lint(tmp_path, when) if f.rule == "FC-TAX-THRESHOLD"]
    assert [(f.policy_id, f.clause_id, f.severity) for f in found] == [("award", "grant", "warning")]
    assert found[0].reason.startswith("第三条: ") and shown in found[0].reason
    assert found[0].basis == RULES["FC-TAX-THRESHOLD"].basis and "公平竞争审查" in found[0].basis


@pytest.mark.parametrize(
    "when",
    [
        'fact: tax_fen, op: ">", value: 0元, ref: 第三条',
        'fact: tax_fen, op: ">=", value: 0元, ref: 第三条',
        'not: {fact: tax_fen, op: "==", value: 0元, ref: 第三条}',
        'fact: tax_fen, op: ">", param: floor, ref: 第三条',
        "fact: tax_fen, op: reported, ref: 第三条",
    ],
)
def test_paying_any_tax_at_all_is_not_a_threshold(tmp_path: Path, when: str) -> None:
    """Whether a firm pays tax at all tests real operation; the family's 无纳税 exclusion is one too."""
    assert not [f for f in _lint(tmp_path, when) if f.rule.startswith("FC-TAX")]


def test_the_builtin_family_tests_no_tax_and_stays_clean() -> None:
    lib = load_library()
    fam = lib.families["zz-gxq-2022"]
    no_tax = [leaf for c in fam.exclusions for leaf in c.leaves() if leaf.fact == "tax_fen"]
    assert [(leaf.op, leaf.value) for leaf in no_tax] == [("==", "0元")]
    findings = lint(lib)
    assert [(f.rule, f.severity, f.policy_id, f.clause_id) for f in findings] == [
        ("FC-ORIGIN", "warning", "zz-hitech-first-cert", "award")
    ]
    assert findings[0].reason.startswith("第一条第二款: ") and "迁入" in findings[0].reason


@pytest.mark.parametrize(
    ("when", "extra", "where", "name"),
    [
        ("tag: 本地企业, ref: 第三条", "", ("award", "grant", "第三条"), "本地企业"),
        ("not: {tag: 外地企业, ref: 第三条}", "", ("award", "grant", "第三条"), "外地企业"),
        ("tag: 新落户企业, ref: 第三条", "", ("award", "grant", "第三条"), "新落户企业"),
        ("event: 本市注册, within: period, ref: 第三条", "", ("award", "grant", "第三条"), "本市注册"),
        ("event: 迁入, within: {years: 3}, ref: 第三条", "", ("award", "grant", "第三条"), "迁入"),
        ("event: 新落地, within: period, ref: 第三条", "", ("award", "grant", "第三条"), "新落地"),
        # QA: the kind names no origin, but keeping events whose detail lacks a place sorts by it
        (
            "event: 引进, within: period, detail_excludes: 河南, ref: 第三条",
            "",
            ("award", "grant", "第三条"),
            "河南",
        ),
        (
            "tag: 高新技术企业, ref: 第三条",
            "  - {tag: 域外企业, ref: 第二条}",
            ("fam", "*", "第二条"),
            "域外企业",
        ),
        (
            "tag: 高新技术企业, ref: 第三条",
            "  - {event: 迁出, within: period, ref: 第二条}",
            ("fam", "*", "第二条"),
            "迁出",
        ),
    ],
)
def test_origin_is_flagged_on_tags_and_event_kinds(
    tmp_path: Path, when: str, extra: str, where: tuple[str, str, str], name: str
) -> None:
    found = [f for f in _lint(tmp_path, when, extra) if f.rule == "FC-ORIGIN"]
    assert [(f.policy_id, f.clause_id, f.ref, f.severity) for f in found] == [(*where, "warning")]
    assert name in found[0].reason and "来源地" in found[0].reason and "origin" in found[0].reason
    assert found[0].basis == RULES["FC-ORIGIN"].basis and "公平竞争审查" in found[0].basis


def test_tags_naming_no_origin_are_not_flagged(tmp_path: Path) -> None:
    for when in (
        "tag: 高新技术企业, ref: 第三条",
        "event: 高新技术企业首次认定, within: period, ref: 第三条",
    ):
        assert _lint(tmp_path, when) == []


def test_the_command_shows_the_parameter_threshold(tmp_path: Path) -> None:
    _lint(tmp_path, 'fact: tax_fen, op: ">=", param: threshold, ref: 第三条')
    r = CliRunner().invoke(app, ["lint", "--dir", str(tmp_path)], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "FC-TAX-THRESHOLD" in r.output and "0 错误 errors, 1 提示 warnings" in r.output
