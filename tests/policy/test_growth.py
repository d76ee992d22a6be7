"""Year-on-year growth (``growth``: 同比增长) in a condition: a policy author could not write
"研发投入同比增长20%以上" (the format listed it as not expressible). The case file covers every
boundary (exactly the rate, a fen below and above, a missing year of either side naming it, a base
year of 0, a decline, an excluded firm); a bad growth leaf is a load error at its line; traces,
labels, coverage and the fair-competition lint read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy._growth import CASES, POLICY, library_with_growth
from zonebrain.policy import PolicyFileError, coverage, lint, load_library, load_policy
from zonebrain.policy._cases import run_cases
from zonebrain.policy._explain import default_label, readable_test
from zonebrain.web._queries.policy_words import EN_WORDS


def test_every_boundary_case_passes(tmp_path: Path) -> None:
    outcomes = run_cases(library_with_growth(tmp_path / "lib"))
    assert len(outcomes) == CASES.count("  - name:") == 8
    assert [(o.case, o.problems) for o in outcomes if o.problems] == []


@pytest.mark.parametrize(
    ("written", "wrong", "case"),
    [
        ("5999999.99元, insured_employees: 54}}}\n    expect: [{clause: rd-growth, status: ineligible}",
         "5999999.99元, insured_employees: 54}}}\n    expect: [{clause: rd-growth, status: eligible}",
         "差一分 (just below) → 无"),
        ('missing: "rd_expense_fen[2023]"', 'missing: "rd_expense_fen[2024]"', "上年无数据 → 待核实, 指明上年"),
        ("firm: {years: {2023: {rd_expense_fen: 0元}}}\n    expect: [{clause: rd-growth, status: ineligible}",
         "firm: {years: {2023: {rd_expense_fen: 0元}}}\n    expect: [{clause: rd-growth, status: eligible}",
         "上年为 0 (无增长率可言) → 无"),
    ],
)  # fmt: skip
def test_a_wrong_expectation_fails(tmp_path: Path, written: str, wrong: str, case: str) -> None:
    folder = library_with_growth(tmp_path / "lib")
    cases = folder / "zz-growth.cases.yaml"
    text = cases.read_text(encoding="utf-8")
    assert written in text
    cases.write_text(text.replace(written, wrong), encoding="utf-8")
    assert [o.case for o in run_cases(folder) if o.problems] == [case]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('op: ">=", value: 20%, ref: 第一条', 'op: ">=", value: 100万, ref: 第一条', "比例须写成 2% 或 5‰"),
        ("{growth: rd_expense_fen, year: 0", "{growth: status, year: 0", "growth 须为年度事实"),
        ("value: 20%, ref: 第一条, label", "value: 20%, label", "每个条件须有条款引用 ref"),
        ('{growth: rd_expense_fen, year: 0, op: ">="', '{growth: rd_expense_fen, year: 0, op: "=="', "growth 条件须有 op"),
        ("kind: rate, values: [{since: 2022-01-01, value: 10%}]", "kind: amount, values: [{since: 2022-01-01, value: 10万}]",
         "这里须用比例 (rate)的参数"),
    ],
)  # fmt: skip
def test_a_bad_growth_is_refused_at_its_line(tmp_path: Path, old: str, new: str, says: str) -> None:
    path = tmp_path / "x.policy.yaml"
    assert old in POLICY
    path.write_text(POLICY.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    target = "growth: insured_employees" if "kind: amount" in new else "{growth: "  # the leaf's line
    line = next(n for n, text in enumerate(POLICY.replace(old, new).splitlines(), 1) if target in text)
    assert says in str(err.value) and f"{path}:{line}:" in str(err.value), str(err.value)


def test_traces_and_labels_read_the_growth(tmp_path: Path) -> None:
    test = "growth rd_expense_fen[2024] over rd_expense_fen[2023] >= 20%"
    assert readable_test(test) == "2024年研发费用较2023年研发费用增长 ≥ 20%"
    assert readable_test(test, EN_WORDS) == "R&D expense (2024): growth over R&D expense (2023) ≥ 20%"
    param = "growth insured_employees[2024] over insured_employees[2023] >= jobs_growth=10%"
    assert readable_test(param) == "2024年参保人数较2023年参保人数增长 ≥ 10% (参数 jobs_growth)"
    lib = load_library(library_with_growth(tmp_path / "lib"))
    jobs = next(c for c in lib.policies["zz-growth"].clauses if c.id == "jobs-growth")
    base, grown = jobs.when.leaves()  # the base year's `reported` leaf comes with it, named when missing
    assert (base.fact, base.year, base.op) == ("insured_employees", -1, "reported")
    assert default_label(grown, 2024) == "2024年参保人数较2023年参保人数增长 ≥ (参数 jobs_growth)"


def test_coverage_and_lint_read_the_growth(tmp_path: Path) -> None:
    folder = library_with_growth(tmp_path / "lib")
    lib = load_library(folder)
    c = coverage(lib)
    needs = {(r["policy_id"], r["clause_id"]): r for r in c.clauses.to_pylist()}
    assert needs["zz-growth", "jobs-growth"]["from_data"] is True
    assert "event:None" not in str(needs["zz-growth", "jobs-growth"])
    assert not [f for f in lint(lib) if f.policy_id == "zz-growth"]  # R&D and jobs: nothing to flag
    taxed = folder / "zz-growth.policy.yaml"
    taxed.write_text(POLICY.replace("{growth: insured_employees,", "{growth: tax_fen,"), encoding="utf-8")
    found = [f for f in lint(load_library(folder)) if f.policy_id == "zz-growth"]
    assert [(f.clause_id, f.rule) for f in found] == [("jobs-growth", "FC-TAX-THRESHOLD")]
    assert "tax_fen 同比增长 >= 参数 jobs_growth" in found[0].reason


def test_a_library_without_growth_keeps_its_hash(tmp_path: Path) -> None:
    """Runs recorded before growth conditions existed still match the unchanged library: the new
    keys are left out of a condition's dump (the rules hash) where unused, and kept where used."""
    plain = load_library()
    leaf = next(iter(plain.families["zz-gxq-2022"].eligibility.leaves()))
    assert not {"growth", "paired"} & set(leaf.model_dump(by_alias=True))
    grown = load_library(library_with_growth(tmp_path / "lib")).policies["zz-growth"].clauses[1].when
    dumped = grown.model_dump(by_alias=True)
    assert dumped["all"][1]["growth"] == "insured_employees" and dumped["all"][1]["paired"] is True
    assert "growth" not in dumped["all"][0]
