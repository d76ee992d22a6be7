"""Read one sheet of an .xlsx workbook as text, refusing what would silently lose a value.

openpyxl's read-only mode gives each cell's cached value, but not three things a user's file
can hide: a formula never calculated (no cached value, so it reads as empty), merged cells
(only the top-left cell holds the value; the rest read as empty) and other sheets holding
data. Those are read here from the sheet's XML, in one streaming pass each, and only when a
cheap byte search says they are present.
"""

from __future__ import annotations

import datetime as dt
import itertools
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from zonebrain.core.errors import InputError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_SHOWN = 5
"""How many cells an error names before saying 'and N more'."""


@dataclass
class XlsxSheet:
    """The cells of the sheet read, as text, and what was noticed while reading it."""

    sheet: str
    header: list[str]
    header_row: int
    columns: list[list[str | None]]
    booleans: dict[str, list[int]] = field(default_factory=dict)
    """Header → indices of data rows whose cell is a TRUE/FALSE cell (not text)."""
    warnings: list[str] = field(default_factory=list)


def cell_text(value: object) -> str | None:
    """A cell's value as the text a user sees; booleans as TRUE/FALSE, as Excel shows them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    text = str(value)
    return text if text.strip() else None


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the path of its XML part inside the package."""
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG}Relationship")}
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    parts: dict[str, str] = {}
    for s in book.iter(f"{_MAIN}sheet"):
        target = targets.get(s.get(f"{_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        parts[s.get("name", "")] = path
    return parts


def _uncalculated_formulas(xml: bytes) -> list[tuple[str, str]]:
    """(cell, formula) of every formula cell that carries no calculated value."""
    if b"<f>" not in xml and b"<f " not in xml and b":f>" not in xml and b":f " not in xml:
        return []
    found: list[tuple[str, str]] = []
    for _, el in ET.iterparse(_BytesReader(xml), events=("end",)):
        if el.tag != f"{_MAIN}c":
            continue
        f = el.find(f"{_MAIN}f")
        if f is not None:
            v = el.find(f"{_MAIN}v")
            if (v is None or not v.text) and el.get("t") != "str":
                found.append((el.get("r", "?"), "=" + (f.text or "")))
        el.clear()
    return found


class _BytesReader:
    """A minimal file object over bytes for ``iterparse`` (avoids copying into BytesIO twice)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        out = self.data[self.pos : end]
        self.pos += len(out)
        return out


def _merged(xml: bytes) -> list[tuple[str, int, int, int, int]]:
    """(range, first row, last row, first column, last column) of each merged range."""
    from openpyxl.utils.cell import range_boundaries

    out = []
    for m in _MERGE.finditer(xml):
        ref = m[1].decode()
        c1, r1, c2, r2 = cast("tuple[int, int, int, int]", range_boundaries(ref))  # full refs: no None
        out.append((ref, r1, r2, c1, c2))
    return out


def _check_formulas(path: Path, sheet: str, xml: bytes) -> None:
    cells = _uncalculated_formulas(xml)
    if not cells:
        return
    shown = "、".join(f"{ref} {formula!r}" for ref, formula in cells[:_SHOWN])
    more = f" 等 {len(cells)} 个 (and {len(cells) - _SHOWN} more)" if len(cells) > _SHOWN else ""
    raise InputError(
        f"{path}: 工作表 '{sheet}' 的公式单元格没有计算结果 (formula cells with no calculated value): "
        f"{shown}{more}; 文件不是由 Excel 保存的，读出来会是空值。请在 Excel 中打开并保存，"
        "或复制后'选择性粘贴 → 数值' / open and save the file in Excel, or paste the cells as values"
    )


def _check_merged(path: Path, sheet: str, xml: bytes, header_row: int, width: int) -> None:
    ranges = [r for r in _merged(xml) if r[2] > header_row and r[3] <= width]
    if not ranges:
        return
    shown = "、".join(r[0] for r in ranges[:_SHOWN])
    more = f" 等 {len(ranges)} 处 (and {len(ranges) - _SHOWN} more)" if len(ranges) > _SHOWN else ""
    raise InputError(
        f"{path}: 工作表 '{sheet}' 的数据区有合并单元格 (merged cells over data rows): {shown}{more}; "
        "合并区域中只有左上角有值，其余行会读成空值。请取消合并，并在每一行填入值 "
        "/ unmerge the cells and fill the value into every row"
    )


def _has_data(ws: Any) -> bool:
    return any(cell_text(c) is not None for row in ws.iter_rows(values_only=True) for c in row)


def open_workbook(path: Path) -> Any:
    """Open *path* read-only (cached values); a file that is not a real .xlsx gets a clear error."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:4096]
        hint = ""
        if b"," in head or b"\t" in head or head.startswith(b"\xef\xbb\xbf"):
            hint = (
                "; 内容看起来是 CSV 文本，请把扩展名改为 .csv 后再导入 "
                "/ it looks like CSV text: rename it to .csv"
            )
        raise InputError(
            f"{path}: 不是真正的 .xlsx 文件 (not a real .xlsx file: it is not a zip package){hint}; "
            "否则请用 Excel 打开后另存为 .xlsx / otherwise open it in Excel and save it as .xlsx"
        )
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: 不是有效的 .xlsx 文件 (not a valid .xlsx file): {exc}; 请用 Excel 重新保存"
        ) from exc


def first_sheet(path: Path) -> str | None:
    """The name of the sheet read when none is chosen (None for a file that is not an .xlsx)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return next(iter(_sheet_parts(zf)), None)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        return None


def read_sheet(path: Path, sheet: str | None) -> XlsxSheet:
    """Read *sheet* (default: the first) of the workbook at *path* as text columns."""
    wb = open_workbook(path)
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(
                f"{path}: 没有名为 '{sheet}' 的工作表 (no sheet {sheet!r}); 可用 / sheets: {wb.sheetnames}"
            )
        ws = wb[sheet] if sheet else wb.worksheets[0]
        warnings: list[str] = []
        if sheet is None and len(wb.worksheets) > 1:
            others = [w.title for w in wb.worksheets[1:] if _has_data(w)]
            if others:
                warnings.append(
                    f"工作簿有多个含数据的工作表，只读取了 '{ws.title}'，未读取 "
                    f"{'、'.join(repr(o) for o in others)}; 如需导入其他工作表请加 --sheet 工作表名 "
                    f"(only sheet {ws.title!r} was read; pass --sheet NAME to import another)"
                )
        with zipfile.ZipFile(path) as zf:
            xml = zf.read(_sheet_parts(zf)[ws.title])
        _check_formulas(path, ws.title, xml)
        result = _read_cells(path, ws, warnings)
        _check_merged(path, ws.title, xml, result.header_row, len(result.header))
        return result
    finally:
        wb.close()


def _filled(row: tuple[object, ...]) -> list[str]:
    return [t for t in (cell_text(c) for c in row) if t is not None]


def _header_row(ws: Any, warnings: list[str]) -> tuple[int, tuple[object, ...], Iterator[tuple[object, ...]]]:
    """Find the header: the first row with any value, or the row after a title row.

    A title row ("2024年企业名录", one filled cell) is skipped when the next filled row has
    several cells; a one-column sheet keeps its only header. Returns the header's row number,
    its cells, and the rows after it.
    """
    rows = ws.iter_rows(values_only=True)
    number = 0
    for number, row in enumerate(rows, start=1):  # noqa: B007 - number is used after the loop
        if _filled(row):
            break
    else:
        return 0, (), rows
    first = _filled(row)
    if len(first) > 1:
        return number, row, rows
    skipped: list[tuple[object, ...]] = []
    for nxt in rows:
        if not _filled(nxt):
            skipped.append(nxt)
            continue
        if len(_filled(nxt)) > 1:
            header_row = number + len(skipped) + 1
            warnings.append(
                f"第 {number} 行 '{first[0]}' 是标题行，已跳过；表头在第 {header_row} 行 "
                f"(row {number} is a title above the header, skipped; headers read from row {header_row})"
            )
            return header_row, nxt, rows
        skipped.append(nxt)
        break
    return number, row, itertools.chain(skipped, rows)


def _read_cells(path: Path, ws: Any, warnings: list[str]) -> XlsxSheet:
    header_row, first, rows = _header_row(ws, warnings)
    header = [str(c).strip() if c is not None else "" for c in first]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise InputError(f"{path}: 工作表 '{ws.title}' 为空 (the sheet is empty)")
    if "" in header:
        col = header.index("") + 1
        raise InputError(f"{path}: 第 {col} 列表头为空 (column {col} has no header); 请补上表头")
    dupes = sorted({n for n in header if header.count(n) > 1})
    if dupes:
        raise InputError(f"{path}: 表头重复 {dupes} (duplicate headers); 每列表头须唯一")
    columns: list[list[str | None]] = [[] for _ in header]
    booleans: dict[str, list[int]] = {}
    width = len(header)
    for index, row in enumerate(rows):
        texts = [cell_text(c) for c in row[:width]]
        extra = [c for c in row[width:] if cell_text(c) is not None]
        if extra:
            raise InputError(
                f"{path}: 第 {header_row + index + 1} 行在表头之外还有数据 {extra[:3]} "
                "(data beyond the last header); 请补上表头或删除多余数据"
            )
        for j, c in enumerate(row[:width]):
            if isinstance(c, bool):
                booleans.setdefault(header[j], []).append(index)
        texts += [None] * (width - len(texts))
        for values, cell in zip(columns, texts, strict=True):
            values.append(cell)
    return XlsxSheet(ws.title, header, header_row, columns, booleans, warnings)
