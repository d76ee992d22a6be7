"""The Excel writer keeps each row's type in a column of :func:`cells` (an item/value sheet: a date
an Excel date, a year a number, a note a text), and names the money unit in the reader's words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from zonebrain.reports import export_excel
from zonebrain.reports._excel import cells


def test_an_item_value_sheet_keeps_each_value_s_type(tmp_path: Path) -> None:
    values = cells([dt.date(2025, 3, 31), 2024, "=1+1", None, "郑州"])
    about = pa.table({"item": ["基准日", "考核年度", "公式", "空", "说明"], "value": values})
    other = pa.table({"name": ["甲"], "amount_fen": [12345]})
    path = export_excel({"说明": about, "金额": other}, tmp_path / "t.xlsx", money=("amount_fen",))
    book = openpyxl.load_workbook(path)
    day, year, formula, blank, text = (row[1] for row in book["说明"].iter_rows(min_row=2))
    assert day.is_date and day.value == dt.datetime(2025, 3, 31) and day.number_format == "yyyy-mm-dd"
    assert year.data_type == "n" and year.value == 2024
    assert formula.data_type == "s" and formula.value == "=1+1"  # text stays text, never a formula
    assert blank.value is None and text.value == "郑州"
    assert Decimal(str(book["金额"]["B2"].value)) == Decimal("0.012345")  # the other sheets as ever


def test_cells_refuse_what_they_cannot_keep() -> None:
    for bad in (dt.datetime(2025, 3, 31, 12, 0), True):
        with pytest.raises(TypeError):
            cells([bad])


def test_the_money_unit_in_the_reader_s_words(tmp_path: Path) -> None:
    table = pa.table({"amount_fen": [100]})
    english = export_excel(
        {"s": table}, tmp_path / "en.xlsx", {"amount_fen": "Amount"}, ("amount_fen",), "元", unit_label="yuan"
    )
    assert openpyxl.load_workbook(english)["s"]["A1"].value == "Amount (yuan)"
    chinese = export_excel({"s": table}, tmp_path / "zh.xlsx", {"amount_fen": "金额"}, ("amount_fen",), "元")
    assert openpyxl.load_workbook(chinese)["s"]["A1"].value == "金额(元)"
