"""The public surface of zonebrain.targeting is pinned, and it imports no sibling it must not."""

from __future__ import annotations

import ast
from pathlib import Path

import zonebrain.targeting

PACKAGE = Path(zonebrain.targeting.__file__).parent
ALLOWED = {"core", "storage", "complexity", "chains", "registry", "reports", "targeting"}


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.targeting.__all__) == [
        "BacktestReport", "COMPONENTS", "Candidates", "DEFAULT_WEIGHTS", "HALF_LIFE_DAYS", "Opportunities",
        "PIPELINE_COLUMNS", "PRESETS", "PRESET_ALIASES", "Ranking", "SCORES", "SIGNAL_WEIGHTS", "TAG_POINTS", "Target", "backtest",
        "candidate_query", "candidates", "class_statistics", "evaluate_scores", "export_candidates",
        "export_opportunities", "holdout_check", "opportunities", "precision_at_k", "rank_opportunities",
        "resolve_target", "resolve_weights", "roc_auc", "weights_table", "zone_values",
    ]  # fmt: skip
    for name in zonebrain.targeting.__all__:
        assert getattr(zonebrain.targeting, name) is not None


def test_only_allowed_layers_are_imported() -> None:
    """Until import-linter lists targeting: core, storage, complexity, chains, registry, reports only."""
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("zonebrain."):
                assert node.module.split(".")[1] in ALLOWED, f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in {"duckdb", "pyspark", "psycopg", "sqlalchemy"}, (
                        path
                    )
