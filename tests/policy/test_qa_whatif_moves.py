"""QA (policy research centre, what-if presentation): net figures hid who wins and who loses
(item 1), and the terminal cut amounts at 80 columns (item 5).

The zone is ``_whatif_data``. The scenario raises the R&D rate to 3% and lowers its threshold to
400万 (A1 +8万, A2 +10万 in 甲园区; B1 newly funded 13.5万 in 乙园区) and raises the 1000万
breakthrough to 1200万 (B2 loses its 10万: no longer funded). In 乙园区 the beneficiaries stay
1 → 1 while one firm is newly funded and another no longer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from tests.policy._whatif_data import build
from zonebrain.policy import MOVED, load_library, set_threshold, what_if
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 3, 31)
SETS = {"zz-rd-input.rate": "3%", "zz-rd-input.threshold": "400万"}
OPTIONS = [
    *("--set", "zz-rd-input.rate=3%", "--set", "zz-rd-input.threshold=400万"),
    *("--threshold", "zz-revenue-breakthrough/reach-10m=1200万"),
]


@pytest.fixture
def zone(wh: Warehouse) -> Warehouse:
    build(wh)
    return wh


def test_totals_and_parks_count_the_firms_that_gain_and_lose(zone: Warehouse) -> None:
    lib = load_library()
    scenario = set_threshold(lib, "zz-revenue-breakthrough/reach-10m", "1200万")
    r = what_if(zone, lib, AS_OF, parameters=SETS, library=scenario)
    t = r.totals.to_pylist()[0]
    assert {c: t[c] for c in MOVED} == {"winners": 3, "losers": 1, "newly_funded": 1, "no_longer_funded": 1}
    assert (t["winners"], t["losers"]) == (r.winners().num_rows, r.losers().num_rows)
    assert t["firms_delta"] == t["newly_funded"] - t["no_longer_funded"] == 0  # the net hid both
    parks = {x["park_id"]: x for x in r.by_park.to_pylist()}
    assert [parks["PA"][c] for c in MOVED] == [2, 0, 0, 0]
    assert [parks["PB"][c] for c in MOVED] == [1, 1, 1, 1]
    assert (parks["PB"]["firms_before"], parks["PB"]["firms_after"]) == (1, 1)
    for c in MOVED:  # the parks add up to the totals, as every other count
        assert sum(x[c] for x in parks.values()) == t[c]
    assert r.by_park.column_names[-4:] == list(MOVED) == r.totals.column_names[-4:]


def test_the_terminal_says_who_wins_and_who_loses(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "whatif.xlsx"
    r = CliRunner().invoke(
        analysis_cli, ["whatif", "--as-of", "2025-03-31", *OPTIONS, "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    assert (
        "受益企业净变化 +0 家 = 新获奖励 1 家 − 不再获奖励 1 家; 金额增加 3 家, 金额减少 1 家" in r.output
    ), r.output
    moved = r.output.split("受益与受损企业 (家)")[1].split("top winners")[0]
    row = next(line for line in moved.splitlines() if "乙园区" in line)
    assert re.findall(r"\d+", row) == ["1", "1", "1", "1", "1", "1"], row  # 1 → 1, +1, −1, new 1, gone 1
    total = next(line for line in moved.splitlines() if "合计 total" in line)
    assert re.findall(r"\d+", total) == ["3", "3", "3", "1", "1", "1"], total
    assert "受益前 10 top winners (共 3 家 of 3)" in r.output
    assert "受损前 10 top losers (共 1 家 of 1)" in r.output
    book = openpyxl.load_workbook(out)
    for sheet in ("按园区 parks", "总体 totals"):
        heads = [c.value for c in book[sheet][1]]
        for head in (
            "金额增加的企业",
            "金额减少的企业",
            "新获奖励的企业 (基线未获)",
            "不再获奖励的企业 (情景未获)",
        ):
            assert head in heads, (sheet, heads)
    parks = {row[0].value: row for row in book["按园区 parks"].iter_rows(min_row=2)}
    heads = [c.value for c in book["按园区 parks"][1]]
    pb = dict(zip(heads, (c.value for c in parks["PB"]), strict=True))
    assert [pb[h] for h in ("金额增加的企业", "金额减少的企业")] == [1, 1]


def test_no_amount_is_cut_on_a_narrow_terminal(analysis_cli: typer.Typer) -> None:
    """QA: piped to a file (80 columns) the per-park table read ``78,647,329…``; the words fold and
    every figure keeps its digits, here even at 60 columns."""
    r = CliRunner().invoke(
        analysis_cli,
        ["whatif", "--as-of", "2025-03-31", *OPTIONS, "--budget", "zz-gxq-2022=30万"],
        env={"COLUMNS": "60"},
    )
    assert r.exit_code == 0, r.output
    tables = r.output.split("总体 totals")[1].split("top winners")[0]
    assert "…" not in tables, tables
    for amount in ("660,000.00", "300,000.00", "-360,000.00", "560,000.00"):
        assert re.search(rf"(?<![\d,]){re.escape(amount)}(?!\d)", tables), (amount, tables)


def test_the_terminal_has_the_per_clause_table(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    """QA: the Excel and the page had a per-clause table and the terminal had none; its rows are the
    workbook's 按条款 sheet."""
    out = tmp_path / "whatif.xlsx"
    r = CliRunner().invoke(
        analysis_cli, ["whatif", "--as-of", "2025-03-31", *OPTIONS, "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert r.exit_code == 0, r.output
    table = r.output.split("按条款 per clause")[1].split("按园区 per park")[0]
    book = openpyxl.load_workbook(out)
    sheet = book["按条款 clauses"]
    heads = [c.value for c in sheet[1]]
    rows = [dict(zip(heads, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert rows
    for row in rows:
        line = next(x for x in table.splitlines() if f"{row['政策']}/{row['条款']}" in x)
        for money in ("兑现金额 基线(元)", "兑现金额 情景(元)"):
            assert f"{row[money]:,.2f}" in line, (money, line)
        assert f"{row['符合 基线']:,} → {row['符合 情景']:,}" in line, line
