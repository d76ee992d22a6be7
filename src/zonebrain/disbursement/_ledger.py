"""The payment ledger (支付台账): what was paid, once, and the payment history the policy engine reads.

The key is enterprise × policy × clause × period (``period`` = the year, or ``once`` for one-time
awards). :class:`Ledger` implements :class:`zonebrain.policy.PaymentHistory`, so a re-run with
``run_policies(..., history=Ledger(store))`` makes an award already paid once ``ineligible`` with
``"ledger":"already paid (one-time award)"`` in its trace.

A reversed entry (冲正) stays in the ledger, flagged, and counts for nothing: it is left out of
:meth:`Ledger.paid`, of the key check before paying, and of the totals, so the award may be paid
again, once (the database's unique key covers only the entries not reversed).

:meth:`Ledger.outcomes` tells the enterprise self-check (``zonebrain.policy.self_check``) what the
workflow already decided for one enterprise's awards: paid (the live entry and its date), or
withdrawn after an upheld objection (the batch and the reason), so it does not offer them again.

Payments made before ZoneBrain (往年已兑现导入, :mod:`._prior`) are entries of ``source`` ``import``,
with no batch, item or run but their import and reference (文号/批次/凭证号). They are entries like
any other: every reader here (:meth:`Ledger.paid`, :meth:`~Ledger.live_keys`,
:meth:`~Ledger.live_fen`, :meth:`~Ledger.outcomes`, :func:`existing`, the totals and the search)
counts them, and the database's live-key index refuses a second payment of their key (ADR 0013).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, aliased

from zonebrain.appstore import UserRow
from zonebrain.appstore.disbursement_models import (
    PaymentLedgerRow,
    PayoutBatchRow,
    PayoutHoldRow,
    PayoutItemRow,
    PayoutObjectionRow,
)
from zonebrain.disbursement._model import IMPORTED, BatchStatus, ItemStatus, LedgerEntry
from zonebrain.disbursement._prior_read import clause_refs

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

Key = tuple[str, str, str, str]
"""(uscc, policy_id, clause_id, period): the idempotency key."""

PAID_SCHEMA = pa.schema([("uscc", pa.string()), ("policy_id", pa.string()), ("clause_id", pa.string())])
OUTCOMES_SCHEMA = pa.schema(
    [
        ("policy_id", pa.string()),
        ("clause_id", pa.string()),
        ("period", pa.string()),
        ("outcome", pa.string()),
        ("entry_id", pa.int64()),
        ("batch_id", pa.int64()),
        ("at", pa.timestamp("us")),
        ("amount_fen", pa.int64()),
        ("reason", pa.string()),
        ("source", pa.string()),
        ("reference", pa.string()),
    ]
)
"""What :meth:`Ledger.outcomes` returns, one row per award key (policy, clause, ledger period)."""
_CHUNK = 500
_LIVE = PaymentLedgerRow.reversed_at.is_(None)
_IN_CHUNK = 500
"""Enterprises per ``IN (…)`` list (SQLite allows 32,766 bound parameters, older builds 999)."""
_Reverser = aliased(UserRow, name="reverser")


class LedgerPage(NamedTuple):
    """One page of :meth:`Ledger.search` and what the whole selection adds up to."""

    total: int
    """Entries matching, reversed ones included."""
    total_fen: int
    """The amount of the live (not reversed) entries matching."""
    reversed: int
    """Of *total*, the reversed entries."""
    rows: list[tuple[LedgerEntry, str, str | None, str]]
    """(entry, enterprise name, park_id, clause ref), newest first."""


class Ledger:
    """Read side of the ledger; rows are written only by ``Disbursement.pay`` (one transaction per
    batch) and by the import of payments made before ZoneBrain (one transaction per file)."""

    def __init__(self, store: AppStore) -> None:
        self._store = store

    def paid(self) -> pa.Table:
        """Every (uscc, policy_id, clause_id) paid in any period and not reversed: the
        ``PaymentHistory`` protocol (a reversed one-time award is eligible again)."""
        with self._store.session() as s:
            q = (
                select(PaymentLedgerRow.uscc, PaymentLedgerRow.policy_id, PaymentLedgerRow.clause_id)
                .where(_LIVE)
                .distinct()
                .order_by(PaymentLedgerRow.uscc, PaymentLedgerRow.policy_id, PaymentLedgerRow.clause_id)
            )
            rows = s.execute(q).all()
        cols = [pa.array([r[i] for r in rows], pa.string()) for i in range(3)]
        return pa.table(cols, schema=PAID_SCHEMA)

    def live_keys(self, usccs: Collection[str] | None = None) -> set[tuple[str, str, str, str]]:
        """The keys (uscc, policy_id, clause_id, period) of the live entries (reversed ones count
        for nothing), of the enterprises *usccs* (None: all): one query for a page of results."""
        return set(self.live_fen(usccs))

    def live_fen(self, usccs: Collection[str] | None = None) -> dict[tuple[str, str, str, str], int]:
        """:meth:`live_keys` with the amount each live entry paid, in fen (a key holds one live entry)."""
        lg = PaymentLedgerRow
        q = select(lg.uscc, lg.policy_id, lg.clause_id, lg.period, lg.amount_fen).where(_LIVE)
        found: dict[tuple[str, str, str, str], int] = {}
        with self._store.session() as s:
            if usccs is None:
                found.update(((str(a), str(b), str(c), str(d)), int(f)) for a, b, c, d, f in s.execute(q))
                return found
            wanted = sorted(set(usccs))
            for at in range(0, len(wanted), _IN_CHUNK):  # SQLite's bound-parameter limit
                chunk = wanted[at : at + _IN_CHUNK]
                found.update(
                    ((str(a), str(b), str(c), str(d)), int(f))
                    for a, b, c, d, f in s.execute(q.where(lg.uscc.in_(chunk)))
                )
        return found

    def outcomes(self, uscc: str) -> pa.Table:
        """What the 兑现 workflow decided for *uscc*'s awards, one row per key (policy_id,
        clause_id, ``period``: the year, or ``once`` for a one-time award), in
        :data:`OUTCOMES_SCHEMA`:

        * ``paid``: a live ledger entry holds the key (``entry_id``, its ``batch_id``, ``at`` = when
          it was paid, ``amount_fen``, its ``source``); reversed entries (冲正) count for nothing, as
          everywhere; an entry imported from before ZoneBrain has no batch but its ``reference``;
        * ``withdrawn``: an upheld objection withdrew the award and a batch not cancelled keeps it
          withdrawn (the rule ``create_batch`` follows, so no later batch lists it again):
          ``batch_id`` is the batch whose 公示 upheld the objection, ``at`` when it was resolved and
          ``reason`` the resolution's note (the latest upheld objection on the key), ``source``
          ``objection``; or a held item was withdrawn (暂缓支付 → 撤回): the hold's batch, when it was
          withdrawn and why, ``source`` ``hold``. The latest of these decisions on the key says why.

        A key both paid and withdrawn is ``paid`` (the ledger is what happened). Times are stored
        UTC, naive (``zonebrain.core.clock``)."""
        lg, it, bt, ob, hd = (
            PaymentLedgerRow,
            PayoutItemRow,
            PayoutBatchRow,
            PayoutObjectionRow,
            PayoutHoldRow,
        )
        found: dict[tuple[str, str, str], dict[str, object]] = {}
        with self._store.session() as s:
            kept = (
                select(it.policy_id, it.clause_id, it.period, func.min(it.batch_id))
                .join(bt, bt.id == it.batch_id)
                .where(
                    it.uscc == uscc,
                    it.status == ItemStatus.WITHDRAWN.value,
                    bt.status != BatchStatus.CANCELLED.value,
                )
                .group_by(it.policy_id, it.clause_id, it.period)
            )
            for policy_id, clause_id, period, batch_id in s.execute(kept):
                key = (str(policy_id), str(clause_id), str(period))
                found[key] = {"outcome": "withdrawn", "batch_id": int(batch_id), "at": None, "reason": ""}
            upheld = (
                select(it.policy_id, it.clause_id, it.period, it.batch_id, ob.resolved_at, ob.resolution_note)
                .join(it, it.id == ob.item_id)
                .where(it.uscc == uscc, ob.resolution == "upheld")
                .order_by(ob.resolved_at, ob.id)
            )
            held = (  # a held item withdrawn (暂缓支付, then 撤回) says why as an upheld objection does
                select(it.policy_id, it.clause_id, it.period, hd.batch_id, hd.decided_at, hd.outcome_note)
                .join(it, it.id == hd.item_id)
                .where(it.uscc == uscc, hd.outcome == "withdrawn")
            )
            decisions = [(*r, "objection") for r in s.execute(upheld)] + [
                (*r, "hold") for r in s.execute(held)
            ]
            decisions.sort(key=lambda r: r[4] or dt.datetime.min)  # the latest decision on the key says why
            for policy_id, clause_id, period, batch_id, at, note, how in decisions:
                row = found.get((str(policy_id), str(clause_id), str(period)))
                if row is not None:
                    row.update(batch_id=int(batch_id), at=at, reason=note or "", source=how)
            paid = select(
                lg.policy_id, lg.clause_id, lg.period, lg.id, lg.batch_id, lg.paid_at, lg.amount_fen,
                lg.source, lg.reference,
            )  # fmt: skip
            for policy_id, clause_id, period, entry_id, by_batch, at, fen, source, ref in s.execute(
                paid.where(lg.uscc == uscc, _LIVE)
            ):
                found[(str(policy_id), str(clause_id), str(period))] = {
                    "outcome": "paid", "entry_id": int(entry_id), "at": at, "amount_fen": int(fen),
                    "batch_id": None if by_batch is None else int(by_batch), "reason": "",
                    "source": str(source), "reference": ref,
                }  # fmt: skip
        keys = sorted(found)
        columns = {name: [k[i] for k in keys] for i, name in enumerate(OUTCOMES_SCHEMA.names[:3])}
        columns |= {name: [found[k].get(name) for k in keys] for name in OUTCOMES_SCHEMA.names[3:]}
        return pa.table(columns, schema=OUTCOMES_SCHEMA)

    def entries(self, *, uscc: str | None = None, batch_id: int | None = None) -> list[LedgerEntry]:
        """Ledger rows, oldest first, optionally of one enterprise or one batch; reversed ones flagged."""
        with self._store.session() as s:
            q = (
                select(PaymentLedgerRow, UserRow.username, _Reverser.username)
                .join(UserRow, UserRow.id == PaymentLedgerRow.paid_by)
                .outerjoin(_Reverser, _Reverser.id == PaymentLedgerRow.reversed_by)
            )
            if uscc is not None:
                q = q.where(PaymentLedgerRow.uscc == uscc)
            if batch_id is not None:
                q = q.where(PaymentLedgerRow.batch_id == batch_id)
            return [_entry(r, u, rev) for r, u, rev in s.execute(q.order_by(PaymentLedgerRow.id))]

    def entry(self, entry_id: int) -> LedgerEntry | None:
        """One ledger row, or None when there is no such entry."""
        with self._store.session() as s:
            q = (
                select(PaymentLedgerRow, UserRow.username, _Reverser.username)
                .join(UserRow, UserRow.id == PaymentLedgerRow.paid_by)
                .outerjoin(_Reverser, _Reverser.id == PaymentLedgerRow.reversed_by)
                .where(PaymentLedgerRow.id == entry_id)
            )
            found = s.execute(q).first()
            return None if found is None else _entry(*found)

    def search(
        self,
        *,
        uscc: str | None = None,
        park_id: str | None = None,
        batch_id: int | None = None,
        policy_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> LedgerPage:
        """One page of the ledger, newest first, with each paid item's enterprise name, park and 条款.

        Reversed entries are listed (flagged) and counted apart; the total amount is of the live
        entries only. *park_id* filters by the paid item's park (a park officer's view); an entry
        imported from before ZoneBrain has no item: its name and park are those the registry gave
        when it was imported, its 条款 the policy library's."""
        lg, it = PaymentLedgerRow, PayoutItemRow
        park = func.coalesce(it.park_id, lg.park_id)
        q = (
            select(
                lg,
                func.coalesce(it.enterprise_name, lg.enterprise_name, literal("")),
                park,
                it.clause_ref,
                UserRow.username.label("paid_by_name"),
                _Reverser.username.label("reversed_by_name"),
            )
            .outerjoin(it, it.id == lg.item_id)
            .join(UserRow, UserRow.id == lg.paid_by)
            .outerjoin(_Reverser, _Reverser.id == lg.reversed_by)
        )
        for column, value in (
            (lg.uscc, uscc),
            (park, park_id),
            (lg.batch_id, batch_id),
            (lg.policy_id, policy_id),
        ):
            if value is not None:
                q = q.where(column == value)
        with self._store.session() as s:
            sub = q.subquery()
            live = sub.c.reversed_at.is_(None)
            total, fen, rev = s.execute(
                select(
                    func.count(),
                    func.sum(case((live, sub.c.amount_fen), else_=0)),
                    func.sum(case((live, 0), else_=1)),
                ).select_from(sub)
            ).one()
            q = q.order_by(lg.id.desc()).offset(max(0, offset))
            if limit is not None:
                q = q.limit(limit)
            found: list[tuple[LedgerEntry, str, str | None, str]] = [
                (_entry(r, user, reverser), str(name or ""), where, ref if ref is not None else _ref(r))
                for r, name, where, ref, user, reverser in s.execute(q)
            ]
        return LedgerPage(int(total or 0), int(fen or 0), int(rev or 0), found)

    def table(self) -> pa.Table:
        """The ledger as an Arrow table (exports, notebooks); amounts in fen."""
        rows = self.entries()
        names = [f for f in LedgerEntry.__dataclass_fields__]
        return pa.table({n: [getattr(e, n) for e in rows] for n in names})

    def count(self) -> int:
        """The live entries (reversed ones left out)."""
        with self._store.session() as s:
            return int(s.scalar(select(func.count()).select_from(PaymentLedgerRow).where(_LIVE)) or 0)

    def total_fen(self) -> int:
        """The amount of the live entries (reversed ones left out)."""
        with self._store.session() as s:
            return int(s.scalar(select(func.sum(PaymentLedgerRow.amount_fen)).where(_LIVE)) or 0)


def existing(s: Session, keys: Iterable[Key]) -> dict[Key, int]:
    """Of *keys*, those the ledger holds (not reversed) → the ledger row id (looked up in chunks of usccs)."""
    wanted = set(keys)
    usccs = sorted({k[0] for k in wanted})
    found: dict[Key, int] = {}
    for i in range(0, len(usccs), _CHUNK):
        part: Sequence[str] = usccs[i : i + _CHUNK]
        q = select(
            PaymentLedgerRow.id,
            PaymentLedgerRow.uscc,
            PaymentLedgerRow.policy_id,
            PaymentLedgerRow.clause_id,
            PaymentLedgerRow.period,
        ).where(PaymentLedgerRow.uscc.in_(part), _LIVE)
        for row_id, *key in s.execute(q):
            k = (str(key[0]), str(key[1]), str(key[2]), str(key[3]))
            if k in wanted:
                found[k] = int(row_id)
    return found


def _ref(r: PaymentLedgerRow) -> str:
    """The 条款 of an entry with no batch item (imported): the policy library's, else its clause id."""
    return clause_refs().get((r.policy_id, r.clause_id), r.clause_id) if r.source == IMPORTED else ""


def _entry(r: PaymentLedgerRow, username: str, reverser: str | None = None) -> LedgerEntry:
    return LedgerEntry(
        r.id,
        r.uscc,
        r.policy_id,
        r.clause_id,
        r.period,
        r.amount_fen,
        r.batch_id,
        r.item_id,
        r.run_id,
        r.paid_at,
        username,
        r.reversed_at,
        reverser,
        r.reversal_reason or "",
        source=r.source,
        reference=r.reference or "",
        import_id=r.import_id,
        award_year=r.award_year,
        reversal_kind=r.reversal_kind,
        reversal_evidence=r.reversal_evidence or "",
        money_back_on=r.money_back_on,
        recovery_noted_at=r.recovery_noted_at,
    )
