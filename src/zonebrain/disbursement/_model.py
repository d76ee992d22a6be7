"""The workflow's vocabulary: statuses, the records the service returns, its errors, USCC masking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from zonebrain.core.errors import InputError, ZoneBrainError


class BatchStatus(StrEnum):
    """Where a 兑现批次 stands. Each step moves it forward by one; nothing moves it back.

    A batch not yet paid may be cancelled (作废) instead; a cancelled batch is final."""

    DRAFT = "draft"
    """草稿: built from a recorded run, not yet checked."""
    REVIEWED = "reviewed"
    """已审核: an officer checked the list."""
    PUBLICIZED = "publicized"
    """公示中: the list is public; objections are recorded."""
    APPROVED = "approved"
    """已审批: a second role approved it after the 公示期."""
    PART_PAID = "part_paid"
    """部分兑现: paid but for items on hold (暂缓支付); 已兑现 once each is paid or withdrawn."""
    PAID = "paid"
    """已兑现: the awards are in the payment ledger."""
    CANCELLED = "cancelled"
    """已作废: cancelled with a reason before payment; its awards may go into a new batch."""


BATCH_LABELS = {
    BatchStatus.DRAFT: "草稿",
    BatchStatus.REVIEWED: "已审核",
    BatchStatus.PUBLICIZED: "公示中",
    BatchStatus.APPROVED: "已审批",
    BatchStatus.PART_PAID: "部分兑现",
    BatchStatus.PAID: "已兑现",
    BatchStatus.CANCELLED: "已作废",
}
"""Chinese labels of the batch statuses (messages, the CLI); the web's zh-CN ``payout.status_*``
say the same (tests/disbursement/test_labels.py pins it)."""
RESOLUTIONS = {"upheld": "成立", "dismissed": "不成立"}
"""Chinese labels of an objection's resolution (messages, the CLI)."""


def batch_label(status: BatchStatus | str) -> str:
    """A batch status as messages name it: the Chinese label with the code, e.g. ``已作废 (cancelled)``."""
    code = BatchStatus(status)
    return f"{BATCH_LABELS[code]} ({code.value})"


class ItemStatus(StrEnum):
    LISTED = "listed"
    """列入名单 (on the 公示 list)."""
    OBJECTED = "objected"
    """有异议待处理 (an open objection)."""
    WITHDRAWN = "withdrawn"
    """已撤回 (an objection was upheld)."""
    APPROVED = "approved"
    """已审批, 待支付."""
    PAID = "paid"
    """本批次已支付."""
    ALREADY_PAID = "already_paid"
    """已兑现过 (the ledger holds this enterprise × policy × clause × period): never paid twice."""
    REVERSED = "reversed"
    """已冲正: paid by this batch, then the ledger entry was reversed (returned by the bank, or in error)."""
    HELD = "held"
    """暂缓支付: approved, then held (new facts about the firm); paid only once released."""


class VerificationStatus(StrEnum):
    OPEN = "open"
    """待联系."""
    REQUESTED = "requested"
    """已通知企业补充材料."""
    ANSWERED = "answered"
    """企业已提交."""
    CLOSED = "closed"
    """已办结."""


ITEM_LABELS = {
    ItemStatus.LISTED: "列入名单",  # as the web says: a draft's items are not yet public
    ItemStatus.OBJECTED: "有异议",
    ItemStatus.WITHDRAWN: "已撤回",
    ItemStatus.APPROVED: "已审批",
    ItemStatus.PAID: "已兑现",
    ItemStatus.ALREADY_PAID: "此前已兑现",
    ItemStatus.REVERSED: "已冲正",
    ItemStatus.HELD: "暂缓支付",
}
"""Chinese labels of the item statuses (lists, exports)."""


PAID_BY_BATCH = "batch"
"""A ledger entry's ``source``: paid by a 兑现批次 of ZoneBrain."""
IMPORTED = "import"
"""A ledger entry's ``source``: paid before ZoneBrain, imported from the zone's records."""
SOURCE_LABELS = {PAID_BY_BATCH: "兑现批次", IMPORTED: "往年导入"}
"""Chinese labels of a ledger entry's source (the web's ``payout.source_*`` say the same)."""


class NotAllowed(ZoneBrainError):
    """The user's role, or who they are (the four-eyes rule), does not allow this step; the web answers 403."""


class RoleRefused(NotAllowed):
    """The user's role (or an inactive account) does not allow this step at all; audited ``denied``."""


class DutyRefused(NotAllowed):
    """The user already took a step this one must be kept apart from (四眼原则, segregation of
    duties: e.g. the batch's creator reviewing it); audited ``denied`` with :attr:`reason`."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        """Why, in a few words (Chinese, then English), for the audit row (the message is for the user)."""


class NotFound(ZoneBrainError, LookupError):
    """No batch, item, objection or request with that id; the web answers 404."""


class WrongStep(InputError):
    """The batch is not at the step this action needs (e.g. approving a batch still in 公示)."""


class StepRefused(WrongStep):
    """A step refused for what it would act on, not who asks (data imported since the run, a newer
    run of the period), until the officer acknowledges it or gives a reason; audited ``refused``
    with :attr:`detail`."""

    def __init__(self, message: str, *, detail: dict[str, object]) -> None:
        super().__init__(message)
        self.detail = detail
        """What the audit row records (the reason, the imports or runs in question)."""


def mask_uscc(code: str) -> str:
    """A USCC for a public 公示 list: the first 4 and last 2 characters, the rest as ``*``.

    >>> mask_uscc("91410100MA44TF5G12")
    '9141************12'
    >>> mask_uscc("P1")
    '**'
    """
    code = code.strip()
    if len(code) < 8:  # too short to show any part safely
        return "*" * len(code)
    return code[:4] + "*" * (len(code) - 6) + code[-2:]


@dataclass(frozen=True)
class Batch:
    id: int
    run_id: str
    as_of: dt.date
    period: int
    policies: tuple[str, ...]
    title: str
    status: BatchStatus
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    publicity_closed_at: dt.datetime | None
    publicity_note: str
    created_by: str
    reviewed_by: str | None
    approved_by: str | None
    paid_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    counts: dict[str, int]
    """Items per status."""
    total_fen: int
    """The amount of the items still to be paid or paid by this batch (listed … paid); 0 once cancelled."""
    cancelled_by: str | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str = ""
    """Why it was cancelled (作废), when it was."""
    publicized_by: str | None = None
    """Who published the list (公示); None before it was, or when a batch published before this
    was recorded has no audit entry naming its publisher."""
    publicity_closed_by: str | None = None
    """Who closed the public notice before its end date, when someone did."""

    def publicity_begun(self, today: dt.date) -> bool:
        """Has the 公示 begun by *today* (Beijing)? A batch with no start day: it has."""
        return self.publicity_start is None or today >= self.publicity_start

    def publicity_over(self, today: dt.date) -> bool:
        """Is the 公示 over by *today*: closed early, or its last day passed?"""
        return self.publicity_closed_at is not None or (
            self.publicity_end is not None and today > self.publicity_end
        )


@dataclass(frozen=True)
class Item:
    id: int
    batch_id: int
    uscc: str
    enterprise_name: str
    park_id: str | None
    policy_id: str
    policy_name: str
    clause_id: str
    clause_ref: str
    clause_title: str
    period: str
    amount_fen: int
    status: ItemStatus
    ledger_id: int | None


@dataclass(frozen=True)
class Objection:
    id: int
    item_id: int
    batch_id: int
    text: str
    raised_by: str
    raised_by_role: str
    recorded_by: str
    created_at: dt.datetime
    resolution: str | None
    resolution_note: str
    resolved_by: str | None
    resolved_at: dt.datetime | None
    late: bool = False
    """Recorded after the 公示期 ended (its last day passed, or it was closed early). A late objection
    is still recorded and must still be resolved before approval: money is not paid on a disputed
    fact because the objection came a day late; the list and the audit log show it as late."""


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    uscc: str
    policy_id: str
    clause_id: str
    period: str
    amount_fen: int
    batch_id: int | None
    """The paying batch; None for a payment made before ZoneBrain (``source`` ``import``)."""
    item_id: int | None
    run_id: str | None
    paid_at: dt.datetime
    """When it was paid; for an imported entry, its payment date (兑现日期) at 00:00 Beijing."""
    paid_by: str
    """Who recorded the payment: the batch's payer, or who imported the entry."""
    reversed_at: dt.datetime | None = None
    """When the entry was reversed (冲正); None for a live entry."""
    reversed_by: str | None = None
    reversal_reason: str = ""
    reversal_kind: str | None = None
    """What the reversal rests on (:class:`ReversalKind`'s value); ``unrecovered`` on a live entry:
    the payment is to be recovered (待追回) and still holds its key."""
    reversal_evidence: str = ""
    """回单号/凭证号 of the money that came back (退汇, 追回)."""
    money_back_on: dt.date | None = None
    """The day the money came back (退汇, 追回)."""
    recovery_noted_at: dt.datetime | None = None
    """When the payment was recorded as to be recovered (待追回), if it was."""
    source: str = "batch"
    """``batch`` (paid by a 兑现批次) or ``import`` (paid before ZoneBrain: 往年已兑现导入)."""
    reference: str = ""
    """An imported entry's 文号/批次/凭证号, as its file wrote it."""
    import_id: int | None = None
    """The import that wrote it (``source`` ``import``)."""
    award_year: int | None = None
    """An imported entry's 年度 (the award's period) as its file wrote it."""

    @property
    def reversed(self) -> bool:
        """Reversed entries stay in the ledger but pay nothing and no longer hold their key."""
        return self.reversed_at is not None

    @property
    def imported(self) -> bool:
        """A payment made before ZoneBrain, imported from the zone's records (往年导入)."""
        return self.source == IMPORTED

    def source_text(self) -> str:
        """Where the entry comes from, as the CLI says it: ``兑现批次 #3`` or ``往年导入 #2, 凭证 …``."""
        if self.imported:
            return f"{SOURCE_LABELS[IMPORTED]} #{self.import_id}, 凭证 {self.reference}"
        return f"{SOURCE_LABELS[PAID_BY_BATCH]} #{self.batch_id}"


class ReversalKind(StrEnum):
    """What a reversal (冲正) rests on. Only money back (退汇, 追回) or no money moved (误记) reverses
    an entry and frees its key for a new payment; a payment still to recover is recorded as such and
    keeps its key, so the award is never paid twice while the first payment is still out."""

    RETURNED = "returned"
    """退汇: the bank returned the transfer; its 回单号 and the day the money came back are required."""
    RECOVERED = "recovered"
    """追回: the money was recovered from the firm; its 凭证号 and the day it came back are required."""
    ERROR = "error"
    """误记: booked in error, no money moved; the reason says what happened."""
    UNRECOVERED = "unrecovered"
    """待追回: paid in error, the money not back yet: recorded on the entry, which stays live (it
    counts as paid and holds its key) until a 追回 reversal with its evidence."""
    LEGACY = "legacy"
    """历史冲正: reversed before the kind was recorded (migration 0008); never given to the service."""


REVERSAL_LABELS = {
    ReversalKind.RETURNED: "退汇",
    ReversalKind.RECOVERED: "追回",
    ReversalKind.ERROR: "误记",
    ReversalKind.UNRECOVERED: "待追回",
    ReversalKind.LEGACY: "历史冲正 (类型未记录)",
}
"""Chinese labels of the reversal kinds (messages, the CLI, exports); the web's ``payout.kind_*``."""
MONEY_BACK = frozenset({ReversalKind.RETURNED, ReversalKind.RECOVERED})
"""Kinds whose money came back: the evidence reference and the day it came back are required."""
REOPENING = MONEY_BACK | {ReversalKind.ERROR}
"""Kinds that reverse the entry and free its key (the award may be paid again, once)."""


@dataclass(frozen=True)
class Hold:
    """One hold (暂缓支付) of an approved item: who held it, when and why, and how it ended."""

    id: int
    item_id: int
    batch_id: int
    reason: str
    held_by: str
    held_at: dt.datetime
    outcome: str | None = None
    """None while held; ``released`` (to be paid) or ``withdrawn`` (not paid)."""
    outcome_note: str = ""
    decided_by: str | None = None
    decided_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return self.outcome is None


HOLD_OUTCOMES = {"released": "已放行", "withdrawn": "已撤回", "cancelled": "随批次作废"}
"""Chinese labels of how a hold ended (messages, the CLI)."""


@dataclass(frozen=True)
class PayResult:
    """What one ``pay`` did: the items paid now, and those the ledger already held (never paid
    twice); of the latter, when the batch was paid before (a second click), those this batch itself
    paid then (:attr:`paid_before`)."""

    batch: Batch
    paid: tuple[Item, ...]
    already_paid: tuple[Item, ...]
    """Not paid by this call because the ledger held them: paid by another batch, or by this one
    at an earlier ``pay`` (those are also in :attr:`paid_before`)."""
    paid_before: tuple[Item, ...] = ()
    """Of :attr:`already_paid`, those this same batch paid at an earlier ``pay`` (status ``paid``)."""
    held: tuple[Item, ...] = ()
    """The batch's items on hold (暂缓支付), left unpaid; the batch is then 部分兑现 (``part_paid``)."""

    @property
    def paid_elsewhere(self) -> int:
        """How many of :attr:`already_paid` another batch paid (not this one)."""
        return len(self.already_paid) - len(self.paid_before)

    @property
    def paid_fen(self) -> int:
        return sum(i.amount_fen for i in self.paid)


@dataclass(frozen=True)
class VerificationRequest:
    id: int
    run_id: str
    batch_id: int | None
    uscc: str
    enterprise_name: str
    park_id: str | None
    policy_id: str
    policy_name: str
    clause_id: str
    clause_ref: str
    period: int
    missing_fields: str
    ask: str
    status: VerificationStatus
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
