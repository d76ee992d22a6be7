"""The app store: one SQLAlchemy engine, migrations by Alembic, and its components.

SQLite (one file in the data directory) by default, PostgreSQL in deployment::

    store = open_app_store("data/app.sqlite")          # or postgresql://user@host/db
    store.migrate()
    store.users.add("wang", "s3cret-Passw0rd", Role.LEADER)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from zonebrain.core.errors import ConfigError, StorageError, ZoneBrainError

ENV_URL = "ZONEBRAIN_APP_DB"
"""Environment variable naming the app store (a URL or a SQLite file path)."""


def default_app_db_url(data_dir: str | Path | None = None, override: str | None = None) -> str:
    """The app store to use: *override*, else ``$ZONEBRAIN_APP_DB``, else ``DATA_DIR/app.sqlite``."""
    if override:
        return override
    env = os.environ.get(ENV_URL)
    if env:
        return env
    if data_dir is None:
        from zonebrain.core import settings

        data_dir = settings.get("data_dir")
    return str(Path(data_dir) / "app.sqlite")


def open_existing_app_store(data_dir: str | Path | None, override: str | None = None) -> AppStore | None:
    """The app store a reader of it should use: the one named by *override* or ``$ZONEBRAIN_APP_DB``,
    which must exist (a mistyped path is an error, not an empty store), else ``DATA_DIR/app.sqlite``
    when there is one; None for a zone that has none yet (nothing paid, nothing pursued)."""
    url = default_app_db_url(data_dir, override)
    named = override is not None or os.environ.get(ENV_URL)
    if not named and not Path(url).exists():
        return None
    return open_app_store(url, create=False)


def sqlalchemy_url(url: str | Path) -> str:
    """A SQLAlchemy URL for *url*: a file path is SQLite; ``postgresql://`` uses psycopg 3."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith(("sqlite:", "postgresql+")):
        return text
    if "://" in text:
        raise ConfigError(
            f"不支持的应用库地址 '{text}' (unsupported app store URL); "
            "可用 / use a SQLite file path such as data/app.sqlite or postgresql://user@host:5432/db"
        )
    if text == ":memory:":
        return "sqlite://"
    Path(text).parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(text).resolve()}"


class ConcurrentUpdate(ZoneBrainError):
    """Someone else changed the row since it was read (optimistic concurrency); reload and retry."""


class AppStore:
    """The transactional store. Components: :attr:`users`, :attr:`sessions`, :attr:`audit`."""

    def __init__(self, url: str | Path, *, password_cost: str = "standard") -> None:
        from zonebrain.appstore._audit import AuditLog
        from zonebrain.appstore._sessions import Sessions
        from zonebrain.appstore._users import Users, make_hasher

        self.url = str(url)
        sa_url = sqlalchemy_url(url)
        kwargs: dict[str, Any] = {}
        if sa_url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        try:
            self.engine: Engine = create_engine(sa_url, **kwargs)
        except (SQLAlchemyError, ImportError) as exc:
            raise ConfigError(f"无法打开应用库 {self.url} (cannot open the app store): {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        hasher = make_hasher(password_cost)
        self.users = Users(self, hasher)
        self.sessions = Sessions(self)
        self.audit = AuditLog(self)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error; engine errors become StorageError."""
        try:
            with self._sessionmaker.begin() as s:
                yield s
        except StaleDataError as exc:
            raise ConcurrentUpdate(
                "记录已被他人修改 (the row was changed by someone else); 请刷新后重试 / reload and retry"
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(
                "应用库操作失败 (the app store failed)",
                engine=f"appstore/{self.engine.dialect.name}",
                original=exc,
            ) from exc

    def migrate(self) -> list[str]:
        """Bring the schema to the newest Alembic revision; return the revisions applied."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        cfg = Config()
        cfg.set_main_option("script_location", str(resources.files("zonebrain.appstore") / "migrations"))
        script = ScriptDirectory.from_config(cfg)
        try:
            with self.engine.begin() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                pending = [
                    r.revision for r in script.iterate_revisions("head", current or "base") if r.revision
                ]
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StorageError(
                "应用库迁移失败 (app store migration failed)",
                engine=f"appstore/{self.engine.dialect.name}",
                original=exc,
            ) from exc
        return list(reversed(pending))

    def revision(self) -> str | None:
        """The current Alembic revision (None for an empty store)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AppStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()


def open_app_store(
    url: str | Path, *, migrate: bool = True, password_cost: str = "standard", create: bool = True
) -> AppStore:
    """Open (and by default migrate) the app store at *url* (a SQLite path or a PostgreSQL URL).

    With ``create=False`` a SQLite file that does not exist is an error instead of a new, empty
    store: a mistyped path must not read as "no users, nothing paid yet" (an empty payment ledger
    would offer one-time awards again)."""
    text = str(url)
    if not create and "://" not in text and not text.startswith("sqlite:") and not Path(text).exists():
        raise ConfigError(
            f"应用库不存在: {text} (no app store at this path); 请检查 --app-db 或 ZONEBRAIN_APP_DB, "
            "新建应用库请用 zonebrain users add 或 zonebrain demo / check the path; create one with "
            "zonebrain users add"
        )
    store = AppStore(url, password_cost=password_cost)
    if migrate:
        store.migrate()
    return store
