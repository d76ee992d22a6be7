"""The app-store fixtures shared by the pipeline, linking, disbursement and app-store tests.

``store`` is a fresh, migrated app store on SQLite and, when PostgreSQL is selected
(``ZONEBRAIN_ENGINES`` names it, as ``make test`` does; CI always), on a throwaway PostgreSQL
cluster started once per test module. Each PostgreSQL test starts from empty tables.
Use them from a conftest or test module with ``from tests._appstore import pg_url, store``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import in_ci
from zonebrain.appstore import AppStore, open_app_store


def app_store_engines() -> list[str]:
    env = os.environ.get("ZONEBRAIN_ENGINES", "")
    wanted = [e.strip() for e in env.split(",") if e.strip()] if env else (["postgres"] if in_ci() else [])
    return ["sqlite", *(["postgres"] if "postgres" in wanted else [])]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from zonebrain.storage._pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except Exception as exc:  # a selected engine that cannot start fails the run
        pytest.fail(f"postgres selected but cannot start: {exc}")
    yield cluster.create_database(f"appstore_{uuid.uuid4().hex[:8]}")
    cluster.stop()


def _truncate_all(store: AppStore) -> None:
    from sqlalchemy import text

    tables = [t for t in store.table_names() if t != "alembic_version"]
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=app_store_engines())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppStore]:
    """A fresh, migrated app store (a clean slate per test on the module's PostgreSQL database)."""
    if request.param == "sqlite":
        s = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    else:
        s = open_app_store(request.getfixturevalue("pg_url"), password_cost="low")
        _truncate_all(s)
    yield s
    s.close()
