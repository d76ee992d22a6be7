"""QA: ``zonebrain policy check`` said 可享受 where ``policy run``, ``policy explain`` and the web say
符合 for the status ``eligible``; it now prints every status in their words (``STATUS_ZH``)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from zonebrain.cli.policy_cmd import app
from zonebrain.policy import load_library, self_check
from zonebrain.policy._explain import STATUS_ZH

FORM = """
uscc: 91410100MA00000000
period: 2024
firm:
  enterprise: {division_code: "410172561", status: 存续}
  years:
    2023: {revenue_fen: 300万}
    2024: {revenue_fen: 1200万, tax_fen: 10万, insured_employees: 12, rd_expense_fen: 550万}
  events: [{kind: 高新技术企业首次认定, date: 2024-10-08}]
"""
"""A form with results eligible, superseded (从高从优) and ineligible; without the year before's
revenue (:data:`UNKNOWN`) some are undetermined."""
UNKNOWN = FORM.replace("    2023: {revenue_fen: 300万}\n", "")


def test_every_status_reads_as_policy_run_says_it(tmp_path: Path) -> None:
    seen: set[str] = set()
    for n, text in enumerate((FORM, UNKNOWN)):
        form = tmp_path / f"form{n}.yaml"
        form.write_text(text, encoding="utf-8")
        statuses = {r["status"] for r in self_check(None, load_library(), 0, form=form).to_pylist()}
        r = CliRunner().invoke(app, ["check", "--form", str(form)], env={"COLUMNS": "250"})
        assert r.exit_code == 0, r.output
        rows = [line for line in r.output.splitlines() if "│" in line and "/" in line]
        for status in statuses:
            said = f"{STATUS_ZH[status]} {status}"  # 符合 eligible, as policy run and explain say it
            assert any(said in line for line in rows), (said, r.output)
        assert "可享受" not in r.output
        seen |= statuses
    assert seen == {"eligible", "ineligible", "undetermined", "superseded"}
    help_text = CliRunner().invoke(app, ["check", "--help"], env={"COLUMNS": "200"}).output
    assert "可享受" not in help_text and "符合的政策" in help_text
