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
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy import _amounts
from zonebrain.policy._compile import Compiler, column, fact_label
from zonebrain.policy._format import Clause, Family, Policy, _fen, _rate
from zonebrain.policy._groups import adjustments, limited
from zonebrain.policy._library import Library
from zonebrain.policy._store import assemble, concat
from zonebrain.policy._trace import ESC, SEP, SHAPE_FORMAT, expand_traces, flat, lit
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
            # true 1, false 0, unknown 2; no ``IS NULL`` on the result: Spark's parser rejects
            # ``x IN (…) IS NULL`` as sqlglot writes it once a projection is inlined
            code = r.cast("int32").fill_null(2).cast("int64")
            number = number + code * ibis.literal(10 ** (len(chunk) - 1 - i), "int64")
        parts.append(number.cast("string").substr(1))
    return concat(parts) if parts else ibis.literal("")


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


class _Facts:
    """One facts group (the policies sharing a facts query): its number, its materialised facts
    table and the values its clauses' traces show, each stored once per enterprise (fields
    1…G of every stored trace of the group, see :func:`~zonebrain.policy._store.assemble`).
    Their text, and the family's result digits, are computed on the materialised table where a
    firm's row is written (:meth:`firms`), not materialised with it: only that row shows them."""

    def __init__(self, grp: int, query: ir.Table, shared: int) -> None:
        self.grp = grp
        self.data = query
        """The facts query, then (:meth:`materialize`) its materialised table."""
        self.shared = shared
        """How many results, first in every clause's digits, are the family's."""
        self.family: list[str] = []
        """The columns of the family's results (the first :attr:`shared` of every clause's)."""
        self.fields: list[tuple[str, bool]] = []
        """Per registered value, its column and whether it is text."""
        self._field_of: dict[str, int] = {}

    def register(self, key: str, column: str, text: bool) -> None:
        """A value a trace shows (a column of the facts); the same *key*, one field."""
        if key not in self._field_of:
            self.fields.append((column, text))
            self._field_of[key] = len(self.fields)

    def field(self, key: str) -> int:
        """The field number (1…) of a registered value."""
        return self._field_of[key]

    def materialize(self, wh: Warehouse) -> None:
        """The facts query made a table."""
        self.data = wh.materialize(self.data)

    def firms(self, run_id: str, own: Sequence[ir.BooleanValue] = ()) -> ir.Table:
        """One row per enterprise, as ``policy_result_firms`` stores it: ``digits`` are the
        family's results, then *own* (each clause's own results, see :meth:`Evaluation.write`),
        as digits; ``fields`` the registered values' stored text, each after ``SEP``."""
        d = self.data
        parts: list[ir.StringValue | str] = []
        for name, text in self.fields:
            parts += [SEP, _json_field(d[name], text)]
        return d.select(
            run_id=ibis.literal(run_id, "string"),
            grp=ibis.literal(self.grp, "int32"),
            firm_no=d.firm_no,
            uscc=d.uscc,
            digits=_digits([*(d[c] for c in self.family), *own]),
            fields=concat(parts) if parts else ibis.literal("", "string"),
        )


class _Shape:
    """One clause's trace as it is built: constant texts interleaved with fills (see
    :func:`~zonebrain.policy._trace.expand`), and the per-row expressions the fills read.

    A stored trace is, fields separated by ``SEP``: the result digits (the family's, stored per
    enterprise, then the clause's own), the group's per-enterprise values (fields 1…G), the
    clause's amount before groups, caps and pools (G+1) and the notes (G+2)."""

    def __init__(self, facts: _Facts) -> None:
        self.facts = facts
        self.text: list[str] = [""]
        self.fill: list[tuple[str, int]] = []
        self.results: list[ir.BooleanValue] = []
        """Per result fill, its three-valued expression: the digits of field 0."""

    def const(self, text: str) -> None:
        self.text[-1] += text

    def _put(self, kind: str, i: int) -> None:
        self.fill.append((kind, i))
        self.text.append("")

    def result(self, value: ir.BooleanValue) -> None:
        self._put("r", len(self.results))
        self.results.append(value)

    def value(self, key: str) -> None:
        """A per-enterprise value (registered, see :func:`_register_values`), stored once per firm."""
        self._put("v", self.facts.field(key))

    def amount(self) -> None:
        """The row's amount before groups, caps and pools (field G+1, column ``fen``)."""
        self._put("fen", 0)

    def digits(self) -> ir.StringValue:
        """The clause's own result digits (after the family's, stored per enterprise)."""
        return _digits(self.results[self.facts.shared :])


def _clause_rows(
    policy: Policy,
    clause: Clause,
    data: ir.Table,
    leaves: list[Any],
    params: dict[str, Any],
    period: int,
    paid: pa.Table,
    order: int,
    facts: _Facts,
) -> tuple[ir.Table, _Shape]:
    """One clause's rows as a query on the materialised facts *data*: firm_no, uscc, policy_id,
    clause_id, status, amount_fen and fen (before groups), the clause's own result digits,
    missing_fields and the ``ledger`` note (groups, caps and pools add theirs); *order* is the
    clause's place in the library (``_o``). The trace's shape is built alongside (what every
    enterprise's trace of the clause shares, and where its values go)."""
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
    fixed, rate, cap = a.resolved(params)
    fen = _amounts.compute_sql(a, base, rate, cap, fixed)
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
    rule = _amounts.describe(a, rate, cap, base_label, fixed)
    shape = _Shape(facts)
    shape.const(
        '{"policy":' + lit(policy.id) + ',"clause":' + lit(clause.id) + ',"ref":' + lit(clause.ref.text())
        + ',"period":' + str(period) + ',"conditions":['
    )  # fmt: skip
    for k, leaf in enumerate(leaves):
        shape.const(
            ("," if k else "") + '{"ref":' + lit(leaf.ref) + ',"test":' + lit(leaf.test) + ',"value":'
        )
        if leaf.field:  # leaves on the same fact share its field
            shape.value(_value_key(leaf))
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
        shape.value(_base_key(clause, period))
    else:
        shape.const("null")
    shape.const(',"fen":')
    shape.amount()
    shape.const("}")
    rows = data.select(
        _o=ibis.literal(order, "int32"),
        firm_no=data.firm_no,
        uscc=data.uscc,
        policy_id=ibis.literal(policy.id, "string"),
        clause_id=ibis.literal(clause.id, "string"),
        status=status.cast("string"),
        amount_fen=amount,
        fen=amount,
        digits=shape.digits(),
        missing_fields=missing.cast("string"),
        ledger=ledger,
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
    grp: int = 0,
) -> tuple[list[tuple[str, ir.Table, _Shape]], _Facts]:
    """Per clause of *policies* (of one *family*): its name, its rows (a query, see
    :func:`_clause_rows`; numbered by *order*, ``policy/clause`` → place in the library, default
    their own order) and its trace shape; and their facts group *grp* (one query for them all,
    materialised, see :meth:`~zonebrain.storage.Warehouse.materialize`, its enterprises
    numbered ``firm_no`` in uscc order), which the rows read."""
    day = dt.date(period, 12, 31)
    params = {p.id: parameter_values(p, day, overrides or {}) for p in policies}
    compiler = Compiler(wh, policies, family, period, params)
    compiler.only = None if only is None else list(only)
    data, per_clause, shared = compiler.query()
    facts = _Facts(grp, data, shared)
    for p in policies:
        for c in p.clauses:
            _register_values(facts, p, c, per_clause[(p.id, c.id)], period)
    if shared:
        facts.family = [f"c{leaf.index}" for leaf in next(iter(per_clause.values()))[:shared]]
    facts.materialize(wh)
    data = facts.data
    paid = paid if paid is not None else PAID_SCHEMA.empty_table()
    out: list[tuple[str, ir.Table, _Shape]] = []
    for p in policies:
        for c in p.clauses:
            place = len(out) if order is None else order[f"{p.id}/{c.id}"]
            rows, shape = _clause_rows(
                p, c, data, per_clause[(p.id, c.id)], params[p.id], period, paid, place, facts
            )
            out.append((f"{p.id}/{c.id}", rows, shape))
    return out, facts


def _value_key(leaf: Any) -> str:
    """Leaves on the same fact (and kind of value) show it in one field."""
    return f"{leaf.field}|{leaf.text_value}"


def _base_key(clause: Clause, period: int) -> str:
    """The amount's base shares the field of a leaf on the same fact (both show the number as it is)."""
    assert clause.amount.of is not None
    return f"{fact_label(clause.amount.of, clause.amount.year, period)}|False"


def _register_values(facts: _Facts, policy: Policy, clause: Clause, leaves: list[Any], period: int) -> None:
    """The values *clause*'s trace shows, in the order it shows them: each fact leaf's value (the
    first leaf on a fact gives it), then the amount's base."""
    for leaf in leaves:
        if leaf.field:
            facts.register(_value_key(leaf), f"v{leaf.index}", bool(leaf.text_value))
    if clause.amount.of is not None:
        facts.register(_base_key(clause, period), column("base", policy, clause.id), False)


SHAPES_SCHEMA = pa.schema([("policy_id", pa.string()), ("clause_id", pa.string()), ("shape", pa.string())])
_OUT = ("uscc", "policy_id", "clause_id", "status", "amount_fen", "missing_fields", "trace")
_ROW = ("firm_no", "status", "amount_fen", "fen", "digits", "missing_fields", "notes", "adj_notes")
"""The columns of the evaluation's row query (besides ``_o``) that a result row keeps."""


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
        facts: Sequence[_Facts] = (),
        built: Sequence[_Shape] = (),
        *,
        kept: ir.Table | None = None,
    ) -> None:
        self._wh = wh
        self._query = query
        self._kept = query if kept is None else kept
        """The rows a recorded run stores (:meth:`_rows`)."""
        self._facts = list(facts)
        self._temps = [f.data for f in facts]
        self.names = names
        """``policy/clause`` of each clause, in order (the rows' ``_o``)."""
        self._built = list(built)
        """Each clause's trace shape as built (its facts group, its results)."""
        self._groups = [b.facts.grp for b in self._built]
        """Each clause's facts group."""
        self._shapes = shapes
        self._data: pa.Table | None = None

    def clauses(self, run_id: str) -> pa.Table:
        """Each clause's number and facts group, as ``policy_result_clauses`` stores them."""
        ids = [n.split("/", 1) for n in self.names]
        return pa.table(
            {
                "run_id": pa.array([run_id] * len(ids), pa.string()),
                "clause_no": pa.array(range(len(ids)), pa.int32()),
                "grp": pa.array(self._groups, pa.int32()),
                "policy_id": pa.array([i[0] for i in ids], pa.string()),
                "clause_id": pa.array([i[1] for i in ids], pa.string()),
            }
        )

    def layout(self, run_id: str) -> pa.Table:
        """Per clause, where its result digits sit in its firms' ``digits`` (the family's
        ``shared`` first, then each clause's own in clause order), as ``policy_result_layout``
        stores it."""
        at: dict[int, int] = {f.grp: f.shared for f in self._facts}
        cols: dict[str, list[int]] = {"clause_no": [], "shared": [], "digits_at": [], "digits_len": []}
        for no, b in enumerate(self._built):
            width = len(b.results) - b.facts.shared
            cols["clause_no"].append(no)
            cols["shared"].append(b.facts.shared)
            cols["digits_at"].append(at[b.facts.grp])
            cols["digits_len"].append(width)
            at[b.facts.grp] += width
        out = {"run_id": pa.array([run_id] * len(self._built), pa.string())}
        return pa.table(out | {k: pa.array(v, pa.int32()) for k, v in cols.items()})

    def _rows(self, run_id: str, *, stored: bool = True) -> ir.Table:
        """The rows as ``policy_result_rows`` stores them (``stored=False``: every row, with its
        digits and ``adj_notes``). Stored, a plainly ineligible row (no amount, missing field or
        note) is left out (the ``kept`` query, see :func:`evaluate_all`), its digits being in its
        firm's row (see :meth:`layout`); every other row keeps empty digits for the same reason."""
        q = self._query if not stored else self._kept
        if q is None or self._released:
            raise ValueError("nothing to write: no policy, or the evaluation was released")
        if not stored:
            return q.select(
                run_id=ibis.literal(run_id, "string"), clause_no=q["_o"], **{c: q[c] for c in _ROW}
            )
        cols = {c: q[c] for c in _ROW if c != "adj_notes"} | {"digits": ibis.literal("", "string")}
        return q.select(run_id=ibis.literal(run_id, "string"), clause_no=q["_o"], **cols)

    def write(self, run_id: str) -> None:
        """Insert the rows as *run_id*'s (in the caller's transaction): the clauses and where
        their digits sit, one row per facts group and enterprise (every clause's result digits
        included), and one per clause and enterprise that is not plainly ineligible (about one in
        six at zone scale, see :meth:`_rows`); the engine computes them all."""
        rows = self._rows(run_id)
        self._wh.append("policy_result_clauses", self.clauses(run_id))
        self._wh.append("policy_result_layout", self.layout(run_id))
        for f in self._facts:
            own = [r for b in self._built if b.facts is f for r in b.results[f.shared :]]
            self._wh.insert_from("policy_result_firms", f.firms(run_id, own))
        self._wh.insert_from("policy_result_rows", rows)

    def _joined(self) -> ir.Table:
        """Every row as :func:`~zonebrain.policy._store.assemble` reads a recorded run (not written)."""
        firms = [f.firms("") for f in self._facts]
        return assemble(
            self._rows("", stored=False),
            ibis.memtable(self.clauses("")),
            ibis.union(*firms, distinct=False) if len(firms) > 1 else firms[0],
            keep=("clause_no", "adj_notes"),
        )

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
                    got = self._wh.to_arrow(self._joined().order_by(["clause_no", "uscc"]))
                    got = got.drop_columns(["run_id", "clause_no"]).rename_columns([*_OUT, "notes"])
                    self._data = got
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
    """The shape as stored: the constants and fills, then the notes (last field) and the status.
    Its group's G per-enterprise values are fields 1…G, the amount before groups field G+1."""
    g = len(shape.facts.fields)
    fields = g + 3
    text = [*shape.text, ',"status":"', '"}']
    fill = [("v", g + 1) if k == "fen" else (k, i) for k, i in shape.fill] + [("t", fields - 1), ("s", 0)]
    return json.dumps(
        {"format": SHAPE_FORMAT, "fields": fields, "results": len(shape.results), "text": text, "fill": fill},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _reads_parameters(family: Family) -> bool:
    """A condition of the family's subject or exclusions names a ``param``: each policy then
    compiles them with its own parameter values, in its own facts query."""
    return any(leaf.param for t in [family.eligibility, *family.exclusions] for leaf in t.leaves())


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
    made: list[_Facts] = []
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
            wh, policies, family, period, order=order, overrides=overrides, paid=paid, only=only,
            grp=len(made),
        )  # fmt: skip
        parts += got
        made.append(facts)
    parts.sort(key=lambda part: order[part[0]])  # library order: policy, then clause
    if [order[n] for n, _, _ in parts] != list(range(len(parts))):
        raise AssertionError("every clause of the library is evaluated, numbered in library order")
    names = [n for n, _, _ in parts]
    shapes = [_shape_text(s) for _, _, s in parts]
    if not parts:
        wh.drop_materialized([f.data for f in made])
        return Evaluation(wh, None, [], [])
    rows = ibis.union(*[r for _, r, _ in parts], distinct=False) if len(parts) > 1 else parts[0][1]
    changeable = set(limited(lib))  # the clauses a group, cap or pool names
    try:
        adjust = adjustments(wh, lib, rows, names, changeable)
    except BaseException:
        wh.drop_materialized([f.data for f in made])
        raise
    full = _combined([(n, r) for n, r, _ in parts], adjust, changeable)
    # what a recorded run stores, the one place that says it: a row is plainly ineligible (no
    # amount, missing field or note) unless it is not ineligible (only eligible rows have amounts,
    # only undetermined ones missing fields) or has the ledger's note, and groups, caps and pools
    # change only eligible or paid rows (adjustments); filtered before their join, 6 in 7 rows skip it
    kept = _combined([(n, r.filter((r.status != "ineligible") | (r.ledger != ""))) for n, r, _ in parts],
                     adjust, changeable)  # fmt: skip
    built = [s for _, _, s in parts]
    return Evaluation(wh, full, names, shapes, made, built, kept=kept)


def _combined(parts: list[tuple[str, ir.Table]], adjust: pa.Table | None, changeable: set[str]) -> ir.Table:
    """The clauses' rows in one query, with the changes of groups, caps and pools (*adjust*)
    joined into the rows of the clauses they can change, and each row's notes."""
    if adjust is None:
        rows = ibis.union(*[r for _, r in parts], distinct=False) if len(parts) > 1 else parts[0][1]
        q = rows.mutate(adj_notes=ibis.null("string"))
    else:
        # only the clauses a group, cap or pool names can change: the others skip the join; a
        # clause's rows are one facts group's, so (clause, firm number) names a row
        touched = [r for n, r in parts if n in changeable]
        others = [r.mutate(adj_notes=ibis.null("string")) for n, r in parts if n not in changeable]
        some = ibis.union(*touched, distinct=False) if len(touched) > 1 else touched[0]
        adj = ibis.memtable(adjust)
        j = some.left_join(adj, [some["_o"] == adj.a_o, some.firm_no == adj.a_firm])
        hit = j.a_o.notnull()
        changed = j.select(
            *[j[c] for c in some.columns if c not in ("status", "amount_fen")],
            status=ibis.ifelse(hit, j.a_status, j.status),
            amount_fen=ibis.ifelse(hit, j.a_amount.cast("int64"), j.amount_fen).cast("int64"),
            adj_notes=j.a_notes,
        )
        q = ibis.union(*[o.select(*changed.columns) for o in others], changed, distinct=False)
    # the notes end the stored trace: the ledger note (it needs no escaping), then the group, cap
    # and pool notes escaped (escape() of a concatenation is the concatenation of the escapes);
    # most rows have none (null)
    notes = ibis.ifelse(q.adj_notes.isnull(), q.ledger, concat([q.ledger, _escaped(q.adj_notes)]))
    q = q.mutate(notes=notes.nullif(""))
    return q.select("_o", *_ROW)


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
