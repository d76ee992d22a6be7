"""The warehouse schema, declared once in engine-neutral types, and its migrations.

A table is a list of ``(column, type)`` with a primary key. Types are the neutral names
in :data:`TYPES`; each engine maps them to its own DDL in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

TYPES: Final = ("string", "int64", "int32", "date", "timestamp", "bool", "float64")

PROVENANCE: Final = (("source", "string"), ("batch_id", "string"), ("loaded_at", "timestamp"))
"""Columns every imported row carries: where it came from, which batch, when."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    comment: str = ""
    since: int = 1
    """The schema version (migration) that creates this table."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def type_of(self, column: str) -> str:
        return dict(self.columns)[column]


def _t(name: str, cols: str, key: str, comment: str = "", provenance: bool = True, since: int = 1) -> Table:
    columns = tuple((c.split(":")[0].strip(), c.split(":")[1].strip()) for c in cols.split(","))
    if provenance:
        columns += PROVENANCE
    return Table(name, columns, tuple(k.strip() for k in key.split(",")), comment, since)


TABLES: Final[dict[str, Table]] = {
    t.name: t
    for t in (
        _t("meta", "key: string, value: string", "key", "schema version and settings", provenance=False),
        _t(
            "parks",
            "park_id: string, name_zh: string, name_en: string, short_name: string, division_code: string,"
            "is_park: bool, zone_code: string",
            "park_id",
            "the zone's parks and township units",
            provenance=False,
        ),
        _t(
            "enterprises",
            "uscc: string, name: string, park_id: string, division_code: string, industry_code: string,"
            "registered_capital_fen: int64, registered_on: date, status: string, business_scope: string,"
            "address: string",
            "uscc",
            "the zone's enterprise registry",
        ),
        _t(
            "enterprise_years",
            "uscc: string, year: int32, revenue_fen: int64, output_fen: int64, tax_fen: int64,"
            "rd_expense_fen: int64, profit_fen: int64, export_fen: int64, employees: int64,"
            "insured_employees: int64, patents: int64, invention_patents: int64",
            "uscc, year",
            "yearly finance and indicators per enterprise",
        ),
        _t(
            "enterprise_months",
            "uscc: string, month: date, revenue_fen: int64, output_fen: int64, tax_fen: int64, employees: int64",
            "uscc, month",
            "monthly indicators per enterprise (month = first day)",
        ),
        _t("events", "uscc: string, kind: string, date: date, detail: string", "uscc, kind, date"),
        _t("enterprise_tags", "uscc: string, tag: string, since: date, until: date", "uscc, tag"),
        _t(
            "reference_enterprises",
            "uscc: string, name: string, division_code: string, province_code: string,"
            "prefecture_code: string, industry_code: string, registered_capital_fen: int64,"
            "registered_on: date, revenue_fen: int64, employees: int64, tags: string",
            "uscc",
            "the national reference registry for targeting",
        ),
        _t("reference_signals", "uscc: string, kind: string, date: date, detail: string", "uscc, kind, date"),
        _t(
            "region_activity",
            "region_code: string, activity_code: string, year: int32, measure: string, value: int64",
            "region_code, activity_code, year, measure",
            "region × activity panel (cities × GB/T 4754 classes)",
        ),
        _t(
            "import_batches",
            "batch_id: string, kind: string, file_name: string, file_sha256: string, source: string,"
            "rows_in: int64, rows_loaded: int64, rows_rejected: int64, inserted: int64, updated: int64,"
            "unchanged: int64, conflicts: int64, started_at: timestamp, finished_at: timestamp",
            "batch_id",
            "one row per committed import batch",
            provenance=False,
        ),
        _t(
            "import_conflicts",
            "batch_id: string, table_name: string, row_key: string, field: string, kept_value: string,"
            "kept_source: string, offered_value: string, offered_source: string",
            "batch_id, table_name, row_key, field",
            "fields where two sources disagree; the kept value was not overwritten",
            provenance=False,
        ),
        # ---- version 2: industry chains and the portrait (issue 5)
        _t(
            "enterprise_chain_nodes",
            "uscc: string, chain_id: string, node_id: string, confidence: float64, method: string,"
            "reason: string, run_id: string, classified_at: timestamp",
            "uscc, chain_id, node_id",
            "each enterprise's chain nodes (classifier output after manual overrides)",
            provenance=False,
            since=2,
        ),
        _t(
            "chain_overrides",
            "uscc: string, chain_id: string, node_id: string, action: string, note: string,"
            "author: string, created_at: timestamp",
            "uscc, chain_id, node_id",
            "manual corrections of chain membership (add/remove); they survive re-classification",
            provenance=False,
            since=2,
        ),
        # ---- version 3: economic operations and targets (issue 9)
        _t(
            "kpi_targets",
            "park_id: string, indicator: string, year: int32, value: int64",
            "park_id, indicator, year",
            "annual targets per park and indicator (value in the indicator's unit, integers)",
            since=3,
        ),
        _t(
            "kpi_actuals",
            "park_id: string, indicator: string, month: date, value: int64",
            "park_id, indicator, month",
            "imported park-level monthly actuals (month = first day; value in the indicator's unit)",
            since=3,
        ),
        # ---- version 4: policy evaluation runs and results (issue 6)
        _t(
            "policy_runs",
            "run_id: string, as_of: date, policies_hash: string, parameters_hash: string, batch_ids: string,"
            "kind: string, note: string, created_at: timestamp",
            "run_id",
            "one row per policy evaluation (reproducible: as-of date, rule and parameter hashes, data batches)",
            provenance=False,
            since=4,
        ),
        _t(
            "policy_results",
            "run_id: string, uscc: string, policy_id: string, clause_id: string, status: string,"
            "amount_fen: int64, missing_fields: string, trace: string",
            "run_id, uscc, policy_id, clause_id",
            "eligibility (eligible/ineligible/undetermined), amount in fen and trace per enterprise and clause",
            provenance=False,
            since=4,
        ),
        # ---- version 5: history of KPI targets (issue 9)
        _t(
            "kpi_target_history",
            "change_id: string, park_id: string, indicator: string, year: int32, old_value: int64,"
            "new_value: int64, changed_by: string, changed_at: timestamp, reason: string, source: string,"
            "batch_id: string",
            "change_id",
            "every change of a KPI target: old → new value (as kpi_targets.value), who, when, why, import|edit",
            provenance=False,
            since=5,
        ),
        # ---- version 6: policy traces stored compactly (issue 6, point 9)
        _t(
            "policy_trace_shapes",
            "run_id: string, policy_id: string, clause_id: string, shape: string",
            "run_id, policy_id, clause_id",
            "per run and clause, the part of the trace every enterprise shares (policy_results.trace holds "
            "the rest compactly; zonebrain.policy.load_results joins them)",
            provenance=False,
            since=6,
        ),
        # ---- version 7: policy results stored per firm and per clause (issue 6, point 9; ADR 0009)
        _t(
            "policy_result_clauses",
            "run_id: string, clause_no: int32, grp: int32, policy_id: string, clause_id: string",
            "run_id, clause_no",
            "per run, each clause's number (policy_result_rows.clause_no) and the facts group it reads",
            provenance=False,
            since=7,
        ),
        _t(
            "policy_result_firms",
            "run_id: string, grp: int32, firm_no: int32, uscc: string, digits: string, fields: string",
            "run_id, grp, firm_no",
            "per run, facts group and enterprise, what every clause's trace shows alike: the shared "
            "results' digits and the values read (stored once, not once per clause)",
            provenance=False,
            since=7,
        ),
        _t(
            "policy_result_rows",
            "run_id: string, clause_no: int32, firm_no: int32, status: string, amount_fen: int64,"
            "fen: int64, digits: string, missing_fields: string, notes: string",
            "run_id, clause_no, firm_no",
            "per run, clause and enterprise: status, amount in fen, and the trace's own part (the "
            "clause's result digits, its amount before groups, caps and pools, their notes); "
            "zonebrain.policy.results_table joins them into policy_results' columns",
            provenance=False,
            since=7,
        ),
        # ---- version 8: plain ineligible results not stored row by row (issue 6, point 9; ADR 0011)
        _t(
            "policy_result_layout",
            "run_id: string, clause_no: int32, shared: int32, digits_at: int32, digits_len: int32",
            "run_id, clause_no",
            "per run and clause, where its result digits sit in policy_result_firms.digits (the shared "
            "results' first, then each clause's own); a run with a layout stores in policy_result_rows "
            "only the rows that are not plainly ineligible (no amount, missing field or note)",
            provenance=False,
            since=8,
        ),
    )
}


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Callable[[str], None], Callable[[Table], str]], None]
    """Called with ``(run_sql, ddl_for_table)``."""


def _create_tables_since(version: int) -> Callable[[Callable[[str], None], Callable[[Table], str]], None]:
    """A migration that creates the tables first declared in *version*."""

    def apply(run: Callable[[str], None], ddl: Callable[[Table], str]) -> None:
        for table in TABLES.values():
            if table.since == version:
                run(ddl(table))

    return apply


MIGRATIONS: Final = (
    Migration(1, "initial schema", _create_tables_since(1)),
    Migration(2, "industry chain memberships and overrides", _create_tables_since(2)),
    Migration(3, "KPI targets and park-level actuals", _create_tables_since(3)),
    Migration(4, "policy runs and results", _create_tables_since(4)),
    Migration(5, "KPI target history", _create_tables_since(5)),
    Migration(6, "policy trace shapes", _create_tables_since(6)),
    Migration(7, "policy results per firm and clause", _create_tables_since(7)),
    Migration(8, "policy results: plain ineligible rows kept per firm", _create_tables_since(8)),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version


def arrow_type(neutral: str) -> pa.DataType:
    """The Arrow type every engine hands back for a neutral column type."""
    return _ARROW[neutral]


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a whole table, in declared column order."""
    return pa.schema([(c, _ARROW[t]) for c, t in table.columns])


_ARROW: Final[dict[str, pa.DataType]] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
    "float64": pa.float64(),
}
