"""Result objects: per-year matrices kept compact, tidy tables built on request."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from ._conventions import Convention
from ._panel import NO_YEAR, ComplexityInputError, show
from ._proximity import proximity as _proximity_matrix

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Proximity:
    """The proximity matrix of one year with its activity labels.

    ``matrix[i, j]`` is the proximity of ``labels[i]`` and ``labels[j]`` (symmetric, float64).
    """

    year: Hashable
    labels: NDArray[Any]
    matrix: FloatArray

    def to_frame(self, *, activity: str = "activity", include_diagonal: bool = True) -> pd.DataFrame:
        """Long table ``activity_1, activity_2, proximity`` (P² rows; build it only when needed)."""
        n = len(self.labels)
        first = np.repeat(np.arange(n), n)
        second = np.tile(np.arange(n), n)
        frame = pd.DataFrame(
            {
                f"{activity}_1": self.labels[first],
                f"{activity}_2": self.labels[second],
                "proximity": self.matrix.ravel(),
            }
        )
        if not include_diagonal:
            frame = frame[first != second].reset_index(drop=True)
        return frame


@dataclass
class YearResult:
    """Everything computed for one year, as arrays aligned with ``locations`` and ``activities``."""

    year: Hashable
    locations: NDArray[Any]
    activities: NDArray[Any]
    values: sp.csr_array
    rca: sp.csr_array | None
    rpop: sp.csr_array | None
    presence: sp.csr_array
    diversity: FloatArray
    ubiquity: FloatArray
    eci: FloatArray
    pci: FloatArray
    coi: FloatArray
    density: FloatArray
    cog: FloatArray
    diagonal: float


ISSUE_TEXT: Final = {
    "all_zero": "数值全为 0，该年度未参与计算 (all values are 0; left out of this year)",
    "eci_no_presence": "没有活动通过存在性判定（多样性为 0），ECI 无定义 "
    "(no activity passes the presence test (diversity 0): its ECI is undefined (NaN))",
    "pci_no_presence": "没有地区通过存在性判定（普遍性为 0），PCI 无定义 "
    "(no location passes the presence test (ubiquity 0): its PCI is undefined (NaN))",
    "eci_outside_largest": "不在地区—活动网络最大的连通部分内，ECI 无定义 "
    "(outside the largest connected part of the network: ECI undefined (NaN))",
    "pci_outside_largest": "不在地区—活动网络最大的连通部分内，PCI 无定义 "
    "(outside the largest connected part of the network: PCI undefined (NaN))",
    "coi_constant": "各地区的复杂度前景相同，COI 记为 0 "
    "(every location has the same complexity outlook; COI is reported as 0)",
}
"""Why a location, activity or year is in :attr:`ComplexityResult.issues`: reason code → message."""


@dataclass
class ComplexityResult:
    """What :func:`compute` returns.

    Tidy tables (built on first access, then cached): :attr:`pairs` (one row per year × location ×
    activity of the rectangular table), :attr:`locations` (per year × location), :attr:`activities`
    (per year × activity), :attr:`issues` (what was left out or is undefined, and why).
    :meth:`proximity` gives a year's proximity matrix. Key columns keep the input's column names;
    without a year column the tables have no year column.
    """

    convention: Convention
    names: dict[str, str]
    has_year: bool
    years_data: list[YearResult]
    issue_rows: list[tuple[object, str, object, str]] = field(default_factory=list)
    """(year, kind, label, reason code of :data:`ISSUE_TEXT`)."""
    #: density / COG of all years, concatenated in order (each year's matrices are views into these)
    flat_density: FloatArray | None = None
    flat_cog: FloatArray | None = None

    @property
    def years(self) -> list[Hashable]:
        """The years computed, in order (``[]`` when the table had no year column)."""
        return [y.year for y in self.years_data] if self.has_year else []

    def year(self, year: Hashable | None = None) -> YearResult:
        """The :class:`YearResult` for ``year`` (omit it when the table has no year column)."""
        computed = [show(y) for y in self.years]
        if year is None:
            if len(self.years_data) == 1:
                return self.years_data[0]
            raise ComplexityInputError(
                f"计算了多个年份（{'、'.join(computed)}），请指明其中一个"
                f" (several years were computed: {', '.join(computed)}; name one)"
            )
        for y in self.years_data:
            if y.year == year:
                return y
        raise ComplexityInputError(
            f"未计算年份 {show(year)}；已计算的年份为 {'、'.join(computed)}"
            f" (year {show(year)} was not computed; years are {', '.join(computed)})",
            year=year,
        )

    def proximity(self, year: Hashable | None = None) -> Proximity:
        """The proximity matrix (float64, P × P) of one year with its activity labels."""
        y = self.year(year)
        # recomputed from the (small, sparse) presence matrix: one L × P × P product, no P² storage per year
        matrix = _proximity_matrix(y.presence.toarray(), y.ubiquity, y.diagonal)
        return Proximity(year=y.year, labels=y.activities, matrix=matrix)

    def _year_column(self, frame: dict[str, Any], year: Hashable, n: int) -> None:
        if self.has_year:
            frame[self.names["year"]] = np.repeat(np.array([year]), n)

    @cached_property
    def locations(self) -> pd.DataFrame:
        """Per year and location: ``diversity``, ``eci``, ``coi``."""
        parts = []
        for y in self.years_data:
            frame: dict[str, Any] = {}
            self._year_column(frame, y.year, len(y.locations))
            frame[self.names["location"]] = y.locations
            frame["diversity"] = y.diversity.astype(np.int64)
            frame["eci"] = y.eci
            frame["coi"] = y.coi
            parts.append(pd.DataFrame(frame))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def activities(self) -> pd.DataFrame:
        """Per year and activity: ``ubiquity``, ``pci``."""
        parts = []
        for y in self.years_data:
            frame: dict[str, Any] = {}
            self._year_column(frame, y.year, len(y.activities))
            frame[self.names["activity"]] = y.activities
            frame["ubiquity"] = y.ubiquity.astype(np.int64)
            frame["pci"] = y.pci
            parts.append(pd.DataFrame(frame))
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def pairs(self) -> pd.DataFrame:
        """Per year, location and activity: value, ``rca`` / ``rpop`` (when computed), ``M``,
        ``density``, ``distance`` (= 1 − density) and ``cog``. Zeros of the input are included
        (the table is rectangular within each year); location and activity are categoricals."""
        data = self.years_data
        sizes = [len(y.locations) * len(y.activities) for y in data]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        total = int(bounds[-1])
        loc_cats = pd.Index(np.unique(np.concatenate([y.locations for y in data])))
        act_cats = pd.Index(np.unique(np.concatenate([y.activities for y in data])))
        loc_codes = np.empty(total, dtype=np.int32)
        act_codes = np.empty(total, dtype=np.int32)
        columns: dict[str, NDArray[Any]] = {}
        float_cols = [self.names["value"]]
        if data[0].rca is not None:
            float_cols.append("rca")
        if data[0].rpop is not None:
            float_cols.append("rpop")
        for name in float_cols:
            columns[name] = np.empty(total, dtype=np.float64)
        presence = np.empty(total, dtype=np.int8)
        shared = (
            self.flat_density is not None and self.flat_cog is not None and self.flat_density.size == total
        )
        density = self.flat_density if shared and self.flat_density is not None else np.empty(total)
        cog = self.flat_cog if shared and self.flat_cog is not None else np.empty(total)
        year_values = np.array([y.year for y in data])
        if year_values.dtype.kind == "i" and year_values.size and np.abs(year_values).max() < 2**31:
            year_values = year_values.astype(np.int32)  # a year column need not take 8 bytes a row
        years = np.repeat(year_values, sizes) if self.has_year else None
        for k, y in enumerate(data):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            n_act = len(y.activities)
            loc_codes[lo:hi] = np.repeat(loc_cats.get_indexer(y.locations).astype(np.int32), n_act)
            act_codes[lo:hi] = np.tile(act_cats.get_indexer(y.activities).astype(np.int32), len(y.locations))
            columns[self.names["value"]][lo:hi] = y.values.toarray().ravel()
            if y.rca is not None:
                columns["rca"][lo:hi] = y.rca.toarray().ravel()
            if y.rpop is not None:
                columns["rpop"][lo:hi] = y.rpop.toarray().ravel()
            presence[lo:hi] = y.presence.toarray().ravel()
            if not shared:
                density[lo:hi] = y.density.ravel()
                cog[lo:hi] = y.cog.ravel()
        frame: dict[str, Any] = {}
        if years is not None:
            frame[self.names["year"]] = years
        frame[self.names["location"]] = pd.Categorical.from_codes(loc_codes, categories=loc_cats)
        frame[self.names["activity"]] = pd.Categorical.from_codes(act_codes, categories=act_cats)
        frame.update(columns)
        frame["M"] = presence
        frame["density"] = density
        frame["distance"] = 1.0 - density
        frame["cog"] = cog
        return pd.DataFrame(frame, copy=False)

    @cached_property
    def issues(self) -> pd.DataFrame:
        """Locations / activities left out of a year, or with an undefined index, and why: a stable
        ``reason`` code (see :data:`ISSUE_TEXT`) and its ``message``, Chinese first."""
        rows = [
            (None if year is NO_YEAR else year, kind, label, reason, ISSUE_TEXT[reason])
            for year, kind, label, reason in self.issue_rows
        ]
        frame = pd.DataFrame(rows, columns=["year", "kind", "label", "reason", "message"])
        return frame if self.has_year else frame.drop(columns="year")
