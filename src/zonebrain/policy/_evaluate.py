"""Evaluating policies: the compiled query per policy, then statuses, amounts and traces in Arrow.

Per enterprise × clause: ``status`` is ``eligible`` (the conditions hold), ``ineligible`` (they
fail, or a one-time award was already paid), ``undetermined`` (待核实: a needed fact is missing;
``missing_fields`` names it) or ``superseded`` (a group kept a higher award). Everything after
the query is vectorised over Arrow/numpy columns; amounts are exact integer fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
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


def _clause_rows(
    policy: Policy,
    clause: Clause,
    data: pa.Table,
    leaves: list[Any],
    params: dict[str, Any],
    period: int,
    paid: pa.Table,
) -> pa.Table:
    n = data.num_rows
    uscc = data["uscc"].combine_chunks()
    ok = data[f"ok__{clause.id}"].combine_chunks()
    status = pc.fill_null(pc.if_else(ok, "eligible", "ineligible"), "undetermined")
    first_of_field = {leaf.field: leaf for leaf in reversed(leaves) if leaf.field is not None}
    missing_parts = [
        pc.if_else(pc.is_null(data[f"v{leaf.index}"]), leaf.field, pa.scalar(None, pa.string()))
        for leaf in leaves
        if leaf.field is not None and first_of_field[leaf.field] is leaf
    ]
    a = clause.amount
    base_label = fact_label(a.of, a.year, period) if a.of else None
    if base_label is not None and base_label in first_of_field:
        base_label_missing: str | None = None  # already named by a condition on the same fact
    else:
        base_label_missing = base_label
    base_np = None
    if a.of is not None:
        base = data[f"base__{clause.id}"].combine_chunks()
        no_base = pc.and_(pc.equal(status, "eligible"), pc.is_null(base))
        status = pc.if_else(no_base, "undetermined", status)
        if base_label_missing is not None:
            missing_parts.append(
                pc.if_else(pc.is_null(base), base_label_missing, pa.scalar(None, pa.string()))
            )
        base_np = np.asarray(pc.fill_null(base, 0), dtype=np.int64)
    missing = join_nonnull(missing_parts, ",") if missing_parts else pa.nulls(n, pa.string())
    missing = pc.if_else(pc.equal(status, "undetermined"), missing, pa.scalar(None, pa.string()))
    extra = pa.nulls(n, pa.string())
    if clause.once:
        mine = paid.filter(
            pc.and_(pc.equal(paid["policy_id"], policy.id), pc.equal(paid["clause_id"], clause.id))
        )
        was_paid = pc.is_in(uscc, value_set=mine["uscc"].combine_chunks())
        status = pc.if_else(pc.and_(was_paid, pc.equal(status, "eligible")), "ineligible", status)
        extra = pc.if_else(was_paid, ',"ledger":"already paid (one-time award)"', extra)
    rate: Fraction | None = a.rate if a.rate is not None else (params[a.rate_param] if a.rate_param else None)
    cap = a.cap if a.cap is not None else (params[a.cap_param] if a.cap_param else None)
    fen = _amounts.compute(a, base_np if base_np is not None else np.zeros(n, np.int64), rate, cap)
    eligible = pc.equal(status, "eligible")
    amount = pc.if_else(eligible, pa.array(fen, pa.int64()), pa.scalar(None, pa.int64()))
    conds = []
    for leaf in leaves:
        value = json_value(data[f"v{leaf.index}"].combine_chunks(), leaf.text_value) if leaf.field else "null"
        conds.append(
            cat(
                '{"ref":', lit(leaf.ref), ',"test":', lit(leaf.test), ',"value":', value,
                ',"result":', json_bool(data[f"c{leaf.index}"].combine_chunks()), "}",
            )
        )  # fmt: skip
    cond_text = pc.binary_join_element_wise(*conds, ",") if conds else pa.array([""] * n)
    base_text = json_value(data[f"base__{clause.id}"].combine_chunks(), False) if a.of else "null"
    fen_text = pc.fill_null(amount.cast(pa.string()), "null")
    rule = _amounts.describe(a, rate, cap, base_label)
    body = cat(
        '{"policy":', lit(policy.id), ',"clause":', lit(clause.id), ',"ref":', lit(clause.ref.text()),
        ',"period":', str(period), ',"conditions":[', cond_text,
        '],"subject_and_exclusions":', json_bool(data["fam"].combine_chunks()),
        ',"clause_conditions":', json_bool(data[f"when__{clause.id}"].combine_chunks()),
        ',"amount":{"ref":', lit(a.ref.text()),
        ',"rule":', lit(rule), ',"base":', base_text, ',"fen":', fen_text, "}",
        pc.fill_null(extra, ""),
    )  # fmt: skip
    return pa.table(
        {
            "uscc": uscc,
            "policy_id": pa.array([policy.id] * n, pa.string()),
            "clause_id": pa.array([clause.id] * n, pa.string()),
            "status": status,
            "amount_fen": amount,
            "missing_fields": missing,
            "trace": body,
        },
        schema=RESULT_SCHEMA,
    )


def evaluate_policy(
    wh: Warehouse,
    policy: Policy,
    family: Family | None,
    period: int,
    *,
    overrides: Mapping[str, Any] | None = None,
    paid: pa.Table | None = None,
    only: Sequence[str] | None = None,
) -> pa.Table:
    """One policy's rows (trace not yet closed: groups may still add to it)."""
    params = parameter_values(policy, dt.date(period, 12, 31), overrides or {})
    compiler = Compiler(wh, policy, family, period, params)
    compiler.only = None if only is None else list(only)
    query, per_clause = compiler.query()
    data = wh.to_arrow(query)
    paid = paid if paid is not None else PAID_SCHEMA.empty_table()
    tables = [_clause_rows(policy, c, data, per_clause[c.id], params, period, paid) for c in policy.clauses]
    return pa.concat_tables(tables)


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


def apply_groups(results: pa.Table, lib: Library) -> pa.Table:
    """从高从优、不重复享受 (groups), then per-enterprise caps and budget pools (see ``_limits``).

    In each group keep each enterprise's highest eligible award.

    Ties go to the member listed first. The dropped rows become ``superseded`` (amount null) and
    their trace names the kept award; the kept row's trace names the awards it replaced.
    """
    groups = [g for f in lib.families.values() for g in f.groups if _applies(g, lib)]
    status = results["status"].combine_chunks()
    amount = results["amount_fen"].combine_chunks()
    extra = pa.nulls(results.num_rows, pa.string())
    names = pc.binary_join_element_wise(results["policy_id"], results["clause_id"], "/")
    for g in groups:
        members = _members(g, lib)
        if len(members) < 2:
            continue
        order = {f"{p}/{c}": i for i, (p, c) in enumerate(members)}
        rank = pc.index_in(names, value_set=pa.array(list(order), pa.string()))
        live = pc.and_(pc.is_valid(rank), pc.equal(status, "eligible"))
        idx = np.flatnonzero(np.asarray(pc.fill_null(live, False), dtype=bool))
        if idx.size == 0:
            continue
        us = results["uscc"].take(idx).to_numpy(zero_copy_only=False).astype(str)
        am = np.asarray(amount.take(idx), dtype=np.int64)
        rk = np.asarray(rank.take(idx), dtype=np.int64)
        sort = np.lexsort((rk, -am, us))
        first = np.ones(sort.size, dtype=bool)
        first[1:] = us[sort][1:] != us[sort][:-1]
        winner_of = np.maximum.accumulate(np.where(first, np.arange(sort.size), 0))
        keep_rows, drop_rows = idx[sort][first], idx[sort][~first]
        kept_name = names.take(idx[sort][winner_of][~first])
        drops = pa.table({"u": us[sort][~first], "name": names.take(drop_rows)})
        drops = drops.sort_by([("u", "ascending"), ("name", "ascending")])
        lists = drops.group_by("u", use_threads=False).aggregate([("name", "list")])
        lists = pa.table({"u": lists["u"], "names": pc.binary_join(lists["name_list"], ",")})
        winners = pa.table({"u": us[sort][first], "i": keep_rows})
        joined = winners.join(lists, "u", join_type="inner", use_threads=False)
        head = cat(',"group":', lit(g.id), ',"group_ref":', lit(g.ref.text()))
        drop_extra = cat(head, ',"superseded_by":"', kept_name, '"')
        keep_extra = cat(head, ',"kept_over":"', joined["names"], '"')
        mask_drop = np.zeros(results.num_rows, dtype=bool)
        mask_drop[drop_rows] = True
        status = pc.if_else(pa.array(mask_drop), "superseded", status)
        amount = pc.if_else(pa.array(mask_drop), pa.scalar(None, pa.int64()), amount)
        extra = _scatter(extra, drop_rows, drop_extra)
        extra = _scatter(extra, np.asarray(joined["i"], dtype=np.int64), keep_extra)
    amount, notes = apply_limits(
        lib, results["uscc"].combine_chunks(), _flat(names), _flat(status), _flat(amount)
    )
    for rows, text in notes:
        extra = _scatter(extra, rows, text)
    trace = cat(results["trace"], pc.fill_null(extra, ""), ',"status":', cat('"', status, '"'), "}")
    return (
        results.set_column(3, "status", status)
        .set_column(4, "amount_fen", amount)
        .set_column(6, "trace", trace)
    )


def _flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _scatter(target: pa.Array, rows: np.ndarray, values: pa.Array) -> pa.Array:
    """*target* with the text *values* appended at *rows* (vectorised: a masked replace)."""
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(len(target), dtype=bool)
    mask[rows] = True
    add = pc.replace_with_mask(pa.nulls(len(target), pa.string()), pa.array(mask), _flat(values.take(order)))
    return join_nonnull([target, add], "")


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
    paid = (history or NoPayments()).paid()
    parts = [
        evaluate_policy(
            wh, p, lib.families.get(p.family or ""), period, overrides=overrides, paid=paid, only=only
        )
        for p in lib.policies.values()
    ]
    results = pa.concat_tables(parts) if parts else RESULT_SCHEMA.empty_table()
    return apply_groups(results, lib)
