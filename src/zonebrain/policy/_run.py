"""Runs: evaluate, then record the run (as-of date, hashes, data batches) and its results atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.clock import utcnow
from zonebrain.core.errors import InputError
from zonebrain.policy._evaluate import (
    _LEDGER_NOTE,
    RESULT_SCHEMA,
    Evaluation,
    NoPayments,
    PaymentHistory,
    evaluate_all,
    parameter_values,
)
from zonebrain.policy._library import Library
from zonebrain.policy._store import firm_results, per_run, results_table, run_summary
from zonebrain.policy._trace import expand_traces
from zonebrain.storage import TABLES, Warehouse


def canonical_hash(data: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no spaces; fractions and dates as text)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def policies_hash(lib: Library) -> str:
    return canonical_hash(
        {
            "families": {
                k: f.model_dump(mode="python", by_alias=True) for k, f in sorted(lib.families.items())
            },
            "policies": {
                k: p.model_dump(mode="python", by_alias=True) for k, p in sorted(lib.policies.items())
            },
        }
    )


def parameter_snapshot(
    lib: Library, period: int, overrides: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """``policy_id.name`` → the value used (fen or an exact fraction, as text)."""
    day = dt.date(period, 12, 31)
    out = {}
    for p in lib.policies.values():
        for name, value in parameter_values(p, day, overrides or {}).items():
            out[f"{p.id}.{name}"] = str(value)
    return dict(sorted(out.items()))


SUMMARY_SCHEMA = pa.schema(
    [("policy_id", pa.string()), ("clause_id", pa.string()), ("status", pa.string()),
     ("rows", pa.int64()), ("amount_fen", pa.int64())]
)  # fmt: skip


def _empty_summary() -> pa.Table:
    return SUMMARY_SCHEMA.empty_table()


@dataclass(frozen=True)
class RunResult:
    """A recorded run: reproducible from its as-of date, rule and parameter hashes and data batches."""

    run_id: str
    as_of: dt.date
    period: int
    policies_hash: str
    parameters_hash: str
    parameters: dict[str, str]
    batch_ids: tuple[str, ...]
    fetch: Callable[[], pa.Table] = field(repr=False, compare=False)
    """Gives :attr:`results` (the evaluation's rows, or a written run's rows read back)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each step: ``evaluate`` (the query built, groups, caps and pools applied to
    the rows they concern), ``write`` (every row computed by the engine and inserted, committed)."""
    summary: pa.Table = field(default_factory=lambda: _empty_summary(), repr=False, compare=False)
    """Per policy, clause and status: ``rows`` and the sum of ``amount_fen`` (counted by the engine)."""
    paid_before: dict[tuple[str, str], int] = field(default_factory=dict, compare=False)
    """Per one-time clause (policy_id, clause_id), the enterprises the payment ledger shows it paid
    to already: never paid again, they are counted under their status (符合 no longer; QA: a run
    after a payment showed fewer 符合 and did not say why). Empty when nothing was paid before."""

    @functools.cached_property
    def results(self) -> pa.Table:
        """uscc, policy_id, clause_id, status, amount_fen, missing_fields, trace (null when the run
        was made with ``keep_traces=False``: the traces are then only in the warehouse, see
        :func:`load_results`), in library order (policy, clause) then by uscc. A written run's
        rows are read back from the warehouse on first use (it must still be open);
        :attr:`summary` is always at hand."""
        return self.fetch()

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        out: dict[str, int] = {}
        for r in self.summary.to_pylist():
            out[r["status"]] = out.get(r["status"], 0) + int(r["rows"])
        return out


def default_period(as_of: dt.date) -> int:
    """The year assessed by a run on *as_of*: the last full calendar year."""
    return as_of.year - 1


def check_period(as_of: dt.date, period: int) -> int:
    """*period* if it has begun by *as_of*: a year after the as-of date's has no data at all (every
    result 待核实, every amount 0) and, recorded, would become the latest run every page and
    command defaults to. The as-of date's own year stays allowed (a provisional run)."""
    if period > as_of.year:
        raise InputError(
            f"考核年度 {period} 在基准日 {as_of} 尚未开始, 不能测算; 请填写 {as_of.year} 年或更早的年度, "
            f"或不填 (默认上一年度 {default_period(as_of)}) (the period {period} has not begun on the "
            f"as-of date {as_of}: give {as_of.year} or an earlier year, or leave it empty for "
            f"{default_period(as_of)})"
        )
    return period


def check_policies_apply(lib: Library, period: int) -> None:
    """Refuse a *period* before a policy of *lib* applies (its effective year, or a parameter's
    first value), in words for the officer running it: which policies, from which year. Without
    this the run stopped at the first parameter not yet in force, with a message for the policy's
    authors (file, line, add a since)."""
    from zonebrain.policy._cases import applies_from

    applies = {p.id: applies_from(p) for p in lib.policies.values()}
    late = sorted((pid, year) for pid, year in applies.items() if year > period)
    if late:
        first = max(year for _, year in late)
        raise InputError(
            f"{period} 年度早于政策的适用年度 ({'、'.join(f'{pid} 自 {year} 年度起' for pid, year in late)}), "
            f"不能测算; 请测算 {first} 年度及以后 (the period {period} is before some policies apply: "
            f"{', '.join(f'{pid} from {year}' for pid, year in late)}; give {first} or a later period)"
        )


def zone_notes(wh: Warehouse, lib: Library) -> list[str]:
    """A warning per family whose subject is limited to a division code the warehouse's zone does
    not share (the built-in library is 郑州高新区's, 410172): every firm would be 不符合, and firms
    missing data 不符合 rather than 待核实 (QA: a Luoyang zone got 282 × 不符合 without a word)."""
    codes = sorted(
        {str(c) for c in wh.to_arrow(wh.table("parks").select("zone_code"))["zone_code"].to_pylist() if c}
    )
    if not codes:
        return []
    out = []
    for fam in lib.families.values():
        for leaf in fam.eligibility.leaves():
            if leaf.fact != "division_code" or leaf.op != "startswith" or leaf.value is None:
                continue
            prefix, where = str(leaf.value), f" ({leaf.ref.text()})" if leaf.ref else ""
            if any(c.startswith(prefix) or prefix.startswith(c) for c in codes):
                continue
            out.append(
                f"政策族 {fam.id} ({fam.meta.name}) 的支持对象限于行政区划代码以 {prefix} 开头的企业"
                f"{where}, 而仓库的园区代码为 {'、'.join(codes)}: 所有企业都将不符合。"
                "其他园区请复制政策库, 按本园区修改行政区划代码等地方条件, 再用 --dir 指定 (见 docs/policy.md "
                f"'其他园区') (family {fam.id} supports firms registered under {prefix} only, but this "
                f"warehouse's zone is {', '.join(codes)}: every firm will be ineligible; copy the library, "
                "adapt its local conditions and pass it with --dir)"
            )
    return out


def run_policies(
    wh: Warehouse,
    lib: Library,
    as_of: dt.date,
    *,
    period: int | None = None,
    parameters: Mapping[str, Any] | None = None,
    history: PaymentHistory | None = None,
    kind: str = "run",
    note: str = "",
    write: bool = True,
    keep_traces: bool = True,
) -> RunResult:
    """Evaluate every policy of *lib* and (unless ``write=False``) record the run in one transaction.

    *parameters* overrides values by ``policy_id.name`` (e.g. ``{"zz-rd-input.rate": "3%"}``);
    the snapshot actually used is hashed into ``parameters_hash``. A recorded run is computed and
    written by the engine in one ``INSERT … SELECT`` (no row passes through Python); ``results``
    is fetched only when read. ``keep_traces=False`` leaves the trace column of ``results`` null
    (a zone-scale run's full trace text is about 2 KB per enterprise and clause). A *period* after
    the as-of date's year is refused (:class:`InputError`, see :func:`check_period`), recorded or not.
    """
    period = default_period(as_of) if period is None else check_period(as_of, period)
    check_policies_apply(lib, period)
    started = time.perf_counter()
    paid = (history or NoPayments()).paid()
    ev = evaluate_all(wh, lib, period, overrides=parameters, history=_Fetched(paid))
    seconds = {"evaluate": time.perf_counter() - started}
    snapshot = parameter_snapshot(lib, period, parameters)
    batches = wh.to_arrow(wh.table("import_batches").select("batch_id").distinct().order_by("batch_id"))
    batch_ids = tuple(str(b) for b in batches["batch_id"].to_pylist())
    p_hash = policies_hash(lib)
    run_id = f"{as_of.isoformat()}-{p_hash[:8]}-{uuid.uuid4().hex[:8]}"
    result = RunResult(
        run_id,
        as_of,
        period,
        p_hash,
        canonical_hash({"period": period, **snapshot}),
        snapshot,
        batch_ids,
        (lambda: _read_back(wh, run_id, ev.names, traces=keep_traces)) if write else ev.table,
        seconds,
    )
    if write:
        started = time.perf_counter()
        try:
            _write(wh, result, kind, note, ev)
        finally:
            ev.release()
        seconds["write"] = time.perf_counter() - started
        summary = wh.to_arrow(run_summary(wh, run_id).order_by(["policy_id", "clause_id", "status"]))
        before = _paid_before(wh, run_id, ev.names) if paid.num_rows else {}
    else:
        got = ev.columns.group_by(["policy_id", "clause_id", "status"]).aggregate(
            [("uscc", "count"), ("amount_fen", "sum")]
        )
        summary = pa.table(
            [got["policy_id"], got["clause_id"], got["status"], got["uscc_count"], got["amount_fen_sum"]],
            names=SUMMARY_SCHEMA.names,
        ).sort_by([(c, "ascending") for c in ("policy_id", "clause_id", "status")])
        before = (
            # the ledger's note is in the stored trace (the evaluation's own notes are the others'):
            # no field's text can hold it, its quotes being escaped
            _counted_by_clause(ev.data, pc.match_substring(ev.data["trace"], _LEDGER_NOTE))
            if paid.num_rows
            else {}
        )
    return dataclasses.replace(result, summary=summary.cast(SUMMARY_SCHEMA), paid_before=before)


@dataclass(frozen=True)
class _Fetched:
    """A payment history read once (the run counts what it holds, the evaluation consults it)."""

    table: pa.Table

    def paid(self) -> pa.Table:
        return self.table


def _paid_before(wh: Warehouse, run_id: str, names: list[str]) -> dict[tuple[str, str], int]:
    """:attr:`RunResult.paid_before` of a recorded run: its rows with the ledger's note (always
    stored, ADR 0011), counted per clause number."""
    r = wh.table("policy_result_rows")
    r = r.filter((r.run_id == run_id) & r.notes.startswith(_LEDGER_NOTE))
    got = wh.to_arrow(r.group_by("clause_no").aggregate(n=r.count())).to_pylist()
    return {_clause_key(names[x["clause_no"]]): int(x["n"]) for x in got}


def _counted_by_clause(data: pa.Table, hit: pa.ChunkedArray) -> dict[tuple[str, str], int]:
    """Rows of an evaluation's *data* where *hit* holds, counted per (policy_id, clause_id)."""
    got = (
        data.filter(pc.fill_null(hit, False))
        .group_by(["policy_id", "clause_id"])
        .aggregate([("uscc", "count")])
    )
    return {
        (str(p), str(c)): int(n)
        for p, c, n in zip(*(got[k].to_pylist() for k in got.column_names), strict=True)
    }


def _clause_key(name: str) -> tuple[str, str]:
    policy_id, _, clause_id = name.partition("/")
    return policy_id, clause_id


def _read_back(wh: Warehouse, run_id: str, names: list[str], *, traces: bool) -> pa.Table:
    """A written run's rows in :data:`RESULT_SCHEMA`, ordered as the evaluation orders them."""
    got = load_results(wh, run_id, traces=traces).drop_columns(["run_id"])
    if not traces:
        got = got.append_column("trace", pa.nulls(got.num_rows, pa.string()))
    place = {n: i for i, n in enumerate(names)}
    keys = pc.binary_join_element_wise(got["policy_id"], got["clause_id"], "/")
    index = pc.index_in(keys, value_set=pa.array(list(place), pa.string()))
    got = got.append_column("_o", index)
    return got.sort_by([("_o", "ascending"), ("uscc", "ascending")]).drop_columns(["_o"]).cast(RESULT_SCHEMA)


def _write(wh: Warehouse, r: RunResult, kind: str, note: str, ev: Evaluation) -> None:
    """The run row, its trace shapes and its results (traces in the stored form, see
    :func:`load_results`), in one transaction: readers find runs through ``policy_runs``, so a
    run is visible only once all its rows are in."""
    run = pa.table(
        {
            "run_id": [r.run_id],
            "as_of": pa.array([r.as_of], pa.date32()),
            "policies_hash": [r.policies_hash],
            "parameters_hash": [r.parameters_hash],
            "batch_ids": [",".join(r.batch_ids)],
            "kind": [kind],
            "note": [note or f"period={r.period}"],
            # to the microsecond: two runs in one second must still be told apart as the latest
            "created_at": pa.array([utcnow()], pa.timestamp("us")),
        }
    )
    shapes = ev.shapes()
    shapes = shapes.add_column(0, "run_id", pa.repeat(pa.scalar(r.run_id, pa.string()), shapes.num_rows))
    with wh.transaction():
        wh.append("policy_trace_shapes", shapes)
        if ev.names:
            ev.write(r.run_id)
        wh.append("policy_runs", run)


def load_results(
    wh: Warehouse, run_id: str | None = None, uscc: str | None = None, *, traces: bool = True
) -> pa.Table:
    """The results of *run_id* (default: the latest run), optionally for one enterprise.

    ``traces=False`` leaves the ``trace`` column out (nothing fetched or expanded for it).

    The traces come back as full JSON text, byte for byte what :func:`evaluate` returns: the stored
    form (per row only what varies) is expanded with its clause's shape from ``policy_trace_shapes``
    (vectorised, one clause at a time); rows of runs recorded before traces were stored compactly
    (no shape) are returned as they are.
    """
    runs = wh.table("policy_runs")
    run_id = latest_run_id(wh) if run_id is None else run_id
    order = ["uscc", "policy_id", "clause_id"]
    narrow = None if uscc is None else firm_results(wh, run_id, uscc)
    if narrow is not None:
        got = narrow.sort_by([(c, "ascending") for c in order])
        got = got if traces else got.drop_columns(["trace"])
    else:
        t = results_table(wh).filter(ibis._.run_id == run_id)
        if uscc is not None:
            t = t.filter(ibis._.uscc == uscc)
        if not traces:
            t = t.drop("trace")
        got = wh.to_arrow(t.order_by(order))
    # no rows: say whether the run itself is unknown (asked only then, off the trace page's path)
    if (
        got.num_rows == 0
        and not wh.to_arrow(runs.filter(runs.run_id == run_id).select("run_id").limit(1)).num_rows
    ):
        raise InputError(
            f"没有测算记录 '{run_id}' (no such policy run); 请用 zonebrain policy run 打印的 run_id"
        )
    return expand_traces(got, trace_shapes(wh, run_id)) if traces else got


def latest_run_id(wh: Warehouse) -> str:
    """The latest recorded run (newest ``created_at``, then ``run_id``), refused when there is none."""
    runs = wh.table("policy_runs")
    got = wh.to_arrow(runs.order_by(ibis.desc("created_at"), ibis.desc("run_id")).limit(1).select("run_id"))
    if got.num_rows == 0:
        raise InputError("仓库中还没有政策运行 (no policy run yet); 请先运行 zonebrain policy run")
    return str(got["run_id"][0].as_py())


def trace_shapes(wh: Warehouse, run_id: str) -> dict[tuple[str, str], str]:
    """(policy_id, clause_id) → the trace shape of *run_id* (empty: a run from before shapes)."""
    if not wh.schema_at_least(TABLES["policy_trace_shapes"].since):
        return {}

    def fetch() -> dict[tuple[str, str], str]:
        t = wh.table("policy_trace_shapes")
        got = wh.to_arrow(t.filter(t.run_id == run_id).select("policy_id", "clause_id", "shape"))
        cols = [got[c].to_pylist() for c in ("policy_id", "clause_id", "shape")]
        return {(p, c): str(s) for p, c, s in zip(*cols, strict=True)}

    return per_run(wh, run_id, "shapes", fetch)
