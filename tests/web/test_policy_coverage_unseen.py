"""/policy/coverage warns of the tags and event kinds the library reads that no firm carries.

QA: the family's 第一条 reads ``not tag 非独立核算``; the demo recorded only the positive tag 独立核算,
so the test never fired, and the coverage page counted it as decidable from data without a word. The
page, its API and its Excel file now say so; the Excel headers are Chinese. The demo now records
branches (非独立核算) and the catalogue's restricted and eliminated industries, so these tests take
those tags out of their copy of it, as a zone whose feed records only the positive tag would have it.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_ok, logged_in, private_app, run_now
from zonebrain.policy import evaluate, load_library
from zonebrain.policy._coverage import unseen_registers
from zonebrain.storage import open_warehouse

UNRECORDED = ("非独立核算", "产业结构调整限制类", "产业结构调整淘汰类")


def _without_negative_tags(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        gone = con.execute("DELETE FROM enterprise_tags WHERE tag IN (?, ?, ?)", list(UNRECORDED)).fetchall()
    assert gone[0][0] > 0  # the demo records them: the copy must lose some


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    """A private app over a copy of the demo warehouse without the negative tags (the run written
    here stays here)."""
    with (
        private_app(demo, tmp_path_factory, "coverageunseen", prepare=_without_negative_tags) as app,
        logged_in(app, ["leader", "admin"]) as out,
    ):
        yield out


def test_the_demo_records_every_register_the_library_reads(demo: Demo, tmp_path: Path) -> None:
    """The demo zone carries branches and restricted and eliminated industries: the family's
    subject and exclusions bite on some firms, and the coverage page warns of no tag."""
    shutil.copy(demo.warehouse, tmp_path / "copy.duckdb")  # the shared app may hold the file open
    wh = open_warehouse(tmp_path / "copy.duckdb")
    try:
        lib = load_library()
        unseen = unseen_registers(lib, wh)["register"].to_pylist()
        t = wh.to_arrow(wh.table("enterprise_tags").select("uscc", "tag"))
        results = evaluate(wh, lib, 2024)
    finally:
        wh.close()
    counts = {tag: t["tag"].to_pylist().count(tag) for tag in UNRECORDED}
    assert all(counts.values()), counts
    tagged = {
        u for u, tag in zip(t["uscc"].to_pylist(), t["tag"].to_pylist(), strict=True) if tag in UNRECORDED
    }
    theirs = [r["status"] for r in results.to_pylist() if r["uscc"] in tagged]
    assert theirs and set(theirs) == {
        "ineligible"
    }  # a false condition of the subject decides, data missing or not
    assert not [r for r in unseen if r.startswith("tag:")], unseen  # events are rarer: 400 firms here


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
    page = c.get("/policy/coverage").text  # the page in its reader's language (the CLI: both)
    shown = re.search(r'<p class="warn" id="coverage-unseen">([^<]*)</p>', page)
    assert shown and "标签 非独立核算 (6 个条款读取, 仓库中有相近的 独立核算)" in shown.group(1)
    assert "warning" not in shown.group(1)
    c.cookies.set("zb_lang", "en")
    try:
        page = c.get("/policy/coverage").text
    finally:
        c.cookies.delete("zb_lang")
    shown = re.search(r'<p class="warn" id="coverage-unseen">([^<]*)</p>', page)
    english = html.unescape(shown.group(1)) if shown else ""
    assert re.match(r"Warning: no firm in the warehouse carries \d+ tag\(s\) or event kind\(s\)", english), (
        english
    )
    assert (
        "tag Non-independent accounting (read by 6 clauses; on record nearby: Independent accounting)"
        in english
    )
    assert not re.search(r"[\u4e00-\u9fff]", english), english
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


def test_english_pages_name_the_missing_data_in_english(users: dict[str, TestClient]) -> None:
    """QA: the coverage page and the self-check named missing data by Chinese names and raw codes
    only, asked for documents in Chinese, and on English pages too."""
    c = users["leader"]
    run_now(users["admin"])
    c.cookies.set("zb_lang", "en")
    try:
        page = c.get("/policy/coverage").text
        missing = _text(page, 'data-name="coverage-missing"')
        clauses = _text(page, 'data-name="coverage-clauses"')
        run_id = api_ok(c.get("/api/v1/policy/coverage"))["run_id"]
        rows = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/results?status=undetermined&size=50"))["rows"]
        field = {
            r["missing_fields"]: r["uscc"] for r in rows if "rd_expense_fen" in (r["missing_fields"] or "")
        }
        assert field, "the demo leaves some firms' R&D input to be declared"
        check = _text(c.get(f"/policy/check?uscc={next(iter(field.values()))}").text, "<table")
    finally:
        c.cookies.delete("zb_lang")
    assert "Treat R&amp;D expense as held" in page and "视 " not in page
    assert "R&D expense (" in missing and not CJK.search(missing), missing
    assert "R&D expense rd_expense_fen" in clauses, clauses
    firms = re.search(r"<strong>([\d,]+) / ([\d,]+)</strong>", page)  # (1,234: the int cell format)
    assert firms and int(firms.group(1).replace(",", "")) <= int(firms.group(2).replace(",", "")), page[:3000]
    assert "R&D expense (" in check and "please provide" in check and "请提供" not in check, check
    zh = _text(c.get(f"/policy/check?uscc={next(iter(field.values()))}").text, "<table")
    assert "研发费用" in zh and "请提供" in zh and "please provide" not in zh


CJK = re.compile(r"[\u4e00-\u9fff]")


def _text(page: str, marker: str) -> str:
    """The words of the table after *marker* (tags dropped, entities read, spaces collapsed)."""
    assert marker in page, page[:1500]
    part = page.split(marker, 1)[1].split("</table>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())
