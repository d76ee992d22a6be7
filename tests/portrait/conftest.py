"""A tiny DuckDB warehouse holding the sample zone of ``_data.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.portrait._data import load_sample
from zonebrain.storage import Warehouse, open_warehouse


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Warehouse]:
    wh = open_warehouse(tmp_path / "sample.duckdb")
    wh.migrate()
    load_sample(wh)
    yield wh
    wh.close()
