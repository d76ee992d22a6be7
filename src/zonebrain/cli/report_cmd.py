"""`zonebrain report`: Word reports (with every table also in Excel).

Mount with ``app.add_typer(report_cmd.app, name="report")``. Sub-commands: ``portrait``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zonebrain.cli._common import console, err_console, warehouse
from zonebrain.cli.portrait_cmd import Reference

if TYPE_CHECKING:
    from zonebrain.registry._zone import HeldZone
    from zonebrain.storage import Warehouse

app = typer.Typer(help="报告 (Word + Excel) / reports", no_args_is_help=True)

ZoneNameOpt = Annotated[
    str | None,
    typer.Option(
        help="园区名称 (默认为仓库中园区的简称, 取自园区定义文件) / zone name on the cover "
        "(default: the short name of the warehouse's zone, from its zone file)"
    ),
]


def report_zone(wh: Warehouse, zone_name: str | None) -> HeldZone:
    """The zone a report is about: the warehouse's, named from the zone file (--zone-file) when it
    is that zone's. Without --zone-name, a name made up from the code is said on stderr, with what
    to do (QA: a 洛阳高新区 warehouse's reports were titled 郑州高新区)."""
    from zonebrain.cli._common import zone
    from zonebrain.registry._zone import held_zone

    held = held_zone(wh, zone())
    if zone_name is None and held.hint:
        err_console.print(f"注意 / note: {held.hint}", markup=False, highlight=False)
    return held


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
        list[str] | None,
        typer.Option(
            "--peer",
            help="对标地区代码, 可重复 (默认为园区所在地级市与省) / peer region code, repeatable "
            "(default: the zone's city and province)",
        ),
    ] = None,
    reference: Annotated[Reference, typer.Option(help="区位熵参照 / LQ reference economy")] = Reference.city,
    zone_name: ZoneNameOpt = None,
) -> None:
    """产业画像诊断报告 (Word, 含目录、图表; 全部表格另存 Excel) / the portrait and diagnosis report."""
    from zonebrain.core.errors import InputError
    from zonebrain.portrait import default_peers, portrait_report

    if out.suffix.lower() != ".docx":
        raise InputError(f"--out 须为 .docx 文件 / --out must end in .docx: {out}")
    with warehouse(read_only=True) as wh:
        held = report_zone(wh, zone_name)
        files = portrait_report(
            wh,
            out,
            park=park,
            peers=peer or default_peers(held.code),
            reference=reference.value,
            zone_name=zone_name or held.short_name_zh,
        )
    console.print(f"已写出 (written): {files.docx} 与 (and) {files.xlsx}, 用时 {files.seconds:.1f} s")
