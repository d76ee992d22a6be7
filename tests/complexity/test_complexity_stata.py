"""Convention ``atlas`` equals the Growth Lab's Stata ground truth, for every option fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zonebrain.complexity import ComplexityInputError, ComplexityResult, compute
from zonebrain.core.errors import InputError

KEYS = ["year", "origin", "hs92"]
EXACT = ["M", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]

# Every fixture file and how it is checked; a new fixture file makes test_every_fixture_is_covered fail.
COVERED = {
    "stata_ground_truth.csv",
    "stata_rca_2.csv",
    "stata_rpop_default.csv",
    "stata_proximity_discrete_sym.csv",
}
INPUTS = {"trade_data_sample.csv", "population_data_sample.csv"}


def _trade(stata_dir: Path) -> pd.DataFrame:
    return pd.read_csv(stata_dir / "trade_data_sample.csv")


def _long(result: ComplexityResult) -> pd.DataFrame:
    """Pairs joined with the per-location and per-activity indices: Stata's long layout."""
    return (
        result.pairs.astype({"origin": str, "hs92": np.int64})
        .merge(result.locations, on=["year", "origin"])
        .merge(result.activities, on=["year", "hs92"])
    )


def _compare(
    expected: pd.DataFrame,
    result: ComplexityResult,
    columns: dict[str, tuple[str, float]],
    close: Callable[..., None],
) -> None:
    ours = _long(result)
    merged = expected.merge(ours, on=KEYS, how="left", suffixes=("_stata", ""), indicator=True)
    assert (merged["_merge"] == "both").all(), "rows of the ground truth missing from our output"
    assert len(ours) == len(expected), "our output has rows the ground truth does not"
    for stata_col, (our_col, rtol) in columns.items():
        exp = merged[f"{stata_col}_stata" if f"{stata_col}_stata" in merged else stata_col]
        assert exp.notna().all()
        close(exp, merged[our_col], rtol=rtol, label=stata_col)


def test_every_fixture_is_covered(stata_dir: Path) -> None:
    files = {p.name for p in stata_dir.glob("*.csv")}
    assert files - INPUTS == COVERED, f"uncovered fixture(s): {sorted(files - INPUTS - COVERED)}"


def test_default_options(stata_dir: Path, close: Callable[..., None]) -> None:
    truth = pd.read_csv(stata_dir / "stata_ground_truth.csv")
    result = compute(_trade(stata_dir), location="origin", activity="hs92", value="export_val", year="year")
    cols = {c: (c, 1e-9) for c in EXACT} | {"rca": ("rca", 1e-6)}
    _compare(truth, result, cols, close)
    assert result.issues.empty


def test_rca_threshold_2(stata_dir: Path, close: Callable[..., None]) -> None:
    truth = pd.read_csv(stata_dir / "stata_rca_2.csv")
    # Stata leaves ECI missing for the whole year here (some countries have no RCA > 2); we compute it on
    # the largest connected part and report the rest, so only the columns Stata carries are compared.
    result = compute(
        _trade(stata_dir),
        location="origin",
        activity="hs92",
        value="export_val",
        year="year",
        threshold=2.0,
        disconnected="largest",
    )
    cols = {c: (c, 1e-9) for c in ("M", "diversity", "ubiquity")} | {"rca": ("rca", 1e-6)}
    _compare(truth, result, cols, close)
    assert truth["eci"].isna().all()
    undefined = result.issues[result.issues["kind"] == "location"]
    assert {"deu", "ita"} <= set(undefined["label"])


def test_rca_threshold_2_disconnected_is_an_error_by_default(stata_dir: Path) -> None:
    with pytest.raises(InputError, match=r"year 1995: .*disconnected parts"):
        compute(
            _trade(stata_dir),
            location="origin",
            activity="hs92",
            value="export_val",
            year="year",
            threshold=2.0,
        )


def test_rpop_default(stata_dir: Path, close: Callable[..., None]) -> None:
    truth = pd.read_csv(stata_dir / "stata_rpop_default.csv")
    pop = pd.read_csv(stata_dir / "population_data_sample.csv")
    trade = _trade(stata_dir)
    # Stata silently drops 'blx' (no population); ZoneBrain refuses and says so ...
    with pytest.raises(ComplexityInputError, match="no population for location 'blx'") as info:
        compute(trade, location="origin", activity="hs92", value="export_val", year="year", population=pop)
    assert info.value.location == "blx"
    # ... and dropping it explicitly reproduces Stata.
    result = compute(
        trade[trade["origin"] != "blx"],
        location="origin",
        activity="hs92",
        value="export_val",
        year="year",
        population=pop,
    )
    cols = {c: (c, 1e-9) for c in EXACT} | {"rpop": ("rpop", 1e-6)}
    _compare(truth, result, cols, close)


def test_proximity_discrete_symmetric(stata_dir: Path, close: Callable[..., None]) -> None:
    truth = pd.read_csv(stata_dir / "stata_proximity_discrete_sym.csv")
    assert len(truth) == 1800
    result = compute(_trade(stata_dir), location="origin", activity="hs92", value="export_val", year="year")
    for k, year in enumerate((1995, 1996)):
        part = truth.iloc[900 * k : 900 * (k + 1)]
        prox = result.proximity(year)
        ours = prox.to_frame(activity="hs92")
        merged = part.merge(ours, on=["hs92_1", "hs92_2"], suffixes=("_stata", ""))
        assert len(merged) == 900
        close(
            merged["proximity_stata"], merged["proximity"], rtol=1e-9, atol=1e-15, label=f"proximity {year}"
        )
        assert np.all(np.diag(prox.matrix) == 0.0)
        np.testing.assert_array_equal(prox.matrix, prox.matrix.T)


def test_rca_from_float32_values_is_closer(stata_dir: Path, close: Callable[..., None]) -> None:
    """The 1e-6 tolerance on RCA is only Stata's float32 storage: rounding our input the same way agrees to 1e-12."""
    truth = pd.read_csv(stata_dir / "stata_ground_truth.csv")
    trade = _trade(stata_dir)
    trade["export_val"] = trade["export_val"].astype(np.float32).astype(np.float64)
    result = compute(trade, location="origin", activity="hs92", value="export_val", year="year")
    _compare(truth, result, {"rca": ("rca", 1e-12)}, close)
