"""Named conventions: the choices on which the reference implementations disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zonebrain.core.errors import InputError

ConventionName = Literal["atlas", "ecomplexity"]


@dataclass(frozen=True)
class Convention:
    """One coherent set of the choices that change results.

    Attributes:
        name: ``"atlas"`` or ``"ecomplexity"``.
        strict_threshold: presence is ``RCA > t`` when true, ``RCA >= t`` when false.
        proximity_diagonal: the value put on the diagonal of the proximity matrix (0 or 1).
        long_table_sd: standardise ECI and PCI (and COI) with the sample standard deviation
            (ddof 1) over the long location × activity table when true (Stata, the Atlas);
            with the population standard deviation (ddof 0) over locations when false
            (py-ecomplexity).
    """

    name: str
    strict_threshold: bool
    proximity_diagonal: float
    long_table_sd: bool


ATLAS = Convention(name="atlas", strict_threshold=True, proximity_diagonal=0.0, long_table_sd=True)
ECOMPLEXITY = Convention(
    name="ecomplexity", strict_threshold=False, proximity_diagonal=1.0, long_table_sd=False
)

CONVENTIONS: dict[str, Convention] = {c.name: c for c in (ATLAS, ECOMPLEXITY)}


def get_convention(name: str | Convention) -> Convention:
    """Return the :class:`Convention` called ``name`` (or ``name`` itself if it already is one)."""
    if isinstance(name, Convention):
        return name
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise InputError(
            f"未知口径 {name!r}；可选：{'、'.join(sorted(CONVENTIONS))}，见 docs/complexity.md 的“口径”一节"
            f" (unknown complexity convention {name!r}; choose one of: {', '.join(sorted(CONVENTIONS))}; "
            "see docs/complexity.md, section Conventions)"
        ) from None
