"""Where a recorded run's results live, and how they are read back as one table.

A run's results are stored in three tables (schema version 7, ADR 0009), so that what every
clause of an enterprise shows alike is stored once per enterprise rather than once per clause:

* ``policy_result_clauses``: per run, each clause's number and the facts group it reads;
* ``policy_result_firms``: per run, facts group and enterprise, its number, USCC, the family's
  result digits and the values its clauses' traces show (fields 1…G of a stored trace);
* ``policy_result_rows``: per run, clause and enterprise, the status, the amount in fen and the
  trace's own part (the clause's result digits, its amount before groups, caps and pools, notes).

:func:`results_table` joins them back into the columns ``policy_results`` has always had (run_id,
uscc, policy_id, clause_id, status, amount_fen, missing_fields and the stored trace, expanded with
the run's trace shapes by :func:`~zonebrain.policy.load_results`), together with the runs recorded
in ``policy_results`` itself before version 7; every reader goes through it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from zonebrain.policy._trace import SEP
from zonebrain.storage import TABLES, Warehouse

COLUMNS = ("run_id", "uscc", "policy_id", "clause_id", "status", "amount_fen", "missing_fields", "trace")
"""The columns of a run's results as every reader sees them (those of ``policy_results``)."""


def assemble(rows: ir.Table, clauses: ir.Table, firms: ir.Table, keep: Sequence[str] = ()) -> ir.Table:
    """Rows shaped as ``policy_result_rows``, ``policy_result_clauses`` and ``policy_result_firms``
    joined into :data:`COLUMNS` (plus the row columns *keep*). The stored trace is the firm's
    digits and the clause's, the firm's fields, the amount before groups (empty: null) and the
    notes, separated by ``SEP`` as :func:`~zonebrain.policy._trace.expand` reads them."""
    c = clauses.select(
        c_run=clauses.run_id, c_no=clauses.clause_no, c_grp=clauses.grp,
        policy_id=clauses.policy_id, clause_id=clauses.clause_id,
    )  # fmt: skip
    f = firms.select(
        f_run=firms.run_id, f_grp=firms.grp, f_no=firms.firm_no, uscc=firms.uscc,
        f_digits=firms.digits, f_fields=firms.fields,
    )  # fmt: skip
    j = rows.join(c, [rows.run_id == c.c_run, rows.clause_no == c.c_no])
    j = j.join(f, [j.run_id == f.f_run, j.c_grp == f.f_grp, j.firm_no == f.f_no])
    trace = ibis.literal("").join(
        [j.f_digits, j.digits, j.f_fields, ibis.literal(SEP), j.fen.cast("string").fill_null(""),
         ibis.literal(SEP), j.notes.fill_null("")]
    )  # fmt: skip
    return j.select(
        run_id=j.run_id, uscc=j.uscc, policy_id=j.policy_id, clause_id=j.clause_id, status=j.status,
        amount_fen=j.amount_fen, missing_fields=j.missing_fields, trace=trace, **{k: j[k] for k in keep},
    )  # fmt: skip


def results_table(wh: Warehouse) -> ir.Table:
    """Every recorded run's results, one row per run × enterprise × clause, as :data:`COLUMNS`.

    The expression is built once per warehouse object (a web server's pooled connections read it
    on every request) once the warehouse is at version 7; the older table is in it only when it
    holds runs (it doubles the compile time of every read)."""
    old = wh.table("policy_results").select(*COLUMNS)
    if not wh.schema_at_least(TABLES["policy_result_rows"].since):
        return old
    got = _RESULTS.get(wh)
    if got is None:
        got = assemble(
            wh.table("policy_result_rows"), wh.table("policy_result_clauses"), wh.table("policy_result_firms")
        )
        if _holds_older_runs(wh):
            got = ibis.union(old, got, distinct=False)
        _RESULTS[wh] = got
    return got


def _holds_older_runs(wh: Warehouse) -> bool:
    """Whether ``policy_results`` holds runs (recorded before version 7), asked once per warehouse
    object: nothing writes it after version 7 (a test that rewrites history into it clears this)."""
    if wh not in _OLDER:
        t = wh.table("policy_results")
        _OLDER[wh] = bool(wh.to_arrow(t.select("run_id").limit(1)).num_rows)
    return _OLDER[wh]


_RESULTS: weakref.WeakKeyDictionary[Warehouse, ir.Table] = weakref.WeakKeyDictionary()
_OLDER: weakref.WeakKeyDictionary[Warehouse, bool] = weakref.WeakKeyDictionary()


def forget(wh: Warehouse | None = None) -> None:
    """Drop what :func:`results_table` keeps per warehouse object (all, by default): for tests
    that write runs of the older layout into ``policy_results``."""
    for kept in (_RESULTS, _OLDER):
        if wh is None:
            kept.clear()
        else:
            kept.pop(wh, None)


def run_summary(wh: Warehouse, run_id: str) -> ir.Table:
    """Per clause and status of a run: ``rows`` and the sum of ``amount_fen`` (null: none), counted
    on its rows alone (no enterprise joined), for runs recorded before version 7 too."""
    old = wh.table("policy_results")
    old = old.filter(old.run_id == run_id)
    counted = old.group_by(["policy_id", "clause_id", "status"]).aggregate(
        rows=old.count(), amount_fen=old.amount_fen.sum()
    )
    if not wh.schema_at_least(TABLES["policy_result_rows"].since):
        return counted
    r = wh.table("policy_result_rows")
    r = r.filter(r.run_id == run_id)
    g = r.group_by(["clause_no", "status"]).aggregate(rows=r.count(), amount_fen=r.amount_fen.sum())
    c = wh.table("policy_result_clauses")
    c = c.filter(c.run_id == run_id).select(no=c.clause_no, policy_id=c.policy_id, clause_id=c.clause_id)
    j = g.join(c, g.clause_no == c.no)
    new = j.select("policy_id", "clause_id", "status", "rows", "amount_fen").cast(counted.schema())
    return ibis.union(counted, new, distinct=False) if _holds_older_runs(wh) else new
