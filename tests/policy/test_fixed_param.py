"""A fixed award read from a dated parameter (``fixed_param``): the sum in force at the period's end
is paid, the trace names the parameter, what-if can change it, and misuse is a load error at its
line. QA's policy author had to write one clause per value of a fixed award that changed by year."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from zonebrain.policy import LIBRARY, PolicyFileError, load_library, load_policy
from zonebrain.policy._cases import load_firms, run_cases
from zonebrain.policy._coverage import max_award
from zonebrain.policy._whatif import what_if
from zonebrain.storage import open_warehouse

BREAKTHROUGH = (LIBRARY / "zz-revenue-breakthrough.policy.yaml").read_text(encoding="utf-8")
PARAMS = """parameters:
  award-10m:
    ref: 第一条第一款
    kind: amount
    values: [{since: 2022-01-01, value: 10万}, {since: 2024-01-01, value: 15万}]
clauses:
"""
CASES = """policies: [zz-revenue-breakthrough]
period: {period}
default:
  enterprise: {{division_code: "410172562", status: 存续}}
  years:
    2022: {{revenue_fen: 700万, tax_fen: 5万, insured_employees: 9}}
    2023: {{revenue_fen: 900万, tax_fen: 6万, insured_employees: 10}}
    2024: {{revenue_fen: 950万, tax_fen: 7万, insured_employees: 11}}
cases:
  - name: 达到1000万
    firm: {{years: {{{period}: {{revenue_fen: 1200万}}}}}}
    expect: [{{clause: reach-10m, status: eligible, amount: {amount}, trace: ["{trace}"]}}]
"""


def _policy(text: str = BREAKTHROUGH, old: str = "fixed: 10万}", new: str = "fixed_param: award-10m}") -> str:
    assert text.count(old) == 1 and text.count("clauses:\n") == 1
    return text.replace(old, new).replace("clauses:\n", PARAMS)


def _folder(tmp_path: Path, policy: str) -> Path:
    folder = tmp_path / "lib"
    shutil.copytree(LIBRARY, folder)
    for old in folder.glob("zz-revenue-breakthrough*.cases.yaml"):
        old.unlink()  # their period-2024 amounts are the written 10万
    (folder / "zz-revenue-breakthrough.policy.yaml").write_text(policy, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("period", "amount"), [(2023, "10万"), (2024, "15万")])
def test_the_sum_in_force_at_the_period_end_is_paid(tmp_path: Path, period: int, amount: str) -> None:
    folder = _folder(tmp_path, _policy())
    trace = "参数 award-10m"
    (folder / "fixed.cases.yaml").write_text(CASES.format(period=period, amount=amount, trace=trace), "utf-8")
    mine = [o for o in run_cases(folder) if o.file.name == "fixed.cases.yaml"]
    assert [o.problems for o in mine] == [[]]
    # the same file expecting the other year's sum fails: the check can fail
    other = "15万" if amount == "10万" else "10万"
    (folder / "fixed.cases.yaml").write_text(CASES.format(period=period, amount=other, trace=trace), "utf-8")
    wrong = [o for o in run_cases(folder) if o.file.name == "fixed.cases.yaml"]
    assert "金额" in wrong[0].problems[0]


def test_the_most_a_firm_can_get_reads_the_parameter(tmp_path: Path) -> None:
    lib = load_library(_folder(tmp_path, _policy()))
    policy = lib.policies["zz-revenue-breakthrough"]
    clause = next(c for c in policy.clauses if c.id == "reach-10m")
    assert (max_award(policy, clause, 2023), max_award(policy, clause, 2024)) == (10_000_000, 15_000_000)


def test_what_if_changes_a_fixed_parameter(tmp_path: Path) -> None:
    folder = _folder(tmp_path, _policy())
    lib = load_library(folder)
    with open_warehouse(":memory:") as wh:
        wh.migrate()
        years = {
            2023: {"revenue_fen": 9_000_000_00, "tax_fen": 6_000_000, "insured_employees": 10},
            2024: {"revenue_fen": 12_000_000_00, "tax_fen": 7_000_000, "insured_employees": 11},
        }
        firm = {"enterprise": {"division_code": "410172562", "status": "存续"}, "years": years}
        load_firms(wh, ["91410100MA0000001X"], [firm])
        got = what_if(wh, lib, dt.date(2025, 3, 31), parameters={"zz-revenue-breakthrough.award-10m": "25万"})
    rows = got.rows.to_pylist()
    assert [(r["clause_id"], r["status_after"]) for r in rows if r["amount_after_fen"]] == [
        ("reach-10m", "eligible")
    ]
    (row,) = got.changes.to_pylist()
    assert (row["uscc"], row["before_fen"], row["after_fen"]) == (
        "91410100MA0000001X",
        15_000_000,
        25_000_000,
    )


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("fixed: 10万}", "fixed: 10万, fixed_param: award-10m}", "fixed 与 fixed_param 只能写一个"),
        ("fixed: 10万}", "fixed_param: award-10m, cap: 5万}", "固定金额不设上限"),
        ("fixed: 10万}", "fixed_param: award-1m}", "未声明的参数 'award-1m'"),
    ],
)
def test_misuse_is_an_error_at_its_line(tmp_path: Path, old: str, new: str, says: str) -> None:
    path = tmp_path / "x.policy.yaml"
    path.write_text(_policy(old=old, new=new), encoding="utf-8")
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    line = next(n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if new in text)
    assert f"{path}:{line}:" in str(err.value) and says in str(err.value)


def test_a_rate_parameter_is_no_fixed_sum(tmp_path: Path) -> None:
    path = tmp_path / "x.policy.yaml"
    text = _policy().replace("kind: amount\n    values: [{since: 2022-01-01, value: 10万}, {since: 2024-01-01, value: 15万}]",
                             "kind: rate\n    values: [{since: 2022-01-01, value: 2%}]")  # fmt: skip
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    assert "fixed_param" in str(err.value) and "金额 (amount)" in str(err.value)
