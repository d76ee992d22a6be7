"""What-if and coverage never build a full trace text (about 2 KB per enterprise × clause, tens of
gigabytes at a million firms), and give exactly what the full traces give.

The references are computed first, from full traces; then every way to a full text (expanding a
stored trace, an evaluation's traces) is made to fail, and what-if (fresh, against a recorded run
written whole or in chunks, against a run recorded before trace shapes existed) and coverage must
still agree with them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest

from tests.policy._whatif_data import build
from zonebrain.core.errors import InputError
from zonebrain.policy import (
    Library,
    WhatIf,
    _evaluate,
    _run,
    _trace,
    coverage,
    load_library,
    load_results,
    run_policies,
    set_budget,
    what_if,
)
from zonebrain.policy._evaluate import Evaluation, PaidList
from zonebrain.policy._limits import members
from zonebrain.policy._store import forget
from zonebrain.policy._whatif import _firms, compare_rows
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 3, 31)
FAMILY = "zz-gxq-2022"
RATE = {"zz-rd-input.rate": "3%"}
PAID = PaidList([("B2", "zz-revenue-breakthrough", "reach-10m")])
"""B2's 1000万 breakthrough award was paid before: ineligible now, on both sides."""


@pytest.fixture
def zone(wh: Warehouse) -> Warehouse:
    build(wh)
    return wh


def _refuse(*_args: Any, **_kwargs: Any) -> None:
    raise AssertionError("a full trace text was built")


def refuse_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, expanding a stored trace or building an evaluation's traces fails (wherever
    the expanding functions are defined or imported)."""
    for module in (_trace, _run, _evaluate):
        for name in ("expand", "expand_traces"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, _refuse)
    monkeypatch.setattr(Evaluation, "traces", _refuse)


def _old_format(wh: Warehouse, run_id: str) -> None:
    """Rewrite *run_id* as the code before trace shapes wrote it: full texts, no shapes."""
    full = load_results(wh, run_id)
    with wh.transaction():
        wh.delete_where_in("policy_trace_shapes", "run_id", [run_id])
        wh.delete_where_in("policy_results", "run_id", [run_id])
        wh.delete_where_in("policy_result_clauses", "run_id", [run_id])
        wh.delete_where_in("policy_result_firms", "run_id", [run_id])
        wh.delete_where_in("policy_result_rows", "run_id", [run_id])
        wh.append("policy_results", full.append_column("run_id", pa.repeat(run_id, full.num_rows)))
    forget()  # a recorded run's shapes never change in use, nor does policy_results at version 7


def _pool(lib: Library, results: pa.Table) -> tuple[int, int]:
    """(requested, granted) fen of the family's pool, read from the full traces' ``budget`` notes."""
    budget = lib.families[FAMILY].budget
    assert budget is not None
    names = set(members(budget.members, lib))
    requested = granted = 0
    for r in results.to_pylist():
        if r["status"] == "eligible" and f"{r['policy_id']}/{r['clause_id']}" in names:
            note = json.loads(r["trace"], strict=False).get("budget")
            granted += r["amount_fen"]
            requested += note["requested"] if note else r["amount_fen"]
    return requested, granted


def _parts(r: WhatIf) -> dict[str, list[dict[str, Any]]]:
    return {
        p: getattr(r, p).to_pylist() for p in ("rows", "totals", "by_clause", "by_park", "changes", "budget")
    }


def test_what_if_and_coverage_build_no_trace_and_match_the_full_traces(
    zone: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = set_budget(load_library(), FAMILY, "50万")  # every policy of the family, pro rata
    scenario = set_budget(base, FAMILY, "60万", rule="ranking")
    whole = run_policies(zone, base, AS_OF, history=PAID)
    chunked = run_policies(zone, base, AS_OF, history=PAID, keep_traces=False)
    old = run_policies(zone, base, AS_OF, history=PAID)
    _old_format(zone, old.run_id)
    # the references, from full traces
    after = run_policies(zone, scenario, AS_OF, parameters=RATE, history=PAID, write=False).results
    rows = compare_rows(whole.results, after, _firms(zone)).to_pylist()
    pools = (_pool(base, whole.results), _pool(scenario, after))
    # 16万 + 40万 asked of 50万 (B2's award was paid); at 3%: 24万 + 50万 (capped) of 60万
    assert pools == ((56_000_000, 50_000_000), (74_000_000, 60_000_000))
    covered = coverage(base, load_results(zone, whole.run_id))

    refuse_traces(monkeypatch)
    fresh = what_if(zone, base, AS_OF, parameters=RATE, library=scenario, history=PAID)
    assert fresh.rows.to_pylist() == rows
    budget = fresh.budget.to_pylist()[0]
    for side, (requested, granted) in zip(("before", "after"), pools, strict=True):
        assert (budget[f"requested_{side}_fen"], budget[f"granted_{side}_fen"]) == (requested, granted)
    for run in (whole, chunked, old):
        recorded = what_if(
            zone, base, parameters=RATE, library=scenario, baseline_run_id=run.run_id, history=PAID
        )
        assert (recorded.as_of, recorded.period) == (AS_OF, 2024)
        assert _parts(recorded) == _parts(fresh), run.run_id
    for run in (whole, chunked, old):
        got = coverage(base, wh=zone, run_id=run.run_id)
        assert (got.decided_share, got.firms, got.firms_decided) == (
            covered.decided_share, covered.firms, covered.firms_decided,
        )  # fmt: skip
        for part in ("clauses", "decisions", "missing"):
            assert getattr(got, part).equals(getattr(covered, part)), part


def test_a_recorded_run_gives_its_own_period_with_or_without_shapes(
    zone: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The period is the run's (2023 here, not the as-of date's default 2024): from its trace shapes,
    or from its first full trace when it was recorded before shapes existed."""
    lib = load_library()
    shaped = run_policies(zone, lib, AS_OF, period=2023)
    old = run_policies(zone, lib, AS_OF, period=2023)
    _old_format(zone, old.run_id)
    refuse_traces(monkeypatch)
    got = [what_if(zone, lib, parameters=RATE, baseline_run_id=r.run_id) for r in (shaped, old)]
    assert [(r.as_of, r.period) for r in got] == [(AS_OF, 2023), (AS_OF, 2023)]
    assert _parts(got[0]) == _parts(got[1])
    with pytest.raises(InputError, match="period mismatch"):
        what_if(zone, lib, period=2024, baseline_run_id=shaped.run_id)
