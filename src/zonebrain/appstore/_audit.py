"""The audit log: one row per write (who, what, which target, outcome), append-only."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from zonebrain.appstore._models import AuditRow
from zonebrain.core.clock import utcnow

if TYPE_CHECKING:
    from zonebrain.appstore._store import AppStore
    from zonebrain.appstore._users import User

SECRET_KEYS = frozenset({"password", "password_hash", "token", "csrf_token"})


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    username: str
    role: str
    action: str
    target: str
    outcome: str
    ip: str
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, store: AppStore) -> None:
        self._store = store

    def record(
        self,
        action: str,
        *,
        user: User | None = None,
        username: str = "",
        target: str = "",
        outcome: str = "ok",
        ip: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry. Secret-looking keys in *detail* are refused rather than stored."""
        clean = dict(detail or {})
        leaked = SECRET_KEYS & set(clean)
        if leaked:
            raise ValueError(f"audit detail must not carry secrets: {sorted(leaked)}")
        with self._store.session() as s:
            s.add(
                AuditRow(
                    at=utcnow(),
                    user_id=user.id if user else None,
                    username=(user.username if user else username)[:64],
                    role=user.role.value if user else "",
                    action=action[:64],
                    target=target[:256],
                    outcome=outcome[:16],
                    ip=ip[:64],
                    detail=json.dumps(clean, ensure_ascii=False, default=str, sort_keys=True),
                )
            )

    def entries(
        self, *, limit: int = 200, offset: int = 0, action: str | None = None, username: str | None = None
    ) -> list[AuditEntry]:
        """Newest first."""
        with self._store.session() as s:
            q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
            if action:
                q = q.where(AuditRow.action == action)
            if username:
                q = q.where(AuditRow.username == username)
            return [
                AuditEntry(
                    r.id, r.at, r.username, r.role, r.action, r.target, r.outcome, r.ip, json.loads(r.detail)
                )
                for r in s.scalars(q)
            ]

    def count(self) -> int:
        with self._store.session() as s:
            return int(s.scalar(select(func.count()).select_from(AuditRow)) or 0)
