"""Tables of resource linking (issue 10): resources, enterprise demands and the matches between them.

Created by migration ``0002`` (with the pipeline tables); ``0005`` makes a resource's name +
provider unique. Amounts are integer fen; demands and resources carry a version column (optimistic
concurrency, ``ConcurrentUpdate`` on a stale write).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zonebrain.appstore._models import Base

__all__ = ["DemandRow", "MatchRow", "ResourceRow"]


class ResourceRow(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(256), nullable=False)
    provider: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    keywords: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """Comma-separated."""
    chain_nodes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """Comma-separated chain node ids ("" = any)."""
    parks: Mapped[str] = mapped_column(Text, nullable=False, default="")
    """Comma-separated park ids ("" = the whole zone)."""
    min_amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    contact: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (
        Index("ix_resources_kind", "kind"),
        Index("uq_resources_name_provider", "name", "provider", unique=True),  # the catalogue's key (0005)
    )


class DemandRow(Base):
    __tablename__ = "demands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    firm_name: Mapped[str] = mapped_column(String(256), nullable=False, default="")
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_node: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    title: Mapped[str] = mapped_column(String(256), nullable=False)
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    """open, responded, resolved, closed."""
    submitted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    """The response-time target: the first response is due by then."""
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    resolution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API
    __table_args__ = (Index("ix_demands_uscc", "uscc"), Index("ix_demands_status", "status"))


class MatchRow(Base):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), nullable=False)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    """JSON list of reasons (why this resource fits)."""
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    """proposed, accepted, declined."""
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (Index("ix_matches_demand", "demand_id"),)
