"""Read .csv and .xlsx files into Arrow tables of text, exactly as written.

Nothing is coerced here: every cell arrives as a string (or null when empty), and the
validators decide what it means. Row numbers are those a user sees in Excel (header = 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from zonebrain.core.errors import InputError
from zonebrain.registry._xlsx import read_sheet

ENCODINGS = ("utf-8", "gbk", "gb18030")
"""Tried in order; a UTF-8 BOM is recognised first. GBK is tried before its superset GB18030
so that the report names the narrower encoding when both decode."""


@dataclass
class BadRow:
    """A row set aside before validation: its row number, what is wrong and its text as written."""

    line: int
    reason: str
    text: str


@dataclass
class RawFile:
    path: Path
    table: pa.Table
    """All columns as strings, headers as written (trimmed); wholly blank rows removed."""
    encoding: str
    data_row_offset: int = 2
    """Excel row number of the first data row."""
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    """Rows that could not be split into the header's columns: (row number, problem)."""
    bad_texts: dict[int, str] = field(default_factory=dict)
    """The text of each of those rows as written, by row number."""
    sheet: str | None = None
    """The sheet read (xlsx only)."""
    booleans: dict[str, list[int]] = field(default_factory=dict)
    """Header → indices of data rows whose cell was a TRUE/FALSE cell (xlsx only)."""
    warnings: list[str] = field(default_factory=list)
    """Things the user should know that are not errors (a title row skipped, other sheets unread)."""
    numbers: np.ndarray | None = None
    """The row number a user sees for each row of *table* (set by :func:`_drop_blank_rows`)."""

    def row_numbers(self) -> np.ndarray:
        """The row number a user sees (Excel's, or the CSV's record number) for each data row."""
        if self.numbers is not None:
            return self.numbers
        return _numbers(self.table.num_rows, self.data_row_offset, self.bad_rows)

    def rejected_lines(self) -> list[BadRow]:
        """The rows set aside, with their text."""
        return [BadRow(line, reason, self.bad_texts.get(line, "")) for line, reason in self.bad_rows]


def _numbers(n: int, offset: int, bad_rows: list[tuple[int, str]]) -> np.ndarray:
    numbers = np.arange(n, dtype=np.int64) + offset
    for line, _ in sorted(bad_rows):
        numbers[numbers >= line] += 1
    return numbers


def _drop_blank_rows(raw: RawFile) -> RawFile:
    """Remove wholly blank rows, in CSV and xlsx alike, keeping every other row's number.

    A blank row is not data (users leave them between groups); skipping it loses nothing.
    Blank rows between data rows are named in a warning; trailing ones are not worth one.
    """
    numbers = _numbers(raw.table.num_rows, raw.data_row_offset, raw.bad_rows)
    if raw.table.num_columns == 0 or raw.table.num_rows == 0:
        raw.numbers = numbers
        return raw
    blank = np.ones(raw.table.num_rows, dtype=bool)
    for col in raw.table.columns:
        blank &= np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if blank.any():
        last = max([int(numbers[~blank].max()) if (~blank).any() else 0, *(line for line, _ in raw.bad_rows)])
        inner = [int(x) for x in numbers[blank] if x < last]
        if inner:
            shown = "、".join(str(x) for x in inner[:10]) + (" …" if len(inner) > 10 else "")
            raw.warnings.append(f"跳过 {len(inner)} 个空行 (blank rows skipped): 第 {shown} 行")
        raw.table = raw.table.filter(pa.array(~blank))
        if raw.booleans:
            new_index = np.cumsum(~blank) - 1
            raw.booleans = {h: [int(new_index[i]) for i in idx] for h, idx in raw.booleans.items()}
    raw.numbers = numbers[~blank]
    return raw


def detect_encoding(data: bytes, path: Path) -> str:
    """Name the encoding of *data*: utf-8-sig, utf-8, gbk or gb18030; raise if none fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    errors = []
    for enc in ENCODINGS:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            errors.append(exc)
    first = errors[0]
    line = data[: first.start].count(b"\n") + 1
    raise InputError(
        f"{path}: 第 {line} 行含无法识别的字节 {data[first.start : first.start + 4]!r} "
        f"(line {line}: bytes that are neither UTF-8, GBK nor GB18030); "
        "请在 Excel 中另存为 'CSV UTF-8' / save the file as CSV UTF-8"
    )


def read_csv(path: Path) -> RawFile:
    data = path.read_bytes()
    encoding = detect_encoding(data, path)
    if encoding not in ("utf-8", "utf-8-sig"):
        data = data.decode(encoding).encode("utf-8")
    elif encoding == "utf-8-sig":
        data = data[3:]
    if not data.strip():
        raise InputError(
            f"{path}: 文件为空 (the file is empty{', apart from its byte-order mark' if encoding == 'utf-8-sig' else ''}); "
            "请确认导出的是正确的文件，第一行应为表头 / check that the right file was exported; row 1 must hold the headers"
        )
    bad: list[tuple[int, str]] = []
    texts: dict[int, str] = {}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # single-threaded reading gives the record number (header = 1), as Excel numbers rows
        number = row.number if row.number is not None else -1
        reason = (
            f"应有 {row.expected_columns} 列，实有 {row.actual_columns} 列 (expected {row.expected_columns} "
            f"columns, got {row.actual_columns}); 请检查该行是否含未加引号的逗号 / quote values containing commas"
        )
        bad.append((number, reason))
        texts[number] = row.text
        return "skip"

    header, skip, warnings = _header(data, path)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=skip, block_size=1 << 24, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV" in str(exc):  # the header and nothing else
            table = pa.table({h: pa.array([], pa.string()) for h in header})
        else:
            raise InputError(
                f"{path}: 无法按 CSV 读取 (cannot be read as CSV): {exc}; 请检查分隔符和引号 "
                "/ check the delimiter and quotes"
            ) from exc
    raw = RawFile(path, _trim(table), encoding, data_row_offset=skip + 1, bad_rows=bad, warnings=warnings)
    raw.bad_texts = texts
    return _drop_blank_rows(raw)


def _fields(line: bytes) -> list[str]:
    return [f.strip() for f in next(csv.reader([line.decode("utf-8").rstrip("\r")]), [])]


def _header(data: bytes, path: Path) -> tuple[list[str], int, list[str]]:
    """The header's names, how many lines precede the data, and a warning for a title line."""
    lines = data.split(b"\n", 2)
    names = _fields(lines[0])
    skip, warnings = 1, []
    filled = [n for n in names if n]
    second = [n for n in _fields(lines[1]) if n] if len(lines) > 1 else []
    if len(filled) == 1 and len(second) > 1:
        warnings.append(
            f"第 1 行 '{filled[0]}' 是标题行，已跳过；表头在第 2 行 "
            "(row 1 is a title above the header, skipped; headers read from row 2)"
        )
        names, skip = _fields(lines[1]), 2
    if not any(names):
        raise InputError(f"{path}: 第 1 行表头为空 (the header row is empty); 请把表头放在第一行")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(
            f"{path}: 表头重复 {dupes} (duplicate headers); 每列表头须唯一 / make each header unique"
        )
    empty = [i + 1 for i, n in enumerate(names) if not n]
    if empty:
        raise InputError(f"{path}: 第 {empty[0]} 列表头为空 (column {empty[0]} has no header); 请补上表头")
    return names, skip, warnings


def read_xlsx(path: Path, sheet: str | None = None) -> RawFile:
    sheet_data = read_sheet(path, sheet)
    table = pa.table(
        {h: pa.array(col, pa.string()) for h, col in zip(sheet_data.header, sheet_data.columns, strict=True)}
    )
    raw = RawFile(
        path,
        _trim(table),
        "xlsx",
        data_row_offset=sheet_data.header_row + 1,
        sheet=sheet_data.sheet,
        booleans=sheet_data.booleans,
        warnings=sheet_data.warnings,
    )
    return _drop_blank_rows(raw)


def _trim(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    cols = []
    for col in table.columns:
        trimmed = pc.utf8_trim_whitespace(col)
        cols.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    return pa.table(cols, names=[n.strip() for n in table.column_names])


def read_table_file(path: Path, sheet: str | None = None) -> RawFile:
    """Read a .csv or .xlsx file as text columns."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件不存在 (file not found): {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if suffix in (".csv", ".txt"):
        return read_csv(path)
    if suffix == ".xls":
        raise InputError(
            f"{path}: 不支持旧版 .xls 格式 (old .xls is not supported); 请在 Excel 中另存为 .xlsx"
        )
    raise InputError(f"{path}: 不支持的文件类型 '{suffix}' (unsupported file type); 请使用 .xlsx 或 .csv")
