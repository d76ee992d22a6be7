"""Amounts in exact integer fen (never float), as query expressions the engine evaluates.

Rates are fractions ``n/d``; the product ``base × n`` is divided by ``d`` with the rounding the
clause states: ``fen_half_up`` (元 half-up to 分), ``yuan_down`` (向下取整到元), ``yuan_half_up``.
Tier tables are ``single`` (the amount of the one bracket the base falls in) or ``marginal``
(the sum over brackets of rate × the part of the base inside the bracket, rounded once); their
brackets neither overlap nor leave a gap between them (checked on load, ``_format.Amount``).
Every step is integer arithmetic on int64; the one division is corrected to stay exact where an
engine divides through a double (``tests/policy/test_evaluate.py`` checks bases past 2⁵³).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir

from zonebrain.policy._format import MONEY_FACTS, Amount, Tier, rate_text, yuan_text


def _floordiv_sql(num: Any, den: int) -> Any:
    """``num // den`` exactly for integer *num* on every engine: the engine's division may go
    through a double (DuckDB, Spark), so the quotient is corrected by one either way."""
    q = (num / den).floor().cast("int64")
    r = num - q * den
    return ibis.cases((r < 0, q - 1), (r >= den, q + 1), else_=q)


def _round_div_sql(num: Any, den: int, rounding: str) -> Any:
    """``num / den`` for non-negative *num*, rounded as the clause says, in fen."""
    if rounding == "fen_half_up":
        return _floordiv_sql(num * 2 + den, 2 * den)
    if rounding == "yuan_down":
        return _floordiv_sql(num, den * 100) * 100
    return _floordiv_sql(num * 2 + den * 100, den * 200) * 100


def _in_tier_sql(x: Any, t: Tier) -> Any:
    ok: Any = ibis.literal(True)
    if t.lower is not None:
        ok = ok & ((x >= t.lower) if t.lower_inclusive else (x > t.lower))
    if t.upper is not None:
        ok = ok & ((x <= t.upper) if t.upper_inclusive else (x < t.upper))
    return ok


def compute_sql(
    amount: Amount,
    base: ir.IntegerValue | None,
    rate: Fraction | None,
    cap: int | None,
    fixed: int | None = None,
) -> Any:
    """The amount in fen as an int64 expression over the base fact *base* (null counts as 0; the
    caller shows an amount only where the base is known); *fixed* is the fixed sum in force when
    the amount reads it from a parameter (``fixed_param``)."""
    fixed = amount.fixed if fixed is None else fixed
    if fixed is not None:
        return ibis.literal(fixed, "int64")
    assert base is not None
    x = ibis.greatest(base.cast("int64").fill_null(0), ibis.literal(0, "int64"))
    if rate is not None:
        out: Any = _round_div_sql(x * rate.numerator, rate.denominator, amount.rounding)
    else:
        tiers = amount.tiers or ()
        if amount.mode == "single":  # at most one bracket holds the base (overlaps are refused on load)
            out = ibis.cases(*[(_in_tier_sql(x, t), ibis.literal(t.amount or 0, "int64")) for t in tiers],
                             else_=ibis.literal(0, "int64"))  # fmt: skip
        else:
            den = math.lcm(*[(t.rate or Fraction(0)).denominator for t in tiers])
            num: Any = ibis.literal(0, "int64")
            for t in tiers:
                r = t.rate or Fraction(0)
                lo = ibis.literal(t.lower or 0, "int64")
                part = ibis.greatest(x, lo)
                if t.upper is not None:
                    part = ibis.least(part, ibis.literal(t.upper, "int64"))
                num = num + (part - lo) * (r.numerator * (den // r.denominator))
            out = _round_div_sql(num, den, amount.rounding)
    if cap is not None:
        out = ibis.least(out, ibis.literal(cap, "int64"))
    return out.cast("int64")


_ROUNDING = {
    "fen_half_up": ("四舍五入到分", "rounded half up to 0.01 元"),
    "yuan_down": ("向下取整到元", "rounded down to whole 元"),
    "yuan_half_up": ("四舍五入到元", "rounded half up to whole 元"),
}
"""A clause's rounding as the trace names it (Chinese, English)."""


def _rate(rate: Fraction) -> str:
    """A rate as a percentage, with the exact fraction when four decimals do not hold it."""
    text = rate_text(rate)
    exact = Fraction(text[:-1]) / 100 == rate
    return text if exact else f"{text} ({rate.numerator}/{rate.denominator})"


def _tier_table(amount: Amount, money: bool) -> str:
    """``[10,000,000.00 元, ∞) → 300,000.00 元; …`` (a bracket's 含 bound is square)."""
    bound = yuan_text if money else str
    parts = []
    for t in amount.tiers or ():
        lo = "(-∞" if t.lower is None else f"{'[' if t.lower_inclusive else '('}{bound(t.lower)}"
        hi = "∞)" if t.upper is None else f"{bound(t.upper)}{']' if t.upper_inclusive else ')'}"
        val = yuan_text(t.amount) if t.amount is not None else _rate(t.rate or Fraction(0))
        parts.append(f"{lo}, {hi} → {val}")
    return "; ".join(parts)


def describe(
    amount: Amount, rate: Fraction | None, cap: int | None, base_label: str | None, fixed: int | None = None
) -> str:
    """The amount rule as the trace shows it, Chinese then English, money in 元 (2 places, with
    separators); *base_label* names the base fact as the trace does (``rd_expense_fen[2024]``).
    Presentation only: the amount itself is computed exactly in fen (:func:`compute_sql`).

    >>> from zonebrain.policy._format import Amount
    >>> a = Amount.model_validate({"ref": {"article": "第一条"}, "rate": "2%", "of": "rd_expense_fen",
    ...                            "cap": "50万", "rounding": "yuan_down"})
    >>> zh, en = describe(a, a.rate, a.cap, "rd_expense_fen[2024]").split(" / ")
    >>> zh
    '2024年研发费用 × 2%, 向下取整到元, 封顶 500,000.00 元'
    >>> en
    '2% × rd_expense_fen[2024], rounded down to whole 元, capped at 500,000.00 元'
    """
    # imported here: _coverage reads run results (through _run and _evaluate, which imports this module)
    from zonebrain.policy._coverage import field_label_zh

    zh_cap = f", 封顶 {yuan_text(cap)}" if cap is not None else ""
    en_cap = f", capped at {yuan_text(cap)}" if cap is not None else ""
    fixed = amount.fixed if fixed is None else fixed
    if fixed is not None:
        zh_param = f" (参数 {amount.fixed_param})" if amount.fixed_param else ""
        en_param = f" (parameter {amount.fixed_param})" if amount.fixed_param else ""
        return f"定额 {yuan_text(fixed)}{zh_param}{zh_cap} / fixed {yuan_text(fixed)}{en_param}{en_cap}"
    label = base_label or ""
    zh_base = field_label_zh(label)
    zh_round, en_round = _ROUNDING[amount.rounding]
    if rate is not None:
        zh = f"{zh_base} × {_rate(rate)}, {zh_round}{zh_cap}"
        return f"{zh} / {_rate(rate)} × {label}, {en_round}{en_cap}"
    table = _tier_table(amount, amount.of in MONEY_FACTS)
    if amount.mode == "single":
        zh = f"按{zh_base}分档, 取所在一档: {table}{zh_cap}"
        return f"{zh} / single tiers on {label}, the amount of the one bracket it falls in{en_cap}"
    zh = f"按{zh_base}超额累进, 各档内部分 × 该档比例之和: {table}, {zh_round}{zh_cap}"
    en = f"marginal tiers on {label}, the sum of each bracket's rate × the part inside it"
    return f"{zh} / {en}, {en_round}{en_cap}"
