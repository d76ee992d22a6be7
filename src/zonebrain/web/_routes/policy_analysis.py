"""政策模拟 (/policy/whatif) and 覆盖率 (/policy/coverage) pages, and their /api/v1/policy endpoints.

What-if is a POST (the scenario travels in the body and carries the CSRF token) but writes nothing:
both sides are evaluated with ``write=False`` on a read-only warehouse, so no ``policy_runs`` row
is ever added (tests/web/test_policy_workflow.py checks it).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import partial
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from zonebrain.core.errors import InputError
from zonebrain.policy._format import share_text
from zonebrain.reports import export_excel
from zonebrain.web._auth import Perm, Principal, principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._i18n import Translator
from zonebrain.web._queries import payout as payout_q
from zonebrain.web._queries import policy as pq
from zonebrain.web._queries import policy_analysis as q
from zonebrain.web._queries._common import field_name, field_names, park_names
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, form_day, locale, tr
from zonebrain.web._tables import NUMBER_FORMATS, XLSX, attachment

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/policy", tags=["policy analysis"], responses=ERROR_RESPONSES)
User = Annotated[Principal, Depends(principal)]
Reader = Annotated[Principal, Depends(requires(Perm.AGGREGATES))]
RunQuery = Annotated[str | None, Query(max_length=64, pattern=r"^([0-9A-Za-z][0-9A-Za-z_.:-]*)?$")]
DataFacts = Annotated[
    list[str], Query(max_length=10, description="视为政府已有数据的事实 / facts treated as held")
]
FILE_200: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "JSON or Excel",
    }
}
MAX_FIELDS = 200


def _excel(sheets: dict[str, Any], name: str, t: Translator) -> Response:
    """The sheets as an Excel file, headed in the reader's language (QA: English values under
    Chinese headers), money in 元 (``yuan`` in an English header)."""
    sheets = {k: q.rounded(table) for k, table in sheets.items()}
    columns = {c for table in sheets.values() for c in table.column_names}
    money = sorted(c for c in columns if c.endswith("_fen"))
    heads = q.excel_headers(sorted(columns), t)
    shares = {
        c: NUMBER_FORMATS["share"]
        for table in sheets.values()
        for c, k in zip(table.column_names, table.schema.types, strict=True)
        if q.is_share(c) and pa.types.is_floating(k)
    }
    unit = t("unit.yuan")
    with tempfile.TemporaryDirectory(prefix="zonebrain-xlsx-") as folder:
        path = export_excel(
            sheets,
            FsPath(folder) / "out.xlsx",
            heads,
            money=money,
            money_unit="元",
            formats=shares,
            unit_label=unit,
        )
        data = path.read_bytes()
    return Response(data, media_type=XLSX, headers={"Content-Disposition": attachment(name)})


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    if len(form) > MAX_FIELDS:
        raise InputError(f"表单字段过多 (too many fields: at most {MAX_FIELDS})")
    return {k: v[:64] for k, v in form.items() if isinstance(v, str)}


def _period_for(ctx: Any, as_of: dt.date | None, baseline: str | None) -> int:
    if baseline:
        return pol_period(pq.run_info(ctx, baseline)["as_of"])
    return pol_period(as_of or dt.date.today())


def pol_period(as_of: dt.date) -> int:
    from zonebrain.policy._run import default_period

    return default_period(as_of)


def _whatif_from_form(request: Request, p: Principal, form: dict[str, str]) -> Any:
    q.require_whatif(p)
    ctx = context(request)
    baseline = form.get("baseline", "").strip() or None
    if baseline is not None and not all(ch.isalnum() or ch in "_.:-" for ch in baseline):
        raise InputError("基线运行编号无效 (bad run id)")
    as_of = (
        form_day(form.get("as_of", "") or pq.default_as_of(ctx).isoformat(), "基准日")
        if not baseline
        else None
    )
    period = _period_for(ctx, as_of, baseline)
    sc = q.scenario(pq.library(), period, form, tr(request))
    return q.run(ctx, as_of, baseline, sc), sc


# ---- pages ---------------------------------------------------------------------------------


@pages.get("/policy/whatif")
def whatif_page(request: Request, p: User) -> Response:
    q.require_whatif(p)
    ctx = context(request)
    runs = q.warehouse_runs(ctx, tr(request), payout_q.batches_by_run(ctx, p, tr(request)))
    # default baseline: a fresh evaluation, so both sides see the payment ledger as it is now
    # (a recorded run may predate payments, which would show up as changes of the scenario);
    # its as-of date is the one 立即测算 starts from too
    as_of = pq.default_as_of(ctx)
    return render(
        request,
        "policy_whatif.html",
        {
            "form": q.form_spec(pq.library(), pol_period(as_of), tr(request)),
            "runs": runs,
            "baseline": None,
            "as_of": as_of.isoformat(),
        },
    )


@pages.post("/policy/whatif")
async def whatif_fragment(request: Request, p: User) -> Response:
    """The htmx fragment: totals, per park (chart), per clause, budget, winners and losers.

    A bad value answers 400 with the error page, whose message the page shows in place of the
    result (static/app.js: the stale result is greyed and marked as such)."""
    form = await _form(request)
    r, sc = _whatif_from_form(request, p, form)
    names = park_names(context(request), locale(request))
    return render(
        request,
        "_policy_whatif_result.html",
        {
            "r": q.result_view(r, p, tr(request), names),
            "changes": sc.changes,
            "yuan": pq.yuan,
            "share": share_text,
        },
    )


@pages.post("/policy/whatif/export")
async def whatif_export_form(request: Request, p: User) -> Response:
    form = await _form(request)
    r, sc = _whatif_from_form(request, p, form)
    names = park_names(context(request), locale(request))
    t = tr(request)
    return _excel(q.sheets(r, p, names, t, changes=sc.changes), f"政策模拟-{r.period}.xlsx", t)


@pages.get("/policy/coverage")
def coverage_page(request: Request, p: Reader, run: RunQuery = None, data: DataFacts = []) -> Response:  # noqa: B006
    ctx, t = context(request), tr(request)
    facts = _facts(data)
    run_id = run or pq.latest_run_id(ctx)
    c = q.coverage(ctx, run_id, facts)
    return render(
        request,
        "policy_coverage.html",
        {
            "c": c,
            "view": q.coverage_json(c, run_id),
            "chart_data": q.coverage_chart(c, t),
            "run_id": run_id,
            "provisional": pq.provisional_note(pq.run_info(ctx, run_id)) if run_id else None,
            "runs": q.warehouse_runs(ctx, t, payout_q.batches_by_run(ctx, p, t)),
            "declared": q.DECLARED_FACTS,
            "fact_label": partial(field_name, locale(request)),
            "field_names": partial(field_names, locale(request)),
            "unseen_note": q.unseen_text(c, locale(request), t),
            "data": facts,
            "export": "/api/v1/policy/coverage?format=xlsx"
            + (f"&run={run_id}" if run_id else "")
            + "".join(f"&data={f}" for f in facts),
        },
    )


def _facts(data: list[str]) -> tuple[str, ...]:
    known = set(q.DECLARED_FACTS)
    bad = [f for f in data if f not in known]
    if bad:
        raise InputError(f"未知事实 {bad[0][:40]!r} (unknown fact); 可用 / use: {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(data))


# ---- API -----------------------------------------------------------------------------------

Number = Annotated[str, Field(pattern=r"^\d{1,9}(\.\d{1,6})?$", description="非负数字 / a number")]


class BudgetIn(BaseModel):
    pool_wan: Number = Field(description="预算池 (万元) / pool in 万元")
    rule: Literal["pro_rata", "ranking"] = "pro_rata"


class ThresholdIn(BaseModel):
    target: str = Field(max_length=130, pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$")
    old_fen: int = Field(ge=0, le=10**15, description="现门槛 (分) / the current value in fen")
    value_wan: Number = Field(description="新门槛 (万元) / new value in 万元")


class WhatIfIn(BaseModel):
    as_of: dt.date | None = Field(
        default=None, description="基准日 (无基线运行时) / as-of date (fresh baseline)"
    )
    baseline_run_id: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$",
        description="基线运行 / baseline run",
    )
    rates_pct: dict[str, Number] = Field(
        default_factory=dict,
        max_length=100,
        description="比例参数 (百分数) {policy.name: '3'} / rates in percent",
    )
    amounts_wan: dict[str, Number] = Field(
        default_factory=dict,
        max_length=100,
        description="金额参数 (万元) {policy.name: '400'} / amounts in 万元",
    )
    budgets: dict[str, BudgetIn] = Field(default_factory=dict, max_length=20)
    thresholds: list[ThresholdIn] = Field(default_factory=list, max_length=100)
    interpretations: dict[str, str] = Field(default_factory=dict, max_length=20)


def _body_form(body: WhatIfIn) -> dict[str, str]:
    form: dict[str, str] = {"as_of": body.as_of.isoformat() if body.as_of else ""}
    form["baseline"] = body.baseline_run_id or ""
    lib = pq.library()
    for key, value in {**body.rates_pct, **body.amounts_wan}.items():
        pid, _, name = key.partition(".")
        spec = lib.policies[pid].parameters.get(name) if pid in lib.policies else None
        want = "rate" if key in body.rates_pct else "amount"
        if spec is None or spec.kind != want:
            raise InputError(
                f"未知{'比例' if want == 'rate' else '金额'}参数 '{key[:80]}' (unknown {want} parameter)"
            )
        form[f"param:{key}"] = value
    for fid, b in body.budgets.items():
        form[f"budget:{fid}"], form[f"rule:{fid}"] = b.pool_wan, b.rule
    for th in body.thresholds:
        form[f"th:{th.target}:{th.old_fen}"] = th.value_wan
    for key, value in body.interpretations.items():
        form[f"interp:{key}"] = value[:64]
    return form


@api.get("/whatif/form", summary="政策模拟的可调项 / every parameter, pool, threshold and interpretation")
def whatif_form(request: Request, p: User, run: RunQuery = None) -> dict[str, Any]:
    q.require_whatif(p)
    ctx = context(request)
    as_of = pq.run_info(ctx, run)["as_of"] if run else pq.default_as_of(ctx)
    return q.form_spec(pq.library(), pol_period(as_of), tr(request))


@api.post(
    "/whatif",
    responses=FILE_200,
    summary="政策模拟 / what-if: coverage, cost, per park, budget, winners and losers (records nothing)",
)
def whatif_api(
    request: Request, p: User, body: WhatIfIn, format: Literal["json", "xlsx"] = "json"
) -> Response:
    """Admin, leader, policy researcher. Money in fen; rates in percent and amounts in 万元 as text,
    parsed exactly. Winners and losers are named for roles with the finance permission."""
    r, sc = _whatif_from_form(request, p, _body_form(body))
    names = park_names(context(request), locale(request))
    if format == "xlsx":
        t = tr(request)
        return _excel(q.sheets(r, p, names, t, changes=sc.changes), f"whatif-{r.period}.xlsx", t)
    return JSONResponse({**q.result_view(r, p, tr(request), names), "changes": sc.changes})


@api.get(
    "/coverage",
    responses=FILE_200,
    summary="覆盖率 / 免申即享 clause coverage, decided vs undetermined, missing fields ranked",
)
def coverage_api(
    request: Request,
    p: Reader,
    run: RunQuery = None,
    data: DataFacts = [],  # noqa: B006
    format: Literal["json", "xlsx"] = "json",
) -> Response:
    ctx = context(request)
    run_id = run or pq.latest_run_id(ctx)
    c = q.coverage(ctx, run_id, _facts(data))
    if format == "xlsx":
        with ctx.pool.reader() as wh:
            about = q.coverage_about(wh, run_id, _facts(data))
        return _excel(q.coverage_sheets(c, tr(request), about), "policy-coverage.xlsx", tr(request))
    return JSONResponse(q.coverage_json(c, run_id))
