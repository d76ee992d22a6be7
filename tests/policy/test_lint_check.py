"""Fair-competition lint and the enterprise self-check."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.policy._data import build
from tests.policy.test_self_check_words import FORM
from zonebrain.cli.policy_cmd import app
from zonebrain.policy import LIBRARY, PolicyFileError, lint, load_library, self_check
from zonebrain.storage import Warehouse

TAXY = """
id: tax-award
meta: {name: 纳税奖励, issuer: 某区, effective_from: 2022-01-01}
clauses:
  - id: award
    ref: 第五条
    title: 按地方留存税收奖励
    when:
      any:
        - {fact: tax_fen, op: ">=", value: 100万, ref: 第五条}
        - {tag: 国有企业, ref: 第五条}
    amount: {ref: 第五条, rate: 50%, of: tax_fen}
"""


def test_builtin_library_has_no_lint_errors_and_flags_origin() -> None:
    findings = lint(load_library())
    assert not [f for f in findings if f.severity == "error"]
    origin = [f for f in findings if f.rule == "FC-ORIGIN"]
    assert [(f.policy_id, f.clause_id) for f in origin] == [("zz-hitech-first-cert", "award")]


def test_lint_flags_tax_and_ownership(tmp_path: Path) -> None:
    (tmp_path / "tax.policy.yaml").write_text(TAXY, encoding="utf-8")
    findings = lint(load_library(tmp_path))
    assert sorted(f.rule for f in findings) == ["FC-OWNERSHIP", "FC-TAX-AMOUNT", "FC-TAX-THRESHOLD"]
    amount = next(f for f in findings if f.rule == "FC-TAX-AMOUNT")
    assert amount.severity == "error" and "第五条" in amount.reason and "税收" in amount.basis
    r = CliRunner().invoke(app, ["lint", "--dir", str(tmp_path)])
    assert r.exit_code == 1 and "FC-TAX-AMOUNT" in r.output
    assert CliRunner().invoke(app, ["lint"]).exit_code == 0


def test_self_check_by_uscc(wh: Warehouse) -> None:
    build(wh)
    rows = self_check(wh, load_library(), 2024, uscc="P2").to_pylist()
    assert {r["uscc"] for r in rows} == {"P2"} and len(rows) == 6
    assert {r["status"] for r in rows} <= {"undetermined", "ineligible"}
    assert any(r["missing_fields"] == "tax_fen[2024]" for r in rows)


def test_self_check_form(tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(FORM, encoding="utf-8")  # eligible, superseded (从高从优) and ineligible results
    rows = {
        (r["policy_id"], r["clause_id"]): r
        for r in self_check(None, load_library(), 0, form=form).to_pylist()
    }
    assert rows["zz-hitech-first-cert", "award"]["amount_fen"] == 20_000_000
    assert rows["zz-rd-input", "award"]["status"] == "superseded"  # 11万 < 20万, 从高从优
    assert rows["zz-revenue-breakthrough", "reach-10m"]["status"] == "eligible"
    r = CliRunner().invoke(app, ["check", "--form", str(form)])
    assert r.exit_code == 0 and "符合 eligible" in r.output and "从高不重复" in r.output
    assert LIBRARY.exists()


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("rd_expense_fen: 550万", "rd_expenses_fen: 550万", 7, "rd_expenses_fen"),  # a misspelt fact
        ("  years:", "  year:", 5, "year"),  # a misspelt section
        ("rd_expense_fen: 550万", "rd_expense_fen: -550万", 7, "负数"),  # R&D input cannot be negative
        ("rd_expense_fen: 550万", "rd_expense_fen: 六百万", 7, "不是数字"),  # not a number
        ("date: 2024-10-08", "date: 2024-13-01", 8, "date"),  # not a date
    ],
)
def test_a_bad_self_check_form_names_the_line(
    tmp_path: Path, old: str, new: str, line: int, says: str
) -> None:
    text = """uscc: 91410100MA00000000
period: 2024
firm:
  enterprise: {division_code: "410172561", status: 存续}
  years:
    2023: {revenue_fen: 300万}
    2024: {revenue_fen: 1200万, tax_fen: -1万, insured_employees: 12, rd_expense_fen: 550万}
  events: [{kind: 高新技术企业首次认定, date: 2024-10-08}]
"""
    form = tmp_path / "form.yaml"
    form.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyFileError) as err:
        self_check(None, load_library(), 0, form=form)
    msg = str(err.value)
    assert (f"form.yaml:{line}:" in msg or f"第 {line} 行" in msg) and says in msg, msg
    form.write_text(text, encoding="utf-8")  # as written: a refund makes tax negative, which is allowed
    assert self_check(None, load_library(), 0, form=form).num_rows > 0


def test_a_missing_form_file_is_a_message(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["check", "--form", str(tmp_path / "nofile.yaml")])
    assert r.exit_code == 2 and "无法读取文件" in r.output and not isinstance(r.exception, FileNotFoundError)
