"""QA item 14: ``zonebrain policy whatif --out`` writes the web's workbook (情景 sheet, clauses named,
parks by their short names, changes in words), its terminal per-park delta is exactly after −
before as printed, and it warns as the web does (item 6); item 1: the terminal's 受益企业 counts
only firms granted something."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pyarrow as pa
import typer
from typer.testing import CliRunner

from zonebrain.cli import _common
from zonebrain.core.clock import beijing_today
from zonebrain.storage import open_warehouse


def _short_park_names(folder: Path) -> None:
    """Give the zone's parks a full name and a short one, as the demo's 枫杨街道 / 枫杨."""
    with open_warehouse(folder / "wh.duckdb") as wh, wh.transaction():
        wh.delete_where_in("parks", "park_id", ["PA", "PB"])
        wh.append(
            "parks",
            pa.table(
                {
                    "park_id": ["PA", "PB"],
                    "name_zh": ["甲园区街道", "乙园区街道"],
                    "short_name": ["甲园区", "乙园区"],
                }
            ),
        )


def _sheet(book: openpyxl.Workbook, name: str) -> list[dict[str, object]]:
    ws = book[name]
    heads = [str(h.value) for h in ws[1]]
    return [dict(zip(heads, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]


def test_an_option_given_twice_is_refused(analysis_cli: typer.Typer) -> None:
    """QA: --set zz-rd-input.rate=3% --set zz-rd-input.rate=4% simulated 4% without a word."""
    twice = ["--set", "zz-rd-input.rate=3%", "--set", "zz-rd-input.rate=4%"]
    r = CliRunner().invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", *twice])
    assert r.exit_code == 2 and "--set zz-rd-input.rate 给了两次 (3% 与 4%)" in r.output, r.output
    same = ["--set", "zz-rd-input.rate=3%", "--set", "zz-rd-input.rate=3%"]  # said twice alike: one change
    assert CliRunner().invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", *same]).exit_code == 0


def test_the_cli_writes_the_webs_workbook(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    _short_park_names(Path(_common.state.data_dir))
    out = tmp_path / "whatif.xlsx"
    r = CliRunner().invoke(
        analysis_cli, ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=3%", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "本次调整 changes:\n  - 郑州高新区企业研发投入奖励 · 奖励比例: 2% → 3%" in r.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "情景 scenario"
    scenario = {x["项目"]: x["取值"] for x in _sheet(book, "情景 scenario")}
    assert scenario["基准日"] == dt.datetime(2025, 3, 31) and scenario["考核年度"] == 2024  # a date, a number
    cells = {c.value: book["情景 scenario"].cell(row=c.row, column=2) for c in book["情景 scenario"]["A"]}
    assert cells["基准日"].is_date and cells["基准日"].number_format == "yyyy-mm-dd"
    assert cells["考核年度"].data_type == "n"
    assert scenario["调整"] == "郑州高新区企业研发投入奖励 · 奖励比例: 2% → 3%"
    winners = _sheet(book, "受益 winners")
    a2 = next(x for x in winners if x["统一社会信用代码"] == "A2")
    assert a2["变化条款"] == "郑州高新区企业研发投入奖励 第一条: 符合 400,000.00元 → 符合 500,000.00元"
    assert a2["园区"] == "甲园区"  # the short name, as the web shows it
    assert {x["园区"] for x in _sheet(book, "按园区 parks")} == {"甲园区", "乙园区", None}
    clauses = _sheet(book, "按条款 clauses")
    rd = next(x for x in clauses if x["政策"] == "zz-rd-input")
    assert (rd["政策名称"], rd["条款引用"]) == ("郑州高新区企业研发投入奖励", "第一条")


def _numbers(line: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"[+-]?[\d,]+\.\d\d", line)]


def test_the_terminal_shows_exact_yuan_and_counts_funded_firms(analysis_cli: typer.Typer) -> None:
    r = CliRunner().invoke(
        analysis_cli, ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=2.00013%"]
    )
    assert r.exit_code == 0, r.output
    assert "金额(元) cost" in r.output  # in 元 as the web: exact, no figure rounded apart
    row = next(line for line in r.output.splitlines() if "甲园区" in line and _numbers(line))
    assert _numbers(row)[-3:] == [560_000.00, 560_036.00, 36.00]  # A1 160,010 元 + A2 400,026 元
    # the winners' changes in words, Chinese (QA: `eligible 160,010.00 元 → eligible …`), never cut
    wide = CliRunner().invoke(
        analysis_cli,
        ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=2.00013%"],
        env={"COLUMNS": "250"},
    )
    winners = wide.output.split("top winners")[1].split("top losers")[0]
    assert "郑州高新区企业研发投入奖励 第一条: 符合 " in winners and "→ 符合 " in winners, winners
    assert "eligible" not in winners and "…" not in winners, winners
    pooled = CliRunner().invoke(
        analysis_cli,
        ["whatif", "--as-of", "2025-03-31", "--budget", "zz-gxq-2022=40万", "--budget-rule", "ranking"],
    )
    assert pooled.exit_code == 0, pooled.output
    firms = next(line for line in pooled.output.splitlines() if "受益企业 firms" in line)
    assert re.search(r"受益企业 firms\D+3\D+1\D+-2", firms), firms  # A1 and B2 cut to 0 by the pool


def test_the_terminal_warns_of_an_as_of_date_after_today(analysis_cli: typer.Typer) -> None:
    ahead = (beijing_today() + dt.timedelta(days=400)).isoformat()
    r = CliRunner().invoke(analysis_cli, ["whatif", "--as-of", ahead])
    assert r.exit_code == 0, r.output
    assert f"基准日 {ahead} 晚于今天" in r.output and "after today" in r.output


def test_the_scenario_sheet_names_every_change(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    """QA: a budget pool, a clause threshold and a reading changed the result but the 情景 sheet
    named only the --set overrides (the cost fell by the pool and the sheet said "rate 3%")."""
    out = tmp_path / "whatif.xlsx"
    edits = [
        *("--set", "zz-rd-input.threshold=400万"),
        *("--threshold", "zz-revenue-breakthrough/reach-10m=800万"),
        *("--interpret", "zz-revenue-breakthrough.multi_threshold=cumulative"),
        *("--budget", "zz-gxq-2022=30万", "--budget-rule", "ranking"),
    ]
    r = CliRunner().invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", *edits, "--out", str(out)])
    assert r.exit_code == 0, r.output
    said = [x["取值"] for x in _sheet(openpyxl.load_workbook(out), "情景 scenario") if x["项目"] == "调整"]
    assert said == [
        "郑州高新区企业研发投入奖励 · 门槛: 500万元 → 400万元",
        "郑州高新区加快推进高质量发展若干政策措施 预算池: 无 → 30万元 (按金额排序分配)",
        "郑州高新区企业营业收入首次突破奖励 · 多档门槛的奖励方式: 只奖励最高一档 → 各档累计奖励",
        (
            "郑州高新区企业营业收入首次突破奖励 第一条第一款 门槛 (本款 2 项条件同时调整): "
            "2024年营业收入 ≥ 1000万元 → 800万元, 2024年以前各年度最高营业收入 < 1000万元 → 800万元"
        ),
    ]
    assert "本次调整 changes: - " + " - ".join(said) in " ".join(r.output.split())
    budget = _sheet(openpyxl.load_workbook(out), "预算池 budget")
    assert [
        (b["政策族名称"], b["分配方式 基线"], b["分配方式 情景"], b["核定比例 基线"]) for b in budget
    ] == [("郑州高新区加快推进高质量发展若干政策措施", None, "按金额排序分配", None)]


def test_counts_read_with_separators_as_policy_run_prints_them() -> None:
    """QA: policy run printed 1,885 but the what-if 20039 → 1904: counts now have separators too."""
    from types import SimpleNamespace

    from rich.console import Console

    from zonebrain.cli.policy_analysis import _totals_table

    row = {"eligible_before": 20039, "eligible_after": 21040, "eligible_delta": 1001, "firms_before": 1757,
           "firms_after": 1757, "firms_delta": 0, "undetermined_before": 99, "undetermined_after": 1099,
           "undetermined_delta": 1000, "cost_before_fen": 1, "cost_after_fen": 2, "cost_delta_fen": 1}  # fmt: skip
    console = Console(width=200, record=True)
    console.print(_totals_table(SimpleNamespace(totals=pa.Table.from_pylist([row]))))  # type: ignore[arg-type]
    text = console.export_text()
    assert "20,039" in text and "21,040" in text and "+1,001" in text and "1,757" in text and "+1,000" in text
