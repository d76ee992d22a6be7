"""Features of the policy format with case files of their own, on every engine: a tag first held
in the period (``since_within``: a date in the window, on its first and last day, before, after,
not held, blank: 待核实) and a year-on-year growth (``growth``: exactly the rate in exact decimals,
a fen below and above, either year missing and named, a base year of 0, a decline, an excluded
firm). Each case file passes, and the statuses, missing fields and traces are identical to
DuckDB's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conformance._compare import assert_same_table
from tests.policy._growth import library_with_growth
from tests.policy._tag_first import library_with_tag_first
from zonebrain.policy import evaluate, load_library, run_case_file
from zonebrain.storage import Warehouse


@pytest.mark.parametrize(
    ("build", "policy_id", "n_cases"),
    [(library_with_tag_first, "zz-tag-first", 9), (library_with_growth, "zz-growth", 8)],
    ids=["tag-first-held", "growth"],
)
def test_feature_cases_pass_on_engine(
    wh: Warehouse,
    reference: Warehouse,
    tmp_path: Path,
    build: Callable[[Path], Path],
    policy_id: str,
    n_cases: int,
) -> None:
    folder = build(tmp_path / "lib")
    lib = load_library(folder)
    path = folder / f"{policy_id}.cases.yaml"
    outcomes = run_case_file(path, lib, wh)
    assert len(outcomes) == n_cases and [o.problems for o in outcomes if o.problems] == []
    run_case_file(path, lib, reference)
    assert_same_table(evaluate(wh, lib, 2024), evaluate(reference, lib, 2024))
