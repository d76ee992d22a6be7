"""`zonebrain policy ledger import FILE`: payments made before ZoneBrain (往年已兑现导入) into the
payment ledger (registered by :mod:`zonebrain.cli.policy_ledger_cmd`)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from zonebrain.cli import _common
from zonebrain.cli._payout_flow import AppDbOpt, SignerOpt, _flow, _signed_in
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.disbursement._prior import PriorImport, PriorImportRejected, import_prior_payments
from zonebrain.disbursement._prior_read import PRIOR_FORMAT
from zonebrain.disbursement._prior_template import write_prior_template

_HEADERS = "、".join(c.header + ("*" if c.required else "") for c in PRIOR_FORMAT.columns)


def ledger_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="往年兑现记录 .xlsx 或 .csv。 The file of past payments.")],
    user: SignerOpt,
    sheet: Annotated[str | None, typer.Option("--sheet", help="工作表名 (xlsx)。 Sheet name.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只校验 (含与台账比对), 不写入。 Check only, write nothing.")
    ] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="问题报告目录 (默认与文件同目录)。 Where the reject report goes."),
    ] = None,
    app_db: AppDbOpt = None,
) -> None:
    """导入往年已兑现记录 (管理员; 全部导入或全部不导入; 重复导入不新增)。一次性奖励 (首次认定等) 据此不再重复兑现。
    Import payments made before ZoneBrain (an admin; all rows or none; importing again adds
    nothing), so one-time awards are never paid twice."""
    with _flow(app_db or ctx.obj) as (_d, store):
        acting = _signed_in(store, user)  # it decides what is paid: the password, as for payments
        registry = _common.warehouse(read_only=True) if _common.registry_exists() else nullcontext(None)
        with registry as wh:  # names each firm and its park, as the registry holds them
            try:
                r = import_prior_payments(
                    store, acting, file, warehouse=wh, sheet=sheet, dry_run=dry_run, report_dir=report_dir
                )
            except PriorImportRejected as exc:
                _common.err_console.print(f"错误 / error: {exc}", markup=False, highlight=False)
                _common.err_console.print(
                    f"新增 imported 0, 拒绝 rejected {exc.rejected}; 问题报告 report: {exc.report_path}",
                    markup=False,
                    highlight=False,
                )
                raise typer.Exit(code=2) from None
            except InputError as exc:  # the file as a whole: missing, unreadable, a column or its unit
                _common.err_console.print(f"错误 / error: {exc}", markup=False, highlight=False)
                raise typer.Exit(code=2) from None
    show(r)


ledger_import.__doc__ = f"{ledger_import.__doc__}\n\n    表头 (headers, * = 必填 required): {_HEADERS}"


def ledger_template(
    file: Annotated[Path, typer.Argument(help="输出的 .xlsx 文件。 The workbook to write.")],
) -> None:
    """写出往年已兑现导入模板 (表头、填写说明、政策条款清单)。
    Write the workbook to fill for `zonebrain policy ledger import`: the headers, what each column
    holds, and the policies and clauses a row may name."""
    with _common.input_errors():
        if file.suffix.lower() != ".xlsx":
            raise InputError(
                f"{file}: 模板为 .xlsx 文件 (the template is an .xlsx file); 请以 .xlsx 结尾 / end the name in .xlsx"
            )
        write_prior_template(file)
    _common.console.print(f"已写出模板 (template written): {file}", highlight=False, markup=False)


def show(r: PriorImport) -> None:
    """What an import did, in one line and its notes."""
    say = _common.console.print
    counts = (
        f"读入 rows {r.rows_in} 行, 新增 imported {r.imported}, 已在台账 already present {r.already_present}, "
        f"拒绝 rejected 0; 新增金额 {display_fen(r.total_fen, '元')} 元"
    )
    if r.status == "dry_run":
        say(
            f"{r.file.name}: 校验通过, 未写入 (dry run, nothing written): {counts}",
            highlight=False,
            markup=False,
        )
    elif r.status == "already_imported":
        say(
            f"{r.file.name}: 各行均已在支付台账中, 未新增 (already imported: nothing added): {counts}",
            highlight=False,
            markup=False,
        )
    else:
        say(
            f"{r.file.name}: 已导入 imported (导入批次 import #{r.import_id}, 台账记录 entries "
            f"#{r.entries[0]}–#{r.entries[-1]}): {counts}",
            highlight=False,
            markup=False,
        )
    if r.seen_before:
        say(
            f"注意 (note): 此文件此前已导入 (the same file was imported before): {'; '.join(r.seen_before)}",
            highlight=False,
            markup=False,
        )
    for note in r.warnings:
        say(f"注意 (note): {note}", highlight=False, markup=False)
