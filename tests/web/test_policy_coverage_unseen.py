"""/policy/coverage warns of the tags and event kinds the library reads that no firm carries.

QA: the family's 第一条 reads ``not tag 非独立核算``; the demo records the positive tag 独立核算, so
the test never fires, and the coverage page counted it as decidable from data without a word. The
page, its API and its Excel file now say so; the Excel headers are Chinese.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_ok, logged_in, private_app, run_now


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    """A private app over a copy of the demo warehouse (the run written here stays here)."""
    with (
        private_app(demo, tmp_path_factory, "coverageunseen") as app,
        logged_in(app, ["leader", "admin"]) as out,
    ):
        yield out


def test_the_coverage_page_api_and_excel_name_the_unseen_registers(users: dict[str, TestClient]) -> None:
    c = users["leader"]
    run_now(users["admin"])
    body = api_ok(c.get("/api/v1/policy/coverage"))
    unseen = {r["register"]: r for r in body["unseen"]}
    assert unseen["tag:非独立核算"]["read_by"] == 6 and unseen["tag:非独立核算"]["similar"] == "独立核算"
    assert "tag:高新技术企业" not in unseen  # the demo records it
    note = body["unseen_note"]
    assert (
        note.startswith("政策库读取的") and "标签 非独立核算 (6 个条款读取, 仓库中有相近的 独立核算)" in note
    )
    page = c.get("/policy/coverage").text
    shown = re.search(r'<p class="warn" id="coverage-unseen">([^<]*)</p>', page)
    assert shown and "非独立核算" in shown.group(1) and "(warning:" in shown.group(1)
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/policy/coverage?format=xlsx").content))
    rows = list(wb["无企业记录 unseen"].iter_rows(values_only=True))
    assert rows[0] == ("标签/事件 (代码)", "类别", "标签/事件名称", "读取它的条款数", "仓库中相近的名称")
    assert ("tag:非独立核算", "标签", "非独立核算", 6, "独立核算") in rows
    for ws in wb.worksheets:  # every header Chinese (决定情况 had eligible, undetermined, share)
        heads = [str(h.value) for h in ws[1]]
        assert not [h for h in heads if re.search(r"[A-Za-z]", h)], (ws.title, heads)
    assert [h.value for h in wb["缺失字段 missing"][1]][3:6] == [
        "仅缺此字段 (补齐即可决定)",
        "与其他字段共缺",
        "缺此字段合计",
    ]
