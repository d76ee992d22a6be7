"""`zonebrain policy check` says when the year assessed is not over yet (the results are
provisional), Chinese first with English in brackets, as the web's self-check does; by USCC and
by form, and nothing for a year that is over. The command lives in ``cli/policy_check_cmd.py``,
registered on the ``policy`` sub-app under the same name and help."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.policy._data import build
from zonebrain import policy
from zonebrain.cli import _common, policy_check_cmd
from zonebrain.cli.policy_cmd import app
from zonebrain.core.clock import beijing_today
from zonebrain.storage import open_warehouse

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("COLUMNS", "400")  # one line per message: both consoles read it on every print
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
    return tmp_path


def _warning() -> str:
    today = beijing_today()
    return policy.provisional_text(today, today.year)


def test_by_uscc_the_current_year_is_said_to_be_provisional(data_dir: Path) -> None:
    year = beijing_today().year
    r = runner.invoke(app, ["check", "P2", "--period", str(year)])
    assert r.exit_code == 0, r.output
    assert f"注意 / warning: {_warning()}" in r.output, r.output
    assert _warning().index("尚未结束") < _warning().index("(the period")  # Chinese first
    assert "zz-rd-input/award" in r.output  # and the results as ever
    r = runner.invoke(app, ["check", "P2", "--period", "2024"])
    assert r.exit_code == 0 and "尚未结束" not in r.output and "provisional" not in r.output, r.output


def test_by_form_too(tmp_path: Path) -> None:
    year = beijing_today().year
    form = tmp_path / "form.yaml"
    form.write_text(
        f"period: {year}\nfirm:\n  enterprise: {{division_code: '410172160'}}\n"
        f"  years:\n    {year}: {{revenue_fen: 8000万}}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["check", "--form", str(form)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    assert f"注意 / warning: {_warning()}" in r.output, r.output
    form.write_text(form.read_text(encoding="utf-8").replace(str(year), "2024"), encoding="utf-8")
    r = runner.invoke(app, ["check", "--form", str(form)])
    assert r.exit_code == 0 and "尚未结束" not in r.output, r.output


def test_the_command_keeps_its_name_and_help() -> None:
    commands = {c.name: c for c in app.registered_commands}
    assert commands["check"].callback is policy_check_cmd.check_cmd
    r = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "企业自测: 符合的政策、金额, 以及其余政策缺少的数据" in r.output
    assert "Enterprise self-check" in r.output and "--form" in r.output and "--period" in r.output
