"""Saving Excel workbooks that open safely: text stays text, and every text can be written.

openpyxl stores any string that starts with ``=`` as a formula, so an enterprise named
``=HYPERLINK(...)`` in an imported file would become a live formula in every list exported from
it (CSV/formula injection). Two doors, one rule — ZoneBrain never writes a formula:

* a normal workbook goes through :func:`save_workbook`, which marks such cells as plain text;
* a write-only workbook (rows streamed out, never read back) builds its rows with
  :func:`text_row`, which also makes control characters visible (``\\x0b``; openpyxl refuses
  them) and cuts a text longer than an Excel cell holds, saying so in the cell.

>>> import io, openpyxl
>>> wb = openpyxl.Workbook()
>>> wb.active.append(["=1+1", "正常文本", 3])
>>> buf = io.BytesIO()
>>> save_workbook(wb, buf)
>>> back = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
>>> [c.value for c in back[1]], back["A1"].data_type
(['=1+1', '正常文本', 3], 's')
>>> safe_text("a\\x0bb")
'a\\\\x0bb'
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import IO, Any

MAX_CELL_CHARS = 32_767
"""The most characters an Excel cell holds."""

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters an .xlsx cannot store (XML 1.0 forbids them); tab, LF and CR are allowed."""


def display_width(text: str) -> int:
    """About how many half-width characters *text* takes on screen or paper: a CJK (wide or
    full-width) character counts two. What column widths in Excel and Word are sized by."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def safe_text(text: str) -> str:
    """*text* as it can be stored in a cell: control characters shown as ``\\xNN``, cut to fit.

    A cut text ends with a note saying how long the original was, so nobody mistakes it for
    the whole value.
    """
    shown = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if len(shown) <= MAX_CELL_CHARS:
        return shown
    note = f" …[已截断: 原文 {len(text):,} 字符 / cut: the original has {len(text):,} characters]"
    return shown[: MAX_CELL_CHARS - len(note)] + note


def text_row(ws: Any, values: list[Any], *, font: Any = None) -> list[Any]:
    """Cells for one row of a write-only sheet *ws*: every string written as text, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value=safe_text(value) if isinstance(value, str) else value)
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def neutralise_formulas(wb: Any) -> int:
    """Mark every string cell that starts with ``=`` as text; returns how many were changed.

    A write-only workbook has already streamed its rows out and cannot be read back: its writer
    must build text cells itself (:func:`text_row`); it is left as it is here.
    """
    if getattr(wb, "write_only", False):
        return 0
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.data_type = "s"
                    changed += 1
    return changed


def save_workbook(wb: Any, target: Path | str | IO[bytes]) -> None:
    """Save *wb* (an openpyxl workbook) with no formula cells: ZoneBrain never writes formulas."""
    neutralise_formulas(wb)
    wb.save(target)
