"""项目库 and 资源对接 in a real browser: an officer adds a project through the form, moves it a stage,
and the board shows it with its stall colour; a duplicate pursuit shows the warning; a firm submits a
demand, an officer proposes the top-ranked resource and resolves it, the firm rates it.
Chromium via Playwright.

Skips locally without /usr/bin/chromium or Playwright; with ``CI=true`` that is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.web.conftest import PASSWORD, USERS
from zonebrain.appstore import Role, open_app_store
from zonebrain.registry import load_zone
from zonebrain.storage import open_warehouse

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("ZONEBRAIN_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from zonebrain.web import create_app

    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed")
    folder = tmp_path_factory.mktemp("pipebrowser")
    with open_warehouse(folder / "wh.duckdb") as wh:
        wh.migrate()
        wh.replace("parks", load_zone().parks_table())
    store = open_app_store(folder / "app.sqlite", password_cost="low")
    for name, (role, extra) in USERS.items():
        scope = dict(extra)
        if role is Role.ENTERPRISE_USER:
            scope["uscc"] = "91110000600037341L"
        store.users.add(name, PASSWORD, role, **scope)  # type: ignore[arg-type]
    store.close()
    app = create_app(
        str(folder / "wh.duckdb"), app_db_url=str(folder / "app.sqlite"), data_dir=folder, password_cost="low"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _session(browser: Any, base: str, username: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    return context, page, errors


def test_add_a_project_move_it_and_see_the_board(browser: Any, server: str) -> None:
    context, page, errors = _session(browser, server, "investor")
    try:
        page.goto(server + "/pipeline")
        page.fill("#project-form input[name=name]", "浏览器测试科技有限公司")
        page.select_option("#project-form select[name=park_id]", "wutong")
        page.select_option("#project-form select[name=origin]", "targeting")
        page.click("#project-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/pipeline/" in page.url
        assert page.inner_text("#project-name") == "浏览器测试科技有限公司"
        assert page.inner_text("#project-stage") == "线索"
        page.select_option("#stage-select", "接洽")
        page.click("#stage-submit")
        page.wait_for_load_state("networkidle")
        assert page.inner_text("#project-stage") == "接洽"
        assert "接洽" in page.inner_text("#project-history")
        page.goto(server + "/pipeline")
        card = page.locator("#pipeline-board [data-stage='接洽'] a.card", has_text="浏览器测试科技有限公司")
        assert card.count() == 1 and card.get_attribute("data-stall") == "green"
        assert errors == []
    finally:
        context.close()


def test_a_second_park_sees_the_duplicate_pursuit_warning(browser: Any, server: str) -> None:
    context, page, errors = _session(browser, server, "parkofficer")
    try:
        page.goto(server + "/pipeline")
        page.fill("#project-form input[name=name]", "郑州浏览器测试科技股份有限公司")
        page.click("#project-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("#pursuit-warnings").is_visible()
        assert "浏览器测试科技有限公司" in page.inner_text("#pursuit-warnings")
        assert errors == []
    finally:
        context.close()


def test_submit_propose_resolve_and_rate_a_demand(browser: Any, server: str) -> None:
    import httpx

    # the catalogue holds one loan product (added through the API as the investment officer)
    with httpx.Client(base_url=server) as api:
        r = api.post("/api/v1/session", json={"username": "investor", "password": PASSWORD})
        api.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        assert (
            api.post(
                "/api/v1/linking/resources",
                json={"kind": "bank_loan", "name": "浏览器科技贷", "keywords": ["研发"]},
            ).status_code
            == 201
        )
    firm_ctx, firm, firm_errors = _session(browser, server, "firm")
    officer_ctx, officer, officer_errors = _session(browser, server, "investor")
    try:
        firm.goto(server + "/linking")
        firm.select_option("#demand-form select[name=kind]", "financing")
        firm.fill("#demand-form input[name=title]", "研发流动资金贷款")
        firm.click("#demand-form button[type=submit]")
        firm.wait_for_load_state("networkidle")
        demand_url = firm.url
        assert "/linking/demands/" in demand_url and firm.inner_text("#demand-status") == "待响应"
        officer.goto(demand_url)
        suggestion = officer.locator("#demand-suggestions form.suggestion").first
        assert "浏览器科技贷" in suggestion.inner_text() and "研发" in suggestion.inner_text()
        suggestion.locator("button").click()
        officer.wait_for_load_state("networkidle")
        assert officer.inner_text("#demand-status") == "已响应"
        officer.fill("#resolve-form input[name=resolution]", "已获批贷款300万元")
        officer.click("#resolve-submit")
        officer.wait_for_load_state("networkidle")
        assert officer.inner_text("#demand-status") == "已办结"
        firm.goto(demand_url)
        firm.select_option("#rating-form select[name=rating]", "4")
        firm.click("#rating-submit")
        firm.wait_for_load_state("networkidle")
        assert firm.inner_text("#demand-rating") == "4"
        assert firm.inner_text("#demand-resolution") == "已获批贷款300万元"
        assert firm_errors == [] and officer_errors == []
    finally:
        firm_ctx.close()
        officer_ctx.close()
