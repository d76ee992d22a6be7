"""The backtest of relatedness density: metrics, a panel where the answer is known, real trade data, CLI."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from zonebrain.cli.opportunities_cmd import app
from zonebrain.core.errors import InputError
from zonebrain.targeting import backtest, holdout_check, precision_at_k, roc_auc


def _auc_brute(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return math.nan
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1)), min_size=1, max_size=40))
def test_auc_equals_pairwise_count_with_ties(data: list[tuple[int, int]]) -> None:
    scores = [float(s) for s, _ in data]
    labels = [y for _, y in data]
    want = _auc_brute(scores, labels)
    got = roc_auc(scores, labels)
    assert (math.isnan(want) and math.isnan(got)) or math.isclose(got, want, abs_tol=1e-12)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=6), st.integers(1, 7))
def test_precision_at_k_is_the_mean_over_tie_breaks(data: list[tuple[int, int]], k: int) -> None:
    scores = np.array([s for s, _ in data], dtype=float)
    labels = np.array([y for _, y in data])
    kk = min(k, len(data))
    # brute force: every ordering consistent with the scores, equally likely within ties
    values = []
    for perm in itertools.permutations(range(len(data))):
        order = list(perm)
        if all(scores[order[i]] >= scores[order[i + 1]] for i in range(len(order) - 1)):
            values.append(labels[order[:kk]].mean())
    assert values
    assert math.isclose(precision_at_k(scores, labels, k), float(np.mean(values)), abs_tol=1e-12)


def _block_panels() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two clusters of activities (a*, b*) and one huge activity g that only location w holds.

    A present cell is worth 10, an absent one 0. At the start, x1..x3 lack a4 (their cluster's last
    activity) and y1..y3 lack b4; by the end they have it. x0 and y0 hold their whole cluster; z holds
    a0 and b0 (keeping the product space connected). The size baseline ranks g first for everybody,
    and nobody enters g.
    """
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    acts = [*a, *b, "g"]
    rows_s, rows_e = [], []
    holdings: list[tuple[str, set[str], str | None]] = [
        *((f"x{i}", set(a), "a4") for i in range(1, 4)),
        *((f"y{i}", set(b), "b4") for i in range(1, 4)),
        ("x0", set(a), None),
        ("y0", set(b), None),
        ("z", {"a0", "b0"}, None),
    ]
    for loc, own, gap in holdings:
        for act in acts:
            present = 10.0 if act in own else 0.0
            rows_e.append((loc, act, present))
            rows_s.append((loc, act, 0.0 if act == gap else present))
    for act in acts:
        v = 1000.0 if act == "g" else 0.0
        rows_e.append(("w", act, v))
        rows_s.append(("w", act, v))
    cols = ["loc", "act", "v"]
    return pd.DataFrame(rows_s, columns=cols), pd.DataFrame(rows_e, columns=cols)


def test_backtest_on_a_panel_with_a_known_answer() -> None:
    start, end = _block_panels()
    r = backtest(start, end, location="loc", activity="act", value="v", ks=(1, 3))
    assert (r.n_locations, r.n_activities) == (10, 11)
    entered = r.pairs[r.pairs["entered"]]
    assert sorted(zip(entered["loc"], entered["act"], strict=True)) == [
        *((f"x{i}", "a4") for i in range(1, 4)),
        *((f"y{i}", "b4") for i in range(1, 4)),
    ]
    s = r.summary.set_index("score")
    assert s.loc["density", "auc"] == 1.0
    assert s.loc["density", "auc_within"] == 1.0
    assert s.loc["density", "precision_at_1"] == 1.0
    assert s.loc["size", "auc"] < s.loc["density", "auc"]
    assert s.loc["size", "precision_at_1"] < 1.0
    assert ((r.pairs["density"] >= 0) & (r.pairs["density"] <= 1)).all()


def test_backtest_ignores_row_order_and_rejects_bad_input() -> None:
    start, end = _block_panels()
    one = backtest(start, end, location="loc", activity="act", value="v")
    two = backtest(
        start.sample(frac=1, random_state=1),
        end.sample(frac=1, random_state=2),
        location="loc",
        activity="act",
        value="v",
    )
    pd.testing.assert_frame_equal(one.summary, two.summary)
    with pytest.raises(InputError, match="lacks columns"):
        backtest(start, end, location="loc", activity="nope", value="v")
    with pytest.raises(InputError, match="share"):
        holdout_check(start, location="loc", activity="act", value="v", share=1.5)


def test_holdout_on_world_trade_2017(shared_data: Path) -> None:
    trade = pd.read_csv(shared_data / "world_trade_hs4_2017.csv", dtype={"product_code": str})
    r = holdout_check(
        trade, location="reporter_iso", activity="product_code", value="export_value_usd", seed=0
    )
    s = r.summary.set_index("score")
    # recorded in docs/targeting.md (seed 0): density ≈ 0.81, size ≈ 0.55
    assert s.loc["density", "auc"] > 0.75
    assert s.loc["density", "auc"] > s.loc["size", "auc"] + 0.15
    assert s.loc["density", "precision_at_10"] > 3 * s.loc["size", "precision_at_10"]
    assert r.n_positives == round(0.2 * (r.n_positives / 0.2))


def test_cli_backtest_and_holdout(tmp_path: Path) -> None:
    start, end = _block_panels()
    start.to_csv(tmp_path / "s.csv", index=False)
    end.to_parquet(tmp_path / "e.parquet", index=False)
    runner = CliRunner()
    args = ["--location", "loc", "--activity", "act", "--value", "v"]
    res = runner.invoke(
        app,
        [
            "backtest",
            "--start",
            str(tmp_path / "s.csv"),
            "--end",
            str(tmp_path / "e.parquet"),
            *args,
            "--format",
            "json",
            "--out",
            str(tmp_path / "pairs.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert '"positives": 6' in res.output
    assert len(pd.read_csv(tmp_path / "pairs.csv")) > 6
    res = runner.invoke(app, ["holdout", str(tmp_path / "s.csv"), *args])
    assert res.exit_code == 0, res.output
    assert "density" in res.output
    res = runner.invoke(app, ["backtest", "--start", str(tmp_path / "missing.csv"), "--end", "x.csv", *args])
    assert res.exit_code == 2
    assert "file not found" in res.output
