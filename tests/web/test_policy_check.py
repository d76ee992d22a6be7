"""企业自查 (/policy/check): scoping by role, the filled-in form's exact amounts at a boundary,
待核实 naming the missing field, inline errors, CSRF, exports and the navigation link."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo
from zonebrain import policy as pol
from zonebrain.storage import open_warehouse

PERIOD = 2024
BASE = {
    "period": str(PERIOD),
    "unit": "万元",
    "division_code": "410172160",
    "status": "在业",
    "revenue_fen_0": "8000",
    "tax_fen_0": "300",
    "insured_employees_0": "80",
    "rd_expense_fen_0": "600",
}
"""A firm the family's 第一条 supports (registered, taxed and counted in the zone, operating)."""


def _token(c: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/policy/check").text)
    assert found
    return found.group(1)


def _row(html: str, policy: str, clause: str) -> tuple[str, str, str]:
    """(status, amount in 元 as shown, missing data cell) of one clause's row on the page."""
    m = re.search(
        rf'<tr class="status-\w+" id="check-{policy}-{clause}" data-status="(\w+)">(.*?)</tr>', html, re.S
    )
    assert m, html[:2000]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", m.group(2), re.S)
    return m.group(1), cells[4].strip(), cells[5]


def _submit(c: TestClient, **changes: str) -> tuple[int, str]:
    data = {**BASE, **changes, "csrf_token": _token(c)}
    data = {k: v for k, v in data.items() if v is not None}
    r = c.post("/policy/check", data=data)
    return r.status_code, r.text


# ---- by USCC: who may see which firm --------------------------------------------------------


def test_enterprise_user_sees_its_own_result_and_no_other(clients: dict[str, TestClient], demo: Demo) -> None:
    firm = clients["firm"]
    page = firm.get("/policy/check")
    assert page.status_code == 200 and 'id="check-result"' in page.text
    assert f'id="check-own-uscc">{demo.own_firm}<' in page.text  # fixed to its own USCC, no free field
    assert 'id="check-uscc"' not in page.text
    year = int(re.search(r'id="check-uscc-period"[^>]*value="(\d{4})"', page.text).group(1))  # type: ignore[union-attr]
    # the same statuses and amounts as the library's own self-check over the warehouse
    with open_warehouse(demo.warehouse, read_only=True) as wh:
        expected = pol.self_check(wh, pol.load_library(), year, uscc=demo.own_firm).to_pylist()
    assert expected
    got = firm.get(f"/api/v1/policy/check/{demo.own_firm}?period={year}").json()["rows"]
    assert {(r["policy_id"], r["clause_id"], r["status"], r["amount_fen"]) for r in got} == {
        (r["policy_id"], r["clause_id"], r["status"], r["amount_fen"]) for r in expected
    }
    for r in expected:
        assert _row(page.text, r["policy_id"], r["clause_id"])[0] == r["status"]
    # another firm (even one that exists), as a page and as the API: refused, nothing shown
    r = firm.get(f"/policy/check?uscc={demo.wutong_firm}")
    assert r.status_code == 403 and 'id="check-result"' not in r.text
    err = firm.get(f"/api/v1/policy/check/{demo.wutong_firm}").json()["error"]
    assert err["code"] == "forbidden"
    assert firm.get("/api/v1/policy/check/91410100XXXXXXXX00").status_code == 403  # unknown: no 404 hint


def test_park_officer_only_its_park_and_investment_officer_form_only(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    officer = clients["parkofficer"]
    mine = officer.get(f"/policy/check?uscc={demo.wutong_firm}")
    assert mine.status_code == 200 and 'id="check-result"' in mine.text and demo.wutong_firm in mine.text
    assert officer.get(f"/policy/check?uscc={demo.own_firm}").status_code == 403  # 石佛, not 梧桐
    assert officer.get(f"/api/v1/policy/check/{demo.own_firm}").json()["error"]["code"] == "forbidden"
    # investment officers have no firm-level finance: refused by USCC, the form is theirs to use
    investor = clients["investor"]
    assert investor.get(f"/policy/check?uscc={demo.wutong_firm}").status_code == 403
    page = investor.get("/policy/check")
    assert page.status_code == 200 and 'id="check-no-finance"' in page.text and 'id="check-form"' in page.text
    assert 'id="check-uscc-form"' not in page.text
    # staff with the whole zone: any firm; an unknown one is 404
    assert clients["leader"].get(f"/policy/check?uscc={demo.own_firm}").status_code == 200
    assert (
        clients["admin"].get("/policy/check?uscc=91410100XXXXXXXX00").status_code == 404
    )  # a valid code no firm has


# ---- the filled-in form ---------------------------------------------------------------------


def test_form_rd_input_boundary_is_exact(clients: dict[str, TestClient]) -> None:
    c = clients["investor"]
    status, html = _submit(c, rd_expense_fen_0="500")  # exactly 500万元 (含) → 2% = 10万元
    assert status == 200
    assert _row(html, "zz-rd-input", "award")[:2] == ("eligible", "100,000.00")
    assert "符合 1 条，合计 100,000.00 元" in html
    status, html = _submit(c, unit="元", rd_expense_fen_0="4,999,999.99", revenue_fen_0="80000000")
    assert status == 200
    assert _row(html, "zz-rd-input", "award")[:2] == ("ineligible", "")  # one fen below
    status, html = _submit(c, rd_expense_fen_0="600")  # 2% of 600万元 = 12万元
    assert _row(html, "zz-rd-input", "award")[:2] == ("eligible", "120,000.00")


def test_form_blank_value_is_undetermined_naming_the_field(clients: dict[str, TestClient]) -> None:
    status, html = _submit(clients["firm"], rd_expense_fen_0="")
    assert status == 200
    st, amount, missing = _row(html, "zz-rd-input", "award")
    assert (st, amount) == ("undetermined", "")
    assert "2024年研发费用" in missing and "rd_expense_fen[2024]" in missing
    assert "2024年度研发费用加计扣除申报资料或研发费用专项审计报告" in missing  # what to provide
    assert "待核实" in html
    # the registry status blank too: both named, the family's 第一条 reads it
    _, _, missing = _row(_submit(clients["firm"], rd_expense_fen_0="", status="")[1], "zz-rd-input", "award")
    assert "登记状态" in missing and "2024年研发费用" in missing


def test_bad_money_value_is_an_inline_error_naming_the_field(clients: dict[str, TestClient]) -> None:
    status, html = _submit(clients["firm"], rd_expense_fen_0="12x")
    assert status == 422 and 'id="check-result"' not in html
    err = re.search(
        r'<span class="error field-error" role="alert" id="error-rd_expense_fen_0"[^>]*>(.*?)</span>', html
    )
    assert err, html
    text = err.group(1)
    assert text.startswith("考核年度研发费用") and "R&amp;D expense" in text and "不是数字" in text
    assert text.index("不是数字") < text.index("not a number")  # Chinese first, then English
    assert (
        'name="rd_expense_fen_0" id="form-rd_expense_fen_0" maxlength="40" inputmode="decimal" value="12x" aria-invalid="true"'
        in html
    )
    # a unit that contradicts the unit chosen is refused, not guessed
    status, html = _submit(clients["firm"], tax_fen_1="300元")
    assert status == 422 and 'id="error-tax_fen_1"' in html and "上一年度纳税总额" in html


def test_post_without_csrf_is_refused(clients: dict[str, TestClient], app: FastAPI) -> None:
    bare = TestClient(app)
    bare.cookies.update(clients["firm"].cookies)
    try:
        r = bare.post("/policy/check", data=BASE)
        assert r.status_code == 403 and "CSRF" in r.text
        assert bare.post("/policy/check/export", data=BASE).status_code == 403
        ok = bare.post("/policy/check", data={**BASE, "csrf_token": _token(clients["firm"])})
        assert ok.status_code == 200 and 'id="check-result"' in ok.text
    finally:
        bare.close()


def test_exports_and_english(clients: dict[str, TestClient], demo: Demo) -> None:
    c = clients["researcher"]
    r = c.post("/policy/check/export", data={**BASE, "rd_expense_fen_0": "500", "csrf_token": _token(c)})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    award = next(row for row in rows if row[0] == "zz-rd-input" and row[2] == "award")
    assert award[5] == "符合" and award[6] == 100000, award  # 元, exact (the row of 10万元)
    r = c.get(f"/api/v1/policy/check/{demo.own_firm}?format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    c.cookies.set("zb_lang", "en")
    try:
        _, html = _submit(c, rd_expense_fen_0="500")
        assert '<span class="badge eligible">Eligible</span>' in html
    finally:
        c.cookies.delete("zb_lang")


@pytest.mark.parametrize("name", ["firm", "admin", "investor", "parkofficer"])
def test_the_policy_section_links_to_it(clients: dict[str, TestClient], name: str) -> None:
    page = clients[name].get("/policy/verify" if name == "firm" else "/policy")
    assert 'href="/policy/check"' in page.text
