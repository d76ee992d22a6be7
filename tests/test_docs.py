"""Docs that cannot drift: generated reference pages match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_reference_pages_are_current() -> None:
    r = subprocess.run(
        [sys.executable, "scripts/gen_docs.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr


def test_every_import_column_is_documented() -> None:
    from zonebrain.registry import FORMATS

    page = (ROOT / "docs/reference/import-formats.md").read_text(encoding="utf-8")
    for fmt in FORMATS.values():
        for col in fmt.columns:
            assert f"`{col.target}`" in page and col.header in page
