"""Saving Excel workbooks that open safely: text stays text.

openpyxl stores any string that starts with ``=`` as a formula, so an enterprise named
``=HYPERLINK(...)`` in an imported file would become a live formula in every list exported from
it (CSV/formula injection). :func:`save_workbook` marks such cells as plain text before saving;
every workbook ZoneBrain writes goes through it.

>>> import io, openpyxl
>>> wb = openpyxl.Workbook()
>>> wb.active.append(["=1+1", "正常文本", 3])
>>> buf = io.BytesIO()
>>> save_workbook(wb, buf)
>>> back = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
>>> [c.value for c in back[1]], back["A1"].data_type
(['=1+1', '正常文本', 3], 's')
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any


def neutralise_formulas(wb: Any) -> int:
    """Mark every string cell that starts with ``=`` as text; returns how many were changed.

    A write-only workbook has already streamed its rows out and cannot be read back: its writer
    must build text cells itself (see ``web/_tables.py``); it is left as it is here.
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
