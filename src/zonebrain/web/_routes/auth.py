"""Login, logout, the language switch; the JSON session API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from zonebrain.appstore import MIN_PASSWORD, Role, User
from zonebrain.web._auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    client_ip,
    optional_principal,
    principal,
)
from zonebrain.web._errors import ERROR_RESPONSES, NotAuthenticated, TooManyAttempts
from zonebrain.web._i18n import COOKIE, LOCALES
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, safe_next, tr

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["session"], responses=ERROR_RESPONSES)


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    park_id: str | None
    uscc: str | None


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str
    """Send it as the X-CSRF-Token header with every POST, PUT, PATCH and DELETE."""


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def user_out(u: User) -> UserOut:
    return UserOut(
        username=u.username, display_name=u.display_name, role=u.role, park_id=u.park_id, uscc=u.uscc
    )


def _secure(request: Request) -> bool:
    forced = context(request).config.cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def _rate_limit(request: Request, username: str, action: str = "login") -> None:
    """429 when this username or this address failed too often lately (audited as *action* locked)."""
    ctx = context(request)
    cfg = ctx.config
    sessions = ctx.store.sessions
    if (
        sessions.recent_failures(username=username, window=cfg.login_window) >= cfg.login_max_failures
        or sessions.recent_failures(ip=client_ip(request), window=cfg.login_window) >= cfg.ip_max_failures
    ):
        audit(request, action, username=username, outcome="locked")
        minutes = int(cfg.login_window.total_seconds() // 60)
        raise TooManyAttempts(
            tr(request)("error.too_many_attempts_minutes", minutes=minutes),
            headers={"Retry-After": str(int(cfg.login_window.total_seconds()))},
        )


def _login(request: Request, username: str, password: str) -> tuple[Principal, str]:
    """Check the rate limits, the password; record the attempt and audit it."""
    ctx = context(request)
    ip = client_ip(request)
    sessions = ctx.store.sessions
    _rate_limit(request, username)
    user = ctx.store.users.authenticate(username, password)
    sessions.record_attempt(username, ip, success=user is not None)
    if user is None:
        audit(request, "login", username=username, outcome="failed")
        raise NotAuthenticated(tr(request)("error.bad_login"))
    s = sessions.create(user, ip)
    p = Principal(user, s.token, s.csrf_token)
    audit(request, "login", p=p)
    return p, s.token


def _set_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
        max_age=12 * 3600,
    )
    response.delete_cookie(CSRF_COOKIE, path="/")


@pages.get("/login")
def login_page(request: Request, next: str = "/", expired: bool = False) -> Response:
    """*expired*: sent here by a form submitted without a live session (see _errors._respond)."""
    if optional_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "expired": expired})


@pages.post("/login")
def login_form(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        p, token = _login(request, username, password)
    except (NotAuthenticated, TooManyAttempts) as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": exc.message}, exc.status)
    target = safe_next(next)
    if p.uscc_scope and target == "/":
        target = f"/enterprises/{p.uscc_scope}"
    response = RedirectResponse(target, status_code=303)
    _set_session(request, response, token)
    return response


@pages.post("/logout")
def logout_form(request: Request, p: Annotated[Principal, Depends(principal)]) -> Response:
    context(request).store.sessions.delete(p.session_token)
    context(request).sessions.drop(p.session_token)
    audit(request, "logout", p=p)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/account/password")
def password_page(request: Request, p: Annotated[Principal, Depends(principal)]) -> Response:
    return render(
        request, "account_password.html", {"min_length": MIN_PASSWORD, "error": None, "done": False}
    )


@pages.post("/account/password")
def password_form(
    request: Request,
    p: Annotated[Principal, Depends(principal)],
    old_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    new_password_again: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Change one's own password: the old one is checked (rate limited like the login), the new one
    must be long enough and typed twice alike; every other session of the user ends; audited."""
    ctx, t = context(request), tr(request)
    username = p.user.username

    def refuse(message: str, status: int = 400) -> Response:
        page = {"min_length": MIN_PASSWORD, "error": message, "done": False}
        return render(request, "account_password.html", page, status)

    try:
        _rate_limit(request, username, "user.change_password")
    except TooManyAttempts as exc:
        response = refuse(exc.message or t("error.too_many_attempts"), exc.status)
        response.headers.update(exc.headers)
        return response
    if ctx.store.users.authenticate(username, old_password) is None:
        ctx.store.sessions.record_attempt(username, client_ip(request), success=False)
        audit(request, "user.change_password", p=p, target=username, outcome="failed")
        return refuse(t("account.wrong_old"))
    if len(new_password) < MIN_PASSWORD:
        return refuse(t("account.too_short", n=MIN_PASSWORD))
    if new_password != new_password_again:
        return refuse(t("account.mismatch"))
    u = ctx.store.users.set_password(username, new_password)
    ended = ctx.store.sessions.delete_user_except(u.id, p.session_token)
    ctx.sessions.drop()  # every cached session: the user's other tokens are not known here
    audit(request, "user.change_password", p=p, target=username, detail={"sessions_ended": ended})
    return render(request, "account_password.html", {"min_length": MIN_PASSWORD, "error": None, "done": True})


@pages.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LOCALES:
        response.set_cookie(
            COOKIE, code, samesite="lax", secure=_secure(request), path="/", max_age=365 * 86400
        )
    return response


@api.post("/session", response_model=SessionOut, summary="登录 / log in (JSON)")
def api_login(request: Request, body: LoginIn, response: Response) -> Any:
    """Log in; the session cookie is set and the CSRF token returned. Rate limited."""
    p, token = _login(request, body.username, body.password)
    _set_session(request, response, token)
    return SessionOut(user=user_out(p.user), csrf_token=p.csrf_token)


@api.delete("/session", status_code=204, summary="退出 / log out")
def api_logout(request: Request, p: Annotated[Principal, Depends(principal)]) -> Response:
    context(request).store.sessions.delete(p.session_token)
    context(request).sessions.drop(p.session_token)
    audit(request, "logout", p=p)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/me", response_model=SessionOut, summary="当前用户 / who am I")
def me(p: Annotated[Principal, Depends(principal)]) -> Any:
    return SessionOut(user=user_out(p.user), csrf_token=p.csrf_token)
