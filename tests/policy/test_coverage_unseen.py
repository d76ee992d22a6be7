"""Coverage names the tags and event kinds the library reads that no firm carries, and its Excel
headers are Chinese.

QA: the family's 第一条 checks ``not tag 非独立核算``; the demo warehouse records the positive tag
独立核算 instead, so the test never fired, while coverage counted ``tag:非独立核算`` as decidable from
data without a word. The 决定情况 sheet mixed English headers in, and 缺失字段 called the cases
needing a field 共缺字段 (36, next to 与其他共缺 0).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from tests.policy._whatif_data import FIRMS, IDS
from zonebrain.policy import coverage, evaluate, load_firms, load_library, run_policies
from zonebrain.policy._coverage import unseen_registers
from zonebrain.storage import Warehouse, open_warehouse

ON_RECORD: list[dict[str, Any]] = [
    {"tag": "独立核算"},
    {"tag": "高新技术企业", "since": dt.date(2022, 12, 1)},
    {"tag": "产业结构调整限制类"},
]
EVENTS = ["高新技术企业首次认定", "重大安全事故", "劳资纠纷", "严重违法失信", "经营异常", "一事一议协议"]


def _zone(wh: Warehouse, complete: bool = False) -> None:
    """The what-if zone, its first firm carrying every register the library reads but the tags
    非独立核算 and 产业结构调整淘汰类 and the event 迁入 (which only the high-tech award reads);
    *complete*: those too (on a second firm)."""
    first = {
        **FIRMS[0],
        "tags": ON_RECORD,
        "events": [{"kind": k, "date": dt.date(2019, 5, 1), "detail": ""} for k in EVENTS],
    }
    second = FIRMS[1]
    if complete:
        events = [{"kind": "迁入", "date": dt.date(2020, 1, 1), "detail": "自星野市迁入"}]
        second = {**second, "tags": ["非独立核算", "产业结构调整淘汰类"], "events": events}
    load_firms(wh, IDS, [first, second, *FIRMS[2:]])


def test_the_registers_no_firm_carries_are_listed_with_their_readers(wh: Warehouse) -> None:
    _zone(wh)
    lib = load_library()
    got = unseen_registers(lib, wh).to_pylist()
    assert [(r["register"], r["register_kind"], r["read_by"], r["similar"]) for r in got] == [
        ("tag:非独立核算", "标签", 6, "独立核算"),  # the family's subject: all six clauses read it
        ("tag:产业结构调整淘汰类", "标签", 6, None),
        ("event:迁入", "事件", 1, None),  # the high-tech award's moved-in rule only
    ]
    c = coverage(lib, evaluate(wh, lib, 2024), wh)
    assert c.unseen is not None and c.unseen.to_pylist() == got
    note = c.unseen_note()
    assert note is not None and note.index("非独立核算") < note.index("(warning:")
    assert "标签 非独立核算 (6 个条款读取, 仓库中有相近的 独立核算)" in note
    assert "事件 迁入 (1 个条款读取)" in note and "3 项" in note
    assert c.sheets()["无企业记录 unseen"] is c.unseen


def test_without_a_warehouse_or_with_every_register_on_record_nothing_is_said(wh: Warehouse) -> None:
    lib = load_library()
    plain = coverage(lib)
    assert plain.unseen is None and plain.unseen_note() is None
    _zone(wh, complete=True)
    c = coverage(lib, evaluate(wh, lib, 2024), wh)
    assert c.unseen is not None and c.unseen.num_rows == 0 and c.unseen_note() is None
    assert "无企业记录 unseen" not in c.sheets()


def test_the_command_warns_and_writes_chinese_headers(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        run = run_policies(wh, load_library(), dt.date(2025, 3, 31))
    out = tmp_path / "coverage.xlsx"
    r = CliRunner().invoke(
        analysis_cli, ["coverage", "--run", run.run_id, "--out", str(out)], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "注意 / warning:" in r.output and "标签 非独立核算 (6 个条款读取)" in r.output
    book = openpyxl.load_workbook(out)
    heads = {ws.title: [str(c.value) for c in ws[1]] for ws in book.worksheets}
    for title, row in heads.items():
        assert not [h for h in row if re.search(r"[A-Za-z]", h)], (title, row)  # every header Chinese
    assert heads["决定情况 decisions"] == [
        "政策", "政策名称", "决定数", "符合", "不符合", "从高不重复", "待核实", "已决定", "已决定占比",
    ]  # fmt: skip
    assert heads["缺失字段 missing"] == [
        "字段 (代码)", "字段", "来源", "仅缺此字段 (补齐即可决定)", "与其他字段共缺", "缺此字段合计", "企业数",
    ]  # fmt: skip
    # 缺此字段合计 = 仅缺此字段 + 与其他字段共缺, row by row (tax_fen[2024]: 2 + 1 = 3)
    rows = list(book["缺失字段 missing"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:6] == ("tax_fen[2024]", "2024年纳税总额", "政府数据", 2, 1, 3)  # 来源 in words
    assert all(r[5] == r[3] + r[4] for r in rows)
    unseen = book["无企业记录 unseen"]
    assert heads["无企业记录 unseen"] == [
        "标签/事件 (代码)",
        "类别",
        "标签/事件名称",
        "读取它的条款数",
        "仓库中相近的名称",
    ]
    assert ("tag:非独立核算", "标签", "非独立核算", 6, None) in list(
        unseen.iter_rows(min_row=2, values_only=True)
    )


def test_policy_run_warns_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: a tag misspelt in a new policy (专精特新小巨人企业 for 专精特新小巨人) gave every firm
    不符合 without a word; only ``policy coverage`` said so. ``policy run`` says it too."""
    from zonebrain.cli import _common
    from zonebrain.cli.policy_cmd import app

    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        _zone(wh)
    r = CliRunner().invoke(app, ["run", "--as-of", "2025-03-31", "--dry-run"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "注意 / warning: 政策库读取的 3 项标签或事件在仓库中没有任何企业记录" in said, said
    assert "标签 非独立核算 (6 个条款读取, 仓库中有相近的 独立核算)" in said
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        _zone(wh, complete=True)
    r = CliRunner().invoke(app, ["run", "--as-of", "2025-03-31", "--dry-run"], env={"COLUMNS": "250"})
    assert r.exit_code == 0 and "没有任何企业记录" not in r.output
