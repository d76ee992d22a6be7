"""Money as integer fen (分), exactly, from the units officials write.

Every amount in ZoneBrain is an ``int`` number of fen. Conversion goes through
:class:`decimal.Decimal` (or exact integer arithmetic in the vectorised form), never float.

>>> parse_amount("1,234.56")
123456
>>> parse_amount("12.5万")
12500000
>>> parse_amount("3.2", unit="亿元")
32000000000
>>> format_fen(12500000, "万元")
'12.5'
>>> parse_amount("0.001")
Traceback (most recent call last):
...
zonebrain.core.errors.MoneyError: 金额 '0.001' 精确到分以下 (finer than one fen in 元); 请先四舍五入到分 / round to fen first
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.errors import MoneyError

FEN_PER: Final = {"分": 1, "元": 100, "千元": 100_000, "万元": 1_000_000, "亿元": 10_000_000_000}
"""Fen in one of each unit."""

_SUFFIX: Final = {
    "元": "元",
    "块": "元",
    "千": "千元",
    "千元": "千元",
    "万": "万元",
    "万元": "万元",
    "亿": "亿元",
    "亿元": "亿元",
    "分": "分",
}
_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")


def normalise_unit(unit: str) -> str:
    """Map a unit as written (万, 万元, 亿 …) to its canonical name; raise for an unknown one."""
    u = unicodedata.normalize("NFKC", unit).strip().strip("()（）")
    if u in _SUFFIX:
        return _SUFFIX[u]
    raise MoneyError(f"未知金额单位 '{unit}' (unknown money unit); 可用 / use one of: {', '.join(FEN_PER)}")


def _bare(text: str) -> str:
    """*text* in half-width characters, without the spaces around it or a leading ¥."""
    return unicodedata.normalize("NFKC", text).strip().lstrip("¥￥").lstrip()


def split_unit(text: str) -> tuple[str, str | None]:
    """Split ``"12.5万元"`` into ``("12.5", "万元")``; the unit is None when the text has none."""
    # spaces may stand around the number ("¥ 100 万元") but not inside it: "12 34" is two numbers
    t = _bare(text)
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if t.endswith(suffix):
            return t[: -len(suffix)].rstrip(), _SUFFIX[suffix]
    return t, None


def stray_unit(text: str) -> str | None:
    """What follows a number that no unit names: ``1000萬元`` → ``萬元``, ``1000萬`` → ``萬``; None
    when the text is a number with a known unit, or no number at all."""
    t = _bare(text)
    m = re.fullmatch(r"([+-]?[\d,]+(?:\.\d+)?)\s*([^\d\s,.+-][^\d]*)", t)  # 1e5: no unit
    if m is None or not _NUMBER.match(m.group(1)) or m.group(2) in _SUFFIX or m.group(2)[0].isascii():
        return None  # 12x is a typo, not a unit: units are written in Chinese
    return m.group(2)


def unknown_unit_text(text: str, unit: str) -> str:
    """The message for an amount whose unit is not one ZoneBrain reads (QA: ``1000萬元`` was told it
    was not a number)."""
    return (
        f"金额 '{text}' 的单位 '{unit}' 不可识别 (unknown unit); 请用 元、千元、万元 或 亿元 (或 万、亿), "
        f"如 1000万 / use 元, 千元, 万元 or 亿元, e.g. 1000万"
    )


def parse_amount(text: str | int | Decimal, unit: str = "元", *, strict_unit: bool = False) -> int:
    """Read an amount written in *unit* (or in the unit its own suffix names) as integer fen.

    With ``strict_unit=True`` a suffix that differs from *unit* is an error (a 万元 column
    holding "500元" is a unit mismatch the user must resolve, not something to guess).
    Floats are refused: they cannot carry money exactly.
    """
    unit = normalise_unit(unit)
    if isinstance(text, (bool, float)):
        raise MoneyError(f"金额 {text!r} 是浮点数 (a float cannot hold money exactly); 请以文本或整数传入")
    if isinstance(text, int):
        return text * FEN_PER[unit]
    if isinstance(text, Decimal):
        return _decimal_to_fen(text, unit, str(text))
    number, own_unit = split_unit(text)
    if own_unit is not None and own_unit != unit:
        if strict_unit:
            raise MoneyError(
                f"金额 '{text}' 带单位 '{own_unit}'，但该列单位为 '{unit}' (unit mismatch: the value says "
                f"{own_unit}, the column {unit}); 请去掉单位并按 {unit} 填写 / remove the unit and write it in {unit}"
            )
        unit = own_unit
    if not _NUMBER.match(number):
        stray = stray_unit(text)
        if stray:
            raise MoneyError(unknown_unit_text(text, stray))
        raise MoneyError(
            f"金额 '{text}' 不是数字 (not a number); 请填写如 1234.56 或 1,234.56 的数字 / write a plain number"
        )
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise MoneyError(f"金额 '{text}' 不是数字 (not a number)") from exc
    return _decimal_to_fen(value, unit, text)


MAX_FEN: Final = 2**63 - 1
"""The largest amount stored (an int64 of fen: about 9.2 × 10^16 元)."""


def _decimal_to_fen(value: Decimal, unit: str, shown: str) -> int:
    fen = value * FEN_PER[unit]
    if abs(fen) > MAX_FEN:
        raise MoneyError(f"金额 '{shown}' 超出可存储范围 (too large to store); 请核对单位 / check the unit")
    if fen != fen.to_integral_value():
        raise MoneyError(
            f"金额 '{shown}' 精确到分以下 (finer than one fen in {unit}); 请先四舍五入到分 / round to fen first"
        )
    return int(fen)


def format_fen(fen: int, unit: str = "元") -> str:
    """Show *fen* in *unit* exactly, without trailing zeros (``1250000`` fen → ``"1.25"`` 万元)."""
    unit = normalise_unit(unit)
    value = Decimal(fen) / FEN_PER[unit]
    text = format(value.normalize(), "f")
    return text


def display_fen(fen: int, unit: str = "万元", places: int = 2) -> str:
    """For people, not for sums: *fen* in *unit*, rounded half-up to *places*, with separators.

    >>> display_fen(102510828954, "万元")
    '102,510.83'
    """
    unit = normalise_unit(unit)
    value = (Decimal(fen) / FEN_PER[unit]).quantize(Decimal(1).scaleb(-places), rounding="ROUND_HALF_UP")
    return f"{value:,}"


def parse_many(values: pa.Array | pa.ChunkedArray, unit: str) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """Vectorised :func:`parse_amount` for plain numbers in one unit.

    Returns ``(fen, bad)``: an int64 array with nulls where the input is null or bad, and a
    mask of the rows that could not be read *by this fast path* (a unit suffix, a comma,
    too many decimals, not a number). Callers send those rows through :func:`parse_amount`
    to get an exact value or the precise error. Exact: integer arithmetic only.
    """
    unit = normalise_unit(unit)
    factor = FEN_PER[unit]
    decimals = len(str(factor)) - 1  # digits after the point that still make whole fen
    whole_digits = 18 - decimals  # whole * factor stays inside int64; longer numbers take the exact slow path
    arr = pc.utf8_trim_whitespace(values.cast(pa.string()))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    empty = pc.equal(pc.utf8_length(arr), 0)
    arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    frac_re = rf"(\.\d{{1,{decimals}}})?" if decimals else ""
    plain = pc.match_substring_regex(arr, rf"^-?\d{{1,{whole_digits}}}{frac_re}$")
    plain = pc.fill_null(plain, True)
    bad = ~np.asarray(plain, dtype=bool) & ~np.asarray(pc.is_null(arr), dtype=bool)
    ok = pc.if_else(plain, arr, pa.scalar(None, pa.string()))
    parts = pc.split_pattern(ok, ".", max_splits=1)
    whole = pc.list_element(parts, 0)
    negative = pc.starts_with(whole, "-")
    whole_abs = pc.utf8_ltrim(whole, "-").cast(pa.int64())
    has_frac = pc.greater(pc.list_value_length(parts), 1)
    frac = pc.if_else(has_frac, pc.list_element(pc.if_else(has_frac, parts, pa.scalar(["", "0"])), 1), "0")
    if decimals:
        frac = pc.utf8_rpad(frac, decimals, "0").cast(pa.int64())
    else:
        frac = pc.multiply(frac.cast(pa.int64()), 0)
    magnitude = pc.add(pc.multiply(whole_abs, factor), pc.multiply(frac, factor // 10**decimals))
    fen = pc.if_else(negative, pc.negate(magnitude), magnitude)
    return fen, bad
