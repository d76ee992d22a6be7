"""`zonebrain pipeline …`: the investment-project pipeline (招商项目库) and resource linking from the shell.

Writes need an actor (``--as USERNAME``, an account in the app store) so the audit log says who.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import pyarrow as pa
import typer
from rich.table import Table

from zonebrain import pipeline
from zonebrain.appstore import AppStore, ConcurrentUpdate, User, default_app_db_url, open_app_store
from zonebrain.cli._common import console, err_console, parse_day, state
from zonebrain.core.clock import from_beijing, utcnow
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen

if TYPE_CHECKING:
    from zonebrain.linking import Linking

app = typer.Typer(
    help="招商项目库与资源对接 / investment-project pipeline and resource linking", no_args_is_help=True
)

AppDb = Annotated[
    str | None,
    typer.Option("--app-db", help="应用库地址 / app store URL or SQLite path [env ZONEBRAIN_APP_DB]"),
]
Actor = Annotated[
    str, typer.Option("--as", help="操作人用户名 (写入审计日志) / acting username (for the audit log)")
]
FormatOpt = Annotated[str, typer.Option("--format", help="输出格式 table|csv|json / output format")]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="截至日期 YYYY-MM-DD (默认今天) / as of this date (default: today)"),
]


@contextmanager
def _store(app_db: str | None) -> Iterator[AppStore]:
    """The app store; the pipeline's refusals (a role or park not allowed, a stale version, no such
    project) end the command with the reason and exit code 1, as the CLI's other refusals do."""
    try:
        with open_app_store(default_app_db_url(state.data_dir, app_db), create=False) as store:
            yield store
    except (pipeline.NotAllowed, pipeline.ProjectNotFound, ConcurrentUpdate) as exc:
        err_console.print(f"[red]拒绝 (refused):[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def _park_names() -> dict[str, str]:
    from zonebrain.cli._common import zone

    return {park.id: park.short_name for park in zone().parks}


def _pipe(store: AppStore) -> pipeline.Pipeline:
    from zonebrain.cli._common import zone

    return pipeline.Pipeline(store, zone=zone())


def _actor(store: AppStore, username: str) -> User:
    user = store.users.get(username)
    if user is None or not user.active:
        raise InputError(f"没有在用的用户 '{username}' (no active user); 查看 / see: zonebrain users list")
    return user


def _as_of(text: str | None) -> dt.datetime:
    """``--as-of``: now, or the end of that Beijing day, as a stored (UTC) time."""
    if text is None:
        return utcnow()
    return from_beijing(dt.datetime.combine(parse_day(text), dt.time(23, 59, 59)))


def _emit(t: pa.Table | pd.DataFrame, fmt: str, title: str, money: tuple[str, ...] = ()) -> None:
    table = t if isinstance(t, pa.Table) else pa.Table.from_pandas(t, preserve_index=False)
    if fmt == "csv":
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(table, buf)
        typer.echo(buf.getvalue().decode("utf-8"), nl=False)
    elif fmt == "json":
        for row in table.to_pylist():
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
    elif fmt == "table":
        rt = Table(title=title)
        for name in table.column_names:
            rt.add_column(name.replace("_fen", "(万元)") if name in money else name)
        for row in table.to_pylist():
            rt.add_row(
                *[
                    display_fen(int(v)) if k in money and v is not None else ("—" if v is None else str(v))
                    for k, v in row.items()
                ]
            )
        console.print(rt)
    else:
        raise InputError(f"未知格式 '{fmt}' (unknown format); 可用 table, csv, json")


@app.command("list")
def list_projects(
    park: Annotated[str | None, typer.Option(help="园区 (代码或名称) / park id or name")] = None,
    owner: Annotated[str | None, typer.Option(help="负责人 / owner username")] = None,
    stage: Annotated[str | None, typer.Option(help="阶段 / stage (线索…达产, 终止)")] = None,
    as_of: AsOf = None,
    fmt: FormatOpt = "table",
    app_db: AppDb = None,
) -> None:
    """列出项目 (含停滞颜色) / list projects with their stall colour."""
    with _store(app_db) as store:
        pipe = _pipe(store)
        projects = pipe.list(park_id=pipe.park_id(park) if park else None, owner=owner, stage=stage)
    t = pipeline.projects_table(projects, as_of=_as_of(as_of))
    if fmt == "table":
        t = t.select(
            [
                "id",
                "name",
                "stage",
                "stall",
                "owner",
                "park_id",
                "origin",
                "promised_investment_fen",
                "version",
            ]
        )
    _emit(t, fmt, "招商项目库 projects", money=("promised_investment_fen",))


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help=".xlsx 或 .csv / an .xlsx or .csv of projects")],
    actor: Actor,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验不写入 / check only")] = False,
    app_db: AppDb = None,
) -> None:
    """导入项目 (全部或全不, 可重复导入) / import projects: all rows or none; re-import safe.

    Key: 统一社会信用代码, 无则规范化企业名称 (a firm that already has a project is left unchanged).
    """
    with _store(app_db) as store:
        result = pipeline.import_projects(_pipe(store), _actor(store, actor), file, dry_run=dry_run)
    if not result.ok:
        for p in result.problems:
            err_console.print(str(p), markup=False, highlight=False)
        raise InputError(
            f"{file.name}: {len(result.problems)} 处问题, 未导入 (nothing imported); 请按上面的提示修改后重试"
        )
    for c in result.created:
        for w in c.warnings:
            err_console.print(
                f"[yellow]提醒 / warning:[/yellow] #{c.project.id} {w.message()}", highlight=False
            )
    for u in result.unchanged:
        console.print(
            f"= 第 {u.row} 行 {u.name}: 已在项目库 #{u.project_id}, 未变 (already in the pipeline, unchanged)",
            highlight=False,
        )
    verb = "校验通过, 未写入 (checked, nothing written)" if dry_run else "已导入 (imported)"
    console.print(f"{verb}: {result.summary()}", highlight=False)


@app.command("import-candidates")
def import_candidates(
    file: Annotated[
        Path,
        typer.Argument(help="zonebrain candidates --out 写出的 .xlsx (或同表头 .csv) / the candidate list"),
    ],
    actor: Actor,
    park: Annotated[str, typer.Option(help="落地园区 (代码或名称) / the park the leads are for")],
    confirm: Annotated[
        bool,
        typer.Option("--confirm", help="名称相同的重复跟进也加入 / add name matches of other projects too"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验不写入 / check only")] = False,
    app_db: AppDb = None,
) -> None:
    """目标企业清单加入项目库 (线索, 来源 targeting) / add a candidate list to the pipeline as leads.

    Firms a live project already pursues (same USCC) are skipped; firms matching another project by
    name are skipped unless --confirm. Any bad row stops the whole file (nothing is added).
    """
    leads = pipeline.read_candidate_file(file)
    if leads.problems:
        for p in leads.problems:
            err_console.print(str(p), markup=False, highlight=False)
        raise InputError(
            f"{file.name}: {len(leads.problems)} 处问题, 未导入 (nothing imported); 请按上面的提示修改后重试"
        )
    with _store(app_db) as store:
        result = pipeline.add_candidates(
            _pipe(store), _actor(store, actor), leads.leads, park_id=park, confirm=confirm, dry_run=dry_run
        )
    for o in result.outcomes:
        if o.status == "created":
            where = f"#{o.project.id}" if o.project else "(dry run)"
            console.print(f"[green]+[/green] {where} {o.lead.name} ({o.lead.uscc or '—'})", highlight=False)
            for w in o.warnings:
                err_console.print(f"[yellow]提醒 / warning:[/yellow] {w.message()}", highlight=False)
        else:
            err_console.print(f"[yellow]{o.status}[/yellow] {o.lead.name}: {o.message}", highlight=False)
    verb = "校验 (checked)" if dry_run else "完成 (done)"
    console.print(f"{verb}: {result.summary()}", highlight=False)


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="输出 .xlsx / output .xlsx")],
    park: Annotated[str | None, typer.Option(help="园区 (代码或名称) / park id or name")] = None,
    as_of: AsOf = None,
    app_db: AppDb = None,
) -> None:
    """导出项目到 Excel (可修改后再导入; 原样再导入不变) / export projects to Excel (re-importing it changes nothing)."""
    with _store(app_db) as store:
        pipe = _pipe(store)
        projects = pipe.list(park_id=pipe.park_id(park) if park else None)
    pipeline.export_projects(projects, file, as_of=_as_of(as_of), park_names=_park_names())
    console.print(f"已导出 (exported) {len(projects)} 个项目 projects → {file}")


@app.command("move")
def move(
    project_id: Annotated[int, typer.Argument(help="项目编号 / project id")],
    stage: Annotated[str, typer.Argument(help="新阶段 / new stage")],
    actor: Actor,
    version: Annotated[int, typer.Option("--version", help="你看到的版本号 / the version you read")],
    reason: Annotated[str, typer.Option(help="原因 (退回、终止、重启时必填) / reason")] = "",
    app_db: AppDb = None,
) -> None:
    """推进或终止项目 / move a project to another stage (stale versions are refused)."""
    with _store(app_db) as store:
        p = _pipe(store).move(
            _actor(store, actor), project_id, stage, expected_version=version, reason=reason
        )
    console.print(f"#{p.id} {p.name}: {p.stage.value} (version {p.version})")


@app.command("digest")
def digest(
    by: Annotated[str, typer.Option(help="owner 或 park / per officer or per park")] = "owner",
    as_of: AsOf = None,
    yellow: Annotated[int, typer.Option(help="黄色预警月数 / months to yellow")] = 2,
    red: Annotated[int, typer.Option(help="红色预警月数 / months to red")] = 3,
    app_db: AppDb = None,
) -> None:
    """每周简报 (三色预警) / the weekly digest with stall colours."""
    with _store(app_db) as store:
        pipe = _pipe(store)
        digests = pipeline.weekly_digest(
            pipe.list(), pipe.all_events(), as_of=_as_of(as_of), by=by, rule=pipeline.StallRule(yellow, red)
        )
    names = _park_names()
    for d in digests:
        console.print(d.text(names), markup=False, highlight=False)
        console.print()


@app.command("funnel")
def funnel_cmd(
    by: Annotated[str | None, typer.Option(help="owner|park|origin (默认全部) / group")] = None,
    time: Annotated[bool, typer.Option("--time", help="各阶段停留时长 / time in stage instead")] = False,
    summary: Annotated[
        bool,
        typer.Option("--summary", help="每组一行: 签约率、落地率、签约用时 / one row per group: conversion"),
    ] = False,
    as_of: AsOf = None,
    fmt: FormatOpt = "table",
    app_db: AppDb = None,
) -> None:
    """漏斗分析: 各阶段转化率或停留时长 / funnel conversion per stage, or time in stage."""
    with _store(app_db) as store:
        pipe = _pipe(store)
        projects, events = pipe.list(), pipe.all_events()
    if time:
        df = pipeline.time_in_stage(projects, events, as_of=_as_of(as_of), by=by)
        _emit(df.round(1), fmt, "阶段停留 time in stage (days)")
    elif summary:
        _emit(pipeline.conversion(projects, events, by=by).round(3), fmt, "转化 conversion")
    else:
        _emit(pipeline.funnel(projects, events, by=by).round(3), fmt, "漏斗 funnel")


@app.command("delivery")
def delivery_cmd(
    year: Annotated[int | None, typer.Option(help="年度 (默认各企业最新) / year")] = None,
    fmt: FormatOpt = "table",
    app_db: AppDb = None,
) -> None:
    """达产达效: 承诺与企业实际数据对比 / promised vs actual from the warehouse."""
    from zonebrain.cli._common import warehouse

    with _store(app_db) as store:
        projects = _pipe(store).list()
    with warehouse(read_only=True) as wh:
        df = pipeline.delivery(projects, wh, year=year)
    if fmt == "table":
        df = df[
            [
                "project_id",
                "name",
                "stage",
                "year",
                "status",
                "output_rate",
                "tax_rate",
                "jobs_rate",
                "delivery_rate",
            ]
        ]
    _emit(df.round(3), fmt, "达产达效 delivery")


@app.command("demand-stats")
def demand_stats(actor: Actor, as_of: AsOf = None, fmt: FormatOpt = "table", app_db: AppDb = None) -> None:
    """资源对接响应统计 (按操作人的可见范围) / demand response times, resolution and ratings per kind."""
    from zonebrain.linking import response_stats

    with _store(app_db) as store:
        demands = _links(store).demands(_actor(store, actor))
    _emit(response_stats(demands, as_of=_as_of(as_of)).round(2), fmt, "需求响应 demand response")


linking_app = typer.Typer(
    help="资源对接: 资源目录与企业需求的 Excel 导入 / resource linking: Excel import of resources and demands",
    no_args_is_help=True,
)


def _links(store: AppStore) -> Linking:
    """Resource linking with the registry, so that a demand is filed under its firm's park."""
    from zonebrain.cli._common import registry_exists, warehouse, zone
    from zonebrain.linking import Linking, RegistryFirms, park_aliases

    firms = RegistryFirms(lambda: warehouse(read_only=True)) if registry_exists() else None
    return Linking(store, firms=firms, parks=park_aliases(zone()))


def _link_import(kind: str, file: Path, actor: str | None, template: bool, dry_run: bool,
                 report: Path | None, app_db: str | None) -> None:  # fmt: skip
    from zonebrain.cli._common import zone
    from zonebrain.linking import import_file, write_report, write_template

    if template:
        write_template(kind, file)
        console.print(f"已写出模板 (template written): {file}")
        return
    if not actor:
        raise InputError("请用 --as 指定操作人 (name the acting user with --as USERNAME)")
    with _store(app_db) as store:
        result = import_file(_links(store), _actor(store, actor), kind, file, zone=zone(), dry_run=dry_run)
    if not result.ok:
        for p in result.problems:
            err_console.print(str(p), markup=False, highlight=False)
        out = report or file.with_name(f"{file.stem}.问题清单.xlsx")
        write_report(result, out)
        raise InputError(f"{result.summary()}; 问题清单 (report): {out}")
    verb = "校验通过 (checked, nothing written)" if dry_run else "已导入 (imported)"
    console.print(f"{verb}: {result.summary()}", highlight=False)


LinkFile = Annotated[
    Path, typer.Argument(help=".xlsx 或 .csv (--template 时为输出文件) / the file (output with --template)")
]
LinkActor = Annotated[str | None, typer.Option("--as", help="操作人用户名 (写入审计日志) / acting username")]
Template = Annotated[bool, typer.Option("--template", help="写出空白模板 / write a template to FILE")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="只校验不写入 / check only")]
Report = Annotated[
    Path | None, typer.Option("--report", help="问题清单输出路径 / where to write the problem report")
]


@linking_app.command("import-resources")
def import_resources(file: LinkFile, actor: LinkActor = None, template: Template = False,
                     dry_run: DryRun = False, report: Report = None, app_db: AppDb = None) -> None:  # fmt: skip
    """导入资源目录 (全部或全不, 可重复导入) / import the resource catalogue: all rows or none; re-import safe.

    Key: 资源名称 + 提供方 (a changed row updates that resource).
    """
    _link_import("resources", file, actor, template, dry_run, report, app_db)


@linking_app.command("import-demands")
def import_demands(file: LinkFile, actor: LinkActor = None, template: Template = False,
                   dry_run: DryRun = False, report: Report = None, app_db: AppDb = None) -> None:  # fmt: skip
    """导入企业需求 (全部或全不, 可重复导入) / import enterprise demands: all rows or none; re-import safe.

    Key: 统一社会信用代码 + 需求类型 + 需求标题 (a demand already there is left as it is).
    """
    _link_import("demands", file, actor, template, dry_run, report, app_db)
