"""企业: search within your scope; one enterprise's whole profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from zonebrain.web._auth import Perm, Principal, requires
from zonebrain.web._errors import ERROR_RESPONSES
from zonebrain.web._i18n import pick
from zonebrain.web._queries import enterprises as q
from zonebrain.web._queries._common import park_names, resolve_chain, resolve_park
from zonebrain.web._render import render
from zonebrain.web._routes._deps import context, locale, paged, tr
from zonebrain.web._tables import XLSX_RESPONSE, Format, TableOut, respond

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/enterprises", tags=["enterprises"], responses=ERROR_RESPONSES)
Enterprises = Annotated[Principal, Depends(requires(Perm.ENTERPRISES))]
Finance = Annotated[Principal, Depends(requires(Perm.FINANCE))]
Uscc = Annotated[str, Path(min_length=18, max_length=18, pattern=r"^[0-9A-Za-z]{18}$")]
Q = Annotated[str, Query(max_length=100, description="名称或信用代码 / name or USCC prefix")]
Park = Annotated[str | None, Query(max_length=64)]
Chain = Annotated[str | None, Query(max_length=64)]
Page = Annotated[int, Query(ge=1, le=100_000)]
Size = Annotated[int, Query(ge=1, le=q.MAX_PAGE)]


@pages.get("/enterprises")
def enterprises_page(
    request: Request,
    p: Enterprises,
    q_: Annotated[str, Query(alias="q", max_length=100)] = "",
    park: Park = None,
    chain: Chain = None,
    page: Page = 1,
) -> Response:
    if p.uscc_scope:
        return RedirectResponse(f"/enterprises/{p.uscc_scope}", status_code=303)
    ctx, loc = context(request), locale(request)
    park, chain = resolve_park(ctx, park), resolve_chain(ctx, chain)
    table, page, pages = paged(
        lambda n: q.search(ctx, p, loc, q=q_, park=park, chain=chain, page=n), page, q.PAGE_SIZE
    )
    query = urlencode({k: v for k, v in (("q", q_), ("park", park), ("chain", chain)) if v})
    template = "_enterprise_rows.html" if request.headers.get("hx-request") else "enterprises.html"
    return render(
        request,
        template,
        {
            "table": table,
            "q": q_,
            "park": park,
            "chain": chain,
            "page": page,
            "pages": pages,
            "parks": park_names(ctx, loc) if not p.park_scope else {},
            "chains": [(c.id, pick(loc, c.name_zh, c.name_en)) for c in ctx.chains],
            "export": f"/api/v1/enterprises?{query}&format=xlsx"
            if query
            else "/api/v1/enterprises?format=xlsx",
        },
    )


@pages.get("/enterprises/{uscc}")
def enterprise_page(request: Request, p: Enterprises, uscc: Uscc) -> Response:
    ctx, loc = context(request), locale(request)
    data = q.profile(ctx, p, uscc, loc)
    finance = q.finance(ctx, p, uscc) if data["finance_visible"] else None
    events = q.events(ctx, p, uscc)
    # under the page's <h1> (the firm's name) the tables are headed without it; their Excel keeps it
    events = replace(events, title="enterprise.events_heading")
    if finance is not None:
        finance = replace(finance, title="enterprise.finance_heading")
    finance_chart = None
    if finance is not None and finance.rows:
        finance_chart = {
            "years": [r["year"] for r in finance.rows],
            "revenue_fen": [r["revenue_fen"] for r in finance.rows],
            "tax_fen": [r["tax_fen"] for r in finance.rows],
            "rd_expense_fen": [r["rd_expense_fen"] for r in finance.rows],
        }
    return render(
        request,
        "enterprise.html",
        {**data, "finance": finance, "events": events, "finance_chart": finance_chart},
    )


@api.get("", response_model=TableOut, responses=XLSX_RESPONSE, summary="企业查询 / enterprises you may see")
def search(
    request: Request,
    p: Enterprises,
    q_: Annotated[str, Query(alias="q", max_length=100)] = "",
    park: Park = None,
    chain: Chain = None,
    page: Page = 1,
    size: Size = 50,
    format: Format = "json",
) -> Any:
    """Park officers get their park's firms only, enterprise users their own firm only."""
    ctx = context(request)
    park, chain = resolve_park(ctx, park), resolve_chain(ctx, chain)
    rows: int | None = None if format == "xlsx" else size  # the export holds every matching row
    table = q.search(ctx, p, locale(request), q=q_, park=park, chain=chain, page=page, size=rows)
    return respond(table, format, tr(request))


@api.get("/{uscc}", summary="企业档案 / one enterprise: registry, tags, chain nodes")
def profile(request: Request, p: Enterprises, uscc: Uscc) -> dict[str, Any]:
    return q.profile(context(request), p, uscc, locale(request))


@api.get(
    "/{uscc}/finance",
    response_model=TableOut,
    responses=XLSX_RESPONSE,
    summary="企业财务 / yearly finance (sensitive: finance permission and scope)",
)
def finance(request: Request, p: Finance, uscc: Uscc, format: Format = "json") -> Any:
    return respond(q.finance(context(request), p, uscc), format, tr(request))


@api.get("/{uscc}/events", response_model=TableOut, responses=XLSX_RESPONSE, summary="企业事件 / events")
def events(request: Request, p: Enterprises, uscc: Uscc, format: Format = "json") -> Any:
    return respond(q.events(context(request), p, uscc), format, tr(request))
