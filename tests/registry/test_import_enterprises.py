from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.registry.conftest import HEADER, code, good_rows, write_csv, write_xlsx
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.registry import import_file
from zonebrain.storage import Warehouse

TODAY = dt.date(2025, 1, 15)


def run(wh: Warehouse, path: Path, kind: str = "enterprises", **kw: object):
    return import_file(wh, kind, path, today=TODAY, **kw)  # type: ignore[arg-type]


def stored(wh: Warehouse, table: str = "enterprises") -> dict[str, dict[str, object]]:
    return {r["uscc"]: r for r in wh.to_arrow(wh.table(table)).to_pylist()}


def test_good_file_imports_with_types_and_provenance(wh: Warehouse, files: Path) -> None:
    r = run(wh, write_csv(files / "e.csv", good_rows(5)))
    assert (r.inserted, r.rows_rejected, r.status) == (5, 0, "imported")
    rows = stored(wh)
    first = rows[code(0)]
    assert first["park_id"] == "wutong" and first["division_code"] == "410172561"
    assert first["registered_capital_fen"] == 100_500_000  # 100.5 万元 = 1,005,000 元
    assert first["registered_on"] == dt.date(2019, 5, 1)
    assert (
        first["source"] == "市场监管" and first["batch_id"] == r.batch_id and first["loaded_at"] is not None
    )
    assert {rows[code(i)]["park_id"] for i in range(5)} == {
        "wutong",
        "shifo",
        "fengyang",
        "shuangqiao",
        "gouzhao",
    }


def test_reimport_same_file_changes_nothing(wh: Warehouse, files: Path) -> None:
    path = write_csv(files / "e.csv", good_rows(5))
    run(wh, path)
    before = {t: wh.checksum(t) for t in ("enterprises", "import_batches")}
    again = run(wh, path)
    assert again.status == "already_imported"
    assert {t: wh.checksum(t) for t in before} == before


def test_same_rows_in_another_file_change_nothing(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "a.csv", good_rows(5)))
    before = wh.checksum("enterprises")
    r = run(wh, write_xlsx(files / "b.xlsx", good_rows(5)))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 5)
    assert wh.checksum("enterprises") == before


def test_dry_run_writes_nothing(wh: Warehouse, files: Path) -> None:
    before = {t: wh.checksum(t) for t in ("enterprises", "import_batches", "parks")}
    r = run(wh, write_csv(files / "e.csv", good_rows(3)), dry_run=True)
    assert r.status == "dry_run" and r.inserted == 0
    assert {t: wh.checksum(t) for t in before} == before


BAD_CASES = [
    # (column index, bad value, rule, text the message must contain)
    (0, "91110000600037341M", "uscc_check", "第18位校验码应为 'L'"),
    (0, "9111000060003734", "uscc_length", "18"),
    (0, "91110000600O37341L", "uscc_alphabet", "O"),
    (3, "9999", "unknown_industry", "9999"),
    (3, "610", "unknown_industry", "0610"),
    (3, "39", "unknown_industry", "大类"),
    (3, "C3921", "unknown_industry", "请写作 '3921'"),
    (2, "火星园区", "unknown_park", "梧桐"),
    (4, "一百万", "not_a_number", "不是数字"),
    (4, "-5", "negative", "负数"),
    (4, "5000元", "unit_mismatch", "单位"),
    (4, "0.0000001", "finer_than_fen", "分以下"),
    (5, "2023-02-30", "bad_date", "2023-02-30"),
    (5, "2030-01-01", "future_date", "晚于今天"),
    (1, "", "required", "企业名称"),
]


@pytest.mark.parametrize(
    ("col", "value", "rule", "says"), BAD_CASES, ids=[c[2] + ":" + c[1] for c in BAD_CASES]
)
def test_each_bad_input_is_named_with_row_column_value_and_fix(
    wh: Warehouse, files: Path, col: int, value: str, rule: str, says: str
) -> None:
    rows = good_rows(4)
    rows[2][col] = value
    path = write_csv(files / "e.csv", rows)
    with pytest.raises(ImportRejected) as info:
        run(wh, path)
    msg = str(info.value)
    assert str(path) in msg and "第 4 行" in msg and f"'{HEADER[col]}'" in msg and says in msg
    if value:
        assert repr(value) in msg
    assert "--accept-partial" in msg  # says what to do
    assert wh.count("enterprises") == 0  # atomic: nothing written
    report = openpyxl.load_workbook(info.value.report_path)
    problems = list(report.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(p[1], p[2], p[4]) for p in problems] == [(4, HEADER[col], rule)]
    rejected = list(report.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert rejected[0][0] == 4 and rejected[0][1] == rows[2][0]


def test_duplicate_uscc_names_the_first_row(wh: Warehouse, files: Path) -> None:
    rows = good_rows(4)
    rows[3][0] = rows[1][0]
    with pytest.raises(ImportRejected, match="与第 3 行重复"):
        run(wh, write_csv(files / "e.csv", rows))


def test_accept_partial_imports_good_rows_and_reports_bad(wh: Warehouse, files: Path) -> None:
    rows = good_rows(5)
    rows[1][3] = "9999"
    rows[4][2] = "火星"
    r = run(wh, write_csv(files / "e.csv", rows), accept_partial=True)
    assert (r.inserted, r.rows_rejected) == (3, 2)
    assert set(stored(wh)) == {code(0), code(2), code(3)}
    assert r.report_path is not None and r.report_path.exists()
    assert r.problems_by_rule == {"unknown_industry": 1, "unknown_park": 1}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(wh: Warehouse, files: Path, encoding: str) -> None:
    rows = good_rows(3)
    rows[0][1] = "郑州𠀀测试公司" if encoding in ("utf-8", "utf-8-sig", "gb18030") else rows[0][1]
    r = run(wh, write_csv(files / "e.csv", rows, encoding=encoding))
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gbk", "gb18030": "gb18030"}[encoding]
    assert r.encoding == expected
    assert stored(wh)[code(0)]["name"] == rows[0][1]


def test_undecodable_file_names_line_and_fix(wh: Warehouse, files: Path) -> None:
    path = files / "e.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n\x81\xff\xfe,x\n")
    with pytest.raises(InputError, match=r"第 2 行.*CSV UTF-8"):
        run(wh, path)


def test_xlsx_with_numeric_cells_and_dates(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [
        [code(1), "郑州甲公司", "梧桐", "6513", 1234.5, dt.datetime(2020, 3, 2), "软件"]
    ]
    rows.append([code(2), "郑州乙公司", 410172160, "3983", 200, dt.date(2021, 1, 1), None])
    run(wh, write_xlsx(files / "e.xlsx", rows))
    got = stored(wh)
    assert got[code(1)]["registered_capital_fen"] == 1_234_500_000
    assert got[code(1)]["registered_on"] == dt.date(2020, 3, 2)
    assert got[code(2)]["park_id"] == "shifo"


def test_xlsx_numeric_industry_code_losing_its_zero_is_caught(wh: Warehouse, files: Path) -> None:
    rows: list[list[object]] = [[code(1), "郑州甲公司", "梧桐", 610, 100, "2020-01-01", "种植"]]
    with pytest.raises(ImportRejected, match="0610"):
        run(wh, write_xlsx(files / "e.xlsx", rows))


def test_mapping_file_and_header_units(wh: Warehouse, files: Path) -> None:
    header = ["社会信用代码", "单位名称", "园区", "行业代码", "注册资本(元)", "成立日期"]
    (files / "map.yaml").write_text("单位名称: 企业名称\n园区: 所属园区\n", encoding="utf-8")
    rows = [[code(1), "郑州甲公司", "梧桐", "6513", "1,000,000.01", "2020-01-01"]]
    run(wh, write_csv(files / "e.csv", rows, header=header), mapping_file=files / "map.yaml")
    assert stored(wh)[code(1)]["registered_capital_fen"] == 100_000_001


def test_missing_required_column_says_which_and_how(wh: Warehouse, files: Path) -> None:
    header = [h for h in HEADER if h != "所属园区"]
    rows = [[v for i, v in enumerate(r) if i != 2] for r in good_rows(2)]
    with pytest.raises(InputError, match=r"所属园区.*--mapping"):
        run(wh, write_csv(files / "e.csv", rows, header=header))


def test_money_header_without_unit_is_refused(wh: Warehouse, files: Path) -> None:
    header = [*HEADER[:4], "注册资本", *HEADER[5:]]
    with pytest.raises(InputError, match="未注明单位"):
        run(wh, write_csv(files / "e.csv", good_rows(2), header=header))


def test_ragged_row_is_reported(wh: Warehouse, files: Path) -> None:
    path = files / "e.csv"
    rows = good_rows(3)
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in rows)
    text = text.replace(rows[1][1], rows[1][1] + ",多余")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"第 3 行.*应有 7 列，实有 8 列"):
        run(wh, path)
    r = run(wh, path, accept_partial=True)
    assert (r.inserted, r.rows_rejected) == (2, 1)


def test_unknown_columns_are_reported_not_silently_dropped(wh: Warehouse, files: Path) -> None:
    rows = [[*r, "x"] for r in good_rows(2)]
    r = run(wh, write_csv(files / "e.csv", rows, header=[*HEADER, "备注说明"]))
    assert r.unused_columns == ["备注说明"]


def test_conflict_between_sources_is_listed(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "a.csv", good_rows(3)))
    rows = good_rows(3)
    rows[0][3] = "6520"
    r = run(wh, write_csv(files / "b.csv", rows), source="税务")
    assert r.conflicts == 1
    assert stored(wh)[code(0)]["industry_code"] == "6513"
    book = openpyxl.load_workbook(r.report_path)
    sheet = book["来源冲突 Conflicts"]
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert values == [(2, code(0), "行业代码", "6513", "市场监管", "6520", "税务")]


def test_finance_needs_known_enterprises_and_reads_units(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    header = ["统一社会信用代码", "年度", "营业收入(万元)", "利润总额(万元)", "从业人员"]
    rows = [[code(0), "2024", "12.5", "-3.25", "1,200"], [code(9), "2024", "1", "1", "1"]]
    with pytest.raises(ImportRejected, match="不在企业名录中"):
        run(wh, write_csv(files / "f.csv", rows, header=header), kind="finance")
    r = run(wh, write_csv(files / "f.csv", rows, header=header), kind="finance", accept_partial=True)
    assert r.inserted == 1
    got = stored(wh, "enterprise_years")[code(0)]
    assert (got["year"], got["revenue_fen"], got["profit_fen"], got["employees"]) == (
        2024,
        12_500_000,
        -3_250_000,
        1200,
    )


def test_monthly_accepts_common_month_spellings(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(3)))
    header = ["统一社会信用代码", "月份", "营业收入(万元)"]
    rows = [[code(0), "2024-06", "1"], [code(1), "2024年7月", "2"], [code(2), "202408", "3"]]
    run(wh, write_csv(files / "m.csv", rows, header=header), kind="monthly")
    months = {r["uscc"]: r["month"] for r in wh.to_arrow(wh.table("enterprise_months")).to_pylist()}
    assert months == {
        code(0): dt.date(2024, 6, 1),
        code(1): dt.date(2024, 7, 1),
        code(2): dt.date(2024, 8, 1),
    }
    bad = [[code(0), "2024-13", "1"]]
    with pytest.raises(ImportRejected, match="月份无效"):
        run(wh, write_csv(files / "m2.csv", bad, header=header), kind="monthly")


def test_expiry_dates_may_lie_in_the_future(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    header = ["统一社会信用代码", "标签", "认定日期", "有效期至"]
    rows = [[code(0), "高新技术企业", "2023-12-01", "2026-11-30"]]
    r = run(wh, write_csv(files / "t.csv", rows, header=header), kind="tags")
    assert r.inserted == 1
    rows = [[code(1), "高新技术企业", "2026-12-01", "2029-11-30"]]
    with pytest.raises(ImportRejected, match=r"认定日期.*晚于今天"):
        run(wh, write_csv(files / "t2.csv", rows, header=header), kind="tags")


def test_dry_run_checks_firms_against_the_registry(wh: Warehouse, files: Path) -> None:
    run(wh, write_csv(files / "e.csv", good_rows(2)))
    header = ["统一社会信用代码", "年度", "营业收入(万元)"]
    good = write_csv(files / "f.csv", [[code(0), "2024", "1"], [code(1), "2024", "2"]], header=header)
    before = wh.checksum("enterprise_years")
    r = run(wh, good, kind="finance", dry_run=True)
    assert (r.status, r.rows_rejected) == ("dry_run", 0)
    bad = write_csv(files / "g.csv", [[code(0), "2024", "1"], [code(9), "2024", "2"]], header=header)
    with pytest.raises(ImportRejected, match="不在企业名录中"):
        run(wh, bad, kind="finance", dry_run=True)
    assert wh.checksum("enterprise_years") == before
