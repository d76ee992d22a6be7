"""Bad files of payments made before ZoneBrain: each bad row is rejected with its file, row, column,
value and what to do, in the error and in the Excel report (the registry's); one bad row and nothing
is stored; a money header without its unit refuses the file; .xlsx files are read as the registry
reads them (a chosen sheet, numbers and dates as cells)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tests.disbursement._data import A, B, D
from tests.disbursement.conftest import Clock, People
from tests.disbursement.test_prior_payments import HEADER, hitech_row, write
from zonebrain.appstore import AppStore
from zonebrain.appstore.disbursement_models import PriorPaymentImportRow
from zonebrain.core.errors import InputError
from zonebrain.disbursement import Disbursement, PriorImportRejected, import_prior_payments

BAD_USCC = A[:-1] + ("0" if A[-1] != "0" else "1")  # the check character wrong


def test_each_bad_row_is_rejected_with_its_file_row_column_and_value_and_nothing_is_stored(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    held = import_prior_payments(store, people.admin, write(tmp_path, [f"{B},zz-rd-input,award,2024,12,2025-03-01,R0"], "held.csv"), clock=clock)  # fmt: skip
    rows = [
        hitech_row(A),  # row 2: good
        hitech_row(BAD_USCC),  # 3
        f"{D},不存在的政策,第一条,2024,30,2025-03-20,R",  # 4
        f"{D},zz-rd-input,第九条,2024,30,2025-03-20,R",  # 5
        hitech_row(D, "-5"),  # 6
        f"{D},zz-rd-input,award,2022,三十,2023-03-20,R",  # 7
        f"{D},zz-rd-input,award,2024,3,2024-13-01,R",  # 8
        f"{D},zz-rd-input,award,2023,3,2024-03-01,",  # 9
        f"{A},zz-hitech-first-cert,award,2023,30,2024-03-20,R",  # 10: the same one-time award as row 2
        f"{B},zz-rd-input,award,2024,13,2025-03-01,R1",  # 11: the ledger holds it at 12万
        f"{D},zz-revenue-breakthrough,reach-10m,2024,0,2025-03-20,R",  # 12
    ]
    path = write(tmp_path, rows)
    with pytest.raises(PriorImportRejected) as caught:
        import_prior_payments(store, people.admin, path, clock=clock)
    err = caught.value
    found = {p.row: p for p in err.problems}
    expected = {
        3: ("统一社会信用代码", BAD_USCC, "uscc_"),
        4: ("政策", "不存在的政策", "unknown_policy"),
        5: ("条款", "第九条", "unknown_clause"),
        6: ("兑现金额(万元)", "-5", "negative"),
        7: ("兑现金额(万元)", "三十", "not_a_number"),
        8: ("兑现日期", "2024-13-01", "bad_date"),
        9: ("凭证号", None, "required"),
        10: ("统一社会信用代码", A, "duplicate_award"),
        11: ("兑现金额(万元)", "13", "ledger_conflict"),
        12: ("兑现金额(万元)", "0", "zero_amount"),
    }
    assert set(found) == set(expected) and err.rejected == len(expected)
    for row, (column, value, rule) in expected.items():
        p = found[row]
        assert (p.file, p.column, p.value) == (path.name, column, value), p
        assert p.rule.startswith(rule), p
        assert f"第 {row} 行" in str(p) and f"'{column}'" in str(p)
    assert "第 2 行" in found[10].message  # which row it repeats
    assert (
        f"#{held.entries[0]}" in found[11].message and "12" in found[11].message
    )  # the entry it conflicts with
    assert (
        "政策代码、文号或名称" in found[4].message and "award (第一条)" in found[5].message
    )  # what to write
    assert str(path) in str(err) and str(err.report_path) in str(err)

    # atomic: nothing of the file is stored (row 2 was good), and the refusal is audited
    assert d.ledger.count() == 1
    with store.session() as s:
        assert s.query(PriorPaymentImportRow).count() == 1
    refused = store.audit.entries(action="disbursement.import_prior")[0]
    assert refused.outcome == "refused" and refused.detail["rejected"] == len(expected)

    # the report opens in Excel and lists every problem and every rejected row as written
    assert err.report_path is not None
    wb = openpyxl.load_workbook(err.report_path, read_only=True)
    problems = list(wb["问题清单 Problems"].iter_rows(values_only=True))
    assert problems[0][:4] == ("文件 File", "行号 Row", "列 Column", "值 Value")
    assert {(r[1], r[2]) for r in problems[1:]} == {(k, v[0]) for k, v in expected.items()}
    rejected = list(wb["被拒行 Rejected rows"].iter_rows(values_only=True))
    assert [r[0] for r in rejected[1:]] == sorted(expected)
    assert rejected[2][2] == "不存在的政策"  # row 4 as written
    conflicts = list(wb["来源冲突 Conflicts"].iter_rows(values_only=True))
    assert conflicts[1][0] == 11 and conflicts[1][3] == "12" and f"#{held.entries[0]}" in conflicts[1][4]
    wb.close()


def test_a_money_header_without_its_unit_refuses_the_file(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    path = write(tmp_path, [hitech_row()], header=HEADER.replace("兑现金额(万元)", "兑现金额"))
    with pytest.raises(InputError) as caught:
        import_prior_payments(store, people.admin, path, clock=clock)
    text = str(caught.value)
    assert str(path) in text and "'兑现金额'" in text and "未注明单位" in text and "兑现金额(万元)" in text
    assert d.ledger.count() == 0
    assert store.audit.entries(action="disbursement.import_prior")[0].outcome == "refused"


def test_a_missing_column_refuses_the_file_naming_it(
    store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    path = write(tmp_path, [hitech_row().rsplit(",", 1)[0]], header=HEADER.replace(",凭证号", ""))
    with pytest.raises(InputError, match=r"缺少必填列.*'凭证号'"):
        import_prior_payments(store, people.admin, path, clock=clock)


def test_an_ambiguous_clause_is_rejected_naming_the_clauses(
    store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    path = write(tmp_path, [f"{A},zz-revenue-breakthrough,第一条,2024,10,2025-03-20,R"])
    with pytest.raises(PriorImportRejected) as caught:
        import_prior_payments(store, people.admin, path, clock=clock)
    (p,) = caught.value.problems
    assert p.rule == "ambiguous_clause" and "reach-10m (第一条第一款)" in p.message


def test_an_xlsx_sheet_with_number_and_date_cells(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "往年兑现.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为往年兑现记录"])
    ws = wb.create_sheet("2024年兑现")
    ws.append(["信用代码", "政策名称", "条款号", "奖励年度", "金额(元)", "支付日期", "兑现文号", "企业名称"])
    ws.append(
        [A, "郑州市高新技术企业首次认定奖励", "第一条", 2024, 300000, dt.datetime(2025, 3, 20), "文号1", "甲"]
    )
    ws.append([D, "zz-hitech-first-cert", "award", 2024, 200000.5, dt.date(2025, 3, 21), "文号2", None])
    wb.save(path)
    r = import_prior_payments(store, people.admin, path, sheet="2024年兑现", clock=clock)
    assert (r.imported, r.sheet) == (2, "2024年兑现")
    amounts = {e.uscc: e.amount_fen for e in d.ledger.entries()}
    assert amounts == {A: 30_000_000, D: 20_000_050}
    with pytest.raises(InputError, match="没有名为 '2023年' 的工作表"):
        import_prior_payments(store, people.admin, path, sheet="2023年", clock=clock)


def test_a_payment_before_the_year_it_rewards_and_a_future_date_are_rejected(
    store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    rows = [
        f"{A},zz-hitech-first-cert,award,2024,30,2023-12-31,R",  # paid before 2024 began
        f"{D},zz-hitech-first-cert,award,2024,30,2025-05-01,R",  # after today (2025-04-01, Beijing)
    ]
    with pytest.raises(PriorImportRejected) as caught:
        import_prior_payments(store, people.admin, write(tmp_path, rows), clock=clock)
    assert [(p.row, p.rule) for p in caught.value.problems] == [(2, "date_order"), (3, "future_date")]
