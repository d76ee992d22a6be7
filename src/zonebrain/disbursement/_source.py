"""Reading a recorded warehouse run into what a 兑现批次 needs (names, clause references, ledger keys).

Only recorded runs are paid: a batch names its ``run_id``, so every amount can be traced back to
the run's as-of date, rule and parameter hashes and data batches (``policy_runs``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain import policy
from zonebrain.core.errors import InputError
from zonebrain.policy._notes import run_period
from zonebrain.storage import Warehouse

ONCE = "once"
"""The ledger period of a one-time award (首次认定, 首次突破, 一次性): paid once in any year."""

ROW_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("enterprise_name", pa.string()),
        ("park_id", pa.string()),
        ("policy_id", pa.string()),
        ("policy_name", pa.string()),
        ("clause_id", pa.string()),
        ("clause_ref", pa.string()),
        ("clause_title", pa.string()),
        ("ledger_period", pa.string()),
        ("status", pa.string()),
        ("amount_fen", pa.int64()),
        ("missing_fields", pa.string()),
    ]
)
MAX_IN_LIST = 5_000


@dataclass(frozen=True)
class RunRows:
    """The eligible (amount > 0) and undetermined results of one recorded run, ready for a batch."""

    run_id: str
    as_of: dt.date
    period: int
    rows: pa.Table
    """Columns of :data:`ROW_SCHEMA`, ordered by policy, clause, uscc."""
    policies: tuple[str, ...] = ()
    """Every policy the run evaluated, sorted (also those without an eligible or undetermined result)."""
    newer: tuple[NewerRun, ...] = ()
    """Runs of the same period recorded after this one, newest first (:func:`newer_runs`): a batch
    built from this run then needs a reason."""

    def eligible(self) -> pa.Table:
        return self.rows.filter(pc.equal(self.rows["status"], "eligible"))

    def undetermined(self) -> pa.Table:
        return self.rows.filter(pc.equal(self.rows["status"], "undetermined"))


def load_run(wh: Warehouse, run_id: str | None = None, lib: policy.Library | None = None) -> RunRows:
    """The run *run_id* (default: the latest) with enterprise names, policy names and clause refs.

    *lib* (default: the built-in library) gives policy names, clause references and titles, and
    which clauses are one-time awards; a policy no longer in it keeps its id as name, the clause
    reference its trace recorded, and is treated as yearly.
    """
    lib = lib or policy.load_library()
    results = policy.load_results(wh, run_id, traces=False)
    if results.num_rows == 0:
        raise InputError(
            f"测算记录 {run_id} 没有结果 (no results for run {run_id}); 请选择一次已记录的测算 "
            "(choose a recorded run)"
        )
    run_id = str(results["run_id"][0].as_py())
    runs = wh.table("policy_runs")
    meta = wh.to_arrow(runs.filter(runs.run_id == run_id).select("as_of"))
    as_of = meta["as_of"][0].as_py()
    # every enterprise has a row per clause: the first one's traces give the period and each
    # clause's reference (for a policy no longer in the library) without expanding the whole run
    sample = policy.load_results(wh, run_id, str(results["uscc"][0].as_py())).to_pylist()
    period = int(json.loads(sample[0]["trace"])["period"])
    recorded_ref = {(r["policy_id"], r["clause_id"]): json.loads(r["trace"])["ref"] for r in sample}
    keep = pc.or_kleene(
        pc.and_kleene(pc.equal(results["status"], "eligible"), pc.greater(results["amount_fen"], 0)),
        pc.equal(results["status"], "undetermined"),
    )
    picked = results.filter(pc.fill_null(keep, False))
    clauses = _clauses(lib)
    core = pa.table(
        {
            "uscc": picked["uscc"],
            "policy_id": picked["policy_id"],
            "clause_id": picked["clause_id"],
            "status": picked["status"],
            "amount_fen": picked["amount_fen"],
            "missing_fields": picked["missing_fields"],
        }
    )
    ent = wh.table("enterprises").select("uscc", "name", "park_id").rename(enterprise_name="name")
    wanted = _unique(core["uscc"])
    if len(wanted) <= MAX_IN_LIST:  # a short IN list; beyond it, read the registry's three columns whole
        ent = ent.filter(ent.uscc.isin(wanted)) if wanted else ent.limit(0)
    names = wh.to_arrow(ent)
    joined = core.join(names, "uscc", join_type="left outer", use_threads=False)
    joined = joined.join(clauses, ["policy_id", "clause_id"], join_type="left outer", use_threads=False)
    refs = joined["clause_ref"].combine_chunks()
    if refs.null_count:  # a policy no longer in the library: its reference as the run's trace gave it
        keys = zip(joined["policy_id"].to_pylist(), joined["clause_id"].to_pylist(), strict=True)
        refs = pa.array(
            [r if r is not None else recorded_ref[k] for r, k in zip(refs.to_pylist(), keys, strict=True)],
            pa.string(),
        )
    once = pc.fill_null(joined["once"], False)
    table = pa.table(
        {
            "uscc": joined["uscc"],
            "enterprise_name": pc.fill_null(joined["enterprise_name"].cast(pa.string()), ""),
            "park_id": joined["park_id"].cast(pa.string()),
            "policy_id": joined["policy_id"],
            "policy_name": pc.coalesce(joined["policy_name"], joined["policy_id"]),
            "clause_id": joined["clause_id"],
            "clause_ref": refs,
            "clause_title": pc.fill_null(joined["clause_title"], ""),
            "ledger_period": pc.if_else(once, ONCE, str(period)),
            "status": joined["status"],
            "amount_fen": joined["amount_fen"],
            "missing_fields": pc.fill_null(joined["missing_fields"], ""),
        },
        schema=ROW_SCHEMA,
    )
    order = [("policy_id", "ascending"), ("clause_id", "ascending"), ("uscc", "ascending")]
    evaluated = tuple(sorted(_unique(results["policy_id"])))
    found = RunRows(run_id, as_of, period, table.sort_by(order), evaluated)
    return dataclasses.replace(found, newer=newer_runs(wh, found))


@dataclass(frozen=True)
class DataImport:
    """One warehouse import (``import_batches``) made after a run: its amounts may be stale."""

    batch_id: str
    kind: str
    file_name: str
    finished_at: dt.datetime | None
    """Naive UTC, as the warehouse stores it."""
    rows: int
    """Rows loaded."""

    def as_dict(self) -> dict[str, object]:
        """For the audit log and the API."""
        at = self.finished_at.isoformat() if self.finished_at else None
        return {
            "batch_id": self.batch_id,
            "kind": self.kind,
            "file": self.file_name,
            "at": at,
            "rows": self.rows,
        }


POLICY_KINDS = frozenset({"enterprises", "finance", "events", "tags"})
"""The imports whose tables a run reads (enterprises, enterprise_years, events, enterprise_tags):
a monthly figure, a reference registry or a KPI file changes no award."""


def imports_after(wh: Warehouse, run_id: str) -> tuple[DataImport, ...]:
    """The imports the run *run_id* did not read: ``import_batches`` rows of the kinds a run reads
    (:data:`POLICY_KINDS`) whose batch id is not in the run's ``policy_runs.batch_ids``, oldest
    first (none for an unknown run)."""
    runs = wh.table("policy_runs")
    meta = wh.to_arrow(runs.filter(runs.run_id == run_id).select("batch_ids"))
    if meta.num_rows == 0:
        return ()
    known = {b for b in str(meta["batch_ids"][0].as_py() or "").split(",") if b}
    cols = ("batch_id", "kind", "file_name", "rows_loaded", "finished_at")
    found = wh.to_arrow(wh.table("import_batches").select(*cols).order_by(["finished_at", "batch_id"]))
    return tuple(
        DataImport(str(r["batch_id"]), str(r["kind"] or ""), str(r["file_name"] or ""), r["finished_at"],
                   int(r["rows_loaded"] or 0))
        for r in found.to_pylist()
        if str(r["batch_id"]) not in known and r["kind"] in POLICY_KINDS
    )  # fmt: skip


@dataclass(frozen=True)
class NewerRun:
    """A run of the same period recorded after the one a batch is built from."""

    run_id: str
    as_of: dt.date
    created_at: dt.datetime
    differs: int
    """How many of the older run's eligible awards this run does not find eligible at the same amount."""


def newer_runs(wh: Warehouse, run: RunRows) -> tuple[NewerRun, ...]:
    """Runs assessing *run*'s period recorded after it, newest first, each with how many of *run*'s
    eligible awards it no longer finds eligible at the same amount (a firm found ineligible since)."""
    runs = wh.table("policy_runs")
    this = wh.to_arrow(runs.filter(runs.run_id == run.run_id).select("created_at"))
    if this.num_rows == 0:
        return ()
    later = wh.to_arrow(
        runs.filter(runs.created_at > this["created_at"][0].as_py())
        .select("run_id", "as_of", "created_at")
        .order_by([ibis.desc("created_at"), ibis.desc("run_id")])
    ).to_pylist()
    mine = {(r["uscc"], r["policy_id"], r["clause_id"]): r["amount_fen"] for r in run.eligible().to_pylist()}
    out = []
    for r in later:
        if run_period(wh, str(r["run_id"])) != run.period:
            continue
        results = policy.load_results(wh, str(r["run_id"]), traces=False)
        theirs = {
            (u, p, c): a
            for u, p, c, s, a in zip(
                *(results[k].to_pylist() for k in ("uscc", "policy_id", "clause_id", "status", "amount_fen")),
                strict=True,
            )
            if s == "eligible"
        }
        differs = sum(1 for k, fen in mine.items() if theirs.get(k) != fen)
        out.append(NewerRun(str(r["run_id"]), r["as_of"], r["created_at"], differs))
    return tuple(out)


def _unique(col: pa.ChunkedArray) -> list[str]:
    return [str(u) for u in pc.unique(col).to_pylist()]


def _clauses(lib: policy.Library) -> pa.Table:
    rows = [
        (p.id, c.id, p.meta.name, c.ref.text(), c.title, c.once)
        for p in lib.policies.values()
        for c in p.clauses
    ]
    return pa.table(
        {
            "policy_id": pa.array([r[0] for r in rows], pa.string()),
            "clause_id": pa.array([r[1] for r in rows], pa.string()),
            "policy_name": pa.array([r[2] for r in rows], pa.string()),
            "clause_ref": pa.array([r[3] for r in rows], pa.string()),
            "clause_title": pa.array([r[4] for r in rows], pa.string()),
            "once": pa.array([r[5] for r in rows], pa.bool_()),
        }
    )
