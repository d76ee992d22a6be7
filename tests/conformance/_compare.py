"""Comparing results across engines: exact for integers, text and dates; 1e-9 relative for floats."""

from __future__ import annotations

import math

import pyarrow as pa


def assert_same_table(got: pa.Table, want: pa.Table, *, ignore: tuple[str, ...] = ()) -> None:
    """Same schema (names and Arrow types), same rows in the same order."""
    keep = [c for c in want.column_names if c not in ignore]
    got, want = got.select([c for c in got.column_names if c not in ignore]), want.select(keep)
    assert got.schema.equals(want.schema), f"schema differs:\n{got.schema}\nvs the reference\n{want.schema}"
    assert got.num_rows == want.num_rows, f"{got.num_rows} rows vs {want.num_rows} in the reference"
    for i, (g, w) in enumerate(zip(got.to_pylist(), want.to_pylist(), strict=True)):
        for column in keep:
            a, b = g[column], w[column]
            if isinstance(b, float) and isinstance(a, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or (math.isnan(a) and math.isnan(b)), (
                    f"row {i} column {column}: {a!r} vs {b!r}"
                )
            else:
                assert a == b and type(a) is type(b), (
                    f"row {i} column {column}: {a!r} vs {b!r} in the reference"
                )


def sorted_rows(table: pa.Table, *keys: str) -> pa.Table:
    return table.sort_by([(k, "ascending") for k in keys])
