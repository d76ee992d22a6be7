"""Targeting on every engine, compared with DuckDB: class statistics, zone values, opportunities, candidates.

The scoring of candidates is one set-based query (filters, anti-join on the zone's firms, recency-weighted
signals with a date difference and a power, percent_rank, CASE maps); it must give the same rows,
order and reasons on DuckDB, PostgreSQL and Spark.
"""

from __future__ import annotations

from tests.conformance._compare import assert_same_table, sorted_rows
from tests.targeting._data import AS_OF, load_targeting_sample
from zonebrain.storage import Warehouse
from zonebrain.targeting import candidates, class_statistics, opportunities, zone_values


def test_statistics_and_opportunities(wh: Warehouse, reference: Warehouse) -> None:
    for target in (wh, reference):
        load_targeting_sample(target)
    assert_same_table(
        sorted_rows(wh.to_arrow(class_statistics(wh, 2024)), "industry_code"),
        sorted_rows(reference.to_arrow(class_statistics(reference, 2024)), "industry_code"),
    )
    for measure in ("firms", "revenue_fen"):
        assert_same_table(
            sorted_rows(wh.to_arrow(zone_values(wh, 2024, measure)), "industry_code"),
            sorted_rows(reference.to_arrow(zone_values(reference, 2024, measure)), "industry_code"),
        )
        got, want = opportunities(wh, measure=measure), opportunities(reference, measure=measure)
        assert_same_table(got.table, want.table)
        assert_same_table(got.scatter, want.scatter)


def test_candidates(wh: Warehouse, reference: Warehouse) -> None:
    firms = {}
    for target in (wh, reference):
        firms = load_targeting_sample(target)
    cases: list[dict[str, object]] = [
        {"classes": ["3976", "6513"]},
        {"classes": ["3971", "3983"], "provinces": ["41"], "limit": 3},
        {"all_gaps": True, "tags": ["高新技术企业"], "exclude": [firms["fresh"]]},
        {"node": "cybersecurity/identity-access", "min_revenue_fen": 5_000_000, "half_life_days": 30},
        {"all_gaps": True, "per_class": 2, "limit": None, "exclude": [firms["stale"]]},
    ]
    for kw in cases:
        got = candidates(wh, as_of=AS_OF, **kw)
        want = candidates(reference, as_of=AS_OF, **kw)
        assert want.table.num_rows > 0, kw
        try:
            assert_same_table(got.table, want.table)
        except AssertionError as exc:
            raise AssertionError(f"candidates({kw}): {exc}") from None
