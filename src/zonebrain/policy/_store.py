"""Where a recorded run's results live, and how they are read back as one table.

A run's results are stored in four tables (schema versions 7 and 8, ADR 0009 and 0011), so that
what every clause of an enterprise shows alike is stored once per enterprise rather than once per
clause, and a plainly ineligible result (no amount, missing field or note) needs no row at all:

* ``policy_result_clauses``: per run, each clause's number and the facts group it reads;
* ``policy_result_layout``: per run and clause, where its result digits sit in the firms' digits;
* ``policy_result_firms``: per run, facts group and enterprise, its number, USCC, the family's
  result digits then every clause's own, and the values its clauses' traces show (fields 1…G of
  a stored trace);
* ``policy_result_rows``: per run, clause and enterprise whose result is not plainly ineligible,
  the status, the amount in fen and the rest of the trace's own part (its amount before groups,
  caps and pools, notes). A run recorded at version 7 has every row, each with its own digits,
  and no layout.

:func:`results_table` joins them back into the columns ``policy_results`` has always had (run_id,
uscc, policy_id, clause_id, status, amount_fen, missing_fields and the stored trace, expanded with
the run's trace shapes by :func:`~zonebrain.policy.load_results`), together with the runs recorded
in ``policy_results`` itself before version 7; every reader goes through it.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.policy._trace import SEP
from zonebrain.storage import TABLES, Warehouse

COLUMNS = ("run_id", "uscc", "policy_id", "clause_id", "status", "amount_fen", "missing_fields", "trace")
"""The columns of a run's results as every reader sees them (those of ``policy_results``)."""


def concat(parts: Sequence[ir.StringValue | str]) -> ir.StringValue:
    """The parts (none null) joined: one ``concat_ws('', …)`` call on every engine, not a chain of
    ``||`` that builds every intermediate string (five times slower on DuckDB at 10M rows)."""
    if len(parts) == 1:
        return parts[0] if not isinstance(parts[0], str) else ibis.literal(parts[0])
    return ibis.literal("").join(list(parts))


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
    trace = concat(
        [
            j.f_digits,
            j.digits,
            j.f_fields,
            SEP,
            j.fen.cast("string").fill_null(""),
            SEP,
            j.notes.fill_null(""),
        ]
    )
    return j.select(
        run_id=j.run_id, uscc=j.uscc, policy_id=j.policy_id, clause_id=j.clause_id, status=j.status,
        amount_fen=j.amount_fen, missing_fields=j.missing_fields, trace=trace, **{k: j[k] for k in keep},
    )  # fmt: skip


def assemble_recorded(rows: ir.Table, clauses: ir.Table, layout: ir.Table, firms: ir.Table) -> ir.Table:
    """Recorded runs' tables joined into :data:`COLUMNS`, driven by the firms: each enterprise
    of a facts group meets each clause of the group, and its row when one is stored. A run with
    a layout (version 8) stores no row for a plainly ineligible result: it reads ``ineligible``
    with no amount, and every result's digits come from the firm's row at the clause's place;
    a run without one (version 7) stores every row, digits included, and reads as
    :func:`assemble` reads it."""
    lay = layout.select(l_run=layout.run_id, l_no=layout.clause_no, l_shared=layout.shared,
                        l_at=layout.digits_at, l_len=layout.digits_len)  # fmt: skip
    c = clauses.left_join(lay, [clauses.run_id == lay.l_run, clauses.clause_no == lay.l_no])
    c = c.select(
        c_run=c.run_id, c_no=c.clause_no, c_grp=c.grp, policy_id=c.policy_id, clause_id=c.clause_id,
        l_shared=c.l_shared, l_at=c.l_at, l_len=c.l_len,
    )  # fmt: skip
    f = firms.select(
        f_run=firms.run_id, f_grp=firms.grp, f_no=firms.firm_no, uscc=firms.uscc,
        f_digits=firms.digits, f_fields=firms.fields,
    )  # fmt: skip
    r = rows.select(
        r_run=rows.run_id, r_no=rows.clause_no, r_firm=rows.firm_no, status=rows.status,
        amount_fen=rows.amount_fen, fen=rows.fen, digits=rows.digits,
        missing_fields=rows.missing_fields, notes=rows.notes,
    )  # fmt: skip
    fc = f.join(c, [f.f_run == c.c_run, f.f_grp == c.c_grp])
    j = fc.left_join(r, [fc.f_run == r.r_run, fc.c_no == r.r_no, fc.f_no == r.r_firm])
    laid = j.l_at.notnull()
    family = ibis.ifelse(laid, j.f_digits.substr(0, j.l_shared), j.f_digits)
    own = ibis.ifelse(laid, j.f_digits.substr(j.l_at, j.l_len), j.digits)
    trace = concat(
        [family, own, j.f_fields, SEP, j.fen.cast("string").fill_null(""), SEP, j.notes.fill_null("")]
    )
    return j.select(
        run_id=j.f_run, uscc=j.uscc, policy_id=j.policy_id, clause_id=j.clause_id,
        status=j.status.fill_null("ineligible"), amount_fen=j.amount_fen,
        missing_fields=j.missing_fields, trace=trace,
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
        rows, clauses = wh.table("policy_result_rows"), wh.table("policy_result_clauses")
        firms = wh.table("policy_result_firms")
        if wh.schema_at_least(TABLES["policy_result_layout"].since):
            got = assemble_recorded(rows, clauses, wh.table("policy_result_layout"), firms)
        else:  # a warehouse not yet migrated, read only: every row is stored
            got = assemble(rows, clauses, firms)
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
    _PER_RUN.clear()


def run_summary(wh: Warehouse, run_id: str) -> ir.Table:
    """Per clause and status of a run: ``rows`` and the sum of ``amount_fen`` (null: none), counted
    on its stored rows and its firms' count per facts group (no row joined to its enterprise), for
    runs recorded before version 7 too. The rows a run leaves out (plainly ineligible, version 8)
    are its facts group's firms less the clause's stored rows."""
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
    c = c.filter(c.run_id == run_id)
    f = wh.table("policy_result_firms")
    f = f.filter(f.run_id == run_id)
    n = f.group_by(n_grp=f.grp).aggregate(firms=f.count())
    k = r.group_by(k_no=r.clause_no).aggregate(kept=r.count())
    left = c.join(n, c.grp == n.n_grp).left_join(k, c.clause_no == k.k_no)
    left = left.select(
        clause_no=left.clause_no, status=ibis.literal("ineligible", "string"),
        rows=(left.firms - left.kept.fill_null(0)).cast("int64"), amount_fen=ibis.null("int64"),
    )  # fmt: skip
    both = ibis.union(g.cast(left.schema()), left.filter(left.rows > 0), distinct=False)
    g = both.group_by(["clause_no", "status"]).aggregate(
        rows=both.rows.sum(), amount_fen=both.amount_fen.sum()
    )
    c = c.select(no=c.clause_no, policy_id=c.policy_id, clause_id=c.clause_id)
    j = g.join(c, g.clause_no == c.no)
    new = j.select("policy_id", "clause_id", "status", "rows", "amount_fen").cast(counted.schema())
    return ibis.union(counted, new, distinct=False) if _holds_older_runs(wh) else new


def firm_results(wh: Warehouse, run_id: str, uscc: str) -> pa.Table | None:
    """One enterprise's rows of *run_id* as :data:`COLUMNS` (stored traces), read narrowly: its
    firm rows, then the clause rows numbered as one of them, put together here. A trace page asks
    this on every request, and the three-table join of :func:`results_table` costs more to compile
    than to run: both queries are compiled once per warehouse object (:meth:`Warehouse.lookup`).
    None when the warehouse still holds runs of the older layout (read those the long way)."""
    if not wh.schema_at_least(TABLES["policy_result_rows"].since) or _holds_older_runs(wh):
        return None
    firms = wh.lookup("policy.firm_results.firms", _firm_rows, run_id, uscc).to_pylist()
    if not firms:
        return _SCHEMA.empty_table()
    by_grp = {r["grp"]: r for r in firms}
    rows = wh.lookup("policy.firm_results.rows", _clause_rows, run_id, uscc).to_pylist()

    def fetch() -> dict[int, dict[str, Any]]:
        c = wh.table("policy_result_clauses")
        got = wh.to_arrow(c.filter(c.run_id == run_id).drop("run_id")).to_pylist()
        return {x["clause_no"]: x for x in got}

    def fetch_layout() -> dict[int, dict[str, Any]]:
        if not wh.schema_at_least(TABLES["policy_result_layout"].since):
            return {}
        t = wh.table("policy_result_layout")
        got = wh.to_arrow(t.filter(t.run_id == run_id).drop("run_id")).to_pylist()
        return {x["clause_no"]: x for x in got}

    clauses = per_run(wh, run_id, "clauses", fetch)
    layout = per_run(wh, run_id, "layout", fetch_layout)
    stored = {(row["clause_no"], row["firm_no"]): row for row in rows}
    out = []
    for no, clause in sorted(clauses.items()):
        firm = by_grp.get(clause["grp"])
        if firm is None:
            continue  # the enterprise is not in this clause's facts group
        row = stored.get((no, firm["firm_no"]))
        laid = layout.get(no)
        if row is None and laid is None:
            continue  # an older run stores every row: none here, none to show
        row = row or _PLAIN
        family, own = firm["digits"], row["digits"]
        if laid is not None:
            at = laid["digits_at"]
            family, own = family[: laid["shared"]], family[at : at + laid["digits_len"]]
        fen = "" if row["fen"] is None else str(row["fen"])
        out.append(
            {
                "run_id": run_id, "uscc": uscc, "policy_id": clause["policy_id"],
                "clause_id": clause["clause_id"], "status": row["status"], "amount_fen": row["amount_fen"],
                "missing_fields": row["missing_fields"],
                "trace": f"{family}{own}{firm['fields']}{SEP}{fen}{SEP}{row['notes'] or ''}",
            }
        )  # fmt: skip
    return pa.Table.from_pylist(out, schema=_SCHEMA)


def _firm_rows(wh: Warehouse, run_id: str, uscc: str) -> ir.Table:
    """One enterprise's rows of ``policy_result_firms`` in a run (one per facts group)."""
    f = wh.table("policy_result_firms")
    return f.filter((f.run_id == run_id) & (f.uscc == uscc)).select("grp", "firm_no", "digits", "fields")


def _clause_rows(wh: Warehouse, run_id: str, uscc: str) -> ir.Table:
    """The stored clause rows of a run numbered as one of the enterprise's firm rows (a number of
    another facts group may come along; :func:`firm_results` reads each clause's by its group's)."""
    r = wh.table("policy_result_rows")
    mine = _firm_rows(wh, run_id, uscc).select(no="firm_no").distinct()
    rows = r.filter(r.run_id == run_id)
    return rows.join(mine, rows.firm_no == mine.no).select(*[c for c in rows.columns if c != "run_id"])


_PLAIN: dict[str, Any] = {
    "status": "ineligible", "amount_fen": None, "fen": None, "digits": "", "missing_fields": None, "notes": None,
}  # fmt: skip
"""A row a run with a layout leaves out: plainly ineligible."""


_SCHEMA = pa.schema([(c, pa.int64() if c == "amount_fen" else pa.string()) for c in COLUMNS])


T = TypeVar("T")

_PER_RUN: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
"""(warehouse URL, run id, what) → what :func:`per_run` fetched, for the last few runs read."""
_PER_RUN_KEPT = 32


def per_run(wh: Warehouse, run_id: str, what: str, fetch: Callable[[], T]) -> T:
    """*fetch()*, kept for the run: a recorded run's shapes and clause numbers never change (they
    are written before its ``policy_runs`` row), and one enterprise's trace page would otherwise
    spend most of its queries on them. Nothing is kept when *fetch* finds nothing (a run not yet
    recorded) or the warehouse's URL names no one database (in memory)."""
    key = (wh.url, run_id, what)
    if key in _PER_RUN:
        _PER_RUN.move_to_end(key)
        return cast(T, _PER_RUN[key])
    got = fetch()
    if got and wh.url and not wh.url.endswith(":memory:"):
        _PER_RUN[key] = got
        while len(_PER_RUN) > _PER_RUN_KEPT:
            _PER_RUN.popitem(last=False)
    return got
