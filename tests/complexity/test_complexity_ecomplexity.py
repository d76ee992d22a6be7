"""Convention ``ecomplexity`` equals the PyPI package ``ecomplexity``; where that package is wrong, we differ on purpose."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zonebrain.complexity import ComplexityResult, compute

COLS = {"time": "year", "loc": "loc", "prod": "act", "val": "val"}


def _long(result: ComplexityResult, loc: str = "loc", act: str = "act") -> pd.DataFrame:
    pairs = result.pairs.astype({loc: str, act: str})
    return pairs.merge(result.locations.astype({loc: str}), on=["year", loc]).merge(
        result.activities.astype({act: str}), on=["year", act]
    )


def _compare(
    ec: pd.DataFrame,
    result: ComplexityResult,
    close: Callable[..., None],
    *,
    loc: str = "loc",
    act: str = "act",
    columns: tuple[str, ...] = ("rca", "density", "eci", "pci", "coi", "cog"),
) -> None:
    ec = ec.astype({loc: str, act: str})
    ours = _long(result, loc, act)
    merged = ec.merge(ours, on=["year", loc, act], suffixes=("_ec", ""))
    assert len(merged) == len(ec) == len(ours)
    np.testing.assert_array_equal(merged["mcp"].to_numpy(), merged["M"].to_numpy())
    for col in ("diversity", "ubiquity"):
        np.testing.assert_array_equal(merged[f"{col}_ec"].to_numpy(), merged[col].to_numpy())
    for col in columns:
        close(merged[f"{col}_ec"], merged[col], rtol=1e-6, atol=1e-12, label=col)


def test_world_trade_2017(
    complexity_data: Path, run_ecomplexity: Callable[..., pd.DataFrame], close: Callable[..., None]
) -> None:
    trade = pd.read_csv(complexity_data / "world_trade_hs4_2017.csv", dtype={"product_code": str})
    trade["year"] = 2017
    cols = {"time": "year", "loc": "reporter_iso", "prod": "product_code", "val": "export_value_usd"}
    ec = run_ecomplexity(trade, cols)
    result = compute(
        trade,
        location="reporter_iso",
        activity="product_code",
        value="export_value_usd",
        year="year",
        convention="ecomplexity",
    )
    assert ec["eci"].notna().all()
    _compare(ec, result, close, loc="reporter_iso", act="product_code")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_panels(
    seed: int,
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    panel = make_panel(seed, n_loc=20 + 5 * seed, n_act=40 + 10 * seed)
    ec = run_ecomplexity(panel, COLS)
    result = compute(
        panel, location="loc", activity="act", value="val", year="year", convention="ecomplexity"
    )
    _compare(ec, result, close)


def test_random_panel_with_threshold(
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    panel = make_panel(11, n_loc=40, n_act=50, zero_share=0.3)
    ec = run_ecomplexity(panel, COLS, rca_mcp_threshold=0.8)
    result = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        convention="ecomplexity",
        threshold=0.8,
    )
    _compare(ec, result, close)


def test_proximity_matches_ecomplexity(
    make_panel: Callable[..., pd.DataFrame], close: Callable[..., None]
) -> None:
    import contextlib
    import io
    import warnings

    from ecomplexity import proximity as ec_proximity

    panel = make_panel(5, n_loc=15, n_act=25, years=(2020, 2021))
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation warnings inside ecomplexity
        ec = ec_proximity(panel, COLS)
    # proximity does not need ECI, so a network that falls apart is fine here
    result = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        convention="ecomplexity",
        disconnected="largest",
    )
    for year in (2020, 2021):
        ours = result.proximity(year).to_frame(activity="act")
        theirs = ec[ec["year"] == year]
        merged = theirs.merge(ours, on=["act_1", "act_2"], suffixes=("_ec", ""))
        assert len(merged) == 25 * 25
        close(merged["proximity_ec"], merged["proximity"], rtol=1e-6, atol=1e-15, label="proximity")
    # the atlas convention differs only on the diagonal
    atlas = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        convention="atlas",
        disconnected="largest",
    )
    a, e = atlas.proximity(2020).matrix, result.proximity(2020).matrix
    assert np.all(np.diag(a) == 0) and np.all(np.diag(e) == 1)
    off = ~np.eye(len(a), dtype=bool)
    # presence differs only where RCA is exactly 1, which random data never hits
    np.testing.assert_array_equal(a[off], e[off])


def test_rpop_matches_ecomplexity(
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    panel = make_panel(7, n_loc=20, n_act=30)
    rng = np.random.default_rng(7)
    # populations roughly in line with each location's exports, so every location passes RPOP somewhere
    # (otherwise ecomplexity's NaN bug, tested below, would hide the comparison)
    totals = panel.groupby(["year", "loc"], as_index=False)["val"].sum()
    pop = totals.assign(population=totals["val"] * rng.uniform(0.9, 1.0, len(totals)))[
        ["year", "loc", "population"]
    ]
    ec = run_ecomplexity(panel, COLS, presence_test="rpop", pop=pop)
    result = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        population=pop,
        convention="ecomplexity",
    )
    _compare(ec, result, close)
    merged = ec.astype({"loc": str, "act": str}).merge(_long(result), on=["year", "loc", "act"])
    close(merged["rpop_x"], merged["rpop_y"], rtol=1e-9, label="rpop")


def test_manual_presence_matches_ecomplexity(
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    panel = make_panel(8, n_loc=20, n_act=30)
    panel["val"] = (panel["val"] > 3000).astype(float)
    ec = run_ecomplexity(panel, COLS, presence_test="manual")
    result = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        presence_test="manual",
        convention="ecomplexity",
    )
    # with a manual matrix ecomplexity reports the presence matrix as "rca"; we report no rca at all
    assert "rca" not in result.pairs.columns
    _compare(ec, result, close, columns=("density", "eci", "pci", "coi", "cog"))


# ---- where ecomplexity is wrong ---------------------------------------------------------------------


def _with_flat_location(panel: pd.DataFrame) -> pd.DataFrame:
    """Add a location whose exports mirror the world's mix: every RCA is close to 1, none reaches 1.5."""
    year = panel[panel["year"] == panel["year"].min()]
    world = year.groupby("act")["val"].sum()
    rng = np.random.default_rng(3)
    flat = pd.DataFrame(
        {
            "year": year["year"].iloc[0],
            "loc": "ZZ_FLAT",
            "act": world.index,
            "val": world.to_numpy() * 0.01 * rng.uniform(0.95, 1.05, len(world)),
        }
    )
    return pd.concat([year, flat], ignore_index=True)


def test_one_location_without_presence_does_not_erase_the_year(
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    panel = _with_flat_location(make_panel(21, n_loc=30, n_act=30, years=(2020,), zero_share=0.3))
    ec = run_ecomplexity(panel, COLS, rca_mcp_threshold=1.5)
    assert ec["eci"].isna().all(), "ecomplexity: one location without presence makes every ECI NaN"
    result = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        convention="ecomplexity",
        threshold=1.5,
    )
    locs = result.locations.set_index("loc")
    assert locs.loc["ZZ_FLAT", "diversity"] == 0
    assert np.isnan(locs.loc["ZZ_FLAT", "eci"])
    assert locs.drop(index="ZZ_FLAT")["eci"].notna().all()
    assert "ZZ_FLAT" in set(result.issues["label"])
    # the other locations' ECI is ECI of the presence matrix without the empty row (ecomplexity on it agrees)
    m = (
        result.pairs[["year", "loc", "act", "M"]]
        .rename(columns={"M": "val"})
        .astype({"val": float, "loc": str, "act": str})
    )
    m = m[m["val"] == 1.0].reset_index(drop=True)
    ec_manual = run_ecomplexity(m, COLS, presence_test="manual")
    ec_loc = ec_manual.groupby("loc")["eci"].first()
    ours = locs.drop(index="ZZ_FLAT")["eci"]
    close(ec_loc.loc[ours.index.astype(str)], ours, rtol=1e-6, label="eci")
    # and no NaN leaks anywhere else
    assert result.pairs[["rca", "density", "distance", "cog"]].notna().all().all()
    assert result.locations["coi"].notna().all()


def test_both_tests_are_or_not_sum(
    make_panel: Callable[..., pd.DataFrame], run_ecomplexity: Callable[..., pd.DataFrame]
) -> None:
    panel = make_panel(9, n_loc=15, n_act=20, years=(2020,))
    pop = pd.DataFrame(
        {"year": 2020, "loc": sorted(panel["loc"].unique()), "population": np.linspace(1e6, 5e7, 15)}
    )
    ec = run_ecomplexity(panel, COLS, presence_test="both", pop=pop)
    assert ec["mcp"].max() == 2, "ecomplexity adds the two tests"
    both = compute(
        panel,
        location="loc",
        activity="act",
        value="val",
        year="year",
        population=pop,
        presence_test="both",
        convention="ecomplexity",
    ).pairs
    assert set(both["M"].unique()) <= {0, 1}
    expected = ((both["rca"] >= 1) | (both["rpop"] >= 1)).astype(np.int8)
    np.testing.assert_array_equal(both["M"].to_numpy(), expected.to_numpy())
    # atlas: strict inequalities, also OR-ed
    atlas = compute(
        panel, location="loc", activity="act", value="val", year="year", population=pop, presence_test="both"
    ).pairs
    expected = ((atlas["rca"] > 1) | (atlas["rpop"] > 1)).astype(np.int8)
    np.testing.assert_array_equal(atlas["M"].to_numpy(), expected.to_numpy())


def test_knn_density_is_a_weighted_share_not_a_count(
    make_panel: Callable[..., pd.DataFrame],
    run_ecomplexity: Callable[..., pd.DataFrame],
    close: Callable[..., None],
) -> None:
    k = 5
    panel = make_panel(13, n_loc=20, n_act=30, years=(2020,))
    ec = run_ecomplexity(panel, COLS, knn=k)
    assert ec["density"].max() > 1, "ecomplexity's knn density counts neighbours present"
    result = compute(
        panel, location="loc", activity="act", value="val", year="year", convention="ecomplexity", knn=k
    )
    dens = result.pairs["density"].to_numpy()
    assert dens.min() >= 0 and dens.max() <= 1
    # recompute by the definition: for each activity p its k most proximate other activities N(p)
    # (ties with the k-th included), density_cp = Σ_{j∈N(p)} M_cj φ_jp / Σ_{j∈N(p)} φ_jp
    phi = result.proximity(2020).matrix
    m = result.pairs["M"].to_numpy().reshape(20, 30).astype(float)
    expected = np.zeros_like(m)
    for p in range(30):
        others = np.array([j for j in range(30) if j != p])
        kth = np.sort(phi[others, p])[::-1][k - 1]
        near = others[phi[others, p] >= kth]
        w = phi[near, p]
        expected[:, p] = m[:, near] @ w / w.sum()
    close(expected.ravel(), dens, rtol=1e-12, atol=1e-15, label="knn density")
