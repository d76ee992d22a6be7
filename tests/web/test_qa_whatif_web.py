"""QA findings on the web's what-if, 立即测算 and coverage (report items 1, 3, 6, 12, 13).

A private copy of the demo warehouse: the provisional run these tests record must not become the
latest run of the session's other tests.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok, logged_in, private_app
from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError
from zonebrain.policy import load_library, provisional_text
from zonebrain.policy._explain import clause_order
from zonebrain.web._queries import policy_analysis as q
from zonebrain.web._queries.policy import library

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
AS_OF = "2025-03-31"


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    with (
        private_app(demo, tmp_path_factory, "qa-whatif") as application,
        logged_in(application, ["researcher", "leader"]) as out,
    ):
        yield out


@pytest.fixture(scope="module")
def recorded(users: dict[str, TestClient]) -> str:
    """A run of the last full year (coverage reads the latest run's decisions)."""
    return str(api_ok(users["researcher"].post("/api/v1/policy/runs", json={"as_of": AS_OF}), 201)["run_id"])


def _token(c: TestClient, page: str) -> str:
    found = TOKEN.search(c.get(page).text)
    assert found
    return found.group(1)


def _runs(c: TestClient) -> list[str]:
    return [r["run_id"] for r in api_ok(c.get("/api/v1/policy/runs"))["rows"]]


def _whatif(c: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    return api_ok(c.post("/api/v1/policy/whatif", json=body))


def test_a_period_that_has_not_begun_is_refused_on_the_form_and_the_api(users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    before = _runs(c)
    r = c.post(
        "/policy/run",
        data={"as_of": AS_OF, "period": "2030", "csrf_token": _token(c, "/policy")},
        follow_redirects=False,
    )
    assert r.status_code == 400, r.text
    assert "考核年度 2030 在基准日 2025-03-31 尚未开始" in r.text and "has not begun" in r.text
    msg = api_error(
        c.post("/api/v1/policy/runs", json={"as_of": AS_OF, "period": 2030}), 400, "invalid_input"
    )
    assert msg.startswith("考核年度 2030") and "leave it empty for 2024" in msg
    assert _runs(c) == before  # nothing recorded: it cannot become the latest run


def test_a_provisional_baseline_is_warned_of_on_the_page_the_json_and_the_excel(
    users: dict[str, TestClient],
) -> None:
    c = users["researcher"]
    run = api_ok(c.post("/api/v1/policy/runs", json={"as_of": AS_OF, "period": 2025}), 201)  # allowed
    warning = provisional_text(dt.date(2025, 3, 31), 2025)
    page = c.post(
        "/policy/whatif", data={"baseline": run["run_id"], "csrf_token": _token(c, "/policy/whatif")}
    )
    assert page.status_code == 200, page.text
    assert '<p class="warn whatif-warning">2025 年度在基准日 2025-03-31 尚未结束' in page.text
    body = _whatif(c, {"baseline_run_id": run["run_id"]})
    assert body["warnings"] == [warning]
    xlsx = c.post("/api/v1/policy/whatif?format=xlsx", json={"baseline_run_id": run["run_id"]})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content))["情景 scenario"]
    assert ("注意", warning) in [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2)]


def test_an_as_of_date_after_today_is_warned_of(users: dict[str, TestClient]) -> None:
    ahead = (beijing_today() + dt.timedelta(days=400)).isoformat()
    body = _whatif(users["researcher"], {"as_of": ahead})
    assert len(body["warnings"]) == 1 and body["warnings"][0].startswith(f"基准日 {ahead} 晚于今天")
    assert _whatif(users["researcher"], {"as_of": AS_OF})["warnings"] == []


def test_firms_a_pool_cuts_to_zero_are_no_beneficiaries(users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    nothing = _whatif(c, {"as_of": AS_OF, "budgets": {"zz-gxq-2022": {"pool_wan": "0", "rule": "ranking"}}})
    t = nothing["totals"]
    assert t["cost_after_fen"] == 0 and t["eligible_after"] > 0
    assert t["firms_after"] == 0 and all(p["firms_after"] == 0 for p in nothing["by_park"])
    small = _whatif(c, {"as_of": AS_OF, "budgets": {"zz-gxq-2022": {"pool_wan": "100", "rule": "ranking"}}})
    t = small["totals"]
    assert 0 < t["firms_after"] < t["firms_before"] and t["cost_after_fen"] == 100 * 1_000_000
    assert sum(p["firms_after"] for p in small["by_park"]) == t["firms_after"]
    texts = [x["detail_text"] for x in small["losers"]]
    assert any("→ 符合, 未获分配 0.00元" in x for x in texts), texts
    assert not any(re.search(r"→ 符合 0\.00元", x) for x in texts), texts
    # the document sets no pool: the scenario's is not cited under one of its clauses (it read 第二条)
    assert [b["ref"] for b in small["budget"]] == ["情景新增 (原文未设预算池)"]
    xlsx = c.post(
        "/api/v1/policy/whatif?format=xlsx",
        json={"as_of": AS_OF, "budgets": {"zz-gxq-2022": {"pool_wan": "100", "rule": "ranking"}}},
    )
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content))["预算池 budget"]
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "情景新增 (原文未设预算池)" in cells and "第二条" not in cells


def test_the_per_clause_table_follows_the_library(users: dict[str, TestClient]) -> None:
    body = _whatif(users["researcher"], {"as_of": AS_OF})
    place = clause_order(load_library())
    keys = [(x["policy_id"], x["clause_id"]) for x in body["by_clause"]]
    assert keys == sorted(keys, key=place.__getitem__)
    assert [c for p, c in keys if p == "zz-revenue-breakthrough"] == [
        "reach-10m", "reach-20m", "reach-50m", "reach-100m"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "words", "yes_no", "heads"),
    [
        ("zh-CN", {"企业申报", "政府数据"}, {"是", "否"}, ("来源", "免申即享")),
        ("en", {"Declared", "Government data"}, {"yes", "no"}, ("Source", "From data")),
    ],
)
def test_coverage_excel_says_sources_and_yes_no_in_words(
    users: dict[str, TestClient],
    recorded: str,
    lang: str,
    words: set[str],
    yes_no: set[str],
    heads: tuple[str, str],
) -> None:
    c = users["leader"]
    c.cookies.set("zb_lang", lang)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(c.get(f"/api/v1/policy/coverage?format=xlsx&run={recorded}").content)
        )
    finally:
        c.cookies.delete("zb_lang")

    def column(sheet: str, head: str) -> set[Any]:
        ws = book[sheet]
        at = [h.value for h in ws[1]].index(head)
        return {row[at].value for row in ws.iter_rows(min_row=2)}

    source, from_data = heads  # the headers in the reader's language too (QA)
    assert column("缺失字段 missing", source) <= words and column("缺失字段 missing", source)
    assert column("条款覆盖 clauses", from_data) == yes_no  # rd_expense_fen is declared: one 否


def test_whatif_errors_say_the_rule_in_both_languages() -> None:
    with pytest.raises(InputError) as exc:
        q.scenario(library(), 2024, {"param:zz-rd-input.rate": "abc"})
    english = str(exc.value).split("(", 2)[-1]
    assert "e.g. 2.5 or 2.5%" in english and "或" not in english
    with pytest.raises(InputError) as exc:
        q.scenario(library(), 2024, {"param:zz-rd-input.rate": "2.55555"})
    assert "最多 4 位小数" in str(exc.value) and "at most 4 decimal places" in str(exc.value)
