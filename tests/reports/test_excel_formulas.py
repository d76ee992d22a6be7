"""Exported lists never turn a text value into a live Excel formula (CSV/formula injection)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa

from zonebrain.reports import export_excel


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    names = ['=HYPERLINK("http://example.invalid","点我")', "+86 郑州", "郑州某某科技有限公司"]
    path = export_excel(
        {"企业": pa.table({"name": names, "amount_fen": [100, 250, 1]})},
        tmp_path / "x.xlsx",
        money=("amount_fen",),
    )
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    assert [ws.cell(row=r, column=1).value for r in (2, 3, 4)] == names
    assert [ws.cell(row=r, column=1).data_type for r in (2, 3, 4)] == ["s", "s", "s"]
    assert all(ws.cell(row=r, column=c).data_type != "f" for r in range(1, 5) for c in (1, 2))
