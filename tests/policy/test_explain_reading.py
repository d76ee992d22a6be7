"""Reading a recorded trace for people (the QA pass over the trace page and ``policy explain``).

The stored trace is the record and stays as it is (``data/traces.json`` freezes it); what people
read is derived from it: the test in Chinese with money in 元 like the value next to it, parameters
in 元 (tables never use 万元), and a Chinese label on every row, generated where the policy file
gives none. Also the coverage table's declared facts by their Chinese names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zonebrain.policy import coverage, explain, load_library
from zonebrain.policy._explain import default_label, leaves, parameter_text, readable_test
from zonebrain.policy._format import MONEY_FACTS

FROZEN = Path(__file__).parent / "data" / "traces.json"


@pytest.mark.parametrize(
    ("recorded", "read"),
    [
        ("revenue_fen[2024] >= 10000000000", "2024年营业收入 ≥ 100,000,000.00 元"),
        ("max_revenue_fen_before[2024] < 10000000000", "2024年以前各年度最高营业收入 < 100,000,000.00 元"),
        ("rd_expense_fen[2024] >= threshold=500000000", "2024年研发费用 ≥ 5,000,000.00 元 (参数 threshold)"),
        ("tax_fen[2024] == 0", "2024年纳税总额 = 0.00 元"),
        ("tax_fen[2024] reported", "2024年纳税总额 有数据 (已报送)"),
        ("insured_employees[2024] == 0", "2024年参保人数 = 0"),  # a count, not money
        ("status in ['存续', '在业']", "登记状态 属于 存续、在业"),
        ("division_code startswith '410172'", "注册地行政区划代码 以“410172”开头"),
        ("tag 高新技术企业 @ 2024-12-31", "2024-12-31 持有“高新技术企业”标签"),
        (
            "event 迁入 in [2023-01-01, 2023-12-31], detail without 郑州",
            "2023-01-01 至 2023-12-31 发生“迁入”事件, 详情不含“郑州”",
        ),
        ("something else", "something else"),  # a text it cannot read is shown as recorded
    ],
)
def test_a_recorded_test_reads_in_chinese_with_money_in_yuan(recorded: str, read: str) -> None:
    assert readable_test(recorded) == read


def test_parameters_are_shown_in_yuan_like_the_values() -> None:
    assert parameter_text("amount", 500000000) == "5,000,000.00 元"
    assert parameter_text("amount", None) == "—"


def test_unlabelled_conditions_get_a_chinese_label() -> None:
    lib = load_library()
    found = {
        default_label(leaf.condition, 2024)
        for key, got in leaves(lib).items()
        for leaf in got
        if not leaf.condition.label and key[0] in ("zz-hitech-first-cert", "zz-revenue-breakthrough")
    }
    assert {
        "持有“产业结构调整限制类”标签",
        "持有“产业结构调整淘汰类”标签",
        "持有“高新技术企业”标签",
        "上一年度发生“迁入”事件 (详情不含“郑州”)",
        "2024年营业收入 ≥ 1亿元",
        "2024年以前各年度最高营业收入 < 1亿元",
        "2024年营业收入 ≥ 1000万元",
    } <= found


def test_every_row_of_a_recorded_trace_reads_for_people() -> None:
    lib = load_library()
    traces = [row[3] for rows in json.loads(FROZEN.read_text(encoding="utf-8")).values() for row in rows]
    read = [explain(lib, t) for t in traces]
    rows = [c for ex in read if ex.labelled for c in ex.conditions]
    assert rows and all(c.label for c in rows), [c.test for c in rows if not c.label]
    generated = {c.label for c in rows if c.label_generated}
    assert "持有“产业结构调整淘汰类”标签" in generated and not any("/" in str(x) for x in generated)
    for c in rows:
        # no bare fen amount (a run of digits without separators) next to values in 元
        if c.fact in MONEY_FACTS:
            assert not re.search(r"\d{5,}", c.test_text), c.test_text
        assert "万元" not in "".join(c.parameters.values())
    rd = next(c for ex in read for c in ex.conditions if c.test.startswith("rd_expense_fen") and c.parameters)
    assert rd.parameters == {"threshold": "5,000,000.00 元"} and rd.test_text.endswith("元 (参数 threshold)")


def test_coverage_names_declared_facts_in_chinese() -> None:
    rows = {(r["policy_id"], r["clause_id"]): r for r in coverage(load_library()).clauses.to_pylist()}
    assert rows["zz-rd-input", "award"]["declared"] == "rd_expense_fen"
    assert rows["zz-rd-input", "award"]["declared_zh"] == "研发费用"
    assert rows["zz-revenue-breakthrough", "reach-10m"]["declared_zh"] == ""
