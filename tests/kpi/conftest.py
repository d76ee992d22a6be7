from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kpi._data import build
from zonebrain.storage import Warehouse, open_warehouse


@pytest.fixture
def kwh(tmp_path: Path) -> Iterator[Warehouse]:
    """A migrated DuckDB warehouse holding the tiny zone of tests/kpi/_data.py."""
    wh = open_warehouse(tmp_path / "kpi.duckdb")
    wh.migrate()
    build(wh)
    yield wh
    wh.close()
