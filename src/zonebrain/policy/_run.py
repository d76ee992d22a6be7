"""Runs: evaluate, then record the run (as-of date, hashes, data batches) and its results atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy._evaluate import Evaluation, PaymentHistory, evaluate_all, parameter_values
from zonebrain.policy._library import Library
from zonebrain.policy._trace import expand
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
    results: pa.Table
    """uscc, policy_id, clause_id, status, amount_fen, missing_fields, trace (null when the run was
    made with ``keep_traces=False``: the traces are then only in the warehouse, see :func:`load_results`)."""
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each step: ``evaluate`` (queries, statuses, amounts, groups), ``write`` (traces
    joined and written, committed)."""

    def counts(self) -> dict[str, int]:
        got = self.results.group_by("status").aggregate([("uscc", "count")]).to_pylist()
        return {r["status"]: r["uscc_count"] for r in got}


def default_period(as_of: dt.date) -> int:
    """The year assessed by a run on *as_of*: the last full calendar year."""
    return as_of.year - 1


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
    the snapshot actually used is hashed into ``parameters_hash``. ``keep_traces=False`` (with
    ``write=True``) writes the traces in chunks and leaves them out of ``results``: a zone-scale run
    (about 2 KB of trace per enterprise and clause) then never holds them all in memory, neither
    here nor in the engine's transaction (the rows are committed in chunks, the run row last).
    """
    period = default_period(as_of) if period is None else period
    started = time.perf_counter()
    ev = evaluate_all(wh, lib, period, overrides=parameters, history=history)
    results = ev.table(trace=keep_traces or not write)
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
        results,
        seconds,
    )
    if write:
        started = time.perf_counter()
        _write(wh, result, kind, note, ev, chunked=not keep_traces)
        seconds["write"] = time.perf_counter() - started
    return result


WRITE_CHUNK = 1_000_000
"""Result rows per append when a run is written in chunks (``keep_traces=False``): about 75 MB of
stored traces (fewer, larger commits are faster on DuckDB: 2.1 s instead of 3.1 s for 2M rows)."""


def _write(wh: Warehouse, r: RunResult, kind: str, note: str, ev: Evaluation, *, chunked: bool) -> None:
    """The run row, its trace shapes and its results (traces in the stored form, see
    :func:`load_results`). *chunked* (``keep_traces=False``): the rows are committed in chunks, the
    run row last: a run is visible only once all its rows are in (readers find runs through
    ``policy_runs``), and on an error its rows and shapes are deleted again."""
    run = pa.table(
        {
            "run_id": [r.run_id],
            "as_of": pa.array([r.as_of], pa.date32()),
            "policies_hash": [r.policies_hash],
            "parameters_hash": [r.parameters_hash],
            "batch_ids": [",".join(r.batch_ids)],
            "kind": [kind],
            "note": [note or f"period={r.period}"],
            "created_at": pa.array([dt.datetime.now().replace(microsecond=0)], pa.timestamp("us")),
        }
    )

    def with_run(rows: pa.Table) -> pa.Table:
        return rows.add_column(0, "run_id", pa.repeat(pa.scalar(r.run_id, pa.string()), rows.num_rows))

    shapes = with_run(ev.shapes())
    if not chunked:
        with wh.transaction():
            wh.append("policy_runs", run)
            wh.append("policy_trace_shapes", shapes)
            wh.append("policy_results", with_run(ev.table(stored=True)))
        return
    try:
        with wh.transaction():
            wh.append("policy_trace_shapes", shapes)
        for start in range(0, ev.num_rows, WRITE_CHUNK):
            with wh.transaction():
                wh.append("policy_results", with_run(ev.table(start, start + WRITE_CHUNK, stored=True)))
        with wh.transaction():
            wh.append("policy_runs", run)
    except BaseException:
        with contextlib.suppress(Exception):
            wh.delete_where_in("policy_results", "run_id", [r.run_id])
        with contextlib.suppress(Exception):
            wh.delete_where_in("policy_trace_shapes", "run_id", [r.run_id])
        raise


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
    if run_id is None:
        latest = wh.to_arrow(runs.order_by(ibis.desc("created_at"), ibis.desc("run_id")).limit(1))
        if latest.num_rows == 0:
            from zonebrain.core.errors import InputError

            raise InputError("仓库中还没有政策运行 (no policy run yet); 请先运行 zonebrain policy run")
        run_id = str(latest["run_id"][0].as_py())
    t = wh.table("policy_results").filter(ibis._.run_id == run_id)
    if uscc is not None:
        t = t.filter(ibis._.uscc == uscc)
    if not traces:
        t = t.drop("trace")
    got = wh.to_arrow(t.order_by(["uscc", "policy_id", "clause_id"]))
    return expand_traces(got, trace_shapes(wh, run_id)) if traces else got


_SHAPES: OrderedDict[tuple[str, str], dict[tuple[str, str], str]] = OrderedDict()
"""(warehouse URL, run id) → its shapes, for the last few runs read: a recorded run's shapes never
change (they are written before its ``policy_runs`` row), and one enterprise's trace page would
otherwise spend two of its three queries on them."""
_SHAPES_KEPT = 16


def trace_shapes(wh: Warehouse, run_id: str) -> dict[tuple[str, str], str]:
    """(policy_id, clause_id) → the trace shape of *run_id* (empty: a run from before shapes)."""
    key = (wh.url, run_id)
    if key in _SHAPES:
        _SHAPES.move_to_end(key)
        return _SHAPES[key]
    if wh.schema_version() < TABLES["policy_trace_shapes"].since:
        return {}
    t = wh.table("policy_trace_shapes")
    got = wh.to_arrow(t.filter(t.run_id == run_id).select("policy_id", "clause_id", "shape"))
    cols = [got[c].to_pylist() for c in ("policy_id", "clause_id", "shape")]
    shapes = {(p, c): str(s) for p, c, s in zip(*cols, strict=True)}
    if shapes and wh.url and not wh.url.endswith(":memory:"):  # an in-memory URL names no one database
        _SHAPES[key] = shapes
        while len(_SHAPES) > _SHAPES_KEPT:
            _SHAPES.popitem(last=False)
    return shapes


def expand_traces(results: pa.Table, shapes: Mapping[tuple[str, str], str]) -> pa.Table:
    """*results* (with ``policy_id``, ``clause_id``, ``status``, ``trace``) with every stored trace
    of a clause in *shapes* expanded to its full text; other rows' traces pass through unchanged."""
    if not shapes or results.num_rows == 0:
        return results
    keys = pc.binary_join_element_wise(results["policy_id"], results["clause_id"], "/")
    codes = pc.dictionary_encode(_flat(keys))
    names = codes.dictionary.to_pylist()
    index = np.asarray(codes.indices, dtype=np.int64)
    trace = _flat(results["trace"]).cast(pa.string())
    status = _flat(results["status"]).cast(pa.string())
    rows: list[np.ndarray] = []
    texts: list[pa.Array] = []
    covered = np.zeros(results.num_rows, dtype=bool)
    for k, name in enumerate(names):
        shape = shapes.get(tuple(str(name).split("/", 1)))  # type: ignore[arg-type]
        if shape is None:
            continue
        at = np.flatnonzero(index == k)
        take = pa.array(at)
        rows.append(at)
        texts.append(expand(shape, trace.take(take), status.take(take)))
        covered[at] = True
    if not rows:
        return results
    rest = np.flatnonzero(~covered)
    if rest.size:
        rows.append(rest)
        texts.append(trace.take(pa.array(rest)))
    at = np.concatenate(rows)
    full = pa.concat_arrays([t.cast(pa.string()) for t in texts]) if len(texts) > 1 else texts[0]
    if bool(np.any(at[1:] < at[:-1])):  # rows of several clauses interleave (ordered by uscc): put back
        full = full.take(pa.array(np.argsort(at, kind="stable")))
    i = results.column_names.index("trace")
    return results.set_column(i, results.schema.field(i), full)


def _flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
