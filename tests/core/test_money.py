from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonebrain.core.errors import MoneyError
from zonebrain.core.money import FEN_PER, format_fen, parse_amount, parse_many, stray_unit


@pytest.mark.parametrize(
    ("text", "unit", "fen"),
    [
        ("1,234.56", "元", 123456),
        ("12.5万", "元", 12_500_000),
        ("12.5", "万元", 12_500_000),
        ("3.2", "亿元", 32_000_000_000),
        ("3.2亿", "万元", 32_000_000_000),
        ("￥100", "元", 10000),
        ("-7.5", "元", -750),
        ("０.０１", "元", 1),
        ("1.000001", "万元", 1_000_001),
    ],
)
def test_examples(text: str, unit: str, fen: int) -> None:
    assert parse_amount(text, unit) == fen


@pytest.mark.parametrize(
    "bad", ["abc", "1.2.3", "", "12,34", "一百万", "1e5", "12 34", "1 234.5万", "1, 234"]
)
def test_not_numbers(bad: str) -> None:
    with pytest.raises(MoneyError, match="不是数字"):
        parse_amount(bad)


def test_spaces_around_a_number_and_its_unit_are_allowed() -> None:
    assert parse_amount(" ¥ 100 万元 ", "万元", strict_unit=True) == 100_000_000
    assert parse_amount("1,234 万", "万元") == 1_234_000_000


def test_finer_than_fen_is_refused_not_rounded() -> None:
    with pytest.raises(MoneyError, match="分以下"):
        parse_amount("0.001")
    with pytest.raises(MoneyError, match="分以下"):
        parse_amount("1.0000001", "万元")


def test_float_refused() -> None:
    with pytest.raises(MoneyError, match="浮点"):
        parse_amount(0.1)  # type: ignore[arg-type]


def test_unit_mismatch_when_strict() -> None:
    with pytest.raises(MoneyError, match="单位"):
        parse_amount("5000元", "万元", strict_unit=True)
    assert parse_amount("5000元", "万元") == 500_000


units = st.sampled_from(["元", "万元", "亿元"])


@given(st.integers(-(10**15), 10**15), units)
def test_format_then_parse_is_exact(fen: int, unit: str) -> None:
    assert parse_amount(format_fen(fen, unit), unit) == fen


@given(
    st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False), max_size=40), units
)
def test_vectorised_agrees_with_scalar(values: list[Decimal], unit: str) -> None:
    texts = [format(v, "f") for v in values]
    fen, slow = parse_many(pa.array(texts, pa.string()), unit)
    for text, got, is_slow in zip(texts, fen.to_pylist(), slow, strict=True):
        try:
            expected = parse_amount(text, unit)
        except MoneyError:
            assert is_slow
            continue
        if is_slow:  # the fast path may defer; the scalar path then decides
            continue
        assert got == expected
        assert Decimal(text) * FEN_PER[unit] == got


@pytest.mark.parametrize(("text", "unit"), [("1000萬元", "萬元"), ("1000萬", "萬"), ("30万元元", "万元元")])
def test_an_unknown_unit_is_named(text: str, unit: str) -> None:
    """QA: ``1000萬元`` (a traditional 萬) was told it was not a number, against the rule that an
    amount must carry a unit; it is told its unit is unknown, and which are read."""
    with pytest.raises(MoneyError, match=f"单位 '{unit}' 不可识别") as err:
        parse_amount(text)
    assert "万元" in str(err.value) and "unknown unit" in str(err.value)
    assert stray_unit("1000万") is None and stray_unit("1e5") is None
