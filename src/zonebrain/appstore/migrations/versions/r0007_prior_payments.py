"""Payments made before ZoneBrain (往年已兑现导入) as rows of the one payment ledger (ADR 0013).

A zone adopting ZoneBrain has paid awards for years outside it. One-time awards (period ``once``)
consult the ledger, so a firm paid its 首次认定 award in 2022 would be found eligible and paid
again. Those payments are imported as ledger entries of ``source`` ``import``, so that every reader
of the ledger counts them and the live-key unique index refuses a second payment of their key.

``payment_ledger`` gains ``source`` (``batch`` for every existing row, or ``import``),
``import_id``, ``reference`` (文号/批次/凭证号), ``award_year``, ``enterprise_name`` and ``park_id``
(the last two for imported rows, which have no batch item to name them); ``batch_id``, ``item_id``
and ``run_id`` become nullable, and a CHECK constraint says what each source must name. The new
table ``prior_payment_imports`` records each import (file, SHA-256, sheet, rows, who, when).

On SQLite ``payment_ledger`` is copied (Alembic's batch mode: nothing references it, as in 0004);
its partial unique index (the live key) is dropped before the copy and created again after it, so
it keeps its ``WHERE reversed_at IS NULL`` whatever the copy does. PostgreSQL alters in place.

Downgrading refuses while an imported entry exists (0006 cannot hold an entry without a batch):
history is never thrown away to make it fit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LIVE = "reversed_at IS NULL"
KEY = ["uscc", "policy_id", "clause_id", "period"]
CHECK = (
    "(source = 'batch' AND batch_id IS NOT NULL AND item_id IS NOT NULL AND run_id IS NOT NULL "
    "AND import_id IS NULL) OR (source = 'import' AND batch_id IS NULL AND item_id IS NULL "
    "AND run_id IS NULL AND import_id IS NOT NULL AND reference IS NOT NULL)"
)
"""As ``disbursement_models.SOURCE_CHECK`` (a migration keeps its own copy: the model may change)."""


def _live_key(create: bool) -> None:
    if create:
        op.create_index(
            "uq_payment_ledger_live_key", "payment_ledger", KEY, unique=True,
            sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
        )  # fmt: skip
    else:
        op.drop_index("uq_payment_ledger_live_key", table_name="payment_ledger")


def upgrade() -> None:
    op.create_table(
        "prior_payment_imports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(256), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("sheet", sa.String(128), nullable=True),
        sa.Column("rows_in", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_present", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("imported_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_prior_payment_imports_sha256", "prior_payment_imports", ["file_sha256"])
    _live_key(create=False)
    with op.batch_alter_table("payment_ledger") as ledger:
        ledger.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="batch"))
        ledger.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        ledger.add_column(sa.Column("reference", sa.Text(), nullable=True))
        ledger.add_column(sa.Column("award_year", sa.Integer(), nullable=True))
        ledger.add_column(sa.Column("enterprise_name", sa.String(256), nullable=True))
        ledger.add_column(sa.Column("park_id", sa.String(64), nullable=True))
        for column, kind in (
            ("batch_id", sa.Integer()),
            ("item_id", sa.Integer()),
            ("run_id", sa.String(64)),
        ):
            ledger.alter_column(column, existing_type=kind, nullable=True)
        ledger.create_foreign_key(
            "fk_payment_ledger_import_id", "prior_payment_imports", ["import_id"], ["id"]
        )
        ledger.create_check_constraint("ck_payment_ledger_source", sa.text(CHECK))
    _live_key(create=True)
    op.create_index("ix_payment_ledger_import", "payment_ledger", ["import_id"])


def downgrade() -> None:
    imported = (
        op.get_bind().execute(sa.text("SELECT count(*) FROM payment_ledger WHERE source <> 'batch'")).scalar()
    )
    if imported:
        raise RuntimeError(
            f"不能降级到 0006: 支付台账中有 {imported} 笔往年导入的记录, 0006 无法保存它们 "
            "(cannot downgrade: revision 0006 cannot hold ledger entries imported from before ZoneBrain); "
            "请从升级前的备份恢复 / restore the backup taken before the upgrade"
        )
    op.drop_index("ix_payment_ledger_import", table_name="payment_ledger")
    _live_key(create=False)
    with op.batch_alter_table("payment_ledger") as ledger:
        ledger.drop_constraint("ck_payment_ledger_source", type_="check")
        ledger.drop_constraint("fk_payment_ledger_import_id", type_="foreignkey")
        for column, kind in (
            ("batch_id", sa.Integer()),
            ("item_id", sa.Integer()),
            ("run_id", sa.String(64)),
        ):
            ledger.alter_column(column, existing_type=kind, nullable=False)
        for column in ("park_id", "enterprise_name", "award_year", "reference", "import_id", "source"):
            ledger.drop_column(column)
    _live_key(create=True)
    op.drop_index("ix_prior_payment_imports_sha256", table_name="prior_payment_imports")
    op.drop_table("prior_payment_imports")
