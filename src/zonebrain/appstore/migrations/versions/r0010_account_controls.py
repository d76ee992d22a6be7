"""Who gave each account its powers: the table ``account_grants``.

The payout workflow's four eyes compared account ids only, so one administrator could create two
accounts and take every step with them (internal-audit QA). With this table an account counts as
the same person as the user who created it or last gave it its role, and a fresh grant waits a
cooling-off time before a payout step (docs/adr/, "one administrator cannot move money alone").

One row per account a user of the app created or last granted: ``created_by``, the user who
created it; ``granted_by`` and ``granted_at``, who last created it, changed its role or scope, or
activated it again, and when. No row (or a null) means the operator on the server (``zonebrain
users …``, the demo) and, for every account that exists when this revision runs, unknown: nothing
recorded who made them, and nothing is guessed, so the migration writes no row.

A table of its own rather than columns on ``users``: an account made the operator's way writes
``users`` alone, and SQLite needs no copy of ``users`` (which its sessions reference). Downgrading
drops the table; the audit log still says who created each account (``user.add``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_grants",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("granted_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("account_grants")
