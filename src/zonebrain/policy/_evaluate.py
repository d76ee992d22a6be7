"""Evaluating policies: the compiled query per policy, then statuses, amounts and traces in Arrow.

Per enterprise × clause: ``status`` is ``eligible`` (the conditions hold), ``ineligible`` (they
fail, or a one-time award was already paid), ``undetermined`` (待核实: a needed fact is missing;
``missing_fields`` names it) or ``superseded`` (a group kept a higher award). Everything after
the query is vectorised over Arrow/numpy columns; amounts are exact integer fen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy import _amounts
from zonebrain.policy._compile import Compiler, fact_label
from zonebrain.policy._format import Clause, Family, Group, Policy, _fen, _rate
from zonebrain.policy._library import Library
from zonebrain.policy._limits import apply_limits, members
from zonebrain.policy._trace import (
    SEP,
    SHAPE_FORMAT,
    cat,
    escape,
    expand,
    join_nonnull,
    json_text,
    lit,
    result_codes,
)
from zonebrain.storage import Warehouse

RESULT_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("policy_id", pa.string()),
        ("clause_id", pa.string()),
        ("status", pa.string()),
        ("amount_fen", pa.int64()),
        ("missing_fields", pa.string()),
        ("trace", pa.string()),
    ]
)
PAID_SCHEMA = pa.schema([("uscc", pa.string()), ("policy_id", pa.string()), ("clause_id", pa.string())])


class PaymentHistory(Protocol):
    """What one-time awards consult: the (uscc, policy_id, clause_id) already paid in any period.

    The payment ledger of the app store (issue 6, point 4) will implement this with its
    idempotency key uscc × policy × clause × period; until then :class:`NoPayments` is the default.
    """

    def paid(self) -> pa.Table: ...


class NoPayments:
    """No payment has been made yet (the default until the ledger exists)."""

    def paid(self) -> pa.Table:
        return PAID_SCHEMA.empty_table()


class PaidList:
    """A fixed list of paid awards (tests, or an export of the ledger)."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self._rows = rows

    def paid(self) -> pa.Table:
        cols = [[r[i] for r in self._rows] for i in range(3)]
        return pa.table([pa.array(c, pa.string()) for c in cols], schema=PAID_SCHEMA)


def parameter_values(policy: Policy, day: dt.date, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of *policy* in force on *day*, with ``policy_id.name`` overrides applied."""
    out: dict[str, Any] = {}
    for name, p in policy.parameters.items():
        key = f"{policy.id}.{name}"
        if key in overrides:
            raw = overrides[key]
            out[name] = _fen(raw) if p.kind == "amount" else _rate(raw)
        else:
            out[name] = p.at(day)
    return out


_STATUS_TEXT = pa.array(["ineligible", "eligible", "undetermined"], pa.string())

COLUMNS_SCHEMA = pa.schema([f for f in RESULT_SCHEMA if f.name != "trace"])
"""The result columns before the traces are joined (the trace is built last, see :class:`Evaluation`)."""


class _Shape:
    """One clause's trace as it is built: constant texts interleaved with fills (see
    :func:`~zonebrain.policy._trace.expand`), and the per-row columns the fills read."""

    def __init__(self) -> None:
        self.text: list[str] = [""]
        self.fill: list[tuple[str, int]] = []
        self.results: list[np.ndarray] = []
        """Per result fill, its codes (0 false, 1 true, 2 unknown): the digits of field 0."""
        self.fields: list[tuple[pa.Array, bool]] = []
        """Fields 1…: a value's JSON text (null: empty) and whether it may hold any text (escaped)."""
        self._field_of: dict[str, int] = {}

    def const(self, text: str) -> None:
        self.text[-1] += text

    def _put(self, kind: str, i: int) -> None:
        self.fill.append((kind, i))
        self.text.append("")

    def result(self, codes: np.ndarray) -> None:
        self._put("r", len(self.results))
        self.results.append(codes)

    def value(self, key: str, make: Any, text: bool) -> None:
        """A per-row value (JSON text, null as ``null``); values with the same *key* share a field."""
        if key not in self._field_of:
            self.fields.append((make(), text))
            self._field_of[key] = len(self.fields)
        self._put("v", self._field_of[key])


class _Values:
    """Each leaf's value (JSON text) and result (codes), computed once per policy, shared by its clauses."""

    def __init__(self, data: pa.Table) -> None:
        self.data = data
        self._values: dict[str, pa.Array] = {}
        self._codes: dict[str, np.ndarray] = {}

    def value(self, shape: _Shape, leaf: Any) -> None:
        if not leaf.field:
            shape.const("null")
            return
        key = f"{leaf.field}|{leaf.text_value}"  # leaves on the same fact share its column's text
        if key not in self._values:
            self._values[key] = json_text(self.data[f"v{leaf.index}"].combine_chunks(), leaf.text_value)
        shape.value(key, lambda: self._values[key], bool(leaf.text_value))

    def result(self, shape: _Shape, column: str) -> None:
        if column not in self._codes:
            col = self.data[column].combine_chunks()
            self._codes[column] = np.asarray(pc.fill_null(pc.cast(col, pa.int8()), 2), dtype=np.uint8)
        shape.result(self._codes[column])


@dataclass
class Block:
    """One clause's rows: the result columns, and its trace as a :class:`_Shape` (constants and
    per-row fields) that is joined once, after the groups, into the stored or the full text."""

    name: str
    """``policy/clause``."""
    columns: pa.Table
    shape: _Shape
    ledger: pa.Array | None
    """Per row, the payment ledger's note (``""``: none); None: no row has one."""


def _clause_block(
    policy: Policy,
    clause: Clause,
    data: pa.Table,
    values: _Values,
    leaves: list[Any],
    params: dict[str, Any],
    period: int,
    paid: pa.Table,
) -> Block:
    n = data.num_rows
    uscc = data["uscc"].combine_chunks()
    ok = data[f"ok__{clause.id}"].combine_chunks()
    status = _STATUS_TEXT.take(pc.fill_null(pc.cast(ok, pa.int8()), 2))  # true, false, unknown
    first_of_field = {leaf.field: leaf for leaf in reversed(leaves) if leaf.field is not None}
    named = [leaf for leaf in leaves if leaf.field is not None and first_of_field[leaf.field] is leaf]
    a = clause.amount
    base_label = fact_label(a.of, a.year, period) if a.of else None
    if base_label is not None and base_label in first_of_field:
        base_label_missing: str | None = None  # already named by a condition on the same fact
    else:
        base_label_missing = base_label
    base_np = None
    base = None
    if a.of is not None:
        base = data[f"base__{clause.id}"].combine_chunks()
        no_base = pc.and_(pc.equal(status, "eligible"), pc.is_null(base))
        status = pc.if_else(no_base, "undetermined", status)
        base_np = np.asarray(pc.fill_null(base, 0), dtype=np.int64)
    # missing_fields, for the undetermined rows only (the others' is null)
    undetermined = np.flatnonzero(np.asarray(pc.equal(status, "undetermined"), dtype=bool))
    missing = pa.nulls(n, pa.string())
    if undetermined.size and (named or (base is not None and base_label_missing is not None)):
        at = pa.array(undetermined)
        nothing = pa.scalar(None, pa.string())
        parts = [
            pc.if_else(pc.is_null(data[f"v{leaf.index}"].take(at)), leaf.field, nothing) for leaf in named
        ]
        if base is not None and base_label_missing is not None:
            parts.append(pc.if_else(pc.is_null(base.take(at)), base_label_missing, nothing))
        mask = np.zeros(n, dtype=bool)
        mask[undetermined] = True
        missing = pc.replace_with_mask(missing, pa.array(mask), _flat(join_nonnull(parts, ",")))
    ledger: pa.Array | None = None
    if clause.once:
        mine = paid.filter(
            pc.and_(pc.equal(paid["policy_id"], policy.id), pc.equal(paid["clause_id"], clause.id))
        )
        was_paid = pc.is_in(uscc, value_set=mine["uscc"].combine_chunks())
        status = pc.if_else(pc.and_(was_paid, pc.equal(status, "eligible")), "ineligible", status)
        if mine.num_rows:
            ledger = pc.fill_null(
                pc.if_else(
                    was_paid, ',"ledger":"already paid (one-time award)"', pa.scalar(None, pa.string())
                ),
                "",
            )
    rate: Fraction | None = a.rate if a.rate is not None else (params[a.rate_param] if a.rate_param else None)
    cap = a.cap if a.cap is not None else (params[a.cap_param] if a.cap_param else None)
    fen = _amounts.compute(a, base_np if base_np is not None else np.zeros(n, np.int64), rate, cap)
    eligible = pc.equal(status, "eligible")
    amount = pc.if_else(eligible, pa.array(fen, pa.int64()), pa.scalar(None, pa.int64()))
    rule = _amounts.describe(a, rate, cap, base_label)
    shape = _Shape()
    shape.const(
        '{"policy":' + lit(policy.id) + ',"clause":' + lit(clause.id) + ',"ref":' + lit(clause.ref.text())
        + ',"period":' + str(period) + ',"conditions":['
    )  # fmt: skip
    for k, leaf in enumerate(leaves):
        shape.const(
            ("," if k else "") + '{"ref":' + lit(leaf.ref) + ',"test":' + lit(leaf.test) + ',"value":'
        )
        values.value(shape, leaf)
        shape.const(',"result":')
        values.result(shape, f"c{leaf.index}")
        shape.const("}")
    shape.const('],"subject_and_exclusions":')
    values.result(shape, "fam")
    shape.const(',"clause_conditions":')
    values.result(shape, f"when__{clause.id}")
    shape.const(',"amount":{"ref":' + lit(a.ref.text()) + ',"rule":' + lit(rule) + ',"base":')
    if a.of:
        shape.value("base", lambda: json_text(data[f"base__{clause.id}"].combine_chunks(), False), False)
    else:
        shape.const("null")
    shape.const(',"fen":')
    shape.value("fen", lambda: amount.cast(pa.string()), False)
    shape.const("}")
    columns = pa.table(
        {
            "uscc": uscc,
            "policy_id": pa.repeat(pa.scalar(policy.id, pa.string()), n),
            "clause_id": pa.repeat(pa.scalar(clause.id, pa.string()), n),
            "status": status,
            "amount_fen": amount,
            "missing_fields": missing,
        },
        schema=COLUMNS_SCHEMA,
    )
    return Block(f"{policy.id}/{clause.id}", columns, shape, ledger)


def evaluate_policy(
    wh: Warehouse,
    policy: Policy,
    family: Family | None,
    period: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    paid: pa.Table | None = None,
    only: Sequence[str] | None = None,
) -> list[Block]:
    """One policy's rows, one block per clause (traces not yet joined: groups may still add to them)."""
    params = parameter_values(policy, dt.date(period, 12, 31), overrides or {})
    compiler = Compiler(wh, policy, family, period, params)
    compiler.only = None if only is None else list(only)
    query, per_clause = compiler.query()
    data = wh.to_arrow(query)
    paid = paid if paid is not None else PAID_SCHEMA.empty_table()
    values = _Values(data)
    return [
        _clause_block(policy, c, data, values, per_clause[c.id], params, period, paid) for c in policy.clauses
    ]


SHAPES_SCHEMA = pa.schema([("policy_id", pa.string()), ("clause_id", pa.string()), ("shape", pa.string())])


@dataclass
class Evaluation:
    """Every result row: the columns with groups, caps and pools applied, and the traces on demand.

    A trace is stored as its clause's *shape* (the text every enterprise shares, :meth:`shapes`)
    and, per row, only what varies (:meth:`stored`: the result digits, the values, the amount's
    base and fen, the notes); :meth:`traces` gives the full JSON text (about 2 KB per row) for a
    range of rows, so a run can write or return it in chunks without holding all of it at once.
    """

    blocks: list[Block]
    columns: pa.Table
    extra: pa.Array
    """Per row, the group, cap and budget notes appended to the trace (null: none)."""

    @property
    def num_rows(self) -> int:
        return int(self.columns.num_rows)

    def shapes(self) -> pa.Table:
        """Per clause (``policy_id``, ``clause_id``), its trace shape (JSON, see ``_trace.expand``)."""
        rows = [(*b.name.split("/", 1), _shape_text(b.shape)) for b in self.blocks]
        return pa.table([pa.array([r[i] for r in rows], pa.string()) for i in range(3)], schema=SHAPES_SCHEMA)

    def _ranges(self, start: int, stop: int | None) -> list[tuple[Block, int, int, int]]:
        """(block, row in block, row in the run, count) of the blocks rows ``[start, stop)`` cross."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        out = []
        offset = 0
        for block in self.blocks:
            m = block.columns.num_rows
            lo, hi = max(start, offset), min(stop, offset + m)
            if lo < hi:
                out.append((block, lo - offset, lo, hi - lo))
            offset += m
        return out

    def _stored(self, block: Block, at: int, lo: int, count: int) -> pa.Array:
        shape = block.shape
        codes = np.stack([c[at : at + count] for c in shape.results], axis=1)
        parts: list[pa.Array | str] = [result_codes(codes)]
        for values, text in shape.fields:
            part = pc.fill_null(values.slice(at, count), "")
            parts += [SEP, escape(part) if text else part]
        tail = pc.fill_null(self.extra.slice(lo, count), "")
        if block.ledger is not None:
            tail = cat(block.ledger.slice(at, count), tail)
        return cat(*parts, SEP, escape(tail))

    def stored(self, start: int = 0, stop: int | None = None) -> pa.ChunkedArray:
        """The stored (compact) trace of rows ``[start, stop)``: about 100 bytes instead of 2 KB."""
        got = [self._stored(b, at, lo, count) for b, at, lo, count in self._ranges(start, stop)]
        return pa.chunked_array(got, pa.string())

    def traces(self, start: int = 0, stop: int | None = None) -> pa.ChunkedArray:
        """The full trace text of rows ``[start, stop)`` (one chunk per clause), expanded from the
        stored form exactly as :func:`~zonebrain.policy.load_results` expands it."""
        status = self.columns["status"]
        out = []
        for block, at, lo, count in self._ranges(start, stop):
            stored = self._stored(block, at, lo, count)
            out.append(expand(_shape_text(block.shape), stored, _flat(status.slice(lo, count))))
        return pa.chunked_array(out, pa.string())

    def table(
        self, start: int = 0, stop: int | None = None, *, trace: bool = True, stored: bool = False
    ) -> pa.Table:
        """Rows ``[start, stop)`` in :data:`RESULT_SCHEMA` (``trace=False``: the trace column is null;
        ``stored=True``: the stored form instead of the full text)."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        cols = self.columns.slice(start, stop - start)
        if not trace:
            text: pa.Array | pa.ChunkedArray = pa.nulls(stop - start, pa.string())
        else:
            text = self.stored(start, stop) if stored else self.traces(start, stop)
        return cols.append_column("trace", text).cast(RESULT_SCHEMA)


def _shape_text(shape: _Shape) -> str:
    """The shape as stored: the constants and fills, then the notes (last field) and the status."""
    text = [*shape.text, ',"status":"', '"}']
    fields = len(shape.fields) + 2
    fill = [*shape.fill, ("t", fields - 1), ("s", 0)]
    return json.dumps(
        {"format": SHAPE_FORMAT, "fields": fields, "results": len(shape.results), "text": text, "fill": fill},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _members(group: Group, lib: Library) -> list[tuple[str, str]]:
    return [(n.partition("/")[0], n.partition("/")[2]) for n in members(group.members, lib)]


def _applies(group: Group, lib: Library) -> bool:
    for m in group.members:
        p = lib.policies.get(m.partition("/")[0])
        if p is None:
            continue
        for key, want in group.applies_if.items():
            if key in p.interpretations and p.interpretations[key] != want:
                return False
    return True


def apply_groups(
    results: pa.Table, lib: Library, blocks: Sequence[tuple[str, int]]
) -> tuple[pa.Table, pa.Array]:
    """从高从优、不重复享受 (groups), then per-enterprise caps and budget pools (see ``_limits``).

    In each group keep each enterprise's highest eligible award.

    Ties go to the member listed first. The dropped rows become ``superseded`` (amount null) and
    their trace names the kept award; the kept row's trace names the awards it replaced.
    *blocks* are the ``policy/clause`` names of the consecutive row blocks and their sizes (each
    clause's rows come together). Returns the columns with the new statuses and amounts, and per
    row the notes for its trace (null: none). Only the rows of a group's members that are eligible
    are visited one by one; the whole-table steps are integer numpy.
    """
    n = results.num_rows
    groups = [g for f in lib.families.values() for g in f.groups if _applies(g, lib)]
    sizes = [size for _, size in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
    block_names = np.array([name for name, _ in blocks] or [""], dtype=object)

    def per_block(column: str) -> list[pa.Array]:  # each clause's rows (one chunk each: not copied)
        return [_flat(results[column].slice(offsets[i], size)) for i, size in enumerate(sizes)]

    usccs, statuses, amounts = per_block("uscc"), per_block("status"), per_block("amount_fen")
    eligible = np.zeros(n, dtype=bool)
    for i, st in enumerate(statuses):
        eligible[offsets[i] : offsets[i + 1]] = np.asarray(pc.fill_null(pc.equal(st, "eligible"), False))
    dropped = np.zeros(n, dtype=bool)
    notes: list[tuple[np.ndarray, pa.Array]] = []
    for g in groups:
        members = _members(g, lib)
        if len(members) < 2:
            continue
        order = {f"{p}/{c}": i for i, (p, c) in enumerate(members)}
        parts = [(i, order[name]) for i, (name, _) in enumerate(blocks) if name in order]
        at = [np.flatnonzero(eligible[offsets[i] : offsets[i + 1]]) for i, _ in parts]
        if not sum(len(a) for a in at):
            continue
        idx = np.concatenate([offsets[i] + a for (i, _), a in zip(parts, at, strict=True)])
        blk = np.concatenate([np.full(len(a), i, np.int64) for (i, _), a in zip(parts, at, strict=True)])
        rk = np.concatenate([np.full(len(a), r, np.int64) for (_, r), a in zip(parts, at, strict=True)])
        us = pa.concat_arrays([usccs[i].take(pa.array(a)) for (i, _), a in zip(parts, at, strict=True)])
        am = np.concatenate(
            [
                np.asarray(amounts[i].take(pa.array(a)), dtype=np.int64)
                for (i, _), a in zip(parts, at, strict=True)
            ]
        )
        code = np.asarray(pc.dictionary_encode(us).indices, dtype=np.int64)  # one integer per enterprise
        sort = np.lexsort((rk, -am, code))
        first = np.ones(sort.size, dtype=bool)
        first[1:] = code[sort][1:] != code[sort][:-1]
        winner_of = np.maximum.accumulate(np.where(first, np.arange(sort.size), 0))
        keep_rows, drop_rows = idx[sort][first], idx[sort][~first]
        kept_name = pa.array(block_names[blk[sort][winner_of][~first]].astype(str), pa.string())
        us_sorted = us.take(pa.array(sort))
        drops = pa.table(
            {
                "u": us_sorted.filter(pa.array(~first)),
                "name": pa.array(block_names[blk[sort][~first]].astype(str), pa.string()),
            }
        )
        drops = drops.sort_by([("u", "ascending"), ("name", "ascending")])
        lists = drops.group_by("u", use_threads=False).aggregate([("name", "list")])
        lists = pa.table({"u": lists["u"], "names": pc.binary_join(lists["name_list"], ",")})
        winners = pa.table({"u": us_sorted.filter(pa.array(first)), "i": keep_rows})
        joined = winners.join(lists, "u", join_type="inner", use_threads=False)
        head = cat(',"group":', lit(g.id), ',"group_ref":', lit(g.ref.text()))
        notes.append((drop_rows, cat(head, ',"superseded_by":"', kept_name, '"')))
        notes.append(
            (np.asarray(joined["i"], dtype=np.int64), cat(head, ',"kept_over":"', joined["names"], '"'))
        )
        dropped[drop_rows] = True
        eligible[drop_rows] = False
    for i in range(len(sizes)):  # only the clauses with superseded rows are rewritten
        mine = dropped[offsets[i] : offsets[i + 1]]
        if mine.any():
            mask = pa.array(mine)
            statuses[i] = pc.if_else(mask, "superseded", statuses[i])
            amounts[i] = pc.if_else(mask, pa.scalar(None, pa.int64()), amounts[i])
    status: pa.Array | pa.ChunkedArray = pa.chunked_array(statuses, pa.string())
    amount: pa.Array | pa.ChunkedArray = pa.chunked_array(amounts, pa.int64())
    if any(f.enterprise_cap is not None or f.budget is not None for f in lib.families.values()):
        names = pa.chunked_array(
            [pa.repeat(pa.scalar(name, pa.string()), size) for name, size in blocks], pa.string()
        )
        amount, limit_notes = apply_limits(
            lib, results["uscc"].combine_chunks(), _flat(names), _flat(status), _flat(amount)
        )
        notes += limit_notes
    return results.set_column(3, "status", status).set_column(4, "amount_fen", amount), _gather(n, notes)


def _flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array (a single chunk is taken as it is, not copied)."""
    if isinstance(a, pa.ChunkedArray):
        return a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()
    return a


def _gather(n: int, notes: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Per row, its notes' texts concatenated in the order they were made (null: none)."""
    out = pa.nulls(n, pa.string())
    if not notes or not sum(len(rows) for rows, _ in notes):
        return out
    rows = np.concatenate([r for r, _ in notes]).astype(np.int64)
    text = pa.concat_arrays([_flat(t).cast(pa.string()) for _, t in notes])
    order = np.lexsort((np.arange(rows.size), rows))  # by row, then the order the notes were made
    rows, text = rows[order], text.take(pa.array(order))
    first = np.ones(rows.size, dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    slot = np.cumsum(first) - 1  # each note's row among the rows with notes
    nth = np.arange(rows.size) - np.flatnonzero(first)[slot]  # 0 for a row's first note, 1 …
    joined = text.filter(pa.array(first))
    for k in range(1, int(nth.max()) + 1):
        at = np.flatnonzero(nth == k)
        mask = np.zeros(len(joined), dtype=bool)
        mask[slot[at]] = True
        longer = cat(joined.take(pa.array(slot[at])), text.take(pa.array(at)))
        joined = pc.replace_with_mask(joined, pa.array(mask), longer)
    mask = np.zeros(n, dtype=bool)
    mask[rows[first]] = True
    return pc.replace_with_mask(out, pa.array(mask), joined)


def evaluate_all(
    wh: Warehouse,
    lib: Library,
    period: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    history: PaymentHistory | None = None,
    only: Sequence[str] | None = None,
) -> Evaluation:
    """Every policy of *lib* for every enterprise, groups applied; traces joined on demand."""
    paid = (history or NoPayments()).paid()
    blocks = [
        b
        for p in lib.policies.values()
        for b in evaluate_policy(
            wh, p, lib.families.get(p.family or ""), period, overrides=overrides, paid=paid, only=only
        )
    ]
    columns = pa.concat_tables([b.columns for b in blocks]) if blocks else COLUMNS_SCHEMA.empty_table()
    columns, extra = apply_groups(columns, lib, [(b.name, b.columns.num_rows) for b in blocks])
    return Evaluation(blocks, columns, extra)


def evaluate(
    wh: Warehouse,
    lib: Library,
    period: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    history: PaymentHistory | None = None,
    only: Sequence[str] | None = None,
) -> pa.Table:
    """Every policy of *lib* for every enterprise (or the *only* ones), groups applied.

    Rows are ordered by policy (library order), clause (file order), then uscc — the same on every
    engine. Traces do not repeat condition labels (they are in the policy files; ``explain`` shows them).
    """
    return evaluate_all(wh, lib, period, overrides=overrides, history=history, only=only).table()
