"""The reject report: an .xlsx a user opens in Excel to fix the rejected rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from zonebrain.core.xlsx import save_workbook
from zonebrain.registry._validate import Problems

MAX_EXCEL_ROWS = 1_048_575


def write_reject_report(
    path: Path,
    source_file: Path,
    raw: pa.Table,
    row_numbers: np.ndarray,
    problems: Problems,
    bad_rows: list[tuple[int, str]],
    conflicts: pa.Table | None = None,
) -> Path:
    """Write problems (one line each) and the rejected rows as the user wrote them."""
    import openpyxl
    from openpyxl.styles import Font

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)

    def header(ws: object, names: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for name in names:
            cell = WriteOnlyCell(ws, value=name)  # type: ignore[arg-type]
            cell.font = bold
            cells.append(cell)
        ws.append(cells)  # type: ignore[attr-defined]

    ws = wb.create_sheet("问题清单 Problems")
    header(ws, ["文件 File", "行号 Row", "列 Column", "值 Value", "规则 Rule", "说明与处理 What to do"])
    order = sorted(range(len(problems)), key=lambda k: (row_numbers[problems.index[k]], problems.column[k]))
    for line, reason in bad_rows:
        ws.append([source_file.name, line, "", "", "column_count", reason])
    for k in order[:MAX_EXCEL_ROWS]:
        ws.append(
            [
                source_file.name,
                int(row_numbers[problems.index[k]]),
                problems.column[k],
                problems.value[k],
                problems.rule[k],
                problems.message[k],
            ]
        )
    rows = sorted(set(problems.index))
    ws2 = wb.create_sheet("被拒行 Rejected rows")
    header(ws2, ["行号 Row", *raw.column_names, "问题 Problems"])
    by_row: dict[int, list[str]] = {}
    for k in range(len(problems)):
        by_row.setdefault(problems.index[k], []).append(f"{problems.column[k]}: {problems.rule[k]}")
    if rows:
        subset = raw.take(pa.array(rows)).to_pylist()
        for i, record in zip(rows, subset, strict=True):
            ws2.append([int(row_numbers[i]), *record.values(), "; ".join(by_row[i])])
    if conflicts is not None and conflicts.num_rows:
        ws3 = wb.create_sheet("来源冲突 Conflicts")
        header(
            ws3,
            [
                "键 Key",
                "字段 Field",
                "保留值 Kept",
                "保留来源 Kept source",
                "新值 Offered",
                "新来源 Offered source",
            ],
        )
        for r in conflicts.to_pylist()[:MAX_EXCEL_ROWS]:
            ws3.append(
                [
                    r["row_key"],
                    r["field"],
                    r["kept_value"],
                    r["kept_source"],
                    r["offered_value"],
                    r["offered_source"],
                ]
            )
    save_workbook(wb, path)
    return path
