"""Reading a recorded trace back: each condition with its label, clause reference and parameters.

The trace (``policy_results.trace``) holds per condition its clause reference, the test as text,
the value read and the three-valued result, but not the label nor which parameter it used: those
are in the policy files. :func:`leaves` lists, per (policy, clause), the leaf conditions in trace
order (the family's eligibility and exclusions, then the clause's own), so a trace can be labelled.
When the policy files changed since the run (the count differs), nothing is labelled rather than
something mislabelled.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from zonebrain.core.money import FEN_PER, display_fen, format_fen
from zonebrain.policy._coverage import fact_label_zh, field_label_zh
from zonebrain.policy._format import (
    ENTERPRISE_FACTS,
    MONEY_FACTS,
    Condition,
    Policy,
    _fen,
    _rate,
    rate_text,
    yuan_text,
)
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


def clause_order(lib: Library) -> dict[tuple[str, str], int]:
    """(policy, clause) → its place in the library: policies as loaded, clauses as declared in
    their file (``reach-10m`` before ``reach-100m``, not by text)."""
    pairs = [(p.id, c.id) for p in lib.policies.values() for c in p.clauses]
    return {key: i for i, key in enumerate(pairs)}


def clause_names(lib: Library) -> dict[tuple[str, str], str]:
    """(policy, clause) → how people name it: the policy's name and the 条款
    (``郑州高新区企业研发投入奖励 第一条``)."""
    return {(p.id, c.id): f"{p.meta.name} {c.ref.text()}" for p in lib.policies.values() for c in p.clauses}


def in_library_order(lib: Library, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """*rows* (each with ``policy_id`` and ``clause_id``) in :func:`clause_order`; a clause no
    longer in the library goes last, in text order."""
    place = clause_order(lib)
    last = len(place)
    return sorted(
        rows,
        key=lambda r: (place.get((r["policy_id"], r["clause_id"]), last), r["policy_id"], r["clause_id"]),
    )


def labels(lib: Library) -> dict[tuple[str, str], list[str | None]]:
    """(policy, clause) → the labels of the conditions in trace order (None where a leaf has none)."""
    return {key: [leaf.condition.label for leaf in found] for key, found in leaves(lib).items()}


def parameter_text(kind: str, value: int | Fraction | None) -> str:
    """A parameter value for people: amounts in 元 (as in the value column), rates as percentages."""
    if value is None:
        return "—"
    if kind == "amount":
        return yuan_text(int(value))
    return rate_text(Fraction(value))


def value_text(fact: str | None, value: Any, words: Words | None = None) -> str:
    """A value read by a condition: money facts (fen) in 元, the rest as they are (by *words*: the
    money in its unit, a registered value such as a status by its name in that language)."""
    w = words or ZH
    if value is None:
        return ""
    if fact in MONEY_FACTS and isinstance(value, int) and not isinstance(value, bool):
        return w.money(value)
    return w.term(str(value))


OP_ZH = {
    ">=": "≥",
    ">": ">",
    "<=": "≤",
    "<": "<",
    "==": "=",
    "!=": "≠",
    "in": "属于",
    "not in": "不属于",
    "startswith": "以",
    "reported": "有数据 (已报送)",
}
"""An operator as a Chinese reader writes it (``startswith`` reads 以 “…” 开头)."""


@dataclass(frozen=True)
class Words:
    """The wording of a trace read for people: :data:`ZH` (the policy layer's own), or another
    language's, made where its vocabulary lives (the web's catalogue, ``web/_queries/policy.py``).
    Templates are ``str.format`` texts; *field* names a fact read for a year (None: the enterprise
    fact itself), *term* a data value (a tag, an event kind, a registry status), *amount* a policy
    text's amount in fen (``1000万元``)."""

    field: Callable[[str, int | str | None], str]
    ops: Mapping[str, str]
    starts: str
    list_sep: str
    param: str
    tag_on: str
    event_in: str
    without: str
    term: Callable[[str], str]
    money: Callable[[int], str]
    """A test's amount in fen as the value column shows it (``5,000,000.00 元``)."""
    amount: Callable[[int], str]
    reported: str
    label_reported: str
    label_param: str
    tag_label: str
    event_label: str
    label_without: str
    when: Callable[[str, int, Mapping[str, int] | None], str]
    """``period`` or ``within``, the years' offset, the ``within`` span → the event's window."""
    growth: str
    """A year-on-year growth: ``{subject}`` (the later year's fact), ``{base}`` (the year before's),
    ``{op}``, ``{rate}`` and ``{param}`` (the parameter's note, or empty)."""
    label_half: int | None = None
    """Which half of a ``中文 / English`` label from the policy file this language shows (None:
    the whole label, as the Chinese pages and the CLI show it; 1: the English half)."""

    def label(self, text: str) -> str:
        """A policy file's label in this language (a label of one language only: as it is)."""
        halves = text.split(" / ", 1)
        return halves[self.label_half] if self.label_half is not None and len(halves) == 2 else text


_FACT_TEST = re.compile(
    r"(?P<field>(?P<fact>\w+)(?:\[(?P<year>\d{4})\])?) "
    r"(?P<op>>=|>|<=|<|==|!=|not in|in|startswith|reported)(?: (?:(?P<param>[A-Za-z_]\w*)=)?(?P<rhs>.*))?"
)
_TAG_TEST = re.compile(r"tag (?P<tag>.+) @ (?P<day>\d{4}-\d{2}-\d{2})")
_GROWTH_TEST = re.compile(
    r"growth (?P<fact>\w+)\[(?P<year>\d{4})\] over \w+\[(?P<base>\d{4})\] "
    r"(?P<op>>=|>|<=|<) (?:(?P<param>[A-Za-z_]\w*)=)?(?P<rate>[\d.]+%)"
)
_EVENT_TEST = re.compile(
    r"event (?P<kind>.+) in \[(?P<start>[\d-]+), (?P<end>[\d-]+)\](?:, detail without (?P<without>.+))?"
)


def _when_zh(kind: str, offset: int, within: Mapping[str, int] | None) -> str:
    """An event's window in Chinese: 本期, 上一年度, 近5年, 2年前的近30天."""
    if kind == "period":
        return "本期" if offset == 0 else "上一年度" if offset == 1 else f"{offset}年前"
    unit, n = next(iter((within or {}).items()))
    span = f"近{n}{'年' if unit == 'years' else '天'}"
    return span if offset == 0 else f"{offset}年前的{span}"


def _field_zh(fact: str, year: str | int | None) -> str:
    """A fact read for a year, in Chinese: ``2024年营业收入``; the history fact says what it spans."""
    return field_label_zh(f"{fact}[{year}]") if year is not None else fact_label_zh(fact)


def _rhs(op: str, rhs: Any, fen: str, w: Words) -> str:
    """The right-hand side of a comparison (*fen* already shown in 元 when money)."""
    if op == "startswith":
        return w.starts.format(v=rhs)
    if isinstance(rhs, (list, tuple)):
        shown = w.list_sep.join(w.term(str(v)) for v in rhs)
    else:
        shown = fen or w.term(str(rhs))
    return f"{w.ops.get(op, op)} {shown}"


def readable_test(test: str, words: Words | None = None) -> str:
    """A recorded test as people read it, Chinese (or *words*' language) and money in 元 like the
    value column: ``revenue_fen[2024] >= 10000000000`` → ``2024年营业收入 ≥ 100,000,000.00 元``;
    ``rd_expense_fen[2024] >= threshold=500000000`` → ``2024年研发费用 ≥ 5,000,000.00 元 (参数
    threshold)``; a tag or an event test names the date or the window. A text it cannot read is
    returned as it is (the stored trace stays the record; this is only its reading)."""
    w = words or ZH
    if m := _FACT_TEST.fullmatch(test):
        fact, op, rhs_text = m["fact"], m["op"], m["rhs"]
        subject = w.field(fact, m["year"])
        if op == "reported" or rhs_text is None:
            return f"{subject} {w.reported}" if op == "reported" else test
        rhs: Any = rhs_text
        if rhs_text[:1] in "['\"(":
            try:
                rhs = ast.literal_eval(rhs_text)
            except (ValueError, SyntaxError):
                rhs = rhs_text
        fen = ""
        if fact in MONEY_FACTS and re.fullmatch(r"-?\d+", rhs_text):
            fen = w.money(int(rhs_text))
        param = w.param.format(p=m["param"]) if m["param"] else ""
        return f"{subject} {_rhs(op, rhs, fen, w)}{param}"
    if m := _GROWTH_TEST.fullmatch(test):
        return w.growth.format(
            subject=w.field(m["fact"], m["year"]),
            base=w.field(m["fact"], m["base"]),
            op=w.ops.get(m["op"], m["op"]),
            rate=m["rate"],
            param=w.param.format(p=m["param"]) if m["param"] else "",
        )
    if m := _TAG_TEST.fullmatch(test):
        return w.tag_on.format(day=m["day"], tag=w.term(m["tag"]))
    if m := _EVENT_TEST.fullmatch(test):
        without = w.without.format(v=m["without"]) if m["without"] else ""
        return w.event_in.format(start=m["start"], end=m["end"], kind=w.term(m["kind"]), without=without)
    return test


def _amount_zh(fen: int) -> str:
    """An amount as policy texts write it: ``1亿元``, ``1000万元``, else in 元 (``1,234.50元``)."""
    for unit in ("亿元", "万元"):
        if fen and fen % FEN_PER[unit] == 0:
            return f"{format_fen(fen, unit)}{unit}"
    return f"{display_fen(fen, '元')}元"


def default_label(c: Condition, period: int | None, words: Words | None = None) -> str:
    """A label for a leaf the policy file leaves unlabelled, in the policy text's words (Chinese,
    or *words*' language): ``2024年营业收入 ≥ 1亿元``, ``持有“高新技术企业”标签``, ``上一年度发生
    “迁入”事件 (详情不含“郑州”)``."""
    w = words or ZH
    if c.fact is not None:
        if c.fact in ENTERPRISE_FACTS:
            subject = w.field(c.fact, None)
        elif period is not None:
            subject = w.field(c.fact, period + c.year)
        else:
            subject = w.field(c.fact, f"{c.year:+d}")
        op = str(c.op)
        if op == "reported":
            return w.label_reported.format(subject=subject)
        if c.param is not None:
            return w.label_param.format(subject=subject, op=w.ops.get(op, op), p=c.param)
        money = c.fact in MONEY_FACTS and c.value is not None
        return f"{subject} {_rhs(op, c.value, w.amount(_fen(c.value)) if money else '', w)}"
    if c.growth is not None:
        years = (
            (period + c.year, period + c.year - 1)
            if period is not None
            else (f"{c.year:+d}", f"{c.year - 1:+d}")
        )
        return w.growth.format(
            subject=w.field(c.growth, years[0]),
            base=w.field(c.growth, years[1]),
            op=w.ops.get(str(c.op), str(c.op)),
            rate=rate_text(_rate(c.value)) if c.value is not None else w.param.format(p=c.param).strip(),
            param="",
        )
    if c.tag is not None:
        return w.tag_label.format(tag=w.term(c.tag))
    within = None if c.within == "period" else {str(k): int(v) for k, v in c.within.items()}
    when = w.when("period" if within is None else "within", c.offset_years, within)
    without = w.label_without.format(v=c.detail_excludes) if c.detail_excludes else ""
    return w.event_label.format(when=when, kind=w.term(c.event or ""), without=without)


def _field_zh_for(fact: str, year: int | str | None) -> str:
    """:attr:`Words.field` in Chinese; a year given as ``+0`` / ``-1`` (no period) reads 本期 / N年前."""
    if isinstance(year, str) and year[:1] in "+-":
        offset = int(year)
        return ("本期" if offset == 0 else f"{-offset}年前") + fact_label_zh(fact)
    return _field_zh(fact, year)


STATUS_ZH = {"eligible": "符合", "ineligible": "不符合", "undetermined": "待核实", "superseded": "从高不重复"}
"""A result's status in Chinese, as ``explain`` and ``policy test`` print it (the code after it)."""


ZH = Words(
    field=_field_zh_for,
    ops=OP_ZH,
    starts="以“{v}”开头",
    list_sep="、",
    param=" (参数 {p})",
    tag_on="{day} 持有“{tag}”标签",
    event_in="{start} 至 {end} 发生“{kind}”事件{without}",
    without=", 详情不含“{v}”",
    term=str,
    money=yuan_text,
    amount=_amount_zh,
    reported="有数据 (已报送)",
    label_reported="{subject}有数据 (已报送)",
    label_param="{subject} {op} 参数 {p}",
    tag_label="持有“{tag}”标签",
    event_label="{when}发生“{kind}”事件{without}",
    label_without=" (详情不含“{v}”)",
    when=_when_zh,
    growth="{subject}较{base}增长 {op} {rate}{param}",
)
"""The Chinese wording (the CLI's and the Chinese pages')."""


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
    test_text: str = ""
    """The test as people read it (:func:`readable_test`): Chinese, money in 元; *test* is the record."""
    label_generated: bool = False
    """The policy file gives no label: *label* is :func:`default_label`'s."""

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


def _year(period: Any) -> int | None:
    return period if isinstance(period, int) else None


def explain(lib: Library, trace: str | dict[str, Any], words: Words | None = None) -> Explained:
    """One recorded trace (JSON text or parsed) read against the policy files *lib*, labels and
    tests worded by *words* (default Chinese, :data:`ZH`)."""
    w = words or ZH
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
            params[leaf.param] = parameter_text(spec.kind, spec.value_on(day) if day else None)
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
                value_text=value_text(fact, c.get("value"), w),
                result=result,
                label=(w.label(leaf.label) if leaf.label else default_label(leaf, _year(period), w))
                if leaf is not None
                else None,
                label_generated=leaf is not None and not leaf.label,
                fact=fact,
                part=known.part if known else None,
                negated=known.negated if known else False,
                favourable=favourable,
                parameters=params,
                test_text=readable_test(str(c.get("test", "")), w),
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
