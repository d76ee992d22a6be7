"""Revealed comparative advantage, location quotient, RPOP and the presence matrix, all sparse."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def balassa(
    values: sp.csr_array,
    *,
    reference: FloatArray | None = None,
    reference_total: float | None = None,
) -> sp.csr_array:
    """Balassa's RCA (or a location quotient): ``(x_cp / x_c) / (X_p / X)``.

    Without ``reference`` the activity totals ``X_p`` and the grand total ``X`` come from the
    table itself (RCA against the world of the table). With ``reference`` (totals per activity of
    another economy, aligned with the columns) and ``reference_total`` the result is the location
    quotient against that economy. Every row total must be positive.
    """
    row_tot = np.asarray(values.sum(axis=1), dtype=np.float64).ravel()
    if reference is None:
        col_tot = np.asarray(values.sum(axis=0), dtype=np.float64).ravel()
        grand = float(row_tot.sum())
    else:
        col_tot = reference
        grand = float(reference_total if reference_total is not None else reference.sum())
    # (x / x_c) / (X_p / X): the same grouping of operations as the reference implementations.
    out = values.copy()
    row_of_entry = np.repeat(np.arange(values.shape[0]), np.diff(values.indptr))
    share = values.data / row_tot[row_of_entry]
    out.data = share / (col_tot[values.indices] / grand)
    return out


def rpop(values: sp.csr_array, population: FloatArray) -> sp.csr_array:
    """Revealed per-capita advantage: ``(x_cp / X_p) / (pop_c / POP)``, sparse like ``values``."""
    col_tot = np.asarray(values.sum(axis=0), dtype=np.float64).ravel()
    pop_share = population / float(population.sum())
    out = values.copy()
    row_of_entry = np.repeat(np.arange(values.shape[0]), np.diff(values.indptr))
    out.data = (values.data / col_tot[values.indices]) / pop_share[row_of_entry]
    return out


def presence(index: sp.csr_array, threshold: float, *, strict: bool) -> sp.csr_array:
    """Binary presence: 1 where ``index > threshold`` (``strict``) or ``index >= threshold``.

    Only stored entries can be present, so ``threshold`` must be positive (checked by the caller).
    """
    keep = index.data > threshold if strict else index.data >= threshold
    out = index.copy()
    out.data = keep.astype(np.float64)
    out.eliminate_zeros()
    return out
