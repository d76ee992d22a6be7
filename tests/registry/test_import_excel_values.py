"""QA: values Excel rewrote (scientific notation, date serials) and money headers without a unit.

Each is refused with a message that says what the cell is, what it stands for and what to do;
none is converted silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.conftest import HEADER, code, good_rows, write_csv, write_xlsx
from tests.registry.test_import_qa import FINANCE, problems, rejected, run
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.registry import FORMATS
from zonebrain.registry._headers import _split
from zonebrain.storage import Warehouse

CAPITAL = 4  # 注册资本(万元)
FOUNDED = 5  # 成立日期


def _problem(exc: ImportRejected) -> tuple[object, ...]:
    [problem] = problems(exc)
    return problem


# 1. scientific notation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stands_for"),
    [
        ("1.2E+07", "12000000 万元"),  # refused though exact: the text may be a rounded display
        ("1e-05", "0.00001 万元"),
        ("-3.5e2", "-350 万元"),
        ("1.20E+07", "12000000 万元"),
    ],
)
def test_money_in_scientific_notation_names_the_notation_and_its_value(
    wh: Warehouse, files: Path, value: str, stands_for: str
) -> None:
    rows = good_rows(2)
    rows[1][CAPITAL] = value
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert _problem(exc) == (3, "注册资本(万元)", value, "scientific_notation")
    text = str(exc)
    assert f"'{value}' 是科学计数法 (scientific notation)" in text
    assert f"表示 {stands_for}" in text
    assert "文本" in text and "format the column as Number" in text
    assert "不是数字" not in text  # the plain 'not a number' is gone


def test_an_xlsx_number_cell_shown_in_scientific_notation_is_named_too(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(3)]
    rows[1][CAPITAL] = 0.00001  # openpyxl reads it back as the float 1e-05
    rows[2][CAPITAL] = 12_000_000.0  # a whole number cell holds its exact value, whatever its display
    exc = rejected(wh, write_xlsx(files / "e.xlsx", rows))
    assert problems(exc) == [(3, "注册资本(万元)", "1e-05", "scientific_notation")]
    assert "表示 0.00001 万元" in str(exc)


def test_a_long_number_in_scientific_notation_says_its_last_digits_are_lost(
    wh: Warehouse, files: Path
) -> None:
    header = [*FINANCE[:2], "营业收入(元)"]
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    path = write_csv(files / "f.csv", [[code(1), "2024", "1.23456789012345E+15"]], header=header)
    exc = rejected(wh, path, "finance")
    assert _problem(exc)[3] == "scientific_notation"
    assert "15 位有效数字" in str(exc) and "last digits" in str(exc)
    assert "1234567890123450" in str(exc)


def test_a_head_count_in_scientific_notation_is_named(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(1)))
    exc = rejected(
        wh, write_csv(files / "f.csv", [[code(0), "2024", "1", "1.2E+03"]], header=FINANCE), "finance"
    )
    assert _problem(exc) == (2, "从业人员", "1.2E+03", "scientific_notation")
    assert "表示 1200" in str(exc) and "科学计数法" in str(exc)


def test_a_uscc_excel_made_a_number_still_says_so(wh: Warehouse, files: Path) -> None:
    rows = good_rows(2)
    rows[1][0] = "9.14101726990786e+17"
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert _problem(exc)[3] == "uscc_number"


# 2. date serials -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["45383", 45383])
def test_a_date_serial_names_the_date_it_stands_for(wh: Warehouse, files: Path, cell: object) -> None:
    rows: list[list[object]] = [list(r) for r in good_rows(2)]
    rows[1][FOUNDED] = cell
    path = write_xlsx(files / "e.xlsx", rows) if isinstance(cell, int) else write_csv(files / "e.csv", rows)  # type: ignore[arg-type]
    exc = rejected(wh, path)
    assert _problem(exc) == (3, "成立日期", "45383", "date_serial")
    text = str(exc)
    assert "Excel 日期序列号 (an Excel date serial)" in text
    assert "2024-04-01" in text and "设为'日期'格式" in text and "format the cell as a date" in text
    assert wh.count("enterprises") == 0  # nothing converted


@pytest.mark.parametrize(
    ("serial", "says"),
    [
        ("1", "1900-01-01"),
        ("59", "1900-02-28"),
        ("60", "1900-02-29"),
        ("61", "1900-03-01"),
        ("45383.5", "2024-04-01"),
        ("2024", "1905-07-16"),
    ],
)
def test_serials_follow_the_1900_date_system(wh: Warehouse, files: Path, serial: str, says: str) -> None:
    rows = good_rows(2)
    rows[1][FOUNDED] = serial
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert _problem(exc)[3] == "date_serial"
    assert says in str(exc)
    if serial == "60":
        assert "不存在" in str(exc) and "leap-year bug" in str(exc)
    if serial == "2024":
        assert "年份" in str(exc)  # it may be a year: the message says to write a whole date


@pytest.mark.parametrize("value", ["0", "80001", "123456"])
def test_numbers_no_serial_could_be_stay_bad_dates(wh: Warehouse, files: Path, value: str) -> None:
    rows = good_rows(2)
    rows[1][FOUNDED] = value
    exc = rejected(wh, write_csv(files / "e.csv", rows))
    assert _problem(exc)[3] == "bad_date"


def test_a_month_typed_into_excel_as_a_date_names_the_month(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(1)))
    header = ["统一社会信用代码", "月份", "营业收入(万元)"]
    exc = rejected(wh, write_csv(files / "m.csv", [[code(0), "45383", "1"]], header=header), "monthly")
    assert _problem(exc) == (2, "月份", "45383", "date_serial")
    assert "2024-04-01" in str(exc) and "2024-04" in str(exc)


# 3. money headers without a unit ---------------------------------------------------------


def test_no_money_alias_is_listed_without_a_unit() -> None:
    """The listing (docs/reference/import-formats.md is generated from it) offers only what is accepted."""
    for fmt in FORMATS.values():
        for col in fmt.columns:
            if col.kind == "money":
                assert [a for a in col.aliases if _split(a)[1] is None] == [], (fmt.name, col.header)


@pytest.mark.parametrize("header", ["纳税总额", "研发投入", "tax_fen"])
def test_a_money_header_without_a_unit_is_refused_naming_the_headers_accepted(
    wh: Warehouse, files: Path, header: str
) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(1)))
    path = write_csv(files / "f.csv", [[code(0), "2024", "5"]], header=[*FINANCE[:2], header])
    with pytest.raises(InputError) as info:
        run(wh, path, "finance")
    text = str(info.value)
    assert f"金额列 '{header}' 未注明单位" in text
    shown = "纳税总额" if header == "tax_fen" else header  # a warehouse name is answered in Chinese
    assert f"'{shown}(元)'" in text and f"'{shown}(万元)'" in text and f"'{shown}(亿元)'" in text
    assert "不会猜测" in text and "never guessed" in text
    assert wh.count("enterprise_years") == 0


def test_registered_capital_without_a_unit_is_refused_not_dropped(wh: Warehouse, files: Path) -> None:
    """An optional money column without a unit is not set aside as an unused column either."""
    header = [h if h != "注册资本(万元)" else "注册资本" for h in HEADER]
    with pytest.raises(InputError, match=r"金额列 '注册资本' 未注明单位.*'注册资本\(万元\)'"):
        run(wh, write_csv(files / "e.csv", good_rows(2), header=header))


def test_a_money_header_with_its_unit_is_read_exactly(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    rows = [[code(0), "2024", "1,234.56"], [code(1), "2024", "2"]]
    run(wh, write_csv(files / "f.csv", rows[:1], header=[*FINANCE[:2], "纳税总额(元)"]), "finance")
    run(wh, write_csv(files / "g.csv", rows[1:], header=[*FINANCE[:2], "纳税总额(亿元)"]), "finance")
    got = {r["uscc"]: r["tax_fen"] for r in wh.to_arrow(wh.table("enterprise_years")).to_pylist()}
    assert got == {code(0): 123_456, code(1): 2 * 10_000_000_000}


def test_a_mapping_file_can_state_the_unit_of_a_header_without_one(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    mapping = files / "map.yaml"
    mapping.write_text("纳税总额: 纳税总额(元)\n实缴: 营业收入(万元)\n", encoding="utf-8")
    header = [*FINANCE[:2], "纳税总额", "实缴"]
    path = write_csv(files / "f.csv", [[code(0), "2024", "300", "1"]], header=header)
    run(wh, path, "finance", mapping_file=mapping)
    [row] = wh.to_arrow(wh.table("enterprise_years")).to_pylist()
    assert (row["tax_fen"], row["revenue_fen"]) == (30_000, 1_000_000)
    mapping.write_text("纳税总额: tax_fen\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'纳税总额\(元\)'.*'纳税总额\(万元\)'"):
        run(
            wh,
            write_csv(files / "g.csv", [[code(1), "2024", "300"]], header=header[:3]),
            "finance",
            mapping_file=mapping,
        )
