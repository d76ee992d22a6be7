"""PySpark: the warehouse as Parquet tables, for a province's or the nation's cluster.

Layout under the warehouse root (``DATA_DIR/spark-warehouse`` unless the URL says ``path=``)::

    _manifests/00000007.json     {"tables": {"enterprises": ["enterprises/3f…", …], …}}
    enterprises/3f…/part-….parquet
    import_batches/9a…/part-….parquet

A table is the union of the Parquet folders its entry lists. Every write goes to a *new*
folder; nothing is rewritten in place. A commit publishes the next manifest (a new file made
at once by rename), which switches every table the transaction touched in one step. So a job
killed mid-write leaves the previous manifest, and therefore every table, intact; a
transaction rolled back deletes its new folders. Replaced folders are deleted after the commit.

Spark cannot update rows, so :meth:`SparkWarehouse.merge` selects the whole merged table
with the shared rules of :mod:`zonebrain.storage._sql` and writes it as a new folder (or, when
no existing row changes, only appends the new rows). One writer at a time: a second
concurrent commit fails instead of overwriting (see docs/adr/0004-engines.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends.pyspark.datatypes import PySparkSchema
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as st

from zonebrain.core.errors import ConfigError, StorageError
from zonebrain.storage._base import MergeResult, Warehouse, check_insert_columns, with_provenance
from zonebrain.storage._schema import TABLES, Table
from zonebrain.storage._sparkfiles import Files, files_for
from zonebrain.storage._sql import PROVENANCE_NAMES, SPARK, MergePlan

_q = SPARK.q
_ids = itertools.count()
_SMALL = 100_000
"""Appends below this many rows are written as one file."""
_MAX_PARTS = 16
"""A table made of more folders than this is compacted into one on the next append."""
_SPARK_TYPES: dict[str, st.DataType] = {
    "string": st.StringType(),
    "int64": st.LongType(),
    "int32": st.IntegerType(),
    "date": st.DateType(),
    "timestamp": st.TimestampNTZType(),
    "bool": st.BooleanType(),
    "float64": st.DoubleType(),
}
_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS `([^`]+)`")


def spark_schema(table: Table) -> st.StructType:
    return st.StructType([st.StructField(c, _SPARK_TYPES[t], True) for c, t in table.columns])


def parse_url(url: str) -> tuple[str, bool, dict[str, str]]:
    """``(master or remote URL, is Spark Connect, options)`` from a warehouse URL.

    ``spark`` → ``local[*]``; ``spark://local[2]`` → ``local[2]``; ``spark://yarn`` → ``yarn``;
    ``spark://HOST:7077`` stays;
    ``sc://HOST:15002`` is Spark Connect. ``?path=…`` sets the warehouse root; every other
    query option (``spark.executor.memory=8g``…) is passed to the session builder.
    """
    base, _, query = url.partition("?")
    options = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
    if base == "spark":
        return "local[*]", False, options
    if base.startswith("sc://"):
        return base, True, options
    rest = base.removeprefix("spark://")
    if rest.startswith("local") or rest == "yarn":
        return rest, False, options
    return base, False, options


LOG_CONFIG = Path(__file__).parent / "data" / "spark-log4j2.properties"
"""The local driver's logging: warnings, without those Spark's default prints in English on every
start (errors only once the session runs: ``setLogLevel("ERROR")``)."""


def get_session(master: str, connect: bool, conf: dict[str, str], warehouse_dir: str) -> SparkSession:
    """The process's Spark session: the one already running (a notebook's, the tests'), or a new one."""
    if not connect:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        # Python workers (for Ibis's in-memory tables) run this interpreter, not whatever `python3` is
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder: Any = SparkSession.builder
    if connect:
        builder = builder.remote(master)
    else:
        builder = (
            builder.master(master)
            .appName("zonebrain")
            .config("spark.sql.warehouse.dir", warehouse_dir)
            .config("spark.ui.showConsoleProgress", "false")
        )
        if "spark.driver.extraJavaOptions" not in conf:  # quiet start (QA: English noise)
            builder = builder.config(
                "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"
            )
    for key, value in conf.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    if not connect:
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkWarehouse(Warehouse):
    engine = "spark"
    engine_errors = (PySparkException, Py4JError, ibis.common.exceptions.IbisError)

    def __init__(self, url: str, *, data_dir: str | Path, read_only: bool = False) -> None:
        master, connect, options = parse_url(url)
        root = options.pop("path", None) or str(Path(data_dir).absolute() / "spark-warehouse")
        self.url = url
        self.read_only = read_only
        try:
            session = get_session(master, connect, options, root + "/_catalog")
            # its own temp views and settings; the SparkContext (and the JVM) is shared
            self._spark = session if connect else session.newSession()
            self._spark.conf.set("spark.sql.ansi.enabled", "true")  # a bad CAST fails instead of giving NULL
            self._spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
            self._ibis = ibis.pyspark.connect(self._spark)
            self._ibis._register_in_memory_table = self._register_memtable
        except (PySparkException, Py4JError) as exc:
            raise StorageError(
                f"无法启动 Spark (cannot start Spark at {master}); 请检查 Java 与集群地址 / check Java and "
                "the master URL",
                engine=self.engine,
                original=exc,
            ) from exc
        self._files: Files = files_for(root, self._spark)
        self.root = self._files.root
        self._manifest_version = -1
        self._committed: dict[str, list[str]] = {}
        self._pending: dict[str, list[str]] | None = None
        self._written: list[str] = []
        self._depth = 0
        self._refresh()

    # ------------------------------------------------------------------ engine basics
    def _sql(self, sql: str, table: str | None = None) -> DataFrame:
        df: DataFrame = self._guard(lambda: self._spark.sql(sql), table=table, statement=sql)
        return df

    def _fetch(self, sql: str, table: str | None = None) -> list[Any]:
        return self._guard(lambda: self._spark.sql(sql).collect(), table=table, statement=sql)  # type: ignore[no-any-return]

    def _run(self, sql: str, table: str | None = None) -> None:
        created = _CREATE.match(sql)
        if created:
            with self.transaction():
                if created.group(1) not in self._tables:
                    self._set(created.group(1), [])
            return
        raise StorageError(
            "Spark 仓库只支持以 CREATE TABLE 形式的迁移 (the Spark warehouse runs only CREATE TABLE "
            "migrations; express others as table rewrites)",
            engine=self.engine,
            table=table,
            statement=sql,
        )

    def _ddl(self, table: Table) -> str:
        return SPARK.create_table(table)

    def _has_table(self, name: str) -> bool:
        if self._pending is None:
            self._refresh()
        return name in self._tables

    def table(self, name: str) -> ir.Table:
        if self._pending is None and name in TABLES:
            self._refresh()
        return super().table(name)

    def _execute_arrow(self, expr: ir.Expr) -> pa.Table:
        if not isinstance(expr, ir.Table):
            return expr.to_pyarrow()
        self._ibis._run_pre_execute_hooks(expr)
        result: pa.Table = self._spark.sql(self._ibis.compile(expr)).toArrow()
        return result

    def _register_memtable(self, op: Any) -> None:
        """An Ibis in-memory table as a temp view made from Arrow (in place of Ibis's pandas route).

        PySpark sends pandas through Arrow only when the frame has rows; an empty one becomes an
        RDD of Python rows, and every query reading it starts Python worker tasks. From Arrow
        the view is built in the JVM whatever its size.
        """
        data = op.data.to_pyarrow(op.schema)
        schema = PySparkSchema.from_ibis(op.schema)
        self._spark.createDataFrame(data, schema=schema).createOrReplaceTempView(op.name)

    def _sql_of(self, expr: ir.Expr) -> str:
        return str(self._ibis.compile(expr))

    # ------------------------------------------------------------------ manifest and views
    @property
    def _tables(self) -> dict[str, list[str]]:
        return self._committed if self._pending is None else self._pending

    def _refresh(self) -> None:
        """Load the newest manifest if another process (or nobody yet) has committed since."""
        names = [n for n in self._files.listdir(self._files.join("_manifests")) if n.endswith(".json")]
        version = max((int(n[:-5]) for n in names), default=0)
        if version == self._manifest_version:
            return
        if version:
            text = self._files.read_text(self._files.join("_manifests", f"{version:08d}.json"))
            self._committed = {k: list(v) for k, v in json.loads(text)["tables"].items()}
        else:
            self._committed = {}
        self._manifest_version = version
        for name in self._committed:
            self._register(name)

    def _register(self, name: str) -> None:
        """Point the temp view *name* at the table's current folders."""
        schema = spark_schema(TABLES[name])
        parts = [self._files.join(p) for p in self._tables[name]]

        def view() -> None:
            if parts:
                df = self._spark.read.schema(schema).parquet(*parts)
            else:  # typed NULLs WHERE false: a LocalRelation, planned on the driver alone
                # (createDataFrame([], schema) would be an RDD of Python rows, and every query
                # reading it would start Python worker tasks, 0.4-0.5 s each)
                df = self._spark.sql(f"SELECT {self._full_row(TABLES[name], (), 't')} WHERE false")
            df.createOrReplaceTempView(name)

        self._guard(view, table=name, statement=f"register {name} ← {parts}")

    def _set(self, name: str, parts: list[str]) -> None:
        assert self._pending is not None, "writes happen inside transaction()"
        self._pending[name] = parts
        self._register(name)

    def _commit(self, tables: dict[str, list[str]]) -> None:
        if self.read_only:
            raise ConfigError(f"仓库以只读方式打开 (the warehouse {self.url} was opened read-only)")
        version = self._manifest_version + 1
        self._files.mkdirs(self._files.join("_manifests"))
        text = json.dumps({"version": version, "tables": tables}, ensure_ascii=False, indent=1)
        if not self._files.publish(self._files.join("_manifests", f"{version:08d}.json"), text):
            raise StorageError(
                "另一个进程同时写入了 Spark 仓库，本次写入已放弃 (another process committed to this Spark "
                "warehouse at the same time; this write was abandoned, nothing changed — retry)",
                engine=self.engine,
                statement=f"publish manifest {version}",
            )
        old = {p for parts in self._committed.values() for p in parts}
        new = {p for parts in tables.values() for p in parts}
        self._committed, self._manifest_version = tables, version
        for path in sorted(old - new):
            self._files.delete(self._files.join(path))
        for name in self._files.listdir(self._files.join("_manifests")):
            if name.endswith(".json") and int(name[:-5]) < version - 1:
                self._files.delete(self._files.join("_manifests", name))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside become visible here at once and to everyone else at the end, all together.

        They are buffered as new Parquet folders and published by one manifest at exit; an
        exception deletes them and restores every view.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._refresh()
        self._pending = {k: list(v) for k, v in self._committed.items()}
        self._written = []
        self._depth = 1
        try:
            yield
            if self._pending != self._committed:
                self._commit(self._pending)
        except BaseException:
            touched = [n for n in self._pending if self._pending[n] != self._committed.get(n)]
            self._pending = None
            for path in self._written:
                self._files.delete(self._files.join(path))
            for name in touched:
                if name in self._committed:
                    self._register(name)
                else:
                    self._spark.catalog.dropTempView(name)
            raise
        finally:
            self._depth = 0
            self._pending = None
            self._written = []

    # ------------------------------------------------------------------ writing
    def _write(self, name: str, df: DataFrame, statement: str, *, small: bool = False) -> str:
        """Write *df* as a new folder of table *name*; return its path relative to the root."""
        rel = f"{name}/{uuid.uuid4().hex}"
        self._written.append(rel)
        out = df.coalesce(1) if small else df
        self._guard(
            lambda: out.write.mode("errorifexists").parquet(self._files.join(rel)),
            table=name,
            statement=statement,
        )
        return rel

    def _stage(self, spec: Table, data: pa.Table, columns: Sequence[str]) -> str:
        """A temp view of *data* typed by *spec*'s declared types (materialised, so CAST errors surface here)."""
        raw = f"_zb_stage_{next(_ids)}"
        data = data.select(list(columns))
        for i, field in enumerate(data.schema):
            if pa.types.is_null(field.type):
                data = data.set_column(i, field.name, data[field.name].cast(pa.string()))
        self._guard(
            lambda: self._spark.createDataFrame(data).createOrReplaceTempView(raw), statement=f"stage {raw}"
        )
        sql = f"SELECT {SPARK.cast_select(spec, columns)} FROM {raw}"
        typed = self._guard(
            lambda: self._spark.sql(sql).localCheckpoint(eager=True), table=spec.name, statement=sql
        )
        self._spark.catalog.dropTempView(raw)
        typed.createOrReplaceTempView(f"{raw}_typed")
        return f"{raw}_typed"

    def _append_rows(self, name: str, select: str, rows: int) -> None:
        """Add the rows of *select* to table *name* as one more folder (compacting when there are many)."""
        parts = self._tables[name]
        if len(parts) >= _MAX_PARTS:
            everything = f"SELECT * FROM {_q(name)} UNION ALL {select}"
            self._set(name, [self._write(name, self._sql(everything, name), everything)])
        else:
            self._set(name, [*parts, self._write(name, self._sql(select, name), select, small=rows < _SMALL)])

    def append(self, name: str, data: pa.Table) -> None:
        spec = TABLES[name]
        cols = [c for c in spec.column_names if c in data.column_names]
        with self.transaction():
            stage = self._stage(spec, data, cols)
            select = f"SELECT {self._full_row(spec, cols, 's')} FROM {stage} s"
            self._append_rows(name, select, data.num_rows)
            self._spark.catalog.dropTempView(stage)

    def insert_from(self, name: str, expr: ir.Table) -> None:
        check_insert_columns(self.engine, name, expr)
        spec = TABLES[name]
        cols = [c for c in spec.column_names if c in expr.columns]
        with self.transaction():
            self._ibis._run_pre_execute_hooks(expr)  # memtables become temp views
            select = f"SELECT {self._full_row(spec, cols, 's')} FROM ({self._sql_of(expr)}) s"
            self._append_rows(name, select, _SMALL)

    def _full_row(self, spec: Table, offered: Sequence[str], alias: str) -> str:
        return ", ".join(
            f"{alias}.{_q(c)} AS {_q(c)}" if c in offered else f"CAST(NULL AS {SPARK.types[t]}) AS {_q(c)}"
            for c, t in spec.columns
        )

    def replace(self, name: str, data: pa.Table) -> None:
        with self.transaction():
            self._set(name, [])
            if data.num_rows:
                self.append(name, data)

    def delete_where_in(self, name: str, column: str, values: Sequence[str]) -> int:
        if not values:
            return 0
        with self.transaction():
            stage = f"_zb_values_{next(_ids)}"
            self._spark.createDataFrame(
                pa.table({"v": pa.array(list(values), pa.string())})
            ).createOrReplaceTempView(stage)
            keep = f"SELECT t.* FROM {_q(name)} t LEFT ANTI JOIN {stage} v ON t.{_q(column)} = v.v"
            before = self._fetch(f"SELECT count(*) FROM {_q(name)}", name)[0][0]
            after = self._fetch(f"SELECT count(*) FROM ({keep})", name)[0][0]
            if before != after:
                self._set(name, [self._write(name, self._sql(keep, name), keep, small=after < _SMALL)])
            self._spark.catalog.dropTempView(stage)
        return int(before - after)

    def merge(
        self, name: str, data: pa.Table, *, source: str, batch_id: str, loaded_at: dt.datetime
    ) -> MergeResult:
        spec = TABLES[name]
        fields = tuple(c for c in data.column_names if c not in spec.key and c not in PROVENANCE_NAMES)
        plan = MergePlan(SPARK, spec, fields)
        n = data.num_rows
        join = plan.join
        with self.transaction():
            stage = self._stage(spec, with_provenance(data, source, batch_id, loaded_at), plan.columns)
            existing = int(
                self._fetch(f"SELECT count(*) FROM {_q(name)} t JOIN {stage} s ON {join}", name)[0][0]
            )
            if existing and fields:
                found = " UNION ALL ".join(plan.conflict_selects(stage, batch_id))
                rows = int(self._fetch(f"SELECT count(*) FROM ({found})", "import_conflicts")[0][0])
                if rows:
                    self._append_rows("import_conflicts", found, rows)
            conflicts = self._fetch(
                f"SELECT count(*) FROM import_conflicts WHERE batch_id = {SPARK.lit(batch_id)} "
                f"AND table_name = {SPARK.lit(name)}"
            )[0][0]
            updated = 0
            if existing and fields:
                updated = int(
                    self._fetch(
                        f"SELECT count(*) FROM {_q(name)} t JOIN {stage} s ON {join} WHERE {plan.changes}",
                        name,
                    )[0][0]
                )
            new_rows = (
                f"SELECT {plan.inserted_columns()} FROM {stage} s LEFT ANTI JOIN {_q(name)} t ON {join}"
            )
            if updated:
                first = plan.key[0]
                merged = (
                    f"SELECT {plan.merged_columns(f's.{_q(first)} IS NOT NULL')} FROM {_q(name)} t "
                    f"LEFT JOIN {stage} s ON {join} UNION ALL {new_rows}"
                )
                self._set(name, [self._write(name, self._sql(merged, name), merged)])
            elif n - existing:
                self._append_rows(name, new_rows, n - existing)
            self._spark.catalog.dropTempView(stage)
        return MergeResult(n - existing, updated, existing - updated, int(conflicts))

    def close(self) -> None:
        for name in self._committed:
            self._spark.catalog.dropTempView(name)
