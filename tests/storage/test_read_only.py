"""A read-only warehouse answers reads, refuses writes, and looks each table up once."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from zonebrain.core.errors import StorageError
from zonebrain.storage import open_warehouse


def test_read_only_duckdb_reads_once_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with open_warehouse(path) as wh:
        wh.migrate()
        assert wh.table("enterprises") is not wh.table("enterprises")  # read-write: schema may change
    with open_warehouse(path, read_only=True) as ro:
        first = ro.table("enterprises")
        assert ro.table("enterprises") is first
        assert ro.count("enterprises") == 0
        with pytest.raises(StorageError):
            ro.append("meta", pa.table({"key": ["x"], "value": ["y"]}))
