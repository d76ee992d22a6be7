"""企业自查, after a QA pass: a form's money message says 填写 (not 导入), dates after today are
refused naming their tag or event, the JSON API takes 元 and 万元 only (as the form), and an API
request without a session is told to log in (401) before its CSRF token is looked at."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._policy_pages import detail, field_error
from tests.web.conftest import api_error, api_ok
from tests.web.test_policy_check import _submit
from tests.web.test_policy_check_api import FIRM, URL, _with
from zonebrain.web._routes.policy_check import presence_facts

HTE_TAG = "高新技术企业"
HTE_EVENT = "高新技术企业首次认定"


def _beijing_today() -> dt.date:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()


# ---- money finer than a fen: the message fits a form as well as an import ---------------------


def test_finer_than_a_fen_asks_to_round_without_saying_import(clients: dict[str, TestClient]) -> None:
    status, html = _submit(clients["firm"], rd_expense_fen_0="600.0000001")
    assert status == 422
    text = field_error(html, "rd_expense_fen_0")
    assert text.startswith("考核年度研发费用") and "精确到分以下" in text and "请先四舍五入到分" in text
    assert "导入" not in text and "round to fen first" in text
    r = clients["firm"].post(URL, json=_with(rd_expense="600.0000001万元"))
    api_error(r, 422, "validation_error")
    msg = detail(r)[("body", "current", "rd_expense")]
    assert "请先四舍五入到分" in msg and "导入" not in msg


# ---- dates after today -------------------------------------------------------------------------


def test_an_event_or_a_tag_date_after_today_is_refused_naming_it(clients: dict[str, TestClient]) -> None:
    tags, events = presence_facts()
    kinds = [kind for kind, _ in events]
    assert HTE_TAG in tags and HTE_EVENT in kinds
    e, t = f"event_{kinds.index(HTE_EVENT)}", f"tag_since_{tags.index(HTE_TAG)}"
    status, html = _submit(clients["investor"], **{e: "2099-01-01"})
    assert status == 422
    text = field_error(html, e)
    assert text.startswith(HTE_EVENT) and "2099-01-01" in text and "晚于今天" in text
    assert text.index("晚于今天") < text.index("after today")  # Chinese first
    later = (_beijing_today() + dt.timedelta(days=2)).isoformat()
    status, html = _submit(clients["investor"], **{f"tag_{tags.index(HTE_TAG)}": "on", t: later})
    assert status == 422
    text = field_error(html, t)
    assert text.startswith(HTE_TAG) and later in text and "晚于今天" in text
    # today (in Beijing) has happened: accepted
    status, _ = _submit(clients["investor"], **{e: _beijing_today().isoformat()})
    assert status == 200


def test_the_api_refuses_dates_after_today_at_their_json_path(clients: dict[str, TestClient]) -> None:
    body = {
        **FIRM,
        "tags": [{"tag": HTE_TAG, "since": "2099-01-01"}],
        "events": [{"kind": HTE_EVENT, "date": "2099-01-01"}],
    }
    r = clients["firm"].post(URL, json=body)
    api_error(r, 422, "validation_error")
    found = detail(r)
    assert found[("body", "tags", "0", "since")].startswith(HTE_TAG)
    assert found[("body", "events", "0", "date")].startswith(HTE_EVENT)
    assert all("晚于今天" in m for m in found.values())


# ---- units: 元 and 万元 only, as on the form -----------------------------------------------------


def test_the_api_takes_yuan_and_wan_yuan_only(clients: dict[str, TestClient]) -> None:
    c = clients["firm"]
    for other in ("0.12亿元", "0.06亿", "6000千元", "60000000分"):
        r = c.post(URL, json=_with(rd_expense=other))
        api_error(r, 422, "validation_error")
        msg = detail(r)[("body", "current", "rd_expense")]
        assert msg.startswith("考核年度研发费用") and "元 或 万元" in msg and other in msg, msg
    # 万 is 万元 written short: the same unit, read as such
    award = [
        r for r in api_ok(c.post(URL, json=_with(rd_expense="600万")))["results"] if r["clause_id"] == "award"
    ]
    assert any(r["policy_id"] == "zz-rd-input" and r["amount_fen"] == 12_000_000 for r in award)


def test_the_form_offers_the_same_units(clients: dict[str, TestClient]) -> None:
    html = clients["firm"].get("/policy/check").text
    select = re.search(r'<select name="unit"[^>]*>(.*?)</select>', html, re.S)
    assert select, html[:3000]
    assert sorted(re.findall(r'<option value="([^"]+)"', select.group(1))) == ["万元", "元"]


# ---- no session: 401 before the CSRF check -----------------------------------------------------


def test_without_a_session_the_api_answers_not_authenticated(
    app: FastAPI, clients: dict[str, TestClient]
) -> None:
    anon = TestClient(app)
    try:
        api_error(anon.post(URL, json=FIRM), 401, "not_authenticated")  # no cookie at all
        api_error(anon.post(URL, json=FIRM, headers={"X-CSRF-Token": "forged"}), 401, "not_authenticated")
        anon.cookies.set("zb_session", "expired-or-forged")
        api_error(anon.post(URL, json=FIRM), 401, "not_authenticated")
        # a live session without its token is still refused by the CSRF check
        anon.cookies.clear()
        anon.cookies.update(clients["firm"].cookies)
        api_error(anon.post(URL, json=FIRM), 403, "csrf_failed")
        api_error(anon.post(URL, json=FIRM, headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    finally:
        anon.close()


# ---- the enterprise page of a role without the finance permission ------------------------------


def test_enterprise_page_without_finance_says_so_once_and_heads_no_table_with_the_name(
    clients: dict[str, TestClient], demo: Any
) -> None:
    html = clients["investor"].get(f"/enterprises/{demo.own_firm}").text
    name = re.search(r'<h1 id="enterprise-name">(.*?)</h1>', html)
    assert name
    assert html.count("您的角色不能查看企业财务数据") == 1, html
    assert "<h3>政策</h3>" not in html and 'id="finance-table"' not in html
    headings = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", html)
    assert [h for h in headings if name.group(1) in h] == [name.group(1)]  # the <h1> only
    assert "<h3>企业事件</h3>" in html and 'id="events-table"' in html
    # with the permission: the policy section, the finance table, no notice; headings as above
    html = clients["leader"].get(f"/enterprises/{demo.own_firm}").text
    assert "您的角色不能查看企业财务数据" not in html
    assert "<h3>政策</h3>" in html and 'id="enterprise-policy"' in html
    assert "<h3>历年财务</h3>" in html and "<h3>企业事件</h3>" in html
    # the Excel files keep the firm's name in their title
    r = clients["leader"].get(f"/api/v1/enterprises/{demo.own_firm}/events")
    assert name.group(1) in r.json()["title"]
