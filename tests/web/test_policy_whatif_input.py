"""What-if form input as people type it, and the scenario sheet of its Excel file.

A rate may carry its % and an amount its 万/万元; a value that is too large says so with the limit
(not "须为非负数字" for a number that is plainly non-negative); another unit is named as wrong."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest

from zonebrain.core.errors import InputError
from zonebrain.web._queries import policy_analysis as q
from zonebrain.web._queries.policy import library


def _scenario(form: dict[str, str]) -> q.Scenario:
    return q.scenario(library(), 2024, form)


def test_a_rate_may_carry_its_percent_sign() -> None:
    for typed in ("3%", "3 %", "3％", "3"):
        assert _scenario({"param:zz-rd-input.rate": typed}).parameters == {"zz-rd-input.rate": "3%"}, typed


def test_an_amount_may_carry_its_unit() -> None:
    for typed in ("80万", "80万元", "80", " 80 万元 "):
        assert _scenario({"param:zz-rd-input.cap": typed}).parameters == {"zz-rd-input.cap": "80万"}, typed
    sc = _scenario({"budget:zz-gxq-2022": "100万元"})
    assert sc.changes and "100万" in sc.changes[0]


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("param:zz-rd-input.cap", "99999999999999999999", "过大: 最多 999,999,999 万元"),
        ("budget:zz-gxq-2022", "1000000000", "过大: 最多 999,999,999 万元"),
        ("param:zz-rd-input.rate", "150%", "0 至 100%"),
        ("param:zz-rd-input.cap", "500元", "须以万元填写"),
        ("param:zz-rd-input.cap", "1.1234567", "最多 6 位小数"),
        ("param:zz-rd-input.rate", "abc", "须为非负数字 (%), 如 2.5 或 2.5%"),
        ("param:zz-rd-input.cap", "-5", "须为非负数字 (万元), 如 400 或 400万"),
    ],
)
def test_a_refusal_says_what_is_wrong(field: str, typed: str, says: str) -> None:
    with pytest.raises(InputError) as exc:
        _scenario({field: typed})
    assert says in str(exc.value), str(exc.value)
    if "过大" in says:
        assert "须为非负数字" not in str(exc.value)


def test_the_scenario_sheet_names_its_items_in_chinese() -> None:
    r: Any = SimpleNamespace(
        sheets=lambda moves=False: {},
        as_of=dt.date(2025, 3, 31),
        period=2024,
        baseline_run_id="run-1",
        parameters={"zz-rd-input.cap": "80万"},
        warnings=lambda: [],
    )
    p: Any = SimpleNamespace(can=lambda perm: True)
    sheet = q.sheets(r, p)["情景 scenario"].to_pydict()
    assert sheet["item"] == [
        "基准日",
        "考核年度",
        "基线运行",
        "调整",
    ]
    # typed: the as-of date a date, the period a number (QA: both were text in the file)
    assert sheet["value"] == [
        dt.date(2025, 3, 31),
        2024,
        "run-1",
        "郑州高新区企业研发投入奖励 · 单企上限: 50万元 → 80万元",
    ]


def test_the_web_and_the_cli_name_excel_columns_from_one_table() -> None:
    """The pool rule and coverage columns were named only in the CLI; the web's what-if export
    showed rule_before / rule_after in English."""
    from zonebrain.cli.policy_analysis import excel_headers as cli_headers
    from zonebrain.web._queries.policy_analysis import excel_headers

    columns = ["rule_before", "rule_after", "needs", "cost_before_fen"]
    assert excel_headers(columns) == {
        "rule_before": "分配方式 基线",
        "rule_after": "分配方式 情景",
        "needs": "缺此字段合计",
        "cost_before_fen": "兑现金额 基线",
    }
    assert cli_headers({"t": pa.table({c: [1] for c in columns})}) == excel_headers(columns)
