"""Policy 兑现 workflow: payout batches and items, objections, the payment ledger (with its
idempotency key) and the 待核实 verification queue (issue 6, point 4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _user(name: str, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("users.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payout_batches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("policies", sa.Text(), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("publicity_start", sa.Date(), nullable=True),
        sa.Column("publicity_end", sa.Date(), nullable=True),
        sa.Column("publicity_closed_at", sa.DateTime(), nullable=True),
        sa.Column("publicity_note", sa.Text(), nullable=False),
        _user("created_by", nullable=False),
        _user("reviewed_by"),
        _user("approved_by"),
        _user("paid_by"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("publicized_at", sa.DateTime(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_payout_batches_run", "payout_batches", ["run_id"])
    op.create_index("ix_payout_batches_status", "payout_batches", ["status"])
    op.create_table(
        "payout_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "batch_id",
            sa.Integer(),
            sa.ForeignKey("payout_batches.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("enterprise_name", sa.String(256), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_name", sa.String(256), nullable=False),
        sa.Column("clause_id", sa.String(64), nullable=False),
        sa.Column("clause_ref", sa.String(64), nullable=False),
        sa.Column("clause_title", sa.String(256), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("batch_id", "uscc", "policy_id", "clause_id", name="uq_payout_items_batch_key"),
    )
    op.create_index("ix_payout_items_key", "payout_items", ["uscc", "policy_id", "clause_id", "period"])
    op.create_table(
        "payout_objections",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "item_id", sa.Integer(), sa.ForeignKey("payout_items.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(128), nullable=False),
        sa.Column("raised_by_role", sa.String(64), nullable=False),
        _user("recorded_by", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        _user("resolved_by"),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_payout_objections_batch", "payout_objections", ["batch_id"])
    op.create_table(
        "payment_ledger",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("clause_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("payout_batches.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        _user("paid_by", nullable=False),
        # the idempotency key: one award is paid once, whatever runs or batches ask again
        sa.UniqueConstraint("uscc", "policy_id", "clause_id", "period", name="uq_payment_ledger_key"),
    )
    op.create_index("ix_payment_ledger_batch", "payment_ledger", ["batch_id"])
    op.create_table(
        "verification_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column(
            "batch_id",
            sa.Integer(),
            sa.ForeignKey("payout_batches.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("enterprise_name", sa.String(256), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_name", sa.String(256), nullable=False),
        sa.Column("clause_id", sa.String(64), nullable=False),
        sa.Column("clause_ref", sa.String(64), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("missing_fields", sa.Text(), nullable=False),
        sa.Column("ask", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _user("updated_by"),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_verification_requests_key", "verification_requests", ["uscc", "policy_id", "clause_id", "period"]
    )
    op.create_index("ix_verification_requests_status", "verification_requests", ["status"])


def downgrade() -> None:
    op.drop_table("verification_requests")
    op.drop_table("payment_ledger")
    op.drop_table("payout_objections")
    op.drop_table("payout_items")
    op.drop_table("payout_batches")
