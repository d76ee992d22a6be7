"""Tables as the API returns them, and every one of them as an Excel file.

A :class:`DataTable` has typed columns; money columns (``kind="fen"``) carry integer fen in
JSON, are shown in their column's unit (万元 unless ``unit="元"``) with two decimals and
separators on pages, and are written to Excel as decimals of that unit (no float ever holds an
amount on the way): rounded to two places, or with ``exact=True`` every digit (3317518900 fen →
3317.5189 万元, shown ``#,##0.00####``). Shares (``kind="share"``) are fractions
of a whole: JSON keeps the fraction, pages show it in percent (``72.5%``), Excel holds the fraction
formatted ``0.0%``. Identifiers and years (``kind="id"``) are integers shown without
thousands separators (``2024``, not ``2,024``). Times are stored as naive UTC (the app store's
:func:`~zonebrain.core.clock.utcnow`) and shown, on pages and in Excel, in Beijing time
(:func:`~zonebrain.core.clock.beijing`); the JSON keeps them as stored.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal
from urllib.parse import quote

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from zonebrain.core.clock import beijing
from zonebrain.core.money import FEN_PER, display_fen
from zonebrain.core.xlsx import display_width, safe_text
from zonebrain.web._i18n import Translator

Kind = Literal["text", "int", "id", "fen", "float", "pct", "share", "pp", "date", "link"]
"""``int`` counts (with separators), ``id`` identifiers and years (without), ``fen`` money,
``pct`` a number in percent (8.27 = 8.27 %; shown ``8.3%``), ``share`` a fraction of a whole
(0.725; shown ``72.5%``, a fraction formatted as a percentage in Excel), ``pp`` percentage points
(``+1.2``)."""
FLOAT_PLACES = 6
"""Decimal places a ``float`` keeps in Excel: enough for every index the app shows (density, PCI,
scores), and no binary noise (``1.000000000000001`` is written as 1)."""
SHARE_PLACES = 4
"""Decimal places a share keeps in Excel (0.8333333333333334 → 0.8333, shown ``83.3%``)."""
NUMBER_FORMATS: dict[str, str] = {
    "fen": "#,##0.00",
    "exact": "#,##0.00####",
    "float": "0.000",
    "pct": "0.0",
    "pp": "0.0",
    "share": "0.0%",
    "id": "0",
}
"""Excel number format per kind (``exact``: a money column with :attr:`Col.exact`): one decimal
for percent and percentage points like the page, a share as a percentage of its fraction."""
JSON_KINDS: dict[str, str] = {"share": "float"}
"""The kind the API names a column by where it is not the column's own: a share is the ``float``
fraction the API has always returned (the JSON contract predates the kind)."""
MoneyUnit = Literal["万元", "元"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["json", "xlsx"]


@dataclass(frozen=True)
class Col:
    key: str
    label: str
    """Catalogue key of the column header."""
    kind: Kind = "text"
    unit: MoneyUnit = "万元"
    """The unit a money column is shown and exported in (its JSON is integer fen either way)."""
    exact: bool = False
    """Money written to Excel with every digit of its unit, never rounded (3317518900 fen →
    3317.5189 万元, format ``#,##0.00####``); pages show two decimals either way."""
    page: bool = True
    """Shown on pages (False: a code kept for the API and, unless *xlsx* is False, Excel)."""
    xlsx: bool = True
    """Written to Excel (False: the API only, e.g. a raw code next to its label)."""
    labels: Mapping[str, str] | None = field(default=None, compare=False)
    """Value → catalogue key of its label (stage ``线索`` → ``pipeline.stages.lead``): pages and
    Excel show the label in the reader's language, JSON keeps the value; unknown values as they are."""

    @property
    def css(self) -> str:
        """The class of the column's page cells: its kind, a share as ``pct`` (shown in percent)."""
        return "pct" if self.kind == "share" else self.kind


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
        "columns": [
            {"key": c.key, "label": t(c.label), "kind": JSON_KINDS.get(c.kind, c.kind)} for c in table.columns
        ],
        "rows": [{k: _json_value(r.get(k)) for k in keys} for r in table.rows],
        "total": table.total if table.total is not None else len(table.rows),
    }


def cell_text(value: Any, kind: str, unit: str = "万元") -> str:
    """A value as a page shows it (money in *unit*: 万元 or 元)."""
    if value is None:
        return ""
    if kind == "fen":
        return display_fen(int(value), "元" if unit == "元" else "万元")
    if kind == "float":
        return f"{float(value):.3f}"
    if kind == "pct":  # one decimal and the sign of percent, as the KPI report writes them
        return f"{float(value):.1f}%"
    if kind == "share":
        return f"{share_pct(value):.1f}%"
    if kind == "pp":
        return f"{float(value):+.1f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "id":
        return str(int(value)) if isinstance(value, int | float | Decimal) else str(value)
    if isinstance(value, dt.datetime):
        return beijing(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def share_pct(share: Any) -> float:
    """A share (a fraction, e.g. a :class:`~fractions.Fraction`) in percent to two places, as JSON's
    ``*_pct`` fields carry it and pages show it to one (0.72549 → 72.55 → ``72.5%``).

    >>> share_pct(0.8333333333333334), cell_text(0.8333, "share"), cell_text(1.5, "share")
    (83.33, '83.3%', '150.0%')
    """
    return round(float(share) * 100, 2)


def label_text(col: Col, value: Any, t: Translator) -> Any:
    """A coded value in the reader's language (see :attr:`Col.labels`); anything else as it is."""
    if col.labels and isinstance(value, str) and value in col.labels:
        return t(col.labels[value])
    return value


def header(col: Col, t: Translator) -> str:
    label = t(col.label)
    if col.kind != "fen":
        return label
    return f"{label} ({t('unit.yuan') if col.unit == '元' else t('unit.wan_yuan')})"


SHEET_NAME_MAX: Final = 31
"""The longest sheet name Excel accepts."""
WIDTH_SAMPLE: Final = 1000
"""Rows read to size the columns (every row of a 120,000-row export would cost seconds)."""
WIDTH_MAX: Final = 60


def sheet_name(title: str) -> str:
    """A sheet name from a table's title, as people read it: ``测算结果 · 2025-03-31-…`` → ``测算结果``
    (a title too long for a sheet keeps its words before `` · `` or ``(``), without the characters
    Excel refuses (``[]:*?/\\``); the full title is the sheet's first row."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()
    if len(name) > SHEET_NAME_MAX:
        name = re.split(r" · | \(|（", name)[0].strip()
    return name[:SHEET_NAME_MAX].strip() or "Sheet1"


XLSX_OPTIONS: Final = {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                       "strings_to_urls": False, "default_date_format": "yyyy-mm-dd h:mm:ss"}  # fmt: skip
"""XlsxWriter's options for every export: rows streamed to a temporary file, text always text."""


def to_xlsx(table: DataTable, t: Translator, sheet: str | None = None) -> bytes:
    """*table* as one Excel sheet: its title, the headers (bold), then a row per row, written with
    XlsxWriter row by row (``constant_memory``: the sheet streams to a temporary file), about twice
    openpyxl's speed at no more memory (``benchmarks/xlsx_bench.py``). Money is written
    from a :class:`~decimal.Decimal`, as its exact decimal text (no float on the way); text is
    always text, never a formula (no formula injection through a firm's name).

    The sheet is named *sheet*, or from the title (:func:`sheet_name`); the title and header rows
    stay in view when scrolling, and each column is as wide as its header and the first
    :data:`WIDTH_SAMPLE` rows need (QA: money showed as ``#####`` in default-width columns)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, XLSX_OPTIONS)
    title = t(table.title, **table.title_params)
    ws = wb.add_worksheet(sheet_name(sheet or title))
    out = SheetWriter(wb, ws, [c for c in table.columns if c.xlsx], t)
    out.head(title)
    for i, r in enumerate(table.rows, start=2):
        out.row(i, r)
    out.finish()
    wb.close()
    return buf.getvalue()


class SheetWriter:
    """One table's rows into an XlsxWriter sheet, cell by cell (the cells of :func:`to_xlsx`): the
    title in row 0, the headers (bold) in row 1, then :meth:`row` for each row from row 2 on, in
    order (a ``constant_memory`` workbook streams them out); :meth:`finish` sizes the columns to
    the first :data:`WIDTH_SAMPLE` rows and keeps the title and headers in view."""

    def __init__(self, wb: Any, ws: Any, columns: list[Col], t: Translator) -> None:
        self.ws, self.columns, self.t = ws, columns, t
        self.bold = wb.add_format({"bold": True})
        self.number = {kind: wb.add_format({"num_format": f}) for kind, f in NUMBER_FORMATS.items()}
        self.day = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.widths = [display_width(header(c, t)) for c in columns]

    def head(self, title: str) -> None:
        self.ws.write_string(0, 0, _text(title), self.bold)
        for j, c in enumerate(self.columns):
            self.ws.write_string(1, j, _text(header(c, self.t)), self.bold)

    def row(self, i: int, r: Mapping[str, Any]) -> None:
        ws, number, widths = self.ws, self.number, self.widths
        for j, c in enumerate(self.columns):
            v = label_text(c, r.get(c.key), self.t)
            if v is None or v == "":  # a blank cell, as openpyxl left it (not an empty text)
                continue
            if i < WIDTH_SAMPLE + 2:
                widths[j] = max(widths[j], _cell_width(c, v))
            if c.kind == "fen":
                per = FEN_PER["元" if c.unit == "元" else "万元"]
                amount = Decimal(int(v)) / per
                if not c.exact:
                    amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
                ws.write_number(i, j, amount, number["exact" if c.exact else "fen"])
            elif isinstance(v, float) and c.kind in ("float", "pct", "pp"):
                # percent and pp as their JSON numbers, shown with one decimal like the page
                ws.write_number(i, j, round(v, FLOAT_PLACES), number[c.kind])
            elif c.kind == "share" and isinstance(v, float | int | Decimal) and not isinstance(v, bool):
                ws.write_number(i, j, round(float(v), SHARE_PLACES), number["share"])
            elif c.kind == "id" and isinstance(v, int) and not isinstance(v, bool):
                ws.write_number(i, j, v, number["id"])
            elif isinstance(v, dt.datetime):
                ws.write_datetime(i, j, beijing(v))
            elif isinstance(v, str):  # several lines (需提供的材料) shown as lines, not run together
                ws.write_string(i, j, _text(v), self.wrap if "\n" in v else None)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, int | float | Decimal):
                ws.write_number(i, j, v)
            elif isinstance(v, dt.date):
                ws.write_datetime(i, j, v, self.day)
            else:
                ws.write_string(i, j, _text(str(v)))

    def finish(self) -> None:
        for j, w in enumerate(self.widths):
            self.ws.set_column(j, j, min(max(w + 2, 8), WIDTH_MAX))
        self.ws.freeze_panes(2, 0)


def _cell_width(c: Col, v: Any) -> int:
    """The width a cell's value shows at: money as ``1,234,567.00``, a time as ``2026-12-01 10:32:27``."""
    if c.kind == "fen" and isinstance(v, int | Decimal):
        per = FEN_PER["元" if c.unit == "元" else "万元"]
        return len(f"{Decimal(int(v)) / per:,.2f}") + 1
    if isinstance(v, dt.datetime):
        return 19
    if isinstance(v, float):
        return 10
    return max(display_width(line) for line in str(v).splitlines() or [""])


def _text(text: str) -> str:
    """Text as a cell can hold it: control characters Excel cannot hold are dropped, and a text
    longer than a cell holds is cut with a note saying how long it was (:func:`safe_text`)."""
    return safe_text(_ILLEGAL.sub("", text))


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""The control characters an Excel cell cannot hold (tab, newline and carriage return it can)."""


ASCII_WORDS: dict[str, str] = {
    "公示名单": "publicity",
    "通知名单": "notification",
    "待核实清单": "verification",
    "政策模拟": "whatif",
    "资源目录模板": "resources-template",
    "企业需求模板": "demands-template",
    "问题清单": "problems",
}
"""The Chinese words of the app's download names in ASCII, for the plain ``filename=`` of a download."""


def ascii_filename(filename: str) -> str:
    """The plain-ASCII name of a download (curl -OJ, older clients): the Chinese words the app uses
    in file names in English, anything else non-ASCII dropped, never an empty or bare-number stem.

    >>> ascii_filename("公示名单-1.xlsx"), ascii_filename("政策模拟-2024.xlsx"), ascii_filename("某某.xlsx")
    ('publicity-1.xlsx', 'whatif-2024.xlsx', 'download.xlsx')
    """
    stem, dot, suffix = filename.rpartition(".")
    if not dot:
        stem, suffix = filename, ""
    for zh, en in ASCII_WORDS.items():
        stem = stem.replace(zh, f"-{en}-")
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem.encode("ascii", "ignore").decode())
    stem = re.sub(r"[._-]*-[._-]*", "-", stem).strip("-._")
    if not re.search(r"[A-Za-z]", stem):
        stem = f"download-{stem}" if stem else "download"
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)
    return f"{stem}.{suffix}" if suffix else stem


def attachment(filename: str) -> str:
    """The Content-Disposition of every download: the UTF-8 name (``filename*``, what browsers
    show) and a meaningful ASCII one (:func:`ascii_filename`) for clients that read only ``filename``."""
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename)}"


def respond(table: DataTable, fmt: Format, t: Translator, sheet: str | None = None) -> Any:
    """The table as JSON or as an .xlsx download (a response as it is: no second validation pass);
    the sheet named *sheet* or from the table's title (:func:`sheet_name`)."""
    if fmt == "xlsx":
        return Response(
            to_xlsx(table, t, sheet),
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
