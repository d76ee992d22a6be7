"""A Word report builder for the documents officials hand in (python-docx).

Chinese government-document habits: 黑体 headings, 宋体 body, a contents list up front, tables
with units in the header, charts as pictures with captions.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from zonebrain.core.clock import utcnow
from zonebrain.core.money import display_fen
from zonebrain.core.xlsx import display_width
from zonebrain.reports import _charts

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
AUTHOR = "ZoneBrain 产业大脑"
"""The author every report names in its document properties (python-docx's template says its own)."""


def _set_fonts(style: Any, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    style.font.name = LATIN_FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold


class WordReport:
    """Build a report top to bottom, then :meth:`save` it.

    >>> r = WordReport("产业画像诊断报告", "郑州高新区")
    >>> r.toc(); r.heading("一、总体概况", 1); r.paragraph("在营企业 18,188 家。")
    >>> len(r.headings)
    1
    >>> r.doc.core_properties.author
    'ZoneBrain 产业大脑'
    """

    def __init__(
        self, title: str, subtitle: str | None = None, date: dt.date | None = None, *, landscape: bool = False
    ) -> None:
        self.doc = Document()
        _set_properties(self.doc, title, subtitle)
        self.headings: list[tuple[int, str]] = []
        self._toc_paragraph: Any = None
        self._tables = 0
        self._figures = 0
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        if landscape:  # a wide list (the 公示 list's six columns): A4 turned
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_height, section.page_width = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.6)
        _set_fonts(self.doc.styles["Normal"], BODY_FONT, 12)
        for level, size in ((1, 16), (2, 14), (3, 12)):
            style = self.doc.styles[f"Heading {level}"]
            _set_fonts(style, HEADING_FONT, size, bold=True)
            style.font.color.rgb = None
        _set_fonts(self.doc.styles["Title"], HEADING_FONT, 22, bold=True)
        head = self.doc.add_paragraph(title, style="Title")
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if subtitle:
            p = self.doc.add_paragraph(subtitle)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p = self.doc.add_paragraph((date or dt.date.today()).strftime("%Y年%m月%d日"))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_numbers(section.footer.paragraphs[0])

    # ------------------------------------------------------------------ text
    def toc(self) -> None:
        """A contents list here: a Word TOC field whose shown result lists the headings."""
        self.doc.add_paragraph("目  录", style="Heading 1").alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._toc_paragraph = self.doc.add_paragraph()

    def heading(self, text: str, level: int = 1) -> None:
        self.headings.append((level, text))
        self.doc.add_paragraph(text, style=f"Heading {level}")

    def paragraph(self, text: str) -> None:
        p = self.doc.add_paragraph(text)
        p.paragraph_format.first_line_indent = Pt(24)

    # ------------------------------------------------------------------ tables
    def table(
        self,
        data: pa.Table,
        columns: dict[str, str] | None = None,
        money: Sequence[str] = (),
        caption: str | None = None,
        money_unit: str = "万元",
        max_rows: int = 200,
        plain: Sequence[str] = (),
        decimals: Mapping[str, int] | None = None,
        total: str | None = None,
    ) -> None:
        """A table of *data*: *columns* maps column → header (and picks the order); money in *money_unit*;
        *plain* columns are numbers shown without thousands separators (序号, years, ids); *decimals*
        gives the decimal places of float columns (default 2). The header row repeats at the top of
        every printed page. *total*: a last row labelled so (e.g. 合计), the sums of the *money*
        columns over every row of *data* (exact, in fen), even when only *max_rows* are listed."""
        decimals = decimals or {}
        columns = columns or {c: c for c in data.column_names}
        self._tables += 1
        if caption:
            cap = self.doc.add_paragraph(f"表 {self._tables}  {caption}")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        names = list(columns)
        rows = data.select(names).slice(0, max_rows).to_pylist()
        heads = [
            columns[name] + (f"({money_unit})" if name in money and "(" not in columns[name] else "")
            for name in names
        ]
        texts = [
            [
                str(row[name])
                if name in plain and row[name] is not None
                else _cell(row[name], name in money, money_unit, decimals.get(name, 2))
                for name in names
            ]
            for row in rows
        ]
        widths = _column_widths(heads, texts, self._text_width)
        table = self.doc.add_table(rows=1, cols=len(names))
        table.style = "Table Grid"
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for cell, header, width in zip(table.rows[0].cells, heads, widths, strict=True):
            cell.text = header
            cell.width = width
            for run in cell.paragraphs[0].runs:
                run.font.bold = True
        _repeat_as_header(table.rows[0])
        for row, line in zip(rows, texts, strict=True):
            cells = table.add_row().cells
            for cell, name, text, width in zip(cells, names, line, widths, strict=True):
                cell.text = text
                cell.width = width
                if isinstance(row[name], (int, float)):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if total is not None:
            cells = table.add_row().cells
            cells[0].text = total
            for cell, name in zip(cells, names, strict=True):
                if name in money:
                    fen = sum(int(v) for v in data[name].to_pylist() if v is not None)
                    cell.text = _cell(fen, True, money_unit, 2)
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for cell in cells:
                for run in cell.paragraphs[0].runs:
                    run.font.bold = True
        if data.num_rows > max_rows:
            self.paragraph(f"(仅列出前 {max_rows} 行, 共 {data.num_rows} 行; 完整清单见 Excel 附表)")

    @property
    def _text_width(self) -> int:
        """The width between the margins, in EMU."""
        section = self.doc.sections[0]
        return int(section.page_width or 0) - int(section.left_margin or 0) - int(section.right_margin or 0)

    # ------------------------------------------------------------------ charts
    def picture(self, png: bytes, caption: str, width_cm: float = 15.0) -> None:
        self._figures += 1
        self.doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cap = self.doc.add_paragraph(f"图 {self._figures}  {caption}")
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def bar_chart(
        self, categories: Sequence[str], series: dict[str, Sequence[float]], title: str, unit: str = ""
    ) -> None:
        self.picture(_charts.bar_chart(categories, series, title, unit), title)

    def line_chart(
        self, x: Sequence[str], series: dict[str, Sequence[float | None]], title: str, unit: str = ""
    ) -> None:
        self.picture(_charts.line_chart(x, series, title, unit), title)

    def radar_chart(self, indicators: Sequence[str], series: dict[str, Sequence[float]], title: str) -> None:
        self.picture(_charts.radar_chart(indicators, series, title), title, width_cm=12.0)

    def pie_chart(self, labels: Sequence[str], values: Sequence[float], title: str) -> None:
        self.picture(_charts.pie_chart(labels, values, title), title, width_cm=12.0)

    # ------------------------------------------------------------------ output
    def save(self, path: Path | str) -> Path:
        path = Path(path)
        if self._toc_paragraph is not None:
            _fill_toc(self._toc_paragraph, self.headings)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(str(path))
        return path


def _set_properties(doc: Any, title: str, subject: str | None) -> None:
    """Author, title and times of the report itself (not of python-docx's template, dated 2013)."""
    props = doc.core_properties
    now = utcnow().replace(microsecond=0)
    props.author = props.last_modified_by = AUTHOR
    props.title = title
    props.subject = subject or ""
    props.created = props.modified = now
    props.revision = 1
    props.comments = props.keywords = props.category = ""


def _cell(value: Any, is_money: bool, unit: str, places: int = 2) -> str:
    if value is None:
        return "—"
    if is_money:
        return display_fen(int(value), unit)
    if isinstance(value, float):
        return f"{value:,.{places}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _fill_toc(paragraph: Any, headings: list[tuple[int, str]]) -> None:
    """A TOC field (Word refreshes it) whose cached result already lists the headings."""

    def run_with(child: Any) -> Any:
        r = OxmlElement("w:r")
        r.append(child)
        return r

    def fld(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    p = paragraph._p
    p.append(run_with(fld("begin")))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = ' TOC \\o "1-3" \\h \\z \\u '
    p.append(run_with(instr))
    p.append(run_with(fld("separate")))
    for i, (level, text) in enumerate(headings):
        if i:
            p.append(run_with(OxmlElement("w:br")))
        t = OxmlElement("w:t")
        t.set(qn("xml:space"), "preserve")
        t.text = "    " * (level - 1) + text
        p.append(run_with(t))
    p.append(run_with(fld("end")))


def _repeat_as_header(row: Any) -> None:
    """Mark a table row as its header: Word repeats it at the top of every page the table spans."""
    props = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


HALF_CHAR: Final = Cm(0.22)
"""About the width of a half-width character of the 12-point body text (a CJK character is two)."""
CELL_PADDING: Final = Cm(0.4)


def _column_widths(heads: Sequence[str], texts: Sequence[Sequence[str]], total: int) -> list[Cm]:
    """Widths that share *total* (EMU) among the columns by what they hold. Each column asks for
    its widest cell or header; when all fit, the room left is shared in proportion; when not, the
    narrow columns keep what they ask and the widest are cut to one common width, so a 序号 or an
    amount never wraps and a long name wraps instead. Word and LibreOffice otherwise give every
    column the same width (QA: a six-column 公示 list wrapped every name and policy)."""
    need = [
        max([display_width(h), *(display_width(line[j]) for line in texts)]) * HALF_CHAR + CELL_PADDING
        for j, h in enumerate(heads)
    ]
    if sum(need) <= total:
        return [Cm(total * n / sum(need) / 360000) for n in need]
    remaining, cap = float(total), float(max(need))
    for i, n in enumerate(sorted(need)):  # water-filling: the narrow ones whole, the rest share the rest
        share = remaining / (len(need) - i)
        if n > share:
            cap = share
            break
        remaining -= n
    return [Cm(min(n, cap) / 360000) for n in need]


def _page_numbers(paragraph: Any) -> None:
    """``第 N 页 共 M 页`` in *paragraph* (a footer's), centred: PAGE and NUMPAGES fields Word fills in."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def field(code: str) -> None:
        for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
            r = OxmlElement("w:r")
            if kind is not None:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            elif text == code:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = f" {code} "
            else:
                el = OxmlElement("w:t")
                el.text = text
            r.append(el)
            paragraph._p.append(r)

    paragraph.add_run("第 ")
    field("PAGE")
    paragraph.add_run(" 页 共 ")
    field("NUMPAGES")
    paragraph.add_run(" 页")
