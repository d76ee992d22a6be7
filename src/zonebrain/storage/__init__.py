"""The warehouse: the only package that talks to database engines.

>>> wh = open_warehouse(":memory:")
>>> wh.migrate()
[1]
>>> wh.count("enterprises")
0
"""

from __future__ import annotations

from pathlib import Path

from zonebrain.core.errors import ConfigError
from zonebrain.storage._base import MergeResult, Warehouse
from zonebrain.storage._schema import SCHEMA_VERSION, TABLES, Table

__all__ = ["SCHEMA_VERSION", "TABLES", "MergeResult", "Table", "Warehouse", "open_warehouse"]


def open_warehouse(url: str | Path, *, read_only: bool = False) -> Warehouse:
    """Open a warehouse by URL or path.

    ``path/to/file.duckdb``, ``duckdb:///path`` or ``:memory:`` → DuckDB. PostgreSQL and
    Spark plug in here behind the same interface.
    """
    text = str(url)
    if text.startswith("duckdb://"):
        text = text.removeprefix("duckdb://")
    if text == ":memory:" or text.endswith(".duckdb") or "://" not in text:
        from zonebrain.storage._duckdb import DuckDBWarehouse

        if text != ":memory:":
            Path(text).parent.mkdir(parents=True, exist_ok=True)
        return DuckDBWarehouse(text, read_only=read_only)
    raise ConfigError(
        f"不支持的仓库地址 '{url}' (unsupported warehouse URL); 目前支持 DuckDB 文件路径 "
        "/ use a DuckDB file path such as data/warehouse.duckdb"
    )
