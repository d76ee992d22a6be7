"""`zonebrain candidates`: candidate firms (目标企业) for a gap, with reasons and an Excel export.

Mount it in the main CLI with ``main_app.add_typer(app, name="candidates")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zonebrain.core.errors import InputError, ZoneBrainError
from zonebrain.targeting import HALF_LIFE_DAYS, candidates, export_candidates

app = typer.Typer(
    help="目标企业：为缺失环节推荐园区外的候选企业（附理由）。 Candidate firms for a gap, with reasons.",
    add_completion=False,
    invoke_without_command=True,
)
console = Console(soft_wrap=True)


def _read_exclude(path: Path | None) -> list[str]:
    if path is None:
        return []
    if not path.exists():
        raise InputError(f"找不到排除清单 {path} (exclusion list not found: {path})")
    return [
        line.strip().split(",")[0]
        for line in path.read_text(encoding="utf-8-sig").splitlines()
        if line.strip()
    ]


def _pipeline_usccs(app_db: str | None) -> list[str]:
    """USCCs the investment pipeline already pursues (live projects), so they are not offered again."""
    from zonebrain.appstore import open_existing_app_store
    from zonebrain.cli._common import state
    from zonebrain.pipeline import Pipeline

    store = open_existing_app_store(state.data_dir, app_db)
    if store is None:
        return []  # no app store yet: no pipeline to leave out
    with store:
        return sorted(Pipeline(store).usccs())


@app.callback()
def candidates_cmd(
    ctx: typer.Context,
    industry: Annotated[
        list[str] | None, typer.Option("--class", help="行业小类代码（可重复）/ GB/T 4754 class (repeat)")
    ] = None,
    node: Annotated[str | None, typer.Option(help="链节点 / chain node: CHAIN/NODE")] = None,
    all_gaps: Annotated[bool, typer.Option("--all-gaps", help="全部缺链节点 / every gap node")] = False,
    province: Annotated[
        list[str] | None,
        typer.Option("--province", help="省份代码（可重复）/ province code, e.g. 41 (repeat)"),
    ] = None,
    min_revenue_wan: Annotated[
        int | None, typer.Option("--min-revenue", help="最低营业收入(万元) / minimum revenue (万元)")
    ] = None,
    min_employees: Annotated[int | None, typer.Option(help="最少从业人员 / minimum employees")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="须含标签（可重复）/ required tag (repeat)")
    ] = None,
    exclude: Annotated[
        Path | None,
        typer.Option(help="招商项目库中已有企业清单（每行一个统一社会信用代码）/ pipeline USCC list"),
    ] = None,
    exclude_pipeline: Annotated[
        bool,
        typer.Option(
            "--exclude-pipeline/--keep-pipeline",
            help="排除项目库中在跟进的企业 (默认) / leave out firms the pipeline pursues (default)",
        ),
    ] = True,
    app_db: Annotated[
        str | None,
        typer.Option("--app-db", help="应用库地址 / app store URL or SQLite path [env ZONEBRAIN_APP_DB]"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="评估日期 / as-of date YYYY-MM-DD (default today)")
    ] = None,
    half_life: Annotated[
        float, typer.Option(help="信号半衰期(天) / signal half-life in days")
    ] = HALF_LIFE_DAYS,
    zone_code: Annotated[
        str | None,
        typer.Option(
            help="园区代码 (默认为仓库中的园区) / zone division code (default: the warehouse's zone)"
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="返回前 N 家 / firms to return")] = 50,
    out: Annotated[Path | None, typer.Option("--out", help="导出 Excel (.xlsx) 或 .csv / export")] = None,
) -> None:
    """为行业小类、链节点或全部缺链节点推荐园区外的候选企业，附前三条理由。

    Rank firms of the reference registry outside the zone for a class, a chain node or every gap:
    fit, quality, fresh expansion signals, links; firms in the zone or the pipeline are left out.
    """
    if ctx.invoked_subcommand is not None:
        return
    from zonebrain.cli._common import parse_day, warehouse

    try:
        day = parse_day(as_of) if as_of else None
        excluded = _read_exclude(exclude) + (_pipeline_usccs(app_db) if exclude_pipeline else [])
        wh = warehouse(read_only=True)
        try:
            result = candidates(
                wh, classes=industry or (), node=node, all_gaps=all_gaps, zone_code=zone_code, as_of=day,
                half_life_days=half_life, provinces=province or (),
                min_revenue_fen=None if min_revenue_wan is None else min_revenue_wan * 1_000_000,
                min_employees=min_employees, tags=tag or (), exclude=excluded, limit=top,
            )  # fmt: skip
        finally:
            wh.close()
        if out is not None:
            if out.suffix.lower() == ".xlsx":
                export_candidates(result, out)
            else:
                result.table.to_pandas().to_csv(out, index=False)
        frame = result.table.to_pandas()
        console.print(
            f"目标 Target: {result.target.description}; 园区 zone {result.zone_code}; {len(frame)} 家 firms",
            highlight=False,
        )
        for row in frame.itertuples():
            console.print(
                f"{row.rank:>3}. {row.name} ({row.uscc}) {row.score:.3f} — {row.reasons}", highlight=False
            )
    except ValueError as err:  # InputError is a ValueError; so is a bad --as-of date
        console.print(f"[red]错误 Error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None
    except ZoneBrainError as err:
        console.print(f"[red]错误 Error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None
