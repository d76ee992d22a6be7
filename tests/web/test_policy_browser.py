"""政策 in Chromium: a policy researcher runs the policies, opens the results, a trace, the firm's page
with its 政策 section, exports the results to Excel and switches the language; a batch goes through
公示 and approval by three people; a firm checks itself (企业自查); no console errors.

Uses the live server, browser and Session of test_browser.py; screenshots go to
``$ZONEBRAIN_SCREENSHOT_DIR`` when set (docs/screenshots/policy.png, policy-trace.png, policy-batch.png,
policy-whatif.png, policy-verify.png, policy-check.png).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.test_browser import Session, browser, server, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_run_results_trace_export_and_language(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    import openpyxl

    s = Session(browser, server)
    try:
        s.login("researcher")
        s.open("/policy")
        s.page.fill("#run-as-of", "2025-03-31")
        s.page.fill("#run-period", "2024")
        s.page.click("#run-submit")
        s.page.wait_for_url("**/policy/runs/2025-03-31-*")
        s.page.wait_for_load_state("networkidle")
        run_url = s.page.url
        assert s.page.locator("#policy-results-table tbody tr").count() > 1

        # only the eligible ones, then the Excel export of exactly those
        s.page.select_option("#status-filter", "eligible")
        s.page.click("#filter-submit")
        s.page.wait_for_load_state("networkidle")
        assert "status=eligible" in s.page.url
        rows = s.page.locator("#policy-results-table tbody tr")
        shown = rows.count()
        assert shown > 0 and "符合" in s.page.inner_text("#policy-results-table tbody")
        with s.page.expect_download() as info:
            s.page.click("#policy-results-table a.export")
        ws = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
        assert ws is not None and ws.max_row - 2 == shown  # fewer than a page: every row is shown

        # a trace, condition by condition
        s.page.locator("#policy-results-table a.trace").first.click()
        s.page.wait_for_load_state("networkidle")
        assert "/trace/" in s.page.url
        assert s.page.locator("section.trace table.conditions tbody tr").count() > 3
        assert "✓" in s.page.inner_text("section.trace")
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "policy-trace.png"), full_page=True)

        # the firm's page lists its results (htmx) with links back to the trace
        s.page.click("#trace-heading + p a")
        s.page.wait_for_selector("#enterprise-policies tbody tr")
        assert s.page.locator("#enterprise-policies a.trace").count() > 0

        # the summary chart on the policy page, drawn
        s.open("/policy")
        assert s.page.locator("#policy-runs-table tbody tr").count() >= 1
        s.page.screenshot(path=str(shots / "policy.png"), full_page=True)

        # English
        s.page.goto(run_url)
        s.page.click("#lang-en")
        s.page.wait_for_load_state("networkidle")
        assert "Results" in s.page.inner_text("h1") and "Export to Excel" in s.page.inner_text("main")
        s.page.click("#lang-zh-CN")
        s.page.wait_for_load_state("networkidle")
        assert "测算结果" in s.page.inner_text("h1")
        assert not s.errors, s.errors
    finally:
        s.close()


def test_batch_publicity_export_approval_whatif_and_queue(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    """Researcher: run, trace, batch (no review button: 四眼); admin: review; researcher: 公示, export
    the 公示 list (masked USCC); admin: close the 公示期 early; leader: approve (not whoever closed it
    early: 四眼); what-if: a slider changes the cost; the 待核实 queue."""
    import re

    import openpyxl

    s = Session(browser, server)
    try:
        s.login("researcher")
        s.open("/policy")
        s.page.fill("#run-as-of", "2025-03-31")
        s.page.click("#run-submit")
        s.page.wait_for_url("**/policy/runs/2025-03-31-*")
        s.page.wait_for_load_state("networkidle")
        s.page.locator("#policy-results-table a.trace").first.click()
        s.page.wait_for_load_state("networkidle")
        assert "/trace/" in s.page.url
        s.page.go_back()
        s.page.wait_for_load_state("networkidle")

        # 生成兑现批次 → the batch page, without a review button for its creator
        s.page.click("#create-batch")
        s.page.wait_for_url("**/policy/batches/*")
        batch_url = s.page.url
        assert "草稿" in s.page.inner_text("#batch-status-text")
        assert s.page.locator("#review-submit").count() == 0
        assert not s.errors, s.errors
    finally:
        s.close()

    reviewer = Session(browser, server)
    try:
        reviewer.login("admin")
        reviewer.page.goto(batch_url)
        reviewer.page.wait_for_load_state("networkidle")
        reviewer.page.click("#review-submit")
        reviewer.page.wait_for_load_state("networkidle")
        assert "已审核" in reviewer.page.inner_text("#batch-status-text")
        assert not reviewer.errors, reviewer.errors
    finally:
        reviewer.close()

    s = Session(browser, server)
    try:  # the researcher starts the 公示期
        s.login("researcher")
        s.page.goto(batch_url)
        s.page.wait_for_load_state("networkidle")
        s.page.click("#publicize-submit")
        s.page.wait_for_load_state("networkidle")
        assert "公示中" in s.page.inner_text("#batch-status-text")
        with s.page.expect_download() as info:
            s.page.click("#publicity-xlsx")
        ws = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))["公示名单"]
        codes = [row[2] for row in ws.iter_rows(min_row=2, values_only=True)][:-1]  # the last: 合计
        assert codes and all(re.fullmatch(r"[0-9A-Z]{4}\*{12}[0-9A-Z]{2}", str(c)) for c in codes)
        assert not s.errors, s.errors
    finally:
        s.close()

    reviewer = Session(browser, server)
    try:  # the admin closes the 公示期 early; having closed it, the admin is not offered approval
        reviewer.login("admin")
        reviewer.page.goto(batch_url)
        reviewer.page.wait_for_load_state("networkidle")
        reviewer.page.fill("#close-form input[name=reason]", "领导小组会议决定提前结束公示")
        reviewer.page.click("#close-submit")
        reviewer.page.wait_for_load_state("networkidle")
        assert reviewer.page.locator("#approve-submit").count() == 0
        assert not reviewer.errors, reviewer.errors
    finally:
        reviewer.close()

    leader = Session(browser, server)
    try:
        leader.login("leader")
        leader.page.goto(batch_url)
        leader.page.wait_for_load_state("networkidle")
        leader.page.click("#approve-submit")
        leader.page.wait_for_load_state("networkidle")
        assert "已审批" in leader.page.inner_text("#batch-status-text")
        assert leader.page.locator("#notify-xlsx").count() == 1
        assert not leader.errors, leader.errors
        leader.page.screenshot(path=str(shots / "policy-batch.png"), full_page=True)
    finally:
        leader.close()

    s = Session(browser, server)
    try:
        s.login("researcher")
        s.open("/policy/whatif")
        s.page.click("#whatif-run")
        s.page.wait_for_selector("#whatif-cost-after")
        s.charts_drawn("/policy/whatif")
        before = s.page.inner_text("#whatif-cost-after")
        rate = s.page.locator("input[type=range][data-key='zz-rd-input.rate']")
        rate.evaluate(
            """el => { el.value = String(Number(el.value) + 2);
                       el.dispatchEvent(new Event('input', {bubbles: true}));
                       el.dispatchEvent(new Event('change', {bubbles: true})); }"""
        )
        s.page.wait_for_function(
            "t => document.querySelector('#whatif-cost-after').textContent !== t", arg=before, timeout=60_000
        )
        s.page.wait_for_load_state("networkidle")
        s.charts_drawn("/policy/whatif")
        shown = s.page.inner_text("#whatif-output")
        assert "奖励比例" in shown and "zz-rd-input.rate" not in shown  # labels, never keys
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "policy-whatif.png"), full_page=True)
        # a bad value: the server's message in place, the stale result greyed (and no longer current)
        s.page.fill("input[data-param='zz-rd-input.rate']", "abc")
        s.page.click("#whatif-run")
        s.page.wait_for_selector("#whatif-result-error")
        message = s.page.inner_text("#whatif-result-error")
        assert "奖励比例" in message and "须为非负数字" in message, message
        assert "stale" in (s.page.get_attribute("#whatif-output", "class") or "")
        s.errors.clear()  # the browser logs the refused request (400) itself

        s.open("/policy/verify?status=")
        assert s.page.locator("#verify-table tbody tr").count() >= 1
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "policy-verify.png"), full_page=True)
        s.open("/policy/coverage")
        s.open("/")  # the cockpit's strength heat map draws
    finally:
        s.close()


def test_self_check_by_form(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    """企业自查: a firm sees its own result, then fills in the 企业自测表 for next year's plan; the R&D
    award is 2 % of 1234.5678万元 rounded down to whole 元 (246,913.00 元), with no console error."""
    s = Session(browser, server)
    try:
        s.login("firm")
        s.open("/policy/check")
        assert s.page.locator("#check-own-uscc").count() == 1
        assert s.page.locator("#check-result tbody tr").count() >= 1  # its own results, at once
        s.page.fill("#form-period", "2024")
        s.page.select_option("#form-unit", "万元")
        s.page.fill("#form-division_code", "410172160")
        s.page.select_option("#form-status", "在业")
        for name, value in (
            ("revenue_fen_0", "8000"),
            ("tax_fen_0", "300"),
            ("rd_expense_fen_0", "1234.5678"),
            ("insured_employees_0", "80"),
            ("revenue_fen_1", "6500"),
        ):
            s.page.fill(f"#form-{name}", value)
        s.page.click("#check-form-submit")
        s.page.wait_for_load_state("networkidle")
        row = s.page.locator("#check-zz-rd-input-award")
        assert row.get_attribute("data-status") == "eligible"
        assert "246,913.00" in row.inner_text()
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "policy-check.png"), full_page=True)
    finally:
        s.close()


def test_the_firms_pages_fit_a_phone(browser: Any, server: str) -> None:  # noqa: F811
    """QA at 375 px: the firm's landing page was 1,207 px wide (its 政策 table out of its card), the
    self-check's form and results ran off the screen. Each page now fits the phone's width (a wide
    table scrolls inside its own box) and the self-check's 结果 column is on the screen."""
    s = Session(browser, server)
    try:
        s.context.close()
        s.context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
        s.page = s.context.new_page()
        s.login("firm")
        for path in ("/policy/check", s.page.url.removeprefix(server) or "/"):
            s.page.goto(server + path)
            s.page.wait_for_load_state("networkidle")
            width = s.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 376, (path, width)
        s.page.goto(server + "/policy/check")
        s.page.wait_for_load_state("networkidle")
        status = s.page.locator("#check-result thead th").nth(3).bounding_box()
        assert status is not None and status["x"] + status["width"] <= 375, status
    finally:
        s.close()


def test_a_form_sent_after_the_session_ended_comes_back_after_login(browser: Any, server: str) -> None:  # noqa: F811
    """The session ends (here: its cookies are gone) while a page is open; submitting its htmx form
    or its plain form leads to the login page with the notice, and logging in returns to the page."""
    s = Session(browser, server)
    try:
        s.login("researcher")
        for path, submit in (("/policy/whatif", "#whatif-run"), ("/policy", "#run-submit")):
            s.open(path)
            if path == "/policy":
                s.page.fill("#run-as-of", "2025-03-31")
                s.page.fill("#run-period", "2024")
            s.context.clear_cookies()
            s.page.click(submit)
            s.page.wait_for_selector("#login-expired")
            assert "/login" in s.page.url and "expired=1" in s.page.url, s.page.url
            assert "没有保存" in s.page.inner_text("#login-expired")
            s.page.fill("#username", "researcher")
            s.page.fill("#password", PASSWORD)
            s.page.click("#login-submit")
            s.page.wait_for_load_state("networkidle")
            assert s.page.url == server + path, (path, s.page.url)
        s.errors = [e for e in s.errors if "401" not in e]  # the browser logs nothing else
        assert not s.errors, s.errors
    finally:
        s.close()
