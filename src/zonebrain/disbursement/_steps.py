"""What the service's steps share: the audit of a refused step, row lookups that say what is
missing, the actor check (the stored account and its role), the four-eyes check, the version
check, the audit row of a step, and the queries over batch items (an award in an open batch, or
withdrawn by an upheld objection)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from zonebrain.appstore import AuditRow, ConcurrentUpdate, Role, User, UserRow
from zonebrain.appstore.disbursement_models import PaymentLedgerRow, PayoutBatchRow, PayoutItemRow
from zonebrain.appstore.pipeline_models import audit_row
from zonebrain.core.clock import beijing_text
from zonebrain.disbursement import _separation
from zonebrain.disbursement._ledger import Key
from zonebrain.disbursement._model import (
    BatchStatus,
    DutyRefused,
    ItemStatus,
    NotAllowed,
    NotFound,
    RoleRefused,
    StepRefused,
    WrongStep,
    batch_label,
)

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

_DUTIES = {
    "creator": "制单人",
    "reviewer": "审核人",
    "approver": "审批人",
    "payer": "支付登记人",
    "resolver": "异议处理人",
    "releaser": "放行人",
    "withdrawer": "撤回人",
}
"""Who took which step of a batch, as the messages name them."""


class _OverStore(Protocol):
    """A service over the app store (:class:`Disbursement`, :class:`VerificationQueue`)."""

    @property
    def _store(self) -> AppStore: ...


_O = TypeVar("_O", bound=_OverStore)
_P = ParamSpec("_P")
_R = TypeVar("_R")
_S = TypeVar("_S")
_Method = Callable[Concatenate[_O, User, _S, _P], _R]


def _refusal_audited(
    action: str, kind: str, *, keyed: bool = True
) -> Callable[[_Method[_O, _S, _P, _R]], _Method[_O, _S, _P, _R]]:
    """A step refused because of who the actor is (:class:`NotAllowed`: their role, :class:`RoleRefused`;
    the four-eyes rule, :class:`DutyRefused`; or what the account may reach, e.g. an enterprise user
    objecting to another firm's item) is written to the audit log (outcome ``denied``, target
    ``kind:subject``, or ``kind`` alone when not *keyed*) after its transaction rolled back, then
    raised on: every refused attempt leaves a trace. A :class:`StepRefused` (data changed since the
    run, a newer run) is audited the same way with outcome ``refused`` and its ``detail``."""

    def wrap(fn: _Method[_O, _S, _P, _R]) -> _Method[_O, _S, _P, _R]:
        @functools.wraps(fn)
        def step(self: _O, actor: User, subject: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return fn(self, actor, subject, *args, **kwargs)
            except (NotAllowed, StepRefused) as exc:
                target = f"{kind}:{getattr(subject, 'run_id', subject)}" if keyed else kind
                reason = exc.reason if isinstance(exc, DutyRefused) else str(exc)
                detail = exc.detail if isinstance(exc, StepRefused) else {}
                ip = kwargs.get("ip", "")
                self._store.audit.record(
                    action, user=actor, target=target,
                    outcome="refused" if isinstance(exc, StepRefused) else "denied",
                    ip=ip if isinstance(ip, str) else "", detail={"reason": reason, **detail},
                )  # fmt: skip
                raise

        return step

    return wrap


def _may_export(actor: User, roles: frozenset[Role]) -> None:
    if not actor.active or actor.role not in roles:
        raise actor.role.refuse(RoleRefused, "导出兑现名单", "export these lists")


def _touch(b: PayoutBatchRow, now: dt.datetime) -> None:
    """Mark the batch changed so the flush writes it and bumps its version (even at the same clock tick)."""
    b.updated_at = now
    flag_modified(b, "updated_at")


_LIVE = (
    ItemStatus.LISTED.value,
    ItemStatus.OBJECTED.value,
    ItemStatus.APPROVED.value,
    ItemStatus.HELD.value,
)
"""Item statuses an open batch still decides on (an ``already_paid`` or ``withdrawn`` one it does not;
a held one it does: it is released and paid, or withdrawn, there)."""


def _in_open_batches(s: Session, keys: Sequence[Key]) -> dict[Key, int]:
    """Of *keys*, those listed for payment (listed, objected, approved, held) in a batch not yet paid nor
    cancelled → that batch: an award is in at most one open batch, so a decision taken in one (an
    upheld objection) cannot be bypassed by paying another."""
    done = (BatchStatus.PAID.value, BatchStatus.CANCELLED.value)
    return _items_where(s, keys, PayoutBatchRow.status.not_in(done), PayoutItemRow.status.in_(_LIVE))


_BATCH_LOCK = 0x7A62_6261_7463_6801
"""The PostgreSQL advisory lock key that batch creations take (any fixed bigint; "zbbatch" in hex)."""


def _lock_for_batch(s: Session) -> None:
    """Make *s* the only transaction building a batch until it commits, before it looks anything up:
    the "one open batch per award" check and the inserts of the batch's items are then atomic, so
    two officers building a batch from one run at the same moment cannot both list an award.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock now (the driver would begin only at
    the first INSERT, after the lookups). PostgreSQL: a transaction-scoped advisory lock that only
    other batch creations wait for (reviews, objections and payments go on). Call it first in the
    session, before any other statement."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BATCH_LOCK})


def _withdrawn_before(s: Session, keys: Sequence[Key]) -> dict[Key, int]:
    """Of *keys*, those an upheld objection withdrew in an earlier, not cancelled batch → that batch."""
    return _items_where(
        s,
        keys,
        PayoutItemRow.status == ItemStatus.WITHDRAWN.value,
        PayoutBatchRow.status != BatchStatus.CANCELLED.value,
    )


def _items_where(s: Session, keys: Sequence[Key], *where: Any) -> dict[Key, int]:
    """Of *keys*, those with a batch item matching *where* (items joined to their batches) → its batch."""
    wanted, found = set(keys), {}
    q = (
        select(
            PayoutItemRow.uscc,
            PayoutItemRow.policy_id,
            PayoutItemRow.clause_id,
            PayoutItemRow.period,
            PayoutItemRow.batch_id,
        )
        .join(PayoutBatchRow, PayoutBatchRow.id == PayoutItemRow.batch_id)
        .where(*where)
    )
    for uscc, policy_id, clause_id, period, batch_id in s.execute(q):
        k = (str(uscc), str(policy_id), str(clause_id), str(period))
        if k in wanted:
            found[k] = int(batch_id)
    return found


def _key(r: dict[str, Any]) -> Key:
    return (r["uscc"], r["policy_id"], r["clause_id"], r["ledger_period"])


def _acting(
    s: Session,
    actor: User,
    roles: frozenset[Role],
    zh: str,
    en: str,
    *,
    who: tuple[str, str] | None = None,
    hold: bool = True,
) -> UserRow:
    """The actor as stored now (a role changed or an account deactivated since login counts); the
    refusal says what was refused (*zh*, *en*: ``审批兑现批次``, ``approve a batch``) and who may:
    the *roles*, or *who* (Chinese, English) when a role is not enough (作废: an admin, or the
    policy researcher who created the batch). With *hold*, an account a user of the app gave its
    powers within the cooling-off is refused too (:func:`._separation.cooling_off`)."""
    row = s.get(UserRow, actor.id)
    if row is None or not row.active:
        raise RoleRefused(
            f"用户 {actor.username} 不存在或已停用，无法{zh} (no such active user: cannot {en})"
        )
    role = Role(row.role)
    if role not in roles:
        may = [r for r in Role if r in roles]
        who_zh, who_en = who or (
            _either([r.label for r in may], "、", "或"),
            _either([r.a_label_en for r in may], ", ", " or "),
        )
        raise role.refuse(RoleRefused, f"{zh}；须为{who_zh}", f"{en}: that needs {who_en}")
    if hold:
        _separation.cooling_off(s, row, zh, en)
    return row


def _either(names: Sequence[str], sep: str, last: str) -> str:
    """``a、b或c`` / ``a, b or c``."""
    return sep.join(names[:-1]) + last + names[-1] if len(names) > 1 else "".join(names)


def _four_eyes(
    actor: User, step: str, taken: dict[str, int | None], hint: str, *, s: Session | None = None
) -> None:
    """四眼原则: refuse *actor* the *step* (``reviewer``, ``approver``, ``payer``, ``resolver``) when
    they already took one of the batch's *taken* steps (``creator`` → user id, …); *hint* says who
    may instead. Given the step's session *s*, also when the actor's account and the one that took
    a *taken* step are one person: one created the other or gave it its role (:func:`._separation.link`).
    Raised inside the step's transaction; the step's ``_refusal_audited`` audits it ``denied``."""
    for duty, user_id in taken.items():
        if user_id == actor.id:
            zh, en = _who(duty)
            raise DutyRefused(
                f"{_DUTIES[step]}不能是{zh} (the {step} must not be {en}); {hint}",
                reason=f"{_DUTIES[step]}是{zh} ({step} is {en})",
            )
    for duty, user_id in taken.items():
        how = _separation.link(s, actor.id, user_id) if s is not None and user_id is not None else None
        if how is not None:
            zh, en = _who(duty)
            raise DutyRefused(
                f"{_DUTIES[step]}与{zh}视为同一人: {how[0]} (the {step} counts as the same person as "
                f"{en}: {how[1]}); {hint}",
                reason=f"{_DUTIES[step]}与{zh}视为同一人: {how[0]} ({step} and {duty}: {how[1]})",
            )


def _who(duty: str) -> tuple[str, str]:
    """Who took *duty* of the batch, as a refusal names them (Chinese, English)."""
    return _WHO[duty] if duty in _WHO else (f"本批次的{_DUTIES[duty]}", f"the batch's {duty}")


_WHO = {
    "publicity closer": ("提前结束本批次公示的人", "who closed the batch's publicity early"),
    "holder": ("暂缓支付该项的人", "who put the item on hold"),
    "recorder": ("登记该异议的人", "who recorded the objection"),
}
"""A duty the messages word otherwise than "本批次的 …" / "the batch's …"."""


def no_batch(batch_id: int) -> NotFound:
    """The refusal of a batch id that names no batch; the ledger's batch filter gives an enterprise
    user the very same for a batch that holds none of its items, so that no one can tell which exist."""
    return NotFound(f"没有兑现批次 #{batch_id} (no such batch); 请查看批次列表 (see the list of batches)")


def _batch_row(s: Session, batch_id: int) -> PayoutBatchRow:
    row = s.get(PayoutBatchRow, batch_id)
    if row is None:
        raise no_batch(batch_id)
    return row


def _entry_row(s: Session, entry_id: int) -> PaymentLedgerRow:
    row = s.get(PaymentLedgerRow, entry_id)
    if row is None:
        raise NotFound(
            f"没有台账记录 #{entry_id} (no such ledger entry); 请查看支付台账 (see the payment ledger)"
        )
    return row


def _user_name(s: Session, user_id: int | None) -> str:
    row = s.get(UserRow, user_id) if user_id is not None else None
    return row.username if row is not None else f"#{user_id}"


def _item_row(s: Session, item_id: int) -> PayoutItemRow:
    row = s.get(PayoutItemRow, item_id)
    if row is None:
        raise no_item(item_id)
    return row


def no_item(item_id: int) -> NotFound:
    """The refusal of an item id that names no item; the web gives an enterprise user the very same
    for another firm's item, so that no one can tell which item ids exist."""
    return NotFound(f"没有名单项 #{item_id} (no such item); 请查看批次名单 (see the batch's items)")


def _items(s: Session, batch_id: int, *status: ItemStatus) -> list[PayoutItemRow]:
    q = select(PayoutItemRow).where(
        PayoutItemRow.batch_id == batch_id, PayoutItemRow.status.in_([x.value for x in status])
    )
    return list(s.scalars(q.order_by(PayoutItemRow.id)))


def _version(what: str, stored: int, given: int) -> None:
    """Refuse a write made from another version of *what* (``兑现批次 #3``): one behind was changed
    by someone since it was read; one ahead never existed, so the number was mistyped."""
    if given > stored:
        raise ConcurrentUpdate(
            f"{what} 版本号不对: 当前为 {stored}, 你填的是 {given} (wrong version: it is {stored}, "
            f"not {given}); 请查看当前版本后重试 / check the current version and retry"
        )
    if given != stored:
        raise ConcurrentUpdate(
            f"{what} 已被他人修改 (changed by someone else: version {stored}, you had {given}); "
            "请刷新后重试 / reload and retry"
        )


_FORWARD = (
    BatchStatus.DRAFT,
    BatchStatus.REVIEWED,
    BatchStatus.PUBLICIZED,
    BatchStatus.APPROVED,
    BatchStatus.PART_PAID,
    BatchStatus.PAID,
)
"""The statuses in the order the steps reach them (作废 is not on the way)."""


def _already(
    s: Session,
    b: PayoutBatchRow,
    step: BatchStatus,
    by: int | None,
    at: dt.datetime | None,
    zh: str,
    en: str,
    actor: User,
) -> None:
    """Refuse a step the batch already took (a second click on 审核, a form sent twice): *b* is at
    *step* or beyond, the step taken by *actor* (user id *by*) at *at*. Says so, with who and when,
    instead of the version check's "changed by someone else", which reads wrong when it was the
    same officer (for someone else it is true, and stays)."""
    if b.status == BatchStatus.CANCELLED.value or at is None or by != actor.id:
        return
    if _FORWARD.index(BatchStatus(b.status)) < _FORWARD.index(step):
        return
    when = beijing_text(at)
    who = _user_name(s, by)
    raise WrongStep(
        f"兑现批次 #{b.id} 已{zh} ({who}, {when}), 当前为{batch_label(b.status)}, 无需重复操作 "
        f"(batch #{b.id} was already {en} by {who} at {when}; nothing to do again)"
    )


def _check(b: PayoutBatchRow, expected_version: int, step: BatchStatus, what: str) -> None:
    _version(f"兑现批次 #{b.id}", b.version, expected_version)
    if b.status != step.value:
        raise WrongStep(
            f"兑现批次 #{b.id} 当前为{batch_label(b.status)}, 只有{batch_label(step)} 状态才能{what}"
        )


def _audit(
    actor: User, action: str, b: PayoutBatchRow, detail: dict[str, Any], ip: str, outcome: str = "ok"
) -> AuditRow:
    return audit_row(
        action,
        user_id=actor.id,
        username=actor.username,
        role=actor.role.value,
        target=f"batch:{b.id}",
        detail={"version": b.version, **detail},
        ip=ip,
        outcome=outcome,
    )
