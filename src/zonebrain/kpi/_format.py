"""How KPI figures are written for people: the period, the value in the indicator's own unit.

Pure text helpers shared by the CLI and the Word report, so a count is never shown as money
and a stock is never called a 累计.
"""

from __future__ import annotations

from zonebrain.core.money import display_fen
from zonebrain.kpi._catalogue import Indicator


def period_label(year: int, month: int) -> str:
    """The months a year-to-date figure covers: ``2024年1月`` for January, ``2024年1-6月`` after."""
    return f"{year}年1月" if month == 1 else f"{year}年1-{month}月"


def display_value(value: object, unit: str, display_unit: str) -> str:
    """*value* (integer fen or a count, as stored) in *display_unit*, with thousands separators.

    Money (``unit='fen'``) is shown in 元/万元/亿元 with two decimals; counts stay whole numbers.
    None (no data) is a dash.
    """
    if value is None:
        return "—"
    if unit == "fen" and isinstance(value, int):
        return display_fen(value, display_unit)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show(value: object, ind: Indicator) -> str:
    """:func:`display_value` in the unit the catalogue gives *ind*."""
    return display_value(value, ind.unit, ind.display_unit)


def value_label(ind: Indicator) -> str:
    """What the year-to-date value of *ind* is: ``累计`` (a flow, January..M) or ``期末`` (a stock)."""
    return "期末" if ind.kind == "stock" else "累计"


def months_text(months: list[tuple[int, int]]) -> str:
    """Months as runs, oldest first: ``2023-01 … 2024-12, 2025-03``."""
    runs: list[list[tuple[int, int]]] = []
    for y, m in sorted(set(months)):
        if runs:
            ly, lm = runs[-1][-1]
            if (y, m) == ((ly + 1, 1) if lm == 12 else (ly, lm + 1)):
                runs[-1].append((y, m))
                continue
        runs.append([(y, m)])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        text = f"{first[0]}-{first[1]:02d}"
        if last != first:
            text += f" … {last[0]}-{last[1]:02d}"
        parts.append(text)
    return ", ".join(parts)
