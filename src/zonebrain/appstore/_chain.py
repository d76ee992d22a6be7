"""The audit log's hash chain: each row carries the SHA-256 of its content and of the row before it.

Rows are written as before: by :meth:`AuditLog.record <zonebrain.appstore.AuditLog.record>`, or
added to a unit of work with the rows they describe (``session.add(AuditRow(...))``, as the 兑现,
pipeline and linking steps do). When that transaction commits, a hook on every SQLAlchemy ORM
session (:func:`_seal`) takes the chain lock, reads the chain head (``audit_chain_head``, one row)
and gives the transaction's new rows, in id order, the next ``seq``, the head's hash as
``prev_hash`` and their own ``row_hash``, then moves the head, in the same transaction: a row and
its place in the chain commit together or not at all.

The lock, so that two writers never fork the chain:

* PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock(CHAIN_LOCK)``), taken at
  commit time, so it is the last lock a transaction takes (no deadlock with the rows a payout step
  locks) and held only while the chain grows. Under READ COMMITTED the next statement sees the
  head the previous holder committed. A lock row (``SELECT … FOR UPDATE`` on the head) would do
  the same but not for a head that is missing (an emptied log).
* SQLite: the database's one write lock, which the transaction already holds since it inserted the
  rows.

The chain is in commit order, numbered by ``seq``; on PostgreSQL ids (taken at insert) can differ
from it when two transactions interleave. :func:`canonical` is the exact text hashed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Connection, Table, bindparam, event, func, insert, select, text, update
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value

from zonebrain.appstore._models import AuditChainHeadRow, AuditRow
from zonebrain.core.clock import utcnow
from zonebrain.core.errors import ZoneBrainError

GENESIS: Final = "0" * 64
"""The ``prev_hash`` of the first row of the chain."""
CHAIN_VERSION: Final = 1
"""The version of :func:`canonical`'s layout, hashed with every row."""
CHAIN_LOCK: Final = 0x7A62_6175_6469_74
"""PostgreSQL advisory lock key of the chain ("zbaudit")."""
HEAD_ID: Final = 1
BATCH: Final = 1000
"""Ids per ``IN (…)`` list (SQLite takes at most 32,766 parameters a statement)."""
AUDIT = cast("Table", AuditRow.__table__)
HEAD = cast("Table", AuditChainHeadRow.__table__)
CONTENT = ("id", "at", "user_id", "username", "role", "action", "target", "outcome", "ip", "detail")
"""The columns a row's hash covers, besides its ``seq`` and ``prev_hash``."""
_PENDING: Final = "zonebrain.audit_chain.pending"


class AuditChainError(ZoneBrainError):
    """The audit log cannot be extended: its chain head is missing although chained rows exist."""


@dataclass(frozen=True)
class ChainHead:
    """The newest row of the chain and where the chain began."""

    rows: int
    """Rows in the chain (the newest row's ``seq``)."""
    last_id: int | None
    last_hash: str
    anchor_rows: int
    """Rows written before the chain existed and chained by migration 0009 (rows 1 … anchor_rows)."""
    anchor_hash: str
    anchored_at: dt.datetime


def time_text(at: dt.datetime) -> str:
    """A stored time as hashed: naive UTC to the microsecond (``2026-12-01T08:30:00.000000``)."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes a row's hash is taken of: a JSON object (UTF-8, keys sorted, no spaces) of the
    layout version ``v``, the row's ``seq``, :data:`CONTENT` (time as :func:`time_text`, the detail
    as its JSON value, keys sorted) and ``prev_hash``. A detail that is not JSON is hashed as text,
    under ``detail_text``.

    >>> row = {"id": 7, "at": dt.datetime(2026, 12, 1, 8, 30), "user_id": None, "username": "cli",
    ...        "role": "", "action": "user.add", "target": "wang", "outcome": "ok", "ip": "",
    ...        "detail": '{"via": "cli", "role": "leader"}', "seq": 3, "prev_hash": GENESIS}
    >>> canonical(row)[:94]
    b'{"action":"user.add","at":"2026-12-01T08:30:00.000000","detail":{"role":"leader","via":"cli"},'
    """
    doc: dict[str, Any] = {k: row[k] for k in CONTENT if k not in ("at", "detail")}
    doc.update(v=CHAIN_VERSION, seq=row["seq"], prev_hash=row["prev_hash"], at=time_text(row["at"]))
    try:
        doc["detail"] = json.loads(row["detail"])
    except (TypeError, ValueError):
        doc["detail_text"] = row["detail"]
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def row_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(row)).hexdigest()


def read_head(conn: Connection) -> ChainHead | None:
    r = conn.execute(select(HEAD).where(HEAD.c.id == HEAD_ID)).one_or_none()
    if r is None:
        return None
    return ChainHead(r.seq, r.last_id, r.last_hash, r.anchor_seq, r.anchor_hash, r.anchored_at)


def _start(conn: Connection) -> ChainHead:
    """A new head for a log that has no chained row (a new or emptied store); else refuse."""
    chained = conn.execute(select(func.count()).select_from(AUDIT).where(AUDIT.c.seq.is_not(None))).scalar()
    if chained:
        raise AuditChainError(
            f"审计日志的链头 (audit_chain_head) 不存在, 但已有 {chained} 行在链中: 链头被删除, 审计日志不能续写 "
            "(the audit chain head is missing although rows are chained: it was deleted, so the log "
            "cannot be extended); 请从备份恢复应用库, 并运行 zonebrain audit verify / restore the app "
            "store from a backup and run zonebrain audit verify"
        )
    head = ChainHead(0, None, GENESIS, 0, GENESIS, utcnow())
    conn.execute(
        insert(HEAD).values(
            id=HEAD_ID, seq=0, last_id=None, last_hash=GENESIS, anchor_seq=0, anchor_hash=GENESIS,
            anchored_at=head.anchored_at,
        )
    )  # fmt: skip
    return head


def extend_chain(conn: Connection, ids: Iterable[int]) -> list[tuple[int, int, str, str]]:
    """Chain the unchained rows among *ids* (the transaction's own), in id order, after the head;
    returns each chained row's (id, seq, prev_hash, row_hash). Runs in the writer's transaction,
    under the chain lock."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    head = read_head(conn) or _start(conn)
    rows: list[dict[str, Any]] = []
    for i in range(0, len(wanted), BATCH):
        q = select(*(AUDIT.c[k] for k in CONTENT)).where(
            AUDIT.c.id.in_(wanted[i : i + BATCH]), AUDIT.c.seq.is_(None)
        )
        rows += [dict(r._mapping) for r in conn.execute(q)]
    if not rows:  # the savepoint that wrote them was rolled back
        return []
    rows.sort(key=lambda r: r["id"])
    seq, prev = head.rows, head.last_hash
    links: list[tuple[int, int, str, str]] = []
    for r in rows:
        seq += 1
        r.update(seq=seq, prev_hash=prev)
        links.append((r["id"], seq, prev, row_hash(r)))
        prev = links[-1][3]
    conn.execute(
        update(AUDIT)
        .where(AUDIT.c.id == bindparam("b_id"))
        .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), row_hash=bindparam("b_hash")),
        [{"b_id": i, "b_seq": n, "b_prev": p, "b_hash": h} for i, n, p, h in links],
    )
    conn.execute(
        update(HEAD).where(HEAD.c.id == HEAD_ID).values(seq=seq, last_id=rows[-1]["id"], last_hash=prev)
    )
    return links


def _track(session: Session, _flush: UOWTransaction) -> None:
    """After a flush: remember the audit rows it inserted (their ids are known now)."""
    new = [o.id for o in session.new if isinstance(o, AuditRow)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _seal(session: Session) -> None:
    """Before the outermost commit: chain the audit rows this transaction wrote."""
    if session.in_nested_transaction():
        return
    session.flush()
    ids: list[int] = session.info.pop(_PENDING, [])
    if not ids:
        return
    for row_id, seq, prev, hashed in extend_chain(session.connection(), ids):
        # the session's copy of the row as it now is, without marking it changed
        obj = session.identity_map.get(session.identity_key(AuditRow, (row_id,)))
        if isinstance(obj, AuditRow):
            set_committed_value(obj, "seq", seq)
            set_committed_value(obj, "prev_hash", prev)
            set_committed_value(obj, "row_hash", hashed)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


event.listen(Session, "after_flush", _track)
event.listen(Session, "before_commit", _seal)
event.listen(Session, "after_transaction_end", _forget)
