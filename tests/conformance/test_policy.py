"""Policy evaluation on every engine: identical statuses, exact fen and identical trace text.

Few tests on purpose (a Spark warehouse is slow to fill): the small zone of tests/policy/_data.py
evaluated and recorded as a run, and every YAML case file of the built-in library on the engine.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc

from tests.conformance._compare import assert_same_table
from tests.policy._data import build
from zonebrain.policy import LIBRARY, evaluate, load_library, load_results, run_case_file, run_policies
from zonebrain.storage import Warehouse


def test_policy_evaluation_and_run_agree(wh: Warehouse, reference: Warehouse) -> None:
    lib = load_library()
    build(wh)
    build(reference)
    got = evaluate(wh, lib, 2024)
    assert got.num_rows == 36
    assert_same_table(got, evaluate(reference, lib, 2024))
    a = run_policies(wh, lib, dt.date(2025, 3, 31), note="conformance")
    b = run_policies(reference, lib, dt.date(2025, 3, 31), note="conformance")
    assert (a.policies_hash, a.parameters_hash, a.batch_ids) == (
        b.policies_hash,
        b.parameters_hash,
        b.batch_ids,
    )
    whole = load_results(wh, a.run_id)
    assert_same_table(whole, load_results(reference, b.run_id), ignore=("run_id",))
    # counted on the stored rows and the firms (plainly ineligible rows are not stored)
    assert a.summary.equals(b.summary) and sum(a.summary["rows"].to_pylist()) == whole.num_rows == 36
    # one enterprise at a time (the trace page's narrow read, firm_results): the same rows
    for uscc in sorted(set(whole["uscc"].to_pylist())):
        one = load_results(wh, a.run_id, uscc)
        assert one.num_rows and one.equals(whole.filter(pc.equal(whole["uscc"], uscc)))
    runs = wh.to_arrow(wh.table("policy_runs"))
    assert runs["note"].to_pylist() == ["conformance"] and runs["as_of"][0].as_py() == dt.date(2025, 3, 31)


def test_policy_cases_pass_on_engine(wh: Warehouse) -> None:
    lib = load_library()
    failed = []
    for path in sorted(LIBRARY.rglob("*.cases.yaml")):
        failed += [
            f"{path.name}: {o.case}: {o.problems}" for o in run_case_file(path, lib, wh) if not o.passed
        ]
    assert not failed, "\n".join(failed)
