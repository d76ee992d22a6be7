"""The 待核实 queue (快申快享): undetermined results, and what to ask each enterprise for.

A result is undetermined when a fact it needs is missing (``missing_fields``). Instead of a silent
no, the enterprise is asked for exactly those facts (:func:`ask_for`); the request moves
open → requested → answered → closed, each step in the audit log. A request for the same
enterprise × policy × clause × period is never made twice: not while one is open, nor once it is
answered or closed (the enterprise gave what it was asked for; a later batch does not ask again).
When a batch is cancelled (作废), the requests it made that no one has worked on yet (still
待联系) are cancelled with it (:meth:`VerificationQueue.release_batch`): kept for the record, with
their ids, but no longer in the queue; the others stay, the enterprise was asked.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from zonebrain.appstore import AuditRow, Role, User, utcnow
from zonebrain.appstore.disbursement_models import PayoutBatchRow, VerificationRequestRow
from zonebrain.appstore.pipeline_models import audit_row
from zonebrain.core.errors import InputError
from zonebrain.disbursement._asks import ask_for
from zonebrain.disbursement._exports import VERIFY_LABELS
from zonebrain.disbursement._model import (
    BatchStatus,
    NotFound,
    RoleRefused,
    VerificationRequest,
    VerificationStatus,
    WrongStep,
)
from zonebrain.disbursement._source import RunRows
from zonebrain.disbursement._steps import _refusal_audited, _version

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

HANDLERS = frozenset({Role.ADMIN, Role.POLICY_RESEARCHER, Role.PARK_OFFICER})
"""Roles that work the queue (park officers: their own park's enterprises only)."""
_ORDER = list(VerificationStatus)
CANCELLED = "cancelled"
"""The stored status of a request cancelled with its batch before anyone worked on it: kept (its id
is never reused, its audit rows still name it), never listed, never moved on, and no obstacle to a
new request for the same key."""


def may_handle(actor: User, park_id: str | None) -> bool:
    if not actor.active or actor.role not in HANDLERS:
        return False
    return actor.role is not Role.PARK_OFFICER or actor.park_id == park_id


ENTERPRISE_STEP = VerificationStatus.ANSWERED
"""The one step an enterprise user takes on its own requests: 企业已提交 (QA: the queue asked the
enterprise for documents and gave it no way to say it had sent them)."""


def _enterprise_may(actor: User, row: VerificationRequestRow, target: VerificationStatus) -> None:
    """Refuse an enterprise user's step unless it is :data:`ENTERPRISE_STEP` on its own
    enterprise's request (moving only forward, as every step: not once it is answered or closed)."""
    if row.uscc != actor.uscc:
        raise actor.role.refuse(
            RoleRefused,
            f"处理其他企业的待核实事项 #{row.id}",
            f"handle request #{row.id} of another enterprise",
        )
    if target is not ENTERPRISE_STEP:
        raise actor.role.refuse(
            RoleRefused,
            f"将待核实事项改为{VERIFY_LABELS[target.value]}; 企业只能告知已提交材料",
            f"move a request to {target.value}; an enterprise can only say it has submitted",
        )


class VerificationQueue:
    """待核实队列 over the app store."""

    def __init__(self, store: AppStore, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    @_refusal_audited("verification.queue", "run")
    def add_from_run(
        self, actor: User, run: RunRows, *, policies: Sequence[str] | None = None, ip: str = ""
    ) -> int:
        """Queue the run's undetermined results (of *policies*, default all); return how many were new."""
        if not actor.active or actor.role not in (Role.ADMIN, Role.POLICY_RESEARCHER):
            raise actor.role.refuse(RoleRefused, "建立待核实队列", "queue verification requests")
        with self._store.session() as s:
            added = self.add_rows(s, run, select_policies(run.undetermined(), policies), None)
            detail = {"run_id": run.run_id, "period": run.period, "added": added}
            s.add(_audit(actor, "verification.queue", f"run:{run.run_id}", detail, ip))
            return added

    def add_rows(self, s: Session, run: RunRows, rows: pa.Table, batch_id: int | None) -> int:
        """Insert requests for *rows* (undetermined results) inside the caller's transaction; a key
        (enterprise × policy × clause × period) that has a request already, in any status, is
        skipped: an answered or closed one is not opened again."""
        known = {
            (r.uscc, r.policy_id, r.clause_id)
            for r in s.execute(
                select(
                    VerificationRequestRow.uscc,
                    VerificationRequestRow.policy_id,
                    VerificationRequestRow.clause_id,
                ).where(
                    VerificationRequestRow.period == run.period,
                    VerificationRequestRow.status != CANCELLED,
                )
            )
        }
        now = self._clock()
        added = 0
        for r in rows.to_pylist():
            key = (r["uscc"], r["policy_id"], r["clause_id"])
            if key in known:
                continue
            known.add(key)
            s.add(
                VerificationRequestRow(
                    run_id=run.run_id,
                    batch_id=batch_id,
                    uscc=r["uscc"],
                    enterprise_name=r["enterprise_name"],
                    park_id=r["park_id"],
                    policy_id=r["policy_id"],
                    policy_name=r["policy_name"],
                    clause_id=r["clause_id"],
                    clause_ref=r["clause_ref"] or "",
                    period=run.period,
                    missing_fields=r["missing_fields"],
                    ask=ask_for(r["missing_fields"]) or "请联系企业核实 (no field named: ask the enterprise)",
                    status=VerificationStatus.OPEN.value,
                    note="",
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
        return added

    def release_batch(self, s: Session, batch: PayoutBatchRow, actor: User) -> dict[str, Any]:
        """What cancelling *batch* (作废) does to the requests it made, inside the caller's transaction.

        A request no one has worked on yet (still 待联系: every step moves it on) is cancelled with
        it (:data:`CANCELLED`), the enterprise was never asked; unless a batch of the same period built after *batch*, not
        cancelled, lists the request's policy: that batch may have skipped the request as already
        made, so the request passes to it (the newest such). A request already worked on (已通知,
        已提交, 已办结) stays as it is, with its batch: the enterprise was asked. Returns the audit
        detail: the ids cancelled, and handed over (request id → batch id)."""
        untouched = list(
            s.scalars(
                select(VerificationRequestRow)
                .where(
                    VerificationRequestRow.batch_id == batch.id,
                    VerificationRequestRow.status == VerificationStatus.OPEN.value,
                )
                .order_by(VerificationRequestRow.id)
            )
        )
        later = list(
            s.scalars(
                select(PayoutBatchRow)
                .where(
                    PayoutBatchRow.period == batch.period,
                    PayoutBatchRow.id > batch.id,  # built after it (ids only grow)
                    PayoutBatchRow.status != BatchStatus.CANCELLED.value,
                )
                .order_by(PayoutBatchRow.id.desc())
            )
        )  # read before any change: a query autoflushes
        cancelled: builtins.list[int] = []
        handed: dict[str, int] = {}
        now = self._clock()
        for r in untouched:
            heir = next((b for b in later if r.policy_id in b.policies.split(",")), None)
            if heir is None:
                cancelled.append(r.id)
                r.status = CANCELLED
                r.note = f"随兑现批次 #{batch.id} 作废 (cancelled with batch #{batch.id})"
                r.updated_at, r.updated_by = now, actor.id
            else:
                handed[str(r.id)] = heir.id
                r.batch_id = heir.id
        return {"cancelled": cancelled, "handed_over": handed}

    def list(
        self,
        *,
        status: VerificationStatus | str | None = None,
        uscc: str | None = None,
        park_id: str | None = None,
        batch_id: int | None = None,
    ) -> builtins.list[VerificationRequest]:
        """Requests ordered by enterprise, policy, clause (oldest first within)."""
        with self._store.session() as s:
            q = select(VerificationRequestRow).where(VerificationRequestRow.status != CANCELLED)
            if status is not None:
                q = q.where(VerificationRequestRow.status == parse_status(status).value)
            if uscc is not None:
                q = q.where(VerificationRequestRow.uscc == uscc)
            if park_id is not None:
                q = q.where(VerificationRequestRow.park_id == park_id)
            if batch_id is not None:
                q = q.where(VerificationRequestRow.batch_id == batch_id)
            q = q.order_by(
                VerificationRequestRow.uscc,
                VerificationRequestRow.policy_id,
                VerificationRequestRow.clause_id,
                VerificationRequestRow.id,
            )
            return [_request(r) for r in s.scalars(q)]

    def get(self, request_id: int) -> VerificationRequest:
        """One request of the queue (one cancelled with its batch is not: :class:`NotFound`)."""
        with self._store.session() as s:
            row = _row(s, request_id)
            if row.status == CANCELLED:
                raise NotFound(f"{_cancelled(row)}, 已不在待核实队列中 (no longer in the queue)")
            return _request(row)

    def _hide_others(self, actor: User, request_id: int, ip: str) -> None:
        """Another firm's request is, to an enterprise user, a request that does not exist, word for
        word (QA: 403 against 404 let a firm tell which request ids exist); the refusal is audited
        ``denied`` with the real reason, as every refusal of a step."""
        with self._store.session() as s:
            row = s.get(VerificationRequestRow, request_id)
            other = row is not None and row.uscc != actor.uscc
        if other:
            reason = actor.role.refusal(
                f"处理其他企业的待核实事项 #{request_id}",
                f"handle request #{request_id} of another enterprise",
            )
            self._store.audit.record(
                "verification.update", user=actor, target=f"verification:{request_id}", outcome="denied",
                ip=ip, detail={"reason": reason},
            )  # fmt: skip
            raise _missing(request_id)

    @_refusal_audited("verification.update", "verification")
    def update(
        self,
        actor: User,
        request_id: int,
        *,
        status: VerificationStatus | str,
        expected_version: int,
        note: str = "",
        ip: str = "",
    ) -> VerificationRequest:
        """Move a request forward (open → requested → answered → closed; closing is allowed from any step).

        An enterprise user may say its own enterprise has submitted what was asked (→ answered,
        with a note of what and how) while the request is still asking, and take no other step.
        A refusal by role (or a park officer on another park's request) is audited ``denied``."""
        target = parse_status(status)
        if actor.active and actor.role is Role.ENTERPRISE_USER:
            self._hide_others(actor, request_id, ip)
        with self._store.session() as s:
            row = _row(s, request_id)
            if actor.active and actor.role is Role.ENTERPRISE_USER:
                _enterprise_may(actor, row, target)
            elif not may_handle(actor, row.park_id):
                if actor.active and actor.role is Role.PARK_OFFICER and actor.role in HANDLERS:
                    raise actor.role.refuse(  # the role may; the request is of another park than the officer's
                        RoleRefused,
                        f"处理其他园区的待核实事项 #{row.id}",
                        f"handle request #{row.id} of another park",
                    )
                raise actor.role.refuse(RoleRefused, "处理待核实事项", "handle verification requests")
            if row.status == CANCELLED:
                raise WrongStep(f"{_cancelled(row)}, 不再办理 (no step is taken on it any more)")
            _version(f"待核实事项 #{row.id}", row.version, expected_version)
            current = VerificationStatus(row.status)
            if _ORDER.index(target) <= _ORDER.index(current):
                raise InputError(
                    f"待核实事项 #{row.id} 已是{VERIFY_LABELS[current.value]} ({current.value}), "
                    f"不能改为{VERIFY_LABELS[target.value]} ({target.value}) "
                    "(requests only move forward: open → requested → answered → closed)"
                )
            before = {"status": row.status, "note": row.note}
            row.status = target.value
            if note.strip():
                row.note = (row.note + "\n" if row.note else "") + note.strip()
            row.updated_at = self._clock()
            row.updated_by = actor.id
            s.flush()
            detail = {"before": before, "after": {"status": row.status, "note": row.note}}
            s.add(_audit(actor, "verification.update", f"verification:{row.id}", detail, ip))
            return _request(row)

    def table(self, **filters: object) -> pa.Table:
        """The queue as Arrow (``ask`` has one line per item to provide)."""
        rows = self.list(**filters)  # type: ignore[arg-type]
        names = list(VerificationRequest.__dataclass_fields__)
        data = {n: [getattr(r, n) for r in rows] for n in names}
        data["status"] = [r.status.value for r in rows]
        return pa.table(data)


def select_policies(rows: pa.Table, policies: Sequence[str] | None) -> pa.Table:
    """*rows* of the given *policies* (all when None or empty)."""
    if not policies:
        return rows
    return rows.filter(pc.is_in(rows["policy_id"], value_set=pa.array(list(policies), pa.string())))


def parse_status(value: VerificationStatus | str) -> VerificationStatus:
    try:
        return VerificationStatus(value)
    except ValueError:
        raise InputError(
            f"未知状态 '{value}' (unknown status); 可用 / use: {', '.join(s.value for s in VerificationStatus)}"
        ) from None


def _cancelled(row: VerificationRequestRow) -> str:
    return f"待核实事项 #{row.id} 已随兑现批次 #{row.batch_id} 作废 (cancelled with batch #{row.batch_id})"


def _missing(request_id: int) -> NotFound:
    return NotFound(f"没有待核实事项 #{request_id} (no such verification request)")


def _row(s: Session, request_id: int) -> VerificationRequestRow:
    row = s.get(VerificationRequestRow, request_id)
    if row is None:
        raise _missing(request_id)
    return row


def _request(r: VerificationRequestRow) -> VerificationRequest:
    return VerificationRequest(
        r.id,
        r.run_id,
        r.batch_id,
        r.uscc,
        r.enterprise_name,
        r.park_id,
        r.policy_id,
        r.policy_name,
        r.clause_id,
        r.clause_ref,
        r.period,
        r.missing_fields,
        r.ask,
        VerificationStatus(r.status),
        r.note,
        r.created_at,
        r.updated_at,
        r.version,
    )


def _audit(actor: User, action: str, target: str, detail: dict[str, Any], ip: str) -> AuditRow:
    return audit_row(
        action,
        user_id=actor.id,
        username=actor.username,
        role=actor.role.value,
        target=target,
        detail=detail,
        ip=ip,
    )
