"""Fixtures shared by the policy tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from tests.policy._whatif_data import build
from zonebrain.cli import _common, policy_analysis
from zonebrain.storage import open_warehouse


@pytest.fixture
def analysis_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """The ``whatif`` and ``coverage`` commands over a fresh warehouse of the what-if zone."""
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        build(wh)
    app = typer.Typer()
    policy_analysis.register(app)
    return app
