"""Synthetic, deterministic demo data for 郑州高新区 (410172) and a national reference registry.

>>> from pathlib import Path
>>> files = generate_zone(Path("demo"), seed=42, n_enterprises=20_000)  # doctest: +SKIP
>>> ref = generate_reference(Path("demo"), seed=42, n_firms=1_000_000)  # doctest: +SKIP

Every file uses the standard headers of :mod:`zonebrain.registry.formats`, so
``zonebrain import KIND FILE`` reads it. The same seed gives byte-identical files.
All names are fictional. See ``docs/demo-data.md`` for every distribution and parameter.
"""

from __future__ import annotations

from ._bad import RULES as BAD_ROW_RULES
from ._io import Progress
from ._reference import ReferenceFiles, generate_reference
from ._vocab import GROUPS, PARKS, Group, Park, park_lookup
from ._zone import DemoFiles, generate_zone

__all__ = [
    "BAD_ROW_RULES",
    "GROUPS",
    "PARKS",
    "DemoFiles",
    "Group",
    "Park",
    "Progress",
    "ReferenceFiles",
    "generate_reference",
    "generate_zone",
    "park_lookup",
]
