"""The app store's tables (SQLAlchemy 2 declarative). Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # optimistic concurrency: an UPDATE of a stale row fails instead of overwriting silently
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class AccountGrantRow(Base):
    """Who gave an account its powers in the app (revision 0010): one row per account an app user
    created or last granted. No row, or a null column: the operator on the server (``zonebrain
    users …``, the demo), or unknown for accounts made before the revision. Its own table, so that
    making an account the operator's way writes ``users`` alone."""

    __tablename__ = "account_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    """The user who created the account in the app (an admin on the web)."""
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    """The user who last gave it its powers: created it, changed its role or scope, activated it again."""
    granted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    """When :attr:`granted_by` did (naive UTC); the cooling-off of payout steps counts from it."""


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the cookie token (the token itself is never stored)."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    __table_args__ = (Index("ix_sessions_user", "user_id"),)


class LoginAttemptRow(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    outcome: Mapped[str] = mapped_column(String(16), nullable=False, default="ok")
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    """JSON object: what was written (never a password)."""
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Place in the hash chain (1, 2, …; commit order), set when the writing transaction commits
    (``appstore/_chain.py``); null only for a row written around the audit log."""
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 (hex) of the row before it in the chain (64 zeros for the first)."""
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 (hex) of this row's canonical content and *prev_hash*."""

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_action", "action"),
        Index("uq_audit_log_seq", "seq", unique=True),
    )


class AuditChainHeadRow(Base):
    """The audit log's hash chain: its newest row (one row, id 1) and where the chain began."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    """Rows in the chain (the newest row's seq; 0 for an empty log)."""
    last_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    anchor_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    """Rows written before the chain existed, chained by migration 0009 (they are proven unchanged
    only since then)."""
    anchor_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    anchored_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
