"""Hypothesis property tests: invariants that must hold for any table that can be computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zonebrain.complexity import ComplexityInputError, ComplexityResult, compute

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def panels(draw: st.DrawFn) -> pd.DataFrame:
    n_loc = draw(st.integers(3, 8))
    n_act = draw(st.integers(3, 9))
    n_year = draw(st.integers(1, 3))
    cells = n_loc * n_act * n_year
    values = draw(st.lists(st.integers(0, 30), min_size=cells, max_size=cells))
    v = np.array(values, dtype=float).reshape(n_year, n_loc, n_act)
    rows = [
        (2000 + y, f"L{i}", f"A{j}", v[y, i, j])
        for y in range(n_year)
        for i in range(n_loc)
        for j in range(n_act)
        if v[y, i, j] > 0
    ]
    return pd.DataFrame(rows, columns=["year", "loc", "act", "val"])


def _compute(panel: pd.DataFrame, convention: str = "atlas") -> ComplexityResult:
    try:
        result = compute(
            panel,
            location="loc",
            activity="act",
            value="val",
            year="year",
            convention=convention,
            disconnected="largest",
        )
        result.pairs  # noqa: B018 - build the tables inside the try
    except ComplexityInputError:
        assume(False)
        raise
    return result


@SETTINGS
@given(panels(), st.sampled_from(["atlas", "ecomplexity"]))
def test_presence_is_binary_and_density_in_unit_interval(panel: pd.DataFrame, convention: str) -> None:
    result = _compute(panel, convention)
    assert set(np.unique(result.pairs["M"])) <= {0, 1}
    dens = result.pairs["density"].to_numpy()
    assert np.all(dens >= 0.0) and np.all(dens <= 1.0 + 1e-12)
    np.testing.assert_allclose(result.pairs["distance"], 1.0 - dens)
    assert not result.pairs.drop(columns=["loc", "act"]).isna().any().any()


@SETTINGS
@given(panels(), st.randoms(use_true_random=False))
def test_shuffling_rows_changes_nothing(panel: pd.DataFrame, rnd: object) -> None:
    result = _compute(panel)
    order = list(range(len(panel)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = _compute(panel.iloc[order].reset_index(drop=True))
    pd.testing.assert_frame_equal(result.pairs, shuffled.pairs, check_exact=True)
    pd.testing.assert_frame_equal(result.locations, shuffled.locations, check_exact=True)
    pd.testing.assert_frame_equal(result.activities, shuffled.activities, check_exact=True)


@SETTINGS
@given(panels())
def test_years_separately_equal_years_together(panel: pd.DataFrame) -> None:
    together = _compute(panel)
    for year in together.years:
        alone = _compute(panel[panel["year"] == year])
        for name in ("locations", "activities"):
            part = getattr(together, name)
            part = part[part["year"] == year].reset_index(drop=True)
            pd.testing.assert_frame_equal(part, getattr(alone, name), check_exact=True)
        pairs = together.pairs[together.pairs["year"] == year].reset_index(drop=True)
        single = alone.pairs
        for col in ("val", "rca", "M", "density", "cog"):
            np.testing.assert_array_equal(pairs[col].to_numpy(), single[col].to_numpy())
        np.testing.assert_array_equal(together.proximity(year).matrix, alone.proximity(year).matrix)


@SETTINGS
@given(panels(), st.sampled_from(["atlas", "ecomplexity"]))
def test_eci_sign_and_standardisation(panel: pd.DataFrame, convention: str) -> None:
    result = _compute(panel, convention)
    for _, locs in result.locations.groupby("year"):
        defined = locs.dropna(subset=["eci"])
        eci = defined["eci"].to_numpy()
        div = defined["diversity"].to_numpy().astype(float)
        assert abs(eci.mean()) < 1e-9
        if convention == "ecomplexity":
            assert eci.std() == pytest.approx(1.0, rel=1e-9)
        if np.ptp(div) > 0:
            cov = float(((div - div.mean()) * (eci - eci.mean())).sum())
            assert cov >= -1e-9, "ECI must correlate non-negatively with diversity"


@SETTINGS
@given(panels())
def test_eci_is_mean_pci_of_present_activities(panel: pd.DataFrame) -> None:
    """The standardisation by ECI's mean and sd keeps ECI_c = mean of PCI over c's activities."""
    result = _compute(panel)
    for year in result.years:
        y = result.year(year)
        m = y.presence.toarray()
        ok = np.isfinite(y.eci)
        pci = np.where(np.isfinite(y.pci), y.pci, 0.0)
        mean_pci = (m[ok] @ pci) / m[ok].sum(axis=1)
        np.testing.assert_allclose(y.eci[ok], mean_pci, rtol=1e-8, atol=1e-9)


@SETTINGS
@given(panels())
def test_proximity_is_symmetric_min_conditional_probability(panel: pd.DataFrame) -> None:
    result = _compute(panel)
    for year in result.years:
        y = result.year(year)
        m = y.presence.toarray()
        phi = result.proximity(year).matrix
        np.testing.assert_array_equal(phi, phi.T)
        n = m.shape[1]
        for p in range(n):
            for q in range(n):
                if p == q:
                    assert phi[p, q] == 0.0
                    continue
                both = float((m[:, p] * m[:, q]).sum())
                conds = [both / m[:, r].sum() for r in (p, q) if m[:, r].sum() > 0]
                expected = min(conds) if len(conds) == 2 else 0.0
                assert phi[p, q] == pytest.approx(expected, abs=1e-15)
