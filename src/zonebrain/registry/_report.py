"""The reject report: an .xlsx a user opens in Excel to fix the rejected rows.

Every value a user wrote is written back as text (never as a formula, see ``core/xlsx``), and
conflicts are shown in the user's own terms: the header they wrote, the row of their file and
amounts in the unit of their column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from zonebrain.core.money import format_fen
from zonebrain.core.xlsx import save_workbook, text_row
from zonebrain.registry._headers import Mapped
from zonebrain.registry._read import BadRow
from zonebrain.registry._validate import Problems
from zonebrain.registry._zone import Zone
from zonebrain.registry.formats import FileFormat

MAX_EXCEL_ROWS = 1_048_575
WHOLE_ROW = "(整行 whole row)"
"""The column named for a row that could not be split into columns."""


def write_reject_report(
    path: Path,
    source_file: Path,
    raw: pa.Table,
    row_numbers: np.ndarray,
    problems: Problems,
    bad_rows: list[BadRow],
    conflicts: list[list[Any]] | None = None,
    *,
    sheet: str | None = None,
) -> Path:
    """Write problems (one line each), the rejected rows as the user wrote them, and conflicts.

    *conflicts* are rows made by :func:`conflict_rows`.
    """
    import openpyxl
    from openpyxl.styles import Font

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    name = f"{source_file.name} [{sheet}]" if sheet else source_file.name

    ws = wb.create_sheet("问题清单 Problems")
    ws.append(
        text_row(
            ws,
            ["文件 File", "行号 Row", "列 Column", "值 Value", "规则 Rule", "说明与处理 What to do"],
            font=bold,
        )
    )
    order = sorted(range(len(problems)), key=lambda k: (row_numbers[problems.index[k]], problems.column[k]))
    for b in bad_rows:
        ws.append(text_row(ws, [name, b.line, WHOLE_ROW, b.text, "column_count", b.reason]))
    for k in order[:MAX_EXCEL_ROWS]:
        ws.append(
            text_row(
                ws,
                [
                    name,
                    int(row_numbers[problems.index[k]]),
                    problems.column[k],
                    problems.value[k],
                    problems.rule[k],
                    problems.message[k],
                ],
            )
        )
    ws2 = wb.create_sheet("被拒行 Rejected rows")
    ws2.append(text_row(ws2, ["行号 Row", *raw.column_names, "问题 Problems"], font=bold))
    by_row: dict[int, list[str]] = {}
    for k in range(len(problems)):
        by_row.setdefault(problems.index[k], []).append(f"{problems.column[k]}: {problems.rule[k]}")
    rows = sorted(by_row)
    records = raw.take(pa.array(rows, pa.int64())).to_pylist() if rows else []
    # rows in the order of the file: a row that could not be split shows its text in the first column
    lines: list[tuple[int, list[Any]]] = [
        (b.line, [b.line, b.text, *[None] * (raw.num_columns - 1), f"{WHOLE_ROW}: column_count"])
        for b in bad_rows
    ]
    for i, record in zip(rows, records, strict=True):
        lines.append((int(row_numbers[i]), [int(row_numbers[i]), *record.values(), "; ".join(by_row[i])]))
    for _, values in sorted(lines, key=lambda x: x[0])[:MAX_EXCEL_ROWS]:
        ws2.append(text_row(ws2, values))
    if conflicts:
        ws3 = wb.create_sheet("来源冲突 Conflicts")
        ws3.append(
            text_row(
                ws3,
                [
                    "行号 Row",
                    "键 Key",
                    "列 Column",
                    "保留值 Kept",
                    "保留来源 Kept source",
                    "新值 Offered",
                    "新来源 Offered source",
                ],
                font=bold,
            )
        )
        for r in conflicts[:MAX_EXCEL_ROWS]:
            ws3.append(text_row(ws3, r))
    save_workbook(wb, path)
    return path


def conflict_rows(
    conflicts: pa.Table,
    fmt: FileFormat,
    mapped: list[Mapped],
    raw: pa.Table,
    typed: dict[str, pa.Array],
    good: np.ndarray,
    row_numbers: np.ndarray,
    zone: Zone,
) -> list[list[Any]]:
    """The warehouse's conflict records as the user would read them.

    Row of the file, key, the header as written, the kept value in the column's unit (a park by
    its name), the offered value exactly as written in the file, and both sources.
    """
    by_target = {m.column.target: m for m in mapped}
    keys = [typed[k].to_pylist() for k in fmt.key]
    index = {"|".join(str(k[i]) for k in keys): i for i in np.flatnonzero(good).tolist()}
    park_names = {p.id: p.short_name for p in zone.parks}
    out: list[list[Any]] = []
    for r in conflicts.to_pylist():
        m = by_target.get(r["field"])
        i = index.get(r["row_key"])
        header = m.header if m else r["field"]
        kept = r["kept_value"]
        offered = r["offered_value"]
        if m is not None and m.column.kind == "money" and kept is not None:
            kept = format_fen(int(kept), m.unit or m.column.unit or "元")
        elif m is not None and m.column.kind == "park" and kept is not None:
            kept = park_names.get(kept, kept)
        if m is not None and i is not None:
            offered = raw.column(m.header)[i].as_py()
        out.append(
            [
                int(row_numbers[i]) if i is not None else None,
                r["row_key"],
                header,
                kept,
                r["kept_source"],
                offered,
                r["offered_source"],
            ]
        )
    return sorted(out, key=lambda x: (x[0] is None, x[0] or 0, x[2]))
