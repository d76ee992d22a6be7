"""A tag first held in the period (``since_within``) on every engine: the boundary case file passes
(a date in the window, on its first and last day, before, after, not held, blank: 待核实), and the
statuses, missing fields and traces are identical to DuckDB's."""

from __future__ import annotations

from pathlib import Path

from tests.conformance._compare import assert_same_table
from tests.policy._tag_first import library_with_tag_first
from zonebrain.policy import evaluate, load_library, run_case_file
from zonebrain.storage import Warehouse


def test_tag_first_held_cases_pass_on_engine(wh: Warehouse, reference: Warehouse, tmp_path: Path) -> None:
    folder = library_with_tag_first(tmp_path / "lib")
    lib = load_library(folder)
    path = folder / "zz-tag-first.cases.yaml"
    outcomes = run_case_file(path, lib, wh)
    assert len(outcomes) == 9 and [o.problems for o in outcomes if o.problems] == []
    run_case_file(path, lib, reference)
    assert_same_table(evaluate(wh, lib, 2024), evaluate(reference, lib, 2024))
