"""Holding relatedness density to history: which absent activities does a location enter next?

Two panels of the same locations and activities at two dates. At the start, every pair (c, p) with
Mcp = 0 is a candidate; it is a *positive* when Mcp = 1 at the end. Each candidate is scored by the
relatedness density ωcp at the start (from :func:`zonebrain.complexity.compute`) and, as the baseline,
by the global size of the activity at the start (Σc xcp). See docs/targeting.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zonebrain.complexity import compute
from zonebrain.core.errors import InputError

from ._metrics import precision_at_k, roc_auc

SCORES = ("density", "size")
"""The scores a backtest compares: relatedness density (the opportunity measure) and the baseline."""
DEFAULT_KS = (5, 10, 20)


@dataclass(frozen=True)
class BacktestReport:
    """The outcome of a backtest.

    ``summary`` has one row per score (``density``, ``size``): ``auc`` (pooled over all candidate
    pairs), ``auc_within`` (mean over locations of the AUC among that location's candidates),
    ``precision_at_K`` (mean over locations with at least one entry) and the base rate.
    ``pairs`` has every candidate: location, activity, density, size, entered (bool).
    """

    summary: pd.DataFrame
    pairs: pd.DataFrame
    n_locations: int
    n_activities: int
    n_candidates: int
    n_positives: int
    ks: tuple[int, ...]
    notes: tuple[str, ...] = ()

    def to_markdown(self) -> str:
        """The summary as a Markdown table (for docs and the CLI)."""
        cols = list(self.summary.columns)
        lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
        for row in self.summary.itertuples(index=False):
            cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def _check(panel: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise InputError(
            f"{name} 缺少列 {missing} ({name} panel lacks columns {missing}); 可用 / available: "
            f"{list(panel.columns)}"
        )
    if panel.empty:
        raise InputError(f"{name} 面板为空 (the {name} panel has no rows)")


def _sum_by(panel: pd.DataFrame, location: str, activity: str, value: str) -> pd.DataFrame:
    frame = panel[[location, activity, value]].copy()
    frame[location] = frame[location].astype(str)
    frame[activity] = frame[activity].astype(str)
    summed: pd.DataFrame = frame.groupby([location, activity], as_index=False, sort=True)[[value]].sum()
    return summed


def evaluate_scores(
    pairs: pd.DataFrame, *, location: str, ks: Sequence[int] = DEFAULT_KS, scores: Sequence[str] = SCORES
) -> pd.DataFrame:
    """Score table (one row per score) from candidate *pairs* with score columns and ``entered``."""
    y = pairs["entered"].to_numpy(bool)
    rows = []
    groups = [g for _, g in pairs.groupby(location, sort=True)]
    with_entry = [g for g in groups if g["entered"].any()]
    for score in scores:
        row: dict[str, object] = {"score": score, "auc": roc_auc(pairs[score].to_numpy(), y)}
        within = [
            roc_auc(g[score].to_numpy(), g["entered"].to_numpy())
            for g in with_entry
            if not g["entered"].all()
        ]
        row["auc_within"] = float(np.mean(within)) if within else float("nan")
        for k in ks:
            vals = [precision_at_k(g[score].to_numpy(), g["entered"].to_numpy(), k) for g in with_entry]
            row[f"precision_at_{k}"] = float(np.mean(vals)) if vals else float("nan")
        row["base_rate"] = float(y.mean()) if y.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def backtest(
    start: pd.DataFrame,
    end: pd.DataFrame,
    *,
    location: str,
    activity: str,
    value: str,
    ks: Sequence[int] = DEFAULT_KS,
    threshold: float = 1.0,
    convention: str = "atlas",
    knn: int | None = None,
) -> BacktestReport:
    """Backtest relatedness density against the global-size baseline on two panels.

    Locations and activities are those with a positive total in *both* panels (an activity or a place
    that only appears at the end cannot be scored at the start); rows missing in a panel count as 0.
    Presence is RCA > *threshold* (``atlas``; ≥ under ``ecomplexity``) in each panel separately.

    >>> import pandas as pd
    >>> s = pd.DataFrame({"c": list("aabbcc"), "p": list("xyyzxz"), "v": [5, 1, 4, 1, 3, 3]})
    >>> e = s.assign(v=[5, 4, 4, 4, 3, 3])
    >>> r = backtest(s, e, location="c", activity="p", value="v", ks=(1,))
    >>> (r.n_candidates, r.n_positives)
    (5, 2)
    """
    for name, panel in (("start", start), ("end", end)):
        _check(panel, name, (location, activity, value))
    s = _sum_by(start, location, activity, value)
    e = _sum_by(end, location, activity, value)
    locs = sorted(
        set(s.groupby(location)[value].sum().loc[lambda x: x > 0].index)
        & set(e.groupby(location)[value].sum().loc[lambda x: x > 0].index)
    )
    acts = sorted(
        set(s.groupby(activity)[value].sum().loc[lambda x: x > 0].index)
        & set(e.groupby(activity)[value].sum().loc[lambda x: x > 0].index)
    )
    if len(locs) < 2 or len(acts) < 2:
        raise InputError(
            f"两期面板共有的地区 {len(locs)} 个、活动 {len(acts)} 个，至少各需 2 个 "
            f"(the panels share {len(locs)} locations and {len(acts)} activities; need at least 2 of each)"
        )
    s = s[s[location].isin(locs) & s[activity].isin(acts)]
    e = e[e[location].isin(locs) & e[activity].isin(acts)]
    opts = {"threshold": threshold, "convention": convention, "knn": knn, "disconnected": "largest"}
    rs = compute(s, location=location, activity=activity, value=value, **opts)  # type: ignore[arg-type]
    re_ = compute(e, location=location, activity=activity, value=value, **opts)  # type: ignore[arg-type]
    grid = rs.pairs[[location, activity, "M", "density"]]
    ends = re_.pairs[[location, activity, "M"]].rename(columns={"M": "M_end"})
    grid = grid.merge(ends, on=[location, activity], how="left")
    grid["M_end"] = grid["M_end"].fillna(0).astype(np.int64)
    size = s.groupby(activity)[value].sum().astype(np.float64).rename("size")
    grid = grid.join(size, on=activity)
    cand = grid[grid["M"] == 0].copy()
    cand["entered"] = cand["M_end"] == 1
    pairs = cand[[location, activity, "density", "size", "entered"]].reset_index(drop=True)
    summary = evaluate_scores(pairs, location=location, ks=ks)
    return BacktestReport(
        summary=summary,
        pairs=pairs,
        n_locations=len(locs),
        n_activities=len(acts),
        n_candidates=len(pairs),
        n_positives=int(pairs["entered"].sum()),
        ks=tuple(ks),
        notes=tuple(rs.issues["message"].astype(str)),
    )


def holdout_check(
    panel: pd.DataFrame,
    *,
    location: str,
    activity: str,
    value: str,
    share: float = 0.2,
    seed: int = 0,
    ks: Sequence[int] = DEFAULT_KS,
    threshold: float = 1.0,
    convention: str = "atlas",
    knn: int | None = None,
) -> BacktestReport:
    """Cross-sectional check: hide *share* of the presences (Mcp = 1) at random, predict them from the rest.

    Presence is computed once on the whole panel. A random *share* of the presences (seeded) is set
    to 0; density is recomputed from the remaining presence matrix (``presence_test="manual"``).
    Candidates are all pairs absent from that matrix; positives are the hidden ones. The baseline
    ranks by each activity's total value over the visible cells (hidden cells' values are not used).
    """
    _check(panel, "panel", (location, activity, value))
    if not 0 < share < 1:
        raise InputError(f"share 须在 0 与 1 之间 (share must lie strictly between 0 and 1, got {share})")
    p = _sum_by(panel, location, activity, value)
    full = compute(
        p,
        location=location,
        activity=activity,
        value=value,
        threshold=threshold,
        convention=convention,
        disconnected="largest",
    ).pairs[[location, activity, value, "M"]]
    rng = np.random.default_rng(seed)
    present = np.flatnonzero(full["M"].to_numpy() == 1)
    hidden_idx = rng.choice(present, size=round(share * present.size), replace=False)
    hidden = np.zeros(len(full), dtype=bool)
    hidden[hidden_idx] = True
    full = full.assign(hidden=hidden, M_seen=np.where(hidden, 0, full["M"].to_numpy()))
    seen = full[[location, activity, "M_seen"]]
    r = compute(
        seen,
        location=location,
        activity=activity,
        value="M_seen",
        presence_test="manual",
        convention=convention,
        knn=knn,
        disconnected="largest",
    )
    size = full.loc[~full["hidden"]].groupby(activity)[value].sum().astype(np.float64).rename("size")
    grid = full.merge(r.pairs[[location, activity, "density"]], on=[location, activity], how="left")
    grid["density"] = grid["density"].fillna(0.0)
    grid = grid.join(size, on=activity)
    grid["size"] = grid["size"].fillna(0.0)
    cand = grid[grid["M_seen"] == 0].copy()
    cand["entered"] = cand["hidden"]
    pairs = cand[[location, activity, "density", "size", "entered"]].reset_index(drop=True)
    return BacktestReport(
        summary=evaluate_scores(pairs, location=location, ks=ks),
        pairs=pairs,
        n_locations=int(full[location].nunique()),
        n_activities=int(full[activity].nunique()),
        n_candidates=len(pairs),
        n_positives=int(pairs["entered"].sum()),
        ks=tuple(ks),
        notes=tuple(r.issues["message"].astype(str)),
    )
