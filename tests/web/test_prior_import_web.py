"""往年已兑现导入 from the browser: an admin downloads the template, uploads a file, reads the check
(nothing written), confirms, and the ledger holds the payment; a bad file imports nothing and
names each problem, with its Excel report; others may not use the page, see the report, or confirm
someone else's upload. On an app of its own (it writes the ledger)."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok, form_login, logged_in, private_app
from zonebrain.appstore import Role
from zonebrain.disbursement._prior_read import PRIOR_FORMAT

HEADER = "统一社会信用代码,政策,条款,年度,兑现金额(元),兑现日期,凭证号\n"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def prior_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Any:
    users = {"admin2": (Role.ADMIN, None)}
    with private_app(demo, tmp_path_factory, "prior-web", users) as application:
        yield application


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


def _ledger_ids(c: TestClient) -> set[int]:
    return {r["id"] for r in api_ok(c.get("/api/v1/policy/ledger", params={"size": 500}))["rows"]}


def _token(page: str) -> str:
    found = TOKEN.search(page)
    assert found, page[:500]
    return found.group(1)


def test_check_then_confirm_from_the_page(prior_app: FastAPI, demo: Demo) -> None:
    row = f"{demo.wutong_firm},zz-hitech-first-cert,award,2022,300000,2023-04-10,郑开管〔2023〕5号"
    with TestClient(prior_app) as c:
        form_login(c, "admin")
        ledger = c.get("/policy/ledger")
        assert 'id="prior-import-link"' in ledger.text
        page = c.get("/policy/ledger/import")
        assert page.status_code == 200 and "导入往年已兑现记录" in page.text
        assert all(col.header in page.text for col in PRIOR_FORMAT.columns)
        before = _ledger_ids(c)

        checked = c.post(
            "/policy/ledger/import",
            data={"csrf_token": _token(page.text)},
            files={"file": ("往年兑现.csv", _csv(row), "text/csv")},
        )
        assert checked.status_code == 200, checked.text
        assert "校验通过, 尚未写入" in checked.text and 'id="prior-imported">1<' in checked.text
        assert "300,000.00 元" in checked.text
        assert _ledger_ids(c) == before  # the check writes nothing

        action = re.search(r'action="(/policy/ledger/import/prior-[0-9a-f]{16}/confirm)"', checked.text)
        assert action, checked.text[-2000:]
        done = c.post(action.group(1), data={"csrf_token": _token(checked.text)})
        assert done.status_code == 200, done.text
        assert "已导入" in done.text and 'id="prior-entries"' in done.text
        added = _ledger_ids(c) - before
        assert len(added) == 1
        entry = next(
            r
            for r in api_ok(c.get("/api/v1/policy/ledger", params={"size": 500}))["rows"]
            if r["id"] in added
        )
        assert (entry["uscc"], entry["amount_fen"], entry["reference"]) == (
            demo.wutong_firm,
            30_000_000,
            "郑开管〔2023〕5号",
        )

        again = c.post(action.group(1), data={"csrf_token": _token(done.text)})
        assert again.status_code == 200 and "各行均已在支付台账中, 未新增" in again.text
        assert _ledger_ids(c) - before == added  # confirming twice adds nothing


def test_a_bad_file_imports_nothing_and_names_each_problem(prior_app: FastAPI, demo: Demo) -> None:
    good = f"{demo.own_firm},zz-hitech-first-cert,award,2022,300000,2023-04-10,A-1"
    bad_policy = f"{demo.wutong_firm},no-such-policy,award,2022,100000,2023-04-10,A-2"
    bad_amount = f"{demo.wutong_firm},zz-rd-input,award,2022,12.345,2023-04-10,A-3"
    with logged_in(prior_app, ["admin", "admin2", "leader"]) as c:
        before = _ledger_ids(c["admin"])
        r = c["admin"].post(
            "/api/v1/policy/ledger/imports",
            files={"file": ("往年兑现.csv", _csv(good, bad_policy, bad_amount), "text/csv")},
        )
        message = api_error(r, 400, "prior_import_rejected")
        assert "2 行有问题" in message
        detail = r.json()["error"]["detail"]
        where = {(p["row"], p["column"]) for p in detail["problems"]}
        assert (3, "政策") in where and (4, "兑现金额(元)") in where, detail["problems"]
        assert any(p["value"] == "no-such-policy" for p in detail["problems"])
        report = c["admin"].get(detail["report_url"])
        assert report.status_code == 200 and report.content[:2] == b"PK"
        sheets = openpyxl.load_workbook(io.BytesIO(report.content)).sheetnames
        assert len(sheets) >= 2
        assert _ledger_ids(c["admin"]) == before  # nothing was written

        # the report and the upload are the uploader's: another admin reads "not found"
        assert c["admin2"].get(detail["report_url"]).status_code == 404
        # a role other than admin may not open the page or use the API
        assert c["leader"].get("/policy/ledger/import").status_code == 403
        api_error(
            c["leader"].post(
                "/api/v1/policy/ledger/imports", files={"file": ("x.csv", _csv(good), "text/csv")}
            ),
            403,
            "forbidden",
        )
        assert 'id="prior-import-link"' not in c["leader"].get("/policy/ledger").text

        # the page shows the same problems in a table, and links the report
        page = c["admin"].get("/policy/ledger/import")
        shown = c["admin"].post(
            "/policy/ledger/import",
            data={"csrf_token": _token(page.text)},
            files={"file": ("往年兑现.csv", _csv(good, bad_policy), "text/csv")},
        )
        assert shown.status_code == 400 and 'id="prior-problems"' in shown.text
        assert "no-such-policy" in shown.text and "1 行有问题" in shown.text
        link = re.search(r'href="(/policy/ledger/import/prior-[0-9a-f]{16}/report)"', shown.text)
        assert link and c["admin"].get(link.group(1)).content[:2] == b"PK"


def test_the_api_checks_then_confirms_and_someone_elses_upload_is_not_found(
    prior_app: FastAPI, demo: Demo
) -> None:
    row = f"{demo.own_firm},zz-revenue-breakthrough,reach-10m,2021,100000,2022-05-01,B-1"
    with logged_in(prior_app, ["admin", "admin2"]) as c:
        checked = api_ok(
            c["admin"].post(
                "/api/v1/policy/ledger/imports", files={"file": ("prior.csv", _csv(row), "text/csv")}
            )
        )
        assert (checked["status"], checked["imported"], checked["total_fen"]) == ("dry_run", 1, 10_000_000)
        confirm = f"/api/v1/policy/ledger/imports/{checked['upload_id']}/confirm"
        assert c["admin2"].post(confirm).status_code == 404  # not the uploader
        done = api_ok(c["admin"].post(confirm))
        assert done["status"] == "imported" and len(done["entries"]) == 1
        assert api_ok(c["admin"].post(confirm))["status"] == "already_imported"
        assert c["admin"].post("/api/v1/policy/ledger/imports/../../etc/confirm").status_code == 404
        assert c["admin"].post("/api/v1/policy/ledger/imports/prior-zz/confirm").status_code == 404


def test_the_template_lists_the_columns_and_every_clause(prior_app: FastAPI) -> None:
    with logged_in(prior_app, ["admin"]) as c:
        r = c["admin"].get("/policy/ledger/import/template")
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert "attachment" in r.headers["content-disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["往年兑现", "说明", "政策条款"]
    data = wb["往年兑现"]
    assert [c.value for c in data[1]] == [c.header for c in PRIOR_FORMAT.columns]
    assert data.max_row == 1 or all(
        v is None for row in data.iter_rows(min_row=2, values_only=True) for v in row
    )
    listed = {(row[0], row[3]) for row in wb["政策条款"].iter_rows(min_row=2, values_only=True)}
    assert ("zz-hitech-first-cert", "award") in listed and ("zz-revenue-breakthrough", "reach-100m") in listed
