"""Holding an approved payout item (暂缓支付) and the proof behind a reversal (冲正).

``payout_holds`` records each hold of one approved item: who held it, when and why, and how it
ended (``released`` for payment, or ``withdrawn``), by whom, when and why. At most one hold per item
is open (a partial unique index over ``outcome IS NULL``, on SQLite and PostgreSQL alike).

``payment_ledger`` gains what a reversal rests on: its kind (``reversal_kind``: ``returned`` 退汇,
``recovered`` 追回, ``error`` 误记, ``unrecovered`` 待追回), the evidence reference
(``reversal_evidence``: 回单号/凭证号) and the day the money came back (``money_back_on``), and for a
payment to recover, who recorded that and when (``recovery_noted_by``, ``recovery_noted_at``). Entries
reversed before this revision get the kind ``legacy`` (历史冲正, kind not recorded): what they rest on
was never recorded, so it is never guessed.

As in 0004 and 0006, SQLite gains the columns in place (``ALTER TABLE … ADD COLUMN … REFERENCES``):
nothing is copied. Downgrading refuses while a hold, a partly paid batch, a held item or a reversal
recorded with its kind exists: revision 0007 cannot hold them, and history is never thrown away to
make it fit (restore the backup taken before the upgrade).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = "outcome IS NULL"
LEDGER_COLUMNS: dict[str, tuple[str, sa.types.TypeEngine[Any]]] = {
    "reversal_kind": ("VARCHAR(16)", sa.String(16)),
    "reversal_evidence": ("VARCHAR(128)", sa.String(128)),
    "money_back_on": ("DATE", sa.Date()),
    "recovery_noted_at": ("DATETIME", sa.DateTime()),
}
"""New ledger columns (all nullable) → (SQLite type, SQLAlchemy type); plus ``recovery_noted_by``."""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _user(name: str, *, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("users.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payout_holds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("payout_items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _user("held_by", nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        _user("decided_by"),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_payout_holds_batch", "payout_holds", ["batch_id"])
    op.create_index(
        "uq_payout_holds_open_item",
        "payout_holds",
        ["item_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    for column, (sqlite_type, type_) in LEDGER_COLUMNS.items():
        if _sqlite():
            op.execute(f"ALTER TABLE payment_ledger ADD COLUMN {column} {sqlite_type}")
        else:
            op.add_column("payment_ledger", sa.Column(column, type_, nullable=True))
    if _sqlite():
        op.execute("ALTER TABLE payment_ledger ADD COLUMN recovery_noted_by INTEGER REFERENCES users (id)")
    else:
        op.add_column("payment_ledger", sa.Column("recovery_noted_by", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "payment_ledger", "users", ["recovery_noted_by"], ["id"])
    # reversed before this revision: what the reversal rested on was not recorded (never guessed)
    op.execute("UPDATE payment_ledger SET reversal_kind = 'legacy' WHERE reversed_at IS NOT NULL")


def downgrade() -> None:
    bind = op.get_bind()
    count = {
        "holds": "SELECT count(*) FROM payout_holds",
        "part_paid": "SELECT count(*) FROM payout_batches WHERE status = 'part_paid'",
        "held": "SELECT count(*) FROM payout_items WHERE status = 'held'",
        "kinds": "SELECT count(*) FROM payment_ledger WHERE reversal_kind IS NOT NULL "
        "AND reversal_kind <> 'legacy'",
    }
    found = {name: int(bind.execute(sa.text(sql)).scalar() or 0) for name, sql in count.items()}
    if any(found.values()):
        raise RuntimeError(
            f"不能降级到 0007: 有 {found['holds']} 条暂缓支付记录、{found['part_paid']} 个部分兑现批次、"
            f"{found['held']} 个暂缓支付名单项、{found['kinds']} 笔记明类型的冲正或待追回记录, 0007 无法保存它们 "
            "(cannot downgrade: revision 0007 cannot hold payout holds, partly paid batches or the proof of "
            "reversals); 请从升级前的备份恢复 / restore the backup taken before the upgrade"
        )
    if _sqlite():
        for column in ("recovery_noted_by", *reversed(LEDGER_COLUMNS)):
            op.execute(f"ALTER TABLE payment_ledger DROP COLUMN {column}")
    else:
        op.drop_column("payment_ledger", "recovery_noted_by")  # its foreign key goes with it
        for column in reversed(LEDGER_COLUMNS):
            op.drop_column("payment_ledger", column)
    op.drop_index("uq_payout_holds_open_item", table_name="payout_holds")
    op.drop_index("ix_payout_holds_batch", table_name="payout_holds")
    op.drop_table("payout_holds")
