"""Vectorised text building for traces (JSON assembled column-wise with Arrow, no per-row Python)."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def lit(value: Any) -> str:
    """A constant as JSON text (escaped once, then repeated for every row)."""
    return json.dumps(value, ensure_ascii=False)


def cat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*parts, "")


def json_value(col: pa.Array, text: bool) -> pa.Array:
    """A column as JSON values: numbers as digits, text quoted and escaped, null as ``null``."""
    if text:
        s = pc.replace_substring(col.cast(pa.string()), "\\", "\\\\")
        s = pc.replace_substring(s, '"', '\\"')
        s = cat('"', s, '"')
    else:
        s = col.cast(pa.string())
    return pc.fill_null(s, "null")


_BOOL_TEXT = pa.array(["false", "true", "null"], pa.string())


def json_bool(col: pa.Array) -> pa.Array:
    """true / false / null (unknown) for a three-valued boolean column."""
    return _BOOL_TEXT.take(pc.fill_null(pc.cast(col, pa.int8()), 2))


def join_nonnull(parts: list[pa.Array], sep: str) -> pa.Array:
    """Join the non-null entries of each row with *sep*; null when all are null.

    (Arrow's ``null_handling="skip"`` drops rows where every part is null, so it is not used.)
    """
    pieces = [pc.fill_null(cat(sep, p), "") for p in parts]
    joined = cat(*pieces) if len(pieces) > 1 else pieces[0]
    joined = pc.utf8_slice_codeunits(joined, len(sep))
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
