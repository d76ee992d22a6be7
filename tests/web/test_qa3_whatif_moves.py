"""QA (policy research centre, what-if presentation) on the web: the totals and each park count the
firms that gain and lose and those newly or no longer funded, on the page, in its JSON and in the
Excel file (item 1); the change reads old → new and names both conditions a breakthrough threshold
moves (items 3, 4). The scenario of the finding: ``reach-10m`` lowered from 1000万 to 800万."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from tests.web.conftest import api_ok

AS_OF = "2025-03-31"
LOWERED = {
    "as_of": AS_OF,
    "thresholds": [
        {"target": "zz-revenue-breakthrough/reach-10m", "old_fen": 1_000_000_000, "value_wan": "800"}
    ],
}
MOVED = ("winners", "losers", "newly_funded", "no_longer_funded")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_json_counts_who_wins_and_who_loses(clients: dict[str, TestClient]) -> None:
    body: dict[str, Any] = api_ok(clients["researcher"].post("/api/v1/policy/whatif", json=LOWERED))
    t = body["totals"]
    assert (t["winners"], t["losers"]) == (body["winners_count"], body["losers_count"])
    assert t["newly_funded"] > 0 and t["no_longer_funded"] > 0  # both ways, whatever the net
    assert t["firms_delta"] == t["newly_funded"] - t["no_longer_funded"]
    for c in MOVED:
        assert sum(p[c] for p in body["by_park"]) == t[c]
    assert body["changes"] == [
        (
            "郑州高新区企业营业收入首次突破奖励 第一条第一款 门槛 (本款 2 项条件同时调整): "
            "2024年营业收入 ≥ 1000万元 → 800万元, 2024年以前各年度最高营业收入 < 1000万元 → 800万元"
        )
    ]


def test_the_page_shows_the_counts_per_park_and_in_all(clients: dict[str, TestClient]) -> None:
    c = clients["researcher"]
    found = TOKEN.search(c.get("/policy/whatif").text)
    assert found
    form = {
        "as_of": AS_OF,
        "csrf_token": found.group(1),
        "th:zz-revenue-breakthrough/reach-10m:1000000000": "800",
    }
    page = c.post("/policy/whatif", data=form)
    assert page.status_code == 200, page.text
    t = api_ok(c.post("/api/v1/policy/whatif", json=LOWERED))["totals"]
    card = page.text.split('id="whatif-moved"')[1].split("</div>")[0]
    assert f"金额增加 {t['winners']} · 金额减少 {t['losers']}" in card, card
    assert f"新获奖励 {t['newly_funded']} · 不再获奖励 {t['no_longer_funded']}" in card, card
    parks = page.text.split('data-name="whatif-parks"')[1].split("</table>")[0]
    for head in ("金额增加", "金额减少", "新获奖励", "不再获奖励"):
        assert f"<th>{head}</th>" in parks
    foot = parks.split("<tfoot>")[1]
    assert f"<td>{t['winners']}</td><td>{t['losers']}</td><td>{t['newly_funded']}</td>" in foot, foot


def test_the_workbook_counts_them_per_park_and_in_all(clients: dict[str, TestClient]) -> None:
    r = clients["researcher"].post("/api/v1/policy/whatif?format=xlsx", json=LOWERED)
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    heads = ["金额增加的企业", "金额减少的企业", "新获奖励的企业 (基线未获)", "不再获奖励的企业 (情景未获)"]
    sums = []
    for sheet in ("按园区 parks", "总体 totals"):
        rows = list(book[sheet].iter_rows(values_only=True))
        at = [rows[0].index(h) for h in heads]
        sums.append([sum(int(row[i] or 0) for row in rows[1:]) for i in at])
    assert sums[0] == sums[1] and all(n > 0 for n in sums[1]), sums
