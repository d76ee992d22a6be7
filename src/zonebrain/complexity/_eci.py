"""Diversity, ubiquity, and the ECI / PCI eigenvectors (through the symmetric L × L form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Below this the second eigenvalue is treated as zero (all locations alike: ECI undefined).
_EIGEN_EPS = 1e-12


@dataclass(frozen=True)
class Eigen:
    """Raw (unstandardised, sign-fixed) complexity vectors of the core of one year."""

    kc: FloatArray  # one value per core location
    kp: FloatArray  # one value per core activity; kc = D⁻¹ M kp exactly
    eigenvalue: float
    sign_from_diversity: bool


def degrees(presence: sp.csr_array) -> tuple[FloatArray, FloatArray]:
    """Diversity (presences per location) and ubiquity (presences per activity)."""
    diversity = np.asarray(presence.sum(axis=1), dtype=np.float64).ravel()
    ubiquity = np.asarray(presence.sum(axis=0), dtype=np.float64).ravel()
    return diversity, ubiquity


def components(presence: sp.csr_array) -> tuple[int, NDArray[np.int32], NDArray[np.int32]]:
    """Connected components of the bipartite location–activity network.

    Returns the number of components and the component of every row and every column.
    Rows and columns without any presence form components of their own.
    """
    n_loc = presence.shape[0]
    graph = sp.block_array([[None, presence], [presence.T, None]], format="csr")
    n, labels = connected_components(cast("sp.csr_array[np.float64]", graph), directed=False)
    return int(n), labels[:n_loc], labels[n_loc:]


def _correlation_sign(x: FloatArray, y: FloatArray) -> float:
    """Sign of the Pearson correlation of x and y; 0 when it is undefined or zero."""
    xc = x - x.mean()
    yc = y - y.mean()
    cov = float(xc @ yc)
    scale = float(np.sqrt((xc @ xc) * (yc @ yc)))
    if scale == 0.0 or abs(cov) <= 1e-12 * scale:
        return 0.0
    return 1.0 if cov > 0 else -1.0


def eigen(core: NDArray[np.float64]) -> Eigen:
    """ECI and PCI eigenvectors of a dense 0/1 core matrix (every row and column has a presence).

    The Markov matrix ``M̃ = D⁻¹ M U⁻¹ Mᵀ`` (D diversity, U ubiquity) is similar to the symmetric
    ``S = D^-½ M U⁻¹ Mᵀ D^-½``; its second largest eigenvector ``y`` gives ``kc = D^-½ y`` and
    ``kp = U⁻¹ Mᵀ kc / λ₂``, so that ``kc = D⁻¹ M kp`` (ECI is the mean PCI of a location's
    activities). The sign makes ``kc`` correlate positively with diversity; if that correlation
    is zero or undefined (all diversities equal), the largest entry in absolute value is made positive.
    Raises ``ValueError`` when λ₂ is zero (the caller turns it into an InputError).
    """
    d = core.sum(axis=1)
    u = core.sum(axis=0)
    a = core * (1.0 / np.sqrt(u))[None, :] * (1.0 / np.sqrt(d))[:, None]
    s = a @ a.T
    s = (s + s.T) * 0.5
    values, vectors = np.linalg.eigh(s)
    lam = float(values[-2])
    if lam <= _EIGEN_EPS:
        raise ValueError("第二特征值为 0 (second eigenvalue is zero)")
    kc = vectors[:, -2] / np.sqrt(d)
    kp = (core.T @ kc) / u / lam
    sign = _correlation_sign(d, kc)
    from_div = sign != 0.0
    if not from_div:
        i = int(np.argmax(np.abs(kc)))
        sign = 1.0 if kc[i] >= 0 else -1.0
    return Eigen(kc=sign * kc, kp=sign * kp, eigenvalue=lam, sign_from_diversity=from_div)


def standardiser(kc: FloatArray, n_activities: int, *, long_table: bool) -> tuple[float, float]:
    """Mean and standard deviation used to standardise ECI (and, shifted by the same numbers, PCI).

    ``long_table``: sample sd (ddof 1) of the long table where each location's value is repeated
    once per activity (Stata, Atlas). Otherwise: population sd (ddof 0) over locations.
    """
    mean = float(kc.mean())
    ss = float(((kc - mean) ** 2).sum())
    if long_table:
        n = kc.size * n_activities
        var = n_activities * ss / (n - 1) if n > 1 else 0.0
    else:
        var = ss / kc.size
    return mean, float(np.sqrt(var))
