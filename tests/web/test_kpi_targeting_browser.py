"""经济运行, 招商机会 and 目标企业 in Chromium: each renders without console errors, its charts are drawn,
and the main interaction works (drill into a park, switch the preset, search candidates).

Uses the live server, browser and Session of test_browser.py; screenshots go to
``$ZONEBRAIN_SCREENSHOT_DIR`` when set (docs/screenshots/kpi.png, opportunities.png, candidates.png).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import Session, browser, server, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_kpi_page_draws_the_trend_and_drills_into_a_park(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("admin")
        s.open("/kpi")
        assert s.page.locator("#kpi-monitor tbody tr").count() > 1
        s.page.click("#kpi-monitor a.drill[data-park='wutong']")
        s.page.wait_for_selector("#kpi-contributions tbody tr")
        assert s.page.locator("#kpi-contributions tbody tr").count() >= 1
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "kpi.png"), full_page=True)
    finally:
        s.close()


def test_opportunities_scatter_and_preset_switch(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("investor")
        s.open("/opportunities")
        s.page.click("#preset-switch a[data-preset='跨越']")
        s.page.wait_for_load_state("networkidle")
        assert "preset=" in s.page.url
        s.charts_drawn("/opportunities?preset=跨越")
        assert s.page.locator("#preset-switch [aria-current='true']").get_attribute("data-preset") == "跨越"
        assert s.page.locator("#opportunities-table tbody tr").count() > 10
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "opportunities.png"), full_page=True)
    finally:
        s.close()


def test_candidates_search_lists_firms_with_reasons(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    s = Session(browser, server)
    try:
        s.login("leader")
        s.open("/candidates")
        s.page.select_option("#cand-mode", "class")
        s.page.fill("#candidate-filters input[name=classes]", "3976, 3971")
        s.page.click("#cand-submit")
        s.page.wait_for_load_state("networkidle")
        rows = s.page.locator("#candidates-table tbody tr")
        assert rows.count() > 1
        assert "补缺" in s.page.inner_text("#candidates-table tbody")
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "candidates.png"), full_page=True)
    finally:
        s.close()


def test_kpi_target_edit_shows_history_and_moves_the_completion_rate(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    s = Session(browser, server)

    def wutong_completion() -> str:
        s.open("/kpi?indicator=revenue")
        row = s.page.locator("#kpi-monitor tbody tr", has=s.page.locator("a.drill[data-park='wutong']"))
        heads = [h.strip() for h in s.page.locator("#kpi-monitor thead th").all_inner_texts()]
        at = next(i for i, h in enumerate(heads) if h.startswith("完成率"))
        return row.locator("td").nth(at).inner_text().strip()  # the 完成率 column, found by its header

    try:
        s.login("leader")
        before = wutong_completion()
        s.page.click("#kpi-targets-link")
        s.page.wait_for_load_state("networkidle")
        s.page.click("#targets-grid tr[data-park='wutong'] td[data-indicator='revenue'] a.edit-target")
        s.page.wait_for_load_state("networkidle")
        assert s.page.input_value("#target-park") == "wutong"
        assert s.page.input_value("#target-indicator") == "revenue"
        s.page.fill("#target-value", "5000.5")
        s.page.fill("#target-reason", "浏览器测试: 年中调整")
        s.page.click("#target-submit")
        s.page.wait_for_selector("#target-saved")
        cell = "#targets-grid tr[data-park='wutong'] td[data-indicator='revenue'] .target-value"
        assert s.page.inner_text(cell).strip() == "5000.5"
        history = s.page.inner_text("#kpi-target-history tbody")
        assert "浏览器测试: 年中调整" in history and "5000.5" in history and "leader" in history
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "kpi-targets.png"), full_page=True)
        after = wutong_completion()
        assert after and after != before, (before, after)
        assert not s.errors, s.errors
    finally:
        s.close()
