"""What-if (政策模拟): change parameters or clauses, compare with a baseline, record nothing.

The baseline is a recorded run (``baseline_run_id``) or a fresh evaluation of *lib* as it is; the
scenario is *library* (an edited copy, see ``_edit``) with *parameters* overrides, evaluated as
:func:`run_policies` would, without recording. The comparison is set-based on Arrow tables (joins
and group-bys in ``pyarrow.compute``): per enterprise × clause, then per enterprise (winners and
losers), per clause, per park and overall, and the effect on each family's budget pool. Money is
int64 fen throughout; the budget shares are floats for display (exact: granted / requested).

No full trace text is built (about 2 KB per enterprise × clause, gigabytes at zone scale): the
sides are read as statuses and amounts, and the budget-pool notes and a recorded run's period
come from the compact forms (see ``_notes``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.policy._evaluate import PaymentHistory, evaluate_all
from zonebrain.policy._explain import clause_order
from zonebrain.policy._format import Budget, _fen, _not_negative, _rate, yuan_text
from zonebrain.policy._library import Library, ledger_period
from zonebrain.policy._limits import members
from zonebrain.policy._notes import KEYS, RecordedPayments, evaluation_notes, recorded_notes, run_period
from zonebrain.policy._period import provisional, provisional_text
from zonebrain.policy._run import check_period, check_policies_apply, default_period, load_results
from zonebrain.policy._trace import cat, flat
from zonebrain.storage import Warehouse

_SIDES = ("before", "after")
_BUDGET = r'"budget":\{"ref":(?:"[^"]*"|null),"pool":\d+,"rule":"[a-z_]+","requested":(?P<req>\d+)'
"""The requested amount in a budget note; ``ref`` is null for a pool a scenario added."""


@dataclass(frozen=True)
class WhatIf:
    """A what-if comparison. Every table is sorted; money columns (``*_fen``) are int64 fen.

    Count and money columns come in ``_before`` / ``_after`` / ``_delta`` triples:
    ``eligible`` (enterprise × clause decisions eligible, whatever their amount), ``undetermined``
    (待核实), ``cost_fen`` (amounts granted) and, per park and overall, ``firms`` (受益企业:
    enterprises granted more than 0 fen after groups, caps and pools; a firm whose every award a
    pool or cap cut to 0 is eligible but not a beneficiary). Per park and overall, single counts
    follow (:data:`MOVED`): ``winners`` and ``losers`` (enterprises whose amount rises or falls),
    ``newly_funded`` and ``no_longer_funded``. Per-park rows add up exactly to :attr:`totals`.
    """

    as_of: dt.date
    period: int
    baseline_run_id: str | None
    """The recorded run compared against; None: a fresh evaluation of the unedited library."""
    parameters: dict[str, str]
    """The overrides of the scenario (``policy_id.name`` → value as given)."""
    rows: pa.Table
    """Per enterprise × clause: uscc, policy_id, clause_id, name, park_id, park_name,
    status_before, amount_before_fen, status_after, amount_after_fen, delta_fen."""
    totals: pa.Table
    """One row: the whole zone."""
    by_clause: pa.Table
    """Per policy_id, clause_id, in the library's clause order (``reach-10m`` before
    ``reach-100m``; a clause only the baseline has after the scenario's)."""
    by_park: pa.Table
    """Per park_id (null: no park on record), with park_name."""
    changes: pa.Table
    """Per enterprise whose total changed: uscc, name, park_id, park_name, before_fen, after_fen,
    delta_fen, detail (each clause that changed, as text) and moves (the same as data, see
    :data:`MOVE_FIELDS`); by |delta| descending, then uscc."""
    budget: pa.Table
    """Per family with a budget pool on either side: family_id, ref, rule_before/after,
    pool_before/after_fen, requested_before/after_fen (the members' awards before the pool),
    granted_before/after_fen, share_before/after (granted / requested, display only)."""

    notes: tuple[str, ...] = ()
    """What the caller adds to :meth:`warnings` (the web: how much of the cost was already paid)."""

    def winners(self, n: int | None = None) -> pa.Table:
        """Enterprises that gain, largest gain first."""
        t = self.changes.filter(pc.greater(self.changes["delta_fen"], 0))
        return t if n is None else t.slice(0, n)

    def losers(self, n: int | None = None) -> pa.Table:
        """Enterprises that lose, largest loss first."""
        t = self.changes.filter(pc.less(self.changes["delta_fen"], 0))
        return t if n is None else t.slice(0, n)

    def warnings(self, today: dt.date | None = None) -> list[str]:
        """What a reader must know before trusting the numbers (Chinese first, then English), as
        the CLI, the web page, its JSON and both Excel files say it: the period had not ended on
        the as-of date (provisional), or the as-of date is after *today* (Beijing; a preview)."""
        out = []
        if provisional(self.as_of, self.period):
            out.append(provisional_text(self.as_of, self.period))
        today = today or beijing_today()
        if self.as_of > today:
            out.append(
                f"基准日 {self.as_of} 晚于今天 ({today}, 北京时间), 仅预演: 该日的数据尚未发生 (the as-of "
                f"date {self.as_of} is after today: a preview only, its data do not exist yet)"
            )
        return [*out, *self.notes]

    def share(self, family_id: str, side: str = "after") -> Fraction | None:
        """The exact share of the requested awards a family's pool grants (None: nothing requested)."""
        row = self.budget.filter(pc.equal(self.budget["family_id"], family_id)).to_pylist()
        if not row or not row[0][f"requested_{side}_fen"]:
            return None
        return Fraction(row[0][f"granted_{side}_fen"], row[0][f"requested_{side}_fen"])

    def sheets(self, *, moves: bool = False) -> dict[str, pa.Table]:
        """The parts as named tables (one Excel sheet each); the winners' and losers' ``moves``
        only when asked (a list column: the caller turns it into words)."""
        people = {"受益 winners": self.winners(), "受损 losers": self.losers()}
        if not moves:
            people = {k: v.drop_columns(["moves"]) for k, v in people.items()}
        return {
            "总体 totals": self.totals,
            "按条款 clauses": self.by_clause,
            "按园区 parks": self.by_park,
            "预算池 budget": self.budget,
            **people,
        }


def check_overrides(lib: Library, parameters: Mapping[str, Any]) -> None:
    """Every override names a declared parameter and has a valid value (else :class:`InputError`)."""
    for key, raw in parameters.items():
        pid, _, name = key.partition(".")
        p = lib.policies.get(pid)
        if p is None or name not in p.parameters:
            known = [f"{q.id}.{n}" for q in lib.policies.values() for n in q.parameters]
            raise InputError(f"未知参数 '{key}' (unknown parameter); 可用 / available: {known}")
        kind = p.parameters[name].kind
        if kind != "amount" and str(raw).strip().startswith("-"):
            raise InputError(
                f"参数 {key}={raw!r} 无效: 比例不能为负数, 请写成 0% 或更大 (a rate may not be negative)"
            )
        try:
            _not_negative(_fen(raw)) if kind == "amount" else _rate(raw)
        except ValueError as exc:
            raise InputError(f"参数 {key}={raw!r} 无效 (invalid value): {exc}") from None


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its library, its rows and a way to their notes."""

    lib: Library
    results: pa.Table
    """Per enterprise × clause: uscc, policy_id, clause_id, status, amount_fen (no trace)."""
    notes: Callable[[list[str]], pa.Table]
    """The notes of (at least) the eligible rows of the given ``policy/clause`` names, as
    ``_notes.NOTES_SCHEMA``; a row left out has none."""


def _recorded(wh: Warehouse, lib: Library, run_id: str) -> tuple[dt.date, int | None, Side]:
    """The run's as-of date, its period (None: it does not say) and its results as a side."""
    runs = wh.table("policy_runs")
    found = wh.to_arrow(runs.filter(runs.run_id == run_id).select("as_of"))
    if found.num_rows == 0:
        raise InputError(
            f"没有测算记录 '{run_id}' (no such policy run); 请用 zonebrain policy run 打印的 run_id"
        )
    results = load_results(wh, run_id, traces=False)
    side = Side(lib, results, lambda names: recorded_notes(wh, run_id, names))
    return found["as_of"][0].as_py(), run_period(wh, run_id), side


def data_since_note(wh: Warehouse, run_id: str) -> str | None:
    """A note when data were imported (or removed) since the recorded run *run_id*: its results are
    on the data of then, the scenario is evaluated on today's, so the difference is not all the
    policies' doing (QA: a pool alone showed 符合 +19, the firms imported since). None when the
    warehouse holds the run's data batches and no other."""
    runs = wh.table("policy_runs")
    got = wh.to_arrow(runs.filter(runs.run_id == run_id).select("batch_ids"))
    if got.num_rows == 0:
        return None
    then = {b for b in str(got["batch_ids"][0].as_py() or "").split(",") if b}
    batches = wh.to_arrow(wh.table("import_batches").select("batch_id").distinct())
    now = {str(b) for b in batches["batch_id"].to_pylist()}
    if now == then:
        return None
    new, gone = sorted(now - then), sorted(then - now)
    parts = []
    if new:
        parts.append(f"新导入 {len(new)} 批: {', '.join(new[:5])}{' …' if len(new) > 5 else ''}")
    if gone:
        parts.append(f"撤销 {len(gone)} 批")
    said = "; ".join(parts)
    return (
        f"基线测算 {run_id} 之后数据有变化 ({said}): 基线为该次测算当时的结果, 情景按当前数据测算, "
        "两者之差含数据变化, 不全是政策调整的影响; 只看政策调整的影响, 请先重新测算 (policy run) 再以新测算为基线 "
        f"(data changed since the run: {len(new)} batch(es) imported, {len(gone)} removed; the baseline "
        "is the run's results, the scenario uses today's data, so the difference is not all the policies'; "
        "to see the policies' effect alone, run the policies again and compare with that run)"
    )


def _fresh(
    wh: Warehouse,
    lib: Library,
    period: int,
    parameters: Mapping[str, Any] | None,
    history: PaymentHistory | None,
) -> Side:
    """*lib* evaluated as ``run_policies(..., write=False)`` would, without building its traces."""
    ev = evaluate_all(wh, lib, period, overrides=parameters, history=history)
    notes = evaluation_notes(ev)
    return Side(lib, ev.columns, lambda _names: notes)  # the evaluation itself is let go


def _firms(wh: Warehouse) -> pa.Table:
    ent = wh.to_arrow(wh.table("enterprises").select("uscc", "name", "park_id"))
    parks = wh.table("parks")
    names = wh.to_arrow(parks.select(parks.park_id, park_name=parks.name_zh))
    return ent.join(names, "park_id", join_type="left outer", use_threads=False)


def _i64(mask: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.fill_null(mask, False).cast(pa.int64())


def compare_rows(before: pa.Table, after: pa.Table, firms: pa.Table) -> pa.Table:
    """Enterprise × clause rows of both sides (full outer join), with the enterprise's name and park."""
    sides = [
        t.select([*KEYS, "status", "amount_fen"]).rename_columns([*KEYS, f"status_{s}", f"amount_{s}_fen"])
        for t, s in ((before, "before"), (after, "after"))
    ]
    rows = sides[0].join(sides[1], KEYS, join_type="full outer", use_threads=False)
    rows = rows.join(firms, "uscc", join_type="left outer", use_threads=False)
    delta = pc.subtract_checked(
        pc.fill_null(rows["amount_after_fen"], 0), pc.fill_null(rows["amount_before_fen"], 0)
    )
    rows = rows.append_column("delta_fen", delta)
    order = [
        *KEYS, "name", "park_id", "park_name", "status_before", "amount_before_fen",
        "status_after", "amount_after_fen", "delta_fen",
    ]  # fmt: skip
    return rows.select(order).sort_by([(k, "ascending") for k in KEYS])


def _measures(rows: pa.Table) -> pa.Table:
    """Per row: 0/1 counts and fen per side, ready to be summed."""
    out = {}
    for s in _SIDES:
        status = rows[f"status_{s}"]
        out[f"eligible_{s}"] = _i64(pc.equal(status, "eligible"))
        out[f"undetermined_{s}"] = _i64(pc.equal(status, "undetermined"))
        out[f"cost_{s}_fen"] = pc.fill_null(rows[f"amount_{s}_fen"], 0)
    return pa.table(out)


_COUNTED = ("eligible", "undetermined", "cost")


def _name(measure: str, side: str) -> str:
    return f"cost_{side}_fen" if measure == "cost" else f"{measure}_{side}"


def _with_deltas(t: pa.Table, measures: tuple[str, ...]) -> pa.Table:
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        c: t[c] for c in t.column_names if not c.startswith(tuple(f"{m}_" for m in measures))
    }
    for m in measures:
        b, a = t[_name(m, "before")], t[_name(m, "after")]
        cols[_name(m, "before")], cols[_name(m, "after")] = b, a
        cols[_name(m, "delta")] = pc.subtract_checked(a, b)
    return pa.table(cols)


def _group(t: pa.Table, keys: list[str], sums: list[str]) -> pa.Table:
    got = t.group_by(keys, use_threads=False).aggregate([(c, "sum") for c in sums])
    return got.rename_columns([c.removesuffix("_sum") if c.endswith("_sum") else c for c in got.column_names])


def _fen_text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Fen as ``12,345.67 元`` text, as every other amount is shown (exact); null stays null.
    Only the rows a change moved are written out, so this runs once per changed clause row."""
    return pa.array([None if v is None else yuan_text(v) for v in col.to_pylist()], pa.string())


MOVE_FIELDS = (
    "policy_id",
    "clause_id",
    "status_before",
    "amount_before_fen",
    "status_after",
    "amount_after_fen",
)
"""The fields of each entry of ``changes.moves``: one clause whose status or amount changed."""


UNFUNDED = "eligible, not funded"
"""How ``detail`` words an eligible row granted 0 fen (a budget pool or a per-enterprise cap left
nothing for it): its conditions hold, but nothing is paid and the firm is not a beneficiary."""


def _status_words(rows: pa.Table, side: str) -> pa.Array | pa.ChunkedArray:
    status = rows[f"status_{side}"]
    unfunded = pc.fill_null(
        pc.and_(pc.equal(status, "eligible"), pc.equal(rows[f"amount_{side}_fen"], 0)), False
    )
    return pc.fill_null(pc.if_else(unfunded, UNFUNDED, status), "—")


def _details(rows: pa.Table, order: pa.Array | None = None) -> pa.Table:
    """Per enterprise: each clause whose status or amount changed, as one text (``detail``, for the
    terminal) and as data (``moves``: a list of :data:`MOVE_FIELDS` structs, for pages and
    exports that put it in the reader's words), in the same order: *order* (per row, its clause's
    library position), else the rows' own."""
    same = pc.and_(
        pc.fill_null(pc.equal(rows["status_before"], rows["status_after"]), False),
        pc.equal(rows["delta_fen"], 0),
    )
    keep = pc.invert(same)
    moved = rows.filter(keep)
    if order is not None:
        moved = moved.append_column("_o", order.filter(keep))
        moved = moved.sort_by([("uscc", "ascending"), ("_o", "ascending")]).drop_columns(["_o"])
    side = {
        s: cat(
            _status_words(moved, s),
            pc.fill_null(cat(" ", _fen_text(moved[f"amount_{s}_fen"])), ""),
        )
        for s in _SIDES
    }
    text = cat(moved["policy_id"], "/", moved["clause_id"], ": ", side["before"], " → ", side["after"])
    at = pa.array(range(moved.num_rows), pa.int64())
    lists = pa.table({"uscc": moved["uscc"], "d": text, "at": at}).group_by("uscc", use_threads=False)
    got = lists.aggregate([("d", "list"), ("at", "list")])
    entries = pa.StructArray.from_arrays([flat(moved[c]) for c in MOVE_FIELDS], names=list(MOVE_FIELDS)).take(
        flat(got["at_list"]).flatten()
    )
    moves = pa.ListArray.from_arrays(flat(got["at_list"]).offsets, entries)
    return pa.table({"uscc": got["uscc"], "detail": pc.binary_join(got["d_list"], "; "), "moves": moves})


def _budget_side(side: Side, specs: dict[str, Budget]) -> dict[str, tuple[int, int]]:
    """Per family: (requested, granted) fen of its pool's members in *side*.

    Granted is the members' eligible amounts; requested is what they asked before the pool, read
    from the ``"budget"`` note of the rows the pool cut (only the members' eligible rows are read).
    """
    out: dict[str, tuple[int, int]] = {}
    if not specs:
        return out
    results = side.results
    names = pc.binary_join_element_wise(results["policy_id"], results["clause_id"], "/")
    live = pc.fill_null(pc.equal(results["status"], "eligible"), False)
    wanted = {fid: members(spec.members, side.lib) for fid, spec in specs.items()}
    notes = side.notes(sorted({n for m in wanted.values() for n in m}))
    for fid, names_of in wanted.items():
        rows = results.filter(pc.and_(live, pc.is_in(names, value_set=pa.array(names_of, pa.string()))))
        rows = rows.select([*KEYS, "amount_fen"])
        granted = pc.fill_null(rows["amount_fen"], 0)
        requested = granted
        if rows.num_rows and notes.num_rows:
            rows = rows.join(notes, KEYS, join_type="left outer", use_threads=False)
            granted = pc.fill_null(rows["amount_fen"], 0)
            found = pc.extract_regex(rows["notes"], _BUDGET)
            asked = pc.if_else(
                pc.is_valid(found), pc.struct_field(found, "req"), pa.scalar(None, pa.string())
            )
            requested = pc.coalesce(asked.cast(pa.int64()), granted)
        out[fid] = (int(pc.sum(requested).as_py() or 0), int(pc.sum(granted).as_py() or 0))
    return out


def _pools(lib: Library, fids: list[str]) -> dict[str, Budget]:
    out = {}
    for f in fids:
        fam = lib.families.get(f)
        if fam is not None and fam.budget is not None:
            out[f] = fam.budget
    return out


def budget_effect(before: Side, after: Side) -> pa.Table:
    """Each family's pool (on either side) before and after: size, requested, granted, share.

    A side without the pool (e.g. a pool added by the scenario) shows its members' awards as both
    requested and granted, and no pool, rule or share.
    """
    fids = sorted({f for s in (before, after) for f, fam in s.lib.families.items() if fam.budget})
    pools = {"before": _pools(before.lib, fids), "after": _pools(after.lib, fids)}
    either = {f: pools["after"].get(f) or pools["before"][f] for f in fids}
    cols: dict[str, list[Any]] = {"family_id": fids, "ref": [either[f].ref_text() for f in fids]}
    for side, data in (("before", before), ("after", after)):
        own = pools[side]
        measured = _budget_side(data, {f: own.get(f, either[f]) for f in fids})
        cols[f"rule_{side}"] = [own[f].rule if f in own else None for f in fids]
        cols[f"pool_{side}_fen"] = [own[f].pool if f in own else None for f in fids]
        cols[f"requested_{side}_fen"] = [measured[f][0] for f in fids]
        cols[f"granted_{side}_fen"] = [measured[f][1] for f in fids]
        cols[f"share_{side}"] = [  # no pool on this side: no share to show (QA: it read 100%)
            measured[f][1] / measured[f][0] if f in own and measured[f][0] else None for f in fids
        ]
    money = ("pool", "requested", "granted")
    order = ["family_id", "ref"] + [
        f"{c}_{s}_fen" if c in money else f"{c}_{s}" for c in ("rule", *money, "share") for s in _SIDES
    ]
    types = {"rule": pa.string(), "share": pa.float64()}
    schema = pa.schema(
        [(c, pa.string()) for c in order[:2]]
        + [(c, types.get(c.split("_")[0], pa.int64())) for c in order[2:]]
    )
    return pa.table({c: cols[c] for c in order}, schema=schema)


def _positions(rows: pa.Table, order: Mapping[tuple[str, str], int]) -> pa.Array:
    """Per row, its clause's place in *order*; a clause not in it after every one that is, by text."""
    keys = list(zip(rows["policy_id"].to_pylist(), rows["clause_id"].to_pylist(), strict=True))
    extra = {k: len(order) + i for i, k in enumerate(sorted(set(keys) - set(order)))}
    return pa.array([order.get(k, extra.get(k)) for k in keys], pa.int64())


def summarise(
    rows: pa.Table, order: Mapping[tuple[str, str], int] | None = None
) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Totals, per clause, per park and per changed enterprise, from :func:`compare_rows`; totals
    and parks also count the enterprises that gain and lose (:data:`MOVED`).

    *order* is each (policy, clause)'s library position (``_explain.clause_order``): the per-clause
    rows and each enterprise's changed clauses follow it (default: text order). A firm counts as a
    beneficiary (``firms``) when it is granted more than 0 fen on that side."""
    measured = rows.select(["uscc", "policy_id", "clause_id", "name", "park_id", "park_name"])
    m = _measures(rows)
    for c in m.column_names:
        measured = measured.append_column(c, m[c])
    sums = list(m.column_names)
    firm = _group(measured, ["uscc", "name", "park_id", "park_name"], sums)
    for s in _SIDES:  # granted something: an award a pool cut to 0 is eligible, not a benefit
        firm = firm.append_column(f"firms_{s}", _i64(pc.greater(firm[f"cost_{s}_fen"], 0)))
    for c, moved in _moved(firm).items():
        firm = firm.append_column(c, moved)
    measures = (*_COUNTED, "firms")
    counted = [*sums, "firms_before", "firms_after", *MOVED]
    by_park = _moved_last(_with_deltas(_group(firm, ["park_id", "park_name"], counted), measures))
    by_park = by_park.sort_by([("park_id", "ascending")])  # no park (null) last
    by_clause = _with_deltas(_group(measured, ["policy_id", "clause_id"], sums), _COUNTED)
    by_clause = by_clause.sort_by([("policy_id", "ascending"), ("clause_id", "ascending")])
    if order is not None:
        by_clause = by_clause.append_column("_o", _positions(by_clause, order))
        by_clause = by_clause.sort_by([("_o", "ascending")]).drop_columns(["_o"])  # stable
    whole = {c: [int(pc.sum(measured[c]).as_py() or 0)] for c in sums}
    whole |= {c: [int(pc.sum(firm[c]).as_py() or 0)] for c in counted[len(sums) :]}
    totals = _with_deltas(pa.table({c: pa.array(v, pa.int64()) for c, v in whole.items()}), measures)
    totals = _moved_last(totals)
    changes = firm.select(["uscc", "name", "park_id", "park_name", "cost_before_fen", "cost_after_fen"])
    changes = changes.rename_columns(["uscc", "name", "park_id", "park_name", "before_fen", "after_fen"])
    delta = pc.subtract_checked(changes["after_fen"], changes["before_fen"])
    changes = changes.append_column("delta_fen", delta).filter(pc.not_equal(delta, 0))
    details = _details(rows, None if order is None else _clause_places(rows, order))
    at = details.select(["uscc", "detail"]).append_column("di", pa.array(range(details.num_rows), pa.int64()))
    changes = changes.join(at, "uscc", join_type="left outer", use_threads=False)  # no list in a join
    changes = changes.append_column("moves", flat(details["moves"]).take(flat(changes["di"])))
    changes = changes.drop_columns(["di"])
    changes = changes.append_column("size", pc.abs_checked(changes["delta_fen"]))
    changes = changes.sort_by([("size", "descending"), ("uscc", "ascending")]).drop_columns(["size"])
    return totals, by_clause, by_park, changes


MOVED = ("winners", "losers", "newly_funded", "no_longer_funded")
"""Per park and overall, the enterprises whose amount rises (``winners``) and falls (``losers``),
and of those, the ones granted nothing before and something after (``newly_funded``) and the
reverse (``no_longer_funded``): a net change (受益企业 +79, a park's 变化 0.00) hides them (QA:
380 firms newly funded and 301 no longer, 30 gaining and 30 losing in one park)."""


def _moved(firm: pa.Table) -> dict[str, pa.Array]:
    """Per enterprise, 0/1 for each of :data:`MOVED`, from its amounts and beneficiary flags."""
    before, after = firm["cost_before_fen"], firm["cost_after_fen"]
    was, now = pc.equal(firm["firms_before"], 1), pc.equal(firm["firms_after"], 1)
    return {
        "winners": _i64(pc.greater(after, before)),
        "losers": _i64(pc.less(after, before)),
        "newly_funded": _i64(pc.and_(pc.invert(was), now)),
        "no_longer_funded": _i64(pc.and_(was, pc.invert(now))),
    }


def _moved_last(t: pa.Table) -> pa.Table:
    return t.select([c for c in t.column_names if c not in MOVED] + list(MOVED))


def _clause_places(rows: pa.Table, order: Mapping[tuple[str, str], int]) -> pa.Array:
    """:func:`_positions` of many rows, through the (few) distinct clauses."""
    clauses = rows.group_by(["policy_id", "clause_id"], use_threads=False).aggregate([])
    clauses = clauses.append_column("_o", _positions(clauses, order))
    at = rows.select(["policy_id", "clause_id"]).append_column(
        "_i", pa.array(range(rows.num_rows), pa.int64())
    )
    got = at.join(clauses, ["policy_id", "clause_id"], join_type="left outer", use_threads=False)
    got = got.sort_by([("_i", "ascending")])
    return flat(got["_o"])


def library_order(*libs: Library) -> dict[tuple[str, str], int]:
    """(policy, clause) → its place: the first library's order, then clauses only a later one has."""
    out: dict[tuple[str, str], int] = {}
    for lib in libs:
        for key in clause_order(lib):
            out.setdefault(key, len(out))
    return out


def what_if(
    wh: Warehouse,
    lib: Library,
    as_of: dt.date | None = None,
    *,
    period: int | None = None,
    parameters: Mapping[str, Any] | None = None,
    library: Library | None = None,
    baseline_run_id: str | None = None,
    history: PaymentHistory | None = None,
) -> WhatIf:
    """Compare a scenario (*library* or *lib*, with *parameters* overrides) with the baseline.

    The baseline is the recorded run *baseline_run_id* (its as-of date and period are used) or a
    fresh evaluation of *lib* without overrides. One-time awards consult *history*; against a
    recorded run it defaults to the payments that run saw (:class:`RecordedPayments`), so awards paid
    since then are not counted as the scenario's losses. Nothing is written to the warehouse.
    """
    scenario_lib = library or lib
    parameters = dict(parameters or {})
    check_overrides(scenario_lib, parameters)
    if baseline_run_id is not None:
        run_as_of, recorded_period, before = _recorded(wh, lib, baseline_run_id)
        run_period = default_period(run_as_of) if recorded_period is None else recorded_period
        if period is not None and period != run_period:
            raise InputError(
                f"运行 {baseline_run_id} 的年度为 {run_period}, 与 --period {period} 不同 (period mismatch)"
            )
        as_of, period = as_of or run_as_of, run_period
        history = history or RecordedPayments(wh, lib, baseline_run_id)
    elif as_of is None:
        raise InputError("请给出基准日 as_of 或基线运行 baseline_run_id (give as_of or a baseline run)")
    if period is None:
        period = default_period(as_of)
    elif baseline_run_id is None:  # a recorded run's period is its own (warned of: warnings())
        check_period(as_of, period)
    for checked in {id(x): x for x in (lib, scenario_lib)}.values():  # said as policy run says it
        check_policies_apply(checked, period)
    if baseline_run_id is None:
        before = _fresh(wh, lib, period, None, history)
    after = _fresh(wh, scenario_lib, period, parameters, history)
    rows = compare_rows(before.results, after.results, _firms(wh))
    totals, by_clause, by_park, changes = summarise(rows, library_order(scenario_lib, lib))
    return WhatIf(
        as_of=as_of,
        period=period,
        baseline_run_id=baseline_run_id,
        parameters={k: str(v) for k, v in parameters.items()},
        rows=rows,
        totals=totals,
        by_clause=by_clause,
        by_park=by_park,
        changes=changes,
        budget=budget_effect(before, after),
        notes=tuple(x for x in (baseline_run_id and data_since_note(wh, baseline_run_id),) if x),
    )


def paid_note(r: WhatIf, lib: Library, paid: Mapping[tuple[str, str, str, str], int]) -> str | None:
    """How many of each side's granted awards the payment ledger already holds (*paid*: its live
    keys with the fen each paid; *lib*: the library run, for which awards are one-time), with what
    the ledger paid for them, as a note; None when none. The cost is the policies' (what they grant
    for the period), so an award paid since the data were gathered is in it at the scenario's
    amount; the ledger's amount is what was paid, and a change of it is neither paid nor recovered
    (QA: the page did not say so, then said the scenario's amount as if it had been paid). A
    one-time award's key is ``once``, an annual one's the period."""
    keyed = ledger_period(lib, r.period)
    counted = []
    for side in ("before", "after"):
        granted = r.rows.filter(pc.greater(pc.fill_null(r.rows[f"amount_{side}_fen"], 0), 0))
        n = fen = 0
        for uscc, pid, cid in zip(
            *(granted[c].to_pylist() for c in ("uscc", "policy_id", "clause_id")), strict=True
        ):
            key = (uscc, pid, cid, keyed(pid, cid))
            if key in paid:
                n, fen = n + 1, fen + paid[key]
        counted.append((n, fen))
    (nb, fb), (na, fa) = counted
    if not (nb or na):
        return None
    yb, ya = display_fen(fb, "元"), display_fen(fa, "元")
    return (
        f"成本按政策口径计算, 含 {r.period} 年度已兑现的奖励: 模拟前其中 {nb:,} 项已兑现 (台账金额 {yb} 元), "
        f"模拟后其中 {na:,} 项已兑现 (台账金额 {ya} 元); 已兑现的奖励不会重复支付, 其金额在模拟中的变化既不补发"
        f"也不追回 (the costs are the policies': before, {nb:,} of the awards were already paid for "
        f"{r.period} ({yb} yuan in the ledger); after, {na:,} ({ya} yuan); a paid award is never "
        "paid twice, and a change of its amount in the scenario is neither paid nor recovered)"
    )


def with_paid_note(r: WhatIf, lib: Library, paid: Mapping[tuple[str, str, str, str], int]) -> WhatIf:
    """*r* with :func:`paid_note` among its :meth:`~WhatIf.warnings` when the ledger holds any of
    its awards: what the web and the CLI do with a ledger at hand."""
    note = paid_note(r, lib, paid)
    return dataclasses.replace(r, notes=(*r.notes, note)) if note else r
