"""What a run's traces say beyond statuses and amounts, read without building a full trace.

What-if needs two things from the traces: a recorded run's period, and the notes (group, cap,
budget pool) of the rows a pool cut, whose ``"budget"`` note holds the amount requested before the
pool. Both are read from the compact forms, never from expanded text (about 2 KB per row):

* the period from the run's trace shapes (each shape's constant text holds ``"period":2024``);
* a recorded run's notes from the last field of its stored traces (fields separated by
  :data:`~zonebrain.policy._trace.SEP`, the notes escaped), fetched only for the eligible rows
  of the clauses asked for; a fresh evaluation's notes are its ``extra`` column.

A run recorded before trace shapes existed stores the full text: its trace gives the period, and
stands for the notes as a whole (the budget note is found in it the same way).

What-if against a recorded run also needs the payments that run saw: the one-time awards whose
stored trace carries the ledger note (it is stored unescaped, in every trace form).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Sequence
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy._evaluate import _LEDGER_NOTE, PAID_SCHEMA, Evaluation
from zonebrain.policy._library import Library
from zonebrain.policy._run import trace_shapes
from zonebrain.policy._store import results_table
from zonebrain.policy._trace import SEP, flat, unescape
from zonebrain.storage import Warehouse

KEYS = ["uscc", "policy_id", "clause_id"]
NOTES_SCHEMA = pa.schema([*((k, pa.string()) for k in KEYS), ("notes", pa.string())])
"""Per enterprise × clause with notes: its keys and the notes' text (JSON members, each after a comma)."""
_PERIOD = re.compile(r'"period":(\d+)')
_LAST_FIELD = f"{SEP}(?P<notes>[^{SEP}]*)$"


def run_period(wh: Warehouse, run_id: str) -> int | None:
    """The period assessed by the recorded run *run_id* (None: the run has no trace to say).

    Read from the run's trace shapes; a run recorded before shapes existed has full texts, and
    its first stored one (every row of a run has the same period) is read instead.
    """
    for shape in trace_shapes(wh, run_id).values():
        found = _PERIOD.search("".join(json.loads(shape)["text"]))
        if found:
            return int(found.group(1))
    t = results_table(wh)
    first = wh.to_arrow(t.filter(t.run_id == run_id).select("trace").limit(1))
    text = first["trace"][0].as_py() if first.num_rows else None
    found = _PERIOD.search(text) if text else None
    return int(found.group(1)) if found else None


def evaluation_notes(ev: Evaluation) -> pa.Table:
    """The rows of *ev* that have notes, as :data:`NOTES_SCHEMA` (no trace is built)."""
    columns, extra = ev.columns, ev.extra
    cols: dict[str, pa.Array | pa.ChunkedArray] = {k: columns[k] for k in KEYS}
    notes = pa.table({**cols, "notes": extra}, schema=NOTES_SCHEMA)
    return notes.filter(pc.is_valid(extra))


def recorded_notes(wh: Warehouse, run_id: str, names: Sequence[str]) -> pa.Table:
    """The eligible rows of the clauses *names* (``policy/clause``) in the recorded run *run_id*,
    with their notes, as :data:`NOTES_SCHEMA`: the last field of each stored trace, unescaped (a
    row whose clause has no shape, recorded before shapes existed: its full trace text)."""
    if not names:
        return NOTES_SCHEMA.empty_table()
    by_policy: dict[str, list[str]] = {}
    for name in names:
        pid, _, cid = name.partition("/")
        by_policy.setdefault(pid, []).append(cid)
    t = results_table(wh)
    wanted = reduce(operator.or_, [(t.policy_id == p) & t.clause_id.isin(c) for p, c in by_policy.items()])
    expr = t.filter(t.run_id == run_id, t.status == "eligible", wanted).select(*KEYS, "trace")
    got = wh.to_arrow(expr)
    trace = flat(got["trace"]).cast(pa.string())
    shapes = trace_shapes(wh, run_id)
    if shapes and got.num_rows:
        shaped = pc.is_in(
            pc.binary_join_element_wise(got["policy_id"], got["clause_id"], "/"),
            value_set=pa.array([f"{p}/{c}" for p, c in shapes], pa.string()),
        )
        last = pc.struct_field(pc.extract_regex(trace, _LAST_FIELD), "notes")
        trace = flat(pc.if_else(shaped, unescape(flat(last)), trace))
    return pa.table({**{k: got[k] for k in KEYS}, "notes": trace}).cast(NOTES_SCHEMA)


class RecordedPayments:
    """The ``PaymentHistory`` a recorded run saw: the one-time awards its traces mark as already
    paid. What-if compares a scenario with that run under the same payments, so a payment made
    since the run does not show up as a loss caused by the change."""

    def __init__(self, wh: Warehouse, lib: Library, run_id: str) -> None:
        self._wh, self._lib, self._run_id = wh, lib, run_id

    def paid(self) -> pa.Table:
        once = [(p.id, c.id) for p in self._lib.policies.values() for c in p.clauses if c.once]
        if not once:
            return PAID_SCHEMA.empty_table()
        t = results_table(self._wh)
        wanted = reduce(operator.or_, [(t.policy_id == p) & (t.clause_id == c) for p, c in once])
        note = _LEDGER_NOTE.lstrip(",")
        expr = t.filter(t.run_id == self._run_id, wanted, t.trace.contains(note)).select(*KEYS)
        return self._wh.to_arrow(expr).cast(PAID_SCHEMA)
