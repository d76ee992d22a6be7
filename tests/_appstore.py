"""The app-store fixtures shared by the pipeline, linking, disbursement and app-store tests.

``store`` is a fresh, migrated app store on SQLite and, when PostgreSQL is selected
(``ZONEBRAIN_ENGINES`` names it, as ``make test`` does; CI always), on a database of its own per
test module, in a throwaway PostgreSQL cluster started once per session (``initdb`` and start cost
about 2 s). Each PostgreSQL test starts from empty tables.
Use them from a conftest or test module with ``from tests._appstore import pg_url, store``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import in_ci
from zonebrain.appstore import AppStore, open_app_store

if TYPE_CHECKING:
    from zonebrain.storage._pgcluster import Cluster


def app_store_engines() -> list[str]:
    env = os.environ.get("ZONEBRAIN_ENGINES", "")
    wanted = [e.strip() for e in env.split(",") if e.strip()] if env else (["postgres"] if in_ci() else [])
    return ["sqlite", *(["postgres"] if "postgres" in wanted else [])]


@pytest.fixture(scope="session")
def pg_appstore_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL cluster for the app-store tests of the whole run."""
    from zonebrain.storage._pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except Exception as exc:  # a selected engine that cannot start fails the run
        pytest.fail(f"postgres selected but cannot start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def pg_url(pg_appstore_cluster: Cluster) -> Iterator[str]:
    """A new, empty database per test module (dropped after the module)."""
    name = f"appstore_{uuid.uuid4().hex[:8]}"
    yield pg_appstore_cluster.create_database(name)
    pg_appstore_cluster.drop_database(name)


def _truncate_all(store: AppStore) -> None:
    from sqlalchemy import text

    tables = [t for t in store.table_names() if t != "alembic_version"]
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_app_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated, empty SQLite app store, closed: made once per session, only ever copied."""
    path = tmp_path_factory.mktemp("appstore") / "app.sqlite"
    open_app_store(path, password_cost="low").close()
    return path


@pytest.fixture(params=app_store_engines())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppStore]:
    """A fresh, migrated app store (on SQLite a copy of a freshly migrated file, on PostgreSQL a clean
    slate per test on the module's database)."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_app_store_file"), tmp_path / "app.sqlite")
        s = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    else:
        s = open_app_store(request.getfixturevalue("pg_url"), password_cost="low")
        _truncate_all(s)
    yield s
    s.close()
