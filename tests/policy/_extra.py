"""A copy of the built-in library with one test-only policy and its case file added (the library's
own case files removed: only that one runs); shared by the policies that exercise one feature of
the format on every engine (``_tag_first``, ``_growth``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from zonebrain.policy import LIBRARY


def library_with(folder: Path, policy_id: str, policy: str, cases: str) -> Path:
    """*folder* holding the library, ``<policy_id>.policy.yaml`` and ``<policy_id>.cases.yaml``."""
    shutil.copytree(LIBRARY, folder)
    for old in folder.glob("*.cases.yaml"):
        old.unlink()
    (folder / f"{policy_id}.policy.yaml").write_text(policy, encoding="utf-8")
    (folder / f"{policy_id}.cases.yaml").write_text(cases, encoding="utf-8")
    return folder
