"""`zonebrain policy batch hold|release|withdraw`: 暂缓支付 of one approved item of a batch, then its
release for payment or its withdrawal (registered by :mod:`zonebrain.cli.policy_cmd`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from zonebrain import disbursement
from zonebrain.cli import _common
from zonebrain.cli._payout_flow import AppDbOpt, SignerOpt, _flow, _signed_in
from zonebrain.core.clock import beijing_text
from zonebrain.core.money import display_fen
from zonebrain.disbursement._model import BATCH_LABELS, HOLD_OUTCOMES, ITEM_LABELS

BatchArg = Annotated[int, typer.Argument(help="批次编号。 Batch id.")]
ItemArg = Annotated[int, typer.Argument(help="名单项编号 (见 batch show)。 Item id.")]
VersionOpt = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="你看到的批次版本号 (可选, 给出则核对)。 The batch version you read (checked if given).",
    ),
]


def _reason(zh: str, en: str) -> object:
    return typer.Option("--reason", help=f"{zh} (必填)。 {en} (required).")


def _done(d: disbursement.Disbursement, h: disbursement.Hold, what: str) -> None:
    item, b = d.item(h.item_id), d.batch(h.batch_id)
    _common.console.print(
        f"{what}: 名单项 item #{item.id} {item.enterprise_name} {item.uscc} {item.policy_id}/{item.clause_id} "
        f"{display_fen(item.amount_fen, '元')} 元 → {ITEM_LABELS[item.status]} {item.status.value}; "
        f"批次 batch #{b.id} {BATCH_LABELS[b.status]} {b.status.value} (version {b.version})",
        highlight=False,
        markup=False,
    )


def batch_hold(
    batch_id: BatchArg,
    item_id: ItemArg,
    user: SignerOpt,
    reason: Annotated[str, _reason("暂缓原因, 如 企业列入失信名单、银行账户有误", "Why it is held")] = "",
    version: VersionOpt = None,
    app_db: AppDbOpt = None,
) -> None:
    """暂缓支付一个已审批待支付的名单项 (管理员或领导; 须说明原因)。登记支付时不付该项, 批次为部分兑现。
    Hold one approved item (an admin or leader; a reason is required): paying the batch leaves it unpaid."""
    with _flow(app_db) as (d, store):
        h = d.hold(_signed_in(store, user), batch_id, item_id, reason=reason, expected_version=version)
        _done(d, h, "已暂缓支付 held")
    _common.console.print(
        f"放行或撤回 (须由另一位领导或管理员) / release or withdraw it (another leader or admin): "
        f"zonebrain policy batch release|withdraw {batch_id} {item_id} --reason … --user …",
        highlight=False,
        markup=False,
    )


def batch_release(
    batch_id: BatchArg,
    item_id: ItemArg,
    user: SignerOpt,
    reason: Annotated[str, _reason("放行理由, 如 经核实未列入失信名单", "Why it is released")] = "",
    version: VersionOpt = None,
    app_db: AppDbOpt = None,
) -> None:
    """放行暂缓支付的名单项 (管理员或领导, 且非暂缓该项的人; 须说明理由), 再次登记支付即支付该项。
    Release a held item (an admin or leader other than who held it; a reason is required); the
    batch's next payment pays it."""
    with _flow(app_db) as (d, store):
        h = d.release(_signed_in(store, user), batch_id, item_id, reason=reason, expected_version=version)
        _done(d, h, "已放行 released")
    _common.console.print(
        f"支付 / to pay it: zonebrain policy batch pay {batch_id} --user …", highlight=False, markup=False
    )


def batch_withdraw(
    batch_id: BatchArg,
    item_id: ItemArg,
    user: SignerOpt,
    reason: Annotated[str, _reason("撤回理由, 如 企业列入失信名单, 不予兑现", "Why it is withdrawn")] = "",
    version: VersionOpt = None,
    app_db: AppDbOpt = None,
) -> None:
    """撤回暂缓支付的名单项, 不予兑现 (管理员或领导, 且非暂缓该项的人; 须说明理由)。
    Withdraw a held item: it is not paid (an admin or leader other than who held it; a reason is required)."""
    with _flow(app_db) as (d, store):
        h = d.withdraw_held(
            _signed_in(store, user), batch_id, item_id, reason=reason, expected_version=version
        )
        _done(d, h, "已撤回 withdrawn")


def print_holds(holds: Sequence[disbursement.Hold]) -> None:
    """A batch's holds, as ``batch show`` lists them under its objections."""
    for h in holds:
        state = (
            "暂缓中 on hold"
            if h.open
            else f"{HOLD_OUTCOMES.get(h.outcome or '', '')} {h.outcome} ({h.decided_by}, "
            f"{beijing_text(h.decided_at)}): {h.outcome_note}"
        )
        _common.console.print(
            f"  暂缓支付 hold #{h.id} (item #{h.item_id}, {h.held_by} {beijing_text(h.held_at)}): {h.reason} → {state}",
            highlight=False,
            markup=False,
        )


def register(batch_app: typer.Typer) -> None:
    """Add ``hold``, ``release`` and ``withdraw`` to ``policy batch``."""
    batch_app.command("hold")(batch_hold)
    batch_app.command("release")(batch_release)
    batch_app.command("withdraw")(batch_withdraw)
