"""Excel lists: every table a person sees can be taken away as .xlsx."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

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
) -> Path:
    """Write each table to a sheet; money columns (fen) become exact decimals in *money_unit*.

    A money column's header gets ``(万元)`` unless it already names the unit; *formats* maps other
    columns to an Excel number format (``"0.0%"`` for a fraction shown as a percentage, ``"0.0000"``).
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
        ws.append([_header(headers.get(c, c), c in money, money_unit) for c in cols])
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
    """*label* with the money unit once: ``营业收入`` → ``营业收入 (万元)``; ``户均营收 (万元)`` stays."""
    if not is_money or unit in label:
        return label
    return f"{label}({unit})"


def _display_width(value: object, money: bool) -> int:
    """About how many character widths a cell shows: CJK characters count two; money as 1,234.56."""
    if value is None:
        return 0
    return display_width(f"{value:,.2f}" if money and isinstance(value, Decimal) else str(value))
