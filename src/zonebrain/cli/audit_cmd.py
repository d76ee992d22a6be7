"""`zonebrain audit …`: the audit log's hash chain (tamper evidence)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from rich.markup import escape

from zonebrain.appstore import ChainReport, default_app_db_url, open_app_store, verify_chain
from zonebrain.cli._common import console, err_console, input_errors, state
from zonebrain.cli.users_cmd import AppDb
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError

app = typer.Typer(help="审计日志 / the audit log (hash chain)", no_args_is_help=True)


@app.command("verify")
def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="保存的链头哈希 (导出的说明页) / a head hash kept from an export",
        ),
    ] = None,
    expect_rows: Annotated[
        int | None,
        typer.Option("--expect-rows", min=1, help="该链头的行数 / the row count kept with that head hash"),
    ] = None,
    app_db: AppDb = None,
) -> None:
    """校验审计日志的哈希链 / verify the audit log's hash chain.

    逐行重算哈希与链接并核对链头, 断裂时指出第一处并以 1 退出 / recomputes every row's hash and
    link and compares the head; a break names its first row and exits 1."""
    with input_errors():
        if expect_rows is not None and expect_head is None:
            raise InputError("--expect-rows 须与 --expect-head 同用 (--expect-rows needs --expect-head)")
        if expect_head is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", expect_head.strip()):
            raise InputError(
                f"--expect-head '{expect_head}' 不是 SHA-256 哈希 (not a SHA-256 hash): 应为 64 位十六进制 "
                "/ give the 64 hex digits of the export's 链头哈希 (head hash)"
            )
    with open_app_store(default_app_db_url(state.data_dir, app_db), create=False) as store:
        report = verify_chain(store, expect_hash=expect_head, expect_rows=expect_rows)
    print_report(report)
    if not report.ok:
        raise typer.Exit(code=1)


def print_report(report: ChainReport) -> None:
    if report.problem is not None:
        err_console.print(
            f"[red]审计链断裂 (audit chain broken):[/red] {escape(report.problem.text)}",
            highlight=False,
        )
        err_console.print(f"断裂之前核验的行数 (rows checked before it): {report.rows:,}", highlight=False)
        return
    console.print(f"审计链完整 (audit chain intact): {report.rows:,} 行 (rows)", highlight=False)
    if report.head_id is not None and report.head_at is not None:
        console.print(
            f"链头 (head): {report.head_hash} (第 {report.head_id} 行 / row id {report.head_id}, "
            f"{beijing_text(report.head_at)} 北京时间 / Beijing time)",
            highlight=False,
        )
    if report.expected_at is not None:
        console.print(
            f"所保存的链头在链序号 {report.expected_at} 处 (the kept head is at seq {report.expected_at}): "
            "此前的行未被改动 / the rows up to it are unchanged",
            highlight=False,
        )
    console.print(report.anchor_text, highlight=False)
