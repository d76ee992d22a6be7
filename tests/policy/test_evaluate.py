"""Evaluation semantics: Kleene logic, exact amounts, groups, runs and their records."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.policy._data import build
from zonebrain.policy import PaidList, evaluate, load_library, load_results, run_policies
from zonebrain.policy._amounts import compute_sql
from zonebrain.policy._format import Amount
from zonebrain.storage import Warehouse


def _rows(t: pa.Table) -> dict[tuple[str, str, str], dict[str, object]]:
    return {(r["uscc"], r["policy_id"], r["clause_id"]): r for r in t.to_pylist()}


def test_small_zone(wh: Warehouse) -> None:
    build(wh)
    rows = _rows(evaluate(wh, load_library(), 2024))
    assert rows["P0", "zz-rd-input", "award"]["amount_fen"] == 50_000_000
    hit = rows["P0", "zz-hitech-first-cert", "award"]
    assert hit["status"] == "superseded" and hit["amount_fen"] is None
    assert json.loads(str(hit["trace"]))["superseded_by"] == "zz-rd-input/award"
    assert rows["P1", "zz-hitech-first-cert", "award"]["amount_fen"] == 20_000_000
    assert rows["P1", "zz-revenue-breakthrough", "reach-50m"]["amount_fen"] == 50_000_000
    for clause in ("award",):
        p2 = rows["P2", "zz-hitech-first-cert", clause]
        assert p2["status"] == "undetermined" and p2["missing_fields"] == "tax_fen[2024]"
    assert {r["status"] for k, r in rows.items() if k[0] in ("P3", "P4")} == {"ineligible"}
    assert rows["P5", "zz-rd-input", "award"]["amount_fen"] == 10_000_200


def test_kleene_unknown_or_true_is_true(wh: Warehouse) -> None:
    """A firm whose tax is missing is 待核实 for its subject, but a false clause makes it ineligible."""
    build(wh)
    rows = _rows(evaluate(wh, load_library(), 2024))
    # P2: subject unknown (tax missing) AND R&D 100万 < 500万 (false) → false, not unknown
    assert rows["P2", "zz-rd-input", "award"]["status"] == "ineligible"
    assert rows["P2", "zz-rd-input", "award"]["missing_fields"] is None
    trace = json.loads(str(rows["P2", "zz-rd-input", "award"]["trace"]))
    assert trace["subject_and_exclusions"] is None and trace["clause_conditions"] is False


def test_every_trace_is_json_with_refs(wh: Warehouse) -> None:
    build(wh)
    for row in evaluate(wh, load_library(), 2024).to_pylist():
        trace = json.loads(row["trace"])
        assert trace["status"] == row["status"]
        assert all(c["ref"].startswith("第") for c in trace["conditions"])
        assert trace["amount"]["fen"] == row["amount_fen"] or row["status"] != "eligible"


def test_one_time_award_consults_payment_history(wh: Warehouse) -> None:
    build(wh)
    paid = PaidList([("P1", "zz-hitech-first-cert", "award")])
    rows = _rows(evaluate(wh, load_library(), 2024, history=paid))
    assert rows["P1", "zz-hitech-first-cert", "award"]["status"] == "ineligible"
    assert "already paid" in str(rows["P1", "zz-hitech-first-cert", "award"]["trace"])


def test_run_is_recorded_and_reproducible(wh: Warehouse) -> None:
    import datetime as dt

    build(wh)
    lib = load_library()
    first = run_policies(wh, lib, dt.date(2025, 3, 31))
    again = run_policies(wh, lib, dt.date(2025, 3, 31))
    assert first.period == 2024 and first.run_id != again.run_id
    assert (first.policies_hash, first.parameters_hash) == (again.policies_hash, again.parameters_hash)
    assert first.results.equals(again.results)
    assert first.parameters["zz-rd-input.rate"] == "1/50"
    changed = run_policies(wh, lib, dt.date(2025, 3, 31), parameters={"zz-rd-input.rate": "3%"}, write=False)
    assert changed.parameters_hash != first.parameters_hash
    runs = wh.to_arrow(wh.table("policy_runs"))
    assert runs.num_rows == 2 and set(runs["policies_hash"].to_pylist()) == {first.policies_hash}
    stored = load_results(wh, first.run_id)
    assert stored.num_rows == first.results.num_rows == 6 * 6
    assert load_results(wh, first.run_id, "P0").num_rows == 6


AMOUNT = Amount.model_validate(
    {"ref": "第三条", "rate": "2%", "of": "rd_expense_fen", "rounding": "yuan_down"}
)
MARGINAL = Amount.model_validate(
    {
        "ref": "第三条",
        "of": "revenue_fen",
        "mode": "marginal",
        "rounding": "fen_half_up",
        "tiers": [
            {"upper": "100万", "upper_inclusive": True, "rate": "1%"},
            {
                "lower": "100万",
                "lower_inclusive": False,
                "upper": "500万",
                "upper_inclusive": True,
                "rate": "3%",
            },
            {"lower": "500万", "lower_inclusive": False, "rate": "5‰"},
        ],
    }
)


def _in_engine(amount: Amount, values: list[int], rate: Fraction | None, cap: int | None) -> list[int]:
    """The amounts the engine computes (``compute_sql`` on DuckDB) for *values* as the base."""
    con = ibis.duckdb.connect()
    t = ibis.memtable(
        pa.table({"i": pa.array(range(len(values)), pa.int64()), "base": pa.array(values, pa.int64())})
    )
    got = con.to_pyarrow(t.select(t.i, fen=compute_sql(amount, t.base, rate, cap)).order_by("i"))
    con.disconnect()
    return [int(x) for x in got["fen"].to_pylist()]


@given(st.lists(st.integers(0, 10**13), min_size=1, max_size=20))
def test_rates_are_exact(values: list[int]) -> None:
    got = _in_engine(AMOUNT, values, Fraction(1, 50), 50_000_000)
    for v, g in zip(values, got, strict=True):
        assert g == min(int(Fraction(v, 50) // 100) * 100, 50_000_000)


def _just_below(mult: int, add: int, den: int) -> int:
    """A base near 3×10¹⁵ whose quotient (base × mult + add) / den is an integer minus 1/den or
    2/den: a double rounds the dividend up to the next multiple, and a plain floor is one too high."""
    x = 3 * 10**15
    while (x * mult + add) % den not in (den - 1, den - 2):
        x += 1
    return x


_JUST_BELOW = [
    _just_below(47, 0, 200_000),  # yuan_down: 2.35 % of the base, to the 元 (÷ 2000 × 100)
    _just_below(94, 2_000, 4_000),  # fen_half_up
    _just_below(94, 200_000, 400_000),  # yuan_half_up
]


@given(
    st.lists(st.integers(0, 4 * 10**15), min_size=1, max_size=20),
    st.sampled_from(["fen_half_up", "yuan_down", "yuan_half_up"]),
)
def test_every_rounding_is_exact_beyond_double_precision(values: list[int], rounding: str) -> None:
    """Bases up to 4×10¹⁵ fen, so base × rate × 2 passes 2⁵³: the engine's division goes through a
    double there, and only the correction keeps the quotient exact."""
    rate = Fraction(47, 2000)  # 2.35 %
    amount = Amount.model_validate(
        {"ref": "第三条", "rate": "2.35%", "of": "revenue_fen", "rounding": rounding}
    )
    edges = [*values, 2**53 // 47, 2**53 + 1, 4 * 10**15 - 1, *_JUST_BELOW]
    got = _in_engine(amount, edges, rate, None)
    for v, g in zip(edges, got, strict=True):
        exact = v * rate
        want = {
            "fen_half_up": int(exact + Fraction(1, 2)),
            "yuan_down": int(exact / 100) * 100,
            "yuan_half_up": int(exact / 100 + Fraction(1, 2)) * 100,
        }[rounding]
        assert g == want, (v, rounding)


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=20))
def test_marginal_tiers_sum_brackets(values: list[int]) -> None:
    got = _in_engine(MARGINAL, values, None, None)
    for v, g in zip(values, got, strict=True):
        exact = Fraction(min(v, 100_000_000), 100)
        exact += Fraction(max(0, min(v, 500_000_000) - 100_000_000) * 3, 100)
        exact += Fraction(max(0, v - 500_000_000) * 5, 1000)
        assert g == int(exact + Fraction(1, 2))  # half up, to the fen


def test_a_run_without_kept_traces_writes_the_same_rows(wh: Warehouse) -> None:
    import datetime as dt

    build(wh)
    lib = load_library()
    kept = run_policies(wh, lib, dt.date(2025, 3, 31))
    lean = run_policies(wh, lib, dt.date(2025, 3, 31), keep_traces=False)
    assert lean.results.column("trace").null_count == lean.results.num_rows
    assert lean.results.drop_columns("trace").equals(kept.results.drop_columns("trace"))
    a = load_results(wh, kept.run_id).drop_columns("run_id")
    b = load_results(wh, lean.run_id).drop_columns("run_id")
    assert a.num_rows == 36 and a.equals(b)
    assert set(lean.seconds) == {"evaluate", "write"}
    # the summary the engine counted agrees with the rows
    by_status = kept.results.group_by("status").aggregate([("uscc", "count")]).to_pylist()
    assert lean.counts() == {r["status"]: r["uscc_count"] for r in by_status}
    fen = sum(a for a in kept.results["amount_fen"].to_pylist() if a is not None)
    assert sum(r["amount_fen"] or 0 for r in lean.summary.to_pylist()) == fen > 0


def test_a_run_that_fails_leaves_no_rows(wh: Warehouse, monkeypatch: object) -> None:
    import datetime as dt

    import pytest

    build(wh)
    append = wh.append

    def failing(name: str, data: pa.Table) -> None:
        if name == "policy_runs":  # the last write, after the results are in
            raise RuntimeError("disk full")
        append(name, data)

    monkeypatch.setattr(wh, "append", failing)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        run_policies(wh, load_library(), dt.date(2025, 3, 31), keep_traces=False)
    assert wh.count("policy_results") == 0 and wh.count("policy_runs") == 0
    assert wh.count("policy_trace_shapes") == 0
    for table in (
        "policy_result_clauses",
        "policy_result_layout",
        "policy_result_firms",
        "policy_result_rows",
    ):
        assert wh.count(table) == 0, table


def test_the_temporary_facts_tables_are_dropped(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run materialises each family's facts once; after the insert, or once an evaluation's
    rows are fetched, or when the fetch fails, nothing is left in the session."""
    import datetime as dt

    from zonebrain.policy._evaluate import evaluate_all

    def temporary() -> int:
        sql = "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE '_zb_temp_%'"
        return int(wh.ibis.raw_sql(sql).fetchall()[0][0])

    build(wh)
    lib = load_library()
    ev = evaluate_all(wh, lib, 2024)
    assert temporary() == 1  # one family, one facts table, read by every clause
    assert ev.columns.num_rows == 36 and temporary() == 0
    run_policies(wh, lib, dt.date(2025, 3, 31))
    assert temporary() == 0
    failing = evaluate_all(wh, lib, 2024)
    assert temporary() == 1

    def lost(expr: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(wh, "to_arrow", lost)
    with pytest.raises(RuntimeError, match="connection lost"):
        _ = failing.columns
    monkeypatch.undo()
    assert temporary() == 0


def test_a_family_condition_reads_each_policys_own_parameter(wh: Warehouse, tmp_path: Path) -> None:
    """Policies of one family share one facts query, except when the family's conditions read a
    ``param``: each policy's rows then test its own value."""
    import shutil

    from zonebrain.policy import LIBRARY

    for f in LIBRARY.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    fam = tmp_path / "zz-gxq-2022.family.yaml"
    leaf = '    - {fact: revenue_fen, op: ">=", param: floor, ref: 第一条}\n'
    fam.write_text(fam.read_text(encoding="utf-8").replace("eligibility:\n  all:\n", "eligibility:\n  all:\n" + leaf, 1),
                   encoding="utf-8")  # fmt: skip
    rd = tmp_path / "zz-rd-input.policy.yaml"
    rd.write_text(rd.read_text(encoding="utf-8").replace(
        "parameters:\n", "parameters:\n  floor: {ref: 第三条, kind: amount, values: [{since: 2022-01-01, value: 100万元}]}\n", 1),
        encoding="utf-8")  # fmt: skip
    hi = tmp_path / "zz-hitech-first-cert.policy.yaml"
    hi.write_text(hi.read_text(encoding="utf-8").replace(
        "clauses:\n", "parameters:\n  floor: {ref: 第一条, kind: amount, values: [{since: 2022-01-01, value: 200万元}]}\nclauses:\n", 1),
        encoding="utf-8")  # fmt: skip
    build(wh)
    got = evaluate(
        wh, load_library(tmp_path).select(["zz-rd-input", "zz-hitech-first-cert"]), 2024
    ).to_pylist()
    tests = {
        r["policy_id"]: {c["test"] for c in json.loads(r["trace"])["conditions"] if "floor=" in c["test"]}
        for r in got
    }
    assert tests == {
        "zz-rd-input": {"revenue_fen[2024] >= floor=100000000"},
        "zz-hitech-first-cert": {"revenue_fen[2024] >= floor=200000000"},
    }


def test_a_firm_registered_after_the_period_has_no_result_for_it(wh: Warehouse) -> None:
    """Not 待核实 for a year it did not exist in (a batch would ask it for that year's accounts)."""
    build(wh)
    wh.ibis.raw_sql("UPDATE enterprises SET registered_on = DATE '2025-01-01' WHERE uscc = 'P1'")
    wh.ibis.raw_sql("UPDATE enterprises SET registered_on = DATE '2024-12-31' WHERE uscc = 'P2'")
    firms = set(evaluate(wh, load_library(), 2024)["uscc"].to_pylist())
    assert "P1" not in firms and {"P0", "P2"} <= firms
    assert "P1" in set(evaluate(wh, load_library(), 2025)["uscc"].to_pylist())


def test_the_latest_run_is_the_last_recorded_even_within_one_second(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs are ordered by when they were recorded, to the microsecond: the later of two runs in the
    same second is the latest, though its id (its as-of date first) sorts before the other's."""
    import datetime as dt

    from zonebrain.policy import _run

    ticks = iter([dt.datetime(2026, 11, 29, 12, 0, 0, 100_000), dt.datetime(2026, 11, 29, 12, 0, 0, 900_000)])
    monkeypatch.setattr(_run, "utcnow", lambda: next(ticks))
    build(wh)
    first = run_policies(wh, load_library(), dt.date(2026, 11, 1), period=2026, write=True)
    second = run_policies(wh, load_library(), dt.date(2025, 3, 31), write=True)
    assert second.run_id < first.run_id  # the id alone would pick the first
    assert set(load_results(wh, traces=False)["run_id"].to_pylist()) == {second.run_id}
