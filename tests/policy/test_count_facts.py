"""Head counts (employees, insured_employees) in policy files (QA, fourteenth session): a condition
compares them with a whole number, never with money; they are no base for a rate or tier table.
Before, ``insured_employees >= 100元`` passed lint and crashed every run, ``whatif --threshold`` on
a count crashed, and ``rate: 1%, of: employees`` paid 0.03 元 for 250 employees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zonebrain.core.errors import InputError
from zonebrain.policy import LIBRARY, PolicyFileError, load_library, run_case_file
from zonebrain.policy._edit import set_threshold

TALENT = """\
id: zz-talent
family: zz-gxq-2022
meta:
  name: 人才引进奖励 (测试)
  number: null
  issuer: 测试
  issued_on: null
  effective_from: 2022-01-01
  source_url: null
clauses:
  - id: award
    ref: 第一条
    title: 参保人数达到 100 人的一次性奖励
    once: true
    when:
      fact: insured_employees
      year: 0
      op: ">="
      value: {value}
      ref: 第一条
    amount:
      ref: 第一条
      fixed: 5万
"""

CASES = """\
policies: [zz-talent]
period: 2024
default:
  enterprise: {division_code: "410172160", status: 在业}
  years:
    2024: {revenue_fen: 8000万, tax_fen: 300万, rd_expense_fen: 600万, insured_employees: 80}
cases:
  - name: 99 人 → 不符合
    firm: {years: {2024: {insured_employees: 99}}}
    expect: [{clause: award, status: ineligible}]
  - name: 100 人 (含) → 5万
    firm: {years: {2024: {insured_employees: 100}}}
    expect: [{clause: award, status: eligible, amount: 5万}]
  - name: 101 人 → 5万
    firm: {years: {2024: {insured_employees: 101}}}
    expect: [{clause: award, status: eligible, amount: 5万}]
  - name: 参保人数缺失 → 待核实
    firm: {years: {2024: {insured_employees: null}}}
    expect: [{clause: award, status: undetermined, missing: "insured_employees[2024]"}]
"""


def _library(tmp_path: Path, value: str, **extra: str) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir(exist_ok=True)
    shutil.copy(LIBRARY / "zz-gxq-2022.family.yaml", folder)
    text = TALENT.replace("{value}", value)
    for old, new in extra.items():
        text = text.replace(old, new)
    (folder / "zz-talent.policy.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_head_count_condition_is_evaluated_at_its_boundaries(tmp_path: Path) -> None:
    folder = _library(tmp_path, "100")
    cases = folder / "zz-talent.cases.yaml"
    cases.write_text(CASES, encoding="utf-8")
    outcomes = run_case_file(cases, load_library(folder))
    assert len(outcomes) == 4 and all(o.passed for o in outcomes), [o.problems for o in outcomes]


@pytest.mark.parametrize("value", ["100元", "1万", "100.5", "-1", "true"])
def test_a_head_count_compared_with_money_or_a_fraction_is_an_error_at_its_line(
    tmp_path: Path, value: str
) -> None:
    folder = _library(tmp_path, value)
    line = TALENT.splitlines().index("      fact: insured_employees") + 1  # the condition, as for money
    with pytest.raises(PolicyFileError) as err:
        load_library(folder)
    text = str(err.value)
    assert f"zz-talent.policy.yaml:{line}" in text and "人数" in text and "不带单位的非负整数" in text, text


def test_a_head_count_is_no_base_for_a_rate(tmp_path: Path) -> None:
    folder = _library(
        tmp_path, "100", **{"      fixed: 5万": "      rate: 1%\n      of: employees\n      year: 0"}
    )
    with pytest.raises(PolicyFileError) as err:
        load_library(folder)
    assert "employees 是人数, 不能作为比例或阶梯金额的基数" in str(err.value), str(err.value)


def test_a_money_list_for_in_is_read_in_fen_and_startswith_on_a_number_is_refused(tmp_path: Path) -> None:
    folder = _library(tmp_path, "[100, 120]", **{'op: ">="': 'op: "in"'})
    assert load_library(folder).policies["zz-talent"]  # a list of counts for `in` loads
    money = {'op: ">="': 'op: "in"', "fact: insured_employees": "fact: tax_fen"}
    folder = _library(tmp_path, "[300万, 200万]", **money)  # QA: refused though both have units
    cases = folder / "zz-talent.cases.yaml"
    cases.write_text(
        CASES.replace("insured_employees: 99}", "tax_fen: 299.99万}")
        .replace("insured_employees: 100}", "tax_fen: 300万}")
        .replace("insured_employees: 101}", "tax_fen: 200万}")
        .replace("insured_employees: null}", "tax_fen: null}")
        .replace('missing: "insured_employees[2024]"', 'missing: "tax_fen[2024]"'),
        encoding="utf-8",
    )
    outcomes = run_case_file(cases, load_library(folder))
    assert all(o.passed for o in outcomes), [o.problems for o in outcomes]
    folder = _library(tmp_path, "100", **{'op: ">="': "op: startswith"})
    with pytest.raises(PolicyFileError, match="startswith 只用于文本事实"):
        load_library(folder)


def test_whatif_threshold_on_a_head_count_reads_a_whole_number(tmp_path: Path) -> None:
    lib = load_library(_library(tmp_path, "100"))
    changed = set_threshold(lib, "zz-talent/award", "80")
    (leaf,) = changed.policies["zz-talent"].clauses[0].when.leaves()
    assert leaf.value == 80
    with pytest.raises(InputError, match="人数 '80万' 须写不带单位的非负整数"):
        set_threshold(lib, "zz-talent/award", "80万")


def test_a_case_names_a_missing_field_whole_and_reads_statuses_in_chinese(tmp_path: Path) -> None:
    """QA: ``missing`` matched a substring (employees[2024] passed against insured_employees[2024])
    and a wrong status read ``结果为 ineligible``."""
    folder = _library(tmp_path, "100")
    cases = folder / "zz-talent.cases.yaml"
    cases.write_text(
        CASES.replace('missing: "insured_employees[2024]"', 'missing: "employees[2024]"').replace(
            "insured_employees: 99}}}\n    expect: [{clause: award, status: ineligible}]",
            "insured_employees: 99}}}\n    expect: [{clause: award, status: eligible}]",
        ),
        encoding="utf-8",
    )
    problems = [p for o in run_case_file(cases, load_library(folder)) for p in o.problems]
    assert problems == [
        "award: 结果为 不符合 ineligible, 应为 符合 eligible (status ineligible != expected eligible)",
        (
            "award: 缺失字段为 insured_employees[2024], 其中没有 employees[2024] "
            "(missing_fields 'insured_employees[2024]' lacks 'employees[2024]')"
        ),
    ]
