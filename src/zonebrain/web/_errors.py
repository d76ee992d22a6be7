"""One JSON error envelope for every API error, and friendly pages for the same errors.

Every error under ``/api/`` is answered as::

    {"error": {"status": 403, "code": "forbidden", "message": "…", "detail": null, "request_id": "…"}}

``code`` is stable (clients branch on it); ``message`` is in the request's language (a domain's
refusal, ``forbidden``, is its own bilingual sentence: ``园区专员无权修改园区 石佛 的项目 (a park
officer may not change projects of park 石佛)``); ``detail`` carries field errors for
``validation_error`` and, for such a refusal, the codes its sentence names by name
(``{"role": "park_officer", "park_id": "shifo"}``). No stack trace ever reaches a user: unexpected
errors are logged with their request id and answered as ``internal_error``.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zonebrain.appstore import ConcurrentUpdate
from zonebrain.core.errors import InputError, StorageError, ZoneBrainError
from zonebrain.web._i18n import COOKIE, negotiate, translate

log = logging.getLogger("zonebrain.web")


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    detail: Any = None
    request_id: str


class ErrorEnvelope(BaseModel):
    """The shape of every API error response."""

    error: ErrorBody


class ApiError(Exception):
    """An error the app raises on purpose; rendered as the envelope (API) or an error page."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str | None = None, *, detail: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message or self.code)
        self.message = message
        self.detail = detail
        self.headers = headers or {}


class NotAuthenticated(ApiError):
    status, code = 401, "not_authenticated"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class CsrfFailed(ApiError):
    status, code = 403, "csrf_failed"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class TooManyAttempts(ApiError):
    status, code = 429, "too_many_attempts"


class Unavailable(ApiError):
    status, code = 503, "warehouse_unavailable"


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_attempts",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": code} for status, code in _HTTP_CODES.items()
}
"""For route declarations: every API route may answer these with the envelope."""


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return rid if isinstance(rid, str) else uuid.uuid4().hex[:12]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _locale(request: Request) -> str:
    return negotiate(request.cookies.get(COOKIE))


def envelope(
    request: Request,
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "detail": detail,
            "request_id": request_id(request),
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _respond(
    request: Request,
    status: int,
    code: str,
    message: str | None,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    locale = _locale(request)
    text = message or translate(locale, f"error.{code}")
    if wants_json(request):
        return envelope(request, status, code, text, detail, headers)
    if status == 401:
        return _to_login(request)
    from zonebrain.web._render import render_error

    return render_error(request, status, code, text, headers)


def _to_login(request: Request) -> Response:
    """A page asked for without a live session goes to the login page, and back after it: to the
    page itself, or, for a form submitted (nothing was saved: a notice says so) and for an htmx
    request, to the page the user was on. An htmx request is told to load the login page whole
    (``HX-Redirect``), not to put it into the fragment it asked for."""
    from urllib.parse import quote, urlsplit

    htmx = bool(request.headers.get("hx-request"))
    safe = request.method in ("GET", "HEAD")
    if safe and not htmx:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:  # the page the user was on (htmx says which; a form's browser sends its Referer)
        came = urlsplit(request.headers.get("hx-current-url") or request.headers.get("referer") or "")
        same = came.netloc == request.url.netloc and came.path.startswith("/")
        target = came.path + (f"?{came.query}" if came.query else "") if same else "/"
    url = f"/login?next={quote(target)}" + ("" if safe else "&expired=1")
    if htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    detail = exc.detail if exc.detail is not None else refusal_codes(exc)
    return _respond(request, exc.status, exc.code, exc.message, detail, exc.headers)


def refusal_codes(exc: ApiError) -> dict[str, str] | None:
    """The codes a domain's refusal speaks of (``{"role": "park_officer", "park_id": "shifo"}``,
    see :meth:`zonebrain.appstore.Role.refuse`) when *exc* is a 403 raised from one: the message
    is the domain's sentence as is, naming them by name; the API's ``detail`` keeps the codes."""
    codes = getattr(exc.__cause__, "codes", None) if exc.status == 403 else None
    return dict(codes) if isinstance(codes, dict) else None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    # starlette's own texts ("Not Found") are replaced by the catalogue's
    return _respond(request, exc.status_code, code, None, None, dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return _respond(
        request, 422, "validation_error", validation_message(_locale(request), exc.errors()), detail
    )


_CJK = re.compile(r"[\u4e00-\u9fff]")
"""A message of our own, written for users (Chinese first), rather than pydantic's English."""

VALIDATION_LIMITS = ("max_length", "min_length", "le", "ge", "lt", "gt", "expected")
"""The pydantic error context a field's sentence may quote (``{limit}``)."""


def field_label(locale: str, name: str) -> str | None:
    """The label of a request field as the forms name it (``as_of`` → 基准日, ``as-of date``),
    looked up by its dotted name, then by its last part (``current.rd_expense`` → ``rd_expense``);
    None for a field the catalogue does not name (it is shown by its raw name)."""
    parts = [p for p in name.split(".") if not p.isdigit()]
    for key in dict.fromkeys([".".join(parts), parts[-1] if parts else ""]):
        if key and "." not in key:
            text = translate(locale, f"error.label.{key}")
            if text != f"error.label.{key}":
                return text
    return None


def _problem(locale: str, e: Any) -> str | None:
    """What is wrong with one field in *locale* (``为必填项``); None when pydantic's type has no
    sentence in the catalogue."""
    ctx = e.get("ctx") or {}
    limit = next((ctx[k] for k in VALIDATION_LIMITS if k in ctx), "")
    if locale.startswith("zh") and isinstance(limit, str):
        # pydantic's "'a', 'b' or 'c'" inside a Chinese sentence: 、 between every two
        limit = limit.replace(", ", "、").replace(" or ", "、")
    key = f"error.field.{e.get('type', '')}"
    text = translate(locale, key, limit=limit)
    return None if text == key else text


def _field_item(locale: str, e: Any) -> str:
    """One wrong field: its label and raw name, what is wrong; in Chinese the English half after
    it: ``基准日 (as_of) 为必填项 (as_of is required)``. A check of our own that explains itself,
    bilingually (金额须为… (…)), is kept as it is after the field's name."""
    loc = [str(x) for x in e.get("loc", ())]
    if len(loc) > 1 and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    name = ".".join(loc) or "body"
    if e.get("type") == "json_invalid":  # loc ("body", 0): the position, not a field
        name = "body"
    own = str(e.get("msg", "")).removeprefix("Value error, ")
    problem = _problem(locale, e)
    if problem is None and _CJK.search(own):
        return translate(locale, "error.field_item", field=name, problem=own)
    label = field_label(locale, name)
    shown = (
        translate(locale, "error.field_named", label=label, name=name)
        if label and label.casefold() != name.replace("_", " ").casefold()
        else name
    )
    item = translate(
        locale, "error.field_item", field=shown, problem=problem or translate(locale, "error.field.invalid")
    )
    if locale == "en":
        return item
    en = translate(
        "en",
        "error.field_item",
        field=name,
        problem=_problem("en", e) or translate("en", "error.field.invalid"),
    )
    return translate(locale, "error.field_bilingual", item=item, en=en)


def validation_message(locale: str, errors: Any) -> str:
    """The 422 ``message``: the catalogue's sentence in the reader's language naming each wrong
    field by its label and raw name and what it must be, Chinese with its English half
    (``请求参数不合规：基准日 (as_of) 为必填项 (as_of is required)。``); ``detail`` keeps pydantic's
    errors."""
    found = list(errors)
    parts = [_field_item(locale, e) for e in found[:5]]
    more = len(found) - len(parts)
    listed = translate(locale, "common.list_sep").join(parts)
    if more > 0:
        listed += translate(locale, "error.field_more", n=more)
    return translate(locale, "error.validation_fields", fields=listed)


_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])(?:/[\w.@+~-]+)+/([\w.@+~-]+)")


def public_message(text: str) -> str:
    """A message without the server's file system: a file of the policy library keeps its path
    relative to the library folder (``zz-rd-input.policy.yaml:13``), any other absolute path
    becomes its file name."""
    from zonebrain.policy import LIBRARY

    for folder in {str(LIBRARY), str(Path(LIBRARY).resolve())}:
        text = text.replace(folder.rstrip("/") + "/", "")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text)


async def _input_error(request: Request, exc: Exception) -> Response:
    # InputError messages are written for users (what, where, the fix): shown as they are, but
    # never with a path on the server (a policy file that fails to load names its file and line)
    return _respond(request, 400, "invalid_input", public_message(str(exc)))


async def _concurrent(request: Request, exc: Exception) -> Response:
    return _respond(request, 409, "conflict", str(exc))


async def _storage_error(request: Request, exc: Exception) -> Response:
    log.error("request %s: storage error: %s", request_id(request), exc)
    return _respond(request, 503, "warehouse_unavailable", None)


async def _zonebrain_error(request: Request, exc: Exception) -> Response:
    log.error("request %s: %s: %s", request_id(request), type(exc).__name__, exc)
    return _respond(request, 500, "internal_error", None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ConcurrentUpdate, _concurrent)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(ZoneBrainError, _zonebrain_error)


class CatchAllMiddleware:
    """Innermost safety net: any unexpected exception becomes ``internal_error`` without a trace.

    Also gives every request an id (``X-Request-ID``) that log lines and error bodies carry.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:12]
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("request %s failed", rid)
            if started:
                raise
            request = Request(scope)
            response = _respond(request, 500, "internal_error", None)
            await response(scope, receive, send_wrapper)
