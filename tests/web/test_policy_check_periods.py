"""企业自查 and the year assessed: a blank year is the latest with data, a year not begun or before
the policies apply is refused in words for the enterprise (the form kept, the reason beside the
year), the current year is provisional with the run pages' warning; and what the page and the API
say beside the rows: why there are none, what was already paid (and the Excel's columns for it).

Most tests use the session's demo app; the paid awards a private copy with a batch paid."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._policy_pages import detail, field_error, publicized
from tests.web.conftest import Demo, api_error, api_ok, logged_in, private_app, run_now
from tests.web.test_policy_check import BASE, _submit
from tests.web.test_policy_check_api import URL, _with
from zonebrain import policy as pol
from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError
from zonebrain.disbursement import LedgerEntry
from zonebrain.storage import open_warehouse
from zonebrain.web._context import WebContext

LATEST = 2024
"""The demo zone's latest year with data."""
FIRST = 2022
"""The year the built-in library's policies apply from (parameters and effective dates)."""


def _api(c: TestClient, uscc: str, period: object) -> Any:
    return c.get(f"/api/v1/policy/check/{uscc}?period={period}")


def _uscc_error(html: str) -> str:
    """The message beside the USCC form's year."""
    found = re.search(
        r'<span class="error field-error" role="alert" id="error-check-uscc-period"[^>]*>(.*?)</span>', html
    )
    assert found, html[:3000]
    return found.group(1)


def _xlsx(content: bytes) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


# ---- F1: a blank year is the latest with data ---------------------------------------------------


def test_a_blank_year_is_the_latest_with_data(clients: dict[str, TestClient], demo: Demo) -> None:
    c = clients["admin"]
    page = c.get(f"/policy/check?uscc={demo.wutong_firm}&period=")  # what a browser sends for the box
    assert page.status_code == 200, page.text[:2000]
    assert 'id="check-result"' in page.text and f"{LATEST}年度" in page.text
    assert re.search(rf'id="check-uscc-period"[^>]*value="{LATEST}"', page.text)
    blank = api_ok(_api(c, demo.wutong_firm, ""))
    latest = api_ok(_api(c, demo.wutong_firm, LATEST))
    assert blank["rows"] and blank == latest
    assert api_ok(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period=%20")) == latest
    own = clients["firm"].get("/policy/check?period=")  # an enterprise user: its own firm
    assert own.status_code == 200 and 'id="check-result"' in own.text
    api_error(_api(c, demo.wutong_firm, "abc"), 422, "validation_error")  # not a year: still refused


# ---- F2: a year not begun is refused; the current year is provisional ----------------------------


def test_a_year_not_begun_is_refused_in_the_api(clients: dict[str, TestClient], demo: Demo) -> None:
    today = beijing_today()
    for year in (today.year + 1, 2030):
        msg = api_error(_api(clients["admin"], demo.wutong_firm, year), 400, "invalid_input")
        assert msg.startswith(f"{year} 年度尚未开始") and f"has not begun: choose {today.year}" in msg, msg
        assert "完税证明" not in msg
    # the firm's scope is checked first: another firm's USCC is still 403, whatever the year
    api_error(_api(clients["firm"], demo.wutong_firm, 2030), 403, "forbidden")


def test_a_year_not_begun_shows_the_form_again_with_the_reason(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    r = clients["admin"].get(f"/policy/check?uscc={demo.wutong_firm}&period=2030")
    assert r.status_code == 400 and 'id="check-result"' not in r.text
    assert "尚未开始" in _uscc_error(r.text)
    assert re.search(r'id="check-uscc"[^>]*value="' + demo.wutong_firm, r.text)  # the values kept
    assert re.search(r'id="check-uscc-period"[^>]*value="2030"[^>]*aria-invalid="true"', r.text)
    own = clients["firm"].get("/policy/check?period=2030")
    assert own.status_code == 400 and "尚未开始" in _uscc_error(own.text)
    assert 'id="check-form"' in own.text  # the rest of the page is there, as ever


def test_a_filled_in_form_for_a_year_not_begun_is_an_error_beside_the_year(
    clients: dict[str, TestClient],
) -> None:
    status, html = _submit(clients["firm"], period="2030")
    assert status == 422 and 'id="check-result"' not in html
    text = field_error(html, "period")
    assert text.startswith("考核年度") and "2030 年度尚未开始" in text and "has not begun" in text
    assert 'id="form-revenue_fen_0" maxlength="40" inputmode="decimal" value="8000"' in html  # kept
    r = clients["firm"].post(URL, json={**_with(), "period": 2030})
    api_error(r, 422, "validation_error")
    assert "2030 年度尚未开始" in detail(r)[("body", "period")]


def test_the_current_year_is_provisional_with_the_run_pages_warning(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    today = beijing_today()
    warning = pol.provisional_text(today, today.year)  # as a run as of today for this year says it
    assert "尚未结束, 结果为暂定" in warning
    body = api_ok(_api(clients["admin"], demo.wutong_firm, today.year))
    assert body["provisional"] == warning
    page = clients["admin"].get(f"/policy/check?uscc={demo.wutong_firm}&period={today.year}")
    assert page.status_code == 200 and f'<p class="warn" id="provisional-note">{warning}</p>' in page.text
    status, html = _submit(clients["firm"], period=str(today.year))
    assert status == 200 and f'id="provisional-note">{warning}<' in html
    assert api_ok(clients["firm"].post(URL, json={**_with(), "period": today.year}))["provisional"] == warning
    # a year that is over is not provisional
    assert api_ok(_api(clients["admin"], demo.wutong_firm, LATEST))["provisional"] is None
    assert api_ok(clients["firm"].post(URL, json=_with()))["provisional"] is None
    assert 'id="provisional-note"' not in clients["admin"].get(f"/policy/check?uscc={demo.wutong_firm}").text


# ---- F3: a year before the policies apply, said for the enterprise --------------------------------


def test_a_year_before_the_policies_apply_says_so_for_the_enterprise(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    msg = api_error(_api(clients["admin"], demo.wutong_firm, 2019), 400, "invalid_input")
    assert msg.startswith(f"政策自 {FIRST} 年度起适用") and f"the policies apply from {FIRST}" in msg, msg
    assert "policy.yaml" not in msg and "since" not in msg and "参数" not in msg
    r = clients["admin"].get(f"/policy/check?uscc={demo.wutong_firm}&period=2019")
    assert r.status_code == 400 and f"政策自 {FIRST} 年度起适用" in _uscc_error(r.text)
    assert re.search(r'id="check-uscc-period"[^>]*value="2019"', r.text)
    status, html = _submit(clients["firm"], period="2019")
    assert status == 422 and f"政策自 {FIRST} 年度起适用" in field_error(html, "period")
    assert (
        'id="form-division_code" maxlength="12" inputmode="numeric" placeholder="410172160" value="410172160"'
        in html
    )
    r = clients["firm"].post(URL, json={**_with(), "period": 2019})
    api_error(r, 422, "validation_error")
    assert f"政策自 {FIRST} 年度起适用" in detail(r)[("body", "period")]
    # the first year they apply is checked as usual
    assert api_ok(_api(clients["admin"], demo.wutong_firm, FIRST))["rows"]


def _form(period: int) -> pol.Form:
    firm = {
        "enterprise": {"division_code": BASE["division_code"]},
        "years": {period: {"revenue_fen": "8000万"}},
    }
    return pol.Form.model_validate({"period": period, "firm": firm})


def test_the_library_refuses_the_year_and_leaves_out_a_policy_not_yet_in_force(tmp_path: Path) -> None:
    today = dt.date(2026, 11, 30)
    lib = pol.load_library()
    with pytest.raises(InputError, match=f"^政策自 {FIRST} 年度起适用"):
        pol.self_check(None, lib, 0, form=_form(2021), today=today)
    with pytest.raises(InputError, match=r"^2027 年度尚未开始"):
        pol.self_check(None, lib, 0, form=_form(2027), today=today)
    assert pol.self_check_period(lib, 2026, today) == pol.provisional_text(today, 2026)
    assert pol.self_check_period(lib, 2025, today) is None
    # one policy in force from 2025 only: left out of 2024, the others still checked
    folder = tmp_path / "library"
    shutil.copytree(pol.LIBRARY, folder)
    path = folder / "zz-hitech-first-cert.policy.yaml"
    text = path.read_text(encoding="utf-8")
    assert "effective_from: 2022-01-01" in text
    path.write_text(
        text.replace("effective_from: 2022-01-01", "effective_from: 2025-01-01"), encoding="utf-8"
    )
    later = pol.load_library(folder)
    policies = set(pol.self_check(None, later, 0, form=_form(2024), today=today)["policy_id"].to_pylist())
    assert "zz-hitech-first-cert" not in policies and "zz-rd-input" in policies
    policies = set(pol.self_check(None, later, 0, form=_form(2025), today=today)["policy_id"].to_pylist())
    assert "zz-hitech-first-cert" in policies


# ---- F10: no rows, and why -------------------------------------------------------------------


@pytest.fixture(scope="module")
def late_firm(demo: Demo) -> tuple[str, dt.date]:
    """A firm registered in the latest year with data: it has no result for the year before."""
    with open_warehouse(demo.warehouse, read_only=True) as wh:
        ent = wh.table("enterprises")
        late = ent.filter(ent.registered_on.year() == LATEST).order_by("uscc")
        row = wh.to_arrow(late.select("uscc", "registered_on").limit(1)).to_pylist()[0]
    return str(row["uscc"]), row["registered_on"]


def test_no_rows_come_with_the_reason_and_no_summary(
    clients: dict[str, TestClient], late_firm: tuple[str, dt.date]
) -> None:
    uscc, registered = late_firm
    reason = pol.registered_after_text(registered, LATEST - 1)
    assert reason and f"晚于 {LATEST - 1} 年度" in reason
    body = api_ok(_api(clients["admin"], uscc, LATEST - 1))
    assert body["rows"] == [] and body["total"] == 0 and body["note"] == reason
    assert api_ok(_api(clients["admin"], uscc, LATEST))["note"] is None  # rows: nothing to explain
    page = clients["admin"].get(f"/policy/check?uscc={uscc}&period={LATEST - 1}")
    assert page.status_code == 200 and f'id="check-absent">{reason}<' in page.text
    assert 'id="check-summary"' not in page.text


# ---- F8, F9: the Excel's columns -----------------------------------------------------------------


def test_the_excel_names_the_code_column_and_has_the_paid_columns(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    c = clients["admin"]
    heads = _xlsx(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period={LATEST}&format=xlsx").content)[1]
    assert heads[:2] == ("政策代码", "政策") and len(set(heads)) == len(heads), heads
    assert {"已兑现金额 (元)", "台账号", "批次"} <= set(heads), heads
    c.cookies.set("zb_lang", "en")
    try:
        heads = _xlsx(c.get(f"/api/v1/policy/check/{demo.wutong_firm}?period={LATEST}&format=xlsx").content)[
            1
        ]
    finally:
        c.cookies.delete("zb_lang")
    assert heads[:2] == ("Policy id", "Policy") and "Amount paid (yuan)" in heads, heads


@pytest.fixture(scope="module")
def paid_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "checkpaid") as a:
        yield a


@pytest.fixture(scope="module")
def paid(paid_app: FastAPI) -> Iterator[tuple[dict[str, TestClient], list[LedgerEntry]]]:
    """The run of the demo zone paid in one batch: the clients and the ledger's entries."""
    with logged_in(paid_app, ["admin", "researcher"]) as users:
        ctx: WebContext = paid_app.state.zonebrain
        d, b = publicized(ctx, str(run_now(users["researcher"])["run_id"]))
        researcher, leader, admin = (ctx.store.users.get(n) for n in ("researcher", "leader", "admin"))
        assert researcher and leader and admin
        b = d.close_publicity(leader, b.id, reason="测试", expected_version=b.version)
        b = d.approve(admin, b.id, expected_version=b.version)
        assert d.pay(researcher, b.id).paid
        yield users, list(d.ledger.entries(batch_id=b.id))


def test_a_fully_paid_firm_summary_says_what_was_paid_and_excel_has_it(
    paid: tuple[dict[str, TestClient], list[LedgerEntry]],
) -> None:
    users, entries = paid
    c = users["admin"]
    by_firm: dict[str, list[LedgerEntry]] = {}
    for e in entries:
        by_firm.setdefault(e.uscc, []).append(e)
    # a firm whose every eligible award is paid (nothing still available), with two awards or more
    chosen = None
    for uscc, mine in sorted(by_firm.items(), key=lambda kv: -len(kv[1])):
        rows = api_ok(_api(c, uscc, LATEST))["rows"]
        if not any(r["status"] == "eligible" and not r["history"] for r in rows):
            chosen = (uscc, mine, rows)
            break
    assert chosen, "no fully paid firm"
    uscc, mine, rows = chosen
    paid_rows = [r for r in rows if r["history"] == "paid"]
    assert len(paid_rows) == len(mine)
    assert {
        (r["policy_id"], r["clause_id"], r["paid_fen"], r["ledger_entry"], r["history_batch"])
        for r in paid_rows
    } == {(e.policy_id, e.clause_id, e.amount_fen, e.id, e.batch_id) for e in mine}
    total = sum(e.amount_fen for e in mine)
    page = c.get(f"/policy/check?uscc={uscc}&period={LATEST}").text
    summary = re.search(r'id="check-summary">(.*?)</p>', page, re.S)
    assert summary and "符合 0 条" in summary.group(1), page[:3000]
    yuan = f"{Decimal(total) / 100:,.2f}"
    assert f'id="check-summary-paid">已兑现 {len(mine)} 条，合计 {yuan} 元。<' in summary.group(1)
    # the Excel: the amount paid (exact 元), the ledger entry and the batch of each paid award
    content = c.get(f"/api/v1/policy/check/{uscc}?period={LATEST}&format=xlsx").content
    table = _xlsx(content)
    heads = list(table[1])
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert ws is not None
    paid = [ws.cell(r, heads.index("已兑现金额 (元)") + 1) for r in range(3, ws.max_row + 1)]
    assert {p.number_format for p in paid if p.value is not None} == {"#,##0.00"}  # QA: #,##0.00####
    at = {name: heads.index(name) for name in ("政策代码", "条款", "已兑现金额 (元)", "台账号", "批次")}
    got = {
        (row[at["政策代码"]], row[at["条款"]]): (
            row[at["已兑现金额 (元)"]],
            row[at["台账号"]],
            row[at["批次"]],
        )
        for row in table[2:]
        if row[at["台账号"]] is not None
    }
    assert got == {(e.policy_id, e.clause_id): (Decimal(e.amount_fen) / 100, e.id, e.batch_id) for e in mine}
