"""审计日志: the audit log page (paged, with its hash chain's head and a verify button) and
``/api/v1/audit``: a page of rows as JSON, or every row as Excel, streamed (memory stays flat),
continued on further sheets past Excel's row limit, its 说明 sheet publishing the chain head."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from zonebrain.appstore import (
    AppStore,
    AuditEntry,
    ChainHead,
    ChainReport,
    chain_head,
    iter_audit,
    verify_chain,
)
from zonebrain.core.clock import beijing_text, utcnow
from zonebrain.core.errors import InputError
from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._i18n import Translator
from zonebrain.web._render import render
from zonebrain.web._routes._deps import audit, context, paged, tr
from zonebrain.web._routes.admin import detail_text
from zonebrain.web._tables import (
    XLSX,
    XLSX_OPTIONS,
    XLSX_RESPONSE,
    Col,
    DataTable,
    Format,
    SheetWriter,
    TableOut,
    attachment,
    respond,
    sheet_name,
)

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["admin"], responses=ERROR_RESPONSES)
Admin = Annotated[Principal, Depends(requires(Perm.ADMIN))]
Hash = Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256, hex")]

AUDIT_COLUMNS = [
    Col("at", "col.at", "date"),
    Col("username", "col.username"),
    Col("role", "col.role"),
    Col("action", "col.action"),
    Col("target", "col.target"),
    Col("outcome", "col.outcome"),
    Col("ip", "col.ip"),
    Col("detail", "col.detail"),
]
CHAIN_COLUMNS = [
    Col("id", "admin.audit_col_id", "id"),
    Col("seq", "admin.audit_col_seq", "id"),
    Col("row_hash", "admin.audit_col_hash"),
]
"""Each row's place in the hash chain: in the Excel export only."""
PAGE_SIZE: Final = 200
JSON_MAX: Final = 10_000
"""Rows one JSON request returns at most (page with ``offset``; Excel has every row)."""
ROWS_MAX: Final = 2**31 - 1
"""The largest row count or offset a request may name (the store's integers hold 64 bits; a larger
number is refused as input instead of failing in the database)."""
XLSX_MAX_ROWS: Final = 1_048_576
"""Rows an Excel sheet holds."""
ROWS_PER_SHEET: Final = XLSX_MAX_ROWS - 2
"""Log rows per sheet: a sheet's first two rows are its title and headers."""


def audit_row(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at, "username": e.username, "role": e.role, "action": e.action, "target": e.target,
            "outcome": e.outcome, "ip": e.ip, "detail": detail_text(e.detail)}  # fmt: skip


def audit_table(
    request: Request, action: str | None = None, limit: int = 500, offset: int = 0, total: int | None = None
) -> DataTable:
    entries = context(request).store.audit.entries(limit=limit, offset=offset, action=action or None)
    return DataTable("audit_log", "admin.audit_title", AUDIT_COLUMNS, [audit_row(e) for e in entries], total)


def write_audit_xlsx(
    store: AppStore,
    t: Translator,
    *,
    action: str | None = None,
    limit: int | None = None,
    rows_per_sheet: int = ROWS_PER_SHEET,
) -> tuple[FilePath, ChainHead | None, int]:
    """The log (newest first; every row, or those of *action*, at most *limit*) as an Excel file in
    a temporary folder: a 说明 sheet with the chain head the rows belong to (read first: rows
    chained later are left out) and how to verify it, then the rows, *rows_per_sheet* a sheet, with
    their id, chain seq and hash. Returns the file, the head and the rows written."""
    import xlsxwriter

    head = chain_head(store)
    fd, name = tempfile.mkstemp(prefix="zonebrain-audit-", suffix=".xlsx")
    os.close(fd)
    path = FilePath(name)
    wb = xlsxwriter.Workbook(str(path), XLSX_OPTIONS)
    try:
        about = wb.add_worksheet("说明")
        title = t("admin.audit_title")
        base = sheet_name(title)[:24]
        columns, sheets, out, written = [*AUDIT_COLUMNS, *CHAIN_COLUMNS], [], None, 0
        rows = iter_audit(store, action=action, upto=head.rows if head else None, limit=limit)
        for written, chained in enumerate(rows, start=1):
            at = (written - 1) % rows_per_sheet
            if at == 0 or out is None:
                if out is not None:
                    out.finish()
                k = (written - 1) // rows_per_sheet + 1
                ws = wb.add_worksheet(base if k == 1 else f"{base} ({k})")
                out = SheetWriter(wb, ws, columns, t)
                out.head(title if k == 1 else f"{title} ({k})")
                sheets.append(ws.name)
            row = {**audit_row(chained.entry), "id": chained.entry.id, "seq": chained.seq}
            out.row(at + 2, {**row, "row_hash": chained.row_hash})
        if out is None:  # no rows: the headers all the same
            ws = wb.add_worksheet(base)
            out = SheetWriter(wb, ws, columns, t)
            out.head(title)
            sheets.append(ws.name)
        out.finish()
        wb.get_worksheet_by_name(sheets[0]).activate()
        _about(wb, about, head, written, action, limit, sheets)
    except BaseException:
        wb.close()
        path.unlink(missing_ok=True)
        raise
    wb.close()
    return path, head, written


def _about(
    wb: Any,
    ws: Any,
    head: ChainHead | None,
    written: int,
    action: str | None,
    limit: int | None,
    sheets: list[str],
) -> None:
    """The 说明 sheet: what the file holds and the chain head that proves it (item, value)."""
    bold = wb.add_format({"bold": True})
    rows, last = head.rows if head else 0, head.last_hash if head else ""
    anchor = "链自第一行起 (the chain starts at the first row)"
    if head is not None and head.anchor_rows:
        anchor = (
            f"前 {head.anchor_rows} 行写于哈希链启用之前, 于 {beijing_text(head.anchored_at)} 入链: 只能证明此后"
            f"未被改动 (the first {head.anchor_rows} rows predate the chain, chained at "
            f"{beijing_text(head.anchored_at)} Beijing time: proven unchanged only since then)"
        )
    shown = f"操作 action = {action}" if action else "全部 (every row)"
    if limit is not None:
        shown += f"; 最新 {limit} 行 (the newest {limit} rows)"
    items: list[tuple[str, Any]] = [
        ("审计日志导出 / audit log export", ""),
        ("哈希链行数 rows in the chain", rows),
        ("链头哈希 (SHA-256) head hash", last),
        ("链头行 head row (id)", head.last_id if head and head.last_id is not None else ""),
        ("链起点 chain anchor", anchor),
        ("本文件的行 rows in this file", written),
        ("范围 rows exported", shown),
        ("工作表 sheets", "、".join(sheets)),
        ("导出时间 (北京时间) exported (Beijing time)", beijing_text(utcnow())),
        ("核验 how to verify", f"zonebrain audit verify --expect-head {last} --expect-rows {rows}"),
        (
            "为何保存链头 why keep the head",
            (
                "请把链头哈希与行数保存在数据库之外 (存档、报送审计部门): 能改数据库的人可以重写整条链, 只有外部保存的"
                "链头能发现这一点 / keep the head hash and row count outside the database (file them, send them to "
                "the auditors): whoever can edit the database could rewrite the whole chain; only a head kept "
                "outside shows it"
            ),
        ),
    ]
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 100)
    for i, (item, value) in enumerate(items):
        ws.write_string(i, 0, item, bold)
        if isinstance(value, int):
            ws.write_number(i, 1, value)
        elif value:
            ws.write_string(i, 1, value)


@pages.get("/admin/audit")
def audit_page(
    request: Request,
    p: Admin,
    page: Annotated[int, Query(ge=1, le=10_000_000)] = 1,
    verify: Annotated[bool, Query()] = False,
) -> Response:
    store = context(request).store
    total = store.audit.count()
    table, page, pages_ = paged(
        lambda n: audit_table(request, limit=PAGE_SIZE, offset=(n - 1) * PAGE_SIZE, total=total),
        page,
        PAGE_SIZE,
    )
    report = verify_chain(store) if verify else None
    return render(
        request,
        "audit.html",
        {"table": table, "page": page, "pages": pages_, "head": chain_head(store), "report": report},
    )


@api.get(
    "/audit",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="审计日志 / the audit log: a page (JSON), or every row (Excel, with the chain head)",
)
def api_audit(
    request: Request,
    p: Admin,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=ROWS_MAX,
            description="JSON: rows (default 500, at most 10,000); Excel: every row unless given",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=ROWS_MAX, description="JSON: rows to skip (newest first)")] = 0,
    format: Format = "json",
) -> Any:
    t = tr(request)
    if format == "xlsx":
        if offset:
            raise InputError(
                "offset 只用于 JSON 分页, Excel 导出全部行 (offset pages JSON only; the Excel has every row)"
            )
        store = context(request).store
        path, head, written = write_audit_xlsx(store, t, action=action or None, limit=limit)
        detail = {
            "rows": written,
            "chain_rows": head.rows if head else 0,
            "head_hash": head.last_hash if head else "",
        }
        audit(request, "audit.export", p=p, target=action or "", detail=detail)
        return FileResponse(
            path,
            media_type=XLSX,
            headers={"Content-Disposition": attachment("audit_log.xlsx")},
            background=BackgroundTask(path.unlink, missing_ok=True),
        )
    size = limit or 500
    if size > JSON_MAX:
        raise InputError(
            f"limit={size}: JSON 每次最多 {JSON_MAX:,} 行, 请用 offset 分页, 或用 format=xlsx 导出全部行 "
            f"(JSON returns at most {JSON_MAX:,} rows a request: page with offset, or export every row with format=xlsx)"
        )
    return respond(audit_table(request, action, size, offset), "json", t)


class ChainBreakOut(BaseModel):
    kind: str = Field(description="content, link, missing, head, unchained, no_head or expected")
    id: int | None
    seq: int | None
    at: dt.datetime | None
    action: str
    text: str


class ChainOut(BaseModel):
    """The audit log's hash chain as a walk found it."""

    ok: bool
    rows: int = Field(description="rows checked in chain order")
    head_hash: str
    head_id: int | None
    anchor_rows: int = Field(description="rows written before the chain existed (chained by migration 0009)")
    anchored_at: dt.datetime | None
    problem: ChainBreakOut | None
    expected_at: int | None = Field(description="where the kept head hash was found (its seq)")


def chain_out(r: ChainReport) -> ChainOut:
    b = r.problem
    problem = (
        None
        if b is None
        else ChainBreakOut(kind=b.kind, id=b.id, seq=b.seq, at=b.at, action=b.action, text=b.text)
    )
    return ChainOut(
        ok=r.ok,
        rows=r.rows,
        head_hash=r.head_hash,
        head_id=r.head_id,
        anchor_rows=r.head.anchor_rows if r.head else 0,
        anchored_at=r.head.anchored_at if r.head else None,
        problem=problem,
        expected_at=r.expected_at,
    )


@api.get(
    "/audit/verify",
    response_model=ChainOut,
    summary="校验审计日志哈希链 / walk the audit log's hash chain (every hash and link, the head)",
)
def api_audit_verify(
    request: Request,
    p: Admin,
    expect_head: Hash = None,
    expect_rows: Annotated[int | None, Query(ge=1, le=ROWS_MAX)] = None,
) -> Any:
    if expect_rows is not None and expect_head is None:
        raise InputError("expect_rows 须与 expect_head 同用 (expect_rows needs expect_head)")
    report = verify_chain(context(request).store, expect_hash=expect_head, expect_rows=expect_rows)
    return chain_out(report)
