"""DuckDB: the embedded default engine (one file in the data directory)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from zonebrain.core.errors import StorageError
from zonebrain.storage._base import MergeResult, Warehouse
from zonebrain.storage._schema import PROVENANCE, TABLES, Table

_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "float64": "DOUBLE",
}
_PROVENANCE_NAMES = tuple(c for c, _ in PROVENANCE)
_stage_ids = itertools.count()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBWarehouse(Warehouse):
    engine = "duckdb"

    def __init__(self, path: Path | str, *, read_only: bool = False, threads: int | None = None) -> None:
        self.url = f"duckdb://{path}"
        self.path = str(path)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        try:
            self._con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StorageError(
                f"无法打开仓库文件 {self.path} (cannot open the warehouse file); "
                "若另一个 zonebrain 进程正在使用它，请先关闭 / close any other zonebrain process using it",
                engine=self.engine,
                original=exc,
            ) from exc
        self._ibis = ibis.duckdb.from_connection(self._con)
        self._depth = 0

    @property
    def ibis(self) -> Any:
        return self._ibis

    def _guard(self, fn: Callable[[], Any], *, table: str | None = None, statement: Any = None) -> Any:
        try:
            return fn()
        except (duckdb.Error, ibis.common.exceptions.IbisError) as exc:
            sql = statement() if callable(statement) else statement
            raise StorageError(
                "引擎执行失败 (the engine failed)",
                engine=self.engine,
                table=table,
                statement=sql,
                original=exc,
            ) from exc

    def _run(self, sql: str, table: str | None = None) -> None:
        self._guard(lambda: self._con.execute(sql), table=table, statement=sql)

    def _fetch(self, sql: str, table: str | None = None) -> list[tuple[Any, ...]]:
        return self._guard(lambda: self._con.execute(sql).fetchall(), table=table, statement=sql)  # type: ignore[no-any-return]

    def _ddl(self, table: Table) -> str:
        cols = ", ".join(f"{_q(c)} {_TYPES[t]}" for c, t in table.columns)
        return f"CREATE TABLE IF NOT EXISTS {_q(table.name)} ({cols})"

    def _has_table(self, name: str) -> bool:
        rows = self._fetch(f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{name}'")
        return bool(rows[0][0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._run("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._con.execute("ROLLBACK")
            raise
        self._depth = 0
        self._run("COMMIT")

    @contextmanager
    def _staged(self, data: pa.Table) -> Iterator[str]:
        name = f"_zb_stage_{next(_stage_ids)}"
        self._guard(lambda: self._con.register(name, data), statement=f"register {name}")
        try:
            yield name
        except BaseException:
            # the transaction may be aborted; the rollback that follows discards the view anyway
            with contextlib.suppress(duckdb.Error):
                self._con.unregister(name)
            raise
        self._con.unregister(name)

    def _cast_select(self, spec: Table, stage: str, columns: Sequence[str]) -> str:
        return ", ".join(f"CAST({_q(c)} AS {_TYPES[spec.type_of(c)]}) AS {_q(c)}" for c in columns)

    def append(self, name: str, data: pa.Table) -> None:
        spec = TABLES[name]
        cols = [c for c in spec.column_names if c in data.column_names]
        with self._staged(data) as stage:
            sql = (
                f"INSERT INTO {_q(name)} ({', '.join(map(_q, cols))}) "
                f"SELECT {self._cast_select(spec, stage, cols)} FROM {stage}"
            )
            self._run(sql, name)

    def replace(self, name: str, data: pa.Table) -> None:
        with self.transaction():
            self._run(f"DELETE FROM {_q(name)}", name)
            self.append(name, data)

    def delete_where_in(self, name: str, column: str, values: Sequence[str]) -> int:
        if not values:
            return 0
        with self._staged(pa.table({"v": pa.array(list(values), pa.string())})) as stage:
            before = self._fetch(f"SELECT count(*) FROM {_q(name)}")[0][0]
            self._run(f"DELETE FROM {_q(name)} WHERE {_q(column)} IN (SELECT v FROM {stage})", name)
            after = self._fetch(f"SELECT count(*) FROM {_q(name)}")[0][0]
        return int(before - after)

    def checksum(self, name: str) -> tuple[int, str]:
        n, digest = self._fetch(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {_q(name)} AS t", name)[
            0
        ]
        return int(n), f"{int(digest):016x}"

    def merge(
        self, name: str, data: pa.Table, *, source: str, batch_id: str, loaded_at: dt.datetime
    ) -> MergeResult:
        spec = TABLES[name]
        key = spec.key
        fields = [c for c in data.column_names if c not in key and c not in _PROVENANCE_NAMES]
        n = data.num_rows
        data = data.append_column("source", pa.array([source] * n, pa.string()))
        data = data.append_column("batch_id", pa.array([batch_id] * n, pa.string()))
        data = data.append_column("loaded_at", pa.array([loaded_at] * n, pa.timestamp("us")))
        cols = [*key, *fields, *_PROVENANCE_NAMES]
        join = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
        row_key = " || '|' || ".join(f"CAST(s.{_q(k)} AS VARCHAR)" for k in key)
        with self.transaction(), self._staged(data) as raw:
            stage = f"{raw}_typed"
            self._run(
                f"CREATE TEMP TABLE {stage} AS SELECT {self._cast_select(spec, raw, cols)} FROM {raw}", name
            )
            try:
                existing = self._fetch(f"SELECT count(*) FROM {_q(name)} t JOIN {stage} s ON {join}", name)[
                    0
                ][0]
                for f in fields:
                    self._run(
                        f"INSERT INTO import_conflicts SELECT '{batch_id}', '{name}', {row_key}, '{f}', "
                        f"CAST(t.{_q(f)} AS VARCHAR), t.source, CAST(s.{_q(f)} AS VARCHAR), s.source "
                        f"FROM {_q(name)} t JOIN {stage} s ON {join} WHERE t.source IS DISTINCT FROM s.source "
                        f"AND s.{_q(f)} IS NOT NULL AND t.{_q(f)} IS NOT NULL AND t.{_q(f)} <> s.{_q(f)}",
                        "import_conflicts",
                    )
                conflicts = self._fetch(
                    f"SELECT count(*) FROM import_conflicts WHERE batch_id = '{batch_id}' AND table_name = '{name}'"
                )[0][0]
                updated = 0
                if existing and fields:
                    same = "t.source IS NOT DISTINCT FROM s.source"
                    changes = " OR ".join(
                        f"(s.{_q(f)} IS NOT NULL AND (t.{_q(f)} IS NULL OR ({same} AND t.{_q(f)} <> s.{_q(f)})))"
                        for f in fields
                    )
                    sets = ", ".join(
                        f"{_q(f)} = CASE WHEN {same} THEN coalesce(s.{_q(f)}, t.{_q(f)}) "
                        f"ELSE coalesce(t.{_q(f)}, s.{_q(f)}) END"
                        for f in fields
                    )
                    updated = self._fetch(
                        f"SELECT count(*) FROM {_q(name)} t JOIN {stage} s ON {join} WHERE {changes}", name
                    )[0][0]
                    if updated:
                        self._run(
                            f"UPDATE {_q(name)} AS t SET {sets}, batch_id = s.batch_id, loaded_at = s.loaded_at "
                            f"FROM {stage} AS s WHERE {join} AND ({changes})",
                            name,
                        )
                anti = " AND ".join(f"t.{_q(k)} = s.{_q(k)}" for k in key)
                self._run(
                    f"INSERT INTO {_q(name)} ({', '.join(map(_q, cols))}) SELECT {', '.join(map(_q, cols))} "
                    f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {_q(name)} t WHERE {anti})",
                    name,
                )
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    self._con.execute(f"DROP TABLE IF EXISTS {stage}")
                raise
            self._run(f"DROP TABLE IF EXISTS {stage}")
        inserted = n - int(existing)
        return MergeResult(inserted, int(updated), int(existing) - int(updated), int(conflicts))

    def close(self) -> None:
        self._con.close()
