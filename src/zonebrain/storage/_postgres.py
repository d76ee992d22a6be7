"""PostgreSQL: a city's or province's registry on a shared server.

Writes go through one psycopg 3 connection (autocommit outside :meth:`transaction`); data
arrives in a TEMP staging table by ``COPY … FROM STDIN`` (CSV rendered by Arrow, no row-by-row
Python), is typed by ``CAST`` and merged with the same statements DuckDB runs
(:mod:`zonebrain.storage._sql`). Reads are Ibis expressions on the same connection, so a read
inside a transaction sees that transaction's writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from zonebrain.core.errors import StorageError
from zonebrain.storage._base import ConnectionWarehouse, MergeResult, with_provenance
from zonebrain.storage._schema import TABLES, Table
from zonebrain.storage._sql import POSTGRES, PROVENANCE_NAMES, MergePlan, merge_from_stage

_stage_ids = itertools.count()
_q = POSTGRES.q
_COPY_ROWS = 100_000
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def redact(url: str) -> str:
    """*url* without its password (for messages and ``warehouse info``)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class PostgresWarehouse(ConnectionWarehouse):
    engine = "postgres"
    engine_errors = (psycopg.Error, ibis.common.exceptions.IbisError)

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = redact(url)
        try:
            self._con = psycopg.connect(url, autocommit=True, application_name="zonebrain")
        except psycopg.Error as exc:
            raise StorageError(
                f"无法连接 PostgreSQL 仓库 {self.url} (cannot connect to the PostgreSQL warehouse); "
                "请检查地址、用户、密码与服务器是否运行 / check host, port, user, password and that the "
                "server is running",
                engine=self.engine,
                original=exc,
            ) from exc
        self.read_only = read_only
        if read_only:
            self._con.execute("SET default_transaction_read_only = on")
        self._ibis = ibis.postgres.from_connection(self._con)
        self._depth = 0

    @contextmanager
    def _session_writes(self) -> Iterator[None]:
        """On a read-only warehouse, lift the session's read-only flag meanwhile: PostgreSQL refuses
        every CREATE and DROP in a read-only transaction, temporary tables included."""
        if not self.read_only:
            yield
            return
        self._con.execute("SET default_transaction_read_only = off")
        try:
            yield
        finally:
            self._con.execute("SET default_transaction_read_only = on")

    def _execute_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run *expr*; on a read-only warehouse, let Ibis create the temporary tables of its memtables.

        PostgreSQL refuses every CREATE in a read-only transaction, temporary tables included, and
        Ibis ships an ``ibis.memtable`` (a small dimension such as the GB/T 4754 sections) to the
        server as a temporary table. The session is read-only again before the rows are returned;
        the warehouse's own writes (append, replace, merge, migrate) stay refused by the server.
        """
        if not (self.read_only and expr.op().find(ops.InMemoryTable)):
            return super()._execute_arrow(expr)
        with self._session_writes():
            return super()._execute_arrow(expr)

    def _ddl(self, table: Table) -> str:
        return POSTGRES.create_table(table)

    def _arrow_of(self, sql: str) -> pa.Table:
        cursor = self._con.execute(sql)
        rows = cursor.fetchall()
        names = [d.name for d in cursor.description or ()]
        return pa.table({n: pa.array([r[i] for r in rows]) for i, n in enumerate(names)})

    def _has_table(self, name: str) -> bool:
        sql = (
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = %s"
        )
        rows = self._guard(lambda: self._con.execute(sql, (name,)).fetchall(), statement=sql)
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
        self._depth = 1
        body_done = False
        try:
            with self._con.transaction():
                yield
                body_done = True
        except psycopg.Error as exc:
            if not body_done:
                raise
            raise StorageError(
                "提交失败 (the commit failed)", engine=self.engine, statement="COMMIT", original=exc
            ) from exc
        finally:
            self._depth = 0

    @contextmanager
    def _staged(self, data: pa.Table) -> Iterator[str]:
        """A TEMP table of *data*'s columns as text, loaded by COPY; dropped afterwards."""
        name = f"_zb_stage_{next(_stage_ids)}"
        cols = ", ".join(f"{_q(c)} TEXT" for c in data.column_names)
        with self.transaction():
            self._run(f"CREATE TEMP TABLE {name} ({cols})")
            sql = f"COPY {name} FROM STDIN (FORMAT csv)"
            self._guard(lambda: self._copy(sql, data), statement=sql)
            yield name
            self._run(f"DROP TABLE IF EXISTS {name}")

    def _copy(self, sql: str, data: pa.Table) -> None:
        with self._con.cursor() as cur, cur.copy(sql) as copy:
            for batch in data.to_batches(max_chunksize=_COPY_ROWS):
                buf = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch]), buf, _CSV)
                copy.write(buf.getvalue())

    def append(self, name: str, data: pa.Table) -> None:
        spec = TABLES[name]
        cols = [c for c in spec.column_names if c in data.column_names]
        with self._staged(data.select(cols)) as stage:
            self._run(
                f"INSERT INTO {_q(name)} ({', '.join(map(_q, cols))}) "
                f"SELECT {POSTGRES.cast_select(spec, cols)} FROM {stage}",
                name,
            )

    def replace(self, name: str, data: pa.Table) -> None:
        with self.transaction():
            self._run(f"DELETE FROM {_q(name)}", name)
            self.append(name, data)

    def delete_where_in(self, name: str, column: str, values: Sequence[str]) -> int:
        if not values:
            return 0
        sql = f"DELETE FROM {_q(name)} WHERE {_q(column)} = ANY(%s)"
        cur = self._guard(lambda: self._con.execute(sql, (list(values),)), table=name, statement=sql)
        return int(cur.rowcount)

    def merge(
        self, name: str, data: pa.Table, *, source: str, batch_id: str, loaded_at: dt.datetime
    ) -> MergeResult:
        spec = TABLES[name]
        fields = tuple(c for c in data.column_names if c not in spec.key and c not in PROVENANCE_NAMES)
        plan = MergePlan(POSTGRES, spec, fields)
        n = data.num_rows
        cols = plan.columns
        with self.transaction(), self._staged(with_provenance(data, source, batch_id, loaded_at)) as raw:
            stage = f"{raw}_typed"
            self._run(
                f"CREATE TEMP TABLE {stage} AS SELECT {POSTGRES.cast_select(spec, cols)} FROM {raw}", name
            )
            self._run(f"ANALYZE {stage}")
            existing, updated, conflicts = merge_from_stage(self._run, self._fetch, plan, stage, batch_id)
            self._run(f"DROP TABLE IF EXISTS {stage}")
        return MergeResult(n - existing, updated, existing - updated, conflicts)

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._con.close()
