"""Formatting and writing helpers: exact 万元 text from integer fen, dates, CSV and XLSX output."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

Progress = Callable[[str, int, int], None]
"""``progress(step_name, done, total)``; the CLI draws a bar per step."""

FEN_PER_WAN = 1_000_000
FEN_PER_YUAN = 100
BOM = "\ufeff".encode()


def report(progress: Progress | None, step: str, done: int, total: int) -> None:
    if progress is not None:
        progress(step, done, total)


def wan_text(fen: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """Exact 万元 text for amounts in fen that are whole 元 (so at most 4 decimals), nulls where not *valid*.

    ``1234500`` fen → ``"1.2345"``; ``-50000000`` → ``"-50"``; trailing zeros are dropped.
    """
    fen = np.asarray(fen, dtype=np.int64)
    if np.any(fen % FEN_PER_YUAN):
        raise ValueError("wan_text: amounts must be whole yuan")
    yuan = np.abs(fen) // FEN_PER_YUAN
    whole = pa.array(yuan // 10_000).cast(pa.string())
    frac = pc.utf8_rtrim(pc.utf8_lpad(pa.array(yuan % 10_000).cast(pa.string()), 4, "0"), "0")
    has_frac = pc.greater(pc.utf8_length(frac), 0)
    dotted = pc.binary_join_element_wise(whole, frac, ".")
    text = pc.if_else(has_frac, dotted, whole)
    text = pc.if_else(pa.array(fen < 0), pc.binary_join_element_wise("-", text, ""), text)
    if valid is not None:
        text = pc.if_else(pa.array(np.asarray(valid, dtype=bool)), text, pa.scalar(None, pa.string()))
    return text


def date_text(days: npt.NDArray[np.int64]) -> pa.Array:
    """``YYYY-MM-DD`` for days since 1970-01-01."""
    return pa.array(np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D"))


def wan_str(fen: int) -> str:
    """One amount in fen as 万元 text, as :func:`wan_text` writes a column of them."""
    return str(wan_text(np.array([fen], dtype=np.int64))[0])


def iso_day(day: int) -> str:
    """A day number (days since 1970-01-01) as ``YYYY-MM-DD``."""
    return str(np.datetime64(day, "D"))


def days_of(year: int, month: int = 1, day: int = 1) -> int:
    return (dt.date(year, month, day) - dt.date(1970, 1, 1)).days


def year_of(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def month_of(days: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Month 1-12 of days since 1970-01-01."""
    m = np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return m % 12 + 1


def write_csv(
    path: Path,
    headers: Sequence[str],
    columns: Sequence[pa.Array | Sequence[Any] | npt.NDArray[Any]],
    *,
    bom: bool,
    chunk_rows: int = 250_000,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write a CSV fast with Arrow: header line as given, values unquoted (none may hold a comma).

    Returns the number of data rows. Raises when a value would need quoting, so text
    generators keep to full-width punctuation.
    """
    arrays = [c if isinstance(c, pa.Array | pa.ChunkedArray) else pa.array(c) for c in columns]
    table = pa.table({f"c{i}": a for i, a in enumerate(arrays)})
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=chunk_rows)
    with path.open("wb") as fh:
        if bom:
            fh.write(BOM)
        fh.write((",".join(headers) + "\n").encode("utf-8"))
        done = 0
        for start in range(0, max(table.num_rows, 1), chunk_rows):
            part = table.slice(start, chunk_rows)
            if part.num_rows:
                pacsv.write_csv(part, fh, options)
            done += part.num_rows
            if on_chunk is not None:
                on_chunk(done)
    return int(table.num_rows)


def write_rows_csv(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]], *, encoding: str
) -> None:
    """Write a small CSV with the standard library (minimal quoting, ``\\n`` line ends)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(headers)
        w.writerows(rows)


def write_xlsx(
    path: Path,
    sheet: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    text_columns: Sequence[int],
    widths: Mapping[int, float],
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """Write one sheet reproducibly (fixed document time, fixed zip times).

    Values are written by type: ``str`` as text (so codes keep leading zeros), ``int`` and
    ``float`` as numbers, None as an empty cell. Columns in *text_columns* get the text format.
    """
    import xlsxwriter  # imported here: only the xlsx writer needs it

    fixed = dt.datetime(2025, 1, 1, 0, 0, 0)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": fixed, "author": "ZoneBrain demo", "title": sheet})
    ws = wb.add_worksheet(sheet)
    head = wb.add_format({"bold": True})
    text = wb.add_format({"num_format": "@"})
    for i, h in enumerate(headers):
        ws.write_string(0, i, h, head)
        ws.set_column(i, i, widths.get(i, 12), text if i in text_columns else None)
    ws.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value, text if c in text_columns else None)
            else:
                ws.write_number(r, c, value)
        if on_rows is not None and r % 2000 == 0:
            on_rows(r)
    wb.close()
