"""Reading the whole audit log a slice at a time (exports of any size), with each row's place in the
hash chain, and the chain head an export publishes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sqlalchemy import or_, select

from zonebrain.appstore._audit import AuditEntry
from zonebrain.appstore._chain import AUDIT, ChainHead, read_head

if TYPE_CHECKING:
    from zonebrain.appstore._store import AppStore

CHUNK: Final = 2000
"""Rows read per statement (memory stays flat however long the log)."""


@dataclass(frozen=True)
class ChainedEntry:
    """An audit entry with its place in the hash chain (None and "" for a row outside it)."""

    entry: AuditEntry
    seq: int | None
    row_hash: str


def chain_head(store: AppStore) -> ChainHead | None:
    """The chain's newest row (rows, id, hash) and anchor; None for a store that never had one."""
    with store.engine.connect() as conn:
        return read_head(conn)


def iter_audit(
    store: AppStore,
    *,
    action: str | None = None,
    upto: int | None = None,
    limit: int | None = None,
    chunk: int = CHUNK,
) -> Iterator[ChainedEntry]:
    """The log newest first (by id), *chunk* rows per statement: every row, or those of *action*,
    at most *limit*. With *upto* (a head's row count) rows chained after that head are left out, so
    the rows read are the chain the head closes (rows outside the chain are kept: they are
    evidence)."""
    cols = [AUDIT.c[k] for k in ("id", "at", "username", "role", "action", "target", "outcome", "ip",
                                 "detail", "seq", "row_hash")]  # fmt: skip
    before: int | None = None
    left = limit
    while left is None or left > 0:
        q = select(*cols).order_by(AUDIT.c.id.desc()).limit(chunk if left is None else min(chunk, left))
        if action:
            q = q.where(AUDIT.c.action == action)
        if upto is not None:
            q = q.where(or_(AUDIT.c.seq <= upto, AUDIT.c.seq.is_(None)))
        if before is not None:
            q = q.where(AUDIT.c.id < before)
        with store.engine.connect() as conn:
            rows = conn.execute(q).all()
        for r in rows:
            entry = AuditEntry(
                r.id, r.at, r.username, r.role, r.action, r.target, r.outcome, r.ip, _detail(r.detail)
            )
            yield ChainedEntry(entry, r.seq, r.row_hash or "")
        if len(rows) < chunk:
            return
        before = rows[-1].id
        if left is not None:
            left -= len(rows)


def _detail(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"detail_text": text}
    return value if isinstance(value, dict) else {"detail": value}
