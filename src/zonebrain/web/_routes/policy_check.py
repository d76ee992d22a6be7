"""企业自查 (/policy/check): one enterprise's policies, amounts and missing data; /api/v1/policy/check.

Two modes, both evaluating every policy of the library for one firm (``zonebrain policy check``):

* **By USCC** (a GET): the firm's data in the warehouse (``evaluate(..., only=[uscc])``) with the
  payment ledger, so a one-time award already paid shows as such. Firm-level figures, so it follows
  the finance permission and the scope (:func:`enterprise_row`): an enterprise user their own USCC,
  a park officer their park's firms, admin, leader and policy researcher any; investment officers
  403. The Excel export is ``/api/v1/policy/check/{uscc}?format=xlsx``.
* **By a filled-in form** (企业自测表, a POST with the CSRF token): the facts of the year assessed
  and the year before, read exactly (money in 元 or 万元 through the import formats' parser, never a
  float) and evaluated in a private in-memory warehouse. It reads nothing from the warehouse, so
  every logged-in role may use it (a prospective firm with an investment officer). Errors are shown
  next to their field, Chinese first, then English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Annotated, Any, Final

import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zonebrain import policy as pol
from zonebrain.core.errors import InputError, MoneyError
from zonebrain.core.money import parse_amount
from zonebrain.disbursement import Ledger, ask_for
from zonebrain.policy._coverage import fact_label_zh
from zonebrain.web._auth import Perm, Principal, principal
from zonebrain.web._errors import ERROR_RESPONSES, Forbidden
from zonebrain.web._i18n import Translator, translate
from zonebrain.web._queries import policy as q
from zonebrain.web._queries._common import year_of
from zonebrain.web._queries.enterprises import _one as enterprise_row
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, form_day, tr
from zonebrain.web._tables import XLSX_RESPONSE, Col, DataTable, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=ERROR_RESPONSES)
User = Annotated[Principal, Depends(principal)]
UsccQuery = Annotated[str | None, Query(max_length=18, pattern=r"^([0-9A-Za-z]{18})?$")]
Uscc = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$")]
Period = Annotated[int | None, Query(ge=2000, le=2100, description="考核年度 / year assessed")]

ENTERPRISE_FACTS: Final = ("division_code", "industry_code", "status")
YEAR_FACTS: Final = ("revenue_fen", "tax_fen", "rd_expense_fen", "employees", "insured_employees")
MONEY: Final = frozenset({"revenue_fen", "tax_fen", "rd_expense_fen"})
SIGNED: Final = frozenset({"tax_fen"})
"""Money that may be negative (tax net of refunds, as the family's 第一条 reads it)."""
STATUS_CHOICES: Final = ("存续", "在业", "注销", "吊销", "迁出")
UNITS: Final = ("万元", "元")
MAX_FIELDS: Final = 200
MAX_COUNT: Final = 10_000_000
FORM_USCC: Final = "SELF-CHECK-FORM"
COLUMNS: Final = [
    Col("policy_id", "policy.col.policy"),
    Col("policy_name", "policy_check.col.policy_name"),
    Col("clause_id", "policy.col.clause"),
    Col("clause_ref", "policy.col.ref"),
    Col("title", "policy.col.title"),
    Col("status_text", "policy.col.status"),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    Col("missing_labels", "policy_check.col.missing_labels"),
    Col("ask", "policy_check.col.ask"),
    Col("missing_fields", "policy_check.col.missing_code", page=False, xlsx=False),
    Col("status", "policy.col.status_code", page=False),
]


# ---- the form ------------------------------------------------------------------------------


@cache
def presence_facts() -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The tags the library reads, and the events with whether a condition reads their detail."""
    lib = q.library()
    trees = [c for f in lib.families.values() for c in (f.eligibility, *f.exclusions)]
    trees += [c.when for p in lib.policies.values() for c in p.clauses]
    tags: dict[str, None] = {}
    events: dict[str, bool] = {}
    for leaf in (x for tree in trees for x in tree.leaves()):
        if leaf.tag is not None:
            tags[leaf.tag] = None
        if leaf.event is not None:
            events[leaf.event] = events.get(leaf.event, False) or leaf.detail_excludes is not None
    return tuple(tags), tuple(events.items())


def label_zh(name: str) -> str:
    """The Chinese name of a fact or a missing field (``tax_fen[2024]`` → ``2024年纳税总额``)."""
    m = re.fullmatch(r"(\w+)\[(\d{4})\]", name)
    fact, year = (m.group(1), f"{m.group(2)}年") if m else (name, "")
    text = fact_label_zh(fact)
    if text == fact:  # not an import column: our own catalogue names it
        own = translate("zh-CN", f"policy_check.fact.{fact}")
        text = fact if own.startswith("policy_check.") else own
    return f"{year}{text}"


def _both(key: str) -> str:
    """A catalogue entry as a field name in messages: Chinese first, then English."""
    return f"{translate('zh-CN', key)} ({translate('en', key)})"


def field_label(name: str) -> str:
    """The name of a form field for its error message (Chinese first, then English)."""
    tags, events = presence_facts()
    fact, _, suffix = name.rpartition("_")
    if suffix in ("0", "1") and fact in YEAR_FACTS:
        which = f"policy_check.{'year_current' if suffix == '0' else 'year_before'}"
        en = f"{translate('en', f'policy_check.fact.{fact}')}, {translate('en', which)}"
        return f"{translate('zh-CN', which)}{label_zh(fact)} ({en})"
    if fact == "tag_since" and int(suffix) < len(tags):
        return f"{tags[int(suffix)]}{_both('policy_check.tag_since')}"
    if fact == "event" and int(suffix) < len(events):
        return f"{events[int(suffix)][0]}{_both('policy_check.event_date')}"
    return _both(f"policy_check.fact.{name}" if name in ENTERPRISE_FACTS else f"policy_check.{name}")


@dataclass
class Parsed:
    """A filled-in form read: the period, one firm in the case format, and the errors per field."""

    period: int = 0
    firm: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _fen_text(fen: int) -> str:
    return f"{fen}分"  # exact through the case loader's parser (a bare number would be read as 元)


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100):
        raise InputError(f"须为 2000 至 2100 之间的年份 (a year from 2000 to 2100), 收到 {text[:10]!r}")
    return int(text)


def _date(text: str) -> dt.date:
    return form_day(text, "日期", earliest=dt.date(1950, 1, 1))  # founding dates reach back further


def _money(text: str, unit: str, signed: bool) -> int:
    try:
        fen = parse_amount(text, unit, strict_unit=True)
    except MoneyError as exc:
        raise InputError(str(exc)) from None
    if fen < 0 and not signed:
        raise InputError(f"金额不能为负 (must not be negative): {text[:40]}")
    return fen


def _count(text: str) -> int:
    plain = text.replace(",", "")
    if not (plain.isascii() and plain.isdigit()) or int(plain) > MAX_COUNT:
        raise InputError(f"须为不小于 0 的整数人数 (a whole number of people), 收到 {text[:20]!r}")
    return int(plain)


def _division(text: str) -> str:
    if not (text.isascii() and text.isdigit() and 6 <= len(text) <= 12):
        raise InputError(f"须为 6–12 位数字, 如 410172160 (6 to 12 digits), 收到 {text[:20]!r}")
    return text


def _industry(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z]?\d{2,4}", text):
        raise InputError(f"须为国民经济行业代码, 如 C3921 或 3921 (a GB/T 4754 code), 收到 {text[:20]!r}")
    return text.upper()


def _status(text: str) -> str:
    if text not in STATUS_CHOICES:
        raise InputError(f"须为 {'/'.join(STATUS_CHOICES)} 之一 (one of the registry statuses)")
    return text


def parse_form(form: dict[str, str]) -> Parsed:
    """Read the form; a value that cannot be read is an error on its field (nothing is guessed).
    A blank field is a missing fact: the clauses needing it come out 待核实, naming it."""
    out = Parsed()
    errors = out.errors

    def read(name: str, fn: Callable[[str], Any]) -> Any:
        text = form.get(name, "").strip()
        if not text:
            return None
        try:
            return fn(text)
        except InputError as exc:
            errors[name] = f"{field_label(name)}: {exc}"
            return None

    period = read("period", _year)
    if period is None and "period" not in errors:
        errors["period"] = f"{field_label('period')}: 必填 (required)"
    unit = form.get("unit", "").strip() or "万元"
    if unit not in UNITS:
        errors["unit"] = f"{field_label('unit')}: 只能是 元 或 万元 (元 or 万元 only)"
        unit = "万元"
    enterprise = {
        "division_code": read("division_code", _division),
        "industry_code": read("industry_code", _industry),
        "status": read("status", _status),
    }
    years: dict[int, dict[str, Any]] = {}
    for offset in (0, 1):
        values: dict[str, Any] = {}
        for fact in YEAR_FACTS:
            if fact in MONEY:
                fen = read(f"{fact}_{offset}", partial(_money, unit=unit, signed=fact in SIGNED))
                values[fact] = None if fen is None else _fen_text(fen)
            else:
                values[fact] = read(f"{fact}_{offset}", _count)
        if period is not None and any(v is not None for v in values.values()):
            years[period - offset] = values
    before = read("max_revenue_before", partial(_money, unit=unit, signed=False))
    if before is not None and period is not None:  # the earlier years' maximum, as one earlier year
        years[period - 2] = {"revenue_fen": _fen_text(before)}
    tag_names, event_kinds = presence_facts()
    tags: list[dict[str, Any]] = []
    for i, tag in enumerate(tag_names):
        since = read(f"tag_since_{i}", _date)
        if form.get(f"tag_{i}") or since is not None:
            tags.append({"tag": tag, "since": since})
    events: list[dict[str, Any]] = []
    for i, (kind, _) in enumerate(event_kinds):
        day = read(f"event_{i}", _date)
        if day is not None:
            detail = form.get(f"event_detail_{i}", "").strip()[:200] or None
            events.append({"kind": kind, "date": day, "detail": detail})
    out.period = period or 0
    out.firm = {
        "enterprise": {k: v for k, v in enterprise.items() if v is not None},
        "years": years,
        "tags": tags,
        "events": events,
    }
    return out


def evaluate_form(parsed: Parsed) -> pa.Table:
    """Every policy for the form's firm, in a private in-memory warehouse (no ledger: a form is no firm)."""
    form = pol.Form.model_validate({"uscc": FORM_USCC, "period": parsed.period, "firm": parsed.firm})
    return pol.self_check(None, q.library(), parsed.period, form=form)


# ---- by USCC -------------------------------------------------------------------------------


def check_uscc(
    request: Request, p: Principal, uscc: str, period: int | None
) -> tuple[dict[str, Any], int, pa.Table]:
    """The firm (403 outside the scope, 404 unknown), the year assessed and its results."""
    if not p.can(Perm.FINANCE):
        raise Forbidden()  # firm-level figures: investment officers use the form instead
    ctx = context(request)
    firm = enterprise_row(ctx, p, uscc)
    year = period or year_of(ctx) or dt.date.today().year - 1
    with ctx.pool.reader() as wh:
        table = pol.self_check(wh, q.library(), year, uscc=firm["uscc"], history=Ledger(ctx.store))
    return firm, year, table


# ---- results -------------------------------------------------------------------------------


def result_table(results: pa.Table, t: Translator, subject: str, period: int) -> DataTable:
    """One row per policy × clause, payable first, with the missing data named in Chinese."""
    lib = q.library()
    refs = q.clause_refs(lib)
    rank = {s: i for i, s in enumerate(q.STATUSES)}
    rows = []
    for r in sorted(results.to_pylist(), key=lambda r: rank.get(r["status"], len(rank))):
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
                "status_text": t(f"policy.status_{r['status']}"),
                "amount_fen": r["amount_fen"],
                "missing_fields": r["missing_fields"] or "",
                "missing_labels": "、".join(label_zh(f.strip()) for f in missing),
                "ask": ask_for(r["missing_fields"] or ""),
                "paid_before": '"ledger"' in (r.get("trace") or ""),
            }
        )
    return DataTable(
        f"policy_check_{period}",
        "policy_check.table_title",
        list(COLUMNS),
        rows,
        title_params={"subject": subject, "period": period},
    )


def totals(table: DataTable) -> dict[str, int]:
    eligible = [r for r in table.rows if r["status"] == "eligible"]
    return {
        "eligible": len(eligible),
        "amount_fen": sum(int(r["amount_fen"] or 0) for r in eligible),
        "undetermined": sum(1 for r in table.rows if r["status"] == "undetermined"),
    }


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
) -> Response:
    tags, events = presence_facts()
    default_year = dt.date.today().year - 1
    return render(
        request,
        "policy_check.html",
        {
            "table": table,
            "totals": totals(table) if table else None,
            "export": export,
            "uscc": uscc or p.uscc_scope or "",
            "uscc_period": uscc_period or "",
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
        },
        status,
    )


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/policy/check")
def check_page(request: Request, p: User, uscc: UsccQuery = None, period: Period = None) -> Response:
    """The two forms; with ``uscc`` (an enterprise user: always their own) the firm's result."""
    code = uscc or p.uscc_scope
    if not code:
        return _page(request, p, uscc_period=period)
    firm, year, results = check_uscc(request, p, code, period)
    table = result_table(results, tr(request), f"{firm['name']} {firm['uscc']}", year)
    export = f"/api/v1/policy/check/{firm['uscc']}?period={year}&format=xlsx"
    return _page(request, p, table=table, export=export, uscc=firm["uscc"], uscc_period=year)


@pages.post("/policy/check")
async def check_form(request: Request, p: User) -> Response:
    """The filled-in form: its result, or the form again with each error beside its field (422)."""
    form = await _form(request)
    parsed = parse_form(form)
    if parsed.errors:
        return _page(request, p, form=form, errors=parsed.errors, status=422)
    results = await run_in_threadpool(evaluate_form, parsed)
    t = tr(request)
    table = result_table(results, t, t("policy_check.form_subject"), parsed.period)
    return _page(request, p, table=table, form=form)


@pages.post("/policy/check/export")
async def check_form_export(request: Request, p: User) -> Response:
    """The filled-in form's result as Excel (an error names its field, as on the page)."""
    form = await _form(request)
    parsed = parse_form(form)
    if parsed.errors:
        raise InputError("; ".join(parsed.errors.values()))
    results = await run_in_threadpool(evaluate_form, parsed)
    t = tr(request)
    table = result_table(results, t, t("policy_check.form_subject"), parsed.period)
    out: Response = respond(table, "xlsx", t)
    return out


# ---- API -----------------------------------------------------------------------------------


@api.get(
    "/check/{uscc}",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="企业自查 / one firm's policies: status, amount (fen), missing data (your scope only)",
)
def check_api(request: Request, p: User, uscc: Uscc, period: Period = None, format: Format = "json") -> Any:
    """Every clause for one firm from the warehouse (default year: the latest with data), with the
    payment ledger. Enterprise users: their own USCC; park officers: their park; investment
    officers 403."""
    t = tr(request)
    firm, year, results = check_uscc(request, p, uscc, period)
    return respond(result_table(results, t, f"{firm['name']} {firm['uscc']}", year), format, t)
