"""Login sessions (server side; the browser holds only a random token) and login attempts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from zonebrain.appstore._models import LoginAttemptRow, SessionRow, UserRow
from zonebrain.appstore._users import User, _user
from zonebrain.core.clock import utcnow

if TYPE_CHECKING:
    from zonebrain.appstore._store import AppStore

IDLE = dt.timedelta(hours=8)
"""A session unused this long ends."""
ABSOLUTE = dt.timedelta(hours=12)
"""No session lives longer than this (a working day), used or not."""
TOUCH_EVERY = dt.timedelta(minutes=1)
"""last_seen is written at most this often (no write per request)."""


@dataclass(frozen=True)
class LoginSession:
    token: str
    """The cookie value (only its SHA-256 is stored)."""
    csrf_token: str
    user: User
    expires_at: dt.datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, store: AppStore) -> None:
        self._store = store

    def create(self, user: User, ip: str = "") -> LoginSession:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + IDLE
        with self._store.session() as s:
            s.add(
                SessionRow(
                    id=_digest(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen=now,
                    expires_at=expires,
                    ip=ip[:64],
                )
            )
        return LoginSession(token, csrf, user, expires)

    def get(self, token: str) -> LoginSession | None:
        """The live session for a cookie token (its user active), else None; extends the idle timeout."""
        if not token or len(token) > 128:
            return None
        now = utcnow()
        with self._store.session() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.id == _digest(token))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.expires_at <= now or row.created_at + ABSOLUTE <= now or not user.active:
                s.delete(row)
                return None
            if now - row.last_seen >= TOUCH_EVERY:
                row.last_seen = now
                row.expires_at = min(now + IDLE, row.created_at + ABSOLUTE)
            return LoginSession(token, row.csrf_token, _user(user), row.expires_at)

    def delete(self, token: str) -> None:
        with self._store.session() as s:
            s.execute(delete(SessionRow).where(SessionRow.id == _digest(token)))

    def delete_user(self, user_id: int) -> int:
        """End every session of a user (after a password change or deactivation)."""
        with self._store.session() as s:
            result = s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            return int(getattr(result, "rowcount", 0) or 0)

    def delete_user_except(self, user_id: int, keep_token: str) -> int:
        """End every session of a user but the one holding *keep_token* (the user changed their
        own password: they stay logged in here, everywhere else they are logged out)."""
        with self._store.session() as s:
            result = s.execute(
                delete(SessionRow).where(SessionRow.user_id == user_id, SessionRow.id != _digest(keep_token))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def purge_expired(self) -> int:
        with self._store.session() as s:
            result = s.execute(delete(SessionRow).where(SessionRow.expires_at <= utcnow()))
            return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ login attempts
    def record_attempt(self, username: str, ip: str, success: bool) -> None:
        with self._store.session() as s:
            s.add(LoginAttemptRow(username=username[:64], ip=ip[:64], at=utcnow(), success=success))

    def recent_failures(
        self, *, username: str | None = None, ip: str | None = None, window: dt.timedelta
    ) -> int:
        """Failed logins within *window* for a username (since its last success) or from an IP."""
        since = utcnow() - window
        with self._store.session() as s:
            q = (
                select(func.count())
                .select_from(LoginAttemptRow)
                .where(LoginAttemptRow.at > since, LoginAttemptRow.success.is_(False))
            )
            if username is not None:
                last_ok = s.scalar(
                    select(func.max(LoginAttemptRow.at)).where(
                        LoginAttemptRow.username == username, LoginAttemptRow.success.is_(True)
                    )
                )
                q = q.where(LoginAttemptRow.username == username)
                if last_ok is not None:
                    q = q.where(LoginAttemptRow.at > last_ok)
            if ip is not None:
                q = q.where(LoginAttemptRow.ip == ip)
            return int(s.scalar(q) or 0)
