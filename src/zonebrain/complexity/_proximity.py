"""Proximity, relatedness density, complexity outlook (COI) and outlook gain (COG) as matrix products."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Rows per block when a P × P matrix is transformed in place (keeps temporaries small).
_BLOCK = 512


def proximity(presence: FloatArray, ubiquity: FloatArray, diagonal: float) -> FloatArray:
    """``φ_pq = C_pq / max(u_p, u_q)`` with ``C = Mᵀ M`` (co-presence counts): the smaller of the two
    conditional probabilities. Pairs where neither activity is present anywhere get 0; the diagonal is
    set to ``diagonal``.

    ``C`` is built in row blocks with float32 products (exact: counts are integers below 2²⁴), each block
    scaled straight into the float64 result, so no second P × P matrix is ever held.
    """
    n_loc, n = presence.shape
    exact32 = n_loc < 2**24
    m = presence.astype(np.float32) if exact32 else presence
    inverse = np.zeros_like(ubiquity)
    # C_pq is 0 whenever u_p or u_q is 0, so 1/0 may be replaced by 0 without changing anything.
    np.divide(1.0, ubiquity, out=inverse, where=ubiquity > 0)
    phi = np.empty((n, n), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        counts = m[:, start:stop].T @ m
        smaller = np.minimum(inverse[start:stop, None], inverse[None, :])
        np.multiply(counts, smaller, out=phi[start:stop])
    np.fill_diagonal(phi, diagonal)
    return phi


def knn_weights(phi: FloatArray, k: int) -> FloatArray:
    """Keep, for each activity (column), the proximities to its ``k`` nearest other activities.

    Nearest means largest proximity; the activity itself is not a neighbour; every activity tied
    with the k-th largest value is kept. Other entries become 0.
    """
    n = phi.shape[0]
    work = phi.copy()
    np.fill_diagonal(work, -np.inf)
    if k >= n - 1:
        np.fill_diagonal(work, 0.0)
        return work
    kth = -np.partition(-work, k - 1, axis=0)[k - 1]
    work[work < kth[None, :]] = 0.0
    np.fill_diagonal(work, 0.0)
    return work


def density_and_gain(
    presence: FloatArray, phi: FloatArray, gain_weight: FloatArray, knn: int | None
) -> tuple[FloatArray, FloatArray]:
    """Relatedness density and the raw complexity outlook gain, in one matrix product.

    density_cp = Σ_j M_cj φ_jp / Σ_j φ_jp (0 where the activity has no proximity to anything);
    gain_cp = (1 − M_cp) Σ_j (1 − M_cj) φ_jp w_j, with w_j = PCI_j / Σ_k φ_jk given by the caller.
    ``phi`` must be symmetric. With ``knn`` the density uses only each activity's k nearest others.
    """
    absent = 1.0 - presence
    if knn is None:
        stacked = np.vstack([presence, absent * gain_weight[None, :]])
        both = stacked @ phi
        n_loc = presence.shape[0]
        near = both[:n_loc]
        gain = both[n_loc:]
        totals = phi.sum(axis=0)
    else:
        weights = knn_weights(phi, knn)
        near = presence @ weights
        totals = weights.sum(axis=0)
        gain = (absent * gain_weight[None, :]) @ phi
    density = np.zeros_like(near)
    np.divide(near, totals[None, :], out=density, where=totals[None, :] > 0)
    gain *= absent
    return density, gain


def gain_weight(phi: FloatArray, pci_raw: FloatArray) -> FloatArray:
    """``w_j = PCI_j / Σ_k φ_jk`` (0 where PCI is undefined or the activity has no proximity)."""
    totals = phi.sum(axis=1)
    out = np.zeros_like(pci_raw)
    ok = (totals > 0) & np.isfinite(pci_raw)
    out[ok] = pci_raw[ok] / totals[ok]
    return out
