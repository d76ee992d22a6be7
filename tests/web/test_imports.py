"""数据导入 from the browser and the API: upload, validation report, confirm; audited; cache refreshed."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.registry.conftest import good_rows, write_csv
from tests.web.conftest import Demo, form_login, login, make_app


@pytest.fixture
def own_app(demo: Demo, tmp_path: Path) -> FastAPI:
    """An app over a private copy of the demo warehouse (imports write to it)."""
    copy = Demo(tmp_path / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    return make_app(copy, tmp_path)


def test_bad_file_validation_report_and_partial_import(own_app: FastAPI, demo: Demo) -> None:
    with TestClient(own_app) as c:
        login(c, "admin")
        before = c.get("/api/v1/overview").json()["totals"]["enterprises"]
        with (demo.files / "bad_rows.csv").open("rb") as fh:
            r = c.post(
                "/api/v1/imports",
                data={"kind": "enterprises"},
                files={"file": ("bad_rows.csv", fh, "text/csv")},
            )
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["status"] == "dry_run" and preview["rows_rejected"] > 0
        assert preview["rows_in"] > preview["rows_rejected"] and "uscc_check" in preview["problems_by_rule"]
        report = c.get(preview["report_url"])
        assert report.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(report.content)).active is not None
        assert c.get("/api/v1/overview").json()["totals"]["enterprises"] == before  # a dry run writes nothing
        # all or nothing by default
        r = c.post(f"/api/v1/imports/{preview['upload_id']}/confirm", json={})
        assert r.status_code == 400 and r.json()["error"]["code"] == "import_rejected"
        assert r.json()["error"]["detail"]["report_url"].endswith("/report")
        # the good rows only, when asked
        r = c.post(f"/api/v1/imports/{preview['upload_id']}/confirm", json={"accept_partial": True})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "imported" and done["inserted"] > 0
        after = c.get("/api/v1/overview").json()["totals"]["enterprises"]
        assert after > before  # the cache was refreshed by the import
        batches = c.get("/api/v1/imports").json()
        assert batches["rows"][0]["file_name"] == "bad_rows.csv"
        actions = [(e.action, e.outcome) for e in own_app.state.zonebrain.store.audit.entries(limit=10)]
        assert ("import.validate", "ok") in actions
        assert ("import.confirm", "rejected") in actions and ("import.confirm", "ok") in actions


def test_import_through_the_pages(own_app: FastAPI, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "new_firms.csv", good_rows(4))
    with TestClient(own_app) as c:
        form_login(c, "admin")
        page = c.get("/imports")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        with path.open("rb") as fh:
            r = c.post(
                "/imports",
                data={"kind": "enterprises", "csrf_token": token},
                files={"file": ("new_firms.csv", fh, "text/csv")},
            )
        assert r.status_code == 200 and 'id="confirm-form"' in r.text
        action = re.search(r'action="(/imports/[0-9a-f]+/confirm)"', r.text).group(1)  # type: ignore[union-attr]
        r = c.post(action, data={"csrf_token": token})
        assert r.status_code == 200 and 'id="import-inserted">4<' in r.text
        found = c.get("/api/v1/enterprises?q=郑州测试").json()
        assert found["total"] == 4


def test_upload_rules(own_app: FastAPI) -> None:
    with TestClient(own_app) as c:
        login(c, "admin")
        r = c.post("/api/v1/imports", data={"kind": "nonsense"}, files={"file": ("a.csv", b"x", "text/csv")})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        r = c.post(
            "/api/v1/imports", data={"kind": "enterprises"}, files={"file": ("a.exe", b"x", "application/x")}
        )
        assert r.status_code == 400
        assert c.post("/api/v1/imports/../../etc/confirm", json={}).status_code == 404
        assert c.post("/api/v1/imports/0123456789abcdef/confirm", json={}).status_code == 404
        assert c.get("/api/v1/imports/0123456789abcdef/report").status_code == 404
        leader = TestClient(own_app)
        login(leader, "leader")
        r = leader.post(
            "/api/v1/imports", data={"kind": "enterprises"}, files={"file": ("a.csv", b"x", "text/csv")}
        )
        assert r.status_code == 403
