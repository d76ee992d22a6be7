"""目标企业 → 项目库 in Chromium: an investment officer ticks two candidates and adds them, sees them
marked 已在项目库, finds them on the 项目库 board in 线索, moves one a stage; the funnel page draws its
charts; the 资源对接 page shows the Excel import. No console errors anywhere.

Uses the live server, browser and Session of test_browser.py; screenshots go to
``$ZONEBRAIN_SCREENSHOT_DIR`` when set (docs/screenshots/candidates-handoff.png, pipeline.png,
pipeline-funnel.png, linking.png).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import Session, browser, server, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_add_two_candidates_and_move_one(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("investor")
        s.open("/candidates?mode=class&classes=3976,3971")
        boxes = s.page.locator("#cand-handoff input[name=lead]")
        assert boxes.count() > 2
        picked = [json.loads(boxes.nth(i).get_attribute("value") or "{}") for i in range(2)]
        boxes.nth(0).check()
        boxes.nth(1).check()
        s.page.select_option("#handoff-park", "wutong")
        s.page.click("#handoff-submit")
        s.page.wait_for_selector("#handoff-outcomes")
        assert s.page.locator("#handoff-outcomes li[data-status='created']").count() == 2
        for lead in picked:
            status = s.page.locator(f"[id='cand-status-{lead['uscc']}']")
            assert "已在项目库" in status.inner_text()
            assert s.page.locator(f"[id='cand-pick-{lead['uscc']}'] input").count() == 0
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "candidates-handoff.png"), full_page=True)

        s.open("/pipeline")
        leads = s.page.locator("#pipeline-board [data-stage='线索'] a.card")
        names = leads.all_inner_texts()
        for lead in picked:
            assert any(lead["name"] in n for n in names), (lead["name"], names)
        s.page.locator("#pipeline-board [data-stage='线索'] a.card", has_text=picked[0]["name"]).click()
        s.page.wait_for_load_state("networkidle")
        assert s.page.inner_text("#project-stage") == "线索"
        s.page.select_option("#stage-select", "接洽")
        s.page.click("#stage-submit")
        s.page.wait_for_load_state("networkidle")
        assert s.page.inner_text("#project-stage") == "接洽"
        s.open("/pipeline")
        moved = s.page.locator("#pipeline-board [data-stage='接洽'] a.card", has_text=picked[0]["name"])
        assert moved.count() == 1
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "pipeline.png"), full_page=True)
    finally:
        s.close()


def test_funnel_page_draws_its_charts(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("leader")
        s.open("/pipeline/funnel?by=origin")  # every chart's canvas drawn, no console errors
        assert s.page.locator(".chart[data-chart='funnel'][data-rendered='1']").count() == 1
        assert s.page.locator(".chart[data-chart='stage-days'][data-rendered='1']").count() == 1
        assert s.page.locator("#conversion-table tbody tr").count() >= 1
        s.page.click("#funnel-groups a[data-group='owner']")
        s.page.wait_for_load_state("networkidle")
        s.charts_drawn("/pipeline/funnel?by=owner")
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "pipeline-funnel.png"), full_page=True)
    finally:
        s.close()


def test_linking_page_offers_the_excel_import(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("investor")
        s.open("/linking")
        assert s.page.locator("#import-form").is_visible()
        assert s.page.locator("a.template-link").count() == 2
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "linking.png"), full_page=True)
    finally:
        s.close()
