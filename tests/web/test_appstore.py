"""The app store: users with argon2 hashes, sessions, login attempts, the audit log, migrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from zonebrain.appstore import AppStore, ConcurrentUpdate, Role, default_app_db_url, open_app_store
from zonebrain.core.errors import InputError

VALID_USCC = "91110000600037341L"


def test_migrations_create_the_tables_and_are_idempotent(store: AppStore) -> None:
    assert {"users", "sessions", "login_attempts", "audit_log", "alembic_version"} <= set(store.table_names())
    assert store.revision() == "0010"  # the newest revision under appstore/migrations/versions
    assert store.migrate() == []


def test_migrations_match_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from zonebrain.appstore._models import Base

    s = open_app_store(tmp_path / "app.sqlite")
    with s.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    s.close()
    assert diff == []


def test_passwords_are_argon2_hashes_and_verify(store: AppStore) -> None:
    u = store.users.add("wang", "a-long-password", Role.LEADER, display_name="王主任")
    from sqlalchemy import text

    with store.engine.connect() as conn:
        hashed = conn.execute(text("SELECT password_hash FROM users WHERE username = 'wang'")).scalar_one()
    assert hashed.startswith("$argon2id$") and "a-long-password" not in hashed
    assert store.users.authenticate("wang", "a-long-password") == u
    assert store.users.authenticate("wang", "wrong-password!") is None
    assert store.users.authenticate("nobody", "a-long-password") is None


def test_standard_cost_hash_parameters() -> None:
    from zonebrain.appstore._users import make_hasher

    h = make_hasher("standard")
    assert h.time_cost >= 2 and h.memory_cost >= 19 * 1024  # at least OWASP's argon2id minimum


@pytest.mark.parametrize(
    ("username", "password", "role", "extra", "fragment"),
    [
        ("x", "a-long-password", "leader", {}, "用户名"),
        ("ok-name", "short", "leader", {}, "口令至少"),
        ("ok-name", "a-long-password", "boss", {}, "未知角色"),
        ("ok-name", "a-long-password", "park_officer", {}, "园区专员须指定园区"),
        ("ok-name", "a-long-password", "leader", {"park_id": "wutong"}, "只有园区专员"),
        ("ok-name", "a-long-password", "enterprise_user", {}, "企业用户须指定"),
        ("ok-name", "a-long-password", "enterprise_user", {"uscc": "91110000600037341X"}, "校验"),
        ("ok-name", "a-long-password", "leader", {"uscc": VALID_USCC}, "只有企业用户"),
    ],
)
def test_invalid_accounts_are_refused_with_the_fix(
    store: AppStore, username: str, password: str, role: str, extra: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InputError, match=fragment):
        store.users.add(username, password, role, **extra)  # type: ignore[arg-type]


def test_usernames_are_unique_and_scopes_kept(store: AppStore) -> None:
    store.users.add("li", "a-long-password", Role.PARK_OFFICER, park_id="wutong")
    firm = store.users.add("qiye", "a-long-password", Role.ENTERPRISE_USER, uscc=VALID_USCC.lower())
    assert firm.uscc == VALID_USCC
    with pytest.raises(InputError, match="已存在"):
        store.users.add("li", "another-password", Role.LEADER)
    assert [u.username for u in store.users.list()] == ["li", "qiye"]


def test_optimistic_concurrency(store: AppStore) -> None:
    u = store.users.add("zhao", "a-long-password", Role.LEADER)
    store.users.set_password("zhao", "new-long-password", expected_version=u.version)
    with pytest.raises(ConcurrentUpdate, match="已被他人修改"):
        store.users.set_active("zhao", False, expected_version=u.version)
    assert store.users.authenticate("zhao", "new-long-password") is not None


def test_sessions_expire_and_end_with_deactivation(store: AppStore) -> None:
    u = store.users.add("sun", "a-long-password", Role.LEADER)
    s = store.sessions.create(u, "127.0.0.1")
    found = store.sessions.get(s.token)
    assert found is not None and found.user.username == "sun" and found.csrf_token == s.csrf_token
    assert store.sessions.get("not-a-token") is None
    store.users.set_active("sun", False)
    assert store.sessions.get(s.token) is None  # an inactive user's session is gone
    store.users.set_active("sun", True)
    s2 = store.sessions.create(u)
    from sqlalchemy import text

    with store.engine.begin() as conn:
        conn.execute(text("UPDATE sessions SET expires_at = :t"), {"t": dt.datetime(2000, 1, 1)})
    assert store.sessions.get(s2.token) is None


def test_login_failures_are_counted_since_the_last_success(store: AppStore) -> None:
    window = dt.timedelta(minutes=15)
    for _ in range(3):
        store.sessions.record_attempt("zhou", "10.0.0.1", success=False)
    assert store.sessions.recent_failures(username="zhou", window=window) == 3
    assert store.sessions.recent_failures(ip="10.0.0.1", window=window) == 3
    store.sessions.record_attempt("zhou", "10.0.0.1", success=True)
    store.sessions.record_attempt("zhou", "10.0.0.1", success=False)
    assert store.sessions.recent_failures(username="zhou", window=window) == 1


def test_audit_log_keeps_entries_newest_first_and_refuses_secrets(store: AppStore) -> None:
    u = store.users.add("wu", "a-long-password", Role.ADMIN)
    store.audit.record("user.add", user=u, target="someone", detail={"role": "leader"})
    store.audit.record("login", username="ghost", outcome="failed", ip="10.1.1.1")
    entries = store.audit.entries()
    assert [e.action for e in entries] == ["login", "user.add"]
    assert entries[1].detail == {"role": "leader"} and entries[1].role == "admin"
    with pytest.raises(ValueError, match="secrets"):
        store.audit.record("user.add", user=u, detail={"password": "x"})
    assert store.audit.count() == 2


def test_default_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    assert default_app_db_url(tmp_path) == str(tmp_path / "app.sqlite")
    monkeypatch.setenv("ZONEBRAIN_APP_DB", "postgresql://u@h/db")
    assert default_app_db_url(tmp_path) == "postgresql://u@h/db"
    assert default_app_db_url(tmp_path, "x.sqlite") == "x.sqlite"
