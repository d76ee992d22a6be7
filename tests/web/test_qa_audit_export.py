"""QA: the audit export stopped at 10,000 rows and published nothing an auditor could keep. Now the
Excel holds every row (streamed; past a sheet's rows on further sheets) with each row's chain seq and
hash, and its 说明 sheet the chain head and the command that checks it later; the page pages and
verifies the chain; JSON pages with offset and says how when asked for too much."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import openpyxl
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok, logged_in, private_app
from zonebrain.appstore import AppStore, AuditRow, chain_head
from zonebrain.web._i18n import translator
from zonebrain.web._routes.audit import write_audit_xlsx

EXTRA = 10_050
"""Rows written cheaply (one unit of work) so the log passes the old 10,000-row cap."""


@pytest.fixture(scope="module")
def app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "qaauditexport") as application:
        store: AppStore = application.state.zonebrain.store
        at = dt.datetime(2026, 11, 1)
        with store.session() as s:
            s.add_all(
                AuditRow(at=at + dt.timedelta(seconds=i), username="wang", role="leader", action="project.note",
                         target=f"project:{i}", detail=f'{{"i": {i}}}')
                for i in range(EXTRA)
            )  # fmt: skip
        yield application


@pytest.fixture(scope="module")
def admin(app: FastAPI) -> Iterator[TestClient]:
    with logged_in(app, ["admin"]) as users:
        yield users["admin"]


def _store(app: FastAPI) -> AppStore:
    store: AppStore = app.state.zonebrain.store
    return store


def _about(wb: openpyxl.Workbook) -> dict[str, object]:
    return {str(r[0]): r[1] for r in wb["说明"].iter_rows(values_only=True)}


def test_the_export_holds_every_row_and_publishes_the_head(app: FastAPI, admin: TestClient) -> None:
    store = _store(app)
    head, total = chain_head(store), store.audit.count()
    assert head is not None and total > EXTRA > 10_000
    r = admin.get("/api/v1/audit?format=xlsx")
    assert r.status_code == 200 and "audit_log.xlsx" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames[0] == "说明" and len(wb.sheetnames) == 2
    data = wb[wb.sheetnames[1]]
    rows = list(data.iter_rows(values_only=True))
    heads = list(rows[1])
    assert rows[0][0] == "审计日志 (最近的在前)" and heads[-3:] == ["编号", "链序号", "哈希 (SHA-256)"]
    body = rows[2:]
    assert len(body) == total and len({row[-3] for row in body}) == total  # every row, once
    assert body[0][-1] == head.last_hash and body[0][-2] == head.rows  # the newest row closes the chain
    about = _about(wb)
    assert about["链头哈希 (SHA-256) head hash"] == head.last_hash
    assert about["哈希链行数 rows in the chain"] == head.rows == total
    assert about["本文件的行 rows in this file"] == total
    assert f"--expect-head {head.last_hash} --expect-rows {head.rows}" in str(about["核验 how to verify"])
    # the export is itself audited, with the head it published
    logged = api_ok(admin.get("/api/v1/audit?action=audit.export&limit=1"))["rows"][0]
    assert head.last_hash in logged["detail"] and f"rows={total}" in logged["detail"]


def test_a_filtered_export_keeps_the_whole_chain_s_head(app: FastAPI, admin: TestClient) -> None:
    head = chain_head(_store(app))
    assert head is not None
    r = admin.get("/api/v1/audit", params={"format": "xlsx", "action": "project.note", "limit": 300})
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    body = list(wb[wb.sheetnames[1]].iter_rows(values_only=True))[2:]
    assert len(body) == 300 and {row[3] for row in body} == {"project.note"}
    about = _about(wb)
    assert about["哈希链行数 rows in the chain"] == head.rows and "project.note" in str(
        about["范围 rows exported"]
    )


def test_past_a_sheet_s_rows_the_export_goes_on_on_another_sheet(app: FastAPI) -> None:
    store = _store(app)
    newest = [e.id for e in store.audit.entries(limit=2_500)]
    path, head, written = write_audit_xlsx(store, translator("en"), limit=2_500, rows_per_sheet=1_000)
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
        sheets = wb.sheetnames[1:]
        assert written == 2_500 and len(sheets) == 3
        assert sheets[:2] == ["Audit log (newest first)", "Audit log (newest first) (2)"]
        ids: list[int] = []
        for name in sheets:
            rows = list(wb[name].iter_rows(values_only=True))
            assert rows[0][0].startswith("Audit log (newest first)") and rows[1][-2] == "Chain seq"
            assert len(rows) - 2 == (1_000 if name != sheets[-1] else 500)
            ids += [int(r[-3]) for r in rows[2:]]
        assert ids == newest  # in order across the sheets, none lost
        assert head is not None and _about(wb)["工作表 sheets"] == "、".join(sheets)
    finally:
        path.unlink()


def test_json_pages_with_offset_and_says_how_past_its_cap(app: FastAPI, admin: TestClient) -> None:
    store = _store(app)
    page = api_ok(admin.get("/api/v1/audit", params={"limit": 100, "offset": 100}))["rows"]
    expected = store.audit.entries(limit=100, offset=100)
    assert [r["target"] for r in page] == [e.target for e in expected] and len(page) == 100
    message = api_error(admin.get("/api/v1/audit", params={"limit": 10_001}), 400, "invalid_input")
    assert "offset" in message and "xlsx" in message
    # past a 64-bit integer (found by schemathesis): refused as input, not a database overflow (500)
    for params in ({"offset": 2**63}, {"offset": 2**31}, {"limit": 2**63, "format": "xlsx"}):
        r = admin.get("/api/v1/audit", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text
    r = admin.get("/api/v1/audit/verify", params={"expect_head": "0" * 64, "expect_rows": 2**63})
    assert r.status_code == 422, r.text


def test_the_page_pages_and_verifies_the_chain(app: FastAPI, admin: TestClient) -> None:
    store = _store(app)
    first = admin.get("/admin/audit")
    pages = -(-store.audit.count() // 200)
    assert f"第 1 / {pages} 页" in first.text and "哈希链: 共" in first.text
    second = admin.get("/admin/audit?page=2")
    newest_on_2 = store.audit.entries(limit=1, offset=200)[0]
    assert "第 2 / " in second.text and newest_on_2.target in second.text
    ok = admin.get("/admin/audit?verify=1")
    assert re.search(r'id="audit-verify-result">哈希链完整: 已逐行核验 [\d,]+ 行', ok.text), ok.text[-2000:]

    victim = store.audit.entries(limit=1, offset=500)[0]
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET username = 'nobody' WHERE id = :id"), {"id": victim.id})
    try:
        broken = admin.get("/admin/audit?verify=1")
        assert "哈希链断裂" in broken.text and f"第 {victim.id} 行" in broken.text
        out = api_ok(admin.get("/api/v1/audit/verify"))
        assert (
            out["ok"] is False and out["problem"]["kind"] == "content" and out["problem"]["id"] == victim.id
        )
    finally:
        with store.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE audit_log SET username = :u WHERE id = :id"),
                {"u": victim.username, "id": victim.id},
            )
    head = chain_head(store)
    assert head is not None
    kept = api_ok(
        admin.get("/api/v1/audit/verify", params={"expect_head": head.last_hash, "expect_rows": head.rows})
    )
    assert kept["ok"] is True and kept["expected_at"] == head.rows
