"""项目库 queries: the board, the project list, one project, delivery tracking (达产达效) and the
weekly digest — shared by the pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from zonebrain import pipeline as pl
from zonebrain.appstore import Role, utcnow
from zonebrain.core.clock import beijing
from zonebrain.core.errors import InputError, MoneyError
from zonebrain.core.money import format_fen, parse_amount
from zonebrain.web._auth import Perm, Principal
from zonebrain.web._context import WebContext
from zonebrain.web._queries._common import resolve_park
from zonebrain.web._tables import Col, DataTable

BOARD_STAGES: tuple[pl.Stage, ...] = (*pl.PATH, pl.Stage.TERMINATED)


def service(ctx: WebContext) -> pl.Pipeline:
    return pl.Pipeline(ctx.store, zone=ctx.zone)


def stage_key(stage: pl.Stage) -> str:
    return f"pipeline.stages.{stage.name.lower()}"


STAGE_LABELS: dict[str, str] = {s.value: stage_key(s) for s in pl.Stage}
"""A stage as stored (``线索``) → its catalogue key: tables show it in the reader's language."""
ORIGIN_LABELS: dict[str, str] = {o.value: f"pipeline.origin_{o.value}" for o in pl.Origin}
STALL_LABELS: dict[str, str] = {c.value: f"pipeline.stall_{c.value}" for c in pl.Colour}
"""Origins and stall colours as stored (``targeting``, ``green``) → their catalogue keys."""
RATE_PLACES = 4
"""Decimal places of a rate (a fraction) in JSON; pages show it in percent with one decimal
(a ``share`` column: :func:`zonebrain.web._tables.cell_text`)."""


def projects(
    ctx: WebContext,
    p: Principal,
    *,
    park: str | None = None,
    owner: str | None = None,
    origin: str | None = None,
    stage: str | None = None,
) -> list[pl.Project]:
    if not pl.may_read(p.user):
        raise p.role.refuse(pl.NotAllowed, "查看项目库", "see the pipeline")
    park_id = resolve_park(ctx, park)  # a code in any case or a name; unknown → 400 naming the parks
    return service(ctx).list(park_id=park_id, owner=owner, origin=origin or None, stage=stage or None)


def board(items: list[pl.Project], as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """One column per stage, cards with their stall colour (oldest in stage first)."""
    when = as_of or utcnow()
    rule = pl.StallRule()
    columns = []
    for stage in BOARD_STAGES:
        cards = [
            {
                "id": x.id,
                "name": x.name,
                "owner": x.owner,
                "park_id": x.park_id,
                "days": (when - x.stage_since).days,
                "stall": rule.colour(x.stage, x.stage_since, when).value,
                "version": x.version,
            }
            for x in sorted(items, key=lambda x: x.stage_since)
            if x.stage is stage
        ]
        columns.append({"stage": stage, "key": stage_key(stage), "cards": cards})
    return columns


def table(
    items: list[pl.Project], as_of: dt.datetime | None = None, parks: dict[str, str] | None = None
) -> DataTable:
    """The project list: stage, stall colour and origin in the reader's language, the park by its
    name (*parks*; the code stays in JSON as ``park``)."""
    when = as_of or utcnow()
    parks = parks or {}
    rule = pl.StallRule()
    rows = [
        {
            "id": x.id,
            "name": x.name,
            "uscc": x.uscc,
            "stage": x.stage.value,
            "stall": rule.colour(x.stage, x.stage_since, when).value,
            "owner": x.owner,
            "park": x.park_id,
            "park_name": parks.get(x.park_id, x.park_id),
            "origin": x.origin.value,
            "promised_investment": x.promised_investment_fen,
            "promised_jobs": x.promised_jobs,
            "stage_since": x.stage_since,
            "version": x.version,
        }
        for x in items
    ]
    return DataTable(
        name="projects",
        title="pipeline.table",
        columns=[
            Col("id", "pipeline.col.id", "id"),
            Col("name", "col.name"),
            Col("uscc", "col.uscc"),
            Col("stage", "pipeline.col.stage", labels=STAGE_LABELS),
            Col("stall", "pipeline.col.stall", labels=STALL_LABELS),
            Col("owner", "pipeline.col.owner"),
            Col("park_name", "col.park"),
            Col("park", "pipeline.col.park_code", page=False, xlsx=False),
            Col("origin", "pipeline.col.origin", labels=ORIGIN_LABELS),
            Col("promised_investment", "pipeline.col.promised_investment", "fen"),
            Col("promised_jobs", "pipeline.col.promised_jobs", "int"),
            Col("stage_since", "pipeline.col.stage_since", "date"),
            Col("version", "pipeline.col.version", "int"),
        ],
        rows=rows,
    )


def detail(ctx: WebContext, p: Principal, project_id: int) -> dict[str, Any]:
    if not pl.may_read(p.user):
        raise p.role.refuse(pl.NotAllowed, "查看项目库", "see the pipeline")
    svc = service(ctx)
    project = svc.get(project_id)
    when = utcnow()
    return {
        "project": project,
        "stall": pl.stall_colour(project, when).value,
        "days": (when - project.stage_since).days,
        "events": svc.events(project_id),
        "warnings": svc.pursuit_warnings(project_id),
        "may_edit": pl.may_edit(p.user, project.park_id),
    }


# ---- the edit, hand-over and note forms ----------------------------------------------------

MONEY_FORM = {
    "promised_investment": "promised_investment_fen",
    "promised_output": "promised_output_fen",
    "promised_tax": "promised_tax_fen",
}
"""Form field (万元, as typed) → project field (integer fen)."""


FIELD_LABELS = {
    "name": "col.name",
    "uscc": "col.uscc",
    "park_id": "col.park",
    "origin": "pipeline.col.origin",
    "chain_node": "pipeline.col.chain_node",
    "promised_investment_fen": "pipeline.col.promised_investment",
    "promised_output_fen": "pipeline.col.promised_output",
    "promised_tax_fen": "pipeline.col.promised_tax",
    "promised_jobs": "pipeline.col.promised_jobs",
    "notes": "pipeline.col.notes",
}
"""Catalogue keys of the fields an edit changes (the history names them)."""


def wan_text(fen: int | None) -> str:
    """Integer fen as the exact 万元 text a form shows (``12345600`` → ``12.3456``)."""
    return "" if fen is None else format_fen(fen, "万元")


def parse_wan(label: str, text: str) -> int | None:
    """A 万元 amount as typed → integer fen, exactly; empty → None. As the Excel import reads it: a
    plain number is 万元 (``1,200.5``), a unit of its own is converted (``500元``, ``1.2亿``, ``1200万``)."""
    text = text.strip()
    if not text:
        return None
    try:
        fen = parse_amount(text, "万元")
    except MoneyError as exc:
        raise InputError(f"{label}: {exc}") from exc
    if fen < 0:
        raise InputError(f"{label}: 金额不能为负 (must not be negative): {text}")
    return fen


def parse_jobs(text: str) -> int | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 8:
        raise InputError(
            f"承诺就业须为不小于 0 的整数人数 (promised jobs: a whole number of people), 收到 {text!r}"
        )
    return int(text)


def owner_choices(ctx: WebContext, project: pl.Project) -> list[dict[str, str]]:
    """Who may take the project over: active admins and investment officers, park officers of its park."""
    out = []
    for u in ctx.store.users.list():
        if not u.active or u.role not in pl.OWNERS or u.username == project.owner:
            continue
        if u.role is Role.PARK_OFFICER and u.park_id != project.park_id:
            continue
        out.append(
            {
                "username": u.username,
                "label": f"{u.display_name or u.username} ({u.username})",
                "role": u.role.value,
            }
        )
    return out


def handovers(events: list[pl.ProjectEvent]) -> list[dict[str, Any]]:
    """The hand-over history, newest first: when, by whom, from → to, reason."""
    return [
        {
            "at": e.at,
            "by": e.username,
            "from": (e.detail.get("before") or {}).get("owner"),
            "to": (e.detail.get("after") or {}).get("owner"),
            "reason": e.text,
        }
        for e in reversed(events)
        if e.kind == "handover"
    ]


# ---- 达产达效 delivery tracking ----------------------------------------------------------------

DELIVERY_STATUS = {
    "ok": "达标",
    "behind": "滞后",
    "far_behind": "严重滞后",
    "pending": "未投产",
    "no_data": "无年度数据",
    "not_registered": "未在库登记",
    "no_uscc": "缺信用代码",
}


def may_see_delivery(p: Principal) -> bool:
    """Actual output, tax and jobs are firm-level finance: the pipeline's readers who also hold
    :attr:`Perm.FINANCE` (admins, leaders, policy researchers; park officers for their park)."""
    return pl.may_read(p.user) and p.can(Perm.FINANCE)


def delivery_frame(ctx: WebContext, p: Principal, year: int | None = None) -> Any:
    """:func:`zonebrain.pipeline.delivery` over the projects and firms *p* may see."""
    if not may_see_delivery(p):
        raise p.role.refuse(pl.NotAllowed, "查看企业实际产值与税收", "see firms' output and tax figures")
    items = projects(ctx, p, park=p.park_scope)
    with ctx.pool.reader() as wh:
        df = pl.delivery(items, wh, year=year)
        if p.park_scope is not None and len(df):
            usccs = sorted({u for u in df["uscc"].dropna()})
            ent = wh.table("enterprises")
            ent = ent.filter(ent.uscc.isin(usccs))
            known = set(wh.to_arrow(ent.select("uscc"))["uscc"].to_pylist())
            visible = set(wh.to_arrow(p.scope_enterprises(ent).select("uscc"))["uscc"].to_pylist())
            hidden = known - visible  # registered in another park: not this officer's firm data
            df = df[~df["uscc"].isin(hidden)].reset_index(drop=True)
    return df


def _plain(v: Any) -> Any:
    """A pandas cell as JSON: NA/NaN → None, numpy scalars → Python ones."""
    if v is None or (not isinstance(v, str) and bool(pd.isna(v))):
        return None
    return v.item() if hasattr(v, "item") else v


DELIVERY_RATES = ("delivery_rate", "output_rate", "tax_rate", "jobs_rate", "investment_rate")


def _rate(v: Any) -> float | None:
    """A rate (a fraction) for JSON: :data:`RATE_PLACES` places, no float noise; NaN → None."""
    return None if v is None or v != v else round(float(v), RATE_PLACES)


def delivery_rows(df: Any, parks: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """:func:`delivery_frame` as rows: rates rounded, the status in words, the park's name."""
    parks = parks or {}
    rows = []
    for r in df.to_dict(orient="records"):
        row = {k: _plain(v) for k, v in r.items()}
        for k in DELIVERY_RATES:
            if k in row:
                row[k] = _rate(row[k])
        row["status_text"] = f"{DELIVERY_STATUS.get(row['status'], row['status'])} {row['status']}"
        row["park"] = parks.get(row["park_id"], row["park_id"])
        rows.append(row)
    return rows


def delivery_table(rows: list[dict[str, Any]], year: int | None) -> DataTable:
    """The delivery rows as a table: amounts exact in Excel (3317518900 fen → 3317.5189 万元, never
    3317.52), rates as shares (a fraction in JSON and Excel, ``72.5%`` on pages)."""
    cols = [
        Col("project_id", "pipeline.col.id", "id"),
        Col("name", "col.name"),
        Col("uscc", "col.uscc"),
        Col("park", "col.park"),
        Col("park_id", "pipeline.col.park_code", page=False, xlsx=False),
        Col("owner", "pipeline.col.owner"),
        Col("stage", "pipeline.col.stage", labels=STAGE_LABELS),
        Col("year", "pipeline.col.year", "id"),
        Col("status_text", "pipeline.col.delivery_status"),
        Col("status", "pipeline.col.status_code"),
        Col("delivery_rate", "pipeline.col.delivery_rate", "share"),
        Col("promised_output_fen", "pipeline.col.promised_output", "fen", exact=True),
        Col("actual_output_fen", "pipeline.col.actual_output", "fen", exact=True),
        Col("output_rate", "pipeline.col.output_rate", "share"),
        Col("promised_tax_fen", "pipeline.col.promised_tax", "fen", exact=True),
        Col("actual_tax_fen", "pipeline.col.actual_tax", "fen", exact=True),
        Col("tax_rate", "pipeline.col.tax_rate", "share"),
        Col("promised_jobs", "pipeline.col.promised_jobs", "int"),
        Col("actual_jobs", "pipeline.col.actual_jobs", "int"),
        Col("jobs_rate", "pipeline.col.jobs_rate", "share"),
        Col("promised_investment_fen", "pipeline.col.promised_investment", "fen", exact=True),
        Col("registered_capital_fen", "pipeline.col.registered_capital", "fen", exact=True),
        Col("investment_rate", "pipeline.col.investment_rate", "share"),
    ]
    return DataTable(
        name=f"pipeline-delivery-{year}" if year else "pipeline-delivery",
        title="pipeline.delivery_table",
        columns=cols,
        rows=rows,
    )


def delivery_chart(rows: list[dict[str, Any]], rule: pl.DeliveryRule | None = None) -> dict[str, Any]:
    """Per project with a rate: 达产达效 rate in percent (display only), its status; the thresholds."""
    rule = rule or pl.DeliveryRule()
    rated = [r for r in rows if r["delivery_rate"] is not None]
    return {
        "projects": [f"#{r['project_id']} {r['name']}" for r in rated],
        "rate_pct": [round(r["delivery_rate"] * 100, 1) for r in rated],
        "status": [r["status"] for r in rated],
        "behind_pct": round(rule.behind * 100, 1),
        "far_behind_pct": round(rule.far_behind * 100, 1),
    }


# ---- 周报 the weekly digest ---------------------------------------------------------------------

DIGEST_GROUPS = ("owner", "park")


def digest(
    ctx: WebContext, p: Principal, by: str = "owner", parks: dict[str, str] | None = None
) -> dict[str, Any]:
    """:func:`zonebrain.pipeline.weekly_digest` for the 7 days to now, as three tables: per group
    (colour counts, new, moved), the red and yellow projects (longest first), this week's moves."""
    if by not in DIGEST_GROUPS:
        by = "owner"
    items = projects(ctx, p)
    when = utcnow()
    digests = pl.weekly_digest(items, service(ctx).all_events(), as_of=when, by=by)
    names = {x.id: x.name for x in items}

    def group(key: str) -> str:
        return parks[key] if by == "park" and parks and key in parks else key

    summary, flagged, moves = [], [], []
    for d in digests:
        c = d.counts
        summary.append(
            {
                "group": group(d.key),
                "live": c["green"] + c["yellow"] + c["red"],
                "green": c["green"],
                "yellow": c["yellow"],
                "red": c["red"],
                "created": len(d.created),
                "moved": len(d.moved),
            }
        )
        for line in (*d.red, *d.yellow):
            flagged.append(
                {
                    "group": group(d.key),
                    "colour": line.colour.value,
                    "project_id": line.project_id,
                    "name": line.name,
                    "stage": line.stage.value,
                    "days": line.days_in_stage,
                    "owner": line.owner,
                    "park": (parks or {}).get(line.park_id, line.park_id),
                }
            )
        for e in d.moved:
            moves.append(
                {
                    "group": group(d.key),
                    "at": e.at,
                    "project_id": e.project_id,
                    "name": names.get(e.project_id, ""),
                    "from_stage": e.from_stage.value if e.from_stage else "",
                    "to_stage": e.to_stage.value if e.to_stage else "",
                    "by": e.username,
                    "reason": e.text,
                }
            )
    head = Col("group", f"pipeline.group_{by}")
    return {
        "by": by,
        "week_start": beijing(when - dt.timedelta(days=7)).date(),
        "week_end": beijing(when).date(),
        "texts": [(group(d.key), d.text(parks)) for d in digests],
        "summary": DataTable(
            name=f"pipeline-digest-{by}",
            title=f"pipeline.digest_title_{by}",
            columns=[
                head,
                Col("live", "pipeline.col.live", "int"),
                Col("green", "pipeline.stall_green", "int"),
                Col("yellow", "pipeline.stall_yellow", "int"),
                Col("red", "pipeline.stall_red", "int"),
                Col("created", "pipeline.col.created_week", "int"),
                Col("moved", "pipeline.col.moved_week", "int"),
            ],
            rows=summary,
        ),
        "flagged": DataTable(
            name=f"pipeline-digest-{by}-alerts",
            title="pipeline.digest_flagged",
            columns=[
                head,
                Col("colour", "pipeline.col.stall", labels=STALL_LABELS),
                Col("project_id", "pipeline.col.id", "id"),
                Col("name", "col.name"),
                Col("stage", "pipeline.col.stage", labels=STAGE_LABELS),
                Col("days", "pipeline.col.days_in_stage", "int"),
                Col("owner", "pipeline.col.owner"),
                Col("park", "col.park"),
            ],
            rows=flagged,
        ),
        "moves": DataTable(
            name=f"pipeline-digest-{by}-moves",
            title="pipeline.digest_moves",
            columns=[
                head,
                Col("at", "col.date", "date"),
                Col("project_id", "pipeline.col.id", "id"),
                Col("name", "col.name"),
                Col("from_stage", "pipeline.col.from_stage", labels=STAGE_LABELS),
                Col("to_stage", "pipeline.col.to_stage", labels=STAGE_LABELS),
                Col("by", "pipeline.col.moved_by"),
                Col("reason", "pipeline.reason"),
            ],
            rows=moves,
        ),
    }


FUNNEL_GROUPS = ("origin", "owner", "park")


def _num(v: Any, digits: int = 1) -> float | None:
    """A float for JSON: NaN (nothing to measure) becomes None."""
    if v is None or v != v:
        return None
    return round(float(v), digits)


def analytics(
    ctx: WebContext, p: Principal, by: str = "origin", parks: dict[str, str] | None = None
) -> dict[str, Any]:
    """The funnel page's numbers: projects reaching each stage, median days in each stage (finished
    stays), and conversion per *by* group — from one read of projects and events."""
    if by not in FUNNEL_GROUPS:  # a 400 naming the choices, not silently 按来源
        raise InputError(f"未知分组 '{by}' (unknown grouping); 可选 / choose: {', '.join(FUNNEL_GROUPS)}")
    items = projects(ctx, p)
    events = service(ctx).all_events()
    when = utcnow()
    f = pl.funnel(items, events)
    t = pl.time_in_stage(items, events, as_of=when)
    conv = pl.conversion(items, events, by=by)
    stages = [s.value for s in pl.PATH]
    return {
        "by": by,
        "total": len(items),
        "funnel": {
            "stages": stages,
            "reached": [int(x) for x in f["reached"]] if len(f) else [0] * len(stages),
            "conversion": [_num(x, 3) for x in f["conversion"]] if len(f) else [None] * len(stages),
        },
        "days": {
            "stages": [s.value for s in pl.PATH[:-1]],
            "median_days": [_num(x) for x in t["median_days"]] if len(t) else [],
            "open_median_days": [_num(x) for x in t["open_median_days"]] if len(t) else [],
            "n_done": [int(x) for x in t["n_done"]] if len(t) else [],
            "n_open": [int(x) for x in t["n_open"]] if len(t) else [],
        },
        "conversion": conversion_table(conv, by, parks),
    }


ORIGIN_ZH = {"targeting": "目标清单", "referral": "推荐", "event": "活动", "agency": "中介", "other": "其他"}


def conversion_table(df: Any, by: str, parks: dict[str, str] | None = None) -> DataTable:
    """:func:`zonebrain.pipeline.conversion` as a table (origins and parks named, codes kept)."""
    rows = []
    for r in df.to_dict(orient="records"):
        g = str(r["group"])
        if by == "origin" and g in ORIGIN_ZH:
            r["group"] = f"{ORIGIN_ZH[g]} {g}"
        elif by == "park" and parks and g in parks:
            r["group"] = f"{parks[g]} {g}"
        rows.append(
            {
                **{
                    k: (int(v) if isinstance(v, int | float) and v == v and k != "group" else v)
                    for k, v in r.items()
                },
                "signed_rate": _num(r["signed_rate"], RATE_PLACES),
                "landed_rate": _num(r["landed_rate"], RATE_PLACES),
                "median_days_to_sign": _num(r["median_days_to_sign"]),
            }
        )
    return DataTable(
        name=f"pipeline-conversion-{by}",
        title=f"pipeline.conv_title_{by}",
        columns=[
            Col("group", f"pipeline.group_{by}"),
            Col("projects", "pipeline.col.projects", "int"),
            Col("live", "pipeline.col.live", "int"),
            Col("terminated", "pipeline.col.terminated", "int"),
            Col("reached_contact", "pipeline.col.reached_contact", "int"),
            Col("reached_signed", "pipeline.col.reached_signed", "int"),
            Col("reached_registered", "pipeline.col.reached_registered", "int"),
            Col("reached_production", "pipeline.col.reached_production", "int"),
            Col("signed_rate", "pipeline.col.signed_rate", "share"),
            Col("landed_rate", "pipeline.col.landed_rate", "share"),
            Col("median_days_to_sign", "pipeline.col.median_days_to_sign", "float"),
        ],
        rows=rows,
    )
