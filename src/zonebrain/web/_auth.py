"""Who is asking and what they may see: sessions, roles → permissions, enterprise scope, CSRF.

Scoping is enforced here and in the queries (``Principal.scope_enterprises``), never only in
templates: a park officer's API call for another park's firm is refused, a list is filtered.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import ibis.expr.types as ir
from fastapi import Request

from zonebrain.appstore import LoginSession, Role, User
from zonebrain.web._errors import CsrfFailed, Forbidden, NotAuthenticated

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

SESSION_COOKIE: Final = "zb_session"
CSRF_COOKIE: Final = "zb_csrf"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
JSON_LOGIN: Final = "/api/v1/session"
PAGE_LOGIN: Final = "/login"


class Perm(StrEnum):
    AGGREGATES = "aggregates"
    """Zone, park, industry and chain aggregates; complexity."""
    ENTERPRISES = "enterprises"
    """Enterprise-level registry data (name, park, industry, scope, tags, events, chain nodes)."""
    FINANCE = "finance"
    """Enterprise-level finance and tax (sensitive)."""
    IMPORT = "import"
    ADMIN = "admin"
    """Users and the audit log."""
    POLICY_RUN = "policy_run"
    """Evaluate the policies and record a run (政策测算)."""


PERMISSIONS: Final[dict[Role, frozenset[Perm]]] = {
    Role.ADMIN: frozenset(Perm),
    Role.LEADER: frozenset({Perm.AGGREGATES, Perm.ENTERPRISES, Perm.FINANCE}),
    Role.INVESTMENT_OFFICER: frozenset({Perm.AGGREGATES, Perm.ENTERPRISES}),
    Role.PARK_OFFICER: frozenset({Perm.AGGREGATES, Perm.ENTERPRISES, Perm.FINANCE}),
    Role.POLICY_RESEARCHER: frozenset({Perm.AGGREGATES, Perm.ENTERPRISES, Perm.FINANCE, Perm.POLICY_RUN}),
    Role.ENTERPRISE_USER: frozenset({Perm.ENTERPRISES, Perm.FINANCE}),
}
"""Role → permissions. Enterprise-level permissions are further limited by the scope below."""


@dataclass(frozen=True)
class Principal:
    """A logged-in user in one request."""

    user: User
    session_token: str
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.user.role

    def can(self, perm: Perm) -> bool:
        return perm in PERMISSIONS[self.role]

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise Forbidden()

    @property
    def park_scope(self) -> str | None:
        """The only park whose enterprises this user may see (park officers), else None."""
        return self.user.park_id if self.role is Role.PARK_OFFICER else None

    @property
    def uscc_scope(self) -> str | None:
        """The only enterprise this user may see (enterprise users), else None."""
        return self.user.uscc if self.role is Role.ENTERPRISE_USER else None

    def may_see(self, park_id: str | None, uscc: str) -> bool:
        """May this user see enterprise-level data of the firm *uscc* in park *park_id*?"""
        if not self.can(Perm.ENTERPRISES):
            return False
        if self.uscc_scope is not None:
            return uscc == self.uscc_scope
        if self.park_scope is not None:
            return park_id == self.park_scope
        return True

    def scope_enterprises(self, table: ir.Table) -> ir.Table:
        """*table* (with ``uscc`` and ``park_id`` columns) limited to what this user may see."""
        if not self.can(Perm.ENTERPRISES):
            return table.filter(table.uscc.isnull() & table.uscc.notnull())  # nothing
        if self.uscc_scope is not None:
            return table.filter(table.uscc == self.uscc_scope)
        if self.park_scope is not None:
            return table.filter(table.park_id == self.park_scope)
        return table


def scope_key(p: Principal) -> tuple[bool, str | None, str | None]:
    """What decides which enterprises *p* sees: part of every cache key of a scoped result."""
    return (p.can(Perm.ENTERPRISES), p.park_scope, p.uscc_scope)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.zonebrain
    return ctx


class SessionCache:
    """Sessions looked up in the last few seconds, so a request does not always ask the app store.

    Logout, deactivation and password changes in this process drop the entry at once; another
    worker process notices within :attr:`ttl` seconds.
    """

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, LoginSession | None]] = {}

    def get(self, token: str, load: Callable[[str], LoginSession | None]) -> LoginSession | None:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(token)
            if hit is not None and hit[0] > now:
                return hit[1]
        found = load(token)
        with self._lock:
            if len(self._items) >= self._max:
                self._items.clear()
            self._items[token] = (now + self.ttl, found)
        return found

    def drop(self, token: str | None = None) -> None:
        """Forget one token, or (None) every token."""
        with self._lock:
            if token is None:
                self._items.clear()
            else:
                self._items.pop(token, None)


def _session(request: Request) -> LoginSession | None:
    if hasattr(request.state, "login_session"):
        found: LoginSession | None = request.state.login_session
        return found
    token = request.cookies.get(SESSION_COOKIE, "")
    ctx = _context(request)
    found = ctx.sessions.get(token, ctx.store.sessions.get) if token else None
    request.state.login_session = found
    return found


def optional_principal(request: Request) -> Principal | None:
    s = _session(request)
    return Principal(s.user, s.token, s.csrf_token) if s else None


def principal(request: Request) -> Principal:
    """Dependency: the logged-in user, else 401 (API) or a redirect to the login page."""
    p = optional_principal(request)
    if p is None:
        raise NotAuthenticated()
    return p


def requires(perm: Perm):  # type: ignore[no-untyped-def]  # a FastAPI dependency factory
    def dependency(request: Request) -> Principal:
        p = principal(request)
        p.require(perm)
        return p

    return dependency


def anonymous_csrf_token(request: Request) -> str:
    """The double-submit token for forms shown before login (login page)."""
    return (
        request.cookies.get(CSRF_COOKIE)
        or getattr(request.state, "new_csrf_cookie", None)
        or _new_token(request)
    )


def _new_token(request: Request) -> str:
    token = secrets.token_urlsafe(32)
    request.state.new_csrf_cookie = token
    return token


async def require_csrf(request: Request) -> None:
    """App-wide dependency: every unsafe request carries the session's CSRF token.

    The token comes in the ``X-CSRF-Token`` header (htmx, fetch, API clients) or in the
    ``csrf_token`` form field (plain forms). Before login it must equal the ``zb_csrf`` cookie
    (double submit). The JSON login (``POST /api/v1/session``) is exempt: it accepts only
    ``application/json``, which a cross-site form cannot send.

    A request without a live session is answered 401 ``not_authenticated`` before its token is
    looked at (an API client is told to log in, a page is sent to the login page), except the
    login form itself, whose token is checked against the cookie. No other write, API or page,
    works without a login (``tests/web/test_session_expired.py`` checks every route), so there is
    nothing a forged request could do, and the user learns to log in again rather than that the
    page expired. With a session the token is checked as before.
    """
    if request.method in SAFE_METHODS:
        return
    if request.method == "POST" and request.url.path == JSON_LOGIN:
        return
    if request.url.path != PAGE_LOGIN and _session(request) is None:
        raise NotAuthenticated()
    sent = request.headers.get(CSRF_HEADER, "")
    ctype = request.headers.get("content-type", "")
    if not sent and ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    session = _session(request)
    expected = session.csrf_token if session else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()
