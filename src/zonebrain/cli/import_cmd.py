"""`zonebrain import KIND FILE`: load a zone's data files into the warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zonebrain.cli._common import console, err_console, progress_bar, warehouse, zone
from zonebrain.registry import FORMATS, ImportReport, import_file

app = typer.Typer(help="导入数据文件 (.xlsx/.csv) / import data files", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="数据文件 .xlsx 或 .csv / the data file", exists=False)]
Source = Annotated[
    str | None, typer.Option(help="数据来源部门, 如 市场监管、税务、统计 / the source department")
]
Mapping = Annotated[Path | None, typer.Option(help="表头映射文件 (YAML) / header mapping file")]
Sheet = Annotated[str | None, typer.Option(help="工作表名 (xlsx) / sheet name")]
Partial = Annotated[
    bool, typer.Option("--accept-partial", help="只导入无问题的行 / import the good rows only")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="只校验, 不写入 / validate only, write nothing")]
ReportDir = Annotated[
    Path | None, typer.Option(help="问题报告目录 (默认与文件同目录) / where the reject report goes")
]


def show(report: ImportReport) -> None:
    if report.status == "already_imported":
        console.print(
            f"[yellow]{report.file.name}: 此文件已导入过 (batch {report.batch_id})，未做任何改动 "
            "/ already imported, nothing changed[/yellow]"
        )
        return
    verb = "校验通过 (dry run, nothing written)" if report.status == "dry_run" else "已导入 imported"
    console.print(
        f"[green]{report.file.name}[/green] [{report.encoding}] {verb}: 读入 {report.rows_in} 行, "
        f"拒绝 {report.rows_rejected}, 新增 {report.inserted}, 更新 {report.updated}, 未变 {report.unchanged}, "
        f"来源冲突 {report.conflicts}; batch {report.batch_id}; {report.seconds:.1f}s"
    )
    if report.unused_columns:
        console.print(
            f"[yellow]未使用的列 (columns not imported): {', '.join(report.unused_columns)}[/yellow]"
        )
    for note in report.warnings:  # a title row or blank rows skipped, other sheets not read
        console.print(f"注意 (note): {note}", style="yellow", markup=False, highlight=False)
    if report.report_path:
        console.print(f"问题/冲突报告 (report): {report.report_path}")


def _command(kind: str) -> None:
    fmt = FORMATS[kind]
    headers = "、".join(c.header + ("*" if c.required else "") for c in fmt.columns)

    def run(
        file: FileArg,
        source: Source = None,
        mapping: Mapping = None,
        sheet: Sheet = None,
        accept_partial: Partial = False,
        dry_run: DryRun = False,
        report_dir: ReportDir = None,
    ) -> None:
        with warehouse() as wh, progress_bar(transient=True) as step:
            report = import_file(
                wh,
                kind,
                file,
                zone=zone(),
                source=source,
                mapping_file=mapping,
                sheet=sheet,
                accept_partial=accept_partial,
                dry_run=dry_run,
                report_dir=report_dir,
                progress=step,
            )
        show(report)
        if report.rows_rejected:
            err_console.print(f"[yellow]{report.rows_rejected} 行被拒绝 (rows rejected)[/yellow]")

    run.__doc__ = f"导入{fmt.title_zh} / import {kind}. 表头 (headers, * = 必填 required): {headers}"
    app.command(kind)(run)


for _kind in FORMATS:
    _command(_kind)
