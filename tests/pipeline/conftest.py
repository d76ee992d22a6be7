"""Fixtures of the pipeline tests: a migrated app store on SQLite and (when selected) PostgreSQL.

PostgreSQL joins when ``ZONEBRAIN_ENGINES`` names it (``make test`` does; CI always), exactly as
tests/web/test_appstore.py does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import in_ci
from zonebrain.appstore import AppStore, Role, User, open_app_store
from zonebrain.pipeline import Pipeline

PASSWORD = "a-long-password"


def _engines() -> list[str]:
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
    url = cluster.create_database("pipeline_test")
    yield url
    cluster.stop()


@pytest.fixture(params=_engines())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppStore]:
    """A fresh, migrated app store (a clean slate per test on the shared PostgreSQL database)."""
    if request.param == "sqlite":
        s = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    else:
        s = open_app_store(request.getfixturevalue("pg_url"), password_cost="low")
        from sqlalchemy import text

        with s.engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE matches, demands, resources, project_events, projects, users, sessions, login_attempts, audit_log "
                    "RESTART IDENTITY CASCADE"
                )
            )
    yield s
    s.close()


@dataclass(frozen=True)
class People:
    admin: User
    wang: User
    """An investment officer (any park)."""
    zhao: User
    """Another investment officer."""
    li: User
    """The 梧桐 (wutong) park officer."""
    sun: User
    """The 石佛 (shifo) park officer."""
    leader: User
    firm: User


@pytest.fixture
def people(store: AppStore) -> People:
    add = store.users.add
    return People(
        admin=add("admin", PASSWORD, Role.ADMIN),
        wang=add("wang", PASSWORD, Role.INVESTMENT_OFFICER),
        zhao=add("zhao", PASSWORD, Role.INVESTMENT_OFFICER),
        li=add("li", PASSWORD, Role.PARK_OFFICER, park_id="wutong"),
        sun=add("sun", PASSWORD, Role.PARK_OFFICER, park_id="shifo"),
        leader=add("leader", PASSWORD, Role.LEADER),
        firm=add("firm", PASSWORD, Role.ENTERPRISE_USER, uscc="91110000600037341L"),
    )


@pytest.fixture
def pipe(store: AppStore) -> Pipeline:
    return Pipeline(store)
