"""Small helpers every route module uses."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from zonebrain.web._auth import Principal, client_ip
from zonebrain.web._context import WebContext
from zonebrain.web._i18n import COOKIE, Translator, negotiate, translator


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.zonebrain
    return ctx


def locale(request: Request) -> str:
    return negotiate(request.cookies.get(COOKIE))


def tr(request: Request) -> Translator:
    return translator(locale(request))


def audit(
    request: Request,
    action: str,
    *,
    p: Principal | None = None,
    username: str = "",
    target: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    context(request).store.audit.record(
        action,
        user=p.user if p else None,
        username=username,
        target=target,
        outcome=outcome,
        ip=client_ip(request),
        detail=detail,
    )


def safe_next(target: str | None) -> str:
    """A local path to go to after login or a language switch (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
