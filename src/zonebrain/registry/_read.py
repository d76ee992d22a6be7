"""Read .csv and .xlsx files into Arrow tables of text, exactly as written.

Nothing is coerced here: every cell arrives as a string (or null when empty), and the
validators decide what it means. Row numbers are those a user sees in Excel (header = 1).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from zonebrain.core.errors import InputError

ENCODINGS = ("utf-8", "gbk", "gb18030")
"""Tried in order; a UTF-8 BOM is recognised first. GBK is tried before its superset GB18030
so that the report names the narrower encoding when both decode."""


@dataclass
class RawFile:
    path: Path
    table: pa.Table
    """All columns as strings, headers as written (trimmed)."""
    encoding: str
    data_row_offset: int = 2
    """Excel row number of the first data row."""
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    """Rows that could not be split into the header's columns: (row number, problem)."""

    def row_numbers(self) -> np.ndarray:
        """The row number a user sees for each data row, skipping rows that were set aside."""
        numbers = np.arange(self.table.num_rows, dtype=np.int64) + self.data_row_offset
        for line, _ in sorted(self.bad_rows):
            numbers[numbers >= line] += 1
        return numbers


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
    bad: list[tuple[int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = row.number if row.number is not None else _line_of(data, row.text)
        reason = (
            f"应有 {row.expected_columns} 列，实有 {row.actual_columns} 列 (expected {row.expected_columns} "
            f"columns, got {row.actual_columns}); 请检查该行是否含未加引号的逗号 / quote values containing commas"
        )
        bad.append((number, reason))
        return "skip"

    try:
        header = _header(data, path)
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{path}: 无法按 CSV 读取 (cannot be read as CSV): {exc}; 请检查分隔符和引号"
        ) from exc
    return RawFile(path, _trim(table), encoding, bad_rows=bad)


def _line_of(data: bytes, text: str) -> int:
    """1-based line where a row's text stands (Arrow's parallel reader does not count lines)."""
    pos = data.find(("\n" + text).encode("utf-8"))
    return data.count(b"\n", 0, pos + 1) + 1 if pos >= 0 else -1


def _header(data: bytes, path: Path) -> list[str]:
    first = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    reader = pacsv.read_csv(
        io.BytesIO(first.encode("utf-8") + b"\n"),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
    )
    names = [str(v[0].as_py()).strip() if len(v) else "" for v in reader.columns]
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
    return names


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    text = str(value)
    return text if text.strip() else None


def read_xlsx(path: Path, sheet: str | None = None) -> RawFile:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: 不是有效的 .xlsx 文件 (not a valid .xlsx file): {exc}; 请用 Excel 重新保存"
        ) from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(
                f"{path}: 没有名为 '{sheet}' 的工作表 (no sheet {sheet!r}); 可用: {wb.sheetnames}"
            )
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = 0
        header: list[str] = []
        for header_row, row in enumerate(rows, start=1):  # noqa: B007 - header_row is used after the loop
            if any(c is not None and str(c).strip() for c in row):
                header = [str(c).strip() if c is not None else "" for c in row]
                break
        while header and not header[-1]:
            header.pop()
        if not header:
            raise InputError(f"{path}: 工作表为空 (the sheet is empty)")
        if "" in header:
            col = header.index("") + 1
            raise InputError(f"{path}: 第 {col} 列表头为空 (column {col} has no header); 请补上表头")
        dupes = sorted({n for n in header if header.count(n) > 1})
        if dupes:
            raise InputError(f"{path}: 表头重复 {dupes} (duplicate headers); 每列表头须唯一")
        columns: list[list[str | None]] = [[] for _ in header]
        width = len(header)
        for row in rows:
            cells = [_cell_text(c) for c in row[:width]]
            extra = [c for c in row[width:] if _cell_text(c) is not None]
            if extra:
                raise InputError(
                    f"{path}: 第 {header_row + len(columns[0]) + 1} 行在表头之外还有数据 {extra[:3]} "
                    "(data beyond the last header); 请补上表头或删除多余数据"
                )
            cells += [None] * (width - len(cells))
            for values, cell in zip(columns, cells, strict=True):
                values.append(cell)
        # trailing rows that are entirely empty are not data
        n = len(columns[0])
        while n and all(col[n - 1] is None for col in columns):
            n -= 1
        table = pa.table({h: pa.array(col[:n], pa.string()) for h, col in zip(header, columns, strict=True)})
        return RawFile(path, _trim(table), "xlsx", data_row_offset=header_row + 1)
    finally:
        wb.close()


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
