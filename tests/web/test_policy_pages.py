"""政策 pages and /api/v1/policy: who may run, see and trace what; scoping in the queries; CSRF."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, logged_in, private_app, run_now

ROLES_WITH_AGGREGATES = ("admin", "leader", "investor", "parkofficer", "researcher")
ROLES_WITH_FINANCE = ("admin", "leader", "parkofficer", "researcher", "firm")


@pytest.fixture(scope="module")
def policy_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A private app over a copy of the demo warehouse (runs write to it)."""
    with private_app(demo, tmp_path_factory, "policyweb") as a:
        yield a


@pytest.fixture(scope="module")
def users(policy_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(policy_app, USERS) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    body = run_now(users["researcher"])
    assert body["period"] == 2024 and body["counts"]["eligible"] > 0
    return str(body["run_id"])


def _form_token(c: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).text)
    assert found
    return found.group(1)


def test_before_any_run_the_page_says_so(users: dict[str, TestClient]) -> None:
    page = users["admin"].get("/policy")
    assert page.status_code == 200 and 'id="policy-no-run"' in page.text
    assert "zz-rd-input" in page.text and "第一条" in page.text  # the library with its clause refs
    assert "《郑州市高新技术企业倍增计划实施方案(2019—2021年)》" in page.text  # the document an award is from
    assert 'id="policy-run-form"' in page.text
    assert 'id="policy-run-form"' not in users["leader"].get("/policy").text  # leaders may not run


def test_a_run_needs_csrf_and_the_right_role(users: dict[str, TestClient], policy_app: FastAPI) -> None:
    researcher = users["researcher"]
    # no CSRF token: refused before anything runs, as a page and as the API
    bare = TestClient(policy_app)
    bare.cookies.update(researcher.cookies)
    r = bare.post("/policy/run", data={"as_of": "2025-03-31"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = bare.post("/api/v1/policy/runs", json={"as_of": "2025-03-31"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    bare.close()
    # with the token but the wrong role
    for name in ("leader", "investor", "parkofficer", "firm"):
        r = users[name].post("/api/v1/policy/runs", json={"as_of": "2025-03-31"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", name
    # the researcher's form with its token runs, records and audits
    token = _form_token(researcher, "/policy")
    r = researcher.post(
        "/policy/run",
        data={"as_of": "2025-03-31", "period": "2024", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/policy/runs/2025-03-31-")
    made = r.headers["location"].rsplit("/", 1)[1]
    runs = users["admin"].get("/api/v1/policy/runs").json()
    assert made in {row["run_id"] for row in runs["rows"]}
    audit = users["admin"].get("/api/v1/audit?action=policy.run").json()["rows"]
    assert any(row["target"] == made and row["username"] == "researcher" for row in audit)


def test_bad_input_is_a_clear_400_or_422(users: dict[str, TestClient]) -> None:
    c = users["admin"]
    r = c.post("/api/v1/policy/runs", json={"as_of": "1999-12-31"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    r = c.post("/api/v1/policy/runs", json={"as_of": "2025-13-01"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    assert c.get("/api/v1/policy/runs/no-such-run/results").status_code == 404
    assert c.get("/policy/runs/no-such-run").status_code == 404
    assert c.get("/api/v1/policy/runs/x/results?status=maybe").status_code == 422
    researcher = users["researcher"]  # the run form parses its day as the CLI does
    token = _form_token(researcher, "/policy")
    for typed, said in (
        ("2025-02-30", "基准日 '2025-02-30' 不存在"),
        ("2025/03/31", "基准日 '2025/03/31' 无效"),
    ):
        r = researcher.post("/policy/run", data={"as_of": typed, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 400 and said.replace("'", "&#39;") in r.text, typed


def test_pages_render_per_role(users: dict[str, TestClient], run_id: str, demo: Demo) -> None:
    for name in USERS:
        page = users[name].get("/policy")
        assert page.status_code == (200 if name in ROLES_WITH_AGGREGATES else 403), name
        results = users[name].get(f"/policy/runs/{run_id}")
        assert results.status_code == (200 if name in ROLES_WITH_FINANCE else 403), name
    page = users["leader"].get("/policy").text
    assert 'data-chart="policy-bars"' in page and run_id in page and ">政策<" in page  # chart, run, nav
    assert (
        f'href="/policy/runs/{run_id}"' not in users["investor"].get("/policy").text
    )  # results: 403 for them
    empty_filters = users["leader"].get(f"/policy/runs/{run_id}?park=&policy=&status=")  # the form's "all"
    assert empty_filters.status_code == 200 and "/trace/" in empty_filters.text
    results = users["leader"].get(f"/policy/runs/{run_id}?status=eligible").text
    assert "符合" in results and "/trace/" in results and "元" in results


def test_results_are_scoped_in_the_query(users: dict[str, TestClient], run_id: str, demo: Demo) -> None:
    path = f"/api/v1/policy/runs/{run_id}/results?size=500"
    everyone = users["leader"].get(path).json()
    officer = users["parkofficer"].get(path).json()
    assert 0 < officer["total"] < everyone["total"]
    assert {r["park"] for r in officer["rows"]} == {"梧桐"}
    assert users["parkofficer"].get(path + "&park=shifo").json()["total"] == 0  # not that park's firms
    firm = users["firm"].get(path).json()
    assert firm["total"] > 0 and {r["uscc"] for r in firm["rows"]} == {demo.own_firm}
    # the export is scoped too
    ws = openpyxl.load_workbook(io.BytesIO(users["parkofficer"].get(path + "&format=xlsx").content)).active
    assert ws is not None and {row[2] for row in ws.iter_rows(min_row=3, values_only=True)} == {"梧桐"}
    # traces: out of scope is 403 (page and API), in scope 200
    other, own = demo.wutong_firm, demo.own_firm  # other: in 梧桐; own: in 石佛
    expect = {"leader": (200, 200), "parkofficer": (200, 403), "firm": (403, 200), "investor": (403, 403)}
    for name, (wutong, shifo) in expect.items():
        for uscc, code in ((other, wutong), (own, shifo)):
            assert users[name].get(f"/api/v1/policy/runs/{run_id}/trace/{uscc}").status_code == code, name
            assert users[name].get(f"/policy/runs/{run_id}/trace/{uscc}").status_code == code, name
    assert users["investor"].get(path).status_code == 403  # firm-level amounts need the finance permission


def test_filters_and_excel_export(users: dict[str, TestClient], run_id: str) -> None:
    c = users["admin"]
    base = f"/api/v1/policy/runs/{run_id}/results"
    eligible = c.get(f"{base}?status=eligible&size=500").json()
    assert eligible["total"] > 0 and all(r["status"] == "eligible" for r in eligible["rows"])
    assert all(isinstance(r["amount_fen"], int) and r["amount_fen"] > 0 for r in eligible["rows"])
    one = c.get(f"{base}?policy=zz-rd-input&size=500").json()
    assert {r["policy_id"] for r in one["rows"]} == {"zz-rd-input"}
    r = c.get(f"{base}?status=eligible&format=xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None and ws.max_row - 2 == eligible["total"]
    summary = c.get(f"/api/v1/policy/runs/{run_id}/summary").json()
    assert sum(row["eligible"] for row in summary["rows"]) == eligible["total"]
    assert sum(row["amount_fen"] for row in summary["rows"]) == sum(r["amount_fen"] for r in eligible["rows"])
    _summaries_count_what_each_reader_may_see(users, run_id, summary)
    lib = c.get("/api/v1/policy/library").json()["policies"]
    rd = next(p for p in lib if p["id"] == "zz-rd-input")
    assert {p["name"] for p in rd["parameters"]} == {"threshold", "rate", "cap"}
    assert any(c["once"] for p in lib for c in p["clauses"])  # the one-time awards are flagged
    clauses = c.get("/api/v1/policy/clauses").json()
    assert len(clauses["rows"]) == sum(len(p["clauses"]) for p in lib)
    ws = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/policy/clauses?format=xlsx").content)).active
    assert ws is not None and ws.max_row - 2 == len(clauses["rows"])


def test_trace_condition_by_condition(users: dict[str, TestClient], run_id: str) -> None:
    c = users["researcher"]
    row = c.get(f"/api/v1/policy/runs/{run_id}/results?status=eligible&policy=zz-rd-input&size=1").json()[
        "rows"
    ][0]
    data = c.get(f"/api/v1/policy/runs/{run_id}/trace/{row['uscc']}").json()
    clause = next(x for x in data["clauses"] if x["policy_id"] == "zz-rd-input")
    assert clause["status"] == "eligible" and clause["labelled"] and clause["clause_ref"] == "第一条"
    last = clause["conditions"][-1]
    assert last["label"].startswith("本期研发投入不低于门槛") and last["result"] is True
    assert last["parameters"] == {"threshold": "5,000,000.00 元"} and last["value_text"].endswith(" 元")
    # the test as people read it: money in 元 like the value, Chinese first; the record kept in `test`
    assert last["test"] == "rd_expense_fen[2024] >= threshold=500000000"
    assert last["test_text"] == "2024年研发费用 ≥ 5,000,000.00 元 (参数 threshold)"
    assert {x["result"] for x in clause["conditions"]} <= {True, False, None}
    assert [x["part"] for x in clause["conditions"]][:1] == ["subject"] and last["part"] == "clause"
    # clauses in the library's order, not by text: reach-10m before reach-100m
    reach = [x["clause_id"] for x in data["clauses"] if x["policy_id"] == "zz-revenue-breakthrough"]
    assert reach == ["reach-10m", "reach-20m", "reach-50m", "reach-100m"]
    assert "exclusion" in {x["part"] for x in clause["conditions"]}
    # an eligible firm: every leaf outside `any` speaks for it, negated ones and exclusions included
    assert all(
        x["favourable"] for x in clause["conditions"] if x["part"] != "clause" and x["result"] is not None
    )
    own = next(x for x in clause["conditions"] if x["negated"])  # not: {tag: 非独立核算}, "独立核算"
    assert own["label"].startswith("独立核算") and own["result"] is False and own["holds"] is True
    page = c.get(f"/policy/runs/{run_id}/trace/{row['uscc']}").text
    assert "本期研发投入不低于门槛" in page and "threshold = 5,000,000.00 元" in page and "✓" in page
    assert "万元" not in page.split('class="data conditions"')[1].split("</table>")[0]
    # the row shows whether its label holds (the firm keeps its own accounts), not the inner tag test
    own_row = next(r for r in page.split("<tr")[1:] if "独立核算 (非分支机构)" in r)
    assert "✓" in own_row and "✗" not in own_row and "result-true" in own_row


def test_enterprise_page_lists_the_latest_results(
    users: dict[str, TestClient], run_id: str, demo: Demo
) -> None:
    page = users["firm"].get(f"/enterprises/{demo.own_firm}").text
    assert f'hx-get="/policy/enterprise/{demo.own_firm}"' in page
    fragment = users["firm"].get(f"/policy/enterprise/{demo.own_firm}")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f"/trace/{demo.own_firm}" in fragment.text
    data = users["firm"].get(f"/api/v1/policy/enterprises/{demo.own_firm}").json()
    assert data["results"] and data["run_id"]
    assert users["firm"].get(f"/policy/enterprise/{demo.wutong_firm}").status_code == 403
    assert users["investor"].get(f"/policy/enterprise/{demo.wutong_firm}").status_code == 403
    assert "/policy/enterprise/" not in users["investor"].get(f"/enterprises/{demo.wutong_firm}").text


def test_english(users: dict[str, TestClient], run_id: str) -> None:
    c = users["researcher"]
    c.get("/lang/en")
    try:
        page = c.get(f"/policy/runs/{run_id}?status=undetermined").text
        assert 'lang="en"' in page and "To be verified" in page and "Export to Excel" in page
    finally:
        c.get("/lang/zh-CN")


def _condition_rows(page: str) -> list[list[str]]:
    """The cells (text, tags stripped) of every row of the trace page's condition tables."""
    rows = []
    for table in page.split('class="data conditions"')[1:]:
        body = table.split("<tbody>")[1].split("</tbody>")[0]
        for tr in body.split("<tr")[1:]:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
            rows.append([html.unescape(re.sub(r"<[^>]+>", "", x)).strip() for x in cells])
    return rows


def test_trace_rows_read_for_people(users: dict[str, TestClient], run_id: str) -> None:
    """Every row has a Chinese label; the 检验 column shows money in 元 like the 取值 column (a
    threshold of 1亿 is 100,000,000.00 元, not 10000000000 next to 103,800,494.00 元)."""
    c = users["researcher"]
    rows = c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-revenue-breakthrough&size=500").json()[
        "rows"
    ]
    firms = list(dict.fromkeys(r["uscc"] for r in rows))[:3]
    hitech = c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-hitech-first-cert&size=1").json()["rows"]
    seen: list[list[str]] = []
    for uscc in [*firms, *(r["uscc"] for r in hitech)]:
        seen += _condition_rows(c.get(f"/policy/runs/{run_id}/trace/{uscc}").text)
    assert seen and all(len(r) == 7 for r in seen)
    assert all(re.search(r"[\u4e00-\u9fff]", r[2]) for r in seen), [r for r in seen if not r[2]]
    labels = {r[2] for r in seen}
    assert {
        "持有“产业结构调整限制类”标签",
        "持有“产业结构调整淘汰类”标签",
        "2024年营业收入 ≥ 1亿元",
    } <= labels
    assert {"持有“高新技术企业”标签", "上一年度发生“迁入”事件 (详情不含“郑州”)"} <= labels
    tests = {r[4] for r in seen}
    assert "2024年营业收入 ≥ 100,000,000.00 元" in tests
    assert "2024年以前各年度最高营业收入 < 100,000,000.00 元" in tests
    assert not [t for t in tests if re.search(r"_fen|\d{7,}", t)], tests  # no amount in bare fen
    data = c.get(f"/api/v1/policy/runs/{run_id}/trace/{firms[0]}").json()
    assert all(x["label"] for cl in data["clauses"] for x in cl["conditions"])


def test_english_trace_pages_read_in_english(users: dict[str, TestClient], run_id: str) -> None:
    """QA: on English pages the trace's conditions, tests and values were Chinese (注册地行政区划代码
    以“410172”开头, 84,157.00 元, 持有“产业结构调整限制类”标签). The stored trace is unchanged; an English
    page words it in English: the policy file's English half of a label, generated labels and tests
    in English, registered values (tags, events, statuses) by their English names, money in yuan.
    Left Chinese: clause references (第一条, the documents' citations) and data text in quotes."""
    c = users["researcher"]
    rows = c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-revenue-breakthrough&size=500").json()[
        "rows"
    ]
    firms = list(dict.fromkeys(r["uscc"] for r in rows))[:2]
    hitech = c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-hitech-first-cert&size=1").json()["rows"]
    c.get("/lang/en")  # as a reader switches (a cookie set by hand would sit beside the app's own)
    try:
        seen: list[list[str]] = []
        for uscc in [*firms, *(r["uscc"] for r in hitech)]:
            seen += _condition_rows(c.get(f"/policy/runs/{run_id}/trace/{uscc}").text)
        api = c.get(f"/api/v1/policy/runs/{run_id}/trace/{firms[0]}").json()
    finally:
        c.get("/lang/zh-CN")
    assert seen
    for r in seen:  # condition, test, value: no Chinese outside quoted data text
        for cell in (r[2], r[4], r[5]):
            assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"“[^”]*”", "", cell)), r
    labels, tests = {r[2] for r in seen}, {r[4] for r in seen}
    assert {"keeps its own accounts", "Revenue (2024) ≥ 100,000,000.00 yuan"} <= labels, labels
    assert "holds the tag “Restricted industry (structural adjustment catalogue)”" in labels
    assert (
        "Revenue (2024) ≥ 100,000,000.00 yuan" in tests
        and "Registry status is one of Existing, Operating" in tests
    )
    assert any(v.endswith(" yuan") for v in (r[5] for r in seen))
    texts = [re.sub(r"“[^”]*”", "", x["test_text"]) for cl in api["clauses"] for x in cl["conditions"]]
    assert texts and not [t for t in texts if re.search(r"[\u4e00-\u9fff]", t)], texts


def test_coverage_declared_facts_by_name(users: dict[str, TestClient], run_id: str) -> None:
    page = users["leader"].get("/policy/coverage").text
    table = page.split('data-name="coverage-clauses"')[1].split("</table>")[0]
    row = next(r for r in table.split("<tr")[1:] if "zz-rd-input" in r)
    cells = [re.sub(r"<[^>]+>", " ", x).split() for x in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[-1][0] == "研发费用", cells[-1]  # the name first, the code after it in small text


def test_runs_columns_have_distinct_labels(users: dict[str, TestClient], run_id: str) -> None:
    c = users["admin"]
    cols = c.get("/api/v1/policy/runs").json()["columns"]
    labels = [x["label"] for x in cols]
    assert len(labels) == len(set(labels)), labels
    ws = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/policy/runs?format=xlsx").content)).active
    assert ws is not None
    heads = next(r for r in ws.iter_rows(values_only=True) if "运行编号" in r)
    named = [h for h in heads if h]
    assert len(named) == len(set(named)) and "说明" in named and "类型" in named, named


def _summaries_count_what_each_reader_may_see(
    users: dict[str, TestClient], run_id: str, zone: dict[str, Any]
) -> None:
    """QA: a park officer's 按条款汇总 (page, API, Excel) showed the zone's totals next to results
    listing the park's firms only. It now counts the park's and says so in its title; the zone's
    readers keep the zone's totals (enterprise users see no summary)."""
    for name in ("parkofficer",):
        c = users[name]
        mine = c.get(f"/api/v1/policy/runs/{run_id}/results?size=500").json()
        got = c.get(f"/api/v1/policy/runs/{run_id}/summary").json()
        assert "rows" in got, got
        for status in ("eligible", "undetermined"):
            listed = [r for r in mine["rows"] if r["status"] == status]
            assert sum(row[status] for row in got["rows"]) == len(listed), (name, status)
        paid = sum(r["amount_fen"] for r in mine["rows"] if r["status"] == "eligible")
        assert sum(row["amount_fen"] for row in got["rows"]) == paid, name
        assert "仅本园区" in got["title"], got["title"]
        ws = openpyxl.load_workbook(
            io.BytesIO(c.get(f"/api/v1/policy/runs/{run_id}/summary?format=xlsx").content)
        ).active
        assert ws is not None and "仅本园区" in str(ws["A1"].value)
    assert users["firm"].get(f"/api/v1/policy/runs/{run_id}/summary").status_code == 403
    park = users["parkofficer"].get(f"/api/v1/policy/runs/{run_id}/summary").json()
    page = users["parkofficer"].get("/policy").text
    assert "按条款汇总 (仅本园区)" in page
    assert 0 < sum(r["eligible"] for r in park["rows"]) < sum(r["eligible"] for r in zone["rows"])
    assert "本园区" not in zone["title"]


def test_table_exports_are_readable_in_excel(users: dict[str, TestClient], run_id: str) -> None:
    """QA: the web's table exports had no column widths (money showed as #####), no frozen header,
    sheet names in English cut at 31 characters (``policy_summary_2025-03-31-bf0f9``), and the
    按条款汇总 did not say which run it was."""
    c = users["admin"]
    for path, sheet in (
        (f"/api/v1/policy/runs/{run_id}/summary?format=xlsx", "按条款汇总"),
        (f"/api/v1/policy/runs/{run_id}/results?status=eligible&format=xlsx", "测算结果"),
        ("/api/v1/policy/runs?format=xlsx", "测算记录 (最近的在前)"),
        ("/api/v1/policy/clauses?format=xlsx", "政策条款一览"),
    ):
        book = openpyxl.load_workbook(io.BytesIO(c.get(path).content))
        assert book.sheetnames == [sheet], path
        ws = book.active
        assert ws is not None and ws.freeze_panes == "A3", path
        title = str(ws["A1"].value)
        assert title.startswith(sheet) and (run_id in title or "runs" in path or "clauses" in path), title
        for j, head in enumerate(ws[2], start=1):
            width = next(d.width for d in ws.column_dimensions.values() if d.min <= j <= d.max)  # ranges
            cells = [r[0] for r in ws.iter_rows(min_row=3, min_col=j, max_col=j)]
            longest = max((len(_shown(x)) for x in cells if x.value is not None), default=0)
            assert width >= min(longest, 58), (path, head.value, width, longest)


def _shown(cell: Any) -> str:
    """About what Excel shows of a cell: money with separators, a date as its day."""
    v = cell.value
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d" if cell.number_format == "yyyy-mm-dd" else "%Y-%m-%d %H:%M:%S")
    if isinstance(v, int | float) and not isinstance(v, bool) and "#,##0" in cell.number_format:
        return f"{v:,.2f}"
    return str(v)
