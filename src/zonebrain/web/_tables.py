"""Tables as the API returns them, and every one of them as an Excel file.

A :class:`DataTable` has typed columns; money columns (``kind="fen"``) carry integer fen in
JSON, are shown in 万元 with two decimals on pages, and are written to Excel as exact decimals
of 万元 (no float ever holds an amount on the way).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from urllib.parse import quote

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from zonebrain.core.money import FEN_PER, display_fen
from zonebrain.core.xlsx import save_workbook
from zonebrain.web._i18n import Translator

Kind = Literal["text", "int", "fen", "float", "date", "link"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["json", "xlsx"]


@dataclass(frozen=True)
class Col:
    key: str
    label: str
    """Catalogue key of the column header."""
    kind: Kind = "text"


@dataclass
class DataTable:
    name: str
    """File name stem of the export (ASCII)."""
    title: str
    """Catalogue key of the title."""
    columns: list[Col]
    rows: list[dict[str, Any]]
    total: int | None = None
    """Rows matching before paging (None: all rows are here)."""
    title_params: dict[str, Any] = field(default_factory=dict)


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class TableOut(BaseModel):
    """A table: column definitions and rows keyed by column. Money columns (kind ``fen``) are integer fen."""

    name: str
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    total: int


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def to_json(table: DataTable, t: Translator) -> dict[str, Any]:
    keys = [c.key for c in table.columns]
    return {
        "name": table.name,
        "title": t(table.title, **table.title_params),
        "columns": [{"key": c.key, "label": t(c.label), "kind": c.kind} for c in table.columns],
        "rows": [{k: _json_value(r.get(k)) for k in keys} for r in table.rows],
        "total": table.total if table.total is not None else len(table.rows),
    }


def cell_text(value: Any, kind: str) -> str:
    """A value as a page shows it."""
    if value is None:
        return ""
    if kind == "fen":
        return display_fen(int(value), "万元")
    if kind == "float":
        return f"{float(value):.3f}"
    if kind == "int":
        return f"{int(value):,}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def header(col: Col, t: Translator) -> str:
    label = t(col.label)
    return f"{label} ({t('unit.wan_yuan')})" if col.kind == "fen" else label


def to_xlsx(table: DataTable, t: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.name[:31])
    bold = Font(bold=True)
    title = WriteOnlyCell(ws, value=t(table.title, **table.title_params))
    title.font = bold
    ws.append([title])
    heads = []
    for c in table.columns:
        cell = WriteOnlyCell(ws, value=header(c, t))
        cell.font = bold
        heads.append(cell)
    ws.append(heads)
    wan = FEN_PER["万元"]
    for r in table.rows:
        out: list[Any] = []
        for c in table.columns:
            v = r.get(c.key)
            if v is not None and c.kind == "fen":
                # openpyxl writes a Decimal as its exact text (its stubs omit Decimal)
                amount = (Decimal(int(v)) / wan).quantize(Decimal("0.01"), ROUND_HALF_UP)
                cell = WriteOnlyCell(ws, value=amount)  # type: ignore[arg-type]
                cell.number_format = "#,##0.00"
                out.append(cell)
            elif isinstance(v, dt.datetime):
                out.append(v.replace(tzinfo=None))
            elif isinstance(v, str):
                out.append(_text_cell(ws, v))
            else:
                out.append(v)
        ws.append(out)
    buf = io.BytesIO()
    save_workbook(wb, buf)
    return buf.getvalue()


def _text_cell(ws: Any, text: str) -> Any:
    """Text exactly as text: control characters Excel cannot hold are dropped, and a value that
    starts with ``=`` stays a string, never a formula (no formula injection through a firm's name)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"
    return cell


def attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode() or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def respond(table: DataTable, fmt: Format, t: Translator) -> Any:
    """The table as JSON or as an .xlsx download (a response as it is: no second validation pass)."""
    if fmt == "xlsx":
        return Response(
            to_xlsx(table, t),
            media_type=XLSX,
            headers={"Content-Disposition": attachment(f"{table.name}.xlsx")},
        )
    return JSONResponse(to_json(table, t))


XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "JSON table, or the same table as an Excel file with format=xlsx",
    }
}
