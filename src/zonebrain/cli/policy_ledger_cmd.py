"""`zonebrain policy ledger [reverse|import]` and `zonebrain policy verify list|update`: the payment ledger
(冲正) and the 待核实 queue of the 兑现 workflow (registered by :mod:`zonebrain.cli.policy_cmd`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zonebrain.cli import _common
from zonebrain.cli._payout_flow import AppDbOpt, SignerOpt, UserOpt, _flow, _park_names, _signed_in, _user
from zonebrain.cli.policy_prior_cmd import ledger_import, ledger_template
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError, out_suffix
from zonebrain.core.money import display_fen
from zonebrain.disbursement._exports import VERIFY_LABELS, kind_label, write_ledger
from zonebrain.disbursement._model import LedgerEntry, ReversalKind
from zonebrain.disbursement._verify import parse_status

ledger_app = typer.Typer(
    help="支付台账 (幂等键: 企业 × 政策 × 条款 × 年度/once); 冲正。 The payment ledger; reversals.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@ledger_app.callback()
def ledger_cmd(
    ctx: typer.Context,
    uscc: Annotated[str | None, typer.Option("--uscc", help="只看一家企业。 One enterprise.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="另存为 .xlsx (完整, 不截断)。 Write the ledger to Excel.")
    ] = None,
    app_db: AppDbOpt = None,
) -> None:
    """支付台账 (幂等键: 企业 × 政策 × 条款 × 年度/once); 已冲正的记录标出, 不计入合计。
    The payment ledger; reversed entries are flagged and left out of the total."""
    ctx.obj = app_db
    if ctx.invoked_subcommand is not None:
        return
    if out is not None:
        with _common.input_errors():
            out_suffix(out, ".xlsx")
    with _flow(app_db) as (d, _store):
        rows = d.ledger.entries(uscc=uscc)
        named = d.ledger.search(uscc=uscc).rows if out is not None else []  # with names, as the web's
    if out is not None:
        written, n = write_ledger(named, out, parks=_park_names())
        _common.console.print(f"已写出 / written: {written} ({n} 笔 entries)", highlight=False)
    # a narrow terminal (or a pipe: 80 columns) folds the text; the USCC and amounts keep every digit
    t = Table()
    t.add_column("#", no_wrap=True)
    t.add_column("统一社会信用代码", no_wrap=True)
    t.add_column("政策/条款", overflow="fold", min_width=12)
    t.add_column("年度\nperiod", no_wrap=True)
    t.add_column("金额(元)", justify="right", no_wrap=True)
    t.add_column("批次/来源\nbatch/source", overflow="fold")
    for head in ("支付 paid (北京时间)", "经办 by", "状态 status"):
        t.add_column(head, overflow="fold")
    for e in rows:
        state = (
            f"已冲正 reversed {beijing_text(e.reversed_at)} ({e.reversed_by}: {e.reversal_reason}; "
            f"{_reversal_text(e)})"
            if e.reversed
            else f"有效 live, 待追回 to recover: {e.reversal_reason}"
            if e.reversal_kind == ReversalKind.UNRECOVERED.value
            else "有效 live"
        )
        t.add_row(
            str(e.id), e.uscc, f"{e.policy_id}/{e.clause_id}", _period_text(e.period), display_fen(e.amount_fen, "元"),
            _source(e), beijing_text(e.paid_at), e.paid_by, state,
        )  # fmt: skip
    _common.console.print(t)
    live = [e for e in rows if not e.reversed]
    summary = f"{len(live)} 笔 entries, {display_fen(sum(e.amount_fen for e in live), '元')} 元"
    if len(live) < len(rows):
        summary += f"; 另有已冲正 {len(rows) - len(live)} 笔, 不计入 (reversed, not counted)"
    _common.console.print(summary, highlight=False)


def _source(e: LedgerEntry) -> str:
    """A batch entry's batch (``#3``), or an imported one's import and reference (往年导入)."""
    return f"往年导入 imported #{e.import_id}: {e.reference}" if e.imported else f"#{e.batch_id}"


def _period_text(period: str) -> str:
    """A ledger key's period as people read it: ``2024``, or ``一次性 once`` (a one-time award)."""
    return "一次性 once" if period == "once" else period


@ledger_app.command("reverse")
def ledger_reverse(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="台账记录编号 (见 policy ledger 的 #)。 Ledger entry id.")],
    user: SignerOpt,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", help="冲正原因, 如 银行退回、误付 (必填)。 Why: returned by the bank, paid in error."
        ),
    ] = "",  # checked by the service, so a missing reason gets its message (what to write)
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="冲正类型 (必填): returned 退汇 | recovered 追回 | error 误记 (未实际付款) | unrecovered 待追回"
            " (款项未退回: 只记录, 不能再付)。 What the reversal rests on (required).",
        ),
    ] = "",  # checked by the service: a missing kind gets its message (the kinds, what each needs)
    evidence: Annotated[
        str,
        typer.Option(
            "--evidence", help="回单号/凭证号 (退汇、追回必填)。 Evidence reference (returned, recovered)."
        ),
    ] = "",
    money_back_on: Annotated[
        str | None,
        typer.Option(
            "--money-back-on",
            help="款项退回日期 YYYY-MM-DD (退汇、追回必填)。 The day the money came back (returned, recovered).",
        ),
    ] = None,
    app_db: AppDbOpt = None,
) -> None:
    """冲正一笔支付 (管理员或领导, 且非登记该笔支付的人; 须说明原因和类型)。退汇、追回须填凭证号和退回日期;
    冲正后记录保留并标为已冲正, 该奖励可由新批次再付一次。待追回只记录, 该笔仍计为已支付, 追回后再以 recovered 冲正。
    Reverse a payment (an admin or leader other than the payer; reason and kind required; returned
    and recovered need the evidence and the day the money came back). The entry is kept, flagged; a
    new batch may pay the award again, once. unrecovered only records the claim: the entry stays
    live until a recovered reversal."""
    with _common.input_errors():  # an unreadable date: bad input (exit 2)
        back_on = None if money_back_on is None else _common.parse_day(money_back_on)
    with _flow(app_db or ctx.obj) as (d, store):
        e = d.reverse(
            _signed_in(store, user),
            entry_id,
            reason=reason,
            kind=kind,
            evidence=evidence,
            money_back_on=back_on,
        )
    where = (
        f"台账记录 entry #{e.id} {e.uscc} {e.policy_id}/{e.clause_id} ({e.period}) "
        f"{display_fen(e.amount_fen, '元')} 元, {_source(e) if e.imported else f'批次 batch #{e.batch_id}'}"
    )
    if not e.reversed:  # 待追回: recorded, the entry still counts as paid
        _common.console.print(
            f"已记为待追回 recorded as to recover: {where}; 原因 reason: {e.reversal_reason}\n"
            "该笔仍计为已支付, 不能再付 (the entry still counts as paid; the award cannot be paid again); "
            f"追回后 / once recovered: zonebrain policy ledger reverse {e.id} --kind recovered "
            "--evidence 凭证号 --money-back-on YYYY-MM-DD --reason … --user …",
            highlight=False,
            markup=False,
        )
        return
    _common.console.print(
        f"已冲正 reversed ({_reversal_text(e)}): {where}; 原因 reason: {e.reversal_reason}\n"
        "再次兑现: 重新测算后建立新批次 / to pay it again: zonebrain policy run, then policy batch create",
        highlight=False,
        markup=False,
    )


def _reversal_text(e: LedgerEntry) -> str:
    """``退汇 returned, 凭证号 HD-1, 退回 2025-04-12``: the kind and proof of a reversal."""
    kind = f"{kind_label(e.reversal_kind)} {e.reversal_kind}" if e.reversal_kind else "—"
    proof = f", 凭证号 evidence {e.reversal_evidence}" if e.reversal_evidence else ""
    back = f", 退回 money back {e.money_back_on}" if e.money_back_on else ""
    return f"{kind}{proof}{back}"


def verify_list(
    status: Annotated[str | None, typer.Option("--status", help="open|requested|answered|closed")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="导出 .xlsx (需 --user)。 Export to Excel (needs --user).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", "--as", help="操作人 (导出时)。 Acting user.")] = None,
    app_db: AppDbOpt = None,
) -> None:
    """待核实队列: 每家企业需补充的材料。 The verification queue: what each enterprise should provide."""
    with _common.input_errors():  # an unknown status, file type or a missing --user: bad input (exit 2)
        wanted = None if status is None else parse_status(status)
        if out is not None:
            out_suffix(out, ".xlsx")
            if user is None:
                raise InputError("导出须给出操作人 --user (exporting needs --user for the audit log)")
    with _flow(app_db) as (d, store):
        if out is not None and user is not None:
            path = d.export_verification(_user(store, user), out, status=wanted, parks=_park_names())
            _common.console.print(f"已导出待核实清单 (exported) → {path}", highlight=False)
            return
        requests = d.verification.list(status=wanted)
    for r in requests:
        _common.console.print(
            f"#{r.id} {r.enterprise_name} {r.uscc} {r.policy_id}/{r.clause_id} ({r.clause_ref}) "
            f"{VERIFY_LABELS[r.status.value]} {r.status.value} (version {r.version})",
            highlight=False,
            markup=False,
        )
        for line in r.ask.splitlines():
            _common.console.print(f"    需提供 / ask: {line}", highlight=False, markup=False)
    _common.console.print(f"{len(requests)} 项待核实 requests")


def verify_update(
    request_id: Annotated[int, typer.Argument(help="待核实事项编号。 Request id.")],
    user: UserOpt,
    status: Annotated[str, typer.Option("--status", help="requested|answered|closed")],
    version: Annotated[int, typer.Option("--version", help="你看到的版本号。 The version you read.")],
    note: Annotated[str, typer.Option("--note", help="备注。 Note.")] = "",
    app_db: AppDbOpt = None,
) -> None:
    """推进待核实事项 (已通知 → 已提交 → 已办结)。 Move a verification request forward."""
    with _common.input_errors():
        target = parse_status(status)  # an unknown status is bad input (exit 2); a step back, a refusal
    with _flow(app_db) as (d, store):
        r = d.verification.update(
            _user(store, user), request_id, status=target, expected_version=version, note=note
        )
    _common.console.print(
        f"待核实 #{r.id}: {VERIFY_LABELS[r.status.value]} {r.status.value} (version {r.version})",
        highlight=False,
    )


def register(app: typer.Typer, verify_app: typer.Typer) -> None:
    """Add ``ledger`` to the ``policy`` sub-app and ``list``, ``update`` to its ``verify``."""
    app.add_typer(ledger_app, name="ledger")
    ledger_app.command("import")(ledger_import)  # 往年已兑现导入
    ledger_app.command("template")(ledger_template)  # its workbook to fill
    verify_app.command("list")(verify_list)
    verify_app.command("update")(verify_update)
