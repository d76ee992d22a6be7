"""The layers in ARCHITECTURE.md hold (import-linter), and public surfaces are pinned."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zonebrain.portrait
import zonebrain.registry
import zonebrain.storage

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.storage.__all__) == [
        "MergeResult",
        "SCHEMA_VERSION",
        "TABLES",
        "Table",
        "Warehouse",
        "open_warehouse",
    ]
    assert sorted(zonebrain.registry.__all__) == [
        "Column",
        "DEFAULT_SOURCES",
        "FORMATS",
        "FileFormat",
        "ImportReport",
        "Park",
        "Zone",
        "detect_encoding",
        "ensure_ready",
        "import_file",
        "load_zone",
        "match_headers",
        "parse_datetime",
        "read_table_file",
    ]
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


def test_no_module_is_oversized() -> None:
    for path in (ROOT / "src").rglob("*.py"):
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines < 800, f"{path} has {lines} lines; split it into named components"
