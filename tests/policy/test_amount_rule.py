"""The amount rule a trace shows: Chinese then English, money in 元, never raw fen."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonebrain.core.money import display_fen
from zonebrain.policy import Amount
from zonebrain.policy._amounts import describe


def _amount(**spec: object) -> Amount:
    return Amount.model_validate({"ref": "第一条", **spec})


@pytest.mark.parametrize(
    ("spec", "rate", "cap", "expected"),
    [
        ({"fixed": "10万"}, None, None, "定额 100,000.00 元 / fixed 100,000.00 元"),
        (
            {"rate": "2%", "of": "rd_expense_fen", "rounding": "yuan_down"},
            Fraction(1, 50),
            50_000_000,
            (
                "2024年研发费用 × 2%, 向下取整到元, 封顶 500,000.00 元"
                " / 2% × rd_expense_fen[2024], rounded down to whole 元, capped at 500,000.00 元"
            ),
        ),
        (
            {"rate": "5‰", "of": "revenue_fen"},
            Fraction(1, 200),
            None,
            "2024年营业收入 × 0.5%, 四舍五入到分 / 0.5% × revenue_fen[2024], rounded half up to 0.01 元",
        ),
        (  # a rate four decimals cannot hold (a parameter override) keeps its exact fraction
            {"rate_param": "rate", "of": "tax_fen", "rounding": "yuan_half_up"},
            Fraction(1, 3),
            None,
            (
                "2024年纳税总额 × 33.3333% (1/3), 四舍五入到元"
                " / 33.3333% (1/3) × tax_fen[2024], rounded half up to whole 元"
            ),
        ),
        (
            {
                "of": "revenue_fen",
                "mode": "single",
                "tiers": [
                    {"lower": "1000万", "lower_inclusive": True, "amount": "30万"},
                    {"upper": "1000万", "upper_inclusive": False, "amount": "10万"},
                ],
            },
            None,
            None,
            (
                "按2024年营业收入分档, 取所在一档: [10,000,000.00 元, ∞) → 300,000.00 元; (-∞, 10,000,000.00 元)"
                " → 100,000.00 元 / single tiers on revenue_fen[2024], the amount of the one bracket it falls in"
            ),
        ),
        (
            {
                "of": "revenue_fen",
                "mode": "marginal",
                "rounding": "yuan_down",
                "cap": "8万",
                "tiers": [
                    {"upper": "100万", "upper_inclusive": True, "rate": "1%"},
                    {"lower": "100万", "lower_inclusive": False, "rate": "2.5%"},
                ],
            },
            None,
            8_000_000,
            (
                "按2024年营业收入超额累进, 各档内部分 × 该档比例之和: (-∞, 1,000,000.00 元] → 1%;"
                " (1,000,000.00 元, ∞) → 2.5%, 向下取整到元, 封顶 80,000.00 元 / marginal tiers on"
                " revenue_fen[2024], the sum of each bracket's rate × the part inside it, rounded down to"
                " whole 元, capped at 80,000.00 元"
            ),
        ),
    ],
    ids=["fixed", "rate-cap", "permille", "inexact-rate", "single-tiers", "marginal-tiers"],
)
def test_rule_text(spec: dict[str, object], rate: Fraction | None, cap: int | None, expected: str) -> None:
    a = _amount(**spec)
    assert describe(a, rate, cap, "revenue_fen[2024]" if a.of is None else f"{a.of}[2024]") == expected


@given(cap=st.integers(0, 10**15) | st.none(), fixed=st.integers(0, 10**15))
def test_money_is_shown_in_yuan_never_in_fen(cap: int | None, fixed: int) -> None:
    text = describe(_amount(fixed=f"{Decimal(fixed) / 100}元"), None, cap, None)
    zh, en = text.split(" / ")
    shown = f"{display_fen(fixed, '元')} 元"
    assert zh.startswith(f"定额 {shown}") and en.startswith(f"fixed {shown}")
    assert (cap is None) == ("封顶" not in zh) == ("capped" not in en)
    assert re.search(r"\d{4}", text) is None  # every number has separators: no raw fen
