"""Cancelling a payout batch (作废) and reversing a ledger entry (冲正).

``payout_batches`` gains who cancelled it, when and why. ``payment_ledger`` gains who reversed an
entry, when and why, and its idempotency key becomes a partial unique index over the entries not
reversed (``WHERE reversed_at IS NULL``, on SQLite and PostgreSQL alike): a reversed entry stays
in the ledger and the award may be paid again, once.

SQLite cannot add a foreign key or drop a constraint in place. ``payment_ledger`` is copied
(Alembic's batch mode); nothing references it, so the copy is safe. ``payout_batches`` is not
copied: items, ledger rows and 待核实 requests reference it, and with foreign keys on, dropping
the old table would delete the items (ON DELETE CASCADE). Its new columns are added with SQLite's
own ``ALTER TABLE … ADD COLUMN … REFERENCES`` and removed with ``DROP COLUMN`` (SQLite 3.35+).

Downgrading refuses while a batch is cancelled or an entry reversed: revision 0003 can hold
neither, and history is never thrown away to make it fit.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LIVE = "reversed_at IS NULL"
KEY = ["uscc", "policy_id", "clause_id", "period"]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        for ddl in (
            "ALTER TABLE payout_batches ADD COLUMN cancelled_by INTEGER REFERENCES users (id)",
            "ALTER TABLE payout_batches ADD COLUMN cancelled_at DATETIME",
            "ALTER TABLE payout_batches ADD COLUMN cancel_reason TEXT",
        ):
            op.execute(ddl)
    else:
        op.add_column("payout_batches", sa.Column("cancelled_by", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "payout_batches", "users", ["cancelled_by"], ["id"])
        op.add_column("payout_batches", sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        op.add_column("payout_batches", sa.Column("cancel_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("payment_ledger") as ledger:
        ledger.add_column(sa.Column("reversed_at", sa.DateTime(), nullable=True))
        ledger.add_column(sa.Column("reversed_by", sa.Integer(), nullable=True))
        ledger.add_column(sa.Column("reversal_reason", sa.Text(), nullable=True))
        ledger.create_foreign_key("fk_payment_ledger_reversed_by", "users", ["reversed_by"], ["id"])
        ledger.drop_constraint("uq_payment_ledger_key", type_="unique")
    # the idempotency key, now over the entries that were not reversed
    op.create_index(
        "uq_payment_ledger_live_key",
        "payment_ledger",
        KEY,
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    bind = op.get_bind()
    cancelled = bind.execute(
        sa.text("SELECT count(*) FROM payout_batches WHERE status = 'cancelled'")
    ).scalar()
    reversed_ = bind.execute(
        sa.text("SELECT count(*) FROM payment_ledger WHERE reversed_at IS NOT NULL")
    ).scalar()
    if cancelled or reversed_:
        raise RuntimeError(
            f"不能降级到 0003: 有 {cancelled} 个已作废批次、{reversed_} 笔已冲正台账记录, 0003 无法保存它们 "
            "(cannot downgrade: revision 0003 cannot hold cancelled batches or reversed ledger entries); "
            "请从升级前的备份恢复 / restore the backup taken before the upgrade"
        )
    op.drop_index("uq_payment_ledger_live_key", table_name="payment_ledger")
    with op.batch_alter_table("payment_ledger") as ledger:
        ledger.drop_constraint("fk_payment_ledger_reversed_by", type_="foreignkey")
        ledger.drop_column("reversal_reason")
        ledger.drop_column("reversed_by")
        ledger.drop_column("reversed_at")
        ledger.create_unique_constraint("uq_payment_ledger_key", KEY)
    if _sqlite():
        for column in ("cancel_reason", "cancelled_at", "cancelled_by"):
            op.execute(f"ALTER TABLE payout_batches DROP COLUMN {column}")
    else:
        op.drop_column("payout_batches", "cancel_reason")
        op.drop_column("payout_batches", "cancelled_at")
        op.drop_column("payout_batches", "cancelled_by")  # its foreign key goes with it
