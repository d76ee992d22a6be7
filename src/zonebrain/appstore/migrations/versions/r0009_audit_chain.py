"""The audit log's hash chain: every row carries the SHA-256 of its content and of the row before it.

``audit_log`` gains ``seq`` (place in the chain, unique), ``prev_hash`` and ``row_hash``;
``audit_chain_head`` (one row) keeps the newest row's seq, id and hash, and the chain's anchor.
From this revision on, each transaction that writes audit rows chains them as it commits
(``appstore/_chain.py``).

Rows written before this revision are chained here, in id order, and the head records them as
the anchor (``anchor_seq`` rows, ``anchor_hash``, ``anchored_at`` = when this migration ran). The
chain proves nothing about those rows before that moment (whoever could edit the database then
could have edited them): only that they have not changed since.

Columns are added in place on both engines (no table copy). Downgrading drops the head table, the
index and the three columns; the rows of the log stay.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from zonebrain.appstore._chain import CONTENT, GENESIS, HEAD_ID, row_hash
from zonebrain.core.clock import utcnow

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = ("seq", "prev_hash", "row_hash")
CHUNK = 5000
"""Rows chained per statement when the existing log is chained."""
_LOG = sa.table(
    "audit_log", *(sa.column(c, sa.DateTime() if c == "at" else None) for c in (*CONTENT, *COLUMNS))
)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(64), nullable=True))
    op.create_index("uq_audit_log_seq", "audit_log", ["seq"], unique=True)
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("anchor_seq", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(64), nullable=False),
        sa.Column("anchored_at", sa.DateTime(), nullable=False),
    )
    seq, last_id, prev = _chain_existing(op.get_bind())
    op.execute(
        sa.text(
            "INSERT INTO audit_chain_head (id, seq, last_id, last_hash, anchor_seq, anchor_hash, anchored_at)"
            " VALUES (:id, :seq, :last_id, :hash, :seq, :hash, :at)"
        ).bindparams(
            sa.bindparam("at", type_=sa.DateTime()),
            id=HEAD_ID, seq=seq, last_id=last_id, hash=prev, at=utcnow(),
        )
    )  # fmt: skip


def _chain_existing(bind: sa.Connection) -> tuple[int, int | None, str]:
    """Chain the rows already in the log, in id order; the newest row's (seq, id, hash)."""
    seq, last_id, prev = 0, None, GENESIS
    while True:
        q = sa.select(*(_LOG.c[k] for k in CONTENT)).order_by(_LOG.c.id).limit(CHUNK)
        if last_id is not None:
            q = q.where(_LOG.c.id > last_id)
        rows = [dict(r._mapping) for r in bind.execute(q)]
        if not rows:
            return seq, last_id, prev
        links: list[dict[str, Any]] = []
        for r in rows:
            seq += 1
            r.update(seq=seq, prev_hash=prev)
            prev = row_hash(r)
            links.append({"b_id": r["id"], "b_seq": seq, "b_prev": r["prev_hash"], "b_hash": prev})
        bind.execute(
            sa.update(_LOG)
            .where(_LOG.c.id == sa.bindparam("b_id"))
            .values(
                seq=sa.bindparam("b_seq"), prev_hash=sa.bindparam("b_prev"), row_hash=sa.bindparam("b_hash")
            ),
            links,
        )
        last_id = rows[-1]["id"]


def downgrade() -> None:
    op.drop_table("audit_chain_head")
    op.drop_index("uq_audit_log_seq", table_name="audit_log")
    for column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE audit_log DROP COLUMN {column}")
        else:
            op.drop_column("audit_log", column)
