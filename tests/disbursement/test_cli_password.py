"""QA: the command line acted as whoever ``--user`` named. The steps that move money (batch create,
review, publicize, close-publicity, resolve, approve, pay, cancel; ledger reverse) now check that
user's password, asked without echo or read from ``$ZONEBRAIN_PASSWORD``; a wrong one is refused,
audited as a failed login and counted towards the account's lock, as on the web. Reading keeps
working with ``--user`` alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.disbursement.conftest import ZoneFile
from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import _common, _payout_flow
from zonebrain.cli.policy_cmd import app
from zonebrain.web._config import WebConfig

runner = CliRunner()
PASSWORD = "a-long-password"
ENV = "ZONEBRAIN_PASSWORD"


@pytest.fixture
def shell(zone_file: ZoneFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A data directory with the four-firm warehouse and one recorded run; chen and liu, no password
    in the environment. Returns the app store's path and the run id."""
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.delenv(ENV, raising=False)
    run_id = zone_file.copy_to(tmp_path / "wh.duckdb")
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        store.users.add("chen", PASSWORD, Role.POLICY_RESEARCHER)
        store.users.add("liu", PASSWORD, Role.POLICY_RESEARCHER)
    return tmp_path / "app.sqlite", run_id


def _logins(app_db: Path) -> list[tuple[str, str, object]]:
    with open_app_store(app_db, create=False) as store:
        return [(e.username, e.outcome, e.detail.get("via")) for e in store.audit.entries(action="login")]


def _batches(app_db: Path) -> int:
    with open_app_store(app_db, create=False) as store:
        return len(store.audit.entries(action="disbursement.create"))


def test_a_step_without_a_password_is_refused(shell: tuple[Path, str]) -> None:
    app_db, run_id = shell
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "chen"])  # nothing typed
    assert r.exit_code == 1, r.output
    assert "没有读到用户 'chen' 的口令 (no password given)" in r.output and ENV in r.output
    assert _batches(app_db) == 0


def test_a_wrong_password_is_refused_and_audited_as_a_failed_login(
    shell: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_db, run_id = shell
    monkeypatch.setenv(ENV, "not-the-password")
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "chen"])
    assert r.exit_code == 1 and "用户名或口令不对" in r.output and "(wrong username or password" in r.output
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "nobody"])  # the same answer
    assert r.exit_code == 1 and "用户名或口令不对" in r.output and "zonebrain users list" in r.output
    assert _logins(app_db) == [("nobody", "failed", "cli"), ("chen", "failed", "cli")]
    assert _batches(app_db) == 0
    with open_app_store(app_db, create=False) as store:
        assert all("not-the-password" not in str(e.detail) for e in store.audit.entries())


def test_the_right_password_typed_or_from_the_environment(
    shell: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_db, run_id = shell
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "chen"], input=f"{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert "用户 chen 的口令 / password" in r.output and PASSWORD not in r.output  # asked, not echoed
    assert _batches(app_db) == 1
    r = runner.invoke(app, ["batch", "show", "1"])
    assert r.exit_code == 0 and "version 1" in r.output  # reading needs no password
    monkeypatch.setenv(ENV, PASSWORD)  # a script
    r = runner.invoke(app, ["batch", "review", "1", "--user", "liu", "--version", "1"])
    assert r.exit_code == 0 and "已审核" in r.output, r.output
    r = runner.invoke(
        app, ["publicity", "--batch", "1", "--out", str(app_db.parent / "gs.xlsx"), "--user", "chen"]
    )
    assert r.exit_code == 0, r.output  # an export names its user without a password


def test_repeated_failures_lock_the_account_as_on_the_web(
    shell: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app_db, run_id = shell
    assert (
        WebConfig.login_max_failures,
        WebConfig.login_window,
    ) == (_payout_flow.LOGIN_MAX_FAILURES, _payout_flow.LOGIN_WINDOW)  # one limit, the web's
    monkeypatch.setenv(ENV, "wrong-password!")
    for _ in range(_payout_flow.LOGIN_MAX_FAILURES):
        assert runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "chen"]).exit_code == 1
    monkeypatch.setenv(ENV, PASSWORD)
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "chen"])  # now right, but locked
    assert r.exit_code == 1 and "已暂时锁定" in r.output and "15 分钟" in r.output
    assert _logins(app_db)[0] == ("chen", "locked", "cli") and _batches(app_db) == 0
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "liu"])  # another account is not
    assert r.exit_code == 0, r.output
