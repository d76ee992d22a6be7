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
import difflib
import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)

from zonebrain.core.errors import InputError, MoneyError
from zonebrain.core.money import display_fen, parse_amount, split_unit, stray_unit, unknown_unit_text
from zonebrain.core.yamlfile import ErrorAt, no_number_date

YEAR_FACTS = ("revenue_fen", "tax_fen", "rd_expense_fen", "employees", "insured_employees")
"""Facts read from ``enterprise_years`` for a year relative to the period (``year: 0`` or ``-1``)."""
ENTERPRISE_FACTS = ("division_code", "park_id", "industry_code", "status")
"""Facts read from ``enterprises`` (text)."""
Day = Annotated[dt.date, BeforeValidator(no_number_date)]
"""A date written YYYY-MM-DD (a number is refused, never read as a timestamp)."""

HISTORY_FACTS = ("max_revenue_fen_before",)
"""The largest ``revenue_fen`` of any year before the period year (+ offset)."""
MONEY_FACTS = ("revenue_fen", "tax_fen", "rd_expense_fen", "max_revenue_fen_before")
COUNT_FACTS = ("employees", "insured_employees")
"""Head counts: compared with whole numbers written without a unit (``insured_employees >= 100``)."""


def _fen(v: Any) -> int:
    if isinstance(v, float):
        raise ValueError(
            "金额不可写成浮点数, 请带单位如 30万 (no floats; write amounts with a unit, e.g. 30万)"
        )
    if isinstance(v, int) and not isinstance(v, bool):
        raise ValueError("金额须写单位, 如 30万 或 500万元 (write amounts with a unit, e.g. 30万)")
    if (stray := stray_unit(str(v))) is not None:  # 1000萬: a unit, but not one ZoneBrain reads
        raise ValueError(unknown_unit_text(str(v), stray))
    if split_unit(str(v))[1] is None:  # "5000000" in quotes is no more a unit than 5000000
        raise ValueError(f"金额 '{v}' 须写单位, 如 30万 或 500万元 (write amounts with a unit, e.g. 30万)")
    try:
        return parse_amount(str(v))
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _count(v: Any) -> int:
    """A head count as a file (or ``whatif --threshold``) writes it: a whole number, no unit."""
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(
            f"人数 '{v}' 须写不带单位的非负整数, 如 100 (a head count is a whole number without a unit, e.g. 100)"
        )
    return v


def fact_value(fact: str, value: Any) -> Any:
    """A literal a condition compares *fact* with, as the engine compares it: money in fen (each of
    a list for ``in``), a head count as an integer, text as written; ValueError when it cannot be."""
    read = _fen if fact in MONEY_FACTS else _count if fact in COUNT_FACTS else None
    if read is None or value is None:
        return value
    if isinstance(value, list | tuple):
        return [read(v) for v in value]
    return read(value)


def _not_negative(v: int) -> int:
    if v < 0:
        raise ValueError(f"金额不能为负数 ({v} 分) (an award, cap or amount parameter cannot be negative)")
    return v


def _rate(v: Any) -> Fraction:
    text = unicodedata.normalize("NFKC", str(v)).strip()  # ５％, as a Chinese input method types it
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


_NUMBER = r"[一二三四五六七八九十百千零〇两0-9]+"
_REF = re.compile(rf"(第{_NUMBER}条)((?:第{_NUMBER}款)?(?:第{_NUMBER}项)?)")
"""条, then optionally 款 and 项, each numbered in Chinese or Arabic numerals (第三条第一款第二项)."""


def _ref(v: Any) -> Any:
    if isinstance(v, str):
        m = _REF.fullmatch(v.strip())
        if not m:
            raise ValueError(
                f"条款引用 '{v}' 须写成 第三条、第三条第一款 或 第三条第一款第二项 (write a clause reference "
                "as 第三条, 第三条第一款 or 第三条第一款第二项)"
            )
        return {"article": m.group(1), "paragraph": m.group(2) or None}
    return v


ClauseRef = Annotated[Ref, BeforeValidator(_ref)]

Op = Literal[">=", ">", "<=", "<", "==", "!=", "in", "not in", "startswith", "reported"]
"""``reported``: true when the fact has a value, unknown when it is missing (never false)."""


GROWTH_OPS = (">=", ">", "<=", "<")
"""How a year-on-year growth is compared with its rate."""


class Condition(_Model):
    """One node of a condition: exactly one of ``all``, ``any``, ``not``, ``fact``, ``growth``,
    ``tag``, ``event``.

    * ``fact`` compares a fact (``year`` offset for yearly facts) with ``value`` or ``param``;
      a missing fact makes the comparison unknown (待核实), never false;
    * ``growth`` compares a yearly fact's growth over the year before (同比增长, year ``year``
      against ``year - 1``) with a rate (``value: 20%`` or a rate ``param``), exactly:
      ``F[y] − F[y−1] OP rate × F[y−1]``. Written in a file, the leaf is paired on load with a
      ``reported`` leaf on ``F[y−1]`` (``all`` of the two), so a missing base year is named as
      missing; a base year of 0 or less has no growth: false;
    * ``tag`` is true when the tag is held at the period end; with ``since_within`` (a window as
      ``within``), when the tag was first held in that window: its earliest ``since`` on record
      falls in it (an earlier one makes it false; a ``since`` left blank, unknown);
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
    growth: str | None = None
    """A yearly fact whose growth over the year before is compared (see above)."""
    paired: bool = False
    """Set on the growth leaf when it was paired with its base year's ``reported`` leaf (on load)."""
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
    since_within: Literal["period"] | dict[Literal["years", "days"], int] | None = None
    """With ``tag``: the tag first held in this window (``period``, ``{years: N}``, ``{days: N}``,
    shifted back by ``offset_years``), rather than held at the period end (首次认定 from a register)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _pair_growth(cls, data: Any) -> Any:
        """A growth leaf as written becomes ``all`` of the base year's ``reported`` leaf and itself,
        so that a missing base year is named (the growth leaf names its own year)."""
        if not isinstance(data, dict) or data.get("growth") is None or data.get("paired"):
            return data
        fact, year = data["growth"], data.get("year", 0)
        if fact not in YEAR_FACTS:
            raise ValueError(
                f"growth 须为年度事实 (a growth is of a yearly fact), 可用 / use one of: {', '.join(YEAR_FACTS)}; "
                f"'{fact}' 不是"
            )
        if not isinstance(year, int) or isinstance(year, bool):
            raise ValueError("year 须为整数, 如 0 或 -1 (year is a whole offset)")
        if data.get("ref") is None:
            raise ValueError("每个条件须有条款引用 ref (every leaf condition needs its clause ref)")
        base = {"fact": fact, "year": year - 1, "op": "reported", "ref": data["ref"]}
        return {"all": [base, {**data, "paired": True}]}

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        kinds = [
            k
            for k in ("all", "any", "not_", "fact", "growth", "tag", "event")
            if getattr(self, k) is not None
        ]
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
            numeric = self.fact in MONEY_FACTS + COUNT_FACTS
            if numeric and self.op == "startswith":
                raise ValueError(f"startswith 只用于文本事实, {self.fact} 是数值 (startswith compares text)")
            if numeric and self.op in ("in", "not in") and not isinstance(self.value, list | tuple):
                raise ValueError(f"{self.op} 须写一个列表, 如 [100, 200] (in / not in take a list)")
            fact_value(self.fact, self.value)
        if self.growth is not None:
            if self.op not in GROWTH_OPS or (self.value is None) == (self.param is None):
                raise ValueError(
                    f"growth 条件须有 op ({' '.join(GROWTH_OPS)}) 和 value 或 param 之一 "
                    "(a growth needs op and one of value: 20% or a rate param)"
                )
            if self.value is not None:
                _rate(self.value)
        elif self.paired:
            raise ValueError("paired 只用于 growth 条件 (paired belongs to a growth leaf)")
        if self.since_within is not None and self.tag is None:
            raise ValueError(
                "since_within 只用于 tag 条件 (首次取得该标签的时间窗口); 事件请用 within "
                "(since_within belongs to a tag condition; an event's window is within)"
            )
        if (self.tag is not None or self.event is not None or self.growth is not None) and self.ref is None:
            raise ValueError("每个条件须有条款引用 ref (every leaf condition needs its clause ref)")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Without ``growth`` and ``paired`` where unused: a library without growth conditions
        keeps the hash it had before they existed (runs recorded then still match it)."""
        out = handler(self)
        if isinstance(out, dict):
            if self.growth is None:
                out.pop("growth", None)
            if not self.paired:
                out.pop("paired", None)
        return out

    def walk(
        self, path: tuple[str | int, ...] = (), negated: bool = False
    ) -> Iterator[tuple[Condition, tuple[str | int, ...], bool]]:
        """Every leaf (fact, growth, tag or event), in order, with its path under this condition as the
        file writes it (``("all", 2, "not")``) and whether it sits under an odd number of ``not``."""
        if self.all is not None or self.any is not None:
            kind = "all" if self.all is not None else "any"
            for i, child in enumerate(self.all or self.any or ()):
                yield from child.walk((*path, kind, i), negated)
        elif self.not_ is not None:
            yield from self.not_.walk((*path, "not"), not negated)
        else:
            yield self, path, negated

    def leaves(self) -> list[Condition]:
        """Every leaf, in order."""
        return [leaf for leaf, _, _ in self.walk()]

    def map_leaves(self, fn: Callable[[Condition], Condition]) -> Condition:
        """This condition with every leaf replaced by ``fn(leaf)``, its all/any/not kept."""
        if self.all is not None:
            return self.model_copy(update={"all": tuple(x.map_leaves(fn) for x in self.all)})
        if self.any is not None:
            return self.model_copy(update={"any": tuple(x.map_leaves(fn) for x in self.any)})
        if self.not_ is not None:
            return self.model_copy(update={"not_": self.not_.map_leaves(fn)})
        return fn(self)


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
    fixed_param: str | None = None
    """An ``amount`` parameter holding the fixed sum, for a sum the policy changes by date."""
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
        if self.fixed is not None and self.fixed_param is not None:
            raise ValueError(
                "fixed 与 fixed_param 只能写一个 (a fixed sum is either written or read from a parameter, "
                "not both)"
            )
        kinds = [
            self.fixed is not None or self.fixed_param is not None,
            self.rate is not None or self.rate_param is not None,
            self.tiers is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError(
                "金额须恰为 fixed/fixed_param、rate/rate_param 或 tiers 之一 (exactly one of fixed, rate, "
                "tiers)"
            )
        if (kinds[1] or kinds[2]) and self.of not in MONEY_FACTS:
            what = "是人数, 不能作为比例或阶梯金额的基数; " if self.of in COUNT_FACTS else ""
            raise ValueError(
                f"rate/tiers 须写 of: 一个金额事实 ({self.of} {what}可用 {', '.join(MONEY_FACTS)}) "
                f"(needs of: one of {', '.join(MONEY_FACTS)}; a head count is no base for a rate or tiers: "
                "an award by head count is a fixed amount under a condition on the count)"
            )
        if kinds[2] and self.mode is None:
            raise ValueError("阶梯表须写 mode: single 或 marginal (a tier table needs mode: single|marginal)")
        if kinds[0] and (self.cap is not None or self.cap_param is not None):
            raise ValueError(
                "固定金额不设上限: 请删去 cap/cap_param, 或直接改 fixed 的金额 (a fixed amount takes no cap: "
                "it was silently ignored; remove the cap or change the fixed sum)"
            )
        if self.tiers is not None:
            check_tiers(self.tiers, self.mode == "single", self.of in MONEY_FACTS)
        return self

    def resolved(self, params: dict[str, Any]) -> tuple[int | None, Fraction | None, int | None]:
        """The fixed sum, rate and cap this amount pays by (each None when it has none), as written
        or read from *params*, the parameters in force (:func:`parameter_values`)."""

        def read(written: Any, name: str | None) -> Any:
            return written if written is not None else (params[name] if name else None)

        return (
            read(self.fixed, self.fixed_param),
            read(self.rate, self.rate_param),
            read(self.cap, self.cap_param),
        )


_Bound = tuple[float, bool]
"""A tier bound: its value in fen (±inf when open) and whether it is included (含)."""


def _span(t: Tier) -> tuple[_Bound, _Bound]:
    lower = (-math.inf, False) if t.lower is None else (t.lower, bool(t.lower_inclusive))
    upper = (math.inf, False) if t.upper is None else (t.upper, bool(t.upper_inclusive))
    return lower, upper


def _holds(lower: _Bound, upper: _Bound) -> bool:
    """Whether some value lies from *lower* to *upper* (a single point only when both include it)."""
    return lower[0] < upper[0] or (lower[0] == upper[0] and lower[1] and upper[1])


def _span_text(lower: _Bound, upper: _Bound, money: bool) -> str:
    """``[2,000,000.00 元, 10,000,000.00 元)`` as the trace writes a bracket (a 含 bound is square)."""

    def shown(v: float) -> str:
        return yuan_text(int(v)) if money else str(int(v))

    lo = "(-∞" if lower[0] == -math.inf else f"{'[' if lower[1] else '('}{shown(lower[0])}"
    hi = "∞)" if upper[0] == math.inf else f"{shown(upper[0])}{']' if upper[1] else ')'}"
    return f"{lo}, {hi}"


def check_tiers(tiers: tuple[Tier, ...], single: bool, money: bool) -> None:
    """A tier table says what each base gets, once: every bracket has what its mode pays (single:
    ``amount``, marginal: ``rate``) and covers something; no two brackets share a value (the result
    would depend on the listing order, or a marginal part would count twice); and no value between
    the lowest and the highest bracket falls in none (it would get 0, silently). Brackets that
    touch with one side included (``upper: 200万, upper_inclusive: false`` then ``lower: 200万,
    lower_inclusive: true``) are the way to meet. Errors name the bracket's line (:class:`ErrorAt`)."""
    if not tiers:
        raise ErrorAt("阶梯表不能为空 (a tier table needs at least one bracket)", "tiers")
    spans = [_span(t) for t in tiers]

    def name(i: int) -> str:
        return f"第 {i + 1} 档 {_span_text(*spans[i], money)} (tiers.{i})"

    for i, t in enumerate(tiers):
        needs, other = ("amount", "rate") if single else ("rate", "amount")
        if getattr(t, needs) is None or getattr(t, other) is not None:
            example = "amount: 20万" if single else "rate: 3%"
            raise ErrorAt(
                f"{name(i)}: mode: {'single' if single else 'marginal'} 的每一档须写 {needs} (如 {example}), "
                f"不写 {other} (each bracket of a {'single' if single else 'marginal'} table states its "
                f"{needs}, not its {other})",
                "tiers",
                i,
            )
        if not _holds(*spans[i]):
            raise ErrorAt(
                f"{name(i)} 不含任何值: 下界须低于上界 (the bracket holds no value: its lower bound must "
                "be below its upper bound)",
                "tiers",
                i,
            )
    for j in range(len(tiers)):
        for i in range(j):
            lower = max(spans[i][0], spans[j][0], key=lambda b: (b[0], not b[1]))
            upper = min(spans[i][1], spans[j][1], key=lambda b: (b[0], b[1]))
            if _holds(lower, upper):
                effect, effect_en = (
                    ("金额将取决于列出顺序", "the amount would depend on the listing order")
                    if single
                    else ("该部分将被计算两次", "that part would count twice")
                )
                raise ErrorAt(
                    f"{name(i)} 与{name(j)} 重叠于 {_span_text(lower, upper, money)}, {effect}; "
                    "请调整边界, 相接处只能一侧含 (the brackets overlap there and "
                    f"{effect_en}: make them meet with one side included, the other not)",
                    "tiers",
                    j,
                )
    order = sorted(range(len(tiers)), key=lambda k: (spans[k][0][0], not spans[k][0][1]))
    for i, j in itertools.pairwise(order):
        end, start = spans[i][1], spans[j][0]
        gap = ((end[0], not end[1]), (start[0], not start[1]))
        if _holds(*gap):
            raise ErrorAt(
                f"阶梯表有空档 (a gap in the tier table): {_span_text(*gap, money)} 不属于任何一档, 将得 0; "
                f"{name(i)} 之后是{name(j)}; 请让两档首尾相接, 相接处一侧含 (no bracket holds these "
                "values, which would get 0: make the brackets meet, with one side included)",
                "tiers",
                i,
            )


def _amount_or_rate(v: Any) -> Any:
    """A dated value as written; read as an amount or a rate by its parameter's ``kind``
    (:meth:`Parameter._values`), whose advice fits it (QA: a rate written ``1/20`` was told to
    write an amount with a unit)."""
    if isinstance(v, float):
        raise ValueError("不可写成浮点数: 金额带单位如 30万, 比例写成 2% (no floats: write 30万 or 2%)")
    return v


class DatedValue(_Model):
    since: Day
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
        for i, v in enumerate(self.values):
            try:
                _not_negative(_fen(v.value)) if self.kind == "amount" else _rate(v.value)
            except ValueError as exc:  # at the value's line, not the parameter's
                raise ErrorAt(str(exc), "values", i, "value") from None
        first: dict[dt.date, int] = {}
        for i, v in enumerate(self.values):
            if v.since in first:
                k = first[v.since]
                raise ErrorAt(
                    f"参数的第 {k + 1} 个和第 {i + 1} 个取值 ({self.values[k].value}, {v.value}) 都自 "
                    f"{v.since} 起生效, 只会用后一个; 请删去一个或改正 since (two values both start on "
                    f"{v.since} and the last would silently win: remove one or correct its date)",
                    "values",
                    i,
                    "since",
                )
            first[v.since] = i
        return self

    def place(self, *, name: str | None = None, policy: str | None = None, where: str | None = None) -> None:
        """Record the parameter's *name*, its *policy* (both set when the policy is validated) and
        *where* it is written (``file:line``, set on load), for :meth:`at`'s error. Kept beside the
        fields: they are no part of the policy (not compared, hashed or dumped)."""
        for key, value in (("_name", name), ("_policy", policy), ("_where", where)):
            if value is not None:
                self.__dict__[key] = value

    @property
    def first_since(self) -> dt.date:
        """The day the parameter's first value takes effect (before it, :meth:`at` refuses)."""
        return min(v.since for v in self.values)

    def value_on(self, day: dt.date) -> int | Fraction | None:
        """The value in force on *day*, or None before the first one (to show; evaluation uses :meth:`at`)."""
        live = [v for v in sorted(self.values, key=lambda v: v.since) if v.since <= day]
        if not live:
            return None
        raw = live[-1].value
        return _fen(raw) if self.kind == "amount" else _rate(raw)

    def at(self, day: dt.date) -> int | Fraction:
        """The value in force on *day*. None in force (the first starts later) is an
        :class:`InputError` naming the file, the parameter's line and the date: evaluating the
        period with no value would silently pay 0, or leave the award uncapped."""
        value = self.value_on(day)
        if value is None:
            name = self.__dict__.get("_name", "")
            where = self.__dict__.get("_where") or f"政策 {self.__dict__.get('_policy', '')}"
            first = self.first_since
            raise InputError(
                f"{where}: 参数 {name} 在 {day} 没有生效的值, 最早的取值自 {first} 起生效; 请补一个 since "
                f"不晚于 {day} 的取值, 或测算 {first.year} 年度及以后 (no value of parameter {name} is in "
                f"force on {day}: the first applies from {first}; add a value with an earlier since, "
                "or evaluate a later period)"
            )
        return value


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
    issued_on: Day | None = None
    effective_from: Day
    effective_to: Day | None = None
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
        uses = [
            (name, ("clauses", i, *at))
            for i, c in enumerate(self.clauses)
            for name, at in [
                *[(x.param, ("when", *at, "param")) for x, at, _ in c.when.walk() if x.param],
                *_amount_param_uses(c.amount),
            ]
        ]
        unknown = [(name, at) for name, at in uses if name not in self.parameters]
        if unknown:
            name, at = unknown[0]
            close = difflib.get_close_matches(name, list(self.parameters), n=1)
            hint = f"是否为 / did you mean '{close[0]}'? " if close else ""
            others = sorted({n for n, _ in unknown} - {name})
            also = f"; 另有 / also undeclared: {others}" if others else ""
            raise ErrorAt(
                f"未声明的参数 '{name}', 请在 parameters 中声明或改正拼写 (undeclared parameters: declare "
                f"each under parameters or correct its spelling); {hint}已声明 / declared: {sorted(self.parameters)}"
                f"{also}",
                *at,
            )
        seen: dict[str, int] = {}
        for i, c in enumerate(self.clauses):
            if c.id in seen:
                raise ErrorAt(
                    f"条款 id '{c.id}' 重复, 第 {seen[c.id] + 1} 个条款已用 (duplicate clause id: clause "
                    f"{seen[c.id] + 1} has it); 请改名",
                    "clauses",
                    i,
                    "id",
                )
            seen[c.id] = i
        for name, kind, at in _kinds_wanted(self.clauses):  # a rate where money is meant, or back
            if self.parameters[name].kind != kind:
                have = "比例 (rate)" if self.parameters[name].kind == "rate" else "金额 (amount)"
                want = "比例 (rate)" if kind == "rate" else "金额 (amount)"
                raise ErrorAt(
                    f"参数 '{name}' 是{have}, 这里须用{want}的参数; 请换用另一个参数, 或改正参数的 kind "
                    f"(parameter '{name}' is a {self.parameters[name].kind}, but a {kind} is needed here: a "
                    f"rate as a cap or threshold, or an amount as a rate, would pay the wrong sum)",
                    *at,
                )
        for name, p in self.parameters.items():  # named for Parameter.at's error
            p.place(name=name, policy=self.id)
        return self


def _kinds_wanted(clauses: Sequence[Clause]) -> list[tuple[str, str, tuple[str | int, ...]]]:
    """Each parameter a clause reads with the kind its place needs: a rate for ``rate_param``, an
    amount for ``cap_param`` and for a threshold on a money fact; and where it is written."""
    out: list[tuple[str, str, tuple[str | int, ...]]] = []
    for i, c in enumerate(clauses):
        for x, at, _ in c.when.walk():
            if x.param and x.fact in MONEY_FACTS:
                out.append((x.param, "amount", ("clauses", i, "when", *at, "param")))
            elif x.param and x.growth is not None:
                out.append((x.param, "rate", ("clauses", i, "when", *at, "param")))
        for name, at in _amount_param_uses(
            c.amount
        ):  # ("amount", "fixed_param" | "rate_param" | "cap_param")
            out.append((name, "rate" if at[-1] == "rate_param" else "amount", ("clauses", i, *at)))
    return out


def _amount_param_uses(a: Amount) -> list[tuple[str, tuple[str | int, ...]]]:
    """Each parameter an amount reads (its fixed sum, rate or cap), and where (``("amount", "cap_param")``)."""
    named = (("fixed_param", a.fixed_param), ("rate_param", a.rate_param), ("cap_param", a.cap_param))
    return [(name, ("amount", key)) for key, name in named if name]


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


SCENARIO: dict[str, bool] = {"scenario": True}
"""The validation context of a what-if edit: a budget pool the scenario adds may lack ``ref``."""


class Budget(_Model):
    """A budget pool for the members' awards of one period, applied last (pro rata or by ranking)."""

    ref: ClauseRef | None = None
    """The clause that sets the pool: required in a policy file; ``None`` only for a pool a what-if
    scenario adds to a document that has none (shown as 情景新增, never under another clause)."""
    pool: Award
    rule: Literal["pro_rata", "ranking"]
    members: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cited(self, info: ValidationInfo) -> Budget:
        if self.ref is None and not (info.context or {}).get("scenario"):
            raise ValueError("预算池须注明条款 ref, 如 第五条 (a budget pool needs the clause that sets it)")
        return self

    def ref_text(self) -> str | None:
        """The clause reference, or ``None`` for a pool a scenario added."""
        return self.ref.text() if self.ref is not None else None


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
