"""When a run may count and why a firm has no result: future as-of dates and form dates refused,
provisional periods named, firms registered after the period explained (the CLI's side)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.policy._data import build
from zonebrain import policy
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError
from zonebrain.storage import open_warehouse

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("COLUMNS", "400")  # both consoles read it on every print
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:  # P1 registered after the period 2024
        con.execute("UPDATE enterprises SET registered_on = DATE '2025-01-01' WHERE uscc = 'P1'")
    return tmp_path


def _runs(data_dir: Path) -> int:
    with open_warehouse(data_dir / "wh.duckdb", read_only=True) as wh:
        return wh.to_arrow(wh.table("policy_runs").select("run_id")).num_rows


def test_the_shared_predicates() -> None:
    assert policy.provisional(dt.date(2026, 11, 30), 2026) and policy.provisional(dt.date(2026, 12, 31), 2026)
    assert not policy.provisional(dt.date(2027, 1, 1), 2026)
    text = policy.provisional_text(dt.date(2026, 11, 30), 2026)
    assert text.startswith("2026 年度在基准日 2026-11-30 尚未结束, 结果为暂定") and "provisional" in text
    today = dt.date(2026, 11, 30)
    assert policy.check_as_of(today, today=today) == today
    with pytest.raises(InputError, match=r"^基准日 2026-12-01 晚于今天 \(2026-11-30, 北京时间\)"):
        policy.check_as_of(dt.date(2026, 12, 1), today=today)
    with pytest.raises(InputError, match="晚于今天"):
        policy.not_future(dt.date(2026, 12, 1), today=today)


def test_a_recorded_run_after_today_is_refused_a_dry_run_warns(data_dir: Path) -> None:
    ahead = (beijing_today() + dt.timedelta(days=1)).isoformat()
    r = runner.invoke(app, ["run", "--as-of", ahead])
    assert r.exit_code == 2 and f"基准日 {ahead} 晚于今天" in r.output, r.output
    assert _runs(data_dir) == 0  # nothing became the latest run
    r = runner.invoke(app, ["run", "--as-of", ahead, "--dry-run"])
    assert r.exit_code == 0 and "晚于今天" in r.output and "dry run only" in r.output, r.output
    assert _runs(data_dir) == 0
    r = runner.invoke(app, ["run", "--as-of", beijing_today().isoformat()])  # today is fine
    assert r.exit_code == 0 and _runs(data_dir) == 1


def test_the_run_table_lists_clauses_in_library_order(data_dir: Path) -> None:
    r = runner.invoke(app, ["run", "--as-of", "2025-03-31", "--dry-run"])
    found = re.findall(r"reach-\d+m", r.output)
    assert found == ["reach-10m", "reach-20m", "reach-50m", "reach-100m"], found


@pytest.mark.parametrize(
    ("facts", "line"),
    [
        ("  tags: [{tag: 高新技术企业, since: DAY}]\n", "tags"),
        ("  events: [{kind: 高新技术企业首次认定, date: DAY}]\n", "events"),
    ],
)
def test_a_form_with_a_date_after_today_is_refused(tmp_path: Path, facts: str, line: str) -> None:
    ahead = (beijing_today() + dt.timedelta(days=3)).isoformat()
    form = tmp_path / "form.yaml"
    form.write_text(
        "uscc: 91410100MA00000000\nperiod: 2024\nfirm:\n" + facts.replace("DAY", ahead), encoding="utf-8"
    )
    r = runner.invoke(app, ["check", "--form", str(form)])
    assert r.exit_code == 2, r.output
    assert f"日期 {ahead} 晚于今天" in r.output and "after today" in r.output
    firm = (
        {"tags": [{"tag": "x", "since": ahead}]}
        if line == "tags"
        else {"events": [{"kind": "x", "date": ahead}]}
    )
    with pytest.raises(ValueError, match="晚于今天"):  # the model itself, as the web uses it
        policy.Form.model_validate({"period": 2024, "firm": firm})
    today = beijing_today().isoformat()
    form.write_text(
        "uscc: 91410100MA00000000\nperiod: 2024\nfirm:\n" + facts.replace("DAY", today), encoding="utf-8"
    )
    assert runner.invoke(app, ["check", "--form", str(form)]).exit_code == 0


def test_a_firm_registered_after_the_period_is_explained(data_dir: Path) -> None:
    reason = "该企业于 2025-01-01 登记, 晚于 2024 年度, 不参与该年度测算"
    r = runner.invoke(app, ["check", "P1", "--period", "2024"])
    assert r.exit_code == 1 and reason in r.output and "registered" in r.output, r.output
    assert "仓库中没有企业" not in r.output
    r = runner.invoke(app, ["check", "NOSUCH", "--period", "2024"])
    assert r.exit_code == 1 and "仓库中没有企业 NOSUCH" in r.output
    r = runner.invoke(app, ["run", "--as-of", "2025-03-31"])
    run_id = re.search(r"run_id (\S+);", r.output)
    assert run_id is not None
    r = runner.invoke(app, ["explain", "P1", "--run", run_id.group(1)])
    assert r.exit_code == 1 and "该运行中没有企业 P1" in r.output and reason in r.output, r.output
    with open_warehouse(data_dir / "wh.duckdb", read_only=True) as wh:
        assert policy.absent_reason(wh, "P1", 2025).startswith("企业 P1 没有 2025 年度的测算结果")
