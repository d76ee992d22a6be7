"""The engine parameter: every test here runs on each selected warehouse engine.

Which engines run:

* ``ZONEBRAIN_ENGINES=duckdb,postgres,spark`` (what ``make test`` sets) runs those;
* otherwise in CI (``CI=true``) all three, locally DuckDB only.

A selected engine that cannot start is a failure, never a skip. A known gap of one engine is
declared on the test with ``@pytest.mark.engine_gap("spark", reason=…)``, which becomes a
strict xfail for that engine only: the test fails once the gap is fixed.

PostgreSQL: one throwaway cluster per session (``initdb`` + ``pg_ctl`` in a temp folder, a
free port, ``fsync=off``) and a fresh database per test. Spark: one local session per run
(UI off, settings for tiny tables) and a fresh warehouse folder per test.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from zonebrain.storage import Warehouse, open_warehouse

ENGINES = ("duckdb", "postgres", "spark")


def selected_engines() -> list[str]:
    env = os.environ.get("ZONEBRAIN_ENGINES", "").strip()
    if env:
        chosen = [e.strip() for e in env.split(",") if e.strip()]
        unknown = set(chosen) - set(ENGINES)
        if unknown:
            raise pytest.UsageError(
                f"ZONEBRAIN_ENGINES names unknown engines {sorted(unknown)}; use {ENGINES}"
            )
        return chosen
    return list(ENGINES) if in_ci() else ["duckdb"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        params = [
            pytest.param(e, marks=[getattr(pytest.mark, f"engine_{e}")], id=e) for e in selected_engines()
        ]
        metafunc.parametrize("engine", params, scope="function")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        engine = callspec.params.get("engine") if callspec else None
        for mark in item.iter_markers("engine_gap"):
            if mark.args and mark.args[0] == engine:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"{engine}: {mark.kwargs['reason']}"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    from zonebrain.storage._pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except Exception as exc:  # a selected engine that cannot start fails the run
        pytest.fail(f"postgres selected but cannot start: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local SparkSession for the whole run (about 10 s to start)."""
    try:
        from pyspark.sql import SparkSession

        folder = tempfile.mkdtemp(prefix="zonebrain-spark-")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run the venv's Python
        session = (
            SparkSession.builder.master("local[2]")
            .appName("zonebrain-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.default.parallelism", "2")
            .config("spark.sql.warehouse.dir", f"{folder}/spark-warehouse")
            .config("spark.driver.memory", "1g")
            # Tuned for the suite's tiny tables (Spark's defaults suit large data): one shuffle
            # partition, no adaptive re-planning between stages, broadcast joins instead of
            # sort-merge, no wait for task locality. Measured on the KPI conformance test: its
            # 94 queries ran in 23 s instead of 38 s. Results are the same either way.
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.autoBroadcastJoinThreshold", str(100 * 1024 * 1024))
            .config("spark.locality.wait", "0")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    except Exception as exc:  # a selected engine that cannot start fails the run
        pytest.fail(f"spark selected but cannot start: {exc}")
    yield session
    session.stop()


def new_location(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Warehouse]:
    """A fresh, empty place for a warehouse on *engine*; returns a function that opens it."""
    if engine == "duckdb":
        path = tmp_path / f"wh-{uuid.uuid4().hex[:6]}.duckdb"
        return lambda: open_warehouse(path)
    if engine == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"t_{uuid.uuid4().hex[:12]}"
        url = cluster.create_database(name)
        request.addfinalizer(lambda: cluster.drop_database(name))
        return lambda: open_warehouse(url)
    if engine == "spark":
        request.getfixturevalue("spark_session")
        folder = tmp_path / f"spark-{uuid.uuid4().hex[:6]}"
        return lambda: open_warehouse("spark://local[2]", data_dir=folder)
    raise AssertionError(engine)


@pytest.fixture
def location(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Warehouse]:
    """Opens the test's warehouse on the engine (call it again to reopen the same one)."""
    return new_location(engine, request, tmp_path)


@pytest.fixture
def empty(location: Callable[[], Warehouse]) -> Iterator[Warehouse]:
    """A fresh warehouse on the engine, before any migration."""
    wh = location()
    yield wh
    wh.close()


@pytest.fixture
def wh(empty: Warehouse) -> Warehouse:
    """A fresh, migrated warehouse on the engine."""
    empty.migrate()
    return empty


@pytest.fixture
def reference(tmp_path: Path) -> Iterator[Warehouse]:
    """A migrated DuckDB warehouse: the reference the other engines must agree with."""
    wh = open_warehouse(tmp_path / "reference.duckdb")
    wh.migrate()
    yield wh
    wh.close()
