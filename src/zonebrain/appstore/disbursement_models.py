"""Tables of the policy 兑现 workflow (issue 6, point 4): batches, items, objections, the payment
ledger and the 待核实 queue.

Created by migration ``0003``; ``0004`` adds cancelling a batch (作废) and reversing a ledger entry
(冲正); ``0007`` adds payments made before ZoneBrain (往年已兑现导入: ledger rows of ``source``
``import``, and the imports that wrote them); ``0008`` holding an approved item (暂缓支付) and
the proof behind a reversal (its kind, evidence, the day the money came back). Money is integer fen (BigInteger). Batches and verification requests carry a version
column (optimistic concurrency: a stale write raises ``ConcurrentUpdate``). The ledger's UNIQUE
(uscc, policy_id, clause_id, period) over the entries not reversed is the idempotency key: whatever
the code above it does, one award is never paid twice at once; a reversed entry stays in the table
and no longer holds the key. ``period`` is the year (``"2024"``) or ``"once"`` for one-time awards
(首次认定, 首次突破), so those are paid once in any year.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zonebrain.appstore._models import Base

__all__ = [
    "LEDGER_SOURCES",
    "PaymentLedgerRow",
    "PayoutBatchRow",
    "PayoutHoldRow",
    "PayoutItemRow",
    "PayoutObjectionRow",
    "PriorPaymentImportRow",
    "VerificationRequestRow",
]


class PayoutBatchRow(Base):
    """A 兑现批次: the eligible awards of one recorded warehouse run, carried to payment."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    period: Mapped[int] = mapped_column(Integer, nullable=False)
    policies: Mapped[str] = mapped_column(Text, nullable=False)
    """Comma-separated policy ids the batch covers."""
    title: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    """draft → reviewed → publicized (公示中) → approved → paid; or cancelled (作废) from any but paid."""
    publicity_start: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    publicity_end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    """The last day of the 公示期 (inclusive)."""
    publicity_closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    """Set when the 公示期 was closed explicitly (before its end date), with a reason."""
    publicity_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    publicized_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    """Who published the list (公示); before revision 0006, from the audit log."""
    publicity_closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    publicized_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why the batch was cancelled (作废); None while it is not."""
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (
        Index("ix_payout_batches_run", "run_id"),
        Index("ix_payout_batches_status", "status"),
    )


class PayoutItemRow(Base):
    """One award of a batch (enterprise × policy × clause) and where it stands."""

    __tablename__ = "payout_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id", ondelete="CASCADE"), nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    enterprise_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_id: Mapped[str] = mapped_column(String(64), nullable=False)
    policy_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    clause_id: Mapped[str] = mapped_column(String(64), nullable=False)
    clause_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    clause_title: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    period: Mapped[str] = mapped_column(String(8), nullable=False)
    """The ledger period: the year, or ``once`` for a one-time award."""
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    """listed, objected, withdrawn, approved, paid, already_paid; reversed (its payment was 冲正)."""
    ledger_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The ledger entry that paid it (this batch's, or the earlier one for ``already_paid``)."""
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("batch_id", "uscc", "policy_id", "clause_id", name="uq_payout_items_batch_key"),
        Index("ix_payout_items_key", "uscc", "policy_id", "clause_id", "period"),
    )


class PayoutObjectionRow(Base):
    """An objection (异议) raised during the 公示期 against one item, and how it was resolved."""

    __tablename__ = "payout_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("payout_items.id", ondelete="CASCADE"), nullable=False)
    batch_id: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    raised_by: Mapped[str] = mapped_column(String(128), nullable=False)
    """Who raised it (a name or 匿名)."""
    raised_by_role: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    """In what capacity (企业, 群众, 部门 …)."""
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """None while open; ``upheld`` (the item is withdrawn) or ``dismissed``."""
    resolution_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_payout_objections_batch", "batch_id"),)


OPEN_HOLD = text("outcome IS NULL")
"""A hold not yet ended (released or withdrawn): at most one per item (the partial unique index)."""


class PayoutHoldRow(Base):
    """A hold (暂缓支付) of one approved item, with why, and how it ended (migration ``0008``)."""

    __tablename__ = "payout_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("payout_items.id", ondelete="CASCADE"), nullable=False)
    batch_id: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    held_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    held_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """None while held; ``released`` (back to approved, to be paid) or ``withdrawn``."""
    outcome_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_payout_holds_batch", "batch_id"),
        Index(
            "uq_payout_holds_open_item",
            "item_id",
            unique=True,
            sqlite_where=OPEN_HOLD,
            postgresql_where=OPEN_HOLD,
        ),
    )


class PriorPaymentImportRow(Base):
    """One import of payments made before ZoneBrain (往年已兑现导入): which file, read by whom, when.

    Its rows are ledger entries of ``source`` ``import`` naming it (``import_id``); an import that
    added nothing (every row already in the ledger) or was rejected leaves no row here, only its
    audit-log entry."""

    __tablename__ = "prior_payment_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(String(256), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    sheet: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The worksheet read (.xlsx); None for a CSV."""
    rows_in: Mapped[int] = mapped_column(Integer, nullable=False)
    """Data rows in the file."""
    rows_imported: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_present: Mapped[int] = mapped_column(Integer, nullable=False)
    """Rows whose award a live ledger entry already held at the same amount (nothing written)."""
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    """The amount of the rows imported."""
    imported_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (Index("ix_prior_payment_imports_sha256", "file_sha256"),)


LEDGER_SOURCES = ("batch", "import")
"""Where a ledger entry comes from: ``batch`` (paid by a 兑现批次 of ZoneBrain) or ``import`` (paid
before ZoneBrain, imported from the zone's records: 往年已兑现导入)."""
SOURCE_CHECK = (
    "(source = 'batch' AND batch_id IS NOT NULL AND item_id IS NOT NULL AND run_id IS NOT NULL "
    "AND import_id IS NULL) OR (source = 'import' AND batch_id IS NULL AND item_id IS NULL "
    "AND run_id IS NULL AND import_id IS NOT NULL AND reference IS NOT NULL)"
)
"""What each source must (and must not) name: the database refuses a batch entry without its batch,
item and run, and an imported one without its import and reference (revision 0007)."""

LIVE_ENTRY = text("reversed_at IS NULL")
"""The ledger entries that hold their key: those not reversed (the partial unique index's WHERE)."""


class PaymentLedgerRow(Base):
    """The payment ledger (支付台账): one row per award paid; the unique key makes paying idempotent.

    A reversed entry (冲正: the bank returned the transfer, or it was paid in error) is never
    deleted; it is marked with ``reversed_at``, ``reversed_by`` and ``reversal_reason`` and no
    longer holds its key, so the award can be paid again, once.

    An entry of ``source`` ``import`` is a payment made before ZoneBrain (往年已兑现导入): it has no
    batch, item or run, but its import (``import_id``), the file's ``reference`` (文号/批次/凭证号),
    the award's year and, as the registry named them when it was imported, the enterprise's name
    and park; ``paid_at`` is the payment date (00:00 Beijing), ``paid_by`` who imported it. It holds
    its key like any other entry, so the unique index refuses a second payment of it."""

    __tablename__ = "payment_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    policy_id: Mapped[str] = mapped_column(String(64), nullable=False)
    clause_id: Mapped[str] = mapped_column(String(64), nullable=False)
    period: Mapped[str] = mapped_column(String(8), nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id"), nullable=True)
    """The paying batch; None for an imported entry (as ``item_id`` and ``run_id``)."""
    item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paid_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    paid_by: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reversed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reversal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reversal_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """What the reversal rests on (``disbursement.ReversalKind``; ``legacy`` for those before 0008);
    ``unrecovered`` on a live entry: the money is to be recovered, the entry still holds its key."""
    reversal_evidence: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """回单号/凭证号 of the returned or recovered money."""
    money_back_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    """The day the money came back (退汇, 追回)."""
    recovery_noted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    recovery_noted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    """Who recorded that the payment is to be recovered (待追回), and when."""
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="batch", server_default="batch")
    """:data:`LEDGER_SOURCES`: ``batch`` or ``import``."""
    import_id: Mapped[int | None] = mapped_column(ForeignKey("prior_payment_imports.id"), nullable=True)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    """An imported entry's 文号/批次/凭证号, as the file wrote it (required for imports)."""
    award_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """An imported entry's 年度 as the file wrote it (``period`` is ``once`` for a one-time award)."""
    enterprise_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    """An imported entry's enterprise name (a batch entry's is on its item)."""
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """An imported entry's park, from the registry when it was imported (a batch entry's is on its item)."""

    __table_args__ = (
        Index(
            "uq_payment_ledger_live_key",
            "uscc",
            "policy_id",
            "clause_id",
            "period",
            unique=True,
            sqlite_where=LIVE_ENTRY,
            postgresql_where=LIVE_ENTRY,
        ),
        Index("ix_payment_ledger_batch", "batch_id"),
        Index("ix_payment_ledger_import", "import_id"),
        CheckConstraint(SOURCE_CHECK, name="ck_payment_ledger_source"),
    )


class VerificationRequestRow(Base):
    """The 待核实 queue (快申快享): an undetermined result and what to ask the enterprise for."""

    __tablename__ = "verification_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("payout_batches.id", ondelete="SET NULL"), nullable=True
    )
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    enterprise_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_id: Mapped[str] = mapped_column(String(64), nullable=False)
    policy_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    clause_id: Mapped[str] = mapped_column(String(64), nullable=False)
    clause_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    period: Mapped[int] = mapped_column(Integer, nullable=False)
    missing_fields: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """As the run named them, e.g. ``tax_fen[2024],rd_expense_fen[2024]``."""
    ask: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """What to ask the enterprise for, in Chinese (one item per line)."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    """open → requested → answered → closed."""
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (
        Index("ix_verification_requests_key", "uscc", "policy_id", "clause_id", "period"),
        Index("ix_verification_requests_status", "status"),
    )
