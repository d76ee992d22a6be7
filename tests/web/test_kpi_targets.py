"""Editing targets in the web app: who may (admin, leader, a park officer for their own park), CSRF,
exact values in the display unit, the history (page, JSON, Excel), the audit log, and the monitor.

A private app over a copy of the demo warehouse: these tests write targets.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, login, make_app

YEAR = 2024


@pytest.fixture(scope="module")
def app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp("kpitargets")
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    application = make_app(copy, folder)
    with TestClient(application):
        yield application


@pytest.fixture(scope="module")
def clients(app: FastAPI) -> Iterator[dict[str, TestClient]]:
    out = {}
    for name in USERS:
        c = TestClient(app)
        login(c, name)
        out[name] = c
    yield out
    for c in out.values():
        c.close()


def put(c: TestClient, park: str, ind: str, value: Any, reason: str = "年中调整", **extra: Any) -> Any:
    return c.put(f"/api/v1/kpi/targets/{park}/{ind}/{YEAR}", json={"value": value, "reason": reason, **extra})


def history(c: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = c.get("/api/v1/kpi/targets/history", params=params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    return rows


def test_leader_sets_a_target_exactly_in_the_display_unit(clients: dict[str, TestClient]) -> None:
    r = put(clients["leader"], "shifo", "revenue", "4,500.01")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["old_value"], body["new_value"], body["unit"], body["new_text"]) == (
        None,
        4_500_010_000,
        "fen",
        "4500.01",
    )
    assert body["changed"] and body["changed_by"] == "leader"
    again = put(clients["leader"], "shifo", "revenue", "4500.01", reason="重复")
    assert again.status_code == 200 and again.json()["changed"] is False  # nothing written
    r = put(clients["admin"], "shifo", "investment_signed", "12.5")  # 亿元
    assert r.json()["new_value"] == 125_000_000_000
    rows = {
        (x["park_id"], x["indicator"]): x
        for x in clients["investor"].get(f"/api/v1/kpi/targets?year={YEAR}").json()["rows"]
    }
    assert rows[("shifo", "revenue")]["value"] == 4_500_010_000
    assert rows[("shifo", "revenue")]["value_text"] == "4500.01"
    assert rows[("shifo", "revenue")]["set_by"] == "leader"
    assert rows[("shifo", "revenue")]["editable"] is False  # the investor reads, does not edit
    h = history(clients["researcher"], park="shifo", indicator="revenue")
    assert [(x["old_value"], x["new_value"], x["changed_by"], x["reason"], x["source"]) for x in h] == [
        (None, 4_500_010_000, "leader", "年中调整", "edit")
    ]


def test_park_officer_edits_only_their_own_park(clients: dict[str, TestClient], app: FastAPI) -> None:
    po = clients["parkofficer"]
    own = put(po, "wutong", "hitech_enterprises", "35")
    assert own.status_code == 200 and own.json()["new_value"] == 35
    other = put(po, "shifo", "revenue", "1")
    assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    assert "无权修改园区 石佛 的目标" in other.json()["error"]["message"]  # the park by name, not shifo
    body = po.post(
        "/api/v1/kpi/targets",
        json={"park_id": "shifo", "indicator": "revenue", "year": YEAR, "value": "1", "reason": "x"},
    )
    assert body.status_code == 403
    entries = app.state.zonebrain.store.audit.entries()
    got = {(e.action, e.username, e.target, e.outcome) for e in entries}
    assert ("kpi.target.set", "parkofficer", f"wutong/hitech_enterprises/{YEAR}", "ok") in got
    assert ("kpi.target.set", "parkofficer", f"shifo/revenue/{YEAR}", "forbidden") in got
    ok = next(e for e in entries if e.target == f"wutong/hitech_enterprises/{YEAR}")
    assert ok.detail["new"] == 35 and ok.detail["reason"] == "年中调整"


@pytest.mark.parametrize("role", ["investor", "researcher", "firm"])
def test_other_roles_may_not_edit(clients: dict[str, TestClient], role: str) -> None:
    r = put(clients[role], "wutong", "revenue", "100")
    assert r.status_code == 403 and set(r.json()) == {"error"}
    assert clients["firm"].get("/api/v1/kpi/targets").status_code == 403
    assert clients["firm"].get("/kpi/targets").status_code == 403


def test_csrf_is_required(app: FastAPI) -> None:
    with TestClient(app) as c:
        login(c, "leader")
        del c.headers["X-CSRF-Token"]
        r = put(c, "wutong", "revenue", "100")
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        page = c.post(
            "/kpi/targets",
            data={
                "park_id": "wutong",
                "indicator": "revenue",
                "year": str(YEAR),
                "value": "1",
                "reason": "x",
            },
        )
        assert page.status_code == 403
    assert not [h for h in history(_fresh(app), park="wutong", indicator="revenue") if h["reason"] == "x"]


def _fresh(app: FastAPI) -> TestClient:
    c = TestClient(app)
    login(c, "admin")
    return c


@pytest.mark.parametrize(
    ("value", "extra", "field", "text"),
    [
        ("四五", {}, "value", "不是数字"),
        ("0.0000001", {}, "value", "精确到分以下"),
        ("100元", {}, "value", "unit mismatch"),
        ("-3", {}, "value", "负数"),
        (12.5, {}, "value", ""),  # a float: refused by the schema (money must be sent as text)
        ("100", {"reason": "   "}, "reason", "修改原因"),
        ("100", {"unit": "美元"}, "value", "未知金额单位"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    clients: dict[str, TestClient], value: Any, extra: dict[str, str], field: str, text: str
) -> None:
    r = put(clients["admin"], "wutong", "revenue", value, **extra)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert any(field in d["loc"] for d in err["detail"]), err
    assert text in err["message"] or text in str(err["detail"])


def test_unknown_park_or_indicator_name_the_field(clients: dict[str, TestClient]) -> None:
    r = put(clients["admin"], "atlantis", "revenue", "1")
    assert r.status_code == 422 and r.json()["error"]["detail"][0]["loc"] == ["path", "park_id"]
    assert "未知园区" in r.json()["error"]["message"]
    r = put(clients["admin"], "wutong", "gdp", "1")
    assert r.status_code == 422 and r.json()["error"]["detail"][0]["loc"] == ["path", "indicator"]
    assert put(clients["admin"], "wutong", "revenue", "1").status_code == 200
    assert (
        clients["admin"]
        .put("/api/v1/kpi/targets/wutong/revenue/1999", json={"value": "1", "reason": "x"})
        .status_code
        == 422
    )


def test_the_page_form_edits_and_shows_the_history(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    page = c.get(f"/kpi/targets?year={YEAR}&park=gouzhao&indicator=tax")
    assert page.status_code == 200
    assert 'id="target-form"' in page.text and 'name="csrf_token"' in page.text
    assert '<option value="gouzhao" selected>' in page.text
    assert "工业增加值率 25%" in page.text  # the assumption is stated
    token = c.headers["X-CSRF-Token"]
    form = {
        "park_id": "gouzhao",
        "indicator": "tax",
        "year": str(YEAR),
        "value": "321.5",
        "reason": "表单修改",
        "csrf_token": token,
    }
    r = c.post("/kpi/targets", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = c.get(r.headers["location"])
    assert 'id="target-saved"' in shown.text and "321.5" in shown.text
    assert "表单修改" in shown.text  # the history table
    bad = c.post("/kpi/targets", data={**form, "value": "三百"}, follow_redirects=False)
    assert bad.status_code == 422 and 'id="target-error"' in bad.text and 'data-field="value"' in bad.text
    assert 'value="三百"' in bad.text  # what was typed is kept


def test_park_officer_page_offers_only_the_own_park(clients: dict[str, TestClient]) -> None:
    page = clients["parkofficer"].get(f"/kpi/targets?year={YEAR}").text
    assert '<option value="wutong"' in page and '<option value="shifo"' not in page
    assert 'href="/kpi/targets?year=2024&amp;park=wutong' in page and "park=shifo&amp;" not in page
    readonly = clients["researcher"].get(f"/kpi/targets?year={YEAR}").text
    assert 'id="target-readonly"' in readonly and 'id="target-form"' not in readonly


def test_the_completion_rate_follows_the_edit(clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    month = c.get("/api/v1/kpi/months/latest").json()["month"]
    year = int(month[:4])

    def wutong() -> dict[str, Any]:
        rows = c.get(f"/api/v1/kpi/monitor?month={month}&indicator=revenue").json()["rows"]
        return next(r for r in rows if r["park_id"] == "wutong")

    before = wutong()
    r = c.put(f"/api/v1/kpi/targets/wutong/revenue/{year}", json={"value": "100000", "reason": "测试完成率"})
    assert r.status_code == 200, r.text
    after = wutong()
    assert after["target"] == 100_000 * 1_000_000 != before["target"]
    assert after["completion_pct"] == pytest.approx(round(after["ytd"] / after["target"] * 100, 2))


def test_history_excel_export_opens(clients: dict[str, TestClient]) -> None:
    from openpyxl import load_workbook

    for path in (
        f"/api/v1/kpi/targets/history?year={YEAR}&format=xlsx",
        f"/api/v1/kpi/targets?year={YEAR}&format=xlsx",
    ):
        r = clients["leader"].get(path)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws is not None and ws.max_row >= 3  # title, header, at least one change
        texts = [c.value for row in ws.iter_rows() for c in row]
        assert "年中调整" in texts or "4500.01" in texts


def test_openapi_documents_the_target_endpoints(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    put_op = paths["/api/v1/kpi/targets/{park_id}/{indicator}/{year}"]["put"]
    assert "422" in put_op["responses"] and "403" in put_op["responses"]
    assert "post" in paths["/api/v1/kpi/targets"] and "get" in paths["/api/v1/kpi/targets/history"]


def test_english_names_the_indicators_in_english(clients: dict[str, TestClient]) -> None:
    """The targets table, its history and the page name indicators in the page's language."""
    c = clients["leader"]
    assert put(c, "wutong", "revenue", "3200", reason="English check").status_code == 200
    zh = {
        r["indicator"]: r["indicator_name"] for r in c.get(f"/api/v1/kpi/targets?year={YEAR}").json()["rows"]
    }
    assert zh["revenue"] == "营业收入"
    c.cookies.set("zb_lang", "en")
    try:
        en = {
            r["indicator"]: r["indicator_name"]
            for r in c.get(f"/api/v1/kpi/targets?year={YEAR}").json()["rows"]
        }
        assert en["revenue"] == "Operating revenue"
        assert {r["indicator_name"] for r in history(c, year=YEAR) if r["indicator"] == "revenue"} == {
            "Operating revenue"
        }
        page = c.get(f"/kpi/targets?year={YEAR}")
        assert page.status_code == 200 and "Operating revenue" in page.text
        assert "营业收入" not in page.text
    finally:
        c.cookies.set("zb_lang", "zh-CN")
