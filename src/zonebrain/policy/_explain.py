"""Reading a recorded trace back: each condition with its label, clause reference and parameters.

The trace (``policy_results.trace``) holds per condition its clause reference, the test as text,
the value read and the three-valued result, but not the label nor which parameter it used: those
are in the policy files. :func:`leaves` lists, per (policy, clause), the leaf conditions in trace
order (the family's eligibility and exclusions, then the clause's own), so a trace can be labelled.
When the policy files changed since the run (the count differs), nothing is labelled rather than
something mislabelled.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from zonebrain.core.money import display_fen
from zonebrain.policy._format import MONEY_FACTS, Condition, Policy, rate_text
from zonebrain.policy._library import Library

Part = Literal["subject", "exclusion", "clause"]
"""Where a leaf comes from: the family's eligibility (subject), one of its exclusions (true
excludes the firm), or the clause's own condition."""


@dataclass(frozen=True)
class Leaf:
    """A leaf condition as the trace lists it."""

    condition: Condition
    policy: Policy
    part: Part
    negated: bool
    """Under an odd number of ``not``: the leaf being false is what the policy wants."""


def _walk(c: Condition, negated: bool = False) -> list[tuple[Condition, bool]]:
    """The leaves of *c* in :meth:`Condition.leaves` order, each with whether it sits under a ``not``."""
    if c.all is not None or c.any is not None:
        return [leaf for x in (c.all or c.any or ()) for leaf in _walk(x, negated)]
    if c.not_ is not None:
        return _walk(c.not_, not negated)
    return [(c, negated)]


def leaves(lib: Library) -> dict[tuple[str, str], list[Leaf]]:
    """(policy, clause) → its leaf conditions in trace order (family eligibility, exclusions, clause)."""
    out: dict[tuple[str, str], list[Leaf]] = {}
    for p in lib.policies.values():
        fam = lib.families.get(p.family or "")
        shared: list[tuple[Condition, bool, Part]] = []
        if fam is not None:
            shared += [(x, neg, "subject") for x, neg in _walk(fam.eligibility)]
            shared += [(x, neg, "exclusion") for t in fam.exclusions for x, neg in _walk(t)]
        for c in p.clauses:
            own: list[tuple[Condition, bool, Part]] = [(x, neg, "clause") for x, neg in _walk(c.when)]
            out[p.id, c.id] = [Leaf(x, p, part, neg) for x, neg, part in (*shared, *own)]
    return out


def labels(lib: Library) -> dict[tuple[str, str], list[str | None]]:
    """(policy, clause) → the labels of the conditions in trace order (None where a leaf has none)."""
    return {key: [leaf.condition.label for leaf in found] for key, found in leaves(lib).items()}


def parameter_text(kind: str, value: int | Fraction | None) -> str:
    """A parameter value for people: amounts in 万元 (exact), rates as percentages."""
    if value is None:
        return "—"
    if kind == "amount":
        return f"{display_fen(int(value), '万元')} 万元"
    return rate_text(Fraction(value))


def value_text(fact: str | None, value: Any) -> str:
    """A value read by a condition: money facts (fen) in 元, the rest as they are."""
    if value is None:
        return ""
    if fact in MONEY_FACTS and isinstance(value, int) and not isinstance(value, bool):
        return f"{display_fen(value, '元')} 元"
    return str(value)


@dataclass(frozen=True)
class ExplainedCondition:
    ref: str
    test: str
    value: Any
    value_text: str
    result: bool | None
    """True, False, or None (unknown: a fact is missing)."""
    label: str | None = None
    fact: str | None = None
    part: Part | None = None
    """subject, exclusion (true excludes the firm) or clause; None when unlabelled."""
    negated: bool = False
    """The leaf sits under a ``not`` (its being false is what the policy wants)."""
    favourable: bool | None = None
    """Does this leaf's result speak for the firm (taking ``not`` and exclusions into account)?
    None when unknown or unlabelled. A leaf inside ``any`` may be unfavourable while the whole holds."""
    parameters: dict[str, str] = field(default_factory=dict)
    """Name → the value in force at the period end (text), for the parameters this condition uses."""

    @property
    def holds(self) -> bool | None:
        """Does the statement the row shows hold? Under a ``not`` that is the negation of *result*:
        a label on a leaf under ``not`` names what the policy wants ("独立核算" for ``not: {tag:
        非独立核算}``), so "✓ 独立核算" must mean the firm does not hold the tag."""
        return (not self.result) if self.negated and isinstance(self.result, bool) else self.result


@dataclass(frozen=True)
class Explained:
    policy_id: str
    clause_id: str
    ref: str
    period: int | None
    conditions: tuple[ExplainedCondition, ...]
    amount: dict[str, Any]
    """ref, rule, base, fen (as recorded)."""
    extra: dict[str, Any]
    """Groups (superseded_by, kept_over), caps, budgets, the payment ledger, the final status."""
    labelled: bool
    """False when the policy files changed since the run (conditions are shown unlabelled)."""
    title: str | None = None
    subject_and_exclusions: bool | None = None
    clause_conditions: bool | None = None


CORE_KEYS = frozenset(
    {
        "policy",
        "clause",
        "ref",
        "period",
        "conditions",
        "amount",
        "subject_and_exclusions",
        "clause_conditions",
    }
)


def explain(lib: Library, trace: str | dict[str, Any]) -> Explained:
    """One recorded trace (JSON text or parsed) read against the policy files *lib*."""
    data: dict[str, Any] = json.loads(trace) if isinstance(trace, str) else dict(trace)
    policy_id, clause_id = str(data.get("policy", "")), str(data.get("clause", ""))
    period = data.get("period")
    raw = list(data.get("conditions") or [])
    found = leaves(lib).get((policy_id, clause_id), [])
    labelled = bool(found) and len(found) == len(raw)
    day = dt.date(int(period), 12, 31) if isinstance(period, int) else None
    conditions = []
    for i, c in enumerate(raw):
        known = found[i] if labelled else None
        leaf = known.condition if known else None
        params: dict[str, str] = {}
        if known is not None and leaf is not None and leaf.param and leaf.param in known.policy.parameters:
            spec = known.policy.parameters[leaf.param]
            params[leaf.param] = parameter_text(spec.kind, spec.at(day) if day else None)
        fact = leaf.fact if leaf is not None else None
        result = c.get("result")
        favourable = None
        if known is not None and isinstance(result, bool):
            favourable = (result != known.negated) != (known.part == "exclusion")
        conditions.append(
            ExplainedCondition(
                ref=str(c.get("ref", "")),
                test=str(c.get("test", "")),
                value=c.get("value"),
                value_text=value_text(fact, c.get("value")),
                result=result,
                label=leaf.label if leaf is not None else None,
                fact=fact,
                part=known.part if known else None,
                negated=known.negated if known else False,
                favourable=favourable,
                parameters=params,
            )
        )
    pol = lib.policies.get(policy_id)
    title = next((x.title for x in pol.clauses if x.id == clause_id), None) if pol else None
    return Explained(
        policy_id=policy_id,
        clause_id=clause_id,
        ref=str(data.get("ref", "")),
        period=period if isinstance(period, int) else None,
        conditions=tuple(conditions),
        amount=dict(data.get("amount") or {}),
        extra={k: v for k, v in data.items() if k not in CORE_KEYS},
        labelled=labelled,
        title=title,
        subject_and_exclusions=data.get("subject_and_exclusions"),
        clause_conditions=data.get("clause_conditions"),
    )
