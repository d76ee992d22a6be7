"""Real-browser tests: Playwright driving Debian's Chromium against a live server on loopback.

Every page is opened as a role that may see it; it must render without console errors and every
chart's canvas must be drawn. Then the main flows: log in, import a file and confirm, open a chain
node's firms, export a table to Excel, switch the language. Screenshots go to
``$ZONEBRAIN_SCREENSHOT_DIR`` when set (``docs/screenshots`` is made that way, see docs/web.md).

Locally the tests skip without /usr/bin/chromium, Playwright or the npm-installed ECharts; in CI
(``CI=true``) those are failures, since ``make test`` installs them.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.web._undetermined import with_undetermined
from tests.web.conftest import PASSWORD, Demo, make_app

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("ZONEBRAIN_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROLE_PAGES = {
    "admin": [
        "/",
        "/portrait",
        "/chains",
        "/complexity",
        "/enterprises",
        "/imports",
        "/admin/users",
        "/admin/audit",
    ],
    "leader": [
        "/",
        "/portrait?park=wutong",
        "/chains?chain=intelligent-sensors",
        "/complexity",
        "/enterprises",
        "/kpi",
        "/kpi/targets",
        "/policy",
        "/policy/batches",
        "/policy/whatif",
        "/policy/coverage",
        "/pipeline",
        "/pipeline/funnel",
        "/opportunities",
    ],
    "investor": [
        "/chains?chain=computing-digital",
        "/enterprises",
        "/pipeline",
        "/pipeline/digest",
        "/candidates",
        "/linking",
    ],
    "parkofficer": ["/", "/enterprises", "/kpi", "/policy/verify", "/linking"],
    "researcher": [
        "/portrait?chain=biomedicine",
        "/policy",
        "/policy/ledger",
        "/policy/verify",
        "/pipeline/delivery",
    ],
    "firm": ["/account/password", "/"],
}


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} (make test installs it)")
    pytest.skip(what)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server on 127.0.0.1 over a private copy of the demo warehouse (the import flow writes)."""
    import uvicorn

    from zonebrain.web._render import vendor_available

    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the playwright package is not installed")
    if not all(vendor_available().values()):
        _missing("ECharts/htmx are not installed into the static folder: run scripts/install_echarts.sh")
    folder = tmp_path_factory.mktemp("browser")
    zone = with_undetermined(demo, tmp_path_factory)  # the 待核实 queue's pages need 待核实 firms
    source = Path(os.environ.get("ZONEBRAIN_BROWSER_WAREHOUSE", zone.warehouse))
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(source, copy.warehouse)
    if source != zone.warehouse:  # screenshots of a bigger demo: pick that warehouse's firms
        from zonebrain.storage import open_warehouse

        with open_warehouse(copy.warehouse, read_only=True) as wh:
            ent = wh.table("enterprises")
            own = wh.to_arrow(ent.filter(ent.park_id == "shifo").order_by("uscc").limit(1))["uscc"][0].as_py()
        copy = Demo(copy.warehouse, demo.files, own, demo.wutong_firm)
    app = make_app(copy, folder)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
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


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ZONEBRAIN_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Session:
    """One browser context logged in as one user; collects console errors."""

    def __init__(self, browser: Any, base: str, locale: str = "zh-CN") -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": 1440, "height": 900}, locale=locale, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, username: str) -> None:
        self.page.goto(self.base + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-submit")
        self.page.wait_for_load_state("networkidle")
        assert "/login" not in self.page.url, self.page.content()[:500]

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        self.page.wait_for_load_state("networkidle")
        self.charts_drawn(path)
        assert not self.errors, (path, self.errors)

    def charts_drawn(self, where: str) -> None:
        charts = self.page.locator(".chart")
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            self.page.wait_for_function(
                "el => el.dataset.rendered === '1'", arg=chart.element_handle(), timeout=15_000
            )
            drawn = chart.evaluate(
                """el => { const c = el.querySelector('canvas'); if (!c) return 0;
                           const ctx = c.getContext('2d'); const d = ctx.getImageData(0, 0, c.width, c.height).data;
                           let n = 0; for (let k = 3; k < d.length; k += 4) { if (d[k] > 0) n++; } return n; }"""
            )
            assert drawn > 500, (where, chart.get_attribute("data-chart"), drawn)

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_renders_for_its_roles(browser: Any, server: str, role: str, shots: Path) -> None:
    s = Session(browser, server)
    try:
        s.login(role)
        for path in ROLE_PAGES[role]:
            s.open(path)
            if role == "admin":
                name = path.strip("/").replace("/", "-").split("?")[0] or "overview"
                s.page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        if role == "firm":
            assert "/enterprises/" in s.page.url
            s.page.screenshot(path=str(shots / "enterprise.png"), full_page=True)
            assert s.page.goto(server + "/portrait").status == 403  # type: ignore[union-attr]
    finally:
        s.close()


def test_login_page_and_wrong_password(browser: Any, server: str, shots: Path) -> None:
    s = Session(browser, server)
    try:
        s.page.goto(server + "/login")
        s.page.screenshot(path=str(shots / "login.png"))
        s.page.fill("#username", "leader")
        s.page.fill("#password", "not-the-password")
        s.page.click("#login-submit")
        assert "用户名或口令不正确" in s.page.inner_text("#login-error")
    finally:
        s.close()


def test_chain_node_click_lists_its_firms_and_exports(browser: Any, server: str, shots: Path) -> None:
    s = Session(browser, server)
    try:
        s.login("leader")
        s.open("/chains?chain=intelligent-sensors")
        chart = s.page.locator(".chart").first
        box = chart.bounding_box()
        # the pixel position of the node with most firms, from the chart's own layout
        xy = chart.evaluate(
            """el => { const c = echarts.getInstanceByDom(el); const nodes = c.getOption().series[0].data;
                       let best = nodes[0]; for (const n of nodes) { if (n.value > best.value) best = n; }
                       return c.convertToPixel({seriesIndex: 0}, [best.x, best.y]); }"""
        )
        s.page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
        s.page.wait_for_selector("#node-firms-table table.data tbody tr")
        rows = s.page.locator("#node-firms-table tbody tr").count()
        assert rows > 0
        s.page.screenshot(path=str(shots / "chains-node.png"), full_page=True)
        with s.page.expect_download() as info:
            s.page.click("#node-firms-table a.export")
        import openpyxl

        data = Path(info.value.path()).read_bytes()
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        assert ws is not None and ws.max_row - 2 == rows
        assert not s.errors, s.errors
    finally:
        s.close()


def test_import_a_file_and_confirm(
    browser: Any, server: str, demo: Demo, shots: Path, tmp_path: Path
) -> None:
    from tests.registry.conftest import good_rows, write_csv

    path = write_csv(tmp_path / "新企业.csv", good_rows(5))
    s = Session(browser, server)
    try:
        s.login("admin")
        s.open("/imports")
        s.page.select_option("#import-kind", "enterprises")
        s.page.set_input_files("#import-file", str(path))
        s.page.click("#upload-submit")
        s.page.wait_for_selector("#confirm-form")
        assert s.page.inner_text("#import-rejected") == "0"
        s.page.screenshot(path=str(shots / "imports-report.png"), full_page=True)
        s.page.click("#confirm-submit")
        s.page.wait_for_selector("#import-inserted")
        assert s.page.inner_text("#import-inserted") == "5"
        s.open("/enterprises?q=郑州测试")
        assert s.page.locator("#enterprises-table tbody tr").count() == 5
        s.open("/admin/audit")
        assert "import.confirm" in s.page.inner_text("#audit-table")
    finally:
        s.close()


def test_switch_language(browser: Any, server: str, shots: Path) -> None:
    s = Session(browser, server)
    try:
        s.login("investor")
        s.open("/chains")
        assert "产业链图谱" in s.page.inner_text("h1")
        s.page.click("#lang-en")
        s.page.wait_for_load_state("networkidle")
        assert "Industry chain maps" in s.page.inner_text("h1")
        s.charts_drawn("/chains (en)")
        s.page.screenshot(path=str(shots / "chains-en.png"), full_page=True)
        s.page.click("#lang-zh-CN")
        s.page.wait_for_load_state("networkidle")
        assert "产业链图谱" in s.page.inner_text("h1")
        assert not s.errors, s.errors
    finally:
        s.close()


def test_live_search_with_htmx(browser: Any, server: str) -> None:
    s = Session(browser, server)
    try:
        s.login("leader")
        s.open("/enterprises")
        before = s.page.inner_text("#enterprises-table .count")
        s.page.fill("#q", "科技")
        s.page.wait_for_function(
            "b => document.querySelector('#enterprises-table .count').innerText !== b",
            arg=before,
            timeout=10_000,
        )
        assert "q=" in s.page.url  # hx-push-url keeps the search in the address bar
        assert not s.errors, s.errors
    finally:
        s.close()
