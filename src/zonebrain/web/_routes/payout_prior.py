"""往年已兑现导入 from the browser: payments made before ZoneBrain into the payment ledger.

The CLI's ``zonebrain policy ledger import`` as a page an administrator uses from Excel: download
the template (its sheet 政策条款 lists the words a row may use), upload the filled file, read the
check (a dry run: rows, already in the ledger, amount, warnings, or the rejected rows with their
Excel report), then confirm. Both steps call :func:`zonebrain.disbursement.import_prior_payments`,
which decides who may (an admin), checks every cell and the ledger, writes all rows or none, and
audits the import; its refusals keep their sentences (403 for a role, 400 for a file).

Pages: ``/policy/ledger/import`` (GET the page, POST a file), ``…/template``,
``…/{upload_id}/confirm``, ``…/{upload_id}/report``. API: the same under
``/api/v1/policy/ledger/imports``. An upload is kept in its own folder between the check and the
confirmation and is seen only by whoever uploaded it (any other id reads as not found).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from zonebrain import disbursement
from zonebrain.core.errors import InputError
from zonebrain.disbursement._prior_read import PRIOR_FORMAT
from zonebrain.disbursement._prior_template import write_prior_template
from zonebrain.web._auth import Perm, Principal, client_ip, requires
from zonebrain.web._errors import ERROR_RESPONSES, ApiError
from zonebrain.web._queries import policy as pq
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, own_upload, problem_report, save_upload, tr
from zonebrain.web._routes._payout_io import domain_errors
from zonebrain.web._tables import XLSX, attachment

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy/ledger/imports", tags=["policy workflow"], responses=ERROR_RESPONSES)
Admin = Annotated[Principal, Depends(requires(Perm.ADMIN))]
UploadId = Annotated[str, Path(max_length=40)]
Sheet = Annotated[str, Form(max_length=64)]
UPLOAD_ID = re.compile(r"^prior-[0-9a-f]{16}$")
PAGE = "/policy/ledger/import"
TEMPLATE_NAME = "往年已兑现导入模板.xlsx"


class PriorImportRejectedError(ApiError):
    status, code = 400, "prior_import_rejected"


class PriorProblemOut(BaseModel):
    row: int
    column: str
    value: str | None
    rule: str
    message: str


class PriorImportOut(BaseModel):
    upload_id: str
    file_name: str
    status: str
    """``dry_run`` (checked, waiting for confirmation), ``imported`` or ``already_imported``."""
    rows_in: int
    imported: int
    """Rows written (for ``dry_run``: that would be)."""
    already_present: int
    total_fen: int
    import_id: int | None
    entries: list[int]
    warnings: list[str]
    seen_before: list[str]


def _folder(request: Request, p: Principal, upload_id: str) -> tuple[FsPath, dict[str, Any]]:
    """The upload's folder and what was recorded of it; not found unless *p* uploaded it."""
    return own_upload(context(request), upload_id, UPLOAD_ID, p.user.username)


def _run(
    request: Request, p: Principal, upload_id: str, folder: FsPath, meta: dict[str, Any], *, dry_run: bool
) -> PriorImportOut:
    """The service on the saved file; a rejected file becomes a 400 naming its first problems and
    the report's address, a file unreadable as a whole a 400 with the reader's sentence."""
    ctx = context(request)
    t = tr(request)
    try:
        with domain_errors(request), ctx.pool.reader() as wh:
            r = disbursement.import_prior_payments(
                ctx.store,
                p.user,
                folder / meta["path"],
                lib=pq.library(),
                warehouse=wh,
                sheet=meta.get("sheet") or None,
                dry_run=dry_run,
                report_dir=folder,
                ip=client_ip(request),
            )
    except disbursement.PriorImportRejected as exc:
        problems = [
            PriorProblemOut(row=x.row, column=x.column, value=x.value, rule=x.rule, message=x.message)
            for x in exc.problems[:50]
        ]
        raise PriorImportRejectedError(
            t("prior.rejected", n=exc.rejected),
            detail={
                "rejected": exc.rejected,
                "report_url": f"{api.prefix}/{upload_id}/report",
                "problems": [x.model_dump() for x in problems],
            },
        ) from exc
    except InputError as exc:
        raise ApiError(str(exc)) from exc
    return PriorImportOut(
        upload_id=upload_id,
        file_name=meta["file"],
        status=r.status,
        rows_in=r.rows_in,
        imported=r.imported,
        already_present=r.already_present,
        total_fen=r.total_fen,
        import_id=r.import_id,
        entries=list(r.entries),
        warnings=list(r.warnings),
        seen_before=list(r.seen_before),
    )


def check(request: Request, p: Principal, file: UploadFile, sheet: str) -> PriorImportOut:
    """Save the upload and check it against the library and the ledger (nothing is written)."""
    name = FsPath(file.filename or "upload.xlsx").name
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ApiError(tr(request)("prior.bad_suffix"))
    upload_id, folder, target = save_upload(context(request), file, name, prefix="prior-")
    meta = {"by": p.user.username, "file": name, "path": target.name, "sheet": sheet.strip()}
    (folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return _run(request, p, upload_id, folder, meta, dry_run=True)


def confirm(request: Request, p: Principal, upload_id: str) -> PriorImportOut:
    """Import the checked upload: all rows or none; importing it again adds nothing."""
    folder, meta = _folder(request, p, upload_id)
    return _run(request, p, upload_id, folder, meta, dry_run=False)


def _page(request: Request, **found: Any) -> Response:
    status = found.pop("status", 200)
    return render(
        request,
        "policy_ledger_import.html",
        {"columns": PRIOR_FORMAT.columns, "yuan": pq.yuan, "result": None, **found},
        status,
    )


def _refused(exc: ApiError) -> dict[str, Any]:
    """What the page shows of a refusal: the sentence, the problems and the report's address."""
    detail = exc.detail or {}
    report = detail.get("report_url")
    return {
        "error": exc.message,
        "problems": detail.get("problems", []),
        "rejected": detail.get("rejected"),
        "report_url": report.replace(api.prefix, PAGE) if report else None,
        "status": exc.status,
    }


# ---- pages ---------------------------------------------------------------------------------------


@pages.get(PAGE)
def import_page(request: Request, p: Admin) -> Response:
    return _page(request)


@pages.get(f"{PAGE}/template")
def template(request: Request, p: Admin) -> Response:
    """The workbook to fill: headers, 说明 with an example, and the library's policies and clauses."""
    with tempfile.TemporaryDirectory() as tmp:
        data = write_prior_template(FsPath(tmp) / "t.xlsx", pq.library()).read_bytes()
    return Response(data, media_type=XLSX, headers={"Content-Disposition": attachment(TEMPLATE_NAME)})


@pages.post(PAGE)
def check_form(
    request: Request, p: Admin, file: Annotated[UploadFile, File()], sheet: Sheet = ""
) -> Response:
    try:
        return _page(request, result=check(request, p, file, sheet))
    except ApiError as exc:
        return _page(request, **_refused(exc))


@pages.post(f"{PAGE}/{{upload_id}}/confirm")
def confirm_form(request: Request, p: Admin, upload_id: UploadId) -> Response:
    try:
        return _page(request, result=confirm(request, p, upload_id), confirmed=True)
    except ApiError as exc:
        if exc.status == 404:
            raise
        return _page(request, **_refused(exc))


@pages.get(f"{PAGE}/{{upload_id}}/report")
def report_page(request: Request, p: Admin, upload_id: UploadId) -> Response:
    return _report(request, p, upload_id)


def _report(request: Request, p: Principal, upload_id: str) -> Response:
    folder, meta = _folder(request, p, upload_id)
    found = sorted(folder.glob("*.rejected.xlsx"))
    return problem_report(found[0] if found else None, str(meta.get("file", "")))


# ---- API -----------------------------------------------------------------------------------------


@api.post("", response_model=PriorImportOut, summary="上传并校验往年兑现记录 / upload and check (dry run)")
def api_check(request: Request, p: Admin, file: Annotated[UploadFile, File()], sheet: Sheet = "") -> Any:
    """Checks every cell against the policy library and the ledger and writes nothing; 400 with
    ``detail.problems`` (row, column, value, rule, message) and ``detail.report_url`` when any row
    is bad. Confirm with ``POST …/{upload_id}/confirm``."""
    return check(request, p, file, sheet)


@api.post(
    "/{upload_id}/confirm", response_model=PriorImportOut, summary="确认导入 / import the checked upload"
)
def api_confirm(request: Request, p: Admin, upload_id: UploadId) -> Any:
    """All rows or none; a second confirmation (or the same file again) adds nothing
    (``already_imported``)."""
    return confirm(request, p, upload_id)


@api.get(
    "/{upload_id}/report",
    summary="问题清单 / the rejected rows (.xlsx)",
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def api_report(request: Request, p: Admin, upload_id: UploadId) -> Response:
    return _report(request, p, upload_id)
