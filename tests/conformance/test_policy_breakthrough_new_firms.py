"""The earlier years' largest revenue on every engine: a firm registered in the period year is
decided (the years before its registration are 0), one missing a year since its registration is
待核实, with identical statuses, missing fields and traces (the firms of
``tests/policy/test_breakthrough_new_firms.py``)."""

from __future__ import annotations

import datetime as dt

from tests.conformance._compare import assert_same_table
from tests.policy.test_breakthrough_new_firms import build
from zonebrain.policy import evaluate, load_library, load_results, run_policies
from zonebrain.storage import Warehouse


def test_new_firms_are_decided_alike_on_every_engine(wh: Warehouse, reference: Warehouse) -> None:
    lib = load_library()
    build(wh)
    build(reference)
    got = evaluate(wh, lib, 2024)
    assert_same_table(got, evaluate(reference, lib, 2024))
    first = {r["uscc"]: r for r in got.to_pylist() if r["clause_id"] == "reach-10m"}
    assert first["NEW2024"]["status"] == "eligible" and first["NEW2024"]["amount_fen"] == 10_000_000
    assert first["OLD2023GAP"]["missing_fields"] == "max_revenue_fen_before[2024]"
    # recorded as a run (the engine writes the stored form), read back the same
    a = run_policies(wh, lib, dt.date(2025, 3, 31))
    b = run_policies(reference, lib, dt.date(2025, 3, 31))
    assert_same_table(load_results(wh, a.run_id), load_results(reference, b.run_id), ignore=("run_id",))
