"""Per-enterprise caps and budget pools, applied after groups, in exact integer fen (vectorised).

* **Per-enterprise cap** (``enterprise_cap``): an enterprise's awards among the members in one
  period sum to at most the cap. Awards are filled in descending amount (ties: member order, then
  policy/clause id); the award that crosses the cap is cut to what is left, later ones to 0.
* **Budget pool** (``budget``), applied last: when the members' awards exceed the pool,
  ``pro_rata`` scales each to ``amount × pool / total``, rounded down to the fen, then hands the
  remaining fen one each to the largest remainders (ties by uscc, policy, clause), so the total
  equals the pool exactly; ``ranking`` pays awards in full in descending amount (ties by uscc,
  policy, clause) while the pool lasts, the one that crosses it gets what is left, the rest 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.policy._format import Cap
from zonebrain.policy._library import Library
from zonebrain.policy._trace import cat, lit

I64 = npt.NDArray[np.int64]


def cap_per_enterprise(owner: npt.NDArray[np.str_], amount: I64, order: I64, cap: int) -> I64:
    """Granted amounts for rows of several enterprises (*owner*), filled in *order* (ascending) per owner."""
    if amount.size == 0:
        return amount.copy()
    sort = np.lexsort((order, owner))
    a = amount[sort]
    o = owner[sort]
    start = np.ones(a.size, dtype=bool)
    start[1:] = o[1:] != o[:-1]
    csum = np.cumsum(a)
    group_start = np.maximum.accumulate(np.where(start, np.arange(a.size), 0))
    before = csum - a - (csum[group_start] - a[group_start])
    granted = np.clip(cap - before, 0, a)
    out = np.empty_like(amount)
    out[sort] = granted
    return out


def pro_rata(amount: I64, tiebreak: I64, pool: int) -> I64:
    """Largest-remainder apportionment of *pool* in proportion to *amount* (unchanged if it fits)."""
    total = int(amount.sum())
    if total <= pool:
        return amount.copy()
    scaled = amount.astype(object) * pool  # exact: the products may exceed int64
    base = (scaled // total).astype(np.int64)
    rem = (scaled % total).astype(np.int64)  # < total, which fits
    left = pool - int(base.sum())
    order = np.lexsort((tiebreak, -rem))
    extra = np.zeros(amount.size, dtype=np.int64)
    extra[order[:left]] = 1
    return base + extra


def ranking(amount: I64, order: I64, pool: int) -> I64:
    """Pay in full in *order* (ascending) while the pool lasts; the crossing award gets the rest."""
    sort = np.argsort(order, kind="stable")
    a = amount[sort]
    before = np.cumsum(a) - a
    granted = np.clip(pool - before, 0, a)
    out = np.empty_like(amount)
    out[sort] = granted
    return out


def members(patterns: tuple[str, ...], lib: Library) -> list[str]:
    """``policy/clause`` names matched by *patterns* (``policy/clause`` or ``policy/*``), in order."""
    out = []
    for m in patterns:
        pid, _, cid = m.partition("/")
        p = lib.policies.get(pid)
        if p is not None:
            out += [f"{pid}/{c.id}" for c in p.clauses if cid in ("*", c.id) and f"{pid}/{c.id}" not in out]
    return out


def _rows(names: pa.Array, status: pa.Array, wanted: list[str]) -> npt.NDArray[np.int64]:
    live = pc.and_(pc.is_in(names, value_set=pa.array(wanted, pa.string())), pc.equal(status, "eligible"))
    return np.flatnonzero(np.asarray(pc.fill_null(live, False), dtype=bool))


def _position(*keys: npt.NDArray[Any]) -> I64:
    """Each row's rank under a lexicographic sort by *keys* (first key most significant)."""
    sort = np.lexsort(tuple(reversed(keys)))
    pos = np.empty(sort.size, dtype=np.int64)
    pos[sort] = np.arange(sort.size)
    return pos


def apply_limits(
    lib: Library, uscc: pa.Array, names: pa.Array, status: pa.Array, amount: pa.Array
) -> tuple[pa.Array, list[tuple[npt.NDArray[np.int64], pa.Array]]]:
    """Caps, then budget pools, of every family. Returns the new amounts and (rows, trace text) to append."""
    notes: list[tuple[npt.NDArray[np.int64], pa.Array]] = []
    fen = np.asarray(pc.fill_null(amount, 0), dtype=np.int64).copy()
    for fam in lib.families.values():
        for spec in (fam.enterprise_cap, fam.budget):
            if spec is None:
                continue
            wanted = members(spec.members, lib)
            idx = _rows(names, status, wanted)
            if idx.size == 0:
                continue
            req = fen[idx]
            us = np.asarray(uscc.take(pa.array(idx)).to_numpy(zero_copy_only=False)).astype(str)
            nm = np.asarray(names.take(pa.array(idx)).to_numpy(zero_copy_only=False)).astype(str)
            if isinstance(spec, Cap):
                rank = np.asarray(pc.index_in(pa.array(nm), value_set=pa.array(wanted)), dtype=np.int64)
                granted = cap_per_enterprise(us, req, _position(us, -req, rank, nm), spec.amount)
                changed = granted < req
                head = f',"enterprise_cap":{{"ref":{lit(spec.ref.text())},"cap":{spec.amount},"requested":'
            else:
                if spec.rule == "pro_rata":
                    granted = pro_rata(req, _position(us, nm), spec.pool)
                else:
                    granted = ranking(req, _position(-req, us, nm), spec.pool)
                changed = np.full(req.size, int(req.sum()) > spec.pool)
                head = (
                    f',"budget":{{"ref":{lit(spec.ref_text())},"pool":{spec.pool},"rule":"{spec.rule}",'
                    '"requested":'
                )
            fen[idx] = granted
            rows = idx[changed]
            if rows.size:
                text = cat(head, pa.array(req[changed]).cast(pa.string()), ',"granted":',
                           pa.array(granted[changed]).cast(pa.string()), "}")  # fmt: skip
                notes.append((rows, text))
    new = pc.if_else(pc.is_null(amount), pa.scalar(None, pa.int64()), pa.array(fen, pa.int64()))
    return new, notes
