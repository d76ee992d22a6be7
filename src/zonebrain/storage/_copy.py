"""Copy a whole warehouse between engines, verified by row counts and checksums.

For a zone that outgrows DuckDB: ``zonebrain warehouse copy --from data/warehouse.duckdb
--to postgresql://…``. The destination is migrated, must hold no data yet, and receives every
table in one transaction; then each table's ``(rows, digest)`` (see
:meth:`zonebrain.storage.Warehouse.checksum`, the same on every engine) must equal the source's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from zonebrain.core.errors import ConfigError, StorageError
from zonebrain.storage._base import Warehouse
from zonebrain.storage._schema import SCHEMA_VERSION, TABLES

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int
    digest: str


def copy_warehouse(
    source: Warehouse, target: Warehouse, *, progress: Progress | None = None
) -> list[CopiedTable]:
    """Copy every table of *source* into the empty warehouse *target*; verify; return what was copied."""
    step = progress or (lambda name, done, total: None)
    version = source.schema_version()
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"源仓库架构版本为 {version}，需要 {SCHEMA_VERSION} (the source warehouse is at schema {version}, "
            f"not {SCHEMA_VERSION}); 请先对源仓库运行 zonebrain warehouse migrate / migrate the source first"
        )
    target.migrate()
    names = [n for n in TABLES if n != "meta"]
    occupied = [n for n in names if target.count(n)]
    if occupied:
        raise ConfigError(
            f"目标仓库已有数据 ({', '.join(occupied)}) (the target warehouse {target.url} already holds data); "
            "请指定一个空仓库 / copy into an empty warehouse"
        )
    total = len(names)
    with target.transaction():
        for done, name in enumerate(names):
            step(f"复制 copy {name}", done, total)
            for batch in source._scan(name):
                target.append(name, pa.Table.from_batches([batch]))
    copied = []
    for done, name in enumerate(names):
        step("校验 verify", done, total)
        want, got = source.checksum(name), target.checksum(name)
        if want != got:
            raise StorageError(
                f"复制校验失败 (copy verification failed): 源 source {want[0]} 行 rows / {want[1]}, "
                f"目标 target {got[0]} 行 rows / {got[1]}",
                engine=target.engine,
                table=name,
                statement=f"checksum({name!r})",
            )
        copied.append(CopiedTable(name, got[0], got[1]))
    step("校验 verify", total, total)
    return copied
