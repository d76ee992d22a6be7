"""`zonebrain pipeline …`: the investment-project pipeline (招商项目库) and resource linking from the shell.

Writes need an actor (``--as USERNAME``, an account in the app store) so the audit log says who.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow as pa
import typer
from rich.table import Table

from zonebrain import pipeline
from zonebrain.appstore import AppStore, User, default_app_db_url, open_app_store
from zonebrain.cli._common import console, err_console, state
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen

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


def _store(app_db: str | None) -> AppStore:
    return open_app_store(default_app_db_url(state.data_dir, app_db))


def _pipe(store: AppStore) -> pipeline.Pipeline:
    from zonebrain.cli._common import zone

    return pipeline.Pipeline(store, zone=zone())


def _actor(store: AppStore, username: str) -> User:
    user = store.users.get(username)
    if user is None or not user.active:
        raise InputError(f"没有在用的用户 '{username}' (no active user); 查看 / see: zonebrain users list")
    return user


def _as_of(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(23, 59, 59))
    except ValueError:
        raise InputError(f"日期 '{text}' 无效 (bad date); 请写成 2026-06-30 / write YYYY-MM-DD") from None


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
    park: Annotated[str | None, typer.Option(help="园区 / park id")] = None,
    owner: Annotated[str | None, typer.Option(help="负责人 / owner username")] = None,
    stage: Annotated[str | None, typer.Option(help="阶段 / stage (线索…达产, 终止)")] = None,
    as_of: AsOf = None,
    fmt: FormatOpt = "table",
    app_db: AppDb = None,
) -> None:
    """列出项目 (含停滞颜色) / list projects with their stall colour."""
    with _store(app_db) as store:
        projects = _pipe(store).list(park_id=park, owner=owner, stage=stage)
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
    """导入项目 (全部或全不) / import projects: every cell is checked; all rows or none are added."""
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
    verb = "校验通过 (checked)" if dry_run else "已导入 (imported)"
    console.print(f"{verb}: {result.rows} 行 rows")


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="输出 .xlsx / output .xlsx")],
    park: Annotated[str | None, typer.Option(help="园区 / park id")] = None,
    as_of: AsOf = None,
    app_db: AppDb = None,
) -> None:
    """导出项目到 Excel (可修改后再导入) / export projects to Excel (re-importable)."""
    with _store(app_db) as store:
        projects = _pipe(store).list(park_id=park)
    pipeline.export_projects(projects, file, as_of=_as_of(as_of))
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
    for d in digests:
        console.print(d.text(), markup=False, highlight=False)
        console.print()


@app.command("funnel")
def funnel_cmd(
    by: Annotated[str | None, typer.Option(help="owner|park|origin (默认全部) / group")] = None,
    time: Annotated[bool, typer.Option("--time", help="各阶段停留时长 / time in stage instead")] = False,
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
    from zonebrain.linking import Linking, response_stats

    with _store(app_db) as store:
        demands = Linking(store).demands(_actor(store, actor))
    _emit(response_stats(demands, as_of=_as_of(as_of)).round(2), fmt, "需求响应 demand response")
