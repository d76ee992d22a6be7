"""`zonebrain users …` (the typer sub-app, tested on its own until it is mounted in cli/main.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.web.conftest import Demo
from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import users_cmd
from zonebrain.cli._common import state


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setattr(state, "data_dir", str(tmp_path))
    return tmp_path


def test_add_list_deactivate(data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        users_cmd.app,
        ["add", "wang", "--role", "park_officer", "--park", "wutong", "--password-stdin"],
        input="a-long-password\n",
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(users_cmd.app, ["add", "li", "--role", "leader", "--generate"])
    assert r.exit_code == 0 and "shown once" in r.output
    r = runner.invoke(users_cmd.app, ["list"])
    assert r.exit_code == 0 and "users" in r.output  # (rich shortens cells on a narrow test terminal)
    assert runner.invoke(users_cmd.app, ["deactivate", "li"]).exit_code == 0
    store = open_app_store(data_dir / "app.sqlite")
    assert store.users.authenticate("wang", "a-long-password") is not None
    li = store.users.get("li")
    assert li is not None and not li.active
    assert [e.action for e in store.audit.entries()] == ["user.deactivate", "user.add", "user.add"]
    store.close()


def test_bad_input_is_an_input_error(data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(
        users_cmd.app, ["add", "wang", "--role", "park_officer", "--park", "mars", "--generate"]
    )
    assert r.exit_code != 0 and "未知园区" in str(r.exception)
    r = runner.invoke(users_cmd.app, ["add", "wang", "--role", "leader", "--password-stdin"], input="short\n")
    assert "口令至少" in str(r.exception)


def test_demo_accounts_one_per_role(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setattr(state, "data_dir", str(tmp_path))
    monkeypatch.setattr(state, "warehouse", str(demo.warehouse))
    runner = CliRunner()
    first = runner.invoke(users_cmd.app, ["demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(users_cmd.app, ["demo"])
    store = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    users = store.users.list()
    assert {u.role for u in users} == set(Role)
    firm = next(u for u in users if u.role is Role.ENTERPRISE_USER)
    assert firm.uscc and again.exit_code == 0
    store.close()
