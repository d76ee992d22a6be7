"""Fair-competition lint (公平竞争审查): flags clauses a reviewer must look at, with the rule behind each.

The rules restate, in our own words, the review standards on measures that affect operating costs
(selective awards tied to tax paid or retained) and on measures that favour firms by origin or
ownership (see ``docs/policy.md``; the article numbers of the regulation are to be verified there).
A finding is a prompt for the reviewer, not a legal conclusion.

Conditions are read as written, whatever their form: a literal or a parameter, under ``not`` or
not, with any comparison. Testing whether a firm pays any tax at all (``tax_fen > 0元``,
``tax_fen == 0元``: a sign of real operation, as in the 郑州高新区 family's exclusion 无纳税) compares
with no positive threshold and is not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from zonebrain.policy._format import Clause, Condition, Parameter, Policy, _fen
from zonebrain.policy._library import Library

TAX_FACTS: Final = ("tax_fen",)
"""Facts measuring the tax a firm pays (or the share the locality retains): FC-TAX-* look at them."""
COMPARISONS: Final = (">=", ">", "<=", "<", "==", "!=", "in", "not in")
"""The operators that compare a fact with a threshold (``reported`` and ``startswith`` do not)."""
OWNERSHIP_WORDS: Final = ("国有", "国企", "央企", "外资", "外商", "民营", "私营", "集体", "港澳台")
ORIGIN_WORDS: Final = (
    # Where a firm comes from, or whether it is local: a tag or event kind so named sorts firms by
    # origin (本地企业, 外地企业, 本市注册 …), which the review standard forbids as much as a 迁入 test.
    "本地", "本市", "本省", "本区", "本县", "本土", "外地", "外埠", "外市", "外省", "外县",
    "域外", "区外", "市外", "省外", "县外", "异地",
    # Moving in or out, or settling in: the 迁入/迁出 events of the registration register and the
    # tags derived from them (新落户企业, 回迁企业).
    "迁入", "迁出", "落户", "落地", "回迁",
)  # fmt: skip
"""Words in a tag name or an event kind that express origin or locality (FC-ORIGIN). Matched as
substrings, so the list holds words, not the register names a zone happens to use. Not in it:
境外/外资 (foreign capital is ownership: FC-OWNERSHIP), and the registration test
``division_code startswith 410172`` (the family's supported subject, where a firm is registered,
not where it came from)."""


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
        "以纳税额门槛决定是否享受奖补, 需审查是否构成按税收贡献的选择性奖励 "
        "(公平竞争审查: 影响生产经营成本标准) / "
        "a tax-paid threshold for eligibility may be a selective award by tax contribution",
    ),
    "FC-ORIGIN": Rule(
        "FC-ORIGIN",
        "warning",
        "按企业来源地 (迁入地、外地/本地) 区别对待, 需审查是否限制商品要素自由流动 "
        "(公平竞争审查: 商品和要素自由流动标准) / "
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


def _positive(value: Any) -> bool:
    """A threshold above zero; one that is not an amount (a rate parameter on tax) counts as one."""
    try:
        return _fen(value) > 0
    except ValueError:
        return True


def _tax_threshold(leaf: Condition, params: Mapping[str, Parameter]) -> str | None:
    """The positive threshold a tax condition compares with, as written; None when it compares
    with none (not a tax fact, not a comparison, or a threshold of zero or below)."""
    if leaf.fact not in TAX_FACTS or leaf.op not in COMPARISONS:
        return None
    if leaf.param is not None:
        spec = params.get(leaf.param)
        if spec is None:  # a family condition has no parameters to read: flag it rather than guess
            return f"参数 {leaf.param} (取值未知 unknown value)"
        shown = list(dict.fromkeys(str(v.value) for v in spec.values if _positive(v.value)))
        return f"参数 {leaf.param} = {'、'.join(shown)}" if shown else None
    values = leaf.value if isinstance(leaf.value, list | tuple) else [leaf.value]
    return str(leaf.value) if any(_positive(v) for v in values) else None


def _leaf_findings(
    leaf: Condition, negated: bool = False, params: Mapping[str, Parameter] | None = None
) -> list[tuple[str, str]]:
    """(rule, reason) for one leaf; *negated*: it sits under ``not``; *params*: the policy's parameters."""
    out = []
    ref = leaf.ref.text() if leaf.ref else ""
    neg = " (取反 under not)" if negated else ""
    threshold = _tax_threshold(leaf, params or {})
    if threshold is not None:
        test = f"{leaf.fact} {leaf.op} {threshold}"
        test = f"not ({test})" if negated else test
        why = f"{ref}: 条件 {test}: 按纳税额设正门槛 (compares tax paid with a positive threshold)"
        out.append(("FC-TAX-THRESHOLD", why))
    if leaf.growth in TAX_FACTS:  # rewarding a rise in tax paid ties the award to tax as much
        rate = f"参数 {leaf.param}" if leaf.param else str(leaf.value)
        test = f"{leaf.growth} 同比增长 {leaf.op} {rate}"
        test = f"not ({test})" if negated else test
        why = f"{ref}: 条件 {test}: 按纳税额的增长设门槛 (compares the growth of tax paid with a rate)"
        out.append(("FC-TAX-THRESHOLD", why))
    for kind, name, en in (("事件", leaf.event, "an event kind"), ("标签", leaf.tag, "a tag")):
        hit = [w for w in ORIGIN_WORDS if name is not None and w in name]
        if hit:
            detail = f", detail_excludes {leaf.detail_excludes}" if leaf.detail_excludes else ""
            words = ", ".join(hit)
            why = f"{ref}: 条件取决于{kind} {name}{detail}{neg}, 名称含来源地用语 {words} ({en} naming origin or locality)"
            out.append(("FC-ORIGIN", why))
        elif kind == "事件" and name is not None and leaf.detail_excludes:
            # the detail of an event is where it happened or came from (迁入: 自星野市迁入): keeping
            # only events whose detail lacks a place sorts firms by it, whatever the kind's name (QA)
            why = (
                f"{ref}: 条件取决于事件 {name} 的说明不含 {leaf.detail_excludes}{neg}, 按事件说明 (如来源地) "
                f"区别对待 (an event kept by what its detail leaves out: an origin test, e.g. where a firm moved from)"
            )
            out.append(("FC-ORIGIN", why))
    names = " ".join(str(x) for x in (leaf.tag, leaf.value) if x is not None)
    hit = [w for w in OWNERSHIP_WORDS if w in names]
    if hit:
        out.append(("FC-OWNERSHIP", f"{ref}: 条件涉及所有制 {', '.join(hit)}{neg} (names an ownership form)"))
    return out


def _clause_findings(policy: Policy, clause: Clause) -> list[Finding]:
    raw: list[tuple[str, str]] = []
    a = clause.amount
    if a.of in TAX_FACTS:
        raw.append(
            ("FC-TAX-AMOUNT", f"{a.ref.text()}: 金额按 {a.of} 计算 (the amount is computed from tax paid)")
        )
    for leaf, _, negated in clause.when.walk():
        raw += _leaf_findings(leaf, negated, policy.parameters)
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
            for leaf, _, negated in cond.walk():
                for r, why in _leaf_findings(leaf, negated):
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
