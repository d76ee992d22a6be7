"""Server-rendered pages: Jinja2 templates with the catalogue's ``t()``, the user and the CSRF token."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from zonebrain import __version__
from zonebrain.appstore import Role
from zonebrain.web._auth import CSRF_COOKIE, Perm, Principal, anonymous_csrf_token, optional_principal
from zonebrain.web._i18n import COOKIE, LOCALES, negotiate, one_language, term, translator
from zonebrain.web._tables import DataTable, cell_text, header, label_text

NAV: Final = (
    ("nav.overview", "/", Perm.AGGREGATES),
    ("nav.portrait", "/portrait", Perm.AGGREGATES),
    ("nav.chains", "/chains", Perm.AGGREGATES),
    ("nav.complexity", "/complexity", Perm.AGGREGATES),
    ("nav.enterprises", "/enterprises", Perm.ENTERPRISES),
    ("nav.pipeline", "/pipeline", Perm.AGGREGATES),
    ("nav.linking", "/linking", Perm.ENTERPRISES),
    ("nav.kpi", "/kpi", Perm.AGGREGATES),
    ("nav.opportunities", "/opportunities", Perm.AGGREGATES),
    ("nav.candidates", "/candidates", Perm.AGGREGATES),
    ("nav.policy", "/policy", Perm.AGGREGATES),
    ("nav.imports", "/imports", Perm.IMPORT),
    ("nav.users", "/admin/users", Perm.ADMIN),
    ("nav.audit", "/admin/audit", Perm.ADMIN),
)
NAV_ROLES: Final = {
    "/opportunities": frozenset({Role.ADMIN, Role.LEADER, Role.INVESTMENT_OFFICER, Role.POLICY_RESEARCHER}),
    "/candidates": frozenset({Role.ADMIN, Role.LEADER, Role.INVESTMENT_OFFICER, Role.POLICY_RESEARCHER}),
}
"""Nav entries shown only to some roles beyond their permission (the targeting pages)."""
VENDOR: Final = {"echarts": "vendor/echarts.min.js", "htmx": "vendor/htmx.min.js"}


def static_dir() -> Path:
    return Path(str(resources.files("zonebrain.web") / "static"))


@cache
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(resources.files("zonebrain.web") / "templates"))
    env = templates.env
    env.filters["cell"] = cell_text
    env.globals["version"] = __version__
    env.globals["json_script"] = _json_script
    env.globals["header"] = header
    env.globals["label"] = label_text
    return templates


def _json_script(element_id: str, data: Any) -> Markup:
    """Data for a chart, in a non-executed ``<script type="application/json">`` (CSP-safe)."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/json" id="{element_id}">{text}</script>')


def vendor_available() -> dict[str, bool]:
    root = static_dir()
    return {name: (root / rel).exists() for name, rel in VENDOR.items()}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    locale = negotiate(request.cookies.get(COOKIE))
    t = translator(locale)
    p: Principal | None = optional_principal(request)
    csrf = p.csrf_token if p else anonymous_csrf_token(request)
    nav = [
        (t(key), path)
        for key, path, perm in NAV
        if p is not None and p.can(perm) and p.role in NAV_ROLES.get(path, frozenset({p.role}))
    ]
    if p is not None and p.uscc_scope:
        nav = [(t("nav.my_enterprise"), f"/enterprises/{p.uscc_scope}"), (t("nav.linking"), "/linking")]
        nav.append((t("payout.verify_heading"), "/policy/verify"))  # 快申快享: what to provide
        nav.append((t("policy_check.nav"), "/policy/check"))  # 企业自查: its own firm only
    ctx: dict[str, Any] = {
        "t": t,
        "term": lambda value: term(locale, value),
        "half": lambda text: one_language(locale, text),
        "locale": locale,
        "locales": LOCALES,
        "principal": p,
        "csrf_token": csrf,
        "nav": nav,
        "path": request.url.path,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "vendor": vendor_available(),
        "table_header": lambda col: header(col, t),
        "zone_title": _zone_title(request, locale),
        **(context or {}),
    }
    response = _templates().TemplateResponse(request, name, ctx, status_code=status)
    new = getattr(request.state, "new_csrf_cookie", None)
    if new and p is None:
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
        )
    return response


def _zone_title(request: Request, locale: str) -> str:
    """The zone's name for a page's window title: its short Chinese name, or its English name, from
    the app's zone file (QA: another zone's pages were titled 郑州高新区)."""
    ctx = getattr(request.app.state, "zonebrain", None)
    if ctx is None:  # an app without its context (a bare error page): no zone to name
        return translator(locale)("app.name")
    info = ctx.zone.zone
    return str(info.name_en if locale == "en" else info.short_name_zh)


def render_error(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    context = {"status": status, "code": code, "message": message, "back": _came_from(request)}
    response = render(request, "error.html", context, status)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def _came_from(request: Request) -> str | None:
    """For a refused form, the page it was sent from (its Referer, on this site only), so the error
    page leads back there and not only home (QA: an objection refused from the self-check page)."""
    if request.method in ("GET", "HEAD"):
        return None
    came = urlsplit(request.headers.get("referer") or "")
    if came.netloc != request.url.netloc or not came.path.startswith("/") or came.path.startswith("/login"):
        return None
    return came.path + (f"?{came.query}" if came.query else "")


def table_context(table: DataTable, export: str | None) -> dict[str, Any]:
    """What the ``data_table`` macro needs."""
    return {"table": table, "export": export}
