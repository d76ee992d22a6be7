"""Warehouse access for a multi-threaded web server.

Page and API requests run in worker threads. A DuckDB connection must not be shared between
threads, and opening one per request costs more than the query, so the app keeps a small pool
of read-only :class:`~zonebrain.storage.Warehouse` objects (each its own connection; DuckDB shares
one database instance between connections to the same file in a process). A request borrows one
for the duration of its queries.

A web import needs the warehouse read-write. DuckDB refuses a read-write connection while
read-only ones to the same file are open in the process, so :meth:`WarehousePool.writer` waits
for the borrowed readers to come back, closes the pool, opens one read-write warehouse for the
import, and lets readers reopen afterwards. Reads wait (they do not fail) during an import.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zonebrain.core.errors import StorageError
from zonebrain.storage import Warehouse, open_warehouse


class WarehousePool:
    def __init__(
        self,
        url: str,
        *,
        size: int = 4,
        data_dir: Path | None = None,
        opener: Callable[..., Warehouse] = open_warehouse,
    ) -> None:
        self.url = url
        self.size = max(1, size)
        self._data_dir = data_dir
        self._open = opener
        self._idle: list[Warehouse] = []
        self._lent = 0
        self._writing = False
        self._cond = threading.Condition()
        self._local = threading.local()
        self.generation = 0
        """Incremented after every write through :meth:`writer` (cache keys use it)."""

    def _new(self, read_only: bool) -> Warehouse:
        return self._open(self.url, read_only=read_only, data_dir=self._data_dir)

    def exists(self) -> bool:
        """False when the warehouse is a DuckDB file that does not exist yet."""
        text = self.url.removeprefix("duckdb://")
        if "://" in text or text == ":memory:" or text == "spark":
            return True
        return Path(text).exists()

    @contextmanager
    def reader(self) -> Iterator[Warehouse]:
        """Borrow a read-only warehouse (waits while a write is under way or all are lent).

        Re-entrant: a thread that already holds one gets the same one back (no self-deadlock when
        a cached computation runs inside a request's own read).
        """
        held: Warehouse | None = getattr(self._local, "wh", None)
        if held is not None:
            yield held
            return
        with self._cond:
            while self._writing or (not self._idle and self._lent >= self.size):
                self._cond.wait()
            wh = self._idle.pop() if self._idle else None
            self._lent += 1
        broken = False
        try:
            if wh is None:
                wh = self._new(read_only=True)
            self._local.wh = wh
            yield wh
        except StorageError:
            broken = True  # the connection may be unusable: do not lend it again
            raise
        finally:
            self._local.wh = None
            with self._cond:
                self._lent -= 1
                if wh is not None:
                    if broken or self._writing:
                        _close_quietly(wh)
                    else:
                        self._idle.append(wh)
                self._cond.notify_all()

    @contextmanager
    def writer(self) -> Iterator[Warehouse]:
        """The warehouse read-write, alone: waits for readers, closes the pool, reopens after."""
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True
            while self._lent:
                self._cond.wait()
            idle, self._idle = self._idle, []
        try:
            for wh in idle:
                _close_quietly(wh)
            wh = self._new(read_only=False)
            try:
                yield wh
            finally:
                wh.close()
        finally:
            with self._cond:
                self._writing = False
                self.generation += 1
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
        for wh in idle:
            _close_quietly(wh)


def _close_quietly(wh: Warehouse) -> None:
    with contextlib.suppress(StorageError):  # closing a broken connection: nothing more to do
        wh.close()
