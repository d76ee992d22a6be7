"""An engine-independent, order-independent digest of a table's content.

Each row is rendered as canonical text from the neutral Arrow types (``pyarrow`` casts to
string: ``2024-01-31``, ``2024-01-31 09:00:00.000000``, ``true``, ``-12``), fields joined by
U+001F with U+0000 standing for NULL; the row's 64-bit BLAKE2b hash is added to a running
sum modulo 2⁶⁴. Addition makes the digest independent of row order and (unlike XOR) sensitive
to duplicated rows. It is computed client-side from Arrow batches, so it is the same whichever
engine stored the rows, at the cost of reading the table once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.storage._schema import Table, arrow_type

_MASK = (1 << 64) - 1
_NULL = "\x00"
_SEP = "\x1f"


def canonical_rows(batch: pa.RecordBatch, spec: Table) -> pa.Array:
    """One canonical text per row of *batch* (a batch of table *spec*)."""
    parts = []
    for column, neutral in spec.columns:
        values = batch.column(column)
        if values.type != arrow_type(neutral):
            values = values.cast(arrow_type(neutral))
        parts.append(pc.fill_null(values.cast(pa.string()), _NULL))
    if not parts:
        return pa.array([""] * batch.num_rows, pa.string())
    return pc.binary_join_element_wise(*parts, _SEP)


def table_digest(batches: Iterable[pa.RecordBatch], spec: Table) -> tuple[int, str]:
    """``(rows, 16 hex digits)`` over every batch."""
    rows = 0
    total = 0
    blake = hashlib.blake2b
    for batch in batches:
        rows += batch.num_rows
        for text in canonical_rows(batch, spec).to_pylist():
            total += int.from_bytes(blake(text.encode("utf-8"), digest_size=8).digest(), "little")
        total &= _MASK
    return rows, f"{total:016x}"
