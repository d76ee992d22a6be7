"""数据导入: upload a file, see the validation report, confirm — the registry's import, from the browser."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from zonebrain.core.errors import ImportRejected
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES, ApiError, NotFound
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, save_upload, tr
from zonebrain.web._tables import XLSX, Col, DataTable, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/imports", tags=["imports"], responses=ERROR_RESPONSES)
Importer = Annotated[Principal, Depends(requires(Perm.IMPORT))]
UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
SUFFIXES = (".xlsx", ".csv", ".txt")


class ImportRejectedError(ApiError):
    status, code = 400, "import_rejected"


class ImportOut(BaseModel):
    upload_id: str
    kind: str
    file_name: str
    status: str
    """``dry_run`` (validated, waiting for confirmation), ``imported`` or ``already_imported``."""
    rows_in: int
    rows_rejected: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    problems_by_rule: dict[str, int]
    unused_columns: list[str]
    report_url: str | None


def _kinds() -> list[str]:
    from zonebrain.registry import FORMATS

    return list(FORMATS)


def _folder(request: Request, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id):
        raise NotFound()
    folder = context(request).config.upload_dir / upload_id
    if not (folder / "upload.json").exists():
        raise NotFound()
    return folder


def _out(upload_id: str, meta: dict[str, Any], report: Any) -> ImportOut:
    has_report = report.report_path is not None and Path(report.report_path).exists()
    return ImportOut(
        upload_id=upload_id,
        kind=meta["kind"],
        file_name=meta["file_name"],
        status=report.status,
        rows_in=report.rows_in,
        rows_rejected=report.rows_rejected,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        conflicts=report.conflicts,
        problems_by_rule=dict(report.problems_by_rule),
        unused_columns=list(report.unused_columns),
        report_url=f"/api/v1/imports/{upload_id}/report" if has_report else None,
    )


def upload(request: Request, p: Principal, kind: str, file: UploadFile) -> ImportOut:
    """Save the upload and validate it (a dry run: nothing is written to the warehouse)."""
    from zonebrain.registry import import_file

    ctx = context(request)
    if kind not in _kinds():
        raise ApiError(tr(request)("imports.unknown_kind", kind=kind, kinds=", ".join(_kinds())))
    name = Path(file.filename or "upload.csv").name
    if not name.lower().endswith(SUFFIXES):
        raise ApiError(tr(request)("imports.bad_suffix", suffixes=" ".join(SUFFIXES)))
    upload_id, folder, target = save_upload(ctx, file, name)
    meta = {"kind": kind, "file_name": name, "path": target.name, "by": p.user.username}
    (folder / "upload.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    with ctx.pool.reader() as wh:
        report = import_file(
            wh, kind, target, zone=ctx.zone, dry_run=True, accept_partial=True, report_dir=folder
        )
    audit(
        request,
        "import.validate",
        p=p,
        target=f"{kind}:{name}",
        detail={"upload_id": upload_id, "rows_in": report.rows_in, "rows_rejected": report.rows_rejected},
    )
    return _out(upload_id, meta, report)


def confirm(request: Request, p: Principal, upload_id: str, accept_partial: bool) -> ImportOut:
    """Import the validated upload into the warehouse (all or nothing unless *accept_partial*)."""
    from zonebrain.registry import import_file

    ctx = context(request)
    folder = _folder(request, upload_id)
    meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
    try:
        with ctx.pool.writer() as wh:
            report = import_file(
                wh,
                meta["kind"],
                folder / meta["path"],
                zone=ctx.zone,
                accept_partial=accept_partial,
                report_dir=folder,
            )
    except ImportRejected as exc:
        audit(
            request,
            "import.confirm",
            p=p,
            target=f"{meta['kind']}:{meta['file_name']}",
            outcome="rejected",
            detail={"upload_id": upload_id, "rejected": exc.rejected},
        )
        raise ImportRejectedError(
            tr(request)("imports.rejected", n=exc.rejected),
            detail={"report_url": f"/api/v1/imports/{upload_id}/report"},
        ) from exc
    ctx.cache.invalidate()
    audit(
        request,
        "import.confirm",
        p=p,
        target=f"{meta['kind']}:{meta['file_name']}",
        detail={
            "upload_id": upload_id,
            "batch_id": report.batch_id,
            "status": report.status,
            "inserted": report.inserted,
            "updated": report.updated,
            "conflicts": report.conflicts,
            "rows_rejected": report.rows_rejected,
            "accept_partial": accept_partial,
        },
    )
    return _out(upload_id, meta, report)


SOURCE_LABELS = {name: f"terms.{name}" for name in ("市场监管", "统计", "科技", "参考库")}
"""The default sources of the import kinds (``registry.DEFAULT_SOURCES``) in the reader's language."""
BATCH_COLUMNS = [
    Col("finished_at", "col.finished_at", "date"),
    Col("kind", "col.import_kind"),
    Col("file_name", "col.file_name"),
    Col("source", "col.source", labels=SOURCE_LABELS),
    Col("rows_in", "col.rows_in", "int"),
    Col("rows_loaded", "col.rows_loaded", "int"),
    Col("rows_rejected", "col.rows_rejected", "int"),
    Col("inserted", "col.inserted", "int"),
    Col("updated", "col.updated", "int"),
    Col("conflicts", "col.conflicts", "int"),
]


def batches(request: Request) -> DataTable:
    import ibis

    with context(request).pool.reader() as wh:
        t = wh.table("import_batches")
        found = wh.to_arrow(t.order_by(ibis.desc("finished_at")).limit(500)).to_pylist()
    return DataTable("import_batches", "imports.batches_title", BATCH_COLUMNS, found)


@pages.get("/imports")
def imports_page(request: Request, p: Importer) -> Response:
    return render(request, "imports.html", {"kinds": _kinds(), "result": None, "batches": batches(request)})


@pages.post("/imports")
def imports_upload_form(
    request: Request, p: Importer, kind: Annotated[str, Form()], file: Annotated[UploadFile, File()]
) -> Response:
    result = upload(request, p, kind, file)
    return render(request, "imports.html", {"kinds": _kinds(), "result": result, "batches": batches(request)})


@pages.post("/imports/{upload_id}/confirm")
def imports_confirm_form(
    request: Request, p: Importer, upload_id: str, accept_partial: Annotated[bool, Form()] = False
) -> Response:
    try:
        result = confirm(request, p, upload_id, accept_partial)
        error = None
    except ImportRejectedError as exc:
        result, error = None, exc.message
    return render(
        request,
        "imports.html",
        {
            "kinds": _kinds(),
            "result": result,
            "error": error,
            "batches": batches(request),
            "confirmed": result is not None,
        },
    )


@api.post("", response_model=ImportOut, summary="上传并校验 / upload a file and validate it (dry run)")
def api_upload(
    request: Request, p: Importer, kind: Annotated[str, Form()], file: Annotated[UploadFile, File()]
) -> Any:
    return upload(request, p, kind, file)


class ConfirmIn(BaseModel):
    accept_partial: bool = False


@api.post("/{upload_id}/confirm", response_model=ImportOut, summary="确认导入 / import the validated upload")
def api_confirm(request: Request, p: Importer, upload_id: str, body: ConfirmIn) -> Any:
    return confirm(request, p, upload_id, body.accept_partial)


@api.get(
    "/{upload_id}/report",
    summary="问题报告 / the rejected-rows report (.xlsx)",
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
)
def api_report(request: Request, p: Importer, upload_id: str) -> Response:
    folder = _folder(request, upload_id)
    found = sorted(folder.glob("*.rejected.xlsx"))
    if not found:
        raise NotFound()
    return FileResponse(found[0], media_type=XLSX, filename=found[0].name)


@api.get("", response_model=TableOut, summary="导入批次 / committed import batches")
def api_batches(request: Request, p: Importer, format: Format = "json") -> Any:
    return respond(batches(request), format, tr(request))
