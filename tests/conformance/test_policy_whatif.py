"""What-if and coverage on every engine: identical tables (exact fen) to the DuckDB reference.

One test on purpose (a Spark warehouse is slow to fill): the three-park zone of
tests/policy/_whatif_data.py, a recorded baseline run, and a scenario that changes a parameter,
a clause threshold and a budget pool at once.
"""

from __future__ import annotations

import datetime as dt

from tests.conformance._compare import assert_same_table
from tests.policy._whatif_data import build
from zonebrain.policy import coverage, load_library, run_policies, set_budget, set_threshold, what_if
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 3, 31)


def test_what_if_and_coverage_agree(wh: Warehouse, reference: Warehouse) -> None:
    lib = load_library()
    scenario = set_threshold(lib, "zz-revenue-breakthrough/reach-10m", "1150万", old="1000万")
    scenario = set_budget(scenario, "zz-gxq-2022", "57万")
    got = {}
    for w in (wh, reference):
        build(w)
        before = {t: w.checksum(t) for t in ("policy_runs", "policy_results")}
        run = run_policies(w, lib, AS_OF)
        after_run = {t: w.checksum(t) for t in before}
        fresh = what_if(w, lib, AS_OF, parameters={"zz-rd-input.rate": "3%"}, library=scenario)
        recorded = what_if(
            w, lib, parameters={"zz-rd-input.rate": "3%"}, library=scenario, baseline_run_id=run.run_id
        )
        assert {t: w.checksum(t) for t in before} == after_run != before  # the run only, nothing from what-if
        got[w] = (fresh, recorded, coverage(lib, wh=w, run_id=run.run_id))
    (a, ar, ac), (b, br, bc) = got[wh], got[reference]
    for part in ("rows", "totals", "by_clause", "by_park", "changes", "budget"):
        assert_same_table(getattr(a, part), getattr(b, part))
        assert_same_table(getattr(ar, part), getattr(br, part))
        assert_same_table(getattr(ar, part), getattr(a, part))  # recorded baseline = fresh baseline
    assert a.totals["cost_delta_fen"].to_pylist() == [-9_000_000]  # 66万 → 57万 (the pool)
    assert [x["uscc"] for x in a.changes.to_pylist()] == ["B2", "A1", "A2"]
    for part in ("clauses", "decisions", "missing"):
        assert_same_table(getattr(ac, part), getattr(bc, part))
