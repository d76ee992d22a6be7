"""Shared demo data for the tests: small sizes so the whole folder runs in seconds."""

from __future__ import annotations

import pytest

from zonebrain.demo import DemoFiles, ReferenceFiles, generate_reference, generate_zone

ZONE_N = 2_000
REFERENCE_N = 20_000


@pytest.fixture(scope="session")
def zone(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_zone(tmp_path_factory.mktemp("zone"), seed=42, n_enterprises=ZONE_N)


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> ReferenceFiles:
    return generate_reference(tmp_path_factory.mktemp("reference"), seed=42, n_firms=REFERENCE_N)
