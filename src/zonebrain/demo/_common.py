"""Shared pieces: seeded random streams, the class table, organisation-code bodies, trade names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.industry import gbt4754
from zonebrain.core.uscc import ALPHABET

from ._vocab import BLOCKED_PAIRS, SYLLABLES

_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator per named step, so adding a step never shifts another one's draws."""
    key = [int(b) for b in name.encode("utf-8")]
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


@dataclass(frozen=True)
class ClassTable:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    sections: tuple[str, ...]
    index: dict[str, int]


@cache
def class_table() -> ClassTable:
    """The 1,380 GB/T 4754-2017 classes, names stripped of stray blanks, with their sections."""
    c = gbt4754()
    items = c.level("class")
    codes = tuple(i.code for i in items)
    return ClassTable(
        codes=codes,
        names=tuple(i.name.strip() for i in items),
        sections=tuple(c.section_of(code) for code in codes),
        index={code: i for i, code in enumerate(codes)},
    )


def distinct_integers(rng: np.random.Generator, n: int, high: int) -> npt.NDArray[np.int64]:
    """*n* distinct integers from ``[0, high)`` in random order (needs ``n`` well below ``high``)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n > high // 4:
        raise ValueError(f"cannot draw {n} distinct values from {high}: space too small")
    draw = max(n + 64, int(n * 1.05))
    while True:
        values = np.unique(rng.integers(0, high, size=draw, dtype=np.int64))
        if values.size >= n:
            break
        draw *= 2
    return rng.permutation(values)[:n]


def ma_bodies(ints: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Post-2015 style bodies: ``MA`` + 6 characters of the GB 32100 alphabet (base-31 digits of *ints*)."""
    n = ints.size
    out = np.empty((n, 8), dtype=np.uint8)
    out[:, 0] = ord("M")
    out[:, 1] = ord("A")
    rest = ints.copy()
    for pos in range(7, 1, -1):
        out[:, pos] = _ALPHABET_BYTES[rest % 31]
        rest //= 31
    return np.char.decode(out.view("S8").ravel(), "ascii")


def legacy_bodies(ints: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    """Pre-2015 style bodies: the 8 digits of an old 组织机构代码 (zero-padded *ints*)."""
    n = ints.size
    out = np.empty((n, 8), dtype=np.uint8)
    rest = ints.copy()
    for pos in range(7, -1, -1):
        out[:, pos] = ord("0") + rest % 10
        rest //= 10
    return np.char.decode(out.view("S8").ravel(), "ascii")


def syllable_pairs(rng: np.random.Generator, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Two different syllable indices per firm, never forming a blocked pair."""
    k = len(SYLLABLES)
    a = rng.integers(0, k, size=n)
    b = (a + rng.integers(1, k, size=n)) % k
    blocked = {(SYLLABLES.find(p[0]), SYLLABLES.find(p[1])) for p in BLOCKED_PAIRS}
    blocked = {p for p in blocked if -1 not in p}
    for i, j in sorted(blocked):  # pragma: no cover - the syllables hold none of them
        hit = (a == i) & (b == j)
        b[hit] = (b[hit] + 1) % k
    return a, b


def unique_names(rng: np.random.Generator, parts: list[pa.Array], syl_slot: int) -> pa.Array:
    """Join *parts* into names; where a name repeats, append extra syllables at *syl_slot* until unique."""
    syl = pa.array(list(SYLLABLES))
    parts = list(parts)
    n = len(parts[0])
    names = pc.binary_join_element_wise(*parts, "")
    for _ in range(6):
        enc = pc.dictionary_encode(names)
        idx = np.asarray(enc.indices, dtype=np.int64)
        _, first = np.unique(idx, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return names
        extra = syl.take(pa.array(rng.integers(0, len(SYLLABLES), size=n)))
        grown = pc.binary_join_element_wise(parts[syl_slot], extra, "")
        parts[syl_slot] = pc.if_else(pa.array(dup), grown, parts[syl_slot])
        names = pc.binary_join_element_wise(*parts, "")
    raise RuntimeError("could not make company names unique")  # pragma: no cover


def nice_capital_fen(rng: np.random.Generator, wan: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Registered capital in fen: mostly round 万元 figures as people register them, some exact to the 元."""
    nice = np.array(
        [
            1,
            3,
            5,
            10,
            20,
            30,
            50,
            100,
            200,
            300,
            500,
            800,
            1000,
            2000,
            3000,
            5000,
            10000,
            20000,
            50000,
            100000,
        ],
        dtype=np.float64,
    )
    pos = np.clip(np.searchsorted(nice, wan), 0, nice.size - 1)
    lower = nice[np.maximum(pos - 1, 0)]
    upper = nice[pos]
    rounded = np.where(np.abs(np.log(wan / lower)) < np.abs(np.log(upper / wan)), lower, upper)
    exact = np.round(wan * 10_000)  # whole 元
    use_exact = rng.random(wan.size) < 0.25
    yuan = np.where(use_exact, np.maximum(exact, 10_000), rounded * 10_000)
    return yuan.astype(np.int64) * 100
