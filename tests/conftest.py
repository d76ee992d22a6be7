"""Shared fixtures: the reference data beside the repo, a fresh warehouse, file writers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["tests._appstore"]  # the app store on SQLite and PostgreSQL: ``store``, ``pg_url``

# Timing never decides a test here (the machines are noisy): no per-example deadline.
settings.register_profile("zonebrain", deadline=None)
settings.load_profile("zonebrain")

# pytest-xdist's workers start with COLUMNS=80 and LINES set; a rich Console made at import time
# (the CLI's module-level consoles) would freeze at that width, and a test's own COLUMNS (CliRunner's
# env, monkeypatch.setenv) would no longer reach it. Each test that reads a table sets its width.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; in CI its absence is a failure, locally a skip."""
    if not SHARED_DATA.exists():
        if in_ci():
            pytest.fail(f"reference data missing at {SHARED_DATA}")
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def wh(tmp_path: Path):
    from zonebrain.storage import open_warehouse

    warehouse = open_warehouse(tmp_path / "wh.duckdb")
    warehouse.migrate()
    yield warehouse
    warehouse.close()
