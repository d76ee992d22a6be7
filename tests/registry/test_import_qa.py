"""Import bugs found by QA: each test pins one; the item number is the QA list's."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pytest

from tests.registry.conftest import HEADER, code, good_rows, write_csv, write_xlsx
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.registry import import_file
from zonebrain.storage import Warehouse

TODAY = dt.date(2025, 1, 15)
FINANCE = ["统一社会信用代码", "年度", "营业收入(万元)", "从业人员"]


def run(wh: Warehouse, path: Path, kind: str = "enterprises", **kw: object):
    return import_file(wh, kind, path, today=TODAY, **kw)  # type: ignore[arg-type]


def rejected(wh: Warehouse, path: Path, kind: str = "enterprises", **kw: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        run(wh, path, kind, **kw)
    return info.value


def sheet_rows(report: str | Path | None, index: int) -> list[tuple[object, ...]]:
    assert report is not None
    book = openpyxl.load_workbook(report)
    return list(book.worksheets[index].iter_rows(min_row=2, values_only=True))


def problems(exc: ImportRejected) -> list[tuple[object, ...]]:
    """(row, column, value, rule) of each line of the report's 问题清单."""
    return [(p[1], p[2], p[3], p[4]) for p in sheet_rows(exc.report_path, 0)]


def usccs(wh: Warehouse) -> set[str]:
    return {r["uscc"] for r in wh.to_arrow(wh.table("enterprises")).to_pylist()}


# 1. batch identity --------------------------------------------------------------------------


def test_another_sheet_of_the_same_workbook_is_imported(wh: Warehouse, files: Path) -> None:
    path = write_xlsx(files / "e.xlsx", good_rows(2))
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("第二批")
    second.append(HEADER)
    for r in good_rows(5)[2:]:
        second.append(r)
    book.save(path)
    first = run(wh, path)
    assert first.inserted == 2
    assert run(wh, path, sheet="Sheet").status == "already_imported"  # the first sheet, named
    r = run(wh, path, sheet="第二批")
    assert (r.status, r.inserted, r.sheet) == ("imported", 3, "第二批")
    assert usccs(wh) == {code(i) for i in range(5)}
    assert run(wh, path, sheet="第二批").status == "already_imported"


def test_without_accept_partial_a_partly_imported_file_is_rejected(wh: Warehouse, files: Path) -> None:
    rows = good_rows(3)
    rows[1][3] = "9999"
    path = write_csv(files / "e.csv", rows)
    assert run(wh, path, accept_partial=True).rows_rejected == 1
    with pytest.raises(ImportRejected, match="9999"):
        run(wh, path)
    assert run(wh, path, accept_partial=True).status == "already_imported"


def test_a_plain_import_keeps_the_batch_id_it_always_had(wh: Warehouse, files: Path) -> None:
    path = write_csv(files / "e.csv", good_rows(2))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    old = hashlib.sha256(f"enterprises\0{digest}\0{[]}\0市场监管".encode()).hexdigest()[:20]
    assert run(wh, path).batch_id == old


# 2. xlsx cells that would be lost ---------------------------------------------------------


def test_formula_without_a_calculated_value_is_refused(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(3)]
    rows[1][4] = "=50*2"
    with pytest.raises(InputError, match=r"E3 '=50\*2'.*在 Excel 中打开并保存.*paste the cells as values"):
        run(wh, write_xlsx(files / "e.xlsx", rows))
    assert wh.count("enterprises") == 0


def test_merged_cells_over_data_rows_are_refused(wh: Warehouse, files: Path) -> None:
    path = write_xlsx(files / "e.xlsx", good_rows(3))
    book = openpyxl.load_workbook(path)
    book.active.merge_cells("C2:C4")
    book.save(path)
    with pytest.raises(InputError, match=r"合并单元格.*C2:C4.*取消合并.*unmerge"):
        run(wh, path)


def test_other_sheets_with_data_are_named_in_a_warning(wh: Warehouse, files: Path) -> None:
    path = write_xlsx(files / "e.xlsx", good_rows(2))
    book = openpyxl.load_workbook(path)
    book.create_sheet("空表")
    book.create_sheet("第二批").append(HEADER)
    book.save(path)
    r = run(wh, path)
    assert r.sheet == "Sheet" and len(r.warnings) == 1
    assert "'Sheet'" in r.warnings[0] and "'第二批'" in r.warnings[0] and "--sheet" in r.warnings[0]
    assert "空表" not in r.warnings[0]


def test_a_boolean_cell_in_a_text_column_is_refused(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(3)]
    rows[1][1] = True
    exc = rejected(wh, write_xlsx(files / "e.xlsx", rows))
    assert problems(exc) == [(3, "企业名称", "TRUE", "boolean_cell")]
    assert "逻辑值 TRUE" in str(exc)


# 3. commas and spaces inside numbers -----------------------------------------------------


@pytest.mark.parametrize("value", ["1,5", "12,34,5", "3,974,215,00", "1,2000", ",123"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(wh: Warehouse, files: Path, value: str) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(1)))
    exc = rejected(wh, write_csv(files / "f.csv", [[code(0), "2024", "1", value]], header=FINANCE), "finance")
    assert problems(exc) == [(2, "从业人员", value, "not_an_integer")]
    assert "1,234" in str(exc)


def test_thousands_separators_are_read(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    rows = [[code(0), "2024", "1,234.5", "1,200"], [code(1), "2024", "1", "12,345,678"]]
    run(wh, write_csv(files / "f.csv", rows, header=FINANCE), "finance")
    got = {r["uscc"]: r for r in wh.to_arrow(wh.table("enterprise_years")).to_pylist()}
    assert (got[code(0)]["revenue_fen"], got[code(0)]["employees"]) == (1_234_500_000, 1200)
    assert got[code(1)]["employees"] == 12_345_678


@pytest.mark.parametrize("value", ["12 34", "12,34"])
def test_money_split_by_a_space_or_a_wrong_comma_is_refused(wh: Warehouse, files: Path, value: str) -> None:
    rows = good_rows(2)
    rows[1][4] = value
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert problems(exc) == [(3, "注册资本(万元)", value, "not_a_number")]


# 4. blank rows ----------------------------------------------------------------------------


def test_blank_csv_lines_are_skipped_and_rows_keep_their_numbers(wh: Warehouse, files: Path) -> None:
    rows = good_rows(4)
    rows[3][5] = "2023-02-30"
    lines = [",".join(HEADER), ",".join(rows[0]), "", ",".join(rows[1]), ",,,,,,", ",".join(rows[2])]
    lines += ["", ",".join(rows[3]), "", ""]
    path = files / "e.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    exc = rejected(wh, path)
    assert problems(exc) == [(8, "成立日期", "2023-02-30", "bad_date")]
    assert "第 8 行" in str(exc)
    r = run(wh, path, accept_partial=True)
    assert (r.inserted, r.rows_rejected, r.rows_in) == (3, 1, 4)
    assert "第 3、5、7 行" in r.warnings[0]


def test_blank_xlsx_rows_are_skipped_like_blank_csv_lines(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(3)]
    rows.insert(1, [None] * len(HEADER))
    rows[3][5] = "2023-02-30"
    exc = rejected(wh, write_xlsx(files / "e.xlsx", rows))
    assert problems(exc) == [(5, "成立日期", "2023-02-30", "bad_date")]


# 5. control characters; a CSV named .xlsx -------------------------------------------------


def test_a_control_character_is_refused_and_the_report_shows_it(wh: Warehouse, files: Path) -> None:
    rows = good_rows(3)
    rows[1][1] = "郑州\x0b科技公司"
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert problems(exc) == [(3, "企业名称", "郑州\\x0b科技公司", "control_char")]
    assert "\\x0b" in str(exc)
    assert sheet_rows(exc.report_path, 1)[0][2] == "郑州\\x0b科技公司"


def test_a_csv_named_xlsx_says_so(wh: Warehouse, files: Path) -> None:
    path = write_csv(files / "e.csv", good_rows(2)).rename(files / "e.xlsx")
    with pytest.raises(InputError, match=r"e\.xlsx.*不是真正的 \.xlsx.*CSV.*\.csv"):
        run(wh, path)


# 6. formula injection in the report -------------------------------------------------------


def test_the_report_writes_what_users_wrote_as_text(wh: Warehouse, files: Path) -> None:
    rows = good_rows(3)
    rows[1][1] = '=HYPERLINK("http://x","y")'
    rows[1][3] = "=100*2"
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    book = openpyxl.load_workbook(exc.report_path)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sheet_rows(exc.report_path, 0)[0][3] == "=100*2"
    assert sheet_rows(exc.report_path, 1)[0][2] == '=HYPERLINK("http://x","y")'


# 7. report completeness -------------------------------------------------------------------


def test_a_row_with_too_many_columns_is_shown_as_written(wh: Warehouse, files: Path) -> None:
    rows = good_rows(3)
    path = files / "e.csv"
    text = "\n".join([",".join(HEADER), *(",".join(r) for r in rows)]) + "\n"
    path.write_text(text.replace(rows[1][1], rows[1][1] + ",多余"), encoding="utf-8")
    exc = rejected(wh, path)
    line = ",".join(rows[1]).replace(rows[1][1], rows[1][1] + ",多余")
    assert problems(exc) == [(3, "(整行 whole row)", line, "column_count")]
    assert sheet_rows(exc.report_path, 1)[0][:2] == (3, line)
    assert repr(line) in str(exc)


def test_conflicts_are_shown_in_the_users_headers_and_units(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "a.csv", good_rows(3)))
    rows = good_rows(3)
    rows[2][4] = "1,000"
    r = run(wh, write_csv(files / "b.csv", rows), source="税务")
    got = sheet_rows(r.report_path, 2)
    assert got == [(4, code(2), "注册资本(万元)", "102.5", "市场监管", "1,000", "税务")]


def test_a_cut_cell_in_the_report_says_it_was_cut(wh: Warehouse, files: Path) -> None:
    rows = good_rows(2)
    rows[1][6] = "经营范围" * 10_000
    rows[1][5] = "2023-02-30"
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    cell = sheet_rows(exc.report_path, 1)[0][7]
    assert isinstance(cell, str) and "已截断" in cell and "40,000" in cell


# 8. rule tags match their messages --------------------------------------------------------


@pytest.mark.parametrize(
    ("col", "value", "rule", "says"),
    [
        (4, "99999999999999999999", "out_of_range", "超出可存储范围"),
        (0, "".join(chr(ord(c) + 0xFEE0) for c in code(1)), "uscc_fullwidth", "全角"),
    ],
)
def test_rule_tags_match_messages(
    wh: Warehouse, files: Path, col: int, value: str, rule: str, says: str
) -> None:
    rows = good_rows(3)
    rows[1][col] = value
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert [p[3] for p in problems(exc)] == [rule]
    assert says in str(exc)


# 9. messages that say what happened --------------------------------------------------------


def test_a_title_row_above_the_header_is_skipped_and_named(wh: Warehouse, files: Path) -> None:
    path = files / "e.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["2024年企业名录"])
    ws.merge_cells("A1:G1")
    ws.append(HEADER)
    rows = good_rows(3)
    rows[2][5] = "2023-02-30"
    for r in rows:
        ws.append(r)
    book.save(path)
    exc = rejected(wh, path)
    assert problems(exc) == [(5, "成立日期", "2023-02-30", "bad_date")]
    assert "标题行" in str(exc)
    csv = write_csv(files / "e.csv", rows)
    csv.write_text("2024年企业名录,,,,,,\n" + csv.read_text(encoding="utf-8"), encoding="utf-8")
    exc = rejected(wh, csv)
    assert problems(exc) == [(5, "成立日期", "2023-02-30", "bad_date")]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_an_empty_csv_says_it_is_empty(wh: Warehouse, files: Path, content: bytes) -> None:
    path = files / "e.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"e\.csv: 文件为空 \(the file is empty"):
        run(wh, path)


def test_a_uscc_stored_as_a_number_says_to_make_the_column_text(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(2)]
    rows[1][0] = 914101726990785991.0
    exc = rejected(wh, write_xlsx(files / "e.xlsx", rows))
    assert [p[3] for p in problems(exc)] == ["uscc_number"]
    assert "文本" in str(exc)
    csv = write_csv(files / "e.csv", [good_rows(1)[0], ["9.14101726990786E+17", *good_rows(2)[1][1:]]])
    assert [p[3] for p in problems(rejected(wh, csv))] == ["uscc_number"]


# 10. dates in order -----------------------------------------------------------------------


def test_an_expiry_before_the_recognition_date_is_refused(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    header = ["统一社会信用代码", "标签", "认定日期", "有效期至"]
    rows = [
        [code(0), "高新技术企业", "2023-12-01", "2026-11-30"],
        [code(1), "高新技术企业", "2023-12-01", "2022-11-30"],
    ]
    exc = rejected(wh, write_csv(files / "t.csv", rows, header=header), "tags")
    assert problems(exc) == [(3, "有效期至", "2022-11-30", "date_order")]
    assert "'有效期至' 2022-11-30 早于 '认定日期' 2023-12-01" in str(exc)


def test_tax_net_of_refunds_may_be_negative_revenue_may_not(wh: Warehouse, files: Path) -> None:
    """QA: a refund year (纳税总额 -5万元) was refused on import though policy case files and the
    self-check take it (a refund is not 无纳税); revenue below 0 is still refused, naming the cell."""
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    header = ["统一社会信用代码", "年度", "营业收入(万元)", "纳税总额(万元)"]
    run(wh, write_csv(files / "f.csv", [[code(0), "2024", "100", "-5"]], header=header), "finance")
    got = wh.to_arrow(wh.table("enterprise_years")).to_pylist()
    assert [(r["uscc"], r["tax_fen"]) for r in got] == [(code(0), -5_000_000)]
    exc = rejected(wh, write_csv(files / "g.csv", [[code(1), "2024", "-100", "1"]], header=header), "finance")
    assert problems(exc) == [(2, "营业收入(万元)", "-100", "negative")]


def test_a_file_with_headers_only_is_refused_and_records_no_batch(wh: Warehouse, files: Path) -> None:
    """QA: a header-only file said 读入 0 行 … 已导入 and recorded a batch every later run counted."""
    run(wh, write_csv(files / "e.csv", good_rows(1)))
    batches = wh.to_arrow(wh.table("import_batches")).num_rows
    with pytest.raises(InputError) as refused:
        run(wh, write_csv(files / "f.csv", [], header=FINANCE), "finance")
    assert "f.csv: 只有表头, 没有数据行" in str(refused.value)
    assert wh.to_arrow(wh.table("import_batches")).num_rows == batches


def test_full_width_digits_and_a_year_written_with_nian_are_read(wh: Warehouse, files: Path) -> None:
    """QA: ８００ was read as an amount but ２０２１ was no year, ２５ no head count and
    ２０１８－０６－０１ no date; 2021年 (common in office files) was no year either."""
    firms = good_rows(2)
    firms[1][5] = "２０１８－０６－０１"
    run(wh, write_csv(files / "e.csv", firms))
    days = {r["uscc"]: r["registered_on"] for r in wh.to_arrow(wh.table("enterprises")).to_pylist()}
    assert days[code(1)] == dt.date(2018, 6, 1)
    header = ["统一社会信用代码", "年度", "营业收入(万元)", "从业人员"]
    rows = [[code(0), "２０２３", "８００", "２５"], [code(1), "2024年", "1", "3"]]
    run(wh, write_csv(files / "f.csv", rows, header=header), "finance")
    got = {
        (r["uscc"], r["year"], r["employees"]) for r in wh.to_arrow(wh.table("enterprise_years")).to_pylist()
    }
    assert got == {(code(0), 2023, 25), (code(1), 2024, 3)}
    exc = rejected(
        wh, write_csv(files / "g.csv", [[code(0), "２０２３年度x", "1", "1"]], header=header), "finance"
    )
    assert problems(exc) == [(2, "年度", "２０２３年度x", "bad_year")]  # reported as written
