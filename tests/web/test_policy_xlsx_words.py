"""QA findings on the policy workbooks (what-if, coverage, the self-check form):

1. the what-if and coverage workbooks are headed in the reader's language (English values sat under
   Chinese headers); the CLI's stay Chinese, as its other workbooks;
2. the 情景 sheet's as-of date is an Excel date and its period a number (both were text), as are
   the coverage 说明 sheet's;
3. the self-check form's workbook lists the facts entered, in the reader's words and with units;
4. the self-check says 符合 / Eligible as every other page (``policy.status_eligible``), never 可享受.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import api_ok
from tests.web.test_policy_check import BASE, _token
from tests.web.test_policy_check_api import FIRM, URL
from zonebrain.web._i18n import translate
from zonebrain.web._routes.policy_check_form import presence_facts

CJK = re.compile(r"[\u4e00-\u9fff]")
AS_OF = "2025-03-31"


def _book(content: bytes) -> openpyxl.Workbook:
    assert content[:2] == b"PK", content[:200]
    return openpyxl.load_workbook(io.BytesIO(content))


def _heads(book: openpyxl.Workbook) -> dict[str, list[str]]:
    return {ws.title: [str(c.value) for c in ws[1]] for ws in book.worksheets}


def _items(book: openpyxl.Workbook, sheet: str) -> dict[Any, Any]:
    """An item/value sheet's cells: item → the value's cell (to read its value and its type)."""
    ws = book[sheet]
    return {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}


def _whatif(c: TestClient) -> openpyxl.Workbook:
    body = {"as_of": AS_OF, "rates_pct": {"zz-rd-input.rate": "3"}}
    r = c.post("/api/v1/policy/whatif?format=xlsx", json=body)
    assert r.status_code == 200, r.text
    return _book(r.content)


# ---- 1. headers in the reader's language ----------------------------------------------------------


def test_the_whatif_workbook_is_headed_in_english_for_an_english_reader(
    english: dict[str, TestClient],
) -> None:
    book = _whatif(english["researcher"])
    heads = _heads(book)
    for title, row in heads.items():
        assert not [h for h in row if CJK.search(h) or "_" in h], (title, row)  # English, no raw codes
    assert "Amount granted, baseline (yuan)" in heads["总体 totals"]
    assert heads["情景 scenario"] == ["Item", "Value"]
    items = _items(book, "情景 scenario")
    assert {"As-of date", "Year assessed", "Baseline run", "Change"} <= set(items)
    assert items["Change"].value.endswith("Award rate: 2% → 3%")  # the change in the reader's words too


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_column_the_sheets_know_has_a_header_in_both_languages(lang: str) -> None:
    from zonebrain.web._i18n import translator
    from zonebrain.web._queries import policy_analysis as q

    columns = [*q._PLAIN, *q._STATUSES]
    columns += [f"{base}_{side}" for base in q._BASES for side in q._SIDES]
    heads = q.excel_headers(columns, translator(lang))
    assert set(heads) == set(columns)
    assert not [h for h in heads.values() if "policy_xlsx" in h or "policy.status" in h], heads
    if lang == "en":
        assert not [h for h in heads.values() if CJK.search(h)], heads
    assert heads["eligible"] == translate(lang, "policy.status_eligible")  # the shared status words
    assert q.excel_headers(columns) == q.excel_headers(columns, translator("zh-CN"))  # the CLI's: Chinese


def test_the_whatif_workbook_stays_chinese_for_a_chinese_reader(clients: dict[str, TestClient]) -> None:
    heads = _heads(_whatif(clients["researcher"]))
    assert "兑现金额 基线(元)" in heads["总体 totals"] and heads["情景 scenario"] == ["项目", "取值"]
    for title, row in heads.items():
        assert not [h for h in row if re.search(r"[A-Za-z]", h)], (title, row)


def test_the_coverage_workbook_is_headed_and_worded_in_english(
    shared_flow_users: dict[str, TestClient], shared_flow_run_id: str
) -> None:
    c = shared_flow_users["leader"]
    c.cookies.set("zb_lang", "en")
    try:
        book = _book(c.get(f"/api/v1/policy/coverage?format=xlsx&run={shared_flow_run_id}").content)
    finally:
        c.cookies.delete("zb_lang")
    heads = _heads(book)
    for title, row in heads.items():
        assert not [h for h in row if CJK.search(h) or "_" in h], (title, row)
    assert heads["决定情况 decisions"][:5] == [
        "Policy code",
        "Policy",
        "Decisions",
        "Eligible",
        "Not eligible",
    ]
    missing = book["缺失字段 missing"]
    fields = [row[1] for row in missing.iter_rows(min_row=2, values_only=True)]
    assert fields and not [f for f in fields if f and CJK.search(str(f))], fields  # Tax paid (2024)
    clauses = book["条款覆盖 clauses"]
    at = heads["条款覆盖 clauses"].index("Data the enterprise must declare")
    declared = [row[at] for row in clauses.iter_rows(min_row=2, values_only=True) if row[at]]
    assert declared and not [d for d in declared if CJK.search(str(d))], declared


# ---- 2. typed values in the item/value sheets -------------------------------------------------------


def test_the_scenario_sheet_holds_a_date_and_a_number(clients: dict[str, TestClient]) -> None:
    items = _items(_whatif(clients["researcher"]), "情景 scenario")
    as_of, period = items["基准日"], items["考核年度"]
    assert as_of.is_date and as_of.value == dt.datetime(2025, 3, 31) and as_of.number_format == "yyyy-mm-dd"
    assert period.data_type == "n" and period.value == 2024
    assert items["调整"].data_type == "s"  # the rest stays text


def test_the_coverage_about_sheet_holds_a_date_and_a_number(
    shared_flow_users: dict[str, TestClient], shared_flow_run_id: str
) -> None:
    c = shared_flow_users["leader"]
    book = _book(c.get(f"/api/v1/policy/coverage?format=xlsx&run={shared_flow_run_id}").content)
    about = _items(book, "说明 about")
    assert about["测算 run"].value == shared_flow_run_id
    assert about["基准日 as-of date"].is_date and about["基准日 as-of date"].value == dt.datetime(2025, 3, 31)
    assert about["考核年度 period"].data_type == "n" and about["考核年度 period"].value == 2024


# ---- 3. the self-check form's workbook says what it was computed from ------------------------------


def _form(c: TestClient, **changes: str) -> openpyxl.Workbook:
    tags, events = presence_facts()
    hitech = tags.index("高新技术企业")
    moved = next(i for i, (kind, _) in enumerate(events) if kind == "迁入")
    data = {
        **BASE,
        "registered_on": "2015-06-01",
        "revenue_fen_1": "6500.5",
        "employees_0": "1200",
        f"tag_{hitech}": "1",
        f"tag_since_{hitech}": "2021-11-30",
        f"event_{moved}": "2023-04-18",
        f"event_detail_{moved}": "自星野市迁入",
        **changes,
        "csrf_token": _token(c),
    }
    r = c.post("/policy/check/export", data=data)
    assert r.status_code == 200, r.text[:500]
    return _book(r.content)


def _facts(book: openpyxl.Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return list(book[sheet].iter_rows(min_row=3, values_only=True))


def test_the_form_s_workbook_lists_the_facts_entered(clients: dict[str, TestClient]) -> None:
    book = _form(clients["investor"])
    assert book.sheetnames[1] == "填报数据" and book.active is book.worksheets[0]  # the results first
    ws = book["填报数据"]
    assert ws["A1"].value == "自测表填报的数据 · 2024年度"
    assert [c.value for c in ws[2]] == ["类别", "项目", "年度", "取值", "单位", "说明"]
    rows = {(r[1], r[2]): r for r in _facts(book, "填报数据")}
    assert rows["考核年度", None][3] == 2024
    assert rows["注册地行政区划代码", None][3] == "410172160"  # a code stays text
    assert rows["登记状态", None][3] == "在业"
    assert rows["成立日期", None][3] == dt.datetime(2015, 6, 1)
    assert rows["营业收入", 2024][2:] == (2024, 8000, "万元", "考核年度")
    assert rows["营业收入", 2023][3:5] == (Decimal("6500.5"), "万元")  # exact, as entered
    assert rows["参保人数", 2024][3:5] == (80, "人")
    assert rows["从业人员", 2024][3] == 1200
    assert rows["高新技术企业", None][3:] == (dt.datetime(2021, 11, 30), None, "认定日期")
    assert rows["迁入", None][3:] == (dt.datetime(2023, 4, 18), None, "自星野市迁入")
    assert ("纳税总额", 2023) not in rows  # only what was entered
    cells = {(r[1].value, r[2].value): r for r in ws.iter_rows(min_row=3)}
    revenue = cells["营业收入", 2023][3]
    assert revenue.data_type == "n" and revenue.number_format == "#,##0.00####"
    assert cells["成立日期", None][3].is_date and cells["营业收入", 2024][2].number_format == "0"


def test_the_form_s_facts_follow_the_reader_s_language_and_unit(english: dict[str, TestClient]) -> None:
    book = _form(english["investor"], unit="元", revenue_fen_0="80000000.25", revenue_fen_1="65000000")
    assert book.sheetnames[1] == "Facts entered"
    ws = book["Facts entered"]
    assert [c.value for c in ws[2]] == ["Part of the form", "Fact", "Year", "Value", "Unit", "Note"]
    rows = {(r[1], r[2]): r for r in _facts(book, "Facts entered")}
    assert rows["Revenue", 2024][3:6] == (Decimal("80000000.25"), "yuan", "year assessed")
    assert rows["Registry status", None][3] == "Operating"
    assert rows["Insured employees", 2024][3:5] == (80, "people")
    assert rows["High-tech enterprise", None][5] == "Recognised on"
    assert rows["Moved in", None][3] == dt.datetime(2023, 4, 18)
    texts = [v for r in rows.values() for v in (r[0], r[1], r[4], r[5]) if isinstance(v, str)]
    assert not [x for x in texts if CJK.search(x) and x != "自星野市迁入"], texts  # the detail as typed


def test_the_uscc_workbook_has_no_facts_sheet(clients: dict[str, TestClient], demo: Any) -> None:
    r = clients["researcher"].get(f"/api/v1/policy/check/{demo.own_firm}?format=xlsx")
    assert len(_book(r.content).sheetnames) == 1  # the warehouse's data: nothing was entered


# ---- 4. the self-check's status words are the product's ---------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_self_check_says_eligible_as_every_page(clients: dict[str, TestClient], lang: str) -> None:
    c = clients["investor"]
    word = translate(lang, "policy.status_eligible")  # 符合 / Eligible, as policy run and the results
    c.cookies.set("zb_lang", lang)
    try:
        page = c.post("/policy/check", data={**BASE, "csrf_token": _token(c)}).text
        assert f'<span class="badge eligible">{word}</span>' in page and "可享受" not in page
        book = _book(c.post("/policy/check/export", data={**BASE, "csrf_token": _token(c)}).content)
        rows = list(book.worksheets[0].iter_rows(min_row=3, values_only=True))
        award = next(row for row in rows if row[0] == "zz-rd-input" and row[2] == "award")
        assert award[5] == word
        got = api_ok(c.post(URL, json=FIRM))
        eligible = [x["status_text"] for x in got["results"] if x["status"] == "eligible"]
        assert eligible and set(eligible) == {word}
    finally:
        c.cookies.delete("zb_lang")
