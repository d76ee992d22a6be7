"""A recorded run whose budget pool (ranking) leaves most eligible awards 0 fen: the pages say 符合,
未获分配 (eligible, not funded) for those, as the what-if does, and 符合 for the funded ones; the
summary chart names clauses as its table does."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, logged_in, make_app
from zonebrain.policy import load_library, run_policies, set_budget
from zonebrain.storage import open_warehouse
from zonebrain.web._i18n import COOKIE
from zonebrain.web._queries import policy as q


@pytest.fixture(scope="module")
def pooled(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str, TestClient]]:
    folder = tmp_path_factory.mktemp("unfunded")
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    lib = set_budget(load_library(), "zz-gxq-2022", "100万", rule="ranking")
    with open_warehouse(copy.warehouse) as wh:
        run = run_policies(wh, lib, dt.date(2025, 3, 31))
    app = make_app(copy, folder)
    with TestClient(app), logged_in(app, ["leader", "researcher"]) as users:
        yield users["leader"], run.run_id, users["researcher"]


def test_shown_status() -> None:
    assert q.shown_status("eligible", 0) == "unfunded"
    assert q.shown_status("eligible", 1) == "eligible"
    assert q.shown_status("eligible", None) == "eligible"
    assert q.shown_status("undetermined", 0) == "undetermined"


def test_pages_say_not_funded_for_a_pool_cut_award(pooled: tuple[TestClient, str, TestClient]) -> None:
    c, run_id, _ = pooled
    api = f"/api/v1/policy/runs/{run_id}/results"
    got = c.get(api, params={"status": "eligible", "size": 500}).json()
    cut = [r for r in got["rows"] if r["amount_fen"] == 0]
    paid = [r for r in got["rows"] if (r["amount_fen"] or 0) > 0]
    assert cut and paid  # 100万 by ranking: a few awards funded, the rest cut to 0
    assert got["rows"][0]["status"] == "eligible"  # the API keeps the code
    page = c.get(f"/policy/runs/{run_id}", params={"status": "eligible", "size": 500}).text
    assert page.count("符合, 未获分配") == len(cut)
    firm = cut[0]["uscc"]
    trace = c.get(f"/policy/runs/{run_id}/trace/{firm}").text
    assert "符合, 未获分配" in trace
    assert "符合, 未获分配" in c.get(f"/policy/enterprise/{firm}").text  # the enterprise page's 政策 section
    c.cookies.set(COOKIE, "en")
    try:
        en = c.get(f"/policy/runs/{run_id}/trace/{firm}").text
    finally:
        c.cookies.delete(COOKIE)
    assert "Eligible, not funded" in en and "未获分配" not in en


def test_the_chart_names_clauses_as_the_table(pooled: tuple[TestClient, str, TestClient]) -> None:
    c, run_id, _ = pooled
    page = c.get("/policy", params={"run": run_id}).text
    assert "zz-rd-input/award" not in page.split("echarts", 1)[-1]  # the chart's labels
    assert "郑州高新区企业研发投入奖励 第一条" in page


def test_run_pickers_show_each_runs_as_of_and_year(pooled: tuple[TestClient, str, TestClient]) -> None:
    c, run_id, _ = pooled
    for url in ("/policy/whatif", "/policy/coverage"):
        page = c.get(url).text
        assert f">{run_id} (基准日 2025-03-31, 考核年度 2024)</option>" in page, url


def test_the_enterprise_section_warns_of_a_provisional_run(
    demo: Demo, pooled: tuple[TestClient, str, TestClient]
) -> None:
    """Run last in this module: it records a newer, provisional run (the period not over on its
    as-of date), which the enterprise page's 政策 section then shows with the run pages' warning."""
    c, _, researcher = pooled
    r = researcher.post("/api/v1/policy/runs", json={"as_of": "2024-06-30", "period": 2024})
    assert r.status_code == 201, r.text
    page = c.get(f"/policy/enterprise/{demo.own_firm}").text
    assert 'id="enterprise-provisional"' in page and "暂定" in page
