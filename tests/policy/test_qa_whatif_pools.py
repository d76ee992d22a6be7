"""QA findings on what-if: firms a budget pool cuts to 0 are no beneficiaries (item 1), the
per-clause rows and each firm's changes follow the library's clause order (item 13), a period
that has not begun is refused (item 3) and what a reader must know is said (item 6).

The zone is ``_whatif_data``: A1 16万 and A2 40万 (R&D award), B2 10万 (reach-10m) = 66万.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest

from tests.policy._whatif_data import build
from zonebrain.core.errors import InputError
from zonebrain.policy import load_library, run_policies, set_budget, set_threshold, what_if
from zonebrain.policy._explain import clause_order
from zonebrain.policy._period import provisional_text
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 3, 31)
ORDER = ["reach-10m", "reach-20m", "reach-50m", "reach-100m"]


@pytest.fixture
def zone(wh: Warehouse) -> Warehouse:
    build(wh)
    return wh


def test_a_firm_a_ranking_pool_cuts_to_zero_is_no_beneficiary(zone: Warehouse) -> None:
    """Ranking pool of 40万 over the family: A2's 40万 is paid in full, A1 and B2 get 0."""
    lib = load_library()
    r = what_if(zone, lib, AS_OF, library=set_budget(lib, "zz-gxq-2022", "40万", rule="ranking"))
    t = r.totals.to_pylist()[0]
    assert (t["cost_before_fen"], t["cost_after_fen"]) == (66_000_000, 40_000_000)
    assert (t["firms_before"], t["firms_after"], t["firms_delta"]) == (3, 1, -2)
    assert t["eligible_after"] == t["eligible_before"] == 3  # their conditions still hold
    parks = {x["park_id"]: (x["firms_before"], x["firms_after"]) for x in r.by_park.to_pylist()}
    assert parks == {"PA": (2, 1), "PB": (1, 0), None: (0, 0)}
    # the loser's change says the award was not funded, not "eligible 0.00 元"
    a1 = r.losers().filter(pc.equal(r.losers()["uscc"], "A1")).to_pylist()[0]
    assert a1["detail"] == "zz-rd-input/award: eligible 160,000.00 元 → eligible, not funded 0.00 元"
    # a pool of 0: nothing granted, nobody benefits
    none = what_if(zone, lib, AS_OF, library=set_budget(lib, "zz-gxq-2022", "0万", rule="ranking"))
    assert none.totals.to_pylist()[0]["firms_after"] == 0


def test_the_baseline_run_keeps_the_cut_award_eligible_at_zero_with_its_pool_note(zone: Warehouse) -> None:
    """The chosen reading: conditions met (eligible), 0 granted, the trace naming the pool; what-if
    against such a run counts only the funded firm as a beneficiary on both sides."""
    lib = set_budget(load_library(), "zz-gxq-2022", "40万", rule="ranking")
    run = run_policies(zone, lib, AS_OF)
    rows = {(x["uscc"], x["clause_id"]): x for x in run.results.to_pylist() if x["status"] == "eligible"}
    assert rows["A1", "award"]["amount_fen"] == 0
    assert '"budget":' in rows["A1", "award"]["trace"] and '"granted":0' in rows["A1", "award"]["trace"]
    r = what_if(zone, lib, baseline_run_id=run.run_id)
    t = r.totals.to_pylist()[0]
    assert (t["firms_before"], t["firms_after"], t["cost_before_fen"]) == (1, 1, 40_000_000)


def test_per_clause_rows_and_changes_follow_the_library_order(zone: Warehouse) -> None:
    """B2 (1100万, 900万 before) past a 1050万 reach-100m: 100万 kept over its 10万 reach-10m."""
    lib = load_library()
    scenario = set_threshold(lib, "zz-revenue-breakthrough/reach-100m", "1050万", old="10000万")
    r = what_if(zone, lib, AS_OF, library=scenario)
    keys = list(zip(r.by_clause["policy_id"].to_pylist(), r.by_clause["clause_id"].to_pylist(), strict=True))
    place = clause_order(lib)
    assert keys == sorted(keys, key=place.__getitem__)
    assert [c for p, c in keys if p == "zz-revenue-breakthrough"] == ORDER
    b2 = r.winners().filter(pc.equal(r.winners()["uscc"], "B2")).to_pylist()[0]
    assert [m["clause_id"] for m in b2["moves"]] == ["reach-10m", "reach-100m"]
    assert b2["detail"].startswith("zz-revenue-breakthrough/reach-10m: eligible 100,000.00 元 → superseded")


def test_a_period_that_has_not_begun_is_refused(zone: Warehouse) -> None:
    lib = load_library()
    with pytest.raises(InputError) as exc:
        run_policies(zone, lib, AS_OF, period=2030)
    said = str(exc.value)
    assert (
        said.startswith("考核年度 2030 在基准日 2025-03-31 尚未开始")
        and "(the period 2030 has not begun" in said
    )
    assert "2025" in said and "2024" in said  # what to give instead
    with pytest.raises(InputError, match="尚未开始"):
        run_policies(zone, lib, AS_OF, period=2026, write=False)
    with pytest.raises(InputError, match="尚未开始"):
        what_if(zone, lib, AS_OF, period=2026)
    assert zone.to_arrow(zone.table("policy_runs")).num_rows == 0
    provisional = run_policies(zone, lib, AS_OF, period=2025)  # the as-of year: allowed, provisional
    assert provisional.period == 2025


def test_the_comparison_says_when_it_is_provisional_or_ahead_of_today(zone: Warehouse) -> None:
    lib = load_library()
    r = what_if(zone, lib, AS_OF, period=2025)
    assert r.warnings(dt.date(2026, 1, 1)) == [provisional_text(AS_OF, 2025)]
    assert provisional_text(AS_OF, 2025).startswith("2025 年度在基准日 2025-03-31 尚未结束, 结果为暂定")
    ahead = what_if(zone, lib, dt.date(2030, 1, 1))
    (said,) = ahead.warnings(dt.date(2026, 1, 1))
    assert (
        said.startswith("基准日 2030-01-01 晚于今天 (2026-01-01, 北京时间), 仅预演") and "after today" in said
    )
    assert what_if(zone, lib, AS_OF).warnings(dt.date(2026, 1, 1)) == []
