"""A DuckDB warehouse whose file does not exist yet, opened read-only (every reading command of the
CLI): it says the warehouse is empty (a StorageError: the web answers 503) and creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from zonebrain.core.errors import StorageError
from zonebrain.storage import open_warehouse


def test_a_read_only_missing_file_says_the_warehouse_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with pytest.raises(
        StorageError, match=r"仓库中还没有数据 \(仓库文件 .* 不存在\): 请先导入数据 \(zonebrain import"
    ):
        open_warehouse(path, read_only=True)
    assert not path.exists()


def test_a_read_only_open_creates_no_folder(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "warehouse.duckdb"  # a mistyped --data, say
    with pytest.raises(StorageError, match="仓库中还没有数据"):
        open_warehouse(path, read_only=True)
    assert not (tmp_path / "not").exists()
    with open_warehouse(path) as wh:  # a writer makes the folder it needs
        wh.migrate()
    assert path.exists()
