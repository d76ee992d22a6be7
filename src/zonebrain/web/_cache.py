"""Results computed from the warehouse, cached per process until the data changes.

The data version is the pool's write generation plus the warehouse's import bookkeeping
(number of batches and the newest ``finished_at``), checked at most every few seconds. A
cached value lives until the version changes, so headline figures, chain memberships and
the complexity space are computed once per data change, not once per request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import ibis

from zonebrain.storage import Warehouse
from zonebrain.web._warehouse import WarehousePool

T = TypeVar("T")


class DataCache:
    def __init__(self, pool: WarehousePool, *, ttl: float = 5.0, max_entries: int = 4096) -> None:
        self._pool = pool
        self._ttl = ttl
        self._max = max_entries
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._refreshing = False

    def version(self) -> tuple[Any, ...]:
        now = time.monotonic()
        with self._lock:
            fresh = self._version is not None and now - self._checked < self._ttl
            if fresh or (self._version is not None and self._refreshing):
                return self._version  # type: ignore[return-value]  # one thread refreshes, others go on
            self._refreshing = True
        try:
            return self._refresh()
        finally:
            with self._lock:
                self._refreshing = False

    def _refresh(self) -> tuple[Any, ...]:
        with self._pool.reader() as wh:
            batches = wh.table("import_batches")
            row = wh.to_arrow(batches.aggregate(n=ibis._.count(), last=ibis._.finished_at.max())).to_pylist()[
                0
            ]
        version = (self._pool.generation, row["n"], str(row["last"]))
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._key_locks.clear()
            self._version, self._checked = version, time.monotonic()
        return version

    def invalidate(self) -> None:
        with self._lock:
            self._version = None
            self._values.clear()

    def get(self, key: Hashable, compute: Callable[[Warehouse], T]) -> T:
        """The cached value of *key* for the current data, computing it (once) when missing."""
        version = self.version()
        full = (version, key)
        with self._lock:
            if full in self._values:
                self._values.move_to_end(full)
                return self._values[full]  # type: ignore[no-any-return]
            lock = self._key_locks.setdefault(full, threading.Lock())
        with lock:  # one thread computes; others asking for the same key wait for it
            with self._lock:
                if full in self._values:
                    return self._values[full]  # type: ignore[no-any-return]
            with self._pool.reader() as wh:
                value = compute(wh)
            with self._lock:
                self._values[full] = value
                while len(self._values) > self._max:
                    self._values.popitem(last=False)
        return value
