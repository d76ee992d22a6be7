"""A year-on-year growth (``growth``) on every engine: the boundary case file passes (exactly the
rate in exact decimals, a fen below and above, either year missing and named, a base year of 0, a
decline, an excluded firm), and the statuses, missing fields and traces are identical to DuckDB's."""

from __future__ import annotations

from pathlib import Path

from tests.conformance._compare import assert_same_table
from tests.policy._growth import library_with_growth
from zonebrain.policy import evaluate, load_library, run_case_file
from zonebrain.storage import Warehouse


def test_growth_cases_pass_on_engine(wh: Warehouse, reference: Warehouse, tmp_path: Path) -> None:
    folder = library_with_growth(tmp_path / "lib")
    lib = load_library(folder)
    path = folder / "zz-growth.cases.yaml"
    outcomes = run_case_file(path, lib, wh)
    assert len(outcomes) == 8 and [o.problems for o in outcomes if o.problems] == []
    run_case_file(path, lib, reference)
    assert_same_table(evaluate(wh, lib, 2024), evaluate(reference, lib, 2024))
