"""项目库 queries: the board, the project list, one project — shared by the page and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zonebrain import pipeline as pl
from zonebrain.appstore._store import utcnow
from zonebrain.web._auth import Principal
from zonebrain.web._context import WebContext
from zonebrain.web._tables import Col, DataTable

BOARD_STAGES: tuple[pl.Stage, ...] = (*pl.PATH, pl.Stage.TERMINATED)


def service(ctx: WebContext) -> pl.Pipeline:
    return pl.Pipeline(ctx.store, zone=ctx.zone)


def stage_key(stage: pl.Stage) -> str:
    return f"pipeline.stages.{stage.name.lower()}"


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
        raise pl.NotAllowed(f"角色 {p.role.value} 无权查看项目库 (your role may not see the pipeline)")
    return service(ctx).list(park_id=park, owner=owner, origin=origin or None, stage=stage or None)


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


def table(items: list[pl.Project], as_of: dt.datetime | None = None) -> DataTable:
    when = as_of or utcnow()
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
            "origin": x.origin.value,
            "promised_investment": x.promised_investment_fen,
            "promised_jobs": x.promised_jobs,
            "stage_since": x.stage_since.date(),
            "version": x.version,
        }
        for x in items
    ]
    return DataTable(
        name="projects",
        title="pipeline.table",
        columns=[
            Col("id", "pipeline.col.id", "int"),
            Col("name", "col.name"),
            Col("uscc", "col.uscc"),
            Col("stage", "pipeline.col.stage"),
            Col("stall", "pipeline.col.stall"),
            Col("owner", "pipeline.col.owner"),
            Col("park", "col.park"),
            Col("origin", "pipeline.col.origin"),
            Col("promised_investment", "pipeline.col.promised_investment", "fen"),
            Col("promised_jobs", "pipeline.col.promised_jobs", "int"),
            Col("stage_since", "pipeline.col.stage_since", "date"),
            Col("version", "pipeline.col.version", "int"),
        ],
        rows=rows,
    )


def detail(ctx: WebContext, p: Principal, project_id: int) -> dict[str, Any]:
    if not pl.may_read(p.user):
        raise pl.NotAllowed(f"角色 {p.role.value} 无权查看项目库 (your role may not see the pipeline)")
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
