from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kpi._data import build
from zonebrain.storage import Warehouse, open_warehouse


@pytest.fixture(scope="session")
def kpi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny zone of tests/kpi/_data.py in a closed DuckDB file, built once per session and only
    ever copied (tests write targets and rates into their warehouse)."""
    path = tmp_path_factory.mktemp("kpi") / "kpi.duckdb"
    with open_warehouse(path) as wh:
        wh.migrate()
        build(wh)
    return path


@pytest.fixture
def kwh(kpi_file: Path, tmp_path: Path) -> Iterator[Warehouse]:
    """A migrated DuckDB warehouse holding the tiny zone of tests/kpi/_data.py (a copy of its own)."""
    shutil.copyfile(kpi_file, tmp_path / "kpi.duckdb")
    wh = open_warehouse(tmp_path / "kpi.duckdb")
    yield wh
    wh.close()
