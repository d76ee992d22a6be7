"""Who gave each account its powers (app-store revision 0010, ``account_grants``), on SQLite and
PostgreSQL: an account an admin creates in the app records its creator and grantor; a role change
or a second activation by a user records that user, by the operator clears the grantor; accounts
the operator makes, and every account that existed before the revision, have none (unknown, never
guessed); downgrading drops the table and keeps the accounts. The operator changes a role with
``zonebrain users set-role``, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from tests.web.test_appstore_r0004 import _alembic, _count
from zonebrain.appstore import AppStore, Grant, Role, open_app_store, utcnow
from zonebrain.cli import users_cmd
from zonebrain.cli._common import state
from zonebrain.core.errors import InputError

PASSWORD = "a-long-password"


def _near(at: dt.datetime | None) -> bool:
    return at is not None and abs(utcnow() - at) < dt.timedelta(minutes=1)


def test_an_account_made_in_the_app_records_who_made_it(store: AppStore) -> None:
    admin = store.users.add("admin", PASSWORD, Role.ADMIN)  # the operator's: no grantor
    assert store.users.grant("admin") == Grant(admin.id, None, None, None)
    chen = store.users.add("chen", PASSWORD, Role.POLICY_RESEARCHER, by=admin)
    g = store.users.grant("chen")
    assert g is not None and (g.user_id, g.created_by, g.granted_by) == (chen.id, admin.id, admin.id)
    assert _near(g.granted_at) and g.granted_at == chen.created_at
    assert store.users.grant("nobody") is None
    assert set(store.users.grants()) == {chen.id}  # the operator's account has no row
    assert g.granted_text({admin.id: "admin"}).startswith("admin 20")  # Beijing time follows
    assert store.users.grant("admin").granted_text({}) == "—"  # type: ignore[union-attr]


def test_role_changes_and_activation_record_the_grantor(store: AppStore) -> None:
    admin = store.users.add("admin", PASSWORD, Role.ADMIN)
    other = store.users.add("other", PASSWORD, Role.ADMIN)
    li = store.users.add("li", PASSWORD, Role.LEADER)
    with pytest.raises(InputError, match="园区专员须指定园区"):
        store.users.set_role("li", Role.PARK_OFFICER, by=admin)  # the scope is checked as for add
    u = store.users.set_role("li", Role.PARK_OFFICER, park_id="wutong", by=admin)
    assert (u.role, u.park_id, u.version) == (Role.PARK_OFFICER, "wutong", li.version + 1)
    g = store.users.grant("li")
    assert g is not None and (g.created_by, g.granted_by) == (None, admin.id) and _near(g.granted_at)

    store.users.set_active("li", True, by=other)  # already active: nothing is granted
    assert store.users.grant("li").granted_by == admin.id  # type: ignore[union-attr]
    store.users.set_active("li", False, by=other)
    store.users.set_active("li", True, by=other)  # active again, by another admin
    assert store.users.grant("li").granted_by == other.id  # type: ignore[union-attr]

    store.users.set_role("li", Role.LEADER)  # by the operator: no user granted its powers
    assert store.users.grant("li") == Grant(li.id, None, None, None)
    made = store.users.add("made", PASSWORD, Role.LEADER, by=admin)
    store.users.set_role("made", Role.LEADER)
    assert store.users.grant("made") == Grant(made.id, admin.id, None, None)  # its maker stays


def test_migration_0010_adds_the_table_empty_and_downgrade_drops_it(store: AppStore) -> None:
    _alembic(store, command.downgrade, "0009")
    assert "account_grants" not in store.table_names()
    ids = [store.users.add(n, PASSWORD, Role.LEADER).id for n in ("old1", "old2")]  # made before 0010
    _alembic(store, command.upgrade, "0010")
    assert store.revision() == "0010" and _count(store, "account_grants") == 0  # unknown: no row
    assert [store.users.grant(n) for n in ("old1", "old2")] == [Grant(i, None, None, None) for i in ids]
    store.users.add("new", PASSWORD, Role.LEADER, by=store.users.get("old1"))
    assert _count(store, "account_grants") == 1

    _alembic(store, command.downgrade, "0009")
    assert "account_grants" not in store.table_names() and _count(store, "users") == 3
    with store.engine.connect() as conn:
        assert {r[0] for r in conn.execute(sa.text("SELECT username FROM users"))} == {"old1", "old2", "new"}
    _alembic(store, command.upgrade, "head")  # leave the store at the newest revision (PostgreSQL keeps it)


def test_the_operator_changes_a_role_from_the_shell_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setattr(state, "data_dir", str(tmp_path))
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        admin = store.users.add("admin", PASSWORD, Role.ADMIN)
        store.users.add("li", PASSWORD, Role.LEADER, by=admin)
    runner = CliRunner()
    r = runner.invoke(users_cmd.app, ["set-role", "li", "--role", "park_officer"])
    assert r.exit_code != 0 and "园区专员须指定园区" in str(r.exception)  # the scope, checked
    r = runner.invoke(users_cmd.app, ["set-role", "li", "--role", "park_officer", "--park", "wutong"])
    assert r.exit_code == 0 and "已变更角色 (role changed) li: park_officer" in r.output, r.output
    r = runner.invoke(users_cmd.app, ["set-role", "nobody", "--role", "leader"])
    assert r.exit_code != 0 and "没有用户 'nobody'" in str(r.exception)
    with open_app_store(tmp_path / "app.sqlite", create=False) as store:
        li = store.users.get("li")
        assert li is not None and (li.role, li.park_id) == (Role.PARK_OFFICER, "wutong")
        assert store.users.grant("li") == Grant(li.id, admin.id, None, None)  # the operator's grant now
        (e,) = store.audit.entries(action="user.set_role")
        assert (e.username, e.target) == ("cli", "li")
        assert e.detail == {
            "before": {"role": "leader", "park_id": None, "uscc": None},
            "after": {"role": "park_officer", "park_id": "wutong", "uscc": None},
            "via": "cli",
        }
