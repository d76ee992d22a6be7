"""企业自查: the year is checked once (``pol.self_check`` gives the provisional warning back), and
the Excel files say what the page says beside the table: the provisional warning of a year not
over yet, and why a firm has no rows, each on a row of its own between the title and the headers."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web._policy_pages import detail, field_error
from tests.web.conftest import Demo, api_error, api_ok
from tests.web.test_policy_check import BASE, _token
from tests.web.test_policy_check_api import URL, _with
from zonebrain import policy as pol
from zonebrain.core.clock import beijing_today
from zonebrain.policy import _cases
from zonebrain.storage import open_warehouse

LATEST = 2024
"""The demo zone's latest year with data."""


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def _warning() -> str:
    today = beijing_today()
    return pol.provisional_text(today, today.year)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every period checked, by the web (``pol.self_check_period``) or inside ``pol.self_check``."""
    seen: list[int] = []
    real = _cases.self_check_period

    def counting(lib: pol.Library, period: int, today: dt.date | None = None) -> str | None:
        seen.append(period)
        return real(lib, period, today)

    monkeypatch.setattr(_cases, "self_check_period", counting)
    monkeypatch.setattr(pol, "self_check_period", counting)
    return seen


# ---- the year is checked once ------------------------------------------------------------------


def _post(c: TestClient, checks: list[int], **changes: str) -> tuple[int, str]:
    """The page's form posted, counting only its own checks (getting the token shows the page,
    which for an enterprise user is its firm's result: a check of its own)."""
    token = _token(c)
    checks.clear()
    r = c.post("/policy/check", data={**BASE, **changes, "csrf_token": token})
    return r.status_code, r.text


def test_by_uscc_the_year_is_checked_once(
    clients: dict[str, TestClient], demo: Demo, checks: list[int]
) -> None:
    year = beijing_today().year
    body = api_ok(clients["admin"].get(f"/api/v1/policy/check/{demo.wutong_firm}?period={year}"))
    assert body["provisional"] == _warning() and body["rows"]
    assert checks == [year]
    checks.clear()
    page = clients["admin"].get(f"/policy/check?uscc={demo.wutong_firm}&period={year}")
    assert f'id="provisional-note">{_warning()}<' in page.text and checks == [year]
    checks.clear()
    api_error(
        clients["admin"].get(f"/api/v1/policy/check/{demo.wutong_firm}?period=2030"), 400, "invalid_input"
    )
    assert checks == [2030]


def test_a_form_s_year_is_checked_once(clients: dict[str, TestClient], checks: list[int]) -> None:
    year = beijing_today().year
    status, html = _post(clients["firm"], checks, period=str(year))
    assert status == 200 and f'id="provisional-note">{_warning()}<' in html and checks == [year]
    checks.clear()
    assert api_ok(clients["firm"].post(URL, json={**_with(), "period": year}))["provisional"] == _warning()
    assert checks == [year]
    checks.clear()
    status, html = _post(clients["firm"], checks, period="2030")  # refused by the evaluation's own check
    assert status == 422 and "2030 年度尚未开始" in field_error(html, "period") and checks == [2030]


def test_a_refused_year_is_shown_with_the_other_errors(
    clients: dict[str, TestClient], checks: list[int]
) -> None:
    """A form not evaluated (another field is wrong) still has its year checked, once, beside it."""
    status, html = _post(clients["firm"], checks, period="2030", revenue_fen_0="abc")
    assert status == 422
    assert "2030 年度尚未开始" in field_error(html, "period") and field_error(html, "revenue_fen_0")
    assert checks == [2030]
    checks.clear()
    r = clients["firm"].post(URL, json={**_with(revenue="8000"), "period": 2019})  # no unit
    api_error(r, 422, "validation_error")
    found = detail(r)
    assert "政策自 2022 年度起适用" in found[("body", "period")] and ("body", "current", "revenue") in found
    assert checks == [2019]
    checks.clear()
    r = clients["firm"].post(URL, json={**_with(), "period": 2030, "tags": [{"tag": "no such tag"}]})
    api_error(r, 422, "validation_error")
    found = detail(r)
    assert "2030 年度尚未开始" in found[("body", "period")] and ("body", "tags", "0", "tag") in found
    assert checks == [2030]


# ---- the Excel files -----------------------------------------------------------------------------


def test_the_excel_of_a_year_not_over_says_it_is_provisional(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    c = clients["admin"]
    year = beijing_today().year
    table = _sheet(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period={year}&format=xlsx").content)
    assert table[0][0].endswith(f"{year}年度")  # the title, as ever
    assert table[1][0] == f"注意：{_warning()}" and not any(table[1][1:]), table[1]
    assert table[2][:2] == ("政策代码", "政策") and len(table) > 3  # the headers, then the rows
    c.cookies.set("zb_lang", "en")
    try:
        table = _sheet(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period={year}&format=xlsx").content)
    finally:
        c.cookies.delete("zb_lang")
    assert table[1][0] == f"Note: {_warning()}" and table[2][:2] == ("Policy id", "Policy")
    # a year that is over: no note, the headers on the second row as before
    table = _sheet(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period={LATEST}&format=xlsx").content)
    assert table[1][:2] == ("政策代码", "政策")


def test_the_form_s_excel_says_it_is_provisional(clients: dict[str, TestClient]) -> None:
    c = clients["researcher"]
    year = beijing_today().year
    data = {**BASE, "period": str(year), "csrf_token": _token(c)}
    r = c.post("/policy/check/export", data=data)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    assert 'filename="policy_check_' in r.headers["content-disposition"]
    table = _sheet(r.content)
    assert table[1][0] == f"注意：{_warning()}" and table[2][:2] == ("政策代码", "政策")
    award = next(row for row in table if row[0] == "zz-rd-input" and row[2] == "award")
    assert award[5] == "符合" and award[6] == 120000, award  # the amounts as exact as ever (600万 × 2%)
    r = c.post("/policy/check/export", data={**BASE, "csrf_token": _token(c)})
    assert _sheet(r.content)[1][:2] == ("政策代码", "政策")  # 2024 is over: no note
    # a form with an error comes back as the form, the error beside its field (QA: a bare 400 page)
    r = c.post("/policy/check/export", data={**BASE, "period": "20x4", "csrf_token": _token(c)})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'id="form-industry_code"' in r.text and "field-error" in r.text, r.text[:500]


def test_the_excel_of_a_firm_without_rows_says_why(clients: dict[str, TestClient], demo: Demo) -> None:
    with open_warehouse(demo.warehouse, read_only=True) as wh:  # registered in the latest year
        ent = wh.table("enterprises")
        late = ent.filter(ent.registered_on.year() == LATEST).order_by("uscc")
        row = wh.to_arrow(late.select("uscc", "registered_on").limit(1)).to_pylist()[0]
    uscc, reason = row["uscc"], pol.registered_after_text(row["registered_on"], LATEST - 1)
    assert reason
    c = clients["admin"]
    assert api_ok(c.get(f"/api/v1/policy/check/{uscc}?period={LATEST - 1}"))["note"] == reason
    table = _sheet(c.get(f"/api/v1/policy/check/{uscc}?period={LATEST - 1}&format=xlsx").content)
    assert table[1][0] == f"没有结果：{reason}" and re.search(r"晚于 \d{4} 年度", table[1][0])
    assert table[2][:2] == ("政策代码", "政策") and len(table) == 3  # the headers, and no rows
