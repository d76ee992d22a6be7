"""What a run leaves at stake (QA: coverage said 99.9 % decided while 18 % of the firms that could
get the R&D award were 待核实): checked against the results and their expanded traces, not
against the digits the engine reads."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

from tests.policy._whatif_data import build
from zonebrain.policy import coverage, load_firms, load_library, load_results, run_policies
from zonebrain.policy._coverage import max_award
from zonebrain.storage import Warehouse


def test_the_stake_of_a_recorded_run(wh: Warehouse) -> None:
    build(wh)
    # a firm registered outside the zone: the family's subject rules it out, for every clause
    outside = {"division_code": "410105001", "status": "存续", "park_id": None}
    year = {"revenue_fen": "2000万", "tax_fen": "20万", "rd_expense_fen": "900万", "insured_employees": 9}
    load_firms(wh, ["X1"], [{"enterprise": outside, "years": {2023: year, 2024: year}}])
    lib = load_library()
    run = run_policies(wh, lib, dt.date(2025, 3, 31))
    c = coverage(lib, wh=wh, run_id=run.run_id)
    s = c.stake
    assert s is not None
    rows = load_results(wh, run.run_id).to_pylist()  # full traces: the family's result in words
    in_scope = {r["uscc"] for r in rows if json.loads(r["trace"])["subject_and_exclusions"] is not False}
    assert s.firms == len({r["uscc"] for r in rows}) and s.firms_in_scope == len(in_scope)
    assert 0 < s.firms_in_scope < s.firms  # the sample has firms the subject rules out
    candidates = [r for r in rows if r["status"] != "ineligible"]
    undetermined = [r for r in candidates if r["status"] == "undetermined"]
    assert s.candidates == len(candidates) and s.undetermined == len(undetermined) > 0
    assert s.candidates_share == Fraction(len(candidates) - len(undetermined), len(candidates))
    declared = [r for r in candidates if r["policy_id"] == "zz-rd-input"]  # the one declared clause
    decided = [r for r in declared if r["status"] != "undetermined"]
    assert s.declared_share == Fraction(len(decided), len(declared))
    from_data = [r for r in candidates if r["policy_id"] != "zz-rd-input"]
    assert s.from_data_share == Fraction(
        sum(r["status"] != "undetermined" for r in from_data), len(from_data)
    )
    paid = [r for r in rows if r["status"] == "eligible"]
    total = sum(r["amount_fen"] for r in paid)
    assert s.amount_from_data_share == Fraction(
        sum(r["amount_fen"] for r in paid if r["policy_id"] != "zz-rd-input"), total
    )
    # every 待核实 case at its clause's bound: 50万 for the R&D award, 100万 for reaching 1亿 …
    bound = {(p.id, cl.id): max_award(p, cl, 2024) for p in lib.policies.values() for cl in p.clauses}
    assert (
        bound["zz-rd-input", "award"] == 50_000_000 and bound["zz-hitech-first-cert", "award"] == 30_000_000
    )
    assert s.undetermined_max_fen == sum(bound[r["policy_id"], r["clause_id"]] or 0 for r in undetermined)
    assert s.undetermined_unbounded == 0
    assert c.summary()["candidates"].to_pylist() == [len(candidates)]
