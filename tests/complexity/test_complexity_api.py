"""The documented examples run, and the public API is what __all__ says."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

import zonebrain.complexity as zc


@pytest.mark.parametrize(
    "module", ["zonebrain.complexity", "zonebrain.complexity._compute", "zonebrain.complexity._clean"]
)
def test_doctests(module: str) -> None:
    mod = importlib.import_module(module)
    failures, tried = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


def test_public_names() -> None:
    assert sorted(zc.__all__) == sorted(
        [
            "ATLAS",
            "CONVENTIONS",
            "ECOMPLEXITY",
            "ComplexityInputError",
            "ComplexityResult",
            "Convention",
            "Proximity",
            "YearResult",
            "clean",
            "compute",
            "get_convention",
        ]
    )
    for name in zc.__all__:
        assert hasattr(zc, name)
    assert zc.get_convention("atlas") is zc.ATLAS
    assert zc.get_convention(zc.ECOMPLEXITY) is zc.ECOMPLEXITY


def test_proximity_long_table_and_years() -> None:
    t = pd.DataFrame(
        {
            "city": list("aaabbbbccdddd"),
            "industry": list("wyzwxyzyzwxyz"),
            "output": [8.0, 1, 2, 1, 8, 8, 5, 3, 4, 6, 4, 2, 1],
        }
    )
    panel = pd.concat([t.assign(y=2023), t.assign(y=2024)], ignore_index=True)
    r = zc.compute(panel, location="city", activity="industry", value="output", year="y")
    assert r.years == [2023, 2024]
    prox = r.proximity(2024)
    long = prox.to_frame(activity="industry")
    assert list(long.columns) == ["industry_1", "industry_2", "proximity"]
    assert len(long) == 16
    off = prox.to_frame(activity="industry", include_diagonal=False)
    assert len(off) == 12 and (off["industry_1"] != off["industry_2"]).all()
    np.testing.assert_array_equal(long["proximity"].to_numpy().reshape(4, 4), prox.matrix)
    assert r.year(2023).eci.shape == (4,)
    single = zc.compute(t, location="city", activity="industry", value="output")
    assert single.years == [] and "y" not in single.pairs.columns and "year" not in single.issues.columns
