"""The warehouse: the only package that talks to database engines.

>>> wh = open_warehouse(":memory:")
>>> wh.migrate() == list(range(1, SCHEMA_VERSION + 1))  # every migration, in order
True
>>> wh.migrate()  # already current
[]
>>> wh.count("enterprises")
0
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zonebrain.core.errors import ConfigError
from zonebrain.storage._base import MergeResult, Warehouse
from zonebrain.storage._schema import SCHEMA_VERSION, TABLES, Table

__all__ = ["SCHEMA_VERSION", "TABLES", "MergeResult", "Table", "Warehouse", "open_warehouse"]


@contextmanager
def _needs(extra: str, module: str) -> Iterator[None]:
    try:
        yield
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith(module):
            raise
        raise ConfigError(
            f"未安装 {extra} 引擎所需的包 {exc.name} (the {extra} engine needs {exc.name}); "
            f"请运行 / run: pip install 'zonebrain[{extra}]'"
        ) from exc


def open_warehouse(
    url: str | Path, *, read_only: bool = False, data_dir: str | Path | None = None
) -> Warehouse:
    """Open a warehouse by URL or path.

    * ``path/to/file.duckdb``, ``duckdb:///path`` or ``:memory:`` → DuckDB (the embedded default);
    * ``postgresql://user:password@host:5432/db`` (or ``postgres://``) → PostgreSQL;
    * ``spark`` (``local[*]``), ``spark://local[2]``, ``spark://HOST:7077`` or ``sc://HOST:15002``
      (Spark Connect) → Parquet tables under *data_dir* (default: the ``data_dir`` setting) run
      by PySpark; see ``docs/engines.md`` for the query options.
    """
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        with _needs("postgres", "psycopg"):
            from zonebrain.storage._postgres import PostgresWarehouse

        return PostgresWarehouse(text, read_only=read_only)
    if text == "spark" or text.startswith(("spark://", "sc://")):
        with _needs("spark", "pyspark"):
            from zonebrain.storage._spark import SparkWarehouse

        if data_dir is None:
            from zonebrain.core import settings

            data_dir = settings.get("data_dir")
        return SparkWarehouse(text, data_dir=data_dir, read_only=read_only)
    if text.startswith("duckdb://"):
        text = text.removeprefix("duckdb://")
    if text == ":memory:" or text.endswith(".duckdb") or "://" not in text:
        from zonebrain.storage._duckdb import DuckDBWarehouse

        if text != ":memory:" and not read_only:  # a reader leaves no empty folder behind
            Path(text).parent.mkdir(parents=True, exist_ok=True)
        return DuckDBWarehouse(text, read_only=read_only)
    raise ConfigError(
        f"不支持的仓库地址 '{url}' (unsupported warehouse URL); 可用 / use a DuckDB file path such as "
        "data/warehouse.duckdb, postgresql://user@host:5432/db, spark, spark://local[2], "
        "spark://HOST:7077 or sc://HOST:15002"
    )
