"""Portrait, diagnosis, benchmarking and persisted memberships on every engine, compared with DuckDB.

Each test loads the sample zone of ``tests/portrait/_data.py`` into the engine's warehouse and into
the DuckDB reference, runs the same queries on both and compares every table: exact for counts and
fen, 1e-9 relative for floats (shares, CAGR, HHI, LQ, density).
"""

from __future__ import annotations

import datetime as dt

from tests.conformance._compare import assert_same_table, sorted_rows
from tests.portrait._data import load_sample, uscc
from zonebrain.chains import Override, classify_zone, set_override
from zonebrain.portrait import benchmark, diagnose, portrait
from zonebrain.storage import Warehouse

NOW = dt.datetime(2025, 3, 1, 9, 30)
PORTRAIT_TABLES = (
    "totals",
    "by_section",
    "by_division",
    "by_chain",
    "by_node",
    "trend",
    "growth",
    "concentration",
    "sizes",
    "tags",
    "flows",
)


def _prepare(wh: Warehouse) -> None:
    load_sample(wh, memberships=False)
    set_override(wh, Override(uscc(8), "biomedicine", "tcm", "add", "药膳"), now=NOW)
    classify_zone(wh, run_id="run-1", now=NOW)


def test_memberships_and_portrait(wh: Warehouse, reference: Warehouse) -> None:
    for target in (wh, reference):
        _prepare(target)
    assert_same_table(
        sorted_rows(wh.to_arrow(wh.table("enterprise_chain_nodes")), "uscc", "chain_id", "node_id"),
        sorted_rows(
            reference.to_arrow(reference.table("enterprise_chain_nodes")), "uscc", "chain_id", "node_id"
        ),
    )
    assert_same_table(
        wh.to_arrow(wh.table("chain_overrides")), reference.to_arrow(reference.table("chain_overrides"))
    )
    for park in (None, "beta"):
        got, want = portrait(wh, park=park), portrait(reference, park=park)
        assert (got.year, got.first_year, got.park) == (want.year, want.first_year, want.park)
        for name in PORTRAIT_TABLES:
            try:
                assert_same_table(getattr(got, name), getattr(want, name))
            except AssertionError as exc:
                raise AssertionError(f"portrait(park={park}).{name}: {exc}") from None


def test_diagnosis_and_benchmark(wh: Warehouse, reference: Warehouse) -> None:
    for target in (wh, reference):
        _prepare(target)
    for level, measure in (("city", "firms"), ("province", "revenue_fen")):
        got = diagnose(wh, reference=level, measure=measure)  # type: ignore[arg-type]
        want = diagnose(reference, reference=level, measure=measure)  # type: ignore[arg-type]
        assert (got.reference, got.reference_year) == (want.reference, want.reference_year)
        for name in ("nodes", "leaders", "gaps"):
            try:
                assert_same_table(getattr(got, name), getattr(want, name))
            except AssertionError as exc:
                raise AssertionError(f"diagnose({level}, {measure}).{name}: {exc}") from None
    got_b = benchmark(wh, ["410100", "410300", "410000"])
    want_b = benchmark(reference, ["410100", "410300", "410000"])
    assert_same_table(got_b.table, want_b.table)
    assert_same_table(got_b.radar, want_b.radar)
