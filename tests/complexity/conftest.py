"""Fixtures for the complexity tests: the shared reference data and a quiet ``ecomplexity`` runner."""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FIXTURES = SHARED / "ecomplexity_fixtures"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(what: str) -> None:
    if _in_ci():
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} not available here")


@pytest.fixture(scope="session")
def complexity_data() -> Path:
    """``../shared/data``: a failure in CI when missing, a skip elsewhere."""
    if not SHARED.is_dir():
        _missing(f"reference data at {SHARED.resolve()}")
    return SHARED


@pytest.fixture(scope="session")
def stata_dir(complexity_data: Path) -> Path:
    if not (complexity_data / "ecomplexity_fixtures").is_dir():
        _missing("ecomplexity_fixtures/")
    return complexity_data / "ecomplexity_fixtures"


@pytest.fixture(scope="session")
def run_ecomplexity() -> Callable[..., pd.DataFrame]:
    """Call ``ecomplexity.ecomplexity`` without its prints and warnings (our tests turn warnings into errors)."""
    try:
        from ecomplexity import ecomplexity
    except ImportError:  # pragma: no cover - depends on the environment
        _missing("the test dependency `ecomplexity`")

    def run(data: pd.DataFrame, cols: dict[str, str], **kwargs: Any) -> pd.DataFrame:
        kwargs.setdefault("check_logsupermodularity", False)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            out: pd.DataFrame = ecomplexity(data, cols, verbose=False, **kwargs)
        return out

    return run


def random_panel(
    seed: int,
    n_loc: int = 25,
    n_act: int = 60,
    years: tuple[int, ...] = (2020, 2021, 2022),
    zero_share: float = 0.5,
) -> pd.DataFrame:
    """A rectangular random panel with lognormal values and about ``zero_share`` zeros."""
    rng = np.random.default_rng(seed)
    rows = []
    for y in years:
        v = rng.lognormal(8.0, 2.0, size=(n_loc, n_act))
        v[rng.random((n_loc, n_act)) < zero_share] = 0.0
        v[:, 0] += 1.0  # every location exports something
        for i in range(n_loc):
            for j in range(n_act):
                rows.append((y, f"L{i:03d}", f"A{j:04d}", float(v[i, j])))
    return pd.DataFrame(rows, columns=["year", "loc", "act", "val"])


def assert_close(expected: Any, actual: Any, *, rtol: float, label: str, atol: float = 0.0) -> None:
    """Element-wise relative comparison that names the column on failure."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=rtol,
        atol=atol,
        err_msg=f"column {label}",
    )


@pytest.fixture(scope="session")
def make_panel() -> Callable[..., pd.DataFrame]:
    return random_panel


@pytest.fixture(scope="session")
def close() -> Callable[..., None]:
    return assert_close
