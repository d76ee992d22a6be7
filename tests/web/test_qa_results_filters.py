"""QA fixes of a run's results and traces: the park filter by name (梧桐 finds what wutong finds), an
unknown park or policy refused with 400 naming the choices (page, API and Excel); names first, the
codes after (results, 按条款汇总, trace headings); the trace's notes and amount rule in words."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, api_ok, logged_in, private_app, run_now
from zonebrain.policy import Explained, explain
from zonebrain.web._i18n import translator
from zonebrain.web._queries import policy as q

HITECH = "郑州市高新技术企业首次认定奖励"


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    with private_app(demo, tmp_path_factory, "qaresults") as a, logged_in(a, list(USERS)) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    return str(run_now(users["researcher"])["run_id"])


def _total(page: str) -> int:
    found = re.search(r"共 ([\d,]+) 行", page)
    assert found, page[:2000]
    return int(found.group(1).replace(",", ""))


# ---- item 2: the park by code or name, unknown values refused ---------------------------------------


def test_a_park_by_name_finds_what_its_code_finds(users: dict[str, TestClient], run_id: str) -> None:
    c = users["leader"]
    api = f"/api/v1/policy/runs/{run_id}/results"
    by_code = api_ok(c.get(api, params={"park": "wutong", "size": 1}))["total"]
    assert by_code > 0
    for name in ("梧桐", "梧桐街道", "Wutong", "WUTONG"):
        assert api_ok(c.get(api, params={"park": name, "size": 1}))["total"] == by_code, name
    page = c.get(f"/policy/runs/{run_id}", params={"park": "梧桐"}).text
    assert _total(page) == by_code
    assert re.search(r'<option value="wutong" selected>', page)  # the filter shows what it found
    xlsx = c.get(api, params={"park": "梧桐", "format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None and ws.max_row - 2 == by_code


def test_a_policy_by_name_finds_what_its_id_finds(users: dict[str, TestClient], run_id: str) -> None:
    c = users["leader"]
    api = f"/api/v1/policy/runs/{run_id}/results"
    by_id = api_ok(c.get(api, params={"policy": "zz-hitech-first-cert", "size": 1}))["total"]
    assert by_id > 0
    assert api_ok(c.get(api, params={"policy": HITECH, "size": 1}))["total"] == by_id


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"park": "bogus"}, ("未知园区 'bogus' (unknown park)", "梧桐 (wutong)")),
        ({"policy": "bogus"}, ("未知政策 'bogus' (unknown policy)", f"{HITECH} (zz-hitech-first-cert)")),
        ({"policy": "Bogus Policy"}, ("未知政策 'Bogus Policy'", "zz-rd-input")),
    ],
)
def test_unknown_filter_values_are_refused_naming_the_choices(
    users: dict[str, TestClient], run_id: str, params: dict[str, str], said: tuple[str, str]
) -> None:
    c = users["leader"]
    api = f"/api/v1/policy/runs/{run_id}/results"
    for r in (c.get(api, params=params), c.get(api, params={**params, "format": "xlsx"})):
        message = api_error(r, 400, "invalid_input")
        assert all(s in message for s in said), message
    page = c.get(f"/policy/runs/{run_id}", params=params)
    text = html.unescape(page.text)
    assert page.status_code == 400 and all(s in text for s in said), text[:2000]


# ---- item 12: names first, the codes after ------------------------------------------------------------


def test_results_and_summary_show_names_before_codes(users: dict[str, TestClient], run_id: str) -> None:
    c = users["leader"]
    row = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-hitech-first-cert&size=1"))["rows"][0]
    assert row["policy_name"] == HITECH and row["clause_ref"] == "第一条" and row["clause_title"]
    assert row["policy_id"] == "zz-hitech-first-cert" and row["clause_id"] == "award"  # the API keeps codes
    page = c.get(f"/policy/runs/{run_id}?policy=zz-hitech-first-cert").text
    assert f'<option value="zz-hitech-first-cert" selected>{HITECH} (zz-hitech-first-cert)</option>' in page
    table = page.split('id="policy-results-table"')[1]
    first = table.split("<tbody>")[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", x).strip() for x in re.findall(r"<td[^>]*>(.*?)</td>", first, re.S)]
    assert (
        cells[3] == HITECH
        and cells[4].startswith("第一条 · ")
        and cells[4].endswith("zz-hitech-first-cert/award")
    )
    for path in (
        f"/api/v1/policy/runs/{run_id}/results?format=xlsx",
        f"/api/v1/policy/runs/{run_id}/summary?format=xlsx",
    ):
        ws = openpyxl.load_workbook(io.BytesIO(c.get(path).content)).active
        assert ws is not None
        head = [x.value for x in ws[2]]
        assert (
            head.index("政策名称") < head.index("条款引用") < head.index("政策代码") < head.index("条款代码")
        ), head
        body = [[x.value for x in r] for r in ws.iter_rows(min_row=3)]
        hit = next(r for r in body if r[head.index("政策代码")] == "zz-hitech-first-cert")
        assert hit[head.index("政策名称")] == HITECH, hit
    summary = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/summary"))["rows"]
    assert next(r for r in summary if r["policy_id"] == "zz-hitech-first-cert")["policy_name"] == HITECH
    home = c.get("/policy").text.split('id="policy-summary-table"')[1].split("</table>")[0]
    heads = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", home, re.S)
    assert heads[0].strip().startswith("政策名称"), heads


# ---- item 12: the trace in words ----------------------------------------------------------------------


def test_the_trace_page_names_policies_and_the_amount_rule(users: dict[str, TestClient], run_id: str) -> None:
    c = users["researcher"]
    rows = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-hitech-first-cert&size=1"))["rows"]
    page = c.get(f"/policy/runs/{run_id}/trace/{rows[0]['uscc']}").text
    heading = page.split('id="trace-zz-hitech-first-cert-award"')[1].split("</h2>")[0]
    assert re.sub(r"<[^>]+>", "", heading).lstrip(">").strip().startswith(f"{HITECH} 第一条"), heading
    rule = (
        page.split('id="trace-zz-hitech-first-cert-award"')[1].split('class="rule">')[1].split("</span>")[0]
    )
    assert rule.startswith("按") and " / single tiers on revenue 20" in rule, rule
    assert "revenue_fen[" not in page.split('id="trace-zz-hitech-first-cert-award"')[1].split("</section>")[0]


def _explained(extra: dict[str, object]) -> Explained:
    trace = {
        "policy": "zz-hitech-first-cert",
        "clause": "award",
        "ref": "第一条",
        "period": 2024,
        "conditions": [],
        "amount": {"ref": "第一条第一款", "rule": "按2023年营业收入分档 / single tiers on revenue_fen[2023]"},
        **extra,
    }
    return explain(q.library(), json.dumps(trace, ensure_ascii=False))


def test_trace_notes_read_in_words_chinese_first() -> None:
    ex = _explained(
        {
            "ledger": "already paid (one-time award)",
            "group": "tech-innovation",
            "group_ref": "第二条",
            "kept_over": "zz-rd-input/award",
            "budget": {"ref": "第三条", "pool": 100000, "rule": "ranking", "requested": 5000, "granted": 0},
            "status": "ineligible",
        }
    )
    zh = dict(q.trace_notes(ex, translator("zh-CN")))
    assert zh["兑付记录"] == "此前已兑现 (一次性奖励)"
    assert zh["替代了"] == "郑州高新区企业研发投入奖励 第一条 (zz-rd-input/award)"
    assert zh["资金池"] == "第三条: 资金池 1,000.00 元 (按金额排序分配), 测算 50.00 元 → 核定 0.00 元"
    assert zh["组依据条款"] == "第二条" and "status" not in zh and len(zh) == 5
    en = dict(q.trace_notes(ex, translator("en")))
    assert en["Payment ledger"] == "already paid (one-time award)"
    assert q.rule_text(str(ex.amount["rule"])) == "按2023年营业收入分档 / single tiers on revenue 2023"
    rd = "2024年研发费用 × 2%, 向下取整到元 / 2% × rd_expense_fen[2024], rounded down to whole 元"
    assert q.rule_text(rd).endswith("/ 2% × R&D expense 2024, rounded down to whole 元")
    assert q.rule_text("定额 / fixed") == "定额 / fixed" and q.rule_text("x_fen[2024]") == "x_fen[2024]"


def test_the_stored_trace_keeps_its_codes(users: dict[str, TestClient], run_id: str) -> None:
    """Display only: the JSON trace keeps the recorded rule and notes as they are."""
    c = users["researcher"]
    rows = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-hitech-first-cert&size=1"))["rows"]
    data = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/trace/{rows[0]['uscc']}"))
    clause = next(x for x in data["clauses"] if x["policy_id"] == "zz-hitech-first-cert")
    assert "single tiers on revenue_fen[" in clause["amount"]["rule"]
