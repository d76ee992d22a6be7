"""Fixtures of the pipeline tests: a migrated app store on SQLite and (when selected) PostgreSQL.

PostgreSQL joins when ``ZONEBRAIN_ENGINES`` names it (``make test`` does; CI always), see tests/_appstore.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from zonebrain.appstore import AppStore, Role, User
from zonebrain.pipeline import Pipeline

PASSWORD = "a-long-password"


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
