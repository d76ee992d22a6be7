"""Evaluating policies: one query for every enterprise × clause, statuses, amounts and traces included.

Per enterprise × clause: ``status`` is ``eligible`` (the conditions hold), ``ineligible`` (they
fail, or a one-time award was already paid), ``undetermined`` (待核实: a needed fact is missing;
``missing_fields`` names it) or ``superseded`` (a group kept a higher award). The engine computes
the statuses, the exact integer-fen amounts, the missing fields and each row's stored trace;
groups, per-enterprise caps and budget pools are applied in numpy to the few eligible rows they
concern and joined back (see :func:`evaluate_all`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy import _amounts
from zonebrain.policy._compile import Compiler, column, fact_label
from zonebrain.policy._format import Clause, Family, Group, Policy, _fen, _rate
from zonebrain.policy._library import Library
from zonebrain.policy._limits import apply_limits, members
from zonebrain.policy._trace import ESC, SEP, SHAPE_FORMAT, cat, expand_traces, flat, lit
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


COLUMNS_SCHEMA = pa.schema([f for f in RESULT_SCHEMA if f.name != "trace"])
"""The result columns without the trace."""

_LEDGER_NOTE = ',"ledger":"already paid (one-time award)"'


_DIGITS_PER_NUMBER = 18
"""Result digits packed into one int64 before turning into text (10**18 < 2**63)."""


def _digits(results: Sequence[ir.BooleanValue]) -> ir.StringValue:
    """Three-valued results as digits (0 false, 1 true, 2 unknown), one per result: computed as
    integers (``1`` followed by the digits, so leading zeros survive) and cast to text once per 18
    results: far cheaper for an engine than a string per result, concatenated."""
    parts: list[ir.StringValue | str] = []
    for at in range(0, len(results), _DIGITS_PER_NUMBER):
        chunk = results[at : at + _DIGITS_PER_NUMBER]
        number: Any = ibis.literal(10 ** len(chunk), "int64")
        for i, r in enumerate(chunk):
            code = ibis.cases((r.isnull(), 2), (r, 1), else_=0).cast("int64")
            number = number + code * ibis.literal(10 ** (len(chunk) - 1 - i), "int64")
        parts.append(number.cast("string").substr(1))
    return _concat(parts) if parts else ibis.literal("")


def _escaped(text: ir.StringValue) -> ir.StringValue:
    """The SQL twin of :func:`~zonebrain.policy._trace.escape`: free of the field separator."""
    return text.replace(ESC, ESC + "0").replace(SEP, ESC + "1")


def _json_field(value: ir.Value, text: bool) -> ir.StringValue:
    """A value as its stored field: JSON text (text quoted and escaped, then made separator-free),
    empty when null."""
    s = value.cast("string")
    if text:
        s = _escaped('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return s.fill_null("")


def _concat(parts: Sequence[ir.StringValue | str]) -> ir.StringValue:
    """The parts (none null) joined: one ``concat_ws('', …)`` call on every engine, not a chain of
    ``||`` that builds every intermediate string (five times slower on DuckDB at 10M rows)."""
    if len(parts) == 1:
        return parts[0] if not isinstance(parts[0], str) else ibis.literal(parts[0])
    return ibis.literal("").join(list(parts))


class _Shape:
    """One clause's trace as it is built: constant texts interleaved with fills (see
    :func:`~zonebrain.policy._trace.expand`), and the per-row expressions the fills read."""

    def __init__(self) -> None:
        self.text: list[str] = [""]
        self.fill: list[tuple[str, int]] = []
        self.results: list[ir.BooleanValue] = []
        """Per result fill, its three-valued expression: the digits of field 0."""
        self.fields: list[ir.StringValue] = []
        """Fields 1…: a value's stored text (empty: null)."""
        self._field_of: dict[str, int] = {}

    def const(self, text: str) -> None:
        self.text[-1] += text

    def _put(self, kind: str, i: int) -> None:
        self.fill.append((kind, i))
        self.text.append("")

    def result(self, value: ir.BooleanValue) -> None:
        self._put("r", len(self.results))
        self.results.append(value)

    def value(self, key: str, field: ir.StringValue) -> None:
        """A per-row value (stored text, see :func:`_json_field`); values with the same *key* share a field."""
        if key not in self._field_of:
            self.fields.append(field)
            self._field_of[key] = len(self.fields)
        self._put("v", self._field_of[key])

    def head(self, shared_digits: ir.StringValue | None, shared: int) -> ir.StringValue:
        """The stored trace without its last field (the notes): digits, then each field. The
        first *shared* results' digits are the column *shared_digits* (the family's, computed
        once per policy)."""
        codes = _digits(self.results[shared:])
        if shared_digits is not None and shared:
            codes = _concat([shared_digits, codes])
        parts: list[ir.StringValue | str] = [codes]
        for f in self.fields:
            parts += [SEP, f]
        return _concat(parts)


def _clause_rows(
    policy: Policy,
    clause: Clause,
    data: ir.Table,
    leaves: list[Any],
    params: dict[str, Any],
    period: int,
    paid: pa.Table,
    order: int,
    shared: int,
) -> tuple[ir.Table, _Shape]:
    """One clause's rows as a query on the policy's facts query *data*: uscc, policy_id,
    clause_id, status, amount_fen (before groups), missing_fields and the stored trace up to the
    notes groups, caps and pools may add (``stored_head``: the digits, the fields and the
    ``ledger`` note); *order* is the clause's place in the library (``_o``). *data* carries
    the family's result digits (``fam_digits``, the first *shared* leaves) and each fact's stored
    text (``j_…``, see :func:`_shared_columns`)."""
    ok = data[column("ok", policy, clause.id)]
    status: Any = ibis.cases((ok.isnull(), "undetermined"), (ok, "eligible"), else_="ineligible")
    first_of_field = {leaf.field: leaf for leaf in reversed(leaves) if leaf.field is not None}
    named = [leaf for leaf in leaves if leaf.field is not None and first_of_field[leaf.field] is leaf]
    a = clause.amount
    base_label = fact_label(a.of, a.year, period) if a.of else None
    base_label_missing = None if base_label is not None and base_label in first_of_field else base_label
    base: Any = None
    if a.of is not None:
        base = data[column("base", policy, clause.id)]
        status = ibis.ifelse((status == "eligible") & base.isnull(), "undetermined", status)
    parts: list[Any] = [
        ibis.ifelse(data[f"v{leaf.index}"].isnull(), leaf.field, ibis.null("string")) for leaf in named
    ]
    if base is not None and base_label_missing is not None:
        parts.append(ibis.ifelse(base.isnull(), base_label_missing, ibis.null("string")))
    missing: Any = ibis.null("string")
    if parts:
        joined = ibis.literal(",").join(parts) if len(parts) > 1 else parts[0]
        missing = ibis.ifelse(status == "undetermined", joined.nullif(""), ibis.null("string"))
    ledger: Any = ibis.literal("")
    rate: Fraction | None = a.rate if a.rate is not None else (params[a.rate_param] if a.rate_param else None)
    cap = a.cap if a.cap is not None else (params[a.cap_param] if a.cap_param else None)
    fen = _amounts.compute_sql(a, base, rate, cap)
    paid_fen: Any = ibis.null("int64")
    if clause.once:
        mine = paid.filter(
            pc.and_(pc.equal(paid["policy_id"], policy.id), pc.equal(paid["clause_id"], clause.id))
        )
        if mine.num_rows:
            usccs = pa.table({"paid_uscc": mine["uscc"]}).combine_chunks()
            was_paid = data.uscc.isin(ibis.memtable(usccs).paid_uscc)
            # paid, and its conditions hold this period: it still counts in its 从高从优 group
            # (see apply_groups), so a lower award it beat does not come back once it is paid
            paid_fen = ibis.ifelse(was_paid & (status == "eligible"), fen, ibis.null("int64"))
            status = ibis.ifelse(was_paid & (status == "eligible"), "ineligible", status)
            ledger = ibis.ifelse(was_paid, _LEDGER_NOTE, "")
    amount = ibis.ifelse(status == "eligible", fen, ibis.null("int64")).cast("int64")
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
        if leaf.field:  # leaves on the same fact share its field
            key = f"{leaf.field}|{leaf.text_value}"
            shape.value(key, data[_field_column(leaf)])
        else:
            shape.const("null")
        shape.const(',"result":')
        shape.result(data[f"c{leaf.index}"])
        shape.const("}")
    shape.const('],"subject_and_exclusions":')
    shape.result(data["fam"])
    shape.const(',"clause_conditions":')
    shape.result(data[column("when", policy, clause.id)])
    shape.const(',"amount":{"ref":' + lit(a.ref.text()) + ',"rule":' + lit(rule) + ',"base":')
    if base is not None:
        shape.value("base", _json_field(base, False))
    else:
        shape.const("null")
    shape.const(',"fen":')
    shape.value("fen", amount.cast("string").fill_null(""))
    shape.const("}")
    rows = data.select(
        _o=ibis.literal(order, "int32"),
        uscc=data.uscc,
        policy_id=ibis.literal(policy.id, "string"),
        clause_id=ibis.literal(clause.id, "string"),
        status=status.cast("string"),
        amount_fen=amount,
        missing_fields=missing.cast("string"),
        stored_head=_concat([shape.head(data["fam_digits"] if shared else None, shared), SEP, ledger]),
        paid_fen=paid_fen.cast("int64"),
    )
    return rows, shape


def evaluate_policies(
    wh: Warehouse,
    policies: list[Policy],
    family: Family | None,
    period: int,
    *,
    order: Mapping[str, int] | None = None,
    overrides: Mapping[str, Any] | None = None,
    paid: pa.Table | None = None,
    only: Sequence[str] | None = None,
) -> tuple[list[tuple[str, ir.Table, _Shape]], ir.Table]:
    """Per clause of *policies* (of one *family*): its name, its rows (a query, see
    :func:`_clause_rows`; numbered by *order*, ``policy/clause`` → place in the library, default
    their own order) and its trace shape; and their
    facts table (one query for them all, materialised, see
    :meth:`~zonebrain.storage.Warehouse.materialize`), which the rows read."""
    day = dt.date(period, 12, 31)
    params = {p.id: parameter_values(p, day, overrides or {}) for p in policies}
    compiler = Compiler(wh, policies, family, period, params)
    compiler.only = None if only is None else list(only)
    data, per_clause, shared = compiler.query()
    data = wh.materialize(data.mutate(**_shared_columns(data, per_clause, shared)))
    paid = paid if paid is not None else PAID_SCHEMA.empty_table()
    out: list[tuple[str, ir.Table, _Shape]] = []
    for p in policies:
        for c in p.clauses:
            place = len(out) if order is None else order[f"{p.id}/{c.id}"]
            rows, shape = _clause_rows(
                p, c, data, per_clause[(p.id, c.id)], params[p.id], period, paid, place, shared
            )
            out.append((f"{p.id}/{c.id}", rows, shape))
    return out, data


def _field_column(leaf: Any) -> str:
    return f"j_{leaf.index}"


def _shared_columns(
    data: ir.Table, per_clause: dict[tuple[str, str], list[Any]], shared: int
) -> dict[str, Any]:
    """What every clause of a policy shows alike, computed once per enterprise: the family's
    result digits and, per fact leaf, its value's stored text (the first leaf on a fact gives it)."""
    cols: dict[str, Any] = {}
    leaves = [leaf for ls in per_clause.values() for leaf in ls]
    if shared:
        family = next(iter(per_clause.values()))[:shared]
        cols["fam_digits"] = _digits([data[f"c{leaf.index}"] for leaf in family])
    for leaf in leaves:
        if leaf.field and _field_column(leaf) not in cols:
            cols[_field_column(leaf)] = _json_field(data[f"v{leaf.index}"], bool(leaf.text_value))
    return cols


SHAPES_SCHEMA = pa.schema([("policy_id", pa.string()), ("clause_id", pa.string()), ("shape", pa.string())])
_OUT = ("uscc", "policy_id", "clause_id", "status", "amount_fen", "missing_fields", "trace")


class Evaluation:
    """Every result row as one query on the warehouse: statuses, amounts (groups, caps and pools
    applied), missing fields and the stored traces; run inside the engine (:meth:`rows` for an
    ``INSERT … SELECT``) or fetched once on first use (:attr:`columns`, :meth:`table` …).

    A trace is stored as its clause's *shape* (the text every enterprise shares, :meth:`shapes`)
    and, per row, only what varies (the result digits, the values, the amount's base and fen, the
    notes); :meth:`traces` gives the full JSON text (about 2 KB per row) for a range of rows.
    """

    def __init__(
        self,
        wh: Warehouse,
        query: ir.Table | None,
        names: list[str],
        shapes: list[str],
        temps: Sequence[ir.Table] = (),
    ) -> None:
        self._wh = wh
        self._query = query
        self._temps = list(temps)
        self.names = names
        """``policy/clause`` of each clause, in order (the rows' ``_o``)."""
        self._shapes = shapes
        self._data: pa.Table | None = None

    def rows(self, run_id: str) -> ir.Table:
        """The rows as ``policy_results`` stores them, for *run_id* (a query, not fetched)."""
        q = self._query
        if q is None or self._released:
            raise ValueError("nothing to write: no policy, or the evaluation was released")
        return q.select(run_id=ibis.literal(run_id, "string"), **{c: q[c] for c in _OUT})

    @property
    def data(self) -> pa.Table:
        """The rows fetched (once), ordered by clause then uscc: the result columns, the stored
        ``trace`` and ``notes`` (the group, cap and budget notes; null: none)."""
        if self._data is None:
            if self._released:
                raise ValueError("the evaluation was released before its rows were fetched")
            try:
                if self._query is None:
                    empty = RESULT_SCHEMA.append(pa.field("notes", pa.string()))
                    self._data = empty.empty_table()
                else:
                    self._data = self._wh.to_arrow(self._query.order_by(["_o", "uscc"])).drop(["_o"])
            finally:  # fetched or failed: the temporary tables are not needed any more
                self.release()
        return self._data

    _released = False

    def release(self) -> None:
        """Drop the temporary tables the query reads (the fetched rows stay); after this the
        query can no longer run (:meth:`rows`)."""
        temps, self._temps = self._temps, []
        self._released = True
        self._wh.drop_materialized(temps)

    @property
    def num_rows(self) -> int:
        return int(self.data.num_rows)

    @property
    def columns(self) -> pa.Table:
        """uscc, policy_id, clause_id, status, amount_fen, missing_fields."""
        return self.data.select(COLUMNS_SCHEMA.names).cast(COLUMNS_SCHEMA)

    @property
    def extra(self) -> pa.Array:
        """Per row, the group, cap and budget notes appended to its trace (null: none)."""
        return flat(self.data["notes"])

    def shapes(self) -> pa.Table:
        """Per clause (``policy_id``, ``clause_id``), its trace shape (JSON, see ``_trace.expand``)."""
        ids = [n.split("/", 1) for n in self.names]
        cols = [[i[0] for i in ids], [i[1] for i in ids], self._shapes]
        return pa.table([pa.array(c, pa.string()) for c in cols], schema=SHAPES_SCHEMA)

    def stored(self, start: int = 0, stop: int | None = None) -> pa.ChunkedArray:
        """The stored (compact) trace of rows ``[start, stop)``: about 75 bytes instead of 2 KB."""
        stop = self.num_rows if stop is None else min(stop, self.num_rows)
        return self.data["trace"].slice(start, stop - start)

    def traces(self, start: int = 0, stop: int | None = None) -> pa.ChunkedArray:
        """The full trace text of rows ``[start, stop)``, expanded from the stored form exactly as
        :func:`~zonebrain.policy.load_results` expands it."""
        shapes = {tuple(n.split("/", 1)): s for n, s in zip(self.names, self._shapes, strict=True)}
        got = expand_traces(self.table(start, stop, stored=True), shapes)  # type: ignore[arg-type]
        return got["trace"]

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


def _active_groups(lib: Library) -> list[tuple[Group, list[tuple[str, str]]]]:
    """The groups that apply (their interpretation holds) with at least two members, and the
    members, in order: what :func:`apply_groups` applies."""
    out = []
    for f in lib.families.values():
        for g in f.groups:
            found = _members(g, lib) if _applies(g, lib) else []
            if len(found) >= 2:
                out.append((g, found))
    return out


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
    their trace names the kept award; the kept row's trace names the awards it replaced. A one-time
    award already paid whose conditions hold this period (column ``paid_fen``, optional: its amount)
    is the group's award for the period whatever the others' amounts: it keeps its status (not
    eligible: already paid) and every other member is superseded by it, so paying it never lets the
    award it beat be paid too.
    *blocks* are the ``policy/clause`` names of the consecutive row blocks and their sizes (each
    clause's rows come together). Returns the columns with the new statuses and amounts, and per
    row the notes for its trace (null: none). Only the rows of a group's members that are eligible
    are visited one by one; the whole-table steps are integer numpy.
    """
    n = results.num_rows
    sizes = [size for _, size in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
    block_names = np.array([name for name, _ in blocks] or [""], dtype=object)

    def per_block(column: str) -> list[pa.Array]:  # each clause's rows (one chunk each: not copied)
        return [flat(results[column].slice(offsets[i], size)) for i, size in enumerate(sizes)]

    usccs, statuses, amounts = per_block("uscc"), per_block("status"), per_block("amount_fen")
    has_paid = "paid_fen" in results.column_names
    ranked = per_block("paid_fen") if has_paid else amounts
    eligible = np.zeros(n, dtype=bool)
    prepaid = np.zeros(n, dtype=bool)
    for i, st in enumerate(statuses):
        eligible[offsets[i] : offsets[i + 1]] = np.asarray(pc.fill_null(pc.equal(st, "eligible"), False))
        if has_paid:
            prepaid[offsets[i] : offsets[i + 1]] = np.asarray(pc.is_valid(ranked[i]))
            ranked[i] = pc.coalesce(amounts[i], ranked[i])
    competing = eligible | prepaid
    dropped = np.zeros(n, dtype=bool)
    notes: list[tuple[np.ndarray, pa.Array]] = []
    for g, listed in _active_groups(lib):
        order = {f"{p}/{c}": i for i, (p, c) in enumerate(listed)}
        parts = [(i, order[name]) for i, (name, _) in enumerate(blocks) if name in order]
        at = [np.flatnonzero(competing[offsets[i] : offsets[i + 1]]) for i, _ in parts]
        if not sum(len(a) for a in at):
            continue
        idx = np.concatenate([offsets[i] + a for (i, _), a in zip(parts, at, strict=True)])
        blk = np.concatenate([np.full(len(a), i, np.int64) for (i, _), a in zip(parts, at, strict=True)])
        rk = np.concatenate([np.full(len(a), r, np.int64) for (_, r), a in zip(parts, at, strict=True)])
        us = pa.concat_arrays([usccs[i].take(pa.array(a)) for (i, _), a in zip(parts, at, strict=True)])
        am = np.concatenate(
            [
                np.asarray(ranked[i].take(pa.array(a)), dtype=np.int64)
                for (i, _), a in zip(parts, at, strict=True)
            ]
        )
        code = np.asarray(pc.dictionary_encode(us).indices, dtype=np.int64)  # one integer per enterprise
        sort = np.lexsort((rk, -am, -prepaid[idx].astype(np.int64), code))  # a paid award first
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
        competing[drop_rows] = False
    dropped &= ~prepaid  # a paid award keeps its status (not eligible: already paid)
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
            lib, results["uscc"].combine_chunks(), flat(names), flat(status), flat(amount)
        )
        notes += limit_notes
    return results.set_column(3, "status", status).set_column(4, "amount_fen", amount), _gather(n, notes)


def _gather(n: int, notes: list[tuple[np.ndarray, pa.Array]]) -> pa.Array:
    """Per row, its notes' texts concatenated in the order they were made (null: none)."""
    out = pa.nulls(n, pa.string())
    if not notes or not sum(len(rows) for rows, _ in notes):
        return out
    rows = np.concatenate([r for r, _ in notes]).astype(np.int64)
    text = pa.concat_arrays([flat(t).cast(pa.string()) for _, t in notes])
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


def _reads_parameters(family: Family) -> bool:
    """A condition of the family's subject or exclusions names a ``param``: each policy then
    compiles them with its own parameter values, in its own facts query."""
    return any(leaf.param for t in [family.eligibility, *family.exclusions] for leaf in t.leaves())


def _limited(lib: Library) -> list[str]:
    """``policy/clause`` names a group, a per-enterprise cap or a budget pool may change."""
    names = [f"{p}/{c}" for _, found in _active_groups(lib) for p, c in found]
    for f in lib.families.values():
        for spec in (f.enterprise_cap, f.budget):
            if spec is not None:
                names += members(spec.members, lib)
    return sorted(set(names))


_ADJUST_SCHEMA = pa.schema(
    [("a_o", pa.int32()), ("a_uscc", pa.string()), ("a_status", pa.string()),
     ("a_amount", pa.string()), ("a_notes", pa.string())]
)  # fmt: skip
"""The changed rows, shipped to the engine as a small table: the amount as text, exact on every
engine (a nullable integer column would reach Spark through a pandas float)."""


def _adjustments(wh: Warehouse, lib: Library, rows: ir.Table, names: list[str]) -> pa.Table | None:
    """The rows groups, caps and pools change (new status, amount and trace notes), or None.

    Only the eligible rows of the clauses they name are fetched: :func:`apply_groups` reads no
    other row, and every other row keeps the status and amount the query gave it.
    """
    limited = _limited(lib)
    ords = [i for i, n in enumerate(names) if n in limited]
    if not ords:
        return None
    cols = ["uscc", "policy_id", "clause_id", "status", "amount_fen", "paid_fen"]
    sub = wh.to_arrow(
        rows.filter(((rows.status == "eligible") | rows.paid_fen.notnull()) & rows["_o"].isin(ords))
        .select("_o", *cols)
        .order_by(["_o", "uscc"])
    )
    if sub.num_rows == 0:
        return None
    o = np.asarray(sub["_o"].to_numpy(), dtype=np.int64)
    cut = np.flatnonzero(np.diff(o)) + 1
    starts = np.concatenate([[0], cut]).astype(np.int64)
    sizes = np.diff(np.concatenate([starts, [o.size]])).astype(np.int64)
    blocks = [(names[int(o[a])], int(n)) for a, n in zip(starts, sizes, strict=True)]
    after, notes = apply_groups(sub.select(cols), lib, blocks)
    changed = pc.or_(
        pc.or_(
            pc.not_equal(after["status"], sub["status"]),
            pc.fill_null(
                pc.not_equal(after["amount_fen"], sub["amount_fen"]), pc.is_valid(sub["amount_fen"])
            ),
        ),
        pc.is_valid(notes),
    )
    mask = pa.array(np.asarray(pc.fill_null(changed, False)), pa.bool_())
    if not pc.any(mask).as_py():
        return None
    return pa.table(
        [sub["_o"].filter(mask).cast(pa.int32()), sub["uscc"].filter(mask), after["status"].filter(mask),
         after["amount_fen"].filter(mask).cast(pa.string()), notes.filter(mask)],
        schema=_ADJUST_SCHEMA,
    ).combine_chunks()  # fmt: skip


def evaluate_all(
    wh: Warehouse,
    lib: Library,
    period: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    history: PaymentHistory | None = None,
    only: Sequence[str] | None = None,
) -> Evaluation:
    """Every policy of *lib* for every enterprise as one query, groups, caps and pools applied.

    The engine evaluates every clause; only the eligible rows of the clauses a group, cap or
    pool names are fetched to apply those (exact integer arithmetic, see :func:`apply_groups`),
    and their changes are joined back into the query. Nothing else leaves the engine until the
    rows are fetched or inserted (see :class:`Evaluation`).
    """
    paid = (history or NoPayments()).paid()
    parts: list[tuple[str, ir.Table, _Shape]] = []
    temps: list[ir.Table] = []
    order = {
        f"{p.id}/{c.id}": k
        for k, (p, c) in enumerate((p, c) for p in lib.policies.values() for c in p.clauses)
    }
    # the policies of a family share one facts query, unless its conditions read parameters
    # (each policy's own values): then each policy has its own
    groups: dict[str, list[Policy]] = {}
    for p in lib.policies.values():
        fam = lib.families.get(p.family or "")
        shared = fam is not None and not _reads_parameters(fam)
        groups.setdefault(str(p.family) if shared else f"\x00{p.id}", []).append(p)
    for policies in groups.values():
        family = lib.families.get(policies[0].family or "")
        got, facts = evaluate_policies(
            wh, policies, family, period, order=order, overrides=overrides, paid=paid, only=only
        )
        parts += got
        temps.append(facts)
    parts.sort(key=lambda part: order[part[0]])  # library order: policy, then clause
    names = [n for n, _, _ in parts]
    shapes = [_shape_text(s) for _, _, s in parts]
    if not parts:
        wh.drop_materialized(temps)
        return Evaluation(wh, None, [], [])
    rows = ibis.union(*[r for _, r, _ in parts], distinct=False) if len(parts) > 1 else parts[0][1]
    try:
        adjust = _adjustments(wh, lib, rows, names)
    except BaseException:
        wh.drop_materialized(temps)
        raise
    if adjust is None:
        q = rows.mutate(notes=ibis.null("string"))
    else:
        adj = ibis.memtable(adjust)
        j = rows.left_join(adj, [rows["_o"] == adj.a_o, rows.uscc == adj.a_uscc])
        hit = j.a_o.notnull()
        q = j.select(
            _o=j["_o"], uscc=j.uscc, policy_id=j.policy_id, clause_id=j.clause_id,
            status=ibis.ifelse(hit, j.a_status, j.status),
            amount_fen=ibis.ifelse(hit, j.a_amount.cast("int64"), j.amount_fen).cast("int64"),
            missing_fields=j.missing_fields, stored_head=j.stored_head, notes=j.a_notes,
        )  # fmt: skip
    # the notes end the stored trace (escape() of a concatenation is the concatenation of the
    # escapes, and the ledger note needs none): most rows have none and pass through unchanged
    q = q.mutate(
        trace=ibis.ifelse(q.notes.isnull(), q.stored_head, _concat([q.stored_head, _escaped(q.notes)]))
    )
    return Evaluation(wh, q.select("_o", *_OUT, "notes"), names, shapes, temps)


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
