"""Walking the audit log's hash chain: every row's hash and link recomputed, the head compared.

What a walk finds (:class:`ChainBreak` names the first row in chain order that does not match):

* ``content``: a row's fields no longer give its hash (the row was edited);
* ``link``: a row's ``prev_hash`` is not the hash of the row before it (that row was edited and
  its hash recomputed, or rows were put in between);
* ``missing``: the chain skips a place (the row there was deleted);
* ``head``: the newest rows were deleted, rows were added after the head, or the head was changed;
* ``unchained``: a row is outside the chain (written by SQL around the audit log: forged);
* ``no_head``: the chain head is gone although rows are chained;
* ``expected``: the chain no longer holds the head hash an auditor kept (the chain was rewritten).

An administrator with the database can rewrite the whole chain consistently; only a head hash
kept outside the database (the audit export publishes it) shows that: ``expect_hash``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, func, select

from zonebrain.appstore._chain import AUDIT, CONTENT, GENESIS, ChainHead, read_head, row_hash
from zonebrain.core.clock import beijing_text

if TYPE_CHECKING:
    from zonebrain.appstore._store import AppStore

CHUNK: Final = 5000
"""Rows read per statement while walking."""

WHY: Final = {
    "content": "该行内容与其哈希不符: 该行被修改 (its content does not match its hash: the row was edited)",
    "link": "该行记录的前一行哈希与前一行不符: 前一行被修改后重算了哈希, 或其间插入了行 (its link does not "
    "match the row before it: that row was edited and rehashed, or rows were put in between)",
    "missing": "链中此行之前缺少行: 被删除 (rows before it in the chain are missing: deleted)",
    "head": "链头与最新行不符: 最新的行被删除, 或链头之后被加入行 (the chain head does not match the newest "
    "row: the newest rows were deleted, or rows were added after the head)",
    "unchained": "该行不在链中: 绕过审计日志用 SQL 写入, 即伪造 (the row is outside the chain: written "
    "around the audit log by SQL, i.e. forged)",
    "no_head": "链头 (audit_chain_head) 被删除 (the chain head was deleted)",
    "expected": "链中没有所保存的链头哈希: 链被整体改写, 或所给哈希/行数有误 (the chain does not hold "
    "the kept head hash: it was rewritten, or the hash or row count given is wrong)",
}
"""Why a break is one, per kind (Chinese, then English)."""


@dataclass(frozen=True)
class ChainBreak:
    """The first row where the chain does not hold."""

    kind: str
    """``content``, ``link``, ``missing``, ``head``, ``unchained``, ``no_head`` or ``expected``."""
    id: int | None
    seq: int | None
    at: dt.datetime | None
    action: str
    detail: str = ""

    @property
    def text(self) -> str:
        where = f"第 {self.id} 行 (row id {self.id})" if self.id is not None else "审计日志 (the audit log)"
        if self.seq is not None:
            where += f", 链序号 seq {self.seq}"
        if self.at is not None:
            where += f", 时间 {beijing_text(self.at)} 北京时间 (Beijing time)"
        if self.action:
            where += f", 操作 action {self.action}"
        return f"{where}: {WHY[self.kind]}" + (f"; {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class ChainReport:
    rows: int
    """Rows found in the chain (in order, each checked)."""
    head_hash: str
    head_id: int | None
    head_at: dt.datetime | None
    head: ChainHead | None
    problem: ChainBreak | None
    expected_at: int | None = None
    """Where the kept head hash was found (its seq), when one was given."""

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def anchor_text(self) -> str:
        """What the chain proves about the rows written before it existed."""
        if self.head is None or self.head.anchor_rows == 0:
            return "链自第一行起 (the chain starts at the first row)"
        h = self.head
        return (
            f"前 {h.anchor_rows} 行写于链启用之前, 由迁移 0009 于 {beijing_text(h.anchored_at)} (北京时间) 入链, "
            "只能证明此后未被改动 (the first rows were written before the chain existed and chained by "
            f"migration 0009 at {beijing_text(h.anchored_at)} Beijing time: they are proven unchanged only since then)"
        )


def verify_chain(
    store: AppStore, *, expect_hash: str | None = None, expect_rows: int | None = None
) -> ChainReport:
    """Walk the chain in ``seq`` order, recomputing every hash and link, then compare the head;
    with *expect_hash* (a head hash kept outside, and *expect_rows*, the row count it came with),
    also check the chain still holds it (at that place)."""
    with store.engine.connect() as conn:
        return _Walk(conn, expect_hash.strip().lower() if expect_hash else None, expect_rows).run()


class _Walk:
    def __init__(self, conn: Connection, expect_hash: str | None, expect_rows: int | None) -> None:
        self.conn, self.expect_hash, self.expect_rows = conn, expect_hash, expect_rows
        self.n, self.prev = 0, GENESIS
        self.last: dict[str, Any] | None = None
        self.expected_at: int | None = None

    def run(self) -> ChainReport:
        problem = self._walk()
        head = read_head(self.conn)
        while problem is None and head is not None and head.rows > self.n:  # rows committed meanwhile
            before = self.n
            problem = self._walk()
            head = read_head(self.conn)
            if self.n == before:
                break
        problem = problem or self._against_head(head) or self._unchained() or self._expected()
        last = self.last or {}
        return ChainReport(self.n, self.prev, last.get("id"), last.get("at"), head, problem, self.expected_at)

    def _rows(self) -> Iterator[dict[str, Any]]:
        cols = [*(AUDIT.c[k] for k in CONTENT), AUDIT.c.seq, AUDIT.c.prev_hash, AUDIT.c.row_hash]
        after = self.last["seq"] if self.last else 0
        while True:
            q = select(*cols).where(AUDIT.c.seq > after).order_by(AUDIT.c.seq).limit(CHUNK)
            rows = [dict(r._mapping) for r in self.conn.execute(q)]
            yield from rows
            if len(rows) < CHUNK:
                return
            after = rows[-1]["seq"]

    def _walk(self) -> ChainBreak | None:
        for r in self._rows():
            kind = None
            if r["seq"] > self.n + 1:
                kind = "missing"
            elif r["seq"] < self.n + 1 or r["prev_hash"] != self.prev:
                kind = "link"
            elif row_hash(r) != r["row_hash"]:
                kind = "content"
            if kind:
                return ChainBreak(kind, r["id"], r["seq"], r["at"], r["action"], self._why(kind, r))
            self.n, self.prev, self.last = self.n + 1, r["row_hash"], r
            if self.expect_hash and r["row_hash"] == self.expect_hash:
                self.expected_at = self.n
        return None

    def _why(self, kind: str, r: dict[str, Any]) -> str:
        if kind == "missing":
            gap = range(self.n + 1, r["seq"])
            return f"缺少链序号 (missing seq) {gap[0]}" + (f"–{gap[-1]}" if len(gap) > 1 else "")
        if r["seq"] <= self.n:
            return f"链序号 {r['seq']} 重复 (seq {r['seq']} repeated)"
        if kind == "link" and self.last is not None:
            return f"前一行 (the row before): id {self.last['id']}, seq {self.last['seq']}"
        return ""

    def _against_head(self, head: ChainHead | None) -> ChainBreak | None:
        if head is None:
            return ChainBreak("no_head", None, None, None, "") if self.n else None
        if head.rows == self.n and head.last_hash == self.prev:
            return None
        if head.rows > self.n:
            detail = f"链头记有 {head.rows} 行, 链中只有 {self.n} 行 (the head counts {head.rows} rows, the chain holds {self.n})"
            return ChainBreak("head", head.last_id, self.n + 1, None, "", detail)
        if head.rows < self.n:
            r = self._at_seq(head.rows + 1)
            detail = f"链头只记 {head.rows} 行 (the head counts only {head.rows} rows)"
            return ChainBreak("head", r["id"], r["seq"], r["at"], r["action"], detail)
        last = self.last or {}
        return ChainBreak("head", last.get("id"), self.n, last.get("at"), last.get("action", ""))

    def _at_seq(self, seq: int) -> dict[str, Any]:
        q = select(AUDIT.c.id, AUDIT.c.seq, AUDIT.c.at, AUDIT.c.action).where(AUDIT.c.seq == seq)
        return dict(self.conn.execute(q).one()._mapping)

    def _unchained(self) -> ChainBreak | None:
        q = select(AUDIT.c.id, AUDIT.c.at, AUDIT.c.action).where(AUDIT.c.seq.is_(None))
        r = self.conn.execute(q.order_by(AUDIT.c.id).limit(1)).one_or_none()
        if r is None:
            return None
        count = self.conn.execute(select(func.count()).where(AUDIT.c.seq.is_(None))).scalar()
        return ChainBreak(
            "unchained", r.id, None, r.at, r.action, f"共 {count} 行不在链中 ({count} such rows)"
        )

    def _expected(self) -> ChainBreak | None:
        if self.expect_hash is None:
            return None
        at = self.expected_at
        if at is not None and (self.expect_rows is None or self.expect_rows == at):
            return None
        detail = f"所保存的链头 (kept head) {self.expect_hash}"
        if self.expect_rows is not None:
            detail += f", 行数 (rows) {self.expect_rows}"
        if at is not None:
            detail += f"; 该哈希在链序号 {at} (the hash is at seq {at})"
        return ChainBreak("expected", None, self.expect_rows, None, "", detail)
