"""项目详情 forms and 达产达效 in Chromium, on the demo zone: an investment officer edits a project's
promises (万元), hands it over to the park officer with a reason and sees the hand-over history; a
leader opens the delivery page (the bar chart drawn) and the weekly digest. No console errors.

Uses the live server, browser and Session of test_browser.py; screenshots go to
``$ZONEBRAIN_SCREENSHOT_DIR`` when set (docs/screenshots/pipeline-project.png,
pipeline-delivery.png, pipeline-digest.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD
from tests.web.test_browser import Session, browser, server, shots  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@contextmanager
def _api(base: str, username: str) -> Iterator[Any]:
    """An API client logged in as *username* (CSRF header set)."""
    import httpx

    with httpx.Client(base_url=base) as c:
        r = c.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        yield c


def test_edit_a_promise_and_hand_it_over(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    with _api(server, "investor") as api:
        r = api.post(
            "/api/v1/pipeline/projects",
            json={"name": "浏览器达产科技有限公司", "park_id": "wutong", "origin": "referral"},
        )
        assert r.status_code == 201, r.text
        pid = r.json()["project"]["id"]
    s = Session(browser, server)
    try:
        s.login("investor")
        s.open(f"/pipeline/{pid}")
        s.page.fill("#edit-form input[name=promised_investment]", "12,000.5")
        s.page.fill("#edit-form input[name=promised_output]", "30000")
        s.page.fill("#edit-form input[name=promised_tax]", "1500.25")
        s.page.fill("#edit-form input[name=promised_jobs]", "120")
        s.page.click("#edit-submit")
        s.page.wait_for_load_state("networkidle")
        assert s.page.inner_text("#promised-investment") == "12,000.50"
        assert s.page.inner_text("#promised-tax") == "1,500.25"
        assert s.page.inner_text("#promised-jobs") == "120"
        assert s.page.inner_text("#project-version") == "2"
        s.page.select_option("#handover-owner", "parkofficer")
        s.page.fill("#handover-reason", "属地园区跟进")
        s.page.click("#handover-submit")
        s.page.wait_for_load_state("networkidle")
        assert s.page.inner_text("#project-owner") == "parkofficer"
        history = s.page.locator("#handover-history tr[data-to='parkofficer']")
        assert history.count() == 1 and "属地园区跟进" in history.inner_text()
        assert "investor" in history.inner_text()
        assert s.page.locator("#project-history tr[data-kind='handover']").count() == 1
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "pipeline-project.png"), full_page=True)
    finally:
        s.close()


def test_delivery_page_draws_its_chart(browser: Any, server: str, shots: Path) -> None:  # noqa: F811
    with _api(server, "admin") as api:
        firms = api.get("/api/v1/enterprises", params={"park": "wutong", "size": 8}).json()["rows"]
        assert len(firms) >= 4
        for i, firm in enumerate(firms[:6]):
            r = api.post(
                "/api/v1/pipeline/projects",
                json={
                    "name": firm["name"],
                    "uscc": firm["uscc"],
                    "park_id": "wutong",
                    "origin": "targeting",
                    "promised_output_fen": 10**7 * (1 + 20 * (i % 3)),
                    "promised_tax_fen": 10**5 * (1 + 20 * (i % 3)),
                    "promised_jobs": 2 * (1 + 5 * (i % 3)),
                },
            )
            assert r.status_code == 201, r.text
            to = "达产" if i % 2 else "投产"
            moved = api.post(
                f"/api/v1/pipeline/projects/{r.json()['project']['id']}/stage",
                json={"to": to, "expected_version": 1},
            )
            assert moved.status_code == 200, moved.text
        rated = [
            r for r in api.get("/api/v1/pipeline/delivery").json()["rows"] if r["delivery_rate"] is not None
        ]
        assert rated
    s = Session(browser, server)
    try:
        s.login("leader")
        s.open("/pipeline/delivery")  # the chart's canvas drawn, no console errors
        assert s.page.locator(".chart[data-chart='delivery-bars'][data-rendered='1']").count() == 1
        assert s.page.locator("#delivery-table tbody tr").count() >= len(rated)
        s.page.screenshot(path=str(shots / "pipeline-delivery.png"), full_page=True)
        s.open("/pipeline/digest?by=park")
        assert s.page.locator("#digest-summary tbody tr").count() >= 1
        s.page.click("#digest-groups a[data-group='owner']")
        s.page.wait_for_load_state("networkidle")
        assert "by=owner" in s.page.url
        assert not s.errors, s.errors
        s.page.screenshot(path=str(shots / "pipeline-digest.png"), full_page=True)
    finally:
        s.close()
