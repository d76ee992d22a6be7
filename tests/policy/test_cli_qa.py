"""The policy command line as an officer reads it: shares, refusals, labels, order, warnings, exit codes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from tests.policy._data import build
from zonebrain import policy
from zonebrain.cli import _common, policy_analysis
from zonebrain.cli.policy_cmd import app
from zonebrain.storage import open_warehouse

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    # tables whole, not cut to 80 columns; the width is read from COLUMNS on every print (setting
    # console.width would outlive the test: monkeypatch puts back the width computed, not None)
    monkeypatch.setenv("COLUMNS", "400")
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
    return tmp_path


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (Fraction(79964, 80000), "99.96%"),  # 99.955 %: one decimal would say 100.0%
        (Fraction(35999, 36000), "99.997%"),
        (Fraction(1, 80000), "0.001%"),
        (Fraction(1), "100%"),
        (Fraction(0), "0%"),
        (None, "—"),
    ],
)
def test_a_share_claims_100_or_0_percent_only_when_exact(share: Fraction | None, shown: str) -> None:
    assert policy_analysis.share_text(share) == shown


def test_coverage_never_rounds_a_near_total_up_to_100(
    analysis_cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = policy.coverage

    def nearly_all_decided(lib: policy.Library, **kw: Any) -> policy.Coverage:
        c = real(lib, **kw)
        decisions = pa.table(
            {
                "policy_id": ["zz-revenue-breakthrough"],
                "decisions": [80000],
                "eligible": [1000],
                "ineligible": [78964],
                "superseded": [0],
                "undetermined": [36],
                "decided": [79964],
                "share": [79964 / 80000],
            }
        )
        return dataclasses.replace(c, decisions=decisions, decided_share=Fraction(79964, 80000))

    monkeypatch.setattr(policy_analysis.policy, "coverage", nearly_all_decided)
    monkeypatch.setenv("COLUMNS", "400")
    with open_warehouse(Path(str(_common.state.warehouse))) as wh:
        run = policy.run_policies(wh, policy.load_library(), dt.date(2025, 3, 31))
    r = runner.invoke(analysis_cli, ["coverage", "--run", run.run_id])
    assert r.exit_code == 0, r.output
    assert "100.0%" not in r.output and "100%" not in r.output, r.output
    assert "99.96%" in r.output and "已决定 decided: 99.96%" in r.output


def test_whatif_refusals_name_the_options_in_chinese_first(analysis_cli: typer.Typer) -> None:
    r = runner.invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=-1%"])
    assert r.exit_code == 2 and "比例不能为负数" in r.output and "never a float" not in r.output, r.output
    r = runner.invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", "--budget-rule", "bogus"])
    assert r.exit_code == 2, r.output
    assert "按比例分配 (pro_rata)" in r.output and "按金额排序分配 (ranking)" in r.output
    assert "Input should" not in r.output and "Value error" not in r.output
    r = runner.invoke(analysis_cli, ["whatif"])
    assert r.exit_code == 2 and "--as-of" in r.output and "--run" in r.output
    assert "baseline_run_id" not in r.output and not re.search(r"\bas_of\b", r.output)
    r = runner.invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", "--run", "any-run"])
    assert r.exit_code == 2 and "不能同时" in r.output, r.output


def test_whatif_excel_headers_are_chinese(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "whatif.xlsx"
    r = runner.invoke(analysis_cli, ["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=3%",
                                     "--budget", "zz-gxq-2022=70万", "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    book = openpyxl.load_workbook(out)
    headers = [str(c.value) for ws in book for c in ws[1]]
    assert "兑现金额 基线(元)" in headers and "分配方式 情景" in headers
    english = [h for h in headers if not re.search(r"[\u4e00-\u9fff]", h) or "_" in h]
    assert not english, english


def test_a_bad_date_in_a_form_is_a_bad_date_at_its_line(tmp_path: Path) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(
        "uscc: 91410100MA00000000\nperiod: 2024\nfirm:\n"
        "  events: [{kind: 高新技术企业首次认定, date: 2024-13-01}]\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["check", "--form", str(form)])
    assert r.exit_code == 2, r.output
    assert "form.yaml:4:" in r.output and "第 4 行" in r.output and "不是有效日期" in r.output
    assert "YAML 语法错误" not in r.output and "缩进" not in r.output


def test_check_shows_the_missing_data_by_name_and_what_to_provide(data_dir: Path) -> None:
    r = runner.invoke(app, ["check", "P2", "--period", "2024"])
    assert r.exit_code == 0, r.output
    assert "2024年纳税总额 (tax_fen[2024])" in r.output and "请提供2024" in r.output, r.output


def test_explain_lists_clauses_in_the_library_order(data_dir: Path) -> None:
    assert runner.invoke(app, ["run", "--as-of", "2025-03-31"]).exit_code == 0
    r = runner.invoke(app, ["explain", "P1"])
    assert r.exit_code == 0, r.output
    at = [
        r.output.index(f"zz-revenue-breakthrough/{c} ")
        for c in ("reach-10m", "reach-20m", "reach-50m", "reach-100m")
    ]
    assert at == sorted(at), r.output


def test_a_run_before_the_period_ends_warns_and_defaulting_names_the_run(data_dir: Path) -> None:
    r = runner.invoke(app, ["run", "--as-of", "2024-06-30", "--period", "2024", "--dry-run"])
    assert (
        r.exit_code == 0 and "2024 年度在基准日 2024-06-30 尚未结束" in r.output and "provisional" in r.output
    )
    r = runner.invoke(app, ["run", "--as-of", "2025-03-31", "--dry-run"])  # period 2024, over by then
    assert r.exit_code == 0 and "尚未结束" not in r.output
    r = runner.invoke(app, ["run", "--as-of", "2025-03-31", "--period", "2025"])
    assert r.exit_code == 0 and "2025 年度在基准日 2025-03-31 尚未结束" in r.output
    run_id = re.search(r"run_id (\S+);", r.output)
    assert run_id is not None
    for command in (["explain", "P2"], ["coverage"]):
        r = runner.invoke(app, command)
        assert r.exit_code == 0, r.output
        assert (
            f"使用最新运行 (latest run) {run_id.group(1)}; 基准日 as-of 2025-03-31; 年度 period 2025"
            in r.output
        )
        assert "尚未结束" in r.output and "provisional" in r.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["run", "--as-of", "2025-03-31", "--dry-run"], 0),
        (["run", "--as-of", "2025/03/31"], 2),  # an unreadable value
        (["explain", "P2", "--run", "no-such-run"], 2),  # an unknown run named on the command line
        (["whatif", "--as-of", "2025-03-31", "--budget-rule", "bogus"], 2),
        (["whatif", "--as-of", "2025-03-31", "--set", "zz-rd-input.rate=-1%"], 2),
        (["coverage", "--run", "no-such-run"], 2),
        (["list", "--dir", "/no/such/folder"], 2),
        (["explain", "NO-SUCH-FIRM"], 1),  # understood, and the answer is: nothing for it in the run
        (["check", "NO-SUCH-FIRM", "--period", "2024"], 1),
    ],
)
def test_exit_codes_follow_the_documented_convention(data_dir: Path, args: list[str], code: int) -> None:
    assert runner.invoke(app, ["run", "--as-of", "2025-03-31"]).exit_code == 0
    r = runner.invoke(app, args)
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception


def test_the_exit_code_convention_is_documented() -> None:
    text = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    section = text[text.index("### 退出码") :]
    for line in ("`0`", "`1`", "`2`", "`3`"):
        assert line in section[:2000]
