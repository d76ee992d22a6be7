"""The 兑现 service: batch → review → 公示 → objections → approval by a second role → payment.

Four eyes (四眼原则): the reviewer is not the batch's creator, the approver neither its creator, its
reviewer nor whoever closed its 公示 early, the payer not its approver (who approves the money does
not record its payment), and an objection's resolver neither the batch's creator nor the objection's
recorder. Two accounts count as one person when one created the other or gave it its role, and an
account a user of the app just made waits a cooling-off before any step but an objection
(:mod:`._separation`).

The data behind the amounts: a batch of a run with a newer run of its period needs a reason, and
approval and payment need an acknowledgement of data imported since the run (both audited).

Every write runs in one app-store transaction with its audit-log row. Each step checks the version
of the batch the officer read (:class:`~zonebrain.appstore.ConcurrentUpdate` on a stale write);
objections and resolutions also bump the batch's version, so an approval can never slip past an
objection recorded at the same moment.

Two corrections, each with a reason and its audit row (:mod:`._corrections`): ``cancel`` (作废)
ends a batch not yet paid, and ``reverse`` (冲正) marks a ledger entry reversed when the bank
returned the transfer or it was paid in error; the entry stays, and the award may be paid again,
once, by a new batch.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from zonebrain import policy
from zonebrain.appstore import ConcurrentUpdate, Role, User, utcnow
from zonebrain.appstore.disbursement_models import (
    PaymentLedgerRow,
    PayoutBatchRow,
    PayoutItemRow,
    PayoutObjectionRow,
)
from zonebrain.core.clock import beijing, beijing_text
from zonebrain.core.errors import InputError
from zonebrain.disbursement import _convert, _exports, _guards, _holds, _separation
from zonebrain.disbursement._corrections import APPROVERS, CREATORS, Corrections
from zonebrain.disbursement._exports import ParkNames
from zonebrain.disbursement._holds import Holds
from zonebrain.disbursement._ledger import Ledger, existing
from zonebrain.disbursement._model import (
    ITEM_LABELS,
    RESOLUTIONS,
    Batch,
    BatchStatus,
    DutyRefused,
    Item,
    ItemStatus,
    NotAllowed,
    NotFound,
    Objection,
    PayResult,
    WrongStep,
    batch_label,
)
from zonebrain.disbursement._source import DataImport, RunRows, imports_after
from zonebrain.disbursement._steps import (
    _acting,
    _already,
    _audit,
    _batch_row,
    _check,
    _four_eyes,
    _in_open_batches,
    _item_row,
    _items,
    _key,
    _lock_for_batch,
    _may_export,
    _refusal_audited,
    _touch,
    _withdrawn_before,
)
from zonebrain.disbursement._verify import VerificationQueue, select_policies
from zonebrain.storage import Warehouse

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

REVIEWERS = frozenset({Role.ADMIN, Role.POLICY_RESEARCHER, Role.LEADER})
"""Roles that review a batch (never its creator) and resolve objections."""
RECORDERS = frozenset({Role.ADMIN, Role.POLICY_RESEARCHER, Role.LEADER, Role.PARK_OFFICER})
"""Roles that record an objection on someone's behalf (an enterprise user: on its own items only)."""
ENTERPRISE_RAISER = "企业"
"""Who raised an objection an enterprise user recorded: its firm, as 企业 (set by the service)."""
_MAX_PAY_ATTEMPTS = 3
_TO_CHECK = (BatchStatus.PUBLICIZED.value, BatchStatus.APPROVED.value, BatchStatus.PART_PAID.value)
"""Statuses of a batch whose approval or payment reads the data imported since its run."""


def check_policies(run: RunRows, policies: Sequence[str] | None) -> None:
    """Refuse a policy *run* did not evaluate (an InputError naming the run's policies): a batch of
    *policies* is built from it. The command line checks it before anything else (exit 2)."""
    known = run.policies or tuple(sorted(set(run.rows["policy_id"].to_pylist())))
    unknown = [p for p in policies or () if p not in known]
    if unknown:
        raise InputError(
            f"运行 {run.run_id} 没有测算政策 {', '.join(unknown)} (unknown policy for this run); "
            f"本次运行的政策 / the run's policies: {', '.join(known) or '无 none'}"
        )


class _LedgerRace(Exception):
    """Another transaction wrote one of our ledger keys between our check and our insert."""


WarehouseOpener = Callable[[], AbstractContextManager[Warehouse]]
"""Opens the warehouse for reading (the web's ``pool.reader``, the CLI's ``warehouse(read_only=True)``)."""


class Disbursement(Holds, Corrections):
    """政策兑现 over the app store. Components: :attr:`ledger` and :attr:`verification`.

    ``clock`` returns "now" (naive UTC); tests pass a fixed one to move past a 公示期. ``warehouse``
    opens the warehouse the runs are in: approval and payment then check for data imported since
    the batch's run (:meth:`imports_since`); without it (a library caller) they cannot, and do not.
    ``min_publicity_days`` overrides the ``publicity_min_days`` setting.
    """

    def __init__(
        self,
        store: AppStore,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        warehouse: WarehouseOpener | None = None,
        min_publicity_days: int | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._warehouse = warehouse
        self._min_days = min_publicity_days
        self.ledger = Ledger(store)
        self.verification = VerificationQueue(store, clock)

    def min_publicity_days(self) -> int:
        """The shortest 公示 in calendar days (setting ``publicity_min_days``, default 5)."""
        return _guards.min_publicity_days(self._min_days)

    def imports_since(self, run_id: str) -> tuple[DataImport, ...] | None:
        """The warehouse imports the run *run_id* did not read (made after it), oldest first;
        None when the service has no warehouse to ask."""
        if self._warehouse is None:
            return None
        with self._warehouse() as wh:
            return imports_after(wh, run_id)

    def today(self) -> dt.date:
        """Today in Beijing (the 公示期 is counted in local dates)."""
        return beijing(self._clock()).date()

    def standing(self, actor: User) -> _separation.Standing:
        """Who counts as *actor* for the four-eyes rules and how long its cooling-off lasts, so a
        page offers only the steps the service would take (it still decides each one)."""
        with self._store.session() as s:
            return _separation.standing(s, actor.id, actor.username)

    def _imports_for(self, batch_id: int) -> tuple[DataImport, ...]:
        """:meth:`imports_since` the run of a batch still to approve or pay (an unknown batch, or
        one paid or cancelled: none; the step itself then says what is wrong)."""
        with self._store.session() as s:
            b = s.get(PayoutBatchRow, batch_id)
            run_id = b.run_id if b is not None and b.status in _TO_CHECK else None
        return (self.imports_since(run_id) or ()) if run_id else ()

    # ---- reading ---------------------------------------------------------------------------

    def batch(self, batch_id: int) -> Batch:
        with self._store.session() as s:
            return _convert.batch(s, _batch_row(s, batch_id))

    def batches(self, *, status: BatchStatus | str | None = None) -> builtins.list[Batch]:
        """Batches, newest first."""
        with self._store.session() as s:
            q = select(PayoutBatchRow).order_by(PayoutBatchRow.id.desc())
            if status is not None:
                q = q.where(PayoutBatchRow.status == _convert.batch_status(status).value)
            return [_convert.batch(s, r) for r in s.scalars(q)]

    def items(
        self, batch_id: int, *, status: Sequence[ItemStatus | str] | None = None
    ) -> builtins.list[Item]:
        """The batch's items ordered by policy, clause and enterprise."""
        with self._store.session() as s:
            _batch_row(s, batch_id)
            q = select(PayoutItemRow).where(PayoutItemRow.batch_id == batch_id)
            if status:
                q = q.where(PayoutItemRow.status.in_([_convert.item_status(x).value for x in status]))
            q = q.order_by(PayoutItemRow.policy_id, PayoutItemRow.clause_id, PayoutItemRow.uscc)
            return [_convert.item(r) for r in s.scalars(q)]

    def publicized_items(self, uscc: str) -> builtins.list[Item]:
        """*uscc*'s items on a list now in 公示 (listed, or objected to), by batch, policy and clause:
        what may still be objected to (an enterprise's self-check page offers it)."""
        it, bt = PayoutItemRow, PayoutBatchRow
        with self._store.session() as s:
            q = (
                select(it)
                .join(bt, bt.id == it.batch_id)
                .where(it.uscc == uscc, bt.status == BatchStatus.PUBLICIZED.value)
                .where(it.status.in_([ItemStatus.LISTED.value, ItemStatus.OBJECTED.value]))
                .order_by(it.batch_id, it.policy_id, it.clause_id)
            )
            return [_convert.item(r) for r in s.scalars(q)]

    def item(self, item_id: int) -> Item:
        with self._store.session() as s:
            return _convert.item(_item_row(s, item_id))

    def objections(
        self, batch_id: int, *, open_only: bool = False, item_id: int | None = None
    ) -> builtins.list[Objection]:
        with self._store.session() as s:
            q = select(PayoutObjectionRow).where(PayoutObjectionRow.batch_id == batch_id)
            if open_only:
                q = q.where(PayoutObjectionRow.resolution.is_(None))
            if item_id is not None:
                q = q.where(PayoutObjectionRow.item_id == item_id)
            return [_convert.objection(s, r) for r in s.scalars(q.order_by(PayoutObjectionRow.id))]

    # ---- the steps -------------------------------------------------------------------------

    @_refusal_audited("disbursement.create", "run")
    def create_batch(
        self,
        actor: User,
        run: RunRows,
        *,
        policies: Sequence[str] | None = None,
        title: str = "",
        older_run_reason: str = "",
        ip: str = "",
    ) -> Batch:
        """A draft batch of the run's eligible awards (of *policies*, default all); its undetermined
        results join the 待核实 queue. Awards the ledger already holds are listed as ``already_paid``;
        awards an upheld objection withdrew in an earlier batch (not cancelled) stay ``withdrawn``, so a
        new batch never lists again, unnoticed, what a 公示 found wrong. A provisional run (its
        period not ended on its as-of date) is refused, the refusal audited: the year is not over.
        A run with a newer run of its period (:attr:`RunRows.newer`) is refused (audited ``refused``)
        unless *older_run_reason* says why the older one is paid; the reason goes in the audit row."""
        if policy.provisional(run.as_of, run.period):
            reason = policy.provisional_text(run.as_of, run.period)
            self._store.audit.record(
                "disbursement.create", user=actor, target=f"run:{run.run_id}", outcome="refused",
                ip=ip, detail={"reason": reason},
            )  # fmt: skip
            raise WrongStep(f"不能由暂定测算生成兑现批次 (a provisional run cannot be paid): {reason}")
        check_policies(run, policies)
        eligible = select_policies(run.eligible(), policies)
        if eligible.num_rows == 0:
            found = sorted(set(run.eligible()["policy_id"].to_pylist()))
            raise InputError(
                f"运行 {run.run_id} 中没有可兑现的奖励 (no eligible award for {list(policies or []) or 'any policy'}); "
                f"有奖励的政策 / policies with awards: {', '.join(found) or '无 none'}"
            )
        chosen = tuple(sorted(set(eligible["policy_id"].to_pylist()) | set(policies or ())))
        rows = eligible.to_pylist()
        with self._store.session() as s:
            _lock_for_batch(s)  # first: the checks below and the inserts hold against a concurrent create
            _acting(s, actor, CREATORS, "建立兑现批次", "create a batch")
            older = _guards.older_run(run.run_id, run.newer, older_run_reason)  # who asks, then what
            now = self._clock()
            keys = [_key(r) for r in rows]
            paid = existing(s, keys)
            withdrawn = _withdrawn_before(s, keys)
            payable = [k for k in keys if k not in paid and k not in withdrawn]
            if not payable:
                raise _guards.nothing_to_pay(
                    run.run_id, len(keys), len(paid), len(set(withdrawn) - set(paid))
                )
            open_elsewhere = _in_open_batches(s, payable)  # only what this batch would list for payment
            if open_elsewhere:
                ids = ", ".join(f"#{i}" for i in sorted(set(open_elsewhere.values())))
                raise WrongStep(
                    f"{len(open_elsewhere)} 项待兑现奖励已在未完成的兑现批次 {ids} 中 "
                    f"(payable awards already in open batch {ids}: {len(open_elsewhere)}); "
                    "请先完成或作废该批次, 或选择其他政策 (finish or cancel it first, or choose other policies)"
                )
            b = PayoutBatchRow(
                run_id=run.run_id,
                as_of=run.as_of,
                period=run.period,
                policies=",".join(chosen),
                title=(title.strip() or f"{run.period}年度政策兑现")[:256],
                status=BatchStatus.DRAFT.value,
                publicity_note="",
                created_by=actor.id,
                created_at=now,
                updated_at=now,
            )
            s.add(b)
            s.flush()
            for r in rows:
                ledger_id = paid.get(_key(r))
                s.add(
                    PayoutItemRow(
                        batch_id=b.id,
                        uscc=r["uscc"],
                        enterprise_name=r["enterprise_name"],
                        park_id=r["park_id"],
                        policy_id=r["policy_id"],
                        policy_name=r["policy_name"],
                        clause_id=r["clause_id"],
                        clause_ref=r["clause_ref"] or "",
                        clause_title=r["clause_title"],
                        period=r["ledger_period"],
                        amount_fen=int(r["amount_fen"]),
                        status=(
                            ItemStatus.ALREADY_PAID
                            if ledger_id
                            else ItemStatus.WITHDRAWN
                            if _key(r) in withdrawn
                            else ItemStatus.LISTED
                        ).value,
                        ledger_id=ledger_id,
                        updated_at=now,
                    )
                )
            queued = self.verification.add_rows(s, run, select_policies(run.undetermined(), policies), b.id)
            s.flush()
            detail = {
                "run_id": run.run_id,
                "period": run.period,
                "policies": list(chosen),
                "items": len(rows),
                "already_paid": len(paid),
                "withdrawn_before": {"/".join(k): withdrawn[k] for k in sorted(set(withdrawn) - set(paid))},
                "total_fen": sum(
                    int(r["amount_fen"]) for r in rows if _key(r) not in paid and _key(r) not in withdrawn
                ),
                "verification_queued": queued,
                **older,
            }
            s.add(_audit(actor, "disbursement.create", b, detail, ip))
            return _convert.batch(s, b)

    @_refusal_audited("disbursement.review", "batch")
    def review(
        self, actor: User, batch_id: int, *, expected_version: int, note: str = "", ip: str = ""
    ) -> Batch:
        """审核: an officer other than its creator checked the list (draft → reviewed)."""
        with self._store.session() as s:
            _acting(s, actor, REVIEWERS, "审核兑现批次", "review a batch")
            b = _batch_row(s, batch_id)
            _four_eyes(actor, "reviewer", {"creator": b.created_by}, "请由另一位工作人员审核", s=s)
            _already(s, b, BatchStatus.REVIEWED, b.reviewed_by, b.reviewed_at, "审核", "reviewed", actor)
            _check(b, expected_version, BatchStatus.DRAFT, "审核 (review)")
            b.status, b.reviewed_by, b.reviewed_at = BatchStatus.REVIEWED.value, actor.id, self._clock()
            return self._done(s, actor, b, "disbursement.review", {"note": note.strip()}, ip)

    @_refusal_audited("disbursement.publicize", "batch")
    def publicize(
        self,
        actor: User,
        batch_id: int,
        *,
        start: dt.date,
        end: dt.date,
        expected_version: int,
        ip: str = "",
    ) -> Batch:
        """公示: the list goes public from *start* to *end* (both days included); objections may follow.
        The start is not before the day the batch was reviewed (Beijing), and the 公示 lasts at least
        :meth:`min_publicity_days` days."""
        if end < start:
            raise InputError(f"公示截止日 {end} 早于开始日 {start} (the public notice ends before it starts)")

        with self._store.session() as s:
            _acting(s, actor, CREATORS, "发布公示", "publish the list")
            b = _batch_row(s, batch_id)
            _already(
                s, b, BatchStatus.PUBLICIZED, b.publicized_by, b.publicized_at, "公示", "publicized", actor
            )
            _check(b, expected_version, BatchStatus.REVIEWED, "公示 (publicize)")
            _guards.publicity_dates(start, end, self.today())
            reviewed = beijing(b.reviewed_at or b.created_at).date()
            _guards.publicity_span(start, end, reviewed, self.min_publicity_days())
            b.status, b.publicized_at, b.publicized_by = BatchStatus.PUBLICIZED.value, self._clock(), actor.id
            b.publicity_start, b.publicity_end = start, end
            detail = {"start": start.isoformat(), "end": end.isoformat()}
            return self._done(s, actor, b, "disbursement.publicize", detail, ip)

    @_refusal_audited("disbursement.close_publicity", "batch")
    def close_publicity(
        self, actor: User, batch_id: int, *, reason: str, expected_version: int, ip: str = ""
    ) -> Batch:
        """End the 公示期 before its end date (e.g. a shortened period the committee decided), with a reason."""
        if not reason.strip():
            raise InputError("提前结束公示须说明原因 (closing the public notice early needs a reason)")
        with self._store.session() as s:
            _acting(s, actor, APPROVERS, "提前结束公示", "close the publicity")
            b = _batch_row(s, batch_id)
            if b.publicity_closed_at is not None:
                raise WrongStep(
                    f"公示已于 {beijing_text(b.publicity_closed_at)} 提前结束 (the publicity was already "
                    f"closed): {b.publicity_note}"
                )
            _check(b, expected_version, BatchStatus.PUBLICIZED, "结束公示 (close the publicity)")
            _guards.publicity_started(b, self.today())
            b.publicity_closed_at, b.publicity_note = self._clock(), reason.strip()
            b.publicity_closed_by = actor.id
            return self._done(s, actor, b, "disbursement.close_publicity", {"reason": reason.strip()}, ip)

    @_refusal_audited("disbursement.object", "item")
    def object(
        self,
        actor: User,
        item_id: int,
        text: str,
        *,
        raised_by: str,
        raised_by_role: str = "",
        ip: str = "",
    ) -> Objection:
        """异议: record an objection to one listed item during the 公示期; the item waits for a resolution.
        An enterprise user objects as its firm: who raised it is the firm's name and 企业, whatever
        the form said (QA: a firm recorded an objection in another firm's name, as 园区专员)."""
        if not text.strip() or not raised_by.strip():
            raise InputError(
                "异议须有内容和提出人 (an objection needs its text and who raised it; 匿名 is fine)"
            )
        with self._store.session() as s:
            item = _item_row(s, item_id)
            user = _acting(
                s, actor, RECORDERS | {Role.ENTERPRISE_USER}, "登记异议", "record an objection", hold=False
            )  # an objection only stops money: a new account (a firm's, say) records one at once
            _guards.objection_scope(user, item)
            if Role(user.role) is Role.ENTERPRISE_USER:
                raised_by, raised_by_role = item.enterprise_name or item.uscc, ENTERPRISE_RAISER
            b = _batch_row(s, item.batch_id)
            _check(b, b.version, BatchStatus.PUBLICIZED, "登记异议 (record an objection)")
            _guards.objection_open(b, self.today())
            _guards.duplicate_objection(s, item.id, text.strip(), raised_by.strip()[:128])
            if item.status not in (ItemStatus.LISTED.value, ItemStatus.OBJECTED.value):
                raise WrongStep(
                    f"名单项 #{item.id} 状态为{ITEM_LABELS[ItemStatus(item.status)]} ({item.status}), "
                    "不在公示名单中 (not on the public list)"
                )
            now = self._clock()
            row = PayoutObjectionRow(
                item_id=item.id,
                batch_id=b.id,
                text=text.strip(),
                raised_by=raised_by.strip()[:128],
                raised_by_role=raised_by_role.strip()[:64],
                recorded_by=actor.id,
                created_at=now,
                resolution_note="",
            )
            s.add(row)
            item.status, item.updated_at = ItemStatus.OBJECTED.value, now
            _touch(b, now)  # bumps the batch version: a concurrent approval fails instead of racing
            s.flush()
            out = _convert.objection(s, row)
            detail = {
                "item": item.id, "uscc": item.uscc, "objection": row.id, "late": out.late,
                "text": row.text, "raised_by": row.raised_by, "raised_by_role": row.raised_by_role,
            }  # fmt: skip
            s.add(_audit(actor, "disbursement.object", b, detail, ip))
            return out

    @_refusal_audited("disbursement.resolve", "objection")
    def resolve(self, actor: User, objection_id: int, *, upheld: bool, note: str, ip: str = "") -> Objection:
        """Decide an objection: upheld withdraws the item from the batch; dismissed puts it back on the list.
        Four eyes: not by the batch's creator, nor by who recorded the objection (audited ``denied``)."""
        if not note.strip():
            raise InputError("处理异议须写明理由 (a resolution needs its reason)")
        with self._store.session() as s:
            _acting(s, actor, REVIEWERS, "处理异议", "resolve an objection")
            row = s.get(PayoutObjectionRow, objection_id)
            if row is None:
                raise NotFound(f"没有异议 #{objection_id} (no such objection)")
            if row.resolution is not None:
                label = RESOLUTIONS.get(row.resolution, row.resolution)
                raise WrongStep(
                    f"异议 #{row.id} 已处理为{label} ({row.resolution}), 不能再处理 (already resolved)"
                )
            b = _batch_row(s, row.batch_id)
            hint = "请由另一位工作人员处理 (another officer resolves it)"
            _four_eyes(actor, "resolver", {"creator": b.created_by}, hint, s=s)
            if actor.id == row.recorded_by:
                raise DutyRefused(
                    f"异议处理人不能是登记该异议的人 (异议 #{row.id}: the resolver must not be the user who "
                    f"recorded the objection); {hint}",
                    reason="异议处理人登记了该异议 (the resolver recorded the objection)",
                )
            _four_eyes(actor, "resolver", {"recorder": row.recorded_by}, hint, s=s)  # one person's accounts
            _check(b, b.version, BatchStatus.PUBLICIZED, "处理异议 (resolve an objection)")
            item = _item_row(s, row.item_id)
            now = self._clock()
            row.resolution = "upheld" if upheld else "dismissed"
            row.resolution_note, row.resolved_by, row.resolved_at = note.strip(), actor.id, now
            s.flush()
            still_open = s.scalar(
                select(func.count())
                .select_from(PayoutObjectionRow)
                .where(PayoutObjectionRow.item_id == item.id, PayoutObjectionRow.resolution.is_(None))
            )
            if upheld:
                item.status = ItemStatus.WITHDRAWN.value
            elif not still_open and item.status == ItemStatus.OBJECTED.value:
                item.status = ItemStatus.LISTED.value
            item.updated_at = now
            _touch(b, now)
            s.flush()
            detail = {
                "objection": row.id,
                "item": item.id,
                "resolution": row.resolution,
                "note": row.resolution_note,
                "item_status": item.status,
            }
            s.add(_audit(actor, "disbursement.resolve", b, detail, ip))
            return _convert.objection(s, row)

    @_refusal_audited("disbursement.approve", "batch")
    def approve(
        self,
        actor: User,
        batch_id: int,
        *,
        expected_version: int,
        note: str = "",
        acknowledge_data_changes: bool = False,
        ip: str = "",
    ) -> Batch:
        """审批 by a second role (admin or leader) who neither built, reviewed nor closed the 公示 of
        the batch early, once the 公示期 is over (or closed) and every objection is resolved. Data
        imported since the batch's run must be acknowledged (*acknowledge_data_changes*), or the
        approval is refused saying what changed (audited ``refused``); the audit row lists them."""
        imports = self._imports_for(batch_id)
        with self._store.session() as s:
            b = _batch_row(s, batch_id)
            taken = {
                "creator": b.created_by,
                "reviewer": b.reviewed_by,
                "publicity closer": b.publicity_closed_by,
            }
            hint = "请由另一位领导或管理员审批"
            _four_eyes(actor, "approver", taken, hint, s=s)  # before the role, as ever
            _acting(s, actor, APPROVERS, "审批兑现批次", "approve a batch")
            _already(s, b, BatchStatus.APPROVED, b.approved_by, b.approved_at, "审批", "approved", actor)
            _check(b, expected_version, BatchStatus.PUBLICIZED, "审批 (approve)")
            today = self.today()
            if b.publicity_closed_at is None and b.publicity_end is not None and today <= b.publicity_end:
                raise WrongStep(
                    f"公示期至 {b.publicity_end} 尚未结束 (the publicity runs until {b.publicity_end}); "
                    "请在公示期满后审批, 或先提前结束公示 / approve after it ends, or close it first"
                )
            open_items = s.scalar(
                select(func.count())
                .select_from(PayoutObjectionRow)
                .where(PayoutObjectionRow.batch_id == b.id, PayoutObjectionRow.resolution.is_(None))
            )
            if open_items:
                raise WrongStep(
                    f"还有 {open_items} 条异议未处理 (unresolved objections); 请先处理异议 / resolve them first"
                )
            changes = _guards.data_changed("审批", "approve", b.run_id, imports, acknowledge_data_changes)
            now = self._clock()
            items = _items(s, b.id, ItemStatus.LISTED)
            for it in items:
                it.status, it.updated_at = ItemStatus.APPROVED.value, now
            b.status, b.approved_by, b.approved_at = BatchStatus.APPROVED.value, actor.id, now
            detail = {
                "note": note.strip(),
                "approved_items": len(items),
                "total_fen": sum(i.amount_fen for i in items),
                **changes,
            }
            return self._done(s, actor, b, "disbursement.approve", detail, ip)

    @_refusal_audited("disbursement.pay", "batch")
    def pay(
        self, actor: User, batch_id: int, *, acknowledge_data_changes: bool = False, ip: str = ""
    ) -> PayResult:
        """支付: write the approved items to the ledger in one transaction and mark them paid; recorded
        by anyone of :data:`CREATORS` or :data:`APPROVERS` but the batch's approver (the creator, say).

        Idempotent: paying a paid batch again writes nothing and reports what this batch paid as
        ``paid_before``; an award the ledger already held from another batch (of a re-run, say) is
        reported as ``already_paid`` and never written twice; the ledger's UNIQUE key is
        the last line of defence against two payments racing. Data imported since the batch's run
        must be acknowledged, as for :meth:`approve`. Items on hold (暂缓支付, :meth:`hold`) are left
        unpaid (``held``) and the batch becomes 部分兑现 (``part_paid``); paying it again after one
        is released pays that one (:mod:`._holds`).
        """
        imports = self._imports_for(batch_id)
        for _attempt in range(_MAX_PAY_ATTEMPTS):
            try:
                return self._pay_once(actor, batch_id, ip, imports, acknowledge_data_changes)
            except _LedgerRace:
                continue  # the other payment committed; the next attempt sees it as already paid
        raise ConcurrentUpdate(
            "支付台账正被同时写入 (the ledger is being written concurrently); 请稍后重试 / retry shortly"
        )

    def _pay_once(
        self, actor: User, batch_id: int, ip: str, imports: tuple[DataImport, ...], acknowledged: bool
    ) -> PayResult:
        with self._store.session() as s:
            _acting(s, actor, CREATORS | APPROVERS, "登记支付", "record the payment")
            b = _batch_row(s, batch_id)
            _four_eyes(actor, "payer", {"approver": b.approved_by}, "请由制单人或另一位工作人员登记支付", s=s)
            # paid before (by this batch, or held already then), or partly and nothing released since
            if b.status == BatchStatus.PAID.value or _holds.nothing_released(s, b):
                mine, before = _items(s, b.id, ItemStatus.PAID), _items(s, b.id, ItemStatus.ALREADY_PAID)
                waiting = _items(s, b.id, ItemStatus.HELD)
                detail = {
                    "paid_now": 0,
                    "paid_before": len(mine),
                    "already_paid": len(before),
                    "total_fen": 0,
                    "held": len(waiting),
                }
                s.add(_audit(actor, "disbursement.pay", b, detail, ip, outcome="already_paid"))
                return PayResult(
                    _convert.batch(s, b),
                    (),
                    tuple(_convert.item(i) for i in [*mine, *before]),
                    tuple(_convert.item(i) for i in mine),
                    tuple(_convert.item(i) for i in waiting),
                )
            _check(b, b.version, _holds.pay_step(b), "支付 (pay)")
            changes = _guards.data_changed("登记支付", "pay", b.run_id, imports, acknowledged)
            now = self._clock()
            items = _items(s, b.id, ItemStatus.APPROVED)
            held = existing(s, [(i.uscc, i.policy_id, i.clause_id, i.period) for i in items])
            fresh = [i for i in items if (i.uscc, i.policy_id, i.clause_id, i.period) not in held]
            rows = [
                PaymentLedgerRow(
                    uscc=i.uscc, policy_id=i.policy_id, clause_id=i.clause_id, period=i.period,
                    amount_fen=i.amount_fen, batch_id=b.id, item_id=i.id, run_id=b.run_id,
                    paid_at=now, paid_by=actor.id,
                )
                for i in fresh
            ]  # fmt: skip
            s.add_all(rows)
            try:
                s.flush()
            except IntegrityError as exc:
                raise _LedgerRace() from exc
            for i, row in zip(fresh, rows, strict=True):
                i.status, i.ledger_id, i.updated_at = ItemStatus.PAID.value, row.id, now
            for i in items:
                if i.status == ItemStatus.APPROVED.value:
                    i.ledger_id = held[(i.uscc, i.policy_id, i.clause_id, i.period)]
                    i.status, i.updated_at = ItemStatus.ALREADY_PAID.value, now
            s.flush()
            b.status, b.updated_at = _holds.status_after_pay(s, b), now  # 部分兑现 while items are held
            if b.paid_by is None:  # the batch's first payment; a later one pays released items
                b.paid_by, b.paid_at = actor.id, now
            s.flush()
            paid_fen = sum(i.amount_fen for i in fresh)
            already = _items(s, b.id, ItemStatus.ALREADY_PAID)  # now, and those flagged when it was built
            waiting = _items(s, b.id, ItemStatus.HELD)  # 暂缓支付: left unpaid
            done = {"paid_now": len(fresh), "already_paid": len(already), "total_fen": paid_fen}
            s.add(_audit(actor, "disbursement.pay", b, {**done, "held": len(waiting), **changes}, ip))
            return PayResult(
                _convert.batch(s, b),
                tuple(_convert.item(i) for i in fresh),
                tuple(_convert.item(i) for i in already),
                held=tuple(_convert.item(i) for i in waiting),
            )

    # ---- files -----------------------------------------------------------------------------

    @_refusal_audited("disbursement.export", "batch")
    def export_publicity(
        self,
        actor: User,
        batch_id: int,
        path: Path | str,
        *,
        ip: str = "",
        contact: str | None = None,
        zone_name: str | None = None,
    ) -> Path:
        """The 公示 list (.xlsx or .docx by suffix): 企业名称, masked USCC, 政策, 条款, 金额(元); its
        notice records an early close and says where to object (*contact*, else
        ``$ZONEBRAIN_PUBLICITY_CONTACT``, else the 政策兑现工作专班 of the zone named *zone_name*)."""
        _may_export(actor, CREATORS | REVIEWERS)
        b = self.batch(batch_id)
        if b.status is BatchStatus.CANCELLED:
            raise WrongStep(f"兑现批次 #{b.id} 已作废, 不能生成公示名单 (the batch is cancelled)")
        if b.status is BatchStatus.DRAFT:
            raise WrongStep(f"兑现批次 #{b.id} 尚未审核, 不能生成公示名单 (review the batch first)")
        out, rows = _exports.write_publicity(
            b, self.items(batch_id), path, today=self.today(), contact=contact, zone_name=zone_name
        )
        self._record_export(actor, batch_id, "publicity", out, rows, ip)
        return out

    @_refusal_audited("disbursement.export", "batch")
    def export_notify(
        self, actor: User, batch_id: int, path: Path | str, *, ip: str = "", parks: ParkNames | None = None
    ) -> Path:
        """The enterprises to notify of their approved or paid awards (.xlsx); *parks* names the parks."""
        _may_export(actor, CREATORS | REVIEWERS)
        b = self.batch(batch_id)
        if b.status not in (BatchStatus.APPROVED, BatchStatus.PART_PAID, BatchStatus.PAID):
            raise WrongStep(
                f"兑现批次 #{b.id} 当前为{batch_label(b.status)}, 尚未审批; 审批后才能通知企业 (approve it first)"
            )
        out, rows = _exports.write_notify(self.items(batch_id), path, parks, b)
        self._record_export(actor, batch_id, "notify", out, rows, ip)
        return out

    @_refusal_audited("disbursement.export", "verification", keyed=False)
    def export_verification(
        self,
        actor: User,
        path: Path | str,
        *,
        status: str | None = None,
        ip: str = "",
        parks: ParkNames | None = None,
    ) -> Path:
        """The 待核实 queue (.xlsx): per enterprise what to provide, then every request.

        Park officers export their park's requests, an enterprise user its own (快申快享)."""
        _may_export(actor, CREATORS | REVIEWERS | {Role.PARK_OFFICER, Role.ENTERPRISE_USER})
        park = actor.park_id if actor.role is Role.PARK_OFFICER else None
        uscc = actor.uscc if actor.role is Role.ENTERPRISE_USER else None
        if actor.role is Role.ENTERPRISE_USER and not uscc:
            raise NotAllowed("企业用户未绑定统一社会信用代码 (no USCC on this account)")
        requests = self.verification.list(status=status, park_id=park, uscc=uscc)
        out, rows = _exports.write_verification(requests, path, parks)
        self._record_export(actor, None, "verification", out, rows, ip)
        return out

    def _record_export(
        self, actor: User, batch_id: int | None, kind: str, path: Path, rows: int, ip: str
    ) -> None:
        target = f"batch:{batch_id}" if batch_id is not None else "verification"
        # the file's digest: which exact file was handed out (QA: a later export of the 公示 list
        # differed from the one published, and nothing recorded what had been published)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        detail = {"kind": kind, "file": path.name, "rows": rows, "sha256": digest}
        self._store.audit.record("disbursement.export", user=actor, target=target, ip=ip, detail=detail)
