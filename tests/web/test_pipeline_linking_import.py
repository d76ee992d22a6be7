"""资源对接 Excel upload on the page: the template downloads, a good file imports (and again adds
nothing), a bad file writes nothing and offers its problem report to the uploader only; roles."""

from __future__ import annotations

import io
import re

import openpyxl
from fastapi.testclient import TestClient

from tests.web.test_pipeline import papp, pc  # noqa: F401  (fixtures)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(c: TestClient, kind: str, name: str, data: bytes, dry_run: bool = False) -> object:
    form = {"kind": kind, **({"dry_run": "1"} if dry_run else {})}
    return c.post("/linking/import", data=form, files={"file": (name, data, XLSX)})


def test_template_then_good_file_twice(pc: dict[str, TestClient]) -> None:  # noqa: F811
    inv = pc["investor"]
    page = inv.get("/linking").text
    assert 'id="import-form"' in page and 'data-kind="resources"' in page
    t = inv.get("/linking/template/resources")
    assert t.status_code == 200 and t.headers["content-type"] == XLSX
    heads = [c.value for c in openpyxl.load_workbook(io.BytesIO(t.content)).worksheets[0][1]]
    assert heads[:3] == ["资源类型", "资源名称", "提供方"]
    rows = [
        [*heads[:3], "服务园区"],
        ["银行贷款", "网页科技贷", "网页银行", "梧桐"],
        ["基金", "网页天使基金", "网页创投", ""],
    ]
    first = _upload(inv, "resources", "资源.xlsx", _book(rows))
    assert first.status_code == 200 and 'data-ok="1"' in first.text  # type: ignore[attr-defined]
    names = {r["name"]: r for r in inv.get("/api/v1/linking/resources").json()["resources"]}
    assert names["网页科技贷"]["parks"] == ["wutong"]
    again = _upload(inv, "resources", "资源.xlsx", _book(rows))
    assert "新增 0 行" in again.text and "2 行已存在" in again.text  # type: ignore[attr-defined]
    assert (
        len(
            [
                r
                for r in inv.get("/api/v1/linking/resources").json()["resources"]
                if r["name"].startswith("网页")
            ]
        )
        == 2
    )
    dry = _upload(
        inv, "resources", "资源2.xlsx", _book([rows[0], ["基金", "只校验基金", "", ""]]), dry_run=True
    )
    assert 'data-ok="1"' in dry.text  # type: ignore[attr-defined]
    assert "只校验基金" not in str(inv.get("/api/v1/linking/resources").json())


def test_bad_file_gives_a_report_to_the_uploader_only(pc: dict[str, TestClient]) -> None:  # noqa: F811
    officer = pc["parkofficer"]
    rows = [
        ["统一社会信用代码", "需求类型", "需求标题", "园区"],
        ["91110000600037341L", "融资", "页面导入贷款", "梧桐"],
        ["not-a-code", "飞行", "", "梧桐"],
    ]
    r = _upload(officer, "demands", "需求.xlsx", _book(rows))
    assert r.status_code == 400 and 'data-ok="0"' in r.text  # type: ignore[attr-defined]
    assert "需求.xlsx 第 3 行" in r.text  # type: ignore[attr-defined]
    link = re.search(r'href="(/linking/import/linking-[0-9a-f]{16}/report)"', r.text)  # type: ignore[attr-defined]
    assert link
    report = officer.get(link.group(1))
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(report.content))["问题清单 Problems"]
    found = {(row[1], row[2]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {(3, "统一社会信用代码"), (3, "需求类型"), (3, "需求标题")} <= found
    assert pc["investor"].get(link.group(1)).status_code == 404
    assert officer.get("/linking/import/../x/report").status_code in (404, 422)
    assert "页面导入贷款" not in str(officer.get("/api/v1/linking/demands").json())


def test_roles_and_odd_uploads(pc: dict[str, TestClient]) -> None:  # noqa: F811
    rows = _book([["资源类型", "资源名称"], ["基金", "园区专员基金"]])
    assert _upload(pc["parkofficer"], "resources", "r.xlsx", rows).status_code == 403  # type: ignore[attr-defined]
    assert _upload(pc["leader"], "demands", "d.xlsx", rows).status_code == 403  # type: ignore[attr-defined]
    assert pc["leader"].get("/linking/template/demands").status_code == 403
    assert 'id="import-form"' not in pc["leader"].get("/linking").text
    firm_page = pc["firm"].get("/linking").text
    assert 'data-kind="demands"' in firm_page and 'data-kind="resources"' not in firm_page
    odd = _upload(pc["investor"], "resources", "r.txt", b"x")
    assert odd.status_code == 400 and 'id="import-error"' in odd.text  # type: ignore[attr-defined]
    broken = _upload(pc["investor"], "resources", "r.xlsx", b"not a workbook")
    assert broken.status_code == 400  # type: ignore[attr-defined]
    assert pc["investor"].get("/linking/template/other").status_code == 422
