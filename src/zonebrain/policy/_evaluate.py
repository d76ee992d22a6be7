"""Evaluating policies: the compiled query per policy, then statuses, amounts and traces in Arrow.

Per enterprise × clause: ``status`` is ``eligible`` (the conditions hold), ``ineligible`` (they
fail, or a one-time award was already paid), ``undetermined`` (待核实: a needed fact is missing;
``missing_fields`` names it) or ``superseded`` (a group kept a higher award). Everything after
the query is vectorised over Arrow/numpy columns; amounts are exact integer fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy import _amounts
from zonebrain.policy._compile import Compiler, fact_label
from zonebrain.policy._format import Clause, Family, Group, Policy, _fen, _rate
from zonebrain.policy._library import Library
from zonebrain.policy._limits import apply_limits, members
from zonebrain.policy._trace import cat, join_nonnull, json_bool, json_value, lit
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

Piece: TypeAlias = pa.Array | str


def _pieces(*parts: Piece) -> list[Piece]:
    """Trace pieces with adjacent constants merged (fewer arguments to the one final join)."""
    out: list[Piece] = []
    for p in parts:
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
        elif not (isinstance(p, str) and p == ""):
            out.append(p)
    return out


@dataclass
class Block:
    """One clause's rows: the result columns, and its trace as pieces (constants and small value
    columns) that are joined once, after the groups, so the long trace text is written only once."""

    name: str
    """``policy/clause``."""
    columns: pa.Table
    pieces: list[Piece]


class _Values:
    """Each leaf's value and result as JSON text, computed once per policy and shared by its clauses."""

    def __init__(self, data: pa.Table) -> None:
        self.data = data
        self._cache: dict[str, pa.Array] = {}

    def value(self, leaf: Any) -> Piece:
        if not leaf.field:
            return "null"
        key = f"{leaf.field}|{leaf.text_value}"  # leaves on the same fact share its column's text
        if key not in self._cache:
            self._cache[key] = json_value(self.data[f"v{leaf.index}"].combine_chunks(), leaf.text_value)
        return self._cache[key]

    def result(self, column: str) -> pa.Array:
        if column not in self._cache:
            self._cache[column] = json_bool(self.data[column].combine_chunks())
        return self._cache[column]


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
    ledger: Piece = ""
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
    conds: list[Piece] = []
    for k, leaf in enumerate(leaves):
        conds += [
            ("," if k else "") + '{"ref":' + lit(leaf.ref) + ',"test":' + lit(leaf.test) + ',"value":',
            values.value(leaf), ',"result":', values.result(f"c{leaf.index}"), "}",
        ]  # fmt: skip
    base_text: Piece = json_value(data[f"base__{clause.id}"].combine_chunks(), False) if a.of else "null"
    fen_text = pc.fill_null(amount.cast(pa.string()), "null")
    rule = _amounts.describe(a, rate, cap, base_label)
    pieces = _pieces(
        '{"policy":', lit(policy.id), ',"clause":', lit(clause.id), ',"ref":', lit(clause.ref.text()),
        ',"period":', str(period), ',"conditions":[', *conds,
        '],"subject_and_exclusions":', values.result("fam"),
        ',"clause_conditions":', values.result(f"when__{clause.id}"),
        ',"amount":{"ref":', lit(a.ref.text()),
        ',"rule":', lit(rule), ',"base":', base_text, ',"fen":', fen_text, "}", ledger,
    )  # fmt: skip
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
    return Block(f"{policy.id}/{clause.id}", columns, pieces)


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


@dataclass
class Evaluation:
    """Every result row: the columns with groups, caps and pools applied, and the traces on demand.

    The trace text is by far the largest part of a run (about 2 KB per row); :meth:`traces` joins
    it for a range of rows, so a run can write it in chunks without holding all of it at once.
    """

    blocks: list[Block]
    columns: pa.Table
    extra: pa.Array
    """Per row, the group, cap and budget notes appended to the trace (null: none)."""

    @property
    def num_rows(self) -> int:
        return int(self.columns.num_rows)

    def traces(self, start: int = 0, stop: int | None = None) -> pa.ChunkedArray:
        """The trace text of rows ``[start, stop)`` (one chunk per clause: not copied again)."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        status = self.columns["status"]
        out = []
        offset = 0
        for block in self.blocks:
            m = block.columns.num_rows
            lo, hi = max(start, offset), min(stop, offset + m)
            if lo < hi:
                parts = [p if isinstance(p, str) else p.slice(lo - offset, hi - lo) for p in block.pieces]
                extra = pc.fill_null(self.extra.slice(lo, hi - lo), "")
                out.append(cat(*parts, extra, ',"status":"', _flat(status.slice(lo, hi - lo)), '"}'))
            offset += m
        return pa.chunked_array(out, pa.string())

    def table(self, start: int = 0, stop: int | None = None, *, trace: bool = True) -> pa.Table:
        """Rows ``[start, stop)`` in :data:`RESULT_SCHEMA` (``trace=False``: the trace column is null)."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        cols = self.columns.slice(start, stop - start)
        text = self.traces(start, stop) if trace else pa.nulls(stop - start, pa.string())
        return cols.append_column("trace", text).cast(RESULT_SCHEMA)


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
    status = results["status"].combine_chunks()
    amount = results["amount_fen"].combine_chunks()
    block_names = np.array([name for name, _ in blocks] or [""], dtype=object)
    code = np.repeat(np.arange(len(blocks)), [size for _, size in blocks])
    eligible = np.asarray(pc.fill_null(pc.equal(status, "eligible"), False), dtype=bool)
    dropped = np.zeros(n, dtype=bool)
    notes: list[tuple[np.ndarray, pa.Array]] = []
    for g in groups:
        members = _members(g, lib)
        if len(members) < 2:
            continue
        order = {f"{p}/{c}": i for i, (p, c) in enumerate(members)}
        block_rank = np.array([order.get(str(name), -1) for name in block_names], dtype=np.int64)
        rank = block_rank[code] if n else np.zeros(0, np.int64)
        idx = np.flatnonzero((rank >= 0) & eligible)
        if idx.size == 0:
            continue
        us = results["uscc"].take(idx).to_numpy(zero_copy_only=False).astype(str)
        am = np.asarray(amount.take(idx), dtype=np.int64)
        rk = rank[idx]
        sort = np.lexsort((rk, -am, us))
        first = np.ones(sort.size, dtype=bool)
        first[1:] = us[sort][1:] != us[sort][:-1]
        winner_of = np.maximum.accumulate(np.where(first, np.arange(sort.size), 0))
        keep_rows, drop_rows = idx[sort][first], idx[sort][~first]
        kept_name = pa.array(block_names[code[idx[sort][winner_of][~first]]].astype(str), pa.string())
        drops = pa.table(
            {"u": us[sort][~first], "name": pa.array(block_names[code[drop_rows]].astype(str), pa.string())}
        )
        drops = drops.sort_by([("u", "ascending"), ("name", "ascending")])
        lists = drops.group_by("u", use_threads=False).aggregate([("name", "list")])
        lists = pa.table({"u": lists["u"], "names": pc.binary_join(lists["name_list"], ",")})
        winners = pa.table({"u": us[sort][first], "i": keep_rows})
        joined = winners.join(lists, "u", join_type="inner", use_threads=False)
        head = cat(',"group":', lit(g.id), ',"group_ref":', lit(g.ref.text()))
        notes.append((drop_rows, cat(head, ',"superseded_by":"', kept_name, '"')))
        notes.append(
            (np.asarray(joined["i"], dtype=np.int64), cat(head, ',"kept_over":"', joined["names"], '"'))
        )
        dropped[drop_rows] = True
        eligible[drop_rows] = False
    if dropped.any():
        mask = pa.array(dropped)
        status = pc.if_else(mask, "superseded", status)
        amount = pc.if_else(mask, pa.scalar(None, pa.int64()), amount)
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
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


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
