"""Fixtures of the 兑现 tests: a migrated app store on SQLite and (when selected) PostgreSQL, the
people of the workflow, a fixed clock, and a small warehouse with one recorded run.

PostgreSQL joins when ``ZONEBRAIN_ENGINES`` names it (``make test`` does; CI always), as in
tests/_appstore.py.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.disbursement._data import AS_OF, C, build
from zonebrain import policy
from zonebrain.appstore import AppStore, Role, User
from zonebrain.disbursement import Disbursement, Item, RunRows, load_run
from zonebrain.storage import Warehouse, open_warehouse

PASSWORD = "a-long-password"


class Clock:
    """A settable "now" (naive UTC) for the service; starts on 2025-04-01 10:00 Beijing time."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 4, 1, 2, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def days(self, n: int) -> None:
        self.now += dt.timedelta(days=n)


@dataclass(frozen=True)
class People:
    chen: User
    """Policy researcher: builds, publishes and pays batches."""
    liu: User
    """Another policy researcher: reviews."""
    wang: User
    """Leader: approves."""
    zhou: User
    """Another leader."""
    admin: User
    li: User
    """Park officer of 梧桐 (wutong): firms A and C."""
    sun: User
    """Park officer of 石佛 (shifo): firms B and D."""
    firm_c: User
    """Enterprise user of firm C."""

    def officer(self, item: Item) -> User:
        """The park officer of *item*'s park: officers record objections to their park's items only."""
        return self.li if item.park_id == self.li.park_id else self.sun


@pytest.fixture
def people(store: AppStore) -> People:
    add = store.users.add
    return People(
        chen=add("chen", PASSWORD, Role.POLICY_RESEARCHER),
        liu=add("liu", PASSWORD, Role.POLICY_RESEARCHER),
        wang=add("wang", PASSWORD, Role.LEADER),
        zhou=add("zhou", PASSWORD, Role.LEADER),
        admin=add("admin", PASSWORD, Role.ADMIN),
        li=add("li", PASSWORD, Role.PARK_OFFICER, park_id="wutong"),
        sun=add("sun", PASSWORD, Role.PARK_OFFICER, park_id="shifo"),
        firm_c=add("firm_c", PASSWORD, Role.ENTERPRISE_USER, uscc=C),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def d(store: AppStore, clock: Clock) -> Disbursement:
    return Disbursement(store, clock=clock)


@dataclass(frozen=True)
class Zone:
    wh: Warehouse
    run_id: str
    """The first recorded run (tests may record more runs in the same warehouse)."""


@dataclass(frozen=True)
class ZoneFile:
    path: Path
    """The closed DuckDB file: never opened again, only copied."""
    run_id: str

    def copy_to(self, dest: Path) -> str:
        """Copy the warehouse to *dest*; returns the id of its recorded run."""
        shutil.copyfile(self.path, dest)
        return self.run_id


@pytest.fixture(scope="session")
def zone_file(tmp_path_factory: pytest.TempPathFactory) -> ZoneFile:
    """The four-firm warehouse with one recorded run, built once per session; every user of it
    works on its own copy (a policy run costs about 0.6 s)."""
    path = tmp_path_factory.mktemp("disbursement-zone") / "wh.duckdb"
    with open_warehouse(path) as wh:
        wh.migrate()
        build(wh)
        run = policy.run_policies(wh, policy.load_library(), AS_OF)
    return ZoneFile(path, run.run_id)


@pytest.fixture(scope="module")
def zone(zone_file: ZoneFile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zone]:
    """The four-firm warehouse with one recorded run (a copy of its own per module)."""
    path = tmp_path_factory.mktemp("disbursement") / "wh.duckdb"
    run_id = zone_file.copy_to(path)
    wh = open_warehouse(path)
    yield Zone(wh, run_id)
    wh.close()


@pytest.fixture(scope="module")
def first_run(zone: Zone) -> RunRows:
    return load_run(zone.wh, zone.run_id)
