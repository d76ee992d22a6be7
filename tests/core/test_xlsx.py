"""core/xlsx: every text a report writes comes back as the same text, never as a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

from zonebrain.core.xlsx import MAX_CELL_CHARS, safe_text, save_workbook, text_row

INJECTIONS = ["=100*2", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "正常文本"]


def _write_only(values: list[object]) -> openpyxl.worksheet.worksheet.Worksheet:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(text_row(ws, values))
    buf = io.BytesIO()
    save_workbook(wb, buf)
    return openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active


@pytest.mark.parametrize("value", INJECTIONS)
def test_text_row_writes_strings_as_text_not_formulas(value: str) -> None:
    ws = _write_only([value, 3])
    assert (ws["A1"].value, ws["A1"].data_type, ws["B1"].value) == (value, "s", 3)


def test_control_characters_are_shown_not_crashing() -> None:
    ws = _write_only(["郑州\x0b科技\x00公司"])
    assert ws["A1"].value == "郑州\\x0b科技\\x00公司"


def test_a_text_too_long_for_a_cell_says_it_was_cut() -> None:
    long = "经营范围" * 20_000
    shown = safe_text(long)
    assert len(shown) == MAX_CELL_CHARS and shown.startswith("经营范围")
    assert "已截断" in shown and "80,000" in shown
    assert _write_only([long])["A1"].value == shown
    assert safe_text("短") == "短"
