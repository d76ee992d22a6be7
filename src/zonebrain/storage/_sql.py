"""SQL shared by the engines: neutral types per dialect, and the merge rules written once.

:meth:`zonebrain.storage.Warehouse.merge` has one meaning on every engine. DuckDB and
PostgreSQL run the statements below inside a transaction (UPDATE … FROM, INSERT … SELECT);
Spark, which cannot update in place, selects the merged table with :func:`merged_columns`
and swaps it in. Either way the conditions (what is a change, what is a conflict, which value
wins) are these strings, so the engines cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zonebrain.storage._schema import PROVENANCE, Table

PROVENANCE_NAMES = tuple(c for c, _ in PROVENANCE)


@dataclass(frozen=True)
class Dialect:
    name: str
    types: Mapping[str, str]
    """Neutral type name (see :data:`zonebrain.storage._schema.TYPES`) → this engine's type."""
    quote: str = '"'
    text: str = "VARCHAR"
    """The type a value is cast to when it is recorded as text (conflicts, row keys)."""
    backslash_escapes: bool = False
    """Whether ``\\`` escapes inside a string literal (Spark SQL) and must be doubled."""

    def q(self, name: str) -> str:
        """A quoted identifier."""
        return self.quote + name.replace(self.quote, self.quote * 2) + self.quote

    def lit(self, value: str) -> str:
        """A string literal."""
        if self.backslash_escapes:
            value = value.replace("\\", "\\\\")
        return "'" + value.replace("'", "''") + "'"

    def create_table(self, table: Table) -> str:
        cols = ", ".join(f"{self.q(c)} {self.types[t]}" for c, t in table.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.q(table.name)} ({cols})"

    def cast_select(self, spec: Table, columns: Sequence[str]) -> str:
        """``CAST(c AS type) AS c, …``: staged data typed by the table's declared types."""
        return ", ".join(
            f"CAST({self.q(c)} AS {self.types[spec.type_of(c)]}) AS {self.q(c)}" for c in columns
        )


DUCKDB = Dialect(
    "duckdb",
    {
        "string": "VARCHAR",
        "int64": "BIGINT",
        "int32": "INTEGER",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "bool": "BOOLEAN",
        "float64": "DOUBLE",
    },
)
POSTGRES = Dialect(
    "postgres",
    {
        "string": "TEXT",
        "int64": "BIGINT",
        "int32": "INTEGER",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "bool": "BOOLEAN",
        "float64": "DOUBLE PRECISION",
    },
)
SPARK = Dialect(
    "spark",
    {
        "string": "STRING",
        "int64": "BIGINT",
        "int32": "INT",
        "date": "DATE",
        "timestamp": "TIMESTAMP_NTZ",
        "bool": "BOOLEAN",
        "float64": "DOUBLE",
    },
    quote="`",
    text="STRING",
    backslash_escapes=True,
)


@dataclass(frozen=True)
class MergePlan:
    """The pieces of one merge of a staged table ``s`` into a warehouse table ``t``."""

    d: Dialect
    spec: Table
    fields: tuple[str, ...]
    """Offered non-key, non-provenance columns."""

    @property
    def key(self) -> tuple[str, ...]:
        return self.spec.key

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the staged table carries: key, offered fields, provenance."""
        return (*self.key, *self.fields, *PROVENANCE_NAMES)

    @property
    def join(self) -> str:
        return " AND ".join(f"t.{self.d.q(k)} = s.{self.d.q(k)}" for k in self.key)

    @property
    def row_key(self) -> str:
        return " || '|' || ".join(f"CAST(s.{self.d.q(k)} AS {self.d.text})" for k in self.key)

    @property
    def same_source(self) -> str:
        return "t.source IS NOT DISTINCT FROM s.source"

    def conflict_selects(self, stage: str, batch_id: str) -> list[str]:
        """One SELECT per field of the ``import_conflicts`` rows this merge records."""
        d, q, name = self.d, self.d.q, self.spec.name
        return [
            f"SELECT {d.lit(batch_id)} AS batch_id, {d.lit(name)} AS table_name, {self.row_key} AS row_key, "
            f"{d.lit(f)} AS field, CAST(t.{q(f)} AS {d.text}) AS kept_value, t.source AS kept_source, "
            f"CAST(s.{q(f)} AS {d.text}) AS offered_value, s.source AS offered_source "
            f"FROM {q(name)} t JOIN {stage} s ON {self.join} WHERE t.source IS DISTINCT FROM s.source "
            f"AND s.{q(f)} IS NOT NULL AND t.{q(f)} IS NOT NULL AND t.{q(f)} <> s.{q(f)}"
            for f in self.fields
        ]

    @property
    def changes(self) -> str:
        """True for a matched row that the merge changes."""
        q = self.d.q
        return " OR ".join(
            f"(s.{q(f)} IS NOT NULL AND (t.{q(f)} IS NULL OR ({self.same_source} AND t.{q(f)} <> s.{q(f)})))"
            for f in self.fields
        )

    def new_value(self, f: str) -> str:
        """The value field *f* takes in a changed row: the same source wins, another only fills gaps."""
        q = self.d.q
        return (
            f"CASE WHEN {self.same_source} THEN coalesce(s.{q(f)}, t.{q(f)}) "
            f"ELSE coalesce(t.{q(f)}, s.{q(f)}) END"
        )

    def update_sets(self) -> str:
        return ", ".join(f"{self.d.q(f)} = {self.new_value(f)}" for f in self.fields)

    def merged_columns(self, matched: str) -> str:
        """SELECT list over ``t LEFT JOIN s`` giving every column of the table after the merge.

        *matched* is a condition true when the row of ``t`` found a partner in ``s``.
        """
        q = self.d.q
        changed = f"({matched} AND ({self.changes}))" if self.fields else "FALSE"
        out = []
        for c in self.spec.column_names:
            if c in self.fields:
                out.append(f"CASE WHEN {changed} THEN {self.new_value(c)} ELSE t.{q(c)} END AS {q(c)}")
            elif c in ("batch_id", "loaded_at"):
                out.append(f"CASE WHEN {changed} THEN s.{q(c)} ELSE t.{q(c)} END AS {q(c)}")
            else:
                out.append(f"t.{q(c)} AS {q(c)}")
        return ", ".join(out)

    def inserted_columns(self) -> str:
        """SELECT list over the staged rows with no partner: every column of the table."""
        q, types = self.d.q, self.d.types
        return ", ".join(
            f"s.{q(c)} AS {q(c)}" if c in self.columns else f"CAST(NULL AS {types[t]}) AS {q(c)}"
            for c, t in self.spec.columns
        )


def merge_from_stage(
    run: Callable[[str, str | None], None],
    fetch: Callable[[str, str | None], list[tuple[Any, ...]]],
    plan: MergePlan,
    stage: str,
    batch_id: str,
) -> tuple[int, int, int]:
    """The merge on an SQL engine, once the typed staged table *stage* exists (inside a transaction).

    Records conflicts, updates what changes, inserts new keys; returns ``(existing, updated, conflicts)``.
    """
    d, name, join = plan.d, plan.spec.name, plan.join
    q = d.q
    existing = int(fetch(f"SELECT count(*) FROM {q(name)} t JOIN {stage} s ON {join}", name)[0][0])
    for select in plan.conflict_selects(stage, batch_id):
        run(f"INSERT INTO import_conflicts {select}", "import_conflicts")
    conflicts = int(
        fetch(
            f"SELECT count(*) FROM import_conflicts WHERE batch_id = {d.lit(batch_id)} "
            f"AND table_name = {d.lit(name)}",
            "import_conflicts",
        )[0][0]
    )
    updated = 0
    if existing and plan.fields:
        changes = plan.changes
        updated = int(
            fetch(f"SELECT count(*) FROM {q(name)} t JOIN {stage} s ON {join} WHERE {changes}", name)[0][0]
        )
        if updated:
            run(
                f"UPDATE {q(name)} AS t SET {plan.update_sets()}, batch_id = s.batch_id, "
                f"loaded_at = s.loaded_at FROM {stage} AS s WHERE {join} AND ({changes})",
                name,
            )
    cols = ", ".join(map(q, plan.columns))
    run(
        f"INSERT INTO {q(name)} ({cols}) SELECT {cols} "
        f"FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {q(name)} t WHERE {join})",
        name,
    )
    return existing, updated, conflicts
