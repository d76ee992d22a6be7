"""企业自查 (/policy/check): one enterprise's policies, amounts and missing data; /api/v1/policy/check.

Two modes, both evaluating every policy of the library for one firm (``zonebrain policy check``):

* **By USCC** (a GET): the firm's data in the warehouse (``evaluate(..., only=[uscc])``) with the
  payment ledger, so an award already paid for the period (one-time or annual) shows as 已兑现 with
  its ledger entry, and one withdrawn after an upheld 公示 objection as 已撤回 with the batch and
  the reason; neither is counted as available. Firm-level figures, so it follows
  the finance permission and the scope (:func:`enterprise_row`): an enterprise user their own USCC,
  a park officer their park's firms, admin, leader and policy researcher any; investment officers
  403. The Excel export is ``/api/v1/policy/check/{uscc}?format=xlsx``.
* **By a filled-in form** (企业自测表, a POST with the CSRF token): the facts of the year assessed
  and the year before, read exactly (money in 元 or 万元 through the import formats' parser, never a
  float) and evaluated in a private in-memory warehouse. It reads nothing from the warehouse, so
  every logged-in role may use it (a prospective firm with an investment officer). Errors are shown
  next to their field, Chinese first, then English. Reading the form is ``policy_check_form``.
* **The same form as JSON** (``POST /api/v1/policy/check``, for another system or a script): the
  body becomes the form's fields (:func:`body_fields`) and goes through the same reading
  (:func:`parse_form`, each amount naming its own unit) and evaluation; a value that cannot be read
  is a 422 ``validation_error`` whose ``detail`` gives its JSON path and the page's message.

The year assessed is checked once, by ``pol.self_check``, which gives the provisional warning for a
year not over yet back with its results. The pages show it above the results and the APIs return
it as ``provisional``; the Excel files (:func:`export`) carry it, and the reason a firm has no rows
(the API's ``note``), on rows of their own above the table. A form's Excel file lists the facts
entered on a sheet of their own, in the reader's words and with their units.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Annotated, Any, Final, NamedTuple

import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from zonebrain import policy as pol
from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError, USCCError
from zonebrain.core.uscc import USCC
from zonebrain.core.xlsx import safe_text, save_workbook
from zonebrain.disbursement import Ledger, ask_for
from zonebrain.web._auth import Perm, Principal, principal
from zonebrain.web._errors import ERROR_RESPONSES, ApiError, Forbidden, NotFound
from zonebrain.web._i18n import Translator, locale_of, translate
from zonebrain.web._queries import policy as q
from zonebrain.web._queries._common import field_names, year_of
from zonebrain.web._queries.enterprises import _one as enterprise_row
from zonebrain.web._queries.payout import on_the_list
from zonebrain.web._queries.policy_words import unmet
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, tr
from zonebrain.web._routes.policy_check_form import (
    ENTERPRISE_FACTS,
    MONEY,
    STATUS_CHOICES,
    UNITS,
    YEAR_FACTS,
    Entered,
    Parsed,
    both,
    check_year,
    entered,
    field_label,
    label_zh,
    parse_form,
    period_refused,
    presence_facts,
    write_entered,
)
from zonebrain.web._tables import (
    XLSX,
    XLSX_RESPONSE,
    Col,
    DataTable,
    Format,
    TableOut,
    attachment,
    to_json,
    to_xlsx,
)

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=ERROR_RESPONSES)
User = Annotated[Principal, Depends(principal)]
UsccQuery = Annotated[str | None, Query(max_length=64)]  # checked by uscc_code: it says what is wrong
Uscc = Annotated[str, Path(min_length=1, max_length=64)]
Period = Annotated[
    Annotated[int, Field(ge=2000, le=2100)] | None,
    BeforeValidator(lambda v: None if isinstance(v, str) and not v.strip() else v),  # a browser's period=
    Query(description="考核年度 (留空: 最新数据年度) / year assessed (blank: the latest with data)"),
]
PROVISIONAL: Final = "年度尚未结束, 结果为暂定 / the year is not over yet: the results are provisional"

MAX_FIELDS: Final = 200
FORM_USCC: Final = "SELF-CHECK-FORM"
COLUMNS: Final = [
    Col("policy_id", "policy_check.col.policy_id"),
    Col("policy_name", "policy_check.col.policy_name"),
    Col("clause_id", "policy.col.clause"),
    Col("clause_ref", "policy.col.ref"),
    Col("title", "policy.col.title"),
    Col("status_text", "policy.col.status"),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    Col("missing_labels", "policy_check.col.missing_labels"),
    Col("ask", "policy_check.col.ask"),
    Col("unmet", "policy_check.col.unmet"),
    Col("missing_fields", "policy_check.col.missing_code", page=False, xlsx=False),
    Col("status", "policy.col.status_code", page=False),
    Col("history_note", "payout.col.note"),
    Col("history", "payout.col.entry_status", page=False, xlsx=False),
    Col("paid_fen", "policy_check.col.paid_amount", "fen", unit="元", page=False),  # 元: fen are 2 places
    Col("ledger_entry", "payout.col.entry", "id", page=False),
    Col("history_batch", "payout.col.batch", "id", page=False),
]
"""The result columns; ``history`` (``paid`` or ``withdrawn``) and its note say what the 兑现
workflow already did with an award: the amount paid, its ledger entry and batch (Excel and JSON)."""
HISTORY_TEXT: Final = {"paid": "payout.status_paid", "withdrawn": "payout.item_withdrawn"}
"""The status shown for an award the workflow already decided: 已兑现, or 已撤回 (an upheld objection)."""


# ---- the form (read by policy_check_form) ---------------------------------------------------


class Checked(NamedTuple):
    """A form's result table and the provisional warning for its year (None: the year is over)."""

    table: DataTable
    provisional: str | None


def evaluate_form(parsed: Parsed) -> pa.Table | None:
    """Every policy for the form's firm, in a private in-memory warehouse (no ledger: a form is no
    firm); None when the form has errors, ``parsed.errors`` saying which. The year is checked once:
    by ``pol.self_check`` with the evaluation (its provisional warning comes back with the results),
    or alone when another field already has an error (:func:`check_year`), to be shown with it."""
    if parsed.errors:
        check_year(parsed)
        return None
    form = pol.Form.model_validate({"uscc": FORM_USCC, "period": parsed.period, "firm": parsed.firm})
    try:
        return pol.self_check(None, q.library(), parsed.period, form=form)
    except pol.PeriodRefused as exc:  # a year not begun, or before the policies apply: beside the year
        period_refused(parsed, exc)
        return None


async def form_result(request: Request, parsed: Parsed) -> Checked | None:
    """The result of a form, or None when ``parsed.errors`` says what to correct: the page, its
    Excel file and the API alike."""
    results = await run_in_threadpool(evaluate_form, parsed)
    if results is None:
        return None
    t = tr(request)
    table = result_table(results, t, t("policy_check.form_subject"), parsed.period)
    return Checked(table, pol.self_check_provisional(results))


# ---- by USCC -------------------------------------------------------------------------------


@dataclass
class ByUscc:
    """One firm's self-check: its year, results, provisional warning and why there is no result."""

    firm: dict[str, Any]
    year: int
    results: pa.Table
    provisional: str | None
    note: str | None


def uscc_code(text: str) -> str:
    """A USCC as typed or pasted: blanks (also inside) dropped, letters upper-cased; a code breaking
    a GB 32100 rule (length, a letter never used such as I/O/Z/S/V, a check digit) is a 400 saying
    which, never looked up as a firm the registry does not have."""
    code = "".join(text.split()).upper()
    try:
        return USCC.parse(code).code
    except USCCError as exc:
        raise InputError(f"不是有效的统一社会信用代码 (not a valid USCC): {exc}") from exc


def check_uscc(request: Request, p: Principal, uscc: str, period: int | None) -> ByUscc:
    """The firm (400 an invalid code, 403 outside the scope, 404 unknown, naming the code), the year
    assessed (``pol.PeriodRefused``, a 400, when it has not begun or is before the policies apply:
    checked once, by ``pol.self_check``, which gives the provisional warning back with the results),
    the results."""
    if not p.can(Perm.FINANCE):
        raise Forbidden()  # firm-level figures: investment officers use the form instead
    ctx = context(request)
    code = uscc_code(uscc)
    try:
        firm = enterprise_row(ctx, p, code)
    except NotFound as exc:  # only for who may see every firm: a scoped user gets 403
        raise q.no_such_firm(code) from exc
    year = period or year_of(ctx) or beijing_today().year - 1
    with ctx.pool.reader() as wh:
        table = pol.self_check(wh, q.library(), year, uscc=firm["uscc"], history=Ledger(ctx.store))
        note = None if table.num_rows else pol.absent_reason(wh, firm["uscc"], year)
    return ByUscc(firm, year, table, pol.self_check_provisional(table), note)


# ---- results -------------------------------------------------------------------------------


def result_table(results: pa.Table, t: Translator, subject: str, period: int) -> DataTable:
    """One row per policy × clause, payable first, with the missing data named in Chinese. An
    award the 兑现 workflow already paid, or withdrew after an upheld objection (``history``, see
    ``pol.self_check``), is shown as such, after the others, without an amount or data to ask for:
    it is not available any more."""
    lib = q.library()
    refs = q.clause_refs(lib)
    rank = {s: i for i, s in enumerate(q.STATUSES)}
    rows = []
    for r in sorted(results.to_pylist(), key=lambda r: _place(r, rank)):
        history = r.get("history")
        if history is not None:
            r = {**r, "amount_fen": None, "missing_fields": None}
        missing = [f for f in (r["missing_fields"] or "").split(",") if f.strip()]
        ref, title = refs.get((r["policy_id"], r["clause_id"]), ("", ""))
        policy = lib.policies.get(r["policy_id"])
        rows.append(
            {
                "policy_id": r["policy_id"],
                "policy_name": policy.meta.name if policy else "",
                "clause_id": r["clause_id"],
                "clause_ref": ref,
                "title": title,
                "status": r["status"],
                "status_text": t(HISTORY_TEXT[history] if history else f"policy.status_{r['status']}"),
                "amount_fen": r["amount_fen"],
                "missing_fields": r["missing_fields"] or "",
                "missing_labels": field_names(locale_of(t), ",".join(missing)),
                "ask": ask_for(r["missing_fields"] or "", locale_of(t)),
                "unmet": unmet(lib, r.get("trace"), locale_of(t))
                if r["status"] == "ineligible" and history is None
                else "",
                "paid_before": history is None and '"ledger"' in (r.get("trace") or ""),
                "history": history,
                "history_note": r.get("history_text") or "",
                "paid_fen": r.get("history_amount_fen") if history == "paid" else None,
                "ledger_entry": r.get("history_entry"),
                "history_batch": r.get("history_batch"),
            }
        )
    return DataTable(
        f"policy_check_{period}",
        "policy_check.table_title",
        list(COLUMNS),
        rows,
        title_params={"subject": subject, "period": period},
    )


def _place(r: dict[str, Any], rank: dict[str, int]) -> int:
    """Where a result goes in the list: by status, payable first; one already paid or withdrawn last."""
    return len(rank) + 1 if r.get("history") else rank.get(r["status"], len(rank))


def totals(table: DataTable) -> dict[str, int]:
    """What is still available: the eligible awards the workflow has not paid or withdrawn; and the paid."""
    eligible = [r for r in table.rows if r["status"] == "eligible" and not r.get("history")]
    return {
        "eligible": len(eligible),
        "amount_fen": sum(int(r["amount_fen"] or 0) for r in eligible),
        "undetermined": sum(1 for r in table.rows if r["status"] == "undetermined" and not r.get("history")),
        "paid": sum(r.get("history") == "paid" for r in table.rows),
        "paid_fen": sum(int(r.get("paid_fen") or 0) for r in table.rows),
    }


def export(
    table: DataTable,
    t: Translator,
    *,
    provisional: str | None = None,
    absent: str | None = None,
    facts: list[Entered] | None = None,
) -> Response:
    """The result table as an Excel file, with what the page says beside it: the provisional
    warning of a year not over yet and, for a firm without rows, the reason (the API's ``note``),
    each on its own row between the title and the column headers, where whoever opens the file
    reads it before the figures. Without either, the plain table (headers on the second row).
    *facts*: a filled-in form's facts (:func:`entered`), on a sheet of their own after the results,
    so that the file alone says what its result was computed from (QA)."""
    notes = [
        t(key, text=text)
        for key, text in (
            ("policy_check.xlsx_provisional", provisional),
            ("policy_check.xlsx_absent", absent),
        )
        if text
    ]
    content = to_xlsx(table, t)
    if notes or facts is not None:
        from openpyxl import load_workbook
        from openpyxl.styles import Font

        wb = load_workbook(io.BytesIO(content))
        ws = wb.worksheets[0]  # the table's only sheet
        if notes:
            ws.insert_rows(2, len(notes))  # the header and the rows move down, their formats with them
        for row, note in enumerate(notes, start=2):
            cell = ws.cell(row=row, column=1, value=safe_text(note))
            cell.data_type = "s"
            cell.font = Font(bold=True, color="9C5700")  # a warning, in Excel's amber
        if facts is not None:
            write_entered(wb, facts, t, int(table.title_params["period"]))
        buf = io.BytesIO()
        save_workbook(wb, buf)
        content = buf.getvalue()
    disposition = attachment(f"{table.name}.xlsx")
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    if len(form) > MAX_FIELDS:
        raise InputError(f"表单字段过多 (too many fields: at most {MAX_FIELDS})")
    return {k: v[:256] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _page(
    request: Request,
    p: Principal,
    *,
    table: DataTable | None = None,
    export: str | None = None,
    uscc: str | None = None,
    uscc_period: int | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    absent: str | None = None,
    provisional: str | None = None,
    uscc_error: str | None = None,
    listed: list[dict[str, Any]] | None = None,
) -> Response:
    tags, events = presence_facts()
    default_year = beijing_today().year - 1
    return render(
        request,
        "policy_check.html",
        {
            "table": table,
            "totals": totals(table) if table else None,
            "export": export,
            "uscc": uscc or p.uscc_scope or "",
            "uscc_period": uscc_period or "",
            "uscc_error": uscc_error,
            "provisional": provisional,
            "can_uscc": p.can(Perm.FINANCE),
            "form": form or {"period": str(default_year), "unit": "万元"},
            "errors": errors or {},
            "year_facts": [(f, tr(request)(f"policy_check.fact.{f}")) for f in YEAR_FACTS],
            "money": MONEY,
            "units": UNITS,
            "statuses": STATUS_CHOICES,
            "tags": tags,
            "events": events,
            "yuan": q.yuan,
            "absent": absent,
            "listed": listed or [],
        },
        status,
    )


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/policy/check")
def check_page(request: Request, p: User, uscc: UsccQuery = None, period: Period = None) -> Response:
    """The two forms; with ``uscc`` (an enterprise user: always their own) the firm's result."""
    code = uscc if uscc and uscc.strip() else p.uscc_scope
    if not code:
        return _page(request, p, uscc_period=period)
    try:
        got = check_uscc(request, p, code, period)
    except (pol.PeriodRefused, InputError, NotFound) as exc:  # the form again, the values kept, why
        status = 404 if isinstance(exc, NotFound) else 400
        return _page(request, p, uscc=code, uscc_period=period, uscc_error=str(exc), status=status)
    code, year = got.firm["uscc"], got.year
    table = result_table(got.results, tr(request), f"{got.firm['name']} {code}", year)
    export = f"/api/v1/policy/check/{code}?period={year}&format=xlsx"
    shown = {"uscc": code, "uscc_period": year, "absent": got.note, "provisional": got.provisional}
    listed = on_the_list(context(request), p, tr(request), code)
    return _page(request, p, table=table, export=export, listed=listed, **shown)


@pages.post("/policy/check")
async def check_form(request: Request, p: User) -> Response:
    """The filled-in form: its result, or the form again with each error beside its field (422)."""
    form = await _form(request)
    parsed = parse_form(form)
    got = await form_result(request, parsed)
    if got is None:
        return _page(request, p, form=form, errors=parsed.errors, status=422)
    return _page(request, p, table=got.table, form=form, provisional=got.provisional)


@pages.post("/policy/check/export")
async def check_form_export(request: Request, p: User) -> Response:
    """The filled-in form's result as Excel, with the provisional warning above the table for a
    year not over yet, and the facts entered on a sheet of their own. A form with errors comes back as the page does, each error beside its
    field (422), not as a bare error page (QA)."""
    form = await _form(request)
    parsed = parse_form(form)
    got = await form_result(request, parsed)
    if got is None:
        return _page(request, p, form=form, errors=parsed.errors, status=422)
    return export(got.table, tr(request), provisional=got.provisional, facts=entered(parsed, tr(request)))


# ---- API -----------------------------------------------------------------------------------


class CheckTableOut(TableOut):  # the firm's result table, with what the page says about it
    note: str | None = Field(default=None, description="没有结果的原因 / why there are no rows")
    provisional: str | None = Field(default=None, description=PROVISIONAL)


@api.get(
    "/check/{uscc}",
    response_model=CheckTableOut,
    responses=XLSX_RESPONSE,
    summary="企业自查 / one firm's policies: status, amount (fen), missing data (your scope only)",
)
def check_api(request: Request, p: User, uscc: Uscc, period: Period = None, format: Format = "json") -> Any:
    """Every clause for one firm from the warehouse (default year, or a blank ``period``: the latest
    with data), with the payment ledger; ``note``: why there are no rows; ``provisional``: a year not
    over yet (the Excel file has both above its table). A year not begun, or before the policies
    apply: 400. Enterprise users: their own USCC; park officers: their park; investment officers 403."""
    t = tr(request)
    got = check_uscc(request, p, uscc, period)
    table = result_table(got.results, t, f"{got.firm['name']} {got.firm['uscc']}", got.year)
    if format == "xlsx":
        return export(table, t, provisional=got.provisional, absent=got.note)
    return JSONResponse({**to_json(table, t), "note": got.note, "provisional": got.provisional})


# ---- API: the filled-in form as JSON --------------------------------------------------------

MAX_ITEMS: Final = 50
JSON_YEAR_FACTS: Final = {fact.removesuffix("_fen"): fact for fact in YEAR_FACTS}
"""A year's JSON keys → the facts (``rd_expense`` → ``rd_expense_fen``: the JSON holds text with a unit)."""
JSON_YEARS: Final = (("current", 0), ("previous", 1))
_JSON_LABELS: Final = {
    "tag": "policy_check.tags",
    "since": "policy_check.tag_since",
    "kind": "policy_check.event_kind",
    "date": "policy_check.event_date",
    "detail": "policy_check.event_detail",
}
_TYPE_ERRORS: Final = {
    "text": "须为文本 (a JSON string)",
    "money": '金额须为带单位的文本, 如 "1200万元" 或 "35000.50元"; 不接受 JSON 数字, 浮点数不能精确表示金额 '
    "(money as text with its unit; a JSON number is refused)",
    "whole": "须为整数 (a JSON integer)",
}


def _json_label(name: str) -> str:
    """The name of a JSON field for its message (Chinese first, then English)."""
    if name in JSON_YEAR_FACTS:
        fact = JSON_YEAR_FACTS[name]
        return f"{label_zh(fact)} ({translate('en', f'policy_check.fact.{fact}')})"
    return both(_JSON_LABELS[name]) if name in _JSON_LABELS else field_label(name)


def _typed(kind: str) -> BeforeValidator:
    """Refuse a JSON value of the wrong type with a message naming the field, before pydantic's own
    (a number for money above all: it cannot say its unit, and a float cannot hold money exactly)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if kind == "whole":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if value is None or ok:
            return value
        message = "{field}: " + _TYPE_ERRORS[kind]
        raise PydanticCustomError(f"{kind}_type", message, {"field": _json_label(info.field_name or "")})

    return BeforeValidator(check)


Str40 = Annotated[str, Field(max_length=40)]
Str64 = Annotated[str, Field(max_length=64)]
Str200 = Annotated[str, Field(max_length=200)]
"""The bound sits on the text, inside ``… | None`` (on the union it would be applied to a null)."""
Text = Annotated[Str64 | None, _typed("text")]
Money = Annotated[
    Str40 | None,
    _typed("money"),
    Field(description='带单位的金额 / money with its unit: "1200万元", "35000.50元"'),
]
Count = Annotated[int | None, _typed("whole"), Field(description="人数 / people (a whole number ≥ 0)")]


class YearIn(BaseModel):
    """One year's figures. Money is text with its unit (元 or 万元), read exactly; never a number."""

    model_config = ConfigDict(extra="forbid")
    revenue: Money = None
    tax: Money = Field(default=None, description="纳税总额, 可为负 (退税) / tax, may be negative (refunds)")
    rd_expense: Money = None
    employees: Count = None
    insured_employees: Count = None


class TagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: Annotated[Str64, _typed("text"), Field(description="标签, 如 高新技术企业 / a tag")]
    since: Annotated[Str40 | None, _typed("text"), Field(description="认定日期 YYYY-MM-DD")] = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[Str64, _typed("text"), Field(description="事件, 如 迁入 / an event kind")]
    date: Annotated[Str40, _typed("text"), Field(description="日期 YYYY-MM-DD / when")]
    detail: Annotated[Str200 | None, _typed("text"), Field(description="说明 / detail")] = None


class CheckIn(BaseModel):
    """企业自测表 as JSON: the facts the policy library reads, for the year assessed and the year
    before. A fact left out (or null) is missing: the clauses needing it come out 待核实, naming it.
    Tags and events not listed are absent (not missing), as on the page's form."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "period": 2024,
                    "division_code": "410172160",
                    "status": "在业",
                    "current": {
                        "revenue": "8000万元",
                        "tax": "300万元",
                        "rd_expense": "1200万元",
                        "insured_employees": 80,
                    },
                    "previous": {"revenue": "6500万元"},
                    "tags": [{"tag": "高新技术企业", "since": "2021-11-30"}],
                }
            ]
        },
    )
    period: Annotated[int, _typed("whole"), Field(description="考核年度 (2000–2100) / year assessed")]
    division_code: Text = Field(default=None, description="注册地行政区划代码, 如 410172160")
    industry_code: Text = Field(
        default=None, description="国民经济行业代码 (GB/T 4754 小类), 如 3921 (写 C3921 亦可)"
    )
    status: Text = Field(default=None, description=f"登记状态: {'/'.join(STATUS_CHOICES)}")
    registered_on: Text = Field(
        default=None, description="成立日期 (可选; 考核年度成立的企业此前没有营业收入) / registration date"
    )
    current: YearIn | None = Field(default=None, description="考核年度 / the year assessed")
    previous: YearIn | None = Field(default=None, description="上一年度 / the year before")
    max_revenue_before: Money = Field(
        default=None, description="上一年度以前的最高营业收入 (可选) / highest revenue of the earlier years"
    )
    tags: list[TagIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    events: list[EventIn] = Field(default_factory=list, max_length=MAX_ITEMS)


Loc = tuple[str | int, ...]


def body_fields(body: CheckIn) -> tuple[dict[str, str], dict[str, Loc], list[dict[str, Any]]]:
    """The body as the page's form fields (for :func:`parse_form`), the JSON path each came from
    (where its error is reported), and the body's own errors: an unknown tag or event, one given twice."""
    fields: dict[str, str] = {}
    where: dict[str, Loc] = {}
    problems: list[dict[str, Any]] = []

    def put(name: str, value: object, *loc: str | int) -> None:
        where[name] = ("body", *loc)
        if value is not None:
            fields[name] = str(value)

    def refuse(msg: str, *loc: str | int) -> None:
        problems.append({"loc": ["body", *map(str, loc)], "msg": msg, "type": "value_error"})

    put("period", body.period, "period")
    for name in ENTERPRISE_FACTS:
        put(name, getattr(body, name), name)
    for key, offset in JSON_YEARS:
        year = getattr(body, key) or YearIn()
        for json_name, fact in JSON_YEAR_FACTS.items():
            put(f"{fact}_{offset}", getattr(year, json_name), key, json_name)
    put("max_revenue_before", body.max_revenue_before, "max_revenue_before")
    tags, events = presence_facts()
    for i, t in enumerate(body.tags):
        label = _json_label("tag")
        if t.tag not in tags:
            known = "、".join(tags)
            refuse(f"{label}: 未知标签 {t.tag[:64]!r} (unknown tag); 可用 / known: {known}", "tags", i, "tag")
        elif f"tag_{tags.index(t.tag)}" in fields:
            refuse(f"{label}: {t.tag} 重复 (given twice)", "tags", i, "tag")
        else:
            n = tags.index(t.tag)
            fields[f"tag_{n}"] = "on"
            put(f"tag_since_{n}", t.since, "tags", i, "since")
    kinds = [kind for kind, _ in events]
    for i, e in enumerate(body.events):
        label = _json_label("kind")
        if e.kind not in kinds:
            known = "、".join(kinds)
            msg = f"{label}: 未知事件 {e.kind[:64]!r} (unknown event); 可用 / known: {known}"
            refuse(msg, "events", i, "kind")
        elif f"event_{kinds.index(e.kind)}" in where:
            refuse(f"{label}: {e.kind} 重复 (given twice)", "events", i, "kind")
        elif not e.date.strip():
            refuse(f"{_json_label('date')}: 必填 (required)", "events", i, "date")
        else:
            n = kinds.index(e.kind)
            put(f"event_{n}", e.date, "events", i, "date")
            if e.detail is not None:
                fields[f"event_detail_{n}"] = e.detail
    return fields, where, problems


class CheckInvalid(ApiError):
    """A self-check body with a value that cannot be read: 422 ``validation_error``, ``detail``
    names each field (its JSON path) with the page's message."""

    status, code = 422, "validation_error"


class MissingOut(BaseModel):
    code: str = Field(description="缺失数据代码 / the missing fact, e.g. rd_expense_fen[2024]")
    label_zh: str = Field(description="中文名称 / its Chinese name, e.g. 2024年研发费用")


class ClauseOut(BaseModel):
    policy_id: str
    policy_name: str
    clause_id: str
    clause_ref: str = Field(description="条款 / the clause reference, e.g. 第一条")
    title: str
    status: str = Field(description="eligible | ineligible | undetermined (待核实) | superseded (被从高替代)")
    status_text: str = Field(description="状态 (请求语言) / the status in the request's language")
    amount_fen: int | None = Field(description="金额 (分); 非 eligible 为 null / the amount in fen")
    amount_yuan: str = Field(description='金额 (元), 如 "120,000.00"; 无金额为 "" / in 元 as shown')
    missing: list[MissingOut] = Field(description="待核实所缺数据 / what an undetermined result lacks")
    ask: str = Field(description="需提供的材料 / what to provide (one per line)")
    unmet: str = Field(
        default="", description="不符合时未满足的条件 / for an ineligible result, the conditions not met"
    )


class CheckOut(BaseModel):
    period: int
    eligible: int = Field(description="符合条数 / eligible clauses")
    amount_fen: int = Field(description="符合条款合计 (分) / their total in fen")
    amount_yuan: str = Field(description="合计 (元) / the total in 元")
    undetermined: int = Field(description="待核实条数 / undetermined clauses")
    provisional: str | None = Field(default=None, description=PROVISIONAL)
    results: list[ClauseOut] = Field(description="每条政策条款, 符合的在前 / per clause, payable first")


def check_out(table: DataTable, period: int, provisional: str | None = None) -> CheckOut:
    """The result table (the page's, row for row) as the API's answer."""
    sums = totals(table)
    results = [
        ClauseOut(
            policy_id=r["policy_id"],
            policy_name=r["policy_name"],
            clause_id=r["clause_id"],
            clause_ref=r["clause_ref"],
            title=r["title"],
            status=r["status"],
            status_text=r["status_text"],
            amount_fen=r["amount_fen"],
            amount_yuan=q.yuan(r["amount_fen"]),
            missing=[
                MissingOut(code=code, label_zh=label_zh(code))
                for code in (f.strip() for f in r["missing_fields"].split(","))
                if code
            ],
            ask=r["ask"],
            unmet=r["unmet"],
        )
        for r in table.rows
    ]
    return CheckOut(
        period=period,
        eligible=sums["eligible"],
        amount_fen=sums["amount_fen"],
        amount_yuan=q.yuan(sums["amount_fen"]),
        undetermined=sums["undetermined"],
        provisional=provisional,
        results=results,
    )


@api.post(
    "/check",
    response_model=CheckOut,
    summary="企业自测 (填表) / self-check of a firm's facts given as JSON: status, amount, missing data",
)
async def check_form_api(request: Request, p: User, body: CheckIn) -> CheckOut:
    """The page's filled-in form as JSON, read by the same code and evaluated the same way (a private
    in-memory warehouse, nothing read from the zone's data or written): every role may use it. Money
    is text with its unit, 元 or 万元 as on the form ("1200万元", "35000.50元"); dates may not be
    after today (Beijing). A value that cannot be read is a 422
    ``validation_error`` whose ``detail`` names the field. Post with the session's X-CSRF-Token."""
    fields, where, problems = body_fields(body)
    parsed = parse_form(fields, units_in_values=True)
    got = None
    if problems:  # not evaluated: the year is checked alone, to be reported with the body's errors
        check_year(parsed)
    else:
        got = await form_result(request, parsed)
    for name, msg in parsed.errors.items():
        loc = [str(x) for x in where.get(name, ("body",))]  # as strings, like every validation error
        problems.append({"loc": loc, "msg": msg, "type": "value_error"})
    if problems or got is None:
        raise CheckInvalid("; ".join(x["msg"] for x in problems), detail=problems)
    return check_out(got.table, parsed.period, got.provisional)
