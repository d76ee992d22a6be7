"""Tables of the investment-project pipeline (issue 10): projects and their dated events.

Created by migration ``0002``. Money promised is integer fen; every project row carries a
version column, so a stale write fails (``ConcurrentUpdate``) instead of overwriting silently.
:func:`audit_row` builds an audit-log row for the *same* transaction as the change it records.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zonebrain.appstore._audit import SECRET_KEYS
from zonebrain.appstore._models import AuditRow, Base
from zonebrain.core.clock import utcnow

__all__ = ["AuditRow", "ProjectEventRow", "ProjectRow", "audit_row"]


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    name_key: Mapped[str] = mapped_column(String(256), nullable=False)
    """The normalised firm name (duplicate-pursuit warnings when there is no USCC yet)."""
    uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    stage: Mapped[str] = mapped_column(String(16), nullable=False)
    terminated_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    park_id: Mapped[str] = mapped_column(String(64), nullable=False)
    chain_node: Mapped[str | None] = mapped_column(String(64), nullable=True)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    promised_investment_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    promised_output_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    promised_tax_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    promised_jobs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    stage_since: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    """When the project entered its current stage (the stall clock)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (
        Index("ix_projects_uscc", "uscc"),
        Index("ix_projects_name_key", "name_key"),
        Index("ix_projects_park_stage", "park_id", "stage"),
        Index("ix_projects_owner", "owner_id"),
    )


class ProjectEventRow(Base):
    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    """When it happened (may be back-dated by the officer, e.g. a visit last Tuesday)."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    """created, stage, note, handover, update."""
    from_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")

    __table_args__ = (Index("ix_project_events_project_at", "project_id", "at"),)


def audit_row(
    action: str,
    *,
    user_id: int | None,
    username: str,
    role: str,
    target: str,
    detail: dict[str, Any],
    ip: str = "",
    outcome: str = "ok",
) -> AuditRow:
    """An audit-log row to add to the session of the change it records (one transaction)."""
    leaked = SECRET_KEYS & set(detail)
    if leaked:
        raise ValueError(f"audit detail must not carry secrets: {sorted(leaked)}")
    return AuditRow(
        at=utcnow(),
        user_id=user_id,
        username=username[:64],
        role=role[:32],
        action=action[:64],
        target=target[:256],
        outcome=outcome[:16],
        ip=ip[:64],
        detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
    )
