"""Trace text in Arrow: expanding the stored form (a shape per run × clause, per row only what varies)
to the full JSON, escaping fields, and the notes groups, caps and pools append (no per-row Python)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def lit(value: Any) -> str:
    """A constant as JSON text (escaped once, then repeated for every row)."""
    return json.dumps(value, ensure_ascii=False)


def cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def flat(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array (a single chunk is taken as it is, not copied)."""
    if isinstance(a, pa.ChunkedArray):
        return a.chunk(0) if a.num_chunks == 1 else a.combine_chunks()
    return a


_BOOL_TEXT = pa.array(["false", "true", "null"], pa.string())
"""A three-valued result's JSON text by its code: 0 false, 1 true, 2 unknown."""


# ---- stored form: a shape per run × clause, and per row only what varies -----------------------

SEP = "\x1f"
"""Separates the fields of a stored (compact) trace; escaped inside text fields (see :func:`escape`)."""
ESC = "\x1e"
"""Escapes :data:`SEP` (and itself) inside text fields."""
SHAPE_FORMAT = 1


def escape(col: pa.Array) -> pa.Array:
    """Make *col* free of :data:`SEP` (reversibly: ``\\x1e`` → ``\\x1e0``, ``\\x1f`` → ``\\x1e1``)."""
    if not (_contains(col, ESC) or _contains(col, SEP)):
        return col
    return pc.replace_substring(pc.replace_substring(col, ESC, ESC + "0"), SEP, ESC + "1")


def unescape(col: pa.Array) -> pa.Array:
    """The inverse of :func:`escape`."""
    if not _contains(col, ESC):
        return col
    return pc.replace_substring(pc.replace_substring(col, ESC + "1", SEP), ESC + "0", ESC)


def _contains(col: pa.Array, text: str) -> bool:
    return bool(len(col)) and bool(pc.any(pc.match_substring(col, text)).as_py())


def _digits(col: pa.Array, k: int) -> np.ndarray:
    """The ``(n, k)`` result codes (0 false, 1 true, 2 unknown) back from a stored trace's first
    field: ``k`` digits per row (written by the engine, see ``_evaluate._digits``)."""
    n = len(col)
    col = pc.cast(col, pa.string())
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset : col.offset + n + 1]
    if n and bool(np.all(np.diff(offsets) == k)):
        data = np.frombuffer(col.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[0] + n * k]
        return data.reshape(n, k) - ord("0")
    out = np.empty((n, k), dtype=np.uint8)
    for j in range(k):  # rows of unequal length: not written by this code
        out[:, j] = np.asarray(pc.cast(pc.utf8_slice_codeunits(col, j, j + 1), pa.uint8()))
    return out


@functools.lru_cache(maxsize=512)
def _spec(shape: str) -> dict[str, Any]:
    """A shape parsed (a run's shapes are read again for every enterprise's page)."""
    spec: dict[str, Any] = json.loads(shape)
    if spec.get("format") != SHAPE_FORMAT:
        raise ValueError(f"unknown trace shape format {spec.get('format')!r}")
    return spec


def expand(shape: str, stored: pa.Array, status: pa.Array) -> pa.Array:
    """Full trace texts from one clause's *shape* and its rows' stored (compact) traces.

    *shape* is JSON: ``text`` (constants) interleaved with ``fill`` (what goes between them:
    ``["r", k]`` the k-th result digit of field 0 as true/false/null, ``["v", i]`` field i, empty
    meaning ``null``, ``["t", i]`` field i as it is, ``["s", 0]`` the row's status column).
    """
    spec = _spec(shape)
    n = len(stored)
    if n == 0:
        return pa.array([], pa.string())
    stored = pc.cast(stored, pa.string())
    fields = int(spec["fields"])
    parts = pc.split_pattern(stored, SEP)
    lengths = pc.list_value_length(parts)
    if pc.min(lengths).as_py() != fields or pc.max(lengths).as_py() != fields:
        raise ValueError(f"stored traces do not have the {fields} fields of their shape")
    got: dict[int, pa.Array] = {}

    def field(i: int) -> pa.Array:
        if i not in got:
            got[i] = unescape(pc.list_element(parts, i))
        return got[i]

    codes: np.ndarray | None = None
    out: list[pa.Array | str] = [spec["text"][0]]
    for (kind, i), text in zip(spec["fill"], spec["text"][1:], strict=True):
        if kind == "r":
            if codes is None:
                codes = _digits(pc.list_element(parts, 0), int(spec["results"]))
            out.append(_BOOL_TEXT.take(pa.array(codes[:, i], pa.uint8())))
        elif kind == "v":
            f = field(i)
            out.append(pc.if_else(pc.equal(f, ""), "null", f))
        elif kind == "t":
            out.append(field(i))
        elif kind == "s":
            out.append(pc.cast(status, pa.string()))
        else:
            raise ValueError(f"unknown trace shape fill {kind!r}")
        out.append(text)
    return cat(*[p for p in out if not (isinstance(p, str) and p == "")])


_BOOL_WORDS = ("false", "true", "null")


def expand_one(shape: str, stored: str | None, status: str | None) -> str | None:
    """:func:`expand` for one row in plain Python: the same text (null when *stored* is, or the
    status the shape shows), without the fixed cost of some fifty Arrow calls per clause, which
    for the few rows of one enterprise is most of the work."""
    spec = _spec(shape)
    if stored is None:
        return None
    parts = stored.split(SEP)
    if len(parts) != int(spec["fields"]):
        raise ValueError(f"stored traces do not have the {spec['fields']} fields of their shape")
    out = [spec["text"][0]]
    for (kind, i), text in zip(spec["fill"], spec["text"][1:], strict=True):
        if kind == "r":
            out.append(_BOOL_WORDS[ord(parts[0][i]) - ord("0")])
        elif kind in ("v", "t"):
            f = parts[i].replace(ESC + "1", SEP).replace(ESC + "0", ESC) if ESC in parts[i] else parts[i]
            out.append("null" if kind == "v" and f == "" else f)
        elif kind == "s":
            if status is None:
                return None
            out.append(status)
        else:
            raise ValueError(f"unknown trace shape fill {kind!r}")
        out.append(text)
    return "".join(out)


SMALL = 64
"""Up to this many rows, :func:`expand_traces` expands row by row (:func:`expand_one`)."""


def expand_traces(results: pa.Table, shapes: Mapping[tuple[str, str], str]) -> pa.Table:
    """*results* (with ``policy_id``, ``clause_id``, ``status``, ``trace``) with every stored trace
    of a clause in *shapes* expanded to its full text; other rows' traces pass through unchanged."""
    if not shapes or results.num_rows == 0:
        return results
    if results.num_rows <= SMALL:
        cols = [results[c].to_pylist() for c in ("policy_id", "clause_id", "trace", "status")]
        full = [
            t if (shape := shapes.get((p, c))) is None else expand_one(shape, t, s)
            for p, c, t, s in zip(*cols, strict=True)
        ]
        i = results.column_names.index("trace")
        return results.set_column(i, results.schema.field(i), pa.array(full, results.schema.field(i).type))
    keys = pc.binary_join_element_wise(results["policy_id"], results["clause_id"], "/")
    codes = pc.dictionary_encode(flat(keys))
    names = codes.dictionary.to_pylist()
    index = np.asarray(codes.indices, dtype=np.int64)
    trace = flat(results["trace"]).cast(pa.string())
    status = flat(results["status"]).cast(pa.string())
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
