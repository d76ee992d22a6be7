"""Amounts in exact integer fen (never float), as query expressions the engine evaluates.

Rates are fractions ``n/d``; the product ``base × n`` is divided by ``d`` with the rounding the
clause states: ``fen_half_up`` (元 half-up to 分), ``yuan_down`` (向下取整到元), ``yuan_half_up``.
Tier tables are ``single`` (the amount of the one bracket the base falls in) or ``marginal``
(the sum over brackets of rate × the part of the base inside the bracket, rounded once).
Every step is integer arithmetic on int64; the one division is corrected to stay exact where an
engine divides through a double (``tests/policy/test_evaluate.py`` checks bases past 2⁵³).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir

from zonebrain.policy._format import Amount, Tier


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


def compute_sql(amount: Amount, base: ir.IntegerValue | None, rate: Fraction | None, cap: int | None) -> Any:
    """The amount in fen as an int64 expression over the base fact *base* (null counts as 0; the
    caller shows an amount only where the base is known)."""
    if amount.fixed is not None:
        return ibis.literal(amount.fixed, "int64")
    assert base is not None
    x = ibis.greatest(base.cast("int64").fill_null(0), ibis.literal(0, "int64"))
    if rate is not None:
        out: Any = _round_div_sql(x * rate.numerator, rate.denominator, amount.rounding)
    else:
        tiers = amount.tiers or ()
        if amount.mode == "single":  # the first listed bracket wins on overlap
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


def describe(amount: Amount, rate: Fraction | None, cap: int | None, base_label: str | None) -> str:
    """The amount rule as the trace shows it (fen, exact fractions)."""
    if amount.fixed is not None:
        text = f"fixed {amount.fixed}"
    elif rate is not None:
        text = f"{rate} x {base_label}, {amount.rounding}"
    else:
        parts = []
        for t in amount.tiers or ():
            lo = "" if t.lower is None else f"{'[' if t.lower_inclusive else '('}{t.lower}"
            hi = "" if t.upper is None else f"{t.upper}{']' if t.upper_inclusive else ')'}"
            val = f"{t.amount}" if t.amount is not None else f"{t.rate}"
            parts.append(f"{lo or '(-inf'},{hi or 'inf)'}->{val}")
        text = f"{amount.mode} tiers on {base_label}: " + "; ".join(parts)
    return text + (f", cap {cap}" if cap is not None else "")
