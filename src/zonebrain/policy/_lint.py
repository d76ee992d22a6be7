"""Fair-competition lint (公平竞争审查): flags clauses a reviewer must look at, with the rule behind each.

The rules restate, in our own words, the review standards on measures that affect operating costs
(selective awards tied to tax paid or retained) and on measures that favour firms by origin or
ownership (see ``docs/policy.md``; the article numbers of the regulation are to be verified there).
A finding is a prompt for the reviewer, not a legal conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from zonebrain.policy._format import Clause, Condition, Policy
from zonebrain.policy._library import Library

OWNERSHIP_WORDS: Final = ("国有", "国企", "央企", "外资", "外商", "民营", "私营", "集体", "港澳台")
ORIGIN_EVENTS: Final = ("迁入", "迁出")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Literal["error", "warning"]
    basis: str
    """What the review standard says, in our words."""


RULES: Final = {
    "FC-TAX-AMOUNT": Rule(
        "FC-TAX-AMOUNT",
        "error",
        "奖补金额不得与企业缴纳或地方留存的税收挂钩 (公平竞争审查: 影响生产经营成本标准) / "
        "an award must not be computed from the tax a firm pays or the share the locality retains",
    ),
    "FC-TAX-THRESHOLD": Rule(
        "FC-TAX-THRESHOLD",
        "warning",
        "以纳税额门槛决定是否享受奖补, 需审查是否构成按税收贡献的选择性奖励 / "
        "a tax-paid threshold for eligibility may be a selective award by tax contribution",
    ),
    "FC-ORIGIN": Rule(
        "FC-ORIGIN",
        "warning",
        "按企业来源地 (迁入地、外地/本地) 区别对待, 需审查是否限制商品要素自由流动 / "
        "treating firms differently by origin may restrict the free flow of goods and factors",
    ),
    "FC-OWNERSHIP": Rule(
        "FC-OWNERSHIP",
        "warning",
        "按所有制形式区别对待, 需审查是否违反各类经营者平等对待原则 / "
        "treating firms differently by ownership may breach equal treatment of operators",
    ),
}


@dataclass(frozen=True)
class Finding:
    policy_id: str
    clause_id: str
    ref: str
    rule: str
    severity: str
    reason: str
    basis: str


def _leaf_findings(leaf: Condition) -> list[tuple[str, str]]:
    out = []
    ref = leaf.ref.text() if leaf.ref else ""
    if leaf.fact == "tax_fen" and leaf.op in (">=", ">") and leaf.value not in (None, "0元", "0", 0):
        out.append(("FC-TAX-THRESHOLD", f"{ref}: 条件 tax_fen {leaf.op} {leaf.value or leaf.param}"))
    if leaf.event in ORIGIN_EVENTS:
        detail = f", detail_excludes {leaf.detail_excludes}" if leaf.detail_excludes else ""
        out.append(("FC-ORIGIN", f"{ref}: 条件取决于 {leaf.event} 事件{detail}"))
    names = " ".join(str(x) for x in (leaf.tag, leaf.value) if x is not None)
    hit = [w for w in OWNERSHIP_WORDS if w in names]
    if hit:
        out.append(("FC-OWNERSHIP", f"{ref}: 条件涉及所有制 {', '.join(hit)}"))
    return out


def _clause_findings(policy: Policy, clause: Clause) -> list[Finding]:
    raw: list[tuple[str, str]] = []
    a = clause.amount
    if a.of == "tax_fen":
        raw.append(("FC-TAX-AMOUNT", f"{a.ref.text()}: 金额按 tax_fen 计算"))
    for leaf in clause.when.leaves():
        raw += _leaf_findings(leaf)
    return [
        Finding(policy.id, clause.id, clause.ref.text(), r, RULES[r].severity, why, RULES[r].basis)
        for r, why in raw
    ]


def lint(lib: Library) -> list[Finding]:
    """Findings for every clause of every policy (the family's shared conditions are linted once, as ``*``)."""
    out: list[Finding] = []
    for p in lib.policies.values():
        for c in p.clauses:
            out += _clause_findings(p, c)
    for f in lib.families.values():
        for cond in (f.eligibility, *f.exclusions):
            for leaf in cond.leaves():
                for r, why in _leaf_findings(leaf):
                    out.append(
                        Finding(
                            f.id,
                            "*",
                            leaf.ref.text() if leaf.ref else "",
                            r,
                            RULES[r].severity,
                            why,
                            RULES[r].basis,
                        )
                    )
    return out
