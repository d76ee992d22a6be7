"""Small helpers every route module uses."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request, UploadFile
from fastapi.responses import Response

from zonebrain.core.clock import parse_day
from zonebrain.web._auth import Principal, client_ip
from zonebrain.web._context import WebContext
from zonebrain.web._errors import NotFound, PayloadTooLarge
from zonebrain.web._i18n import COOKIE, Translator, negotiate, translator
from zonebrain.web._tables import XLSX, attachment


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


def save_upload(ctx: WebContext, file: UploadFile, name: str, *, prefix: str = "") -> tuple[str, Path, Path]:
    """Stream *file* into a fresh folder under the upload directory, refusing it (and removing the
    folder) once it passes ``upload_max_bytes``. Returns the upload id, the folder and the file,
    whose name is *name* with anything but word characters, dots, dashes and CJK replaced by ``_``."""
    upload_id = f"{prefix}{secrets.token_hex(8)}"
    folder = ctx.config.upload_dir / upload_id
    folder.mkdir(parents=True)
    target = folder / re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", name)
    size = 0
    with target.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > ctx.config.upload_max_bytes:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise PayloadTooLarge()
            out.write(chunk)
    return upload_id, folder, target


def own_upload(
    ctx: WebContext, upload_id: str, pattern: re.Pattern[str], user: str
) -> tuple[Path, dict[str, Any]]:
    """The folder of upload *upload_id* and its ``upload.json``, for the user who uploaded it only:
    an id not of *pattern*, no such upload or another user's read alike as not found."""
    if not pattern.match(upload_id):
        raise NotFound()
    folder = ctx.config.upload_dir / upload_id
    meta_file = folder / "upload.json"
    if not meta_file.exists():
        raise NotFound()
    meta: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("by") != user:
        raise NotFound()
    return folder, meta


def problem_report(path: Path | None, uploaded_as: str) -> Response:
    """An upload's problem report as a download named after the uploaded file
    (``往年兑现.问题清单.xlsx``); not found when there is none."""
    if path is None or not path.exists():
        raise NotFound()
    name = f"{Path(uploaded_as or 'upload').stem}.问题清单.xlsx"
    return Response(path.read_bytes(), media_type=XLSX, headers={"Content-Disposition": attachment(name)})


def form_day(text: str, what: str, earliest: dt.date = dt.date(2000, 1, 1)) -> dt.date:
    """A date typed into a form (YYYY-MM-DD), between *earliest* and 2100-12-31; *what* names the
    field in the message (the CLI's parser: :func:`zonebrain.core.clock.parse_day`)."""
    return parse_day(text, what, earliest)


T = TypeVar("T")


def paged(fetch: Callable[[int], T], page: int, size: int) -> tuple[T, int, int]:
    """``fetch(page)`` (a table with ``total`` rows in all), the page shown and the page count. A
    page past the last (an old link, a typed number) shows the last one rather than an empty table
    under "第 9 页 / 共 3 页"."""
    table = fetch(page)
    pages = max(1, -(-(getattr(table, "total", 0) or 0) // size))
    if page > pages:
        page = pages
        table = fetch(page)
    return table, page, pages
