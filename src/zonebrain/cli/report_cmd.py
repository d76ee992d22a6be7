"""`zonebrain report`: Word reports (with every table also in Excel).

Mount with ``app.add_typer(report_cmd.app, name="report")``. Sub-commands: ``portrait``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zonebrain.cli._common import console, warehouse
from zonebrain.cli.portrait_cmd import Reference

app = typer.Typer(help="报告 (Word + Excel) / reports", no_args_is_help=True)


@app.callback()
def reports() -> None:
    """报告 (Word + Excel) / reports."""


@app.command("portrait")
def portrait_report_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Word 文件 (.docx); 同名 .xlsx 含全部表格 / output .docx")
    ],
    park: Annotated[
        str | None,
        typer.Option("--park", help="园区 (代码或简称, 如 石佛) / park id or name; default the zone"),
    ] = None,
    peer: Annotated[
        list[str] | None, typer.Option("--peer", help="对标地区代码, 可重复 / peer region code (repeatable)")
    ] = None,
    reference: Annotated[Reference, typer.Option(help="区位熵参照 / LQ reference economy")] = Reference.city,
    zone_name: Annotated[str, typer.Option(help="园区名称 / zone name on the cover")] = "郑州高新区",
) -> None:
    """产业画像诊断报告 (Word, 含目录、图表; 全部表格另存 Excel) / the portrait and diagnosis report."""
    from zonebrain.core.errors import InputError
    from zonebrain.portrait import portrait_report
    from zonebrain.portrait._report import DEFAULT_PEERS

    if out.suffix.lower() != ".docx":
        raise InputError(f"--out 须为 .docx 文件 / --out must end in .docx: {out}")
    with warehouse(read_only=True) as wh:
        files = portrait_report(
            wh,
            out,
            park=park,
            peers=peer or list(DEFAULT_PEERS),
            reference=reference.value,
            zone_name=zone_name,
        )
    console.print(f"已写出 (written): {files.docx} 与 (and) {files.xlsx}, 用时 {files.seconds:.1f} s")
