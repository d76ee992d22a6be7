"""`zonebrain policy run` reads the app store's payment ledger: a one-time award paid once is
ineligible in the next run, and its trace says so; without an app store nothing counts as paid."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.disbursement._data import AS_OF, A, build
from zonebrain import disbursement, policy
from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.storage import open_warehouse

runner = CliRunner()
HITECH = ("zz-hitech-first-cert", "award")
WIDE = {"COLUMNS": "250"}  # a table row on one line


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
    return tmp_path


def _hitech(folder: Path, output: str) -> dict[str, object]:
    """A's high-tech award in the run the command printed (two runs may share a created_at second)."""
    found_id = re.search(r"run_id (\S+);", output)
    assert found_id, output
    with open_warehouse(folder / "wh.duckdb", read_only=True) as wh:
        rows = policy.load_results(wh, found_id.group(1), A).to_pylist()
    found = [r for r in rows if (r["policy_id"], r["clause_id"]) == HITECH]
    assert len(found) == 1, rows
    return found[0]


def _hitech_cells(output: str) -> list[str]:
    """The cells of the high-tech award's row in the table ``policy run`` printed."""
    line = next(x for x in output.splitlines() if x.startswith("│ zz-hitech-first-cert"))
    return [c.strip() for c in line.split("│")[1:-1]]


def _pay_everything(folder: Path) -> int:
    """A batch of the first run, reviewed, closed early, approved and paid by four people; returns the
    ledger size."""
    with open_app_store(folder / "app.sqlite", password_cost="low") as store:
        chen = store.users.add("chen", "a-long-password", Role.POLICY_RESEARCHER)
        liu = store.users.add("liu", "a-long-password", Role.POLICY_RESEARCHER)
        wang = store.users.add("wang", "a-long-password", Role.LEADER)
        zhou = store.users.add("zhou", "a-long-password", Role.LEADER)
        d = disbursement.Disbursement(store)
        with open_warehouse(folder / "wh.duckdb", read_only=True) as wh:
            run = disbursement.load_run(wh)
        b = d.create_batch(chen, run)
        b = d.review(liu, b.id, expected_version=b.version)  # not its creator (四眼)
        today = d.today()
        b = d.publicize(chen, b.id, start=today, end=today + dt.timedelta(days=6), expected_version=b.version)
        b = d.close_publicity(wang, b.id, reason="测试", expected_version=b.version)
        b = d.approve(zhou, b.id, expected_version=b.version)  # not who closed the 公示 early
        assert d.pay(chen, b.id).paid
        return d.ledger.count()


def test_a_paid_one_time_award_is_ineligible_in_the_next_run(data_dir: Path) -> None:
    r = runner.invoke(app, ["run", "--as-of", AS_OF.isoformat()], env=WIDE)
    assert r.exit_code == 0, r.output
    first_output = r.output
    assert not (data_dir / "app.sqlite").exists()  # no app store: nothing paid, none created
    first = _hitech(data_dir, r.output)
    assert first["status"] == "eligible" and first["amount_fen"] == 300_000_00

    assert _pay_everything(data_dir) >= 1
    r = runner.invoke(app, ["run", "--as-of", AS_OF.isoformat()])
    assert r.exit_code == 0, r.output
    assert "支付台账 payment ledger:" in r.output
    again = _hitech(data_dir, r.output)
    assert again["status"] == "ineligible" and not again["amount_fen"]
    assert json.loads(str(again["trace"]))["ledger"] == "already paid (one-time award)"
    # the run says how many were paid before, per clause, written or not (QA: 符合 fell, unexplained)
    assert "其中已兑现" not in first_output
    for args in ([], ["--dry-run"]):
        out = runner.invoke(app, ["run", "--as-of", AS_OF.isoformat(), *args], env=WIDE).output
        assert "其中已兑现" in out and "paid before" in out
        # every firm eligible in the first run was paid: the same number, no longer 符合
        assert _hitech_cells(out)[6] == _hitech_cells(first_output)[2] != "0", out
        assert _hitech_cells(out)[2] == "0"


def test_an_app_store_named_on_the_command_line_is_used(data_dir: Path) -> None:
    from zonebrain.appstore import open_app_store

    named = data_dir / "elsewhere.sqlite"
    args = ["run", "--as-of", AS_OF.isoformat(), "--dry-run", "--app-db", str(named)]
    # a mistyped path is refused, not opened as a new store with an empty ledger (which would
    # offer one-time awards already paid as eligible again)
    r = runner.invoke(app, args)
    assert r.exit_code == 1 and "应用库不存在" in str(r.exception) and not named.exists()
    open_app_store(named, password_cost="low").close()
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "支付台账 payment ledger: 0 笔" in r.output


def test_the_self_check_of_an_enterprise_sees_the_ledger(data_dir: Path) -> None:
    wide = {"COLUMNS": "250"}  # a table row on one line (narrower, cells fold: nothing is cut)
    r = runner.invoke(app, ["check", A], env=wide)
    assert r.exit_code == 0, r.output
    assert "考核年度 period 2024" in r.output  # the latest year with data, not the calendar's
    line = next(x for x in r.output.splitlines() if "zz-hitech-first-c" in x and "│" in x)
    assert "符合 eligible" in line and "300,000.00" in line
    assert runner.invoke(app, ["run", "--as-of", AS_OF.isoformat()]).exit_code == 0
    _pay_everything(data_dir)
    r = runner.invoke(app, ["check", A], env=wide)
    assert r.exit_code == 0 and "支付台账 payment ledger:" in r.output
    line = next(x for x in r.output.splitlines() if "zz-hitech-first-c" in x and "│" in x)
    assert "已兑现" in line and "300,000.00" not in line
    r = runner.invoke(app, ["check", "--form", "f.yaml", "--period", "2024"])
    assert r.exit_code == 2 and "自带 uscc 与 period" in r.output
