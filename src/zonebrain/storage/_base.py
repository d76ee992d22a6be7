"""The engine seam: what domain code may ask of a warehouse.

Domain packages never hold a connection. They read named tables as Ibis expressions
(:meth:`Warehouse.table`), run them (:meth:`Warehouse.to_arrow`), and write through
:meth:`Warehouse.merge` and :meth:`Warehouse.replace`, inside :meth:`Warehouse.transaction`.
Each engine subclass implements the abstract methods; nothing else knows the engine.
"""

from __future__ import annotations

import abc
import datetime as dt
import itertools
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.common.exceptions
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot.expressions as sge

from zonebrain.core.errors import StorageError
from zonebrain.storage._checksum import table_digest
from zonebrain.storage._schema import MIGRATIONS, SCHEMA_VERSION, TABLES, Table, arrow_schema


def normalise(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """*data* with the column types of *schema* (engines return e.g. ``large_string``, tz-aware times)."""
    if data.schema.equals(schema):
        return data
    columns = []
    for field in schema:
        col = data[field.name]
        if col.type != field.type:
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                col = col.cast(pa.timestamp(col.type.unit))
            col = col.cast(field.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema)


def with_provenance(data: pa.Table, source: str, batch_id: str, loaded_at: dt.datetime) -> pa.Table:
    """*data* with the provenance columns a merge writes: source, batch and load time."""
    n = data.num_rows
    data = data.append_column("source", pa.repeat(pa.scalar(source, pa.string()), n))
    data = data.append_column("batch_id", pa.repeat(pa.scalar(batch_id, pa.string()), n))
    return data.append_column("loaded_at", pa.repeat(pa.scalar(loaded_at, pa.timestamp("us")), n))


def neutral(data: pa.Table, name: str) -> pa.Table:
    """*data* (the whole of table *name*) in the neutral Arrow types, columns in schema order."""
    return normalise(data.select(list(TABLES[name].column_names)), arrow_schema(TABLES[name]))


@dataclass(frozen=True)
class MergeResult:
    """What :meth:`Warehouse.merge` did to one table."""

    inserted: int
    updated: int
    unchanged: int
    conflicts: int


class Warehouse(abc.ABC):
    """A warehouse on one engine. Use :func:`zonebrain.storage.open_warehouse` to get one."""

    engine: str = "?"
    url: str = ""
    read_only: bool = False
    has_rowid: bool = False
    """Tables expose Ibis's ``rowid()`` (a stable row number within one read): DuckDB only. A query
    may then carry narrow rows and fetch wide columns for the few it keeps by rowid."""
    _ibis: Any = None
    engine_errors: tuple[type[BaseException], ...] = ()
    """The exceptions this engine (and Ibis on it) raises; :meth:`_guard` re-raises them as StorageError."""

    # ------------------------------------------------------------------ reading
    @property
    def ibis(self) -> Any:
        """The Ibis backend (for building expressions only)."""
        return self._ibis

    def table(self, name: str) -> ir.Table:
        """A named warehouse table as an Ibis expression."""
        spec = TABLES.get(name)
        if spec is None:
            from zonebrain.core.errors import ConfigError

            raise ConfigError(
                f"没有名为 '{name}' 的表 (no warehouse table named {name!r}); 可用: {', '.join(TABLES)}"
            )
        if not self.read_only:
            return self._lookup(name)
        # a read-only warehouse's schema cannot change under it (DuckDB locks writers out of the file;
        # a migration elsewhere needs a restart anyway): look each table up once, not per query
        cache: dict[str, ir.Table] = self.__dict__.setdefault("_read_tables", {})
        found = cache.get(name)
        if found is None:
            found = cache[name] = self._lookup(name)
        return found

    def _lookup(self, name: str) -> ir.Table:
        """The table, or for a warehouse nothing was imported into yet an error that says so."""
        try:
            return self._guard(lambda: self.ibis.table(name), table=name)
        except ibis.common.exceptions.TableNotFound:
            from zonebrain.core.errors import ConfigError

            if self.schema_version() > 0:
                raise
            raise ConfigError(
                f"仓库中还没有数据 (表 {name} 不存在): 请先导入数据 (zonebrain import …) 或生成演示园区 "
                f"(zonebrain demo) / the warehouse is empty (no table {name!r}): import data first, "
                "or build the demo zone"
            ) from None

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run an expression and return an Arrow table.

        Column types are those of the expression's Ibis schema on every engine (a date is
        ``date32``, a timestamp ``timestamp[us]`` without a time zone, a sum of fen ``int64``),
        so domain code sees the same Arrow table whichever engine ran it.
        """
        result = self._guard(lambda: self._execute_arrow(expr), statement=lambda: self._sql_of(expr))
        if isinstance(expr, ir.Table):
            return normalise(result, expr.schema().to_pyarrow())
        return result

    def _execute_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run *expr* on the engine (engines with a faster path than Ibis's override this)."""
        return expr.to_pyarrow()

    def lookup(self, key: str, build: Callable[..., ir.Table], *values: str) -> pa.Table:
        """``to_arrow(build(self, *values))``, for a small query asked again and again with other
        text *values* (one firm's rows for a web page). Engines that run SQL text themselves compile
        it once per warehouse object and *key* and put each call's values into the compiled text
        as literals of their dialect: compiling such a query costs more than running it.

        *build* must give one query whatever the values, each value read whole as a literal
        (``t.uscc == value``); a query that uses a value otherwise (upper-cased, in an
        ``ibis.memtable``) is compiled on every call instead, with the same result."""
        return self.to_arrow(build(self, *values))

    def _sql_of(self, expr: ir.Expr) -> str:
        return str(ibis.to_sql(expr))

    def count(self, name: str) -> int:
        counted = self.to_arrow(self.table(name).aggregate(n=ibis._.count()))
        return int(counted["n"][0].as_py())

    def checksum(self, name: str) -> tuple[int, str]:
        """``(row count, content digest)`` of a table, independent of row order and of the engine.

        The digest is computed here, client-side, over Arrow batches in the neutral types:
        each row is rendered as canonical text, hashed (BLAKE2b, 64 bits), and the hashes are
        summed modulo 2⁶⁴, so it does not depend on row order and counts duplicate rows. The
        same table gives the same digest on DuckDB, PostgreSQL and Spark (see docs/adr/0004-engines.md).
        """
        spec = TABLES[name]
        return table_digest(self._scan(name), spec)

    def _scan(self, name: str) -> Iterator[pa.RecordBatch]:
        """The rows of table *name* as Arrow batches in the neutral types (for checksums and copies)."""
        yield from neutral(self.to_arrow(self.table(name)), name).to_batches(max_chunksize=200_000)

    # ------------------------------------------------------------------ writing
    @abc.abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""

    @abc.abstractmethod
    def merge(
        self,
        name: str,
        data: pa.Table,
        *,
        source: str,
        batch_id: str,
        loaded_at: dt.datetime,
    ) -> MergeResult:
        """Upsert *data* into table *name* by its key, keeping provenance.

        Rules: a new key is inserted. For an existing key, a field the same source
        offers differently is updated; a field another source offers differently is a
        conflict, recorded in ``import_conflicts`` and *not* overwritten; a field that is
        empty in the warehouse is filled; an empty offered field changes nothing. Rows
        whose fields would not change are left alone (their provenance too), so the same
        data merged twice changes nothing.
        """

    @abc.abstractmethod
    def replace(self, name: str, data: pa.Table) -> None:
        """Replace the whole content of a (small, derived) table."""

    @abc.abstractmethod
    def append(self, name: str, data: pa.Table) -> None:
        """Append rows to a table (batch bookkeeping, conflicts)."""

    @abc.abstractmethod
    def insert_from(self, name: str, expr: ir.Table) -> None:
        """Append the rows of *expr* (a query on this warehouse whose columns are some of table
        *name*'s, by name) inside the engine: ``INSERT … SELECT``, no row passes through Python."""

    def materialize(self, expr: ir.Table) -> ir.Table:
        """*expr* computed once into a temporary table of this session, for a query that reads it
        several times (:meth:`drop_materialized` drops it). Engines without cheap temporary tables
        (Spark) return *expr* itself: the result is the same, computed where it is read."""
        return expr

    def drop_materialized(self, tables: Sequence[ir.Table]) -> None:
        """Drop temporary tables made by :meth:`materialize` (others are left alone)."""
        del tables  # this engine made none

    @abc.abstractmethod
    def delete_where_in(self, name: str, column: str, values: Sequence[str]) -> int:
        """Delete rows whose *column* is one of *values*; return how many."""

    # ------------------------------------------------------------------ schema
    @abc.abstractmethod
    def _run(self, sql: str) -> None:
        """Run one DDL/DML statement (inside the current transaction, if any)."""

    @abc.abstractmethod
    def _ddl(self, table: Table) -> str:
        """CREATE TABLE statement for *table* in this engine's dialect."""

    @abc.abstractmethod
    def _has_table(self, name: str) -> bool: ...

    def _guard(self, fn: Callable[[], Any], *, table: str | None = None, statement: Any = None) -> Any:
        """Call *fn*, re-raising engine errors as StorageError naming engine, table and statement.

        *statement* may be a string or a callable producing one (compiled only on failure).
        """
        try:
            return fn()
        except self.engine_errors as exc:
            sql = statement() if callable(statement) else statement
            raise StorageError(
                "引擎执行失败 (the engine failed)",
                engine=self.engine,
                table=table,
                statement=sql,
                original=exc,
            ) from exc

    _seen_version = 0
    """The highest schema version :meth:`schema_version` has found (versions only ever grow)."""

    def schema_at_least(self, version: int) -> bool:
        """Whether the schema is at *version* or later; asked once it is (readers on every request
        would otherwise query the meta table each time)."""
        if self._seen_version >= version:
            return True
        self._seen_version = self.schema_version()
        return self._seen_version >= version

    def schema_version(self) -> int:
        """The schema version this warehouse is at (0 for an empty one)."""
        if not self._has_table("meta"):
            return 0
        rows = self.to_arrow(self.table("meta").filter(ibis._.key == "schema_version")).to_pylist()
        return int(rows[0]["value"]) if rows else 0

    def migrate(self) -> list[int]:
        """Apply every pending migration in one transaction; return the versions applied."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            from zonebrain.core.errors import ConfigError

            raise ConfigError(
                f"仓库架构版本 {current} 高于本程序支持的 {SCHEMA_VERSION} (warehouse schema {current} is newer "
                f"than this ZoneBrain supports, {SCHEMA_VERSION}); 请升级 ZoneBrain / upgrade ZoneBrain"
            )
        applied = []
        with self.transaction():
            for m in MIGRATIONS:
                if m.version > current:
                    m.apply(self._run, self._ddl)
                    applied.append(m.version)
            if applied:
                self.delete_where_in("meta", "key", ["schema_version"])
                self.append("meta", pa.table({"key": ["schema_version"], "value": [str(SCHEMA_VERSION)]}))
        return applied

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_temp_ids = itertools.count()


@dataclass(frozen=True)
class _Compiled:
    """A :meth:`Warehouse.lookup` query compiled once: its text, where each value goes, its schema."""

    sql: str
    marks: dict[str, int]
    """The placeholder literal (as compiled) → the value's place in the call."""
    schema: pa.Schema

    def fill(self, values: Sequence[str], literal: Callable[[str], str]) -> str:
        """The text with each placeholder replaced by its value's literal, in one pass (a value's
        text is never searched for placeholders)."""
        if not self.marks:
            return self.sql
        texts = [literal(v) for v in values]
        pattern = "|".join(re.escape(m) for m in self.marks)
        return re.sub(pattern, lambda m: texts[self.marks[m.group(0)]], self.sql)


class ConnectionWarehouse(Warehouse):
    """A warehouse whose connection object runs SQL itself (DuckDB, psycopg): one ``_run`` and
    ``_fetch`` for both, errors re-raised by :meth:`Warehouse._guard`."""

    _con: Any

    def lookup(self, key: str, build: Callable[..., ir.Table], *values: str) -> pa.Table:
        compiled: dict[str, _Compiled | None] = self.__dict__.setdefault("_compiled", {})
        if key not in compiled:
            compiled[key] = self._compile_lookup(build, len(values))
        done = compiled[key]
        if done is None:
            return super().lookup(key, build, *values)
        sql = done.fill(values, self._literal)
        return normalise(self._guard(lambda: self._arrow_of(sql), statement=sql), done.schema)

    def _compile_lookup(self, build: Callable[..., ir.Table], n: int) -> _Compiled | None:
        """*build* compiled with a random placeholder per value; None when a placeholder is not in
        the text as its literal (the value is not read whole) or the query ships a memtable."""
        names = [f"zbvalue{i}x{secrets.token_hex(8)}" for i in range(n)]
        expr = build(self, *names)
        if expr.op().find(ops.InMemoryTable):
            return None
        sql = self._sql_of(expr)
        marks = {self._literal(name): i for i, name in enumerate(names)}
        if any(m not in sql for m in marks):
            return None
        return _Compiled(sql, marks, expr.schema().to_pyarrow())

    def _literal(self, value: str) -> str:
        """*value* as a string literal of this engine's SQL, quoted as Ibis's compiler quotes it."""
        return str(sge.Literal.string(value).sql(dialect=self.ibis.compiler.dialect))

    def _arrow_of(self, sql: str) -> pa.Table:
        """The rows of a compiled query as Arrow (typed by :func:`normalise` afterwards)."""
        raise NotImplementedError

    def _run(self, sql: str, table: str | None = None) -> None:
        self._guard(lambda: self._con.execute(sql), table=table, statement=sql)

    def _fetch(self, sql: str, table: str | None = None) -> list[tuple[Any, ...]]:
        return self._guard(lambda: self._con.execute(sql).fetchall(), table=table, statement=sql)  # type: ignore[no-any-return]

    def insert_from(self, name: str, expr: ir.Table) -> None:
        """``INSERT INTO name (columns) <the compiled query>``, run on the connection. Ibis's own
        ``insert`` parses the compiled text back into a syntax tree first, which for a policy run's
        rows costs half a second; the expression's in-memory tables are registered as Ibis would."""
        check_insert_columns(self.engine, name, expr)
        cols = ", ".join(_quoted(c) for c in expr.columns)
        sql = f"INSERT INTO {_quoted(name)} ({cols}) {self.ibis.compile(expr)}"

        def run() -> None:
            self.ibis._run_pre_execute_hooks(expr)
            self._con.execute(sql)

        self._guard(run, table=name, statement=sql)

    def materialize(self, expr: ir.Table) -> ir.Table:
        name = f"_zb_temp_{next(_temp_ids)}"
        with self._session_writes():
            made: ir.Table = self._guard(
                lambda: self.ibis.create_table(name, expr, temp=True), statement=lambda: self._sql_of(expr)
            )
        return made

    def drop_materialized(self, tables: Sequence[ir.Table]) -> None:
        names = [t.get_name().rpartition(".")[2] for t in tables]  # DuckDB qualifies it: temp.main.…
        with self._session_writes():
            for name in names:
                if name.startswith("_zb_temp_"):
                    self._drop_temp(name)

    def _drop_temp(self, name: str) -> None:
        self._guard(lambda: self.ibis.drop_table(name, force=True), table=name)

    @contextmanager
    def _session_writes(self) -> Iterator[None]:
        """Temporary tables may be made (a read-only PostgreSQL session lifts its flag meanwhile)."""
        yield


def check_insert_columns(engine: str, name: str, expr: ir.Table) -> None:
    """*expr*'s columns are all columns of table *name* (else :class:`StorageError`)."""
    unknown = [c for c in expr.columns if c not in TABLES[name].column_names]
    if unknown:
        raise StorageError(f"表 {name} 没有列 {unknown} (no such columns)", engine=engine, table=name)


def _quoted(identifier: str) -> str:
    """A table or column name quoted for DuckDB and PostgreSQL."""
    return '"' + identifier.replace('"', '""') + '"'
