"""Ranking metrics with ties handled exactly: ROC-AUC (Mann–Whitney) and tie-aware precision@k."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata


def roc_auc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting one half.

    Computed from rank sums (Mann–Whitney U) with tied scores given their average rank.
    NaN when there is no positive or no negative.

    >>> roc_auc([0.9, 0.1, 0.5, 0.5], [1, 0, 1, 0])
    0.875
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s, method="average")
    u = float(ranks[y].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def precision_at_k(scores: npt.ArrayLike, labels: npt.ArrayLike, k: int) -> float:
    """Expected share of positives among the *k* highest scores when ties are broken at random.

    Items strictly above the k-th score count fully; the block tied with the k-th score fills the
    remaining places in proportion to its share of positives. With fewer than *k* items, all count.
    NaN for an empty list.

    >>> precision_at_k([3, 2, 2, 1], [1, 1, 0, 0], 2)
    0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(np.float64)
    n = s.size
    if n == 0:
        return float("nan")
    k = min(k, n)
    kth = np.sort(s)[::-1][k - 1]
    above = s > kth
    tied = s == kth
    places = k - int(above.sum())
    hits = float(y[above].sum()) + places * float(y[tied].mean())
    return hits / k
