"""DuckDB: the embedded default engine (one file in the data directory)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.core.errors import StorageError
from zonebrain.storage._base import ConnectionWarehouse, MergeResult, with_provenance
from zonebrain.storage._schema import TABLES, Table
from zonebrain.storage._sql import DUCKDB, PROVENANCE_NAMES, MergePlan, merge_from_stage

_stage_ids = itertools.count()
_q = DUCKDB.q


class DuckDBWarehouse(ConnectionWarehouse):
    engine = "duckdb"
    has_rowid = True
    engine_errors = (duckdb.Error, ibis.common.exceptions.IbisError)

    def __init__(self, path: Path | str, *, read_only: bool = False, threads: int | None = None) -> None:
        self.url = f"duckdb://{path}"
        self.path = str(path)
        self.read_only = read_only
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            # nothing will be written through this connection: say what to do, create nothing
            raise StorageError(
                f"仓库中还没有数据 (仓库文件 {self.path} 不存在): 请先导入数据 (zonebrain import …) 或生成演示园区 "
                f"(zonebrain demo) / the warehouse is empty (no file {self.path}): import data first, "
                "or build the demo zone",
                engine=self.engine,
            )
        try:
            self._con = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StorageError(
                f"无法打开仓库文件 {self.path} (cannot open the warehouse file); "
                "若另一个 zonebrain 进程正在使用它，请先关闭 / close any other zonebrain process using it",
                engine=self.engine,
                original=exc,
            ) from exc
        # ZoneBrain draws its own progress (rich). duckdb 2.0 refuses this as a connect-time
        # (global) option, so it is set on the connection.
        self._con.execute("SET enable_progress_bar = false")
        self._ibis = ibis.duckdb.from_connection(self._con)
        self._depth = 0

    def _ddl(self, table: Table) -> str:
        return DUCKDB.create_table(table)

    def _arrow_of(self, sql: str) -> pa.Table:
        return self._con.sql(sql).to_arrow_table()

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
            if self._order_pending:  # an insert failed in the transaction: see _unordered
                self._con.execute("RESET preserve_insertion_order")
                self._order_pending = False
            raise
        self._depth = 0
        self._run("COMMIT")

    _order_pending = False

    @contextmanager
    def _unordered(self) -> Iterator[None]:
        """Bulk inserts that need not keep the rows in the order they were given.

        With ``preserve_insertion_order`` on (DuckDB's default), a parallel insert of many rows
        is written to the file and then rewritten in order at the next checkpoint: appending the
        policy benchmark's 4.7 million registry rows took 1.2 s and the checkpoint after it
        another 1.2 s, against 0.04 s with it off. A table's rows have no order (every reader
        sorts what it shows), so inserts turn it off for their statement; queries keep it.
        """
        self._con.execute("SET preserve_insertion_order = false")
        try:
            yield
        finally:
            try:
                self._con.execute("RESET preserve_insertion_order")
            except duckdb.Error:  # the transaction is aborted: reset after its rollback
                self._order_pending = True

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

    def append(self, name: str, data: pa.Table) -> None:
        spec = TABLES[name]
        cols = [c for c in spec.column_names if c in data.column_names]
        with self._staged(data) as stage, self._unordered():
            sql = (
                f"INSERT INTO {_q(name)} ({', '.join(map(_q, cols))}) "
                f"SELECT {DUCKDB.cast_select(spec, cols)} FROM {stage}"
            )
            self._run(sql, name)

    def insert_from(self, name: str, expr: ir.Table) -> None:
        with self._unordered():
            super().insert_from(name, expr)

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

    def merge(
        self, name: str, data: pa.Table, *, source: str, batch_id: str, loaded_at: dt.datetime
    ) -> MergeResult:
        spec = TABLES[name]
        fields = tuple(c for c in data.column_names if c not in spec.key and c not in PROVENANCE_NAMES)
        plan = MergePlan(DUCKDB, spec, fields)
        n = data.num_rows
        data = with_provenance(data, source, batch_id, loaded_at)
        cols = plan.columns
        if not self._fetch(f"SELECT count(*) FROM {_q(name)}", name)[0][0]:
            # an empty table (a first import): nothing to compare, update or conflict with
            with self.transaction(), self._staged(data) as raw, self._unordered():
                self._run(
                    f"INSERT INTO {_q(name)} ({', '.join(map(_q, cols))}) "
                    f"SELECT {DUCKDB.cast_select(spec, cols)} FROM {raw}",
                    name,
                )
            return MergeResult(n, 0, 0, 0)
        with self.transaction(), self._staged(data) as raw:
            stage = f"{raw}_typed"
            self._run(
                f"CREATE TEMP TABLE {stage} AS SELECT {DUCKDB.cast_select(spec, cols)} FROM {raw}", name
            )
            try:
                with self._unordered():
                    existing, updated, conflicts = merge_from_stage(
                        self._run, self._fetch, plan, stage, batch_id
                    )
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    self._con.execute(f"DROP TABLE IF EXISTS {stage}")
                raise
            self._run(f"DROP TABLE IF EXISTS {stage}")
        return MergeResult(n - existing, updated, existing - updated, conflicts)

    def close(self) -> None:
        self._con.close()
