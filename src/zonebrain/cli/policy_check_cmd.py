"""`zonebrain policy check`: the enterprise self-check (企业自测), by USCC or a filled-in form.

Added to the ``policy`` sub-app by ``policy_check_cmd.register(app)`` in ``policy_cmd``. It reads
the warehouse (by USCC) or nothing but the form, and writes nothing. As the web's ``/policy/check``
it says when the year assessed is not over yet (the results are provisional), Chinese first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Column, Table

from zonebrain import disbursement, policy
from zonebrain.cli import _common, policy_analysis
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.policy._explain import STATUS_ZH, clause_names
from zonebrain.storage import Warehouse


def check_cmd(
    uscc: Annotated[str | None, typer.Argument(help="统一社会信用代码。 The enterprise's USCC.")] = None,
    form: Annotated[
        Path | None, typer.Option("--form", help="企业自测表 YAML (不读仓库)。 A filled-in self-check form.")
    ] = None,
    period: Annotated[
        int | None,
        typer.Option(
            "--period",
            min=2000,
            max=2100,
            help="考核年度 (默认仓库中最近有数据的年度)。 Year assessed (default: the latest with data).",
        ),
    ] = None,
    folder: policy_analysis.DirOpt = None,
    app_db: policy_analysis.AppDbOpt = None,
) -> None:
    """企业自测: 符合的政策、金额, 以及其余政策缺少的数据 (已兑现、已撤回的按支付台账与兑现批次)。
    Enterprise self-check: what it qualifies for, the amounts, and the data missing for the rest
    (what was paid or withdrawn per the payment ledger and the batches)."""
    absent = f"仓库中没有企业 {uscc} (no such enterprise in the warehouse)"
    with _common.input_errors():
        lib = policy.load_library(folder)
        if form is not None:
            if period is not None or uscc is not None:
                raise InputError(
                    "--form 自测表自带 uscc 与 period, 不能再给出企业代码或 --period "
                    "(a form carries its own uscc and period)"
                )
            results = policy.self_check(None, lib, 0, form=form)
        elif uscc is None:
            raise InputError("请给出统一社会信用代码或 --form 自测表 (give a USCC or --form FILE)")
        else:
            with policy_analysis.payment_history(app_db) as history, _common.warehouse(read_only=True) as wh:
                year = period if period is not None else _latest_year(wh)
                _common.console.print(f"考核年度 period {year}", highlight=False)
                results = policy.self_check(wh, lib, year, uscc=uscc, history=history)
                if not results.num_rows:
                    absent = policy.absent_reason(wh, uscc, year)
    warn_provisional(results)
    if results.num_rows == 0:
        _common.err_console.print(absent, highlight=False)
        raise typer.Exit(code=1)
    print_results(results, lib)


def warn_provisional(results: pa.Table) -> None:
    """On stderr, as ``policy run`` warns of a provisional run: the year assessed is not over yet,
    so the results are provisional (the warning :func:`policy.self_check` gave with them, the text
    the web's self-check shows). Nothing for a year that is over."""
    warning = policy.self_check_provisional(results)
    if warning is not None:
        _common.err_console.print(f"[yellow]注意 / warning:[/yellow] {warning}", highlight=False)


def print_results(results: pa.Table, lib: policy.Library) -> None:
    """The self-check's table, what the 兑现 workflow already did with an award, and what to provide;
    each clause by its policy's name and 条款, as an enterprise reads it, with its code after
    (QA: codes alone), and nothing cut with … (folded). Statuses in the words of ``policy run`` and
    ``policy explain`` (``STATUS_ZH``: 符合 eligible; QA: the self-check said 可享受)."""
    named = clause_names(lib)
    t = Table(
        *(
            Column(h, overflow="fold")
            for h in ("政策/条款 clause", "结果 status", "金额(元) amount", "需补充 missing")
        )
    )
    asks: dict[str, list[str]] = {}  # missing fields → the clauses that need them
    decided: list[str] = []  # what the 兑现 workflow already did with an award, one line each
    for row in results.to_pylist():
        amount = "" if row["amount_fen"] is None else display_fen(row["amount_fen"], "元")
        status = f"{STATUS_ZH.get(row['status'], row['status'])} {row['status']}"  # as policy run says it
        code = f"{row['policy_id']}/{row['clause_id']}"
        name = (
            f"{named[row['policy_id'], row['clause_id']]} ({code})"
            if (row["policy_id"], row["clause_id"]) in named
            else code
        )
        if row["history"] is not None:  # paid (one-time or annual), or withdrawn: nothing to ask for
            status = "已兑现 already paid" if row["history"] == "paid" else "异议成立已撤回 withdrawn"
            amount, row["missing_fields"] = "", None
            decided.append(f"{name}: {row['history_text']}")
        elif row["missing_fields"]:
            asks.setdefault(row["missing_fields"], []).append(name)
        t.add_row(name, status, amount, policy.missing_fields_zh(row["missing_fields"]))
    _common.console.print(t)
    for line in decided:
        _common.console.print(line, highlight=False, markup=False)
    for codes, names in asks.items():  # what to provide, once per set of missing data (as the web page)
        _common.console.print(
            f"需补充 / missing ({', '.join(names)}): {policy.missing_fields_zh(codes)} ({codes})",
            highlight=False,
            markup=False,
        )
        for line in disbursement.ask_for(codes).splitlines():
            _common.console.print(f"    请提供 / provide: {line}", highlight=False, markup=False)


def _latest_year(wh: Warehouse) -> int:
    """The latest year of enterprise data in the warehouse (a self-check's default period)."""
    t = wh.table("enterprise_years")
    got = wh.to_arrow(t.aggregate(latest=t.year.max()))["latest"][0].as_py()
    if got is None:
        raise InputError("仓库中没有企业年度数据 (no yearly data); 请先导入 finance, 或给出 --period")
    return int(got)


def register(app: typer.Typer) -> None:
    """Add ``check`` to the ``policy`` sub-app."""
    app.command("check")(check_cmd)
