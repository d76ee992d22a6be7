"""The public names of zonebrain.portrait (and the membership functions added to zonebrain.chains)."""

from __future__ import annotations

import zonebrain.chains
import zonebrain.portrait


def test_portrait_public_names() -> None:
    assert sorted(zonebrain.portrait.__all__) == [
        "Benchmark",
        "Diagnosis",
        "INDICATORS",
        "Portrait",
        "ReportFiles",
        "StrengthRules",
        "ZoneSummary",
        "benchmark",
        "default_peers",
        "diagnose",
        "industry_dimension",
        "latest_year",
        "portrait",
        "portrait_report",
        "zone_summary",
    ]
    for name in zonebrain.portrait.__all__:
        assert getattr(zonebrain.portrait, name) is not None


def test_chains_membership_names() -> None:
    for name in ("MembershipRun", "classify_zone", "set_override", "stored_overrides"):
        assert name in zonebrain.chains.__all__
