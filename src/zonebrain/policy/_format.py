"""The policy format: pydantic models for policy YAML files (see ``docs/policy.md``).

A *family* file (``*.family.yaml``) holds what a policy document's clauses share: the supported
subject (eligibility), the exclusions, and the groups (从高从优 / 不重复享受). A *policy* file
(``*.policy.yaml``) holds one award: metadata, dated parameters, benefit clauses with conditions
and amounts. Every condition, amount, parameter and group carries its clause reference (条, 款).

Amounts are written with units (``30万``, ``500万元``) and held as int fen; rates are exact
(``2%`` is held as the fraction 2/100), never float.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from zonebrain.core.errors import MoneyError
from zonebrain.core.money import display_fen, parse_amount, split_unit

YEAR_FACTS = ("revenue_fen", "tax_fen", "rd_expense_fen", "employees", "insured_employees")
"""Facts read from ``enterprise_years`` for a year relative to the period (``year: 0`` or ``-1``)."""
ENTERPRISE_FACTS = ("division_code", "park_id", "industry_code", "status")
"""Facts read from ``enterprises`` (text)."""
HISTORY_FACTS = ("max_revenue_fen_before",)
"""The largest ``revenue_fen`` of any year before the period year (+ offset)."""
MONEY_FACTS = ("revenue_fen", "tax_fen", "rd_expense_fen", "max_revenue_fen_before")


def _fen(v: Any) -> int:
    if isinstance(v, float):
        raise ValueError(
            "金额不可写成浮点数, 请带单位如 30万 (no floats; write amounts with a unit, e.g. 30万)"
        )
    if isinstance(v, int) and not isinstance(v, bool):
        raise ValueError("金额须写单位, 如 30万 或 500万元 (write amounts with a unit, e.g. 30万)")
    if split_unit(str(v))[1] is None:  # "5000000" in quotes is no more a unit than 5000000
        raise ValueError(f"金额 '{v}' 须写单位, 如 30万 或 500万元 (write amounts with a unit, e.g. 30万)")
    try:
        return parse_amount(str(v))
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _not_negative(v: int) -> int:
    if v < 0:
        raise ValueError(f"金额不能为负数 ({v} 分) (an award, cap or amount parameter cannot be negative)")
    return v


def _rate(v: Any) -> Fraction:
    text = str(v).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%|‰)", text)
    if not m or isinstance(v, float):
        raise ValueError("比例须写成 2% 或 5‰ (write a rate as 2% or 5‰; never a float)")
    rate = Fraction(m.group(1)) / (100 if m.group(2) == "%" else 1000)
    if rate > 1:
        raise ValueError(f"比例 {text} 超过 100% (a rate above 100%)")
    return rate


def rate_text(rate: Fraction) -> str:
    """An exact rate as a percentage: 1/50 → ``2%``, 1/3 → ``33.3333%`` (shown, never computed with)."""
    pct = Decimal(rate.numerator) * 100 / Decimal(rate.denominator)
    text = format(pct.quantize(Decimal("0.0001")).normalize(), "f")
    return f"{text}%"


def yuan_text(fen: int) -> str:
    """An amount as the trace and its explanation show it: 元 with separators, ``500,000.00 元``."""
    return f"{display_fen(fen, '元')} 元"


def share_text(share: Fraction | Decimal | float | None) -> str:
    """A share in percent that never claims 100% or 0% unless it is exactly that: 35964/36000 →
    ``99.9%``, 35999/36000 → ``99.997%``; beyond three decimals ``>99.999%`` / ``<0.001%``."""
    if share is None:
        return "—"
    exact = Fraction(share) if not isinstance(share, Decimal) else Fraction(str(share))
    if exact in (0, 1):
        return f"{int(exact * 100)}%"
    pct = Decimal(exact.numerator) * 100 / Decimal(exact.denominator)
    for places in (1, 2, 3):
        shown = pct.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if 0 < shown < 100:
            return f"{shown}%"
    return ">99.999%" if pct > 50 else "<0.001%"


Fen = Annotated[int, BeforeValidator(_fen)]
"""An amount with its unit, as fen: a condition's value (which may be negative: a tax refund)."""
Award = Annotated[int, BeforeValidator(_fen), AfterValidator(_not_negative)]
"""An amount paid or a ceiling on it (fixed, cap, tier amounts, amount parameters): never negative."""
Rate = Annotated[Fraction, BeforeValidator(_rate)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Ref(_Model):
    """A clause reference: 条 and optionally 款 (and 项)."""

    article: str = Field(pattern=r"^第.+条$")
    paragraph: str | None = Field(default=None, pattern=r"^第.+[款项]$")

    def text(self) -> str:
        return self.article + (self.paragraph or "")


def _ref(v: Any) -> Any:
    if isinstance(v, str):
        m = re.fullmatch(r"(第[^条]+条)(第.+[款项])?", v.strip())
        if not m:
            raise ValueError("条款引用写成 第三条 或 第三条第一款 (write a clause reference as 第三条第一款)")
        return {"article": m.group(1), "paragraph": m.group(2)}
    return v


ClauseRef = Annotated[Ref, BeforeValidator(_ref)]

Op = Literal[">=", ">", "<=", "<", "==", "!=", "in", "not in", "startswith", "reported"]
"""``reported``: true when the fact has a value, unknown when it is missing (never false)."""


class Condition(_Model):
    """One node of a condition: exactly one of ``all``, ``any``, ``not``, ``fact``, ``tag``, ``event``.

    * ``fact`` compares a fact (``year`` offset for yearly facts) with ``value`` or ``param``;
      a missing fact makes the comparison unknown (待核实), never false;
    * ``tag`` is true when the tag is held at the period end;
    * ``event`` is true when such an event happened in the window (``within``: ``period`` =
      the period year, or ``{years: N}`` / ``{days: N}`` back from the period end), optionally
      only events whose detail does not contain ``detail_excludes``.
    """

    ref: ClauseRef | None = None
    label: str | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    fact: str | None = None
    year: int = 0
    op: Op | None = None
    value: Any = None
    param: str | None = None
    tag: str | None = None
    event: str | None = None
    within: Literal["period"] | dict[Literal["years", "days"], int] = "period"
    offset_years: int = 0
    """Shift the event window back by this many years (``within: period, offset_years: 1``: last year)."""
    detail_excludes: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [k for k in ("all", "any", "not_", "fact", "tag", "event") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"一个条件须恰有 all/any/not/fact/tag/event 之一 (a condition needs exactly one kind; got {kinds})"
            )
        if self.fact is not None:
            known = YEAR_FACTS + ENTERPRISE_FACTS + HISTORY_FACTS
            if self.fact not in known:
                raise ValueError(
                    f"未知事实 '{self.fact}' (unknown fact); 可用 / use one of: {', '.join(known)}"
                )
            if self.op is None or ((self.value is None) == (self.param is None)) != (self.op == "reported"):
                raise ValueError(
                    "fact 条件须有 op 和 value 或 param 之一; reported 不带值 "
                    "(a fact needs op and one of value/param; `reported` takes neither)"
                )
            if self.ref is None:
                raise ValueError("每个条件须有条款引用 ref (every leaf condition needs its clause ref)")
            if self.fact in MONEY_FACTS and self.value is not None:
                _fen(self.value)
        if (self.tag is not None or self.event is not None) and self.ref is None:
            raise ValueError("每个条件须有条款引用 ref (every leaf condition needs its clause ref)")
        return self

    def leaves(self) -> list[Condition]:
        if self.all is not None or self.any is not None:
            return [leaf for c in (self.all or self.any or ()) for leaf in c.leaves()]
        if self.not_ is not None:
            return self.not_.leaves()
        return [self]


class Tier(_Model):
    """One bracket of a tier table; both bounds say whether they are included (含)."""

    lower: Fen | None = None
    lower_inclusive: bool | None = None
    upper: Fen | None = None
    upper_inclusive: bool | None = None
    amount: Award | None = None
    rate: Rate | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Tier:
        if (self.lower is None) != (self.lower_inclusive is None) or (self.upper is None) != (
            self.upper_inclusive is None
        ):
            raise ValueError(
                "每个边界须写明是否含 (each bound needs lower_inclusive / upper_inclusive: true|false)"
            )
        return self


class Amount(_Model):
    """How much: a fixed sum, a rate of a fact with a cap, or a tier table on a fact."""

    ref: ClauseRef
    fixed: Award | None = None
    rate: Rate | None = None
    rate_param: str | None = None
    of: str | None = None
    year: int = 0
    cap: Award | None = None
    cap_param: str | None = None
    tiers: tuple[Tier, ...] | None = None
    mode: Literal["single", "marginal"] | None = None
    rounding: Literal["fen_half_up", "yuan_down", "yuan_half_up"] = "fen_half_up"

    @model_validator(mode="after")
    def _kind(self) -> Amount:
        kinds = [
            self.fixed is not None,
            self.rate is not None or self.rate_param is not None,
            self.tiers is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(
                "金额须恰为 fixed、rate/rate_param 或 tiers 之一 (exactly one of fixed, rate, tiers)"
            )
        if (kinds[1] or kinds[2]) and self.of not in YEAR_FACTS + HISTORY_FACTS:
            raise ValueError(f"rate/tiers 须写 of: 一个金额事实 (needs of: one of {', '.join(MONEY_FACTS)})")
        if kinds[2] and self.mode is None:
            raise ValueError("阶梯表须写 mode: single 或 marginal (a tier table needs mode: single|marginal)")
        return self


def _amount_or_rate(v: Any) -> Any:
    if isinstance(v, float):
        raise ValueError("不可写成浮点数: 金额带单位如 30万, 比例写成 2% (no floats: write 30万 or 2%)")
    if str(v).strip().endswith(("%", "‰")):  # a rate: its own message (e.g. above 100%)
        _rate(v)
    else:
        _fen(v)
    return v


class DatedValue(_Model):
    since: dt.date
    value: Annotated[Any, BeforeValidator(_amount_or_rate)]


class Parameter(_Model):
    """A parameter with dated values; the value in force at the period end is used."""

    ref: ClauseRef
    kind: Literal["amount", "rate"]
    values: tuple[DatedValue, ...]

    @model_validator(mode="after")
    def _values(self) -> Parameter:
        if not self.values:
            raise ValueError("参数须至少有一个取值 (a parameter needs at least one dated value)")
        for v in self.values:
            _not_negative(_fen(v.value)) if self.kind == "amount" else _rate(v.value)
        return self

    def at(self, day: dt.date) -> int | Fraction | None:
        live = [v for v in sorted(self.values, key=lambda v: v.since) if v.since <= day]
        if not live:
            return None
        raw = live[-1].value
        return _fen(raw) if self.kind == "amount" else _rate(raw)


class Clause(_Model):
    """A benefit clause: its conditions (on top of the family's) and its amount."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    ref: ClauseRef
    title: str
    when: Condition
    amount: Amount
    once: bool = False
    """A one-time award (首次认定, 首次突破, 一次性): paid at most once per enterprise, ever."""


class Meta(_Model):
    name: str
    number: str | None = None
    """文号; ``None`` until verified against the published text."""
    document: str | None = None
    """The published document the award is written in, when its title is not *name* (a plan, a notice)."""
    issuer: str
    issued_on: dt.date | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    source_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    """Where the published text is (http or https only: the web app links to it)."""


class Policy(_Model):
    """One policy (one award) from a policy document."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    meta: Meta
    family: str | None = None
    interpretations: dict[str, str] = Field(default_factory=dict)
    """Named readings of the text and the one in force (e.g. ``multi_threshold: highest_only``)."""
    interpretation_choices: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """The readings each interpretation may take (what-if and case files may switch among them)."""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    clauses: tuple[Clause, ...]

    @model_validator(mode="after")
    def _choices_declared(self) -> Policy:
        for name, value in self.interpretations.items():
            choices = self.interpretation_choices.get(name)
            if not choices or value not in choices:
                raise ValueError(
                    f"解释项 {name} 须在 interpretation_choices 中列出可选值, 且含 '{value}' "
                    f"(list the readings of {name}, including '{value}', under interpretation_choices)"
                )
        extra = sorted(set(self.interpretation_choices) - set(self.interpretations))
        if extra:
            raise ValueError(f"interpretation_choices 中的 {extra} 没有对应的解释项 (no such interpretation)")
        return self

    def check_interpretation(self, name: str, value: str) -> None:
        """Refuse a reading the policy does not declare (a typo would otherwise change nothing)."""
        if name not in self.interpretations:
            raise ValueError(
                f"{self.id} 没有解释项 '{name}' (no such interpretation); 可用 / available: "
                f"{sorted(self.interpretations)}"
            )
        if value not in self.interpretation_choices[name]:
            raise ValueError(
                f"{self.id}.{name} 不能取 '{value}' (not a declared reading); 可用 / available: "
                f"{list(self.interpretation_choices[name])}"
            )

    @model_validator(mode="after")
    def _params_exist(self) -> Policy:
        if not self.clauses:
            raise ValueError("政策须至少有一个条款 (a policy needs at least one clause)")
        used = [leaf.param for c in self.clauses for leaf in c.when.leaves() if leaf.param]
        used += [p for c in self.clauses for p in (c.amount.rate_param, c.amount.cap_param) if p]
        unknown = sorted(set(used) - set(self.parameters))
        if unknown:
            raise ValueError(f"未声明的参数 (undeclared parameters): {unknown}; 请在 parameters 中声明")
        ids = [c.id for c in self.clauses]
        if len(ids) != len(set(ids)):
            raise ValueError(f"条款 id 重复 (duplicate clause ids): {ids}")
        return self


class Group(_Model):
    """Clauses of which an enterprise gets only the highest in one period (从高从优、不重复享受)."""

    id: str
    ref: ClauseRef
    rule: Literal["highest"] = "highest"
    members: tuple[str, ...] = Field(min_length=1)
    """``policy_id/clause_id`` or ``policy_id/*`` (every clause of that policy)."""
    applies_if: dict[str, str] = Field(default_factory=dict)
    """Only when the named interpretations have these values (e.g. ``multi_threshold: highest_only``)."""


class Cap(_Model):
    """Per-enterprise cap: the members' awards to one enterprise in one period sum to at most ``amount``."""

    ref: ClauseRef
    amount: Award
    members: tuple[str, ...] = Field(min_length=1)


class Budget(_Model):
    """A budget pool for the members' awards of one period, applied last (pro rata or by ranking)."""

    ref: ClauseRef
    pool: Award
    rule: Literal["pro_rata", "ranking"]
    members: tuple[str, ...] = Field(min_length=1)


class Family(_Model):
    """What the clauses of one policy document share: subject, exclusions, groups."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    meta: Meta
    eligibility: Condition
    exclusions: tuple[Condition, ...] = ()
    """Each one, when true, excludes the enterprise; when unknown, makes it 待核实."""
    groups: tuple[Group, ...] = ()
    enterprise_cap: Cap | None = None
    budget: Budget | None = None
