"""Excel lists: every table a person sees can be taken away as .xlsx."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

import pyarrow as pa

from zonebrain.core.money import FEN_PER
from zonebrain.core.xlsx import display_width, save_workbook


def export_excel(
    sheets: dict[str, pa.Table],
    path: Path | str,
    headers: dict[str, str] | None = None,
    money: Sequence[str] = (),
    money_unit: str = "万元",
    formats: Mapping[str, str] | None = None,
    unit_label: str | None = None,
) -> Path:
    """Write each table to a sheet; money columns (fen) become exact decimals in *money_unit*.

    A money column's header gets ``(万元)`` unless it already names the unit (*unit_label*: the
    unit in the reader's words, ``yuan`` for an English header; default *money_unit* itself);
    *formats* maps other columns to an Excel number format (``"0.0%"`` for a fraction shown as a
    percentage, ``"0.0000"``). A column of :func:`cells` keeps each row's own type: a date is an
    Excel date, a number a number, a text a text (an item/value sheet).
    """
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    headers = headers or {}
    formats = formats or {}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    for blank in list(wb.worksheets):
        wb.remove(blank)
    per = FEN_PER[money_unit]
    for name, table in sheets.items():
        ws = wb.create_sheet(name[:31])
        cols = table.column_names
        ws.append([_header(headers.get(c, c), c in money, unit_label or money_unit) for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.to_pylist():
            ws.append([Decimal(row[c]) / per if c in money and row[c] is not None else row[c] for c in cols])
        for i, c in enumerate(cols, start=1):
            fmt = "#,##0.00" if c in money else formats.get(c)
            if fmt is not None:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        for i, c in enumerate(cols, start=1):  # wide enough for the longest cell (a CJK character is two)
            longest = max(
                (_display_width(cell.value, c in money) for (cell,) in ws.iter_rows(min_col=i, max_col=i)),
                default=8,
            )
            ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 60)
        ws.freeze_panes = "A2"
    save_workbook(wb, path)
    return path


def _header(label: str, is_money: bool, unit: str) -> str:
    """*label* with the money unit once: ``营业收入`` → ``营业收入(万元)``, ``Amount`` → ``Amount
    (yuan)``; ``户均营收 (万元)`` stays."""
    if not is_money or unit in label:
        return label
    return f"{label} ({unit})" if unit.isascii() else f"{label}({unit})"


CELL_TYPES: Final = (("date", pa.date32()), ("number", pa.int64()), ("text", pa.string()))
"""What a :func:`cells` column holds, row by row: a date, a whole number or a text."""


def cells(values: Sequence[dt.date | int | str | None]) -> pa.Array:
    """One column whose rows each keep their own type (an Arrow dense union): the value column of
    an item/value sheet, where the as-of date is a date, the year a number, a note a text, so
    that :func:`export_excel` writes an Excel date, a number and a text (QA: all were text).

    >>> cells([dt.date(2025, 3, 31), 2024, "run-1", None]).to_pylist()
    [datetime.date(2025, 3, 31), 2024, 'run-1', None]
    """
    kinds: list[int] = []
    offsets: list[int] = []
    children: list[list[object]] = [[] for _ in CELL_TYPES]
    for v in values:
        if isinstance(v, dt.datetime | bool):
            raise TypeError(f"cells: a date, a whole number or a text, not {type(v).__name__}")
        kind = 0 if isinstance(v, dt.date) else 1 if isinstance(v, int) else 2
        kinds.append(kind)
        offsets.append(len(children[kind]))
        children[kind].append(v)
    return pa.UnionArray.from_dense(
        pa.array(kinds, pa.int8()),
        pa.array(offsets, pa.int32()),
        [pa.array(c, t) for c, (_, t) in zip(children, CELL_TYPES, strict=True)],
        [name for name, _ in CELL_TYPES],
    )


def _display_width(value: object, money: bool) -> int:
    """About how many character widths a cell shows: CJK characters count two; money as 1,234.56."""
    if value is None:
        return 0
    return display_width(f"{value:,.2f}" if money and isinstance(value, Decimal) else str(value))
