"""The app factory: configuration, middleware, error handlers, routes, static files, OpenAPI docs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zonebrain import __version__
from zonebrain.appstore import default_app_db_url, open_app_store
from zonebrain.web._auth import require_csrf
from zonebrain.web._config import WebConfig
from zonebrain.web._context import WebContext
from zonebrain.web._errors import CatchAllMiddleware, install_error_handlers
from zonebrain.web._render import static_dir
from zonebrain.web._routes import (
    admin,
    audit,
    auth,
    chains,
    complexity,
    enterprises,
    imports,
    kpi,
    linking,
    overview,
    payout,
    payout_corrections,
    payout_prior,
    pipeline,
    policy,
    policy_analysis,
    policy_check,
    portrait,
    targeting,
)
from zonebrain.web._warehouse import WarehousePool

log = logging.getLogger("zonebrain.web")

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


class SecurityHeaders:
    """Headers every response carries (no framing, no sniffing, a strict content policy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/api/docs" else CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", csp.encode()),
                ]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _default_data_dir(warehouse_url: str) -> Path:
    """The data directory: the warehouse file's folder for an embedded warehouse, else the setting."""
    text = warehouse_url.removeprefix("duckdb://")
    if "://" not in text and text not in (":memory:", "spark"):
        return Path(text).resolve().parent
    from zonebrain.core import settings

    return Path(settings.get("data_dir"))


def create_app(
    warehouse_url: str,
    *,
    app_db_url: str | None = None,
    data_dir: str | Path | None = None,
    zone_file: str | None = None,
    cookie_secure: bool | None = None,
    pool_size: int = 4,
    password_cost: str = "standard",
    warm_up: bool = False,
) -> FastAPI:
    """The web app over *warehouse_url*.

    The app store is *app_db_url*, else ``$ZONEBRAIN_APP_DB``, else ``DATA_DIR/app.sqlite``
    where DATA_DIR is *data_dir* or the warehouse file's folder. *warm_up* computes chain
    memberships and the complexity space in the background at start-up (``zonebrain serve``).
    """
    folder = Path(data_dir) if data_dir is not None else _default_data_dir(warehouse_url)
    config = WebConfig(
        warehouse_url=warehouse_url,
        app_db_url=default_app_db_url(folder, app_db_url),
        data_dir=folder,
        zone_file=zone_file,
        cookie_secure=cookie_secure,
        pool_size=pool_size,
        password_cost=password_cost,
    )
    store = open_app_store(config.app_db_url, password_cost=password_cost)
    ctx = WebContext(config, store, WarehousePool(warehouse_url, size=pool_size, data_dir=folder))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.prepare_warehouse()
        warm = threading.Thread(target=_warm, args=(ctx,), name="zonebrain-warm-up", daemon=True)
        if warm_up:
            warm.start()
        try:
            yield
        finally:
            if warm.is_alive():
                warm.join()
            ctx.close()

    app = FastAPI(
        title="ZoneBrain 产业大脑 API",
        version=__version__,
        description=(
            "产业大脑的 JSON 接口。登录: `POST /api/v1/session`; 之后每个 POST/PUT/PATCH/DELETE 须带 "
            '`X-CSRF-Token` 头。金额一律为整数「分」(字段名以 `_fen` 结尾)。错误统一为 `{"error": {...}}`。\n\n'
            "The ZoneBrain JSON API. Log in with `POST /api/v1/session`, then send the returned CSRF token as "
            "`X-CSRF-Token` with every unsafe request. Money is integer fen (`*_fen`). Every error has one "
            'envelope: `{"error": {status, code, message, detail, request_id}}`. Tables take `format=xlsx`.'
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
        dependencies=[Depends(require_csrf)],
    )
    app.state.zonebrain = ctx
    install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(static_dir())), name="static")
    for module in (
        auth,
        overview,
        portrait,
        chains,
        complexity,
        enterprises,
        pipeline,
        linking,
        kpi,
        targeting,
        policy,
        payout,
        payout_corrections,
        payout_prior,
        policy_analysis,
        policy_check,
        imports,
        admin,
        audit,
    ):
        app.include_router(module.pages)
        app.include_router(module.api)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """Swagger UI from the npm-installed swagger-ui-dist (no CDN)."""
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="ZoneBrain API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    return app


def _warm(ctx: WebContext) -> None:
    from zonebrain.core.errors import ZoneBrainError
    from zonebrain.web._queries import _common, chains, complexity

    try:
        _common.memberships(ctx)
        chains.strengths(ctx)
        if complexity.available():
            complexity.space(ctx)
    except ZoneBrainError as exc:  # warming is an optimisation; the request that needs it will report
        log.warning("warm-up skipped: %s", exc)
