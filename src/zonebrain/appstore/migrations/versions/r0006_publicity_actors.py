"""Who published a payout batch's list (公示) and who closed its publicity early.

``payout_batches`` recorded who created, reviewed, approved, paid and cancelled a batch, but for the
公示 step only when; the audit log alone said who. It gains ``publicized_by`` and
``publicity_closed_by``. Batches published before this revision get them from the audit log: the
user of the latest successful ``disbursement.publicize`` (``disbursement.close_publicity``) entry
for the batch; a batch whose entry is missing keeps null (shown as unknown, never guessed).

As in 0004, SQLite gains the columns in place (``ALTER TABLE … ADD COLUMN … REFERENCES``), since
copying ``payout_batches`` would cascade to its items. Downgrading drops the two columns; the audit
log still holds who did each step.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTORS = {"publicized_by": ("publicized_at", "disbursement.publicize"),
          "publicity_closed_by": ("publicity_closed_at", "disbursement.close_publicity")}  # fmt: skip
"""New column → (the step's time column, the audit action that names its user)."""


def upgrade() -> None:
    for column in ACTORS:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE payout_batches ADD COLUMN {column} INTEGER REFERENCES users (id)")
        else:
            op.add_column("payout_batches", sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(None, "payout_batches", "users", [column], ["id"])
    for column, (at, action) in ACTORS.items():
        # the latest successful entry of the step for the batch (its target is 'batch:<id>'), and
        # only a user that still exists: the column is a foreign key
        op.execute(
            sa.text(
                f"UPDATE payout_batches SET {column} = (SELECT a.user_id FROM audit_log a "
                "WHERE a.action = :action AND a.outcome = 'ok' "
                "AND a.target = 'batch:' || CAST(payout_batches.id AS VARCHAR(20)) "
                "AND a.user_id IN (SELECT id FROM users) ORDER BY a.at DESC, a.id DESC LIMIT 1) "
                f"WHERE {at} IS NOT NULL"
            ).bindparams(action=action)
        )


def downgrade() -> None:
    for column in reversed(ACTORS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE payout_batches DROP COLUMN {column}")
        else:
            op.drop_column("payout_batches", column)  # its foreign key goes with it
