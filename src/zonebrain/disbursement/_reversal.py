"""What a reversal (冲正) must rest on before it frees a ledger key for a new payment.

A reversal used to need a reason only, and freed the key at once: the award could be paid in full
again with no proof that the first payment came back. Now it names its kind
(:class:`~._model.ReversalKind`): 退汇 (the bank returned the transfer) and 追回 (recovered from the
firm) need the evidence reference (回单号/凭证号) and the day the money came back, neither before
the payment nor after today; 误记 (booked in error, no money moved) needs its reason. Those three
reverse the entry. 待追回 (paid wrongly, the money not back yet) records the claim on the entry,
which stays live: it counts as paid and holds its key until a 追回 reversal with its evidence. The
kind ``legacy`` marks the reversals made before kinds were recorded; no one gives it.
"""

from __future__ import annotations

import datetime as dt

from zonebrain.core.clock import beijing
from zonebrain.core.errors import InputError
from zonebrain.disbursement._model import MONEY_BACK, REVERSAL_LABELS, ReversalKind

GIVEN = tuple(k for k in ReversalKind if k is not ReversalKind.LEGACY)
"""The kinds a reversal may be given (``legacy`` is the migration's alone)."""
EVIDENCE_MAX = 128


def kinds_text() -> str:
    """``退汇 (returned)、追回 (recovered)、误记 (error)、待追回 (unrecovered)``."""
    return "、".join(f"{REVERSAL_LABELS[k]} ({k.value})" for k in GIVEN)


def parse_kind(value: ReversalKind | str | None) -> ReversalKind:
    """*value* as a kind a reversal may be given (its code, or its Chinese label); else an
    InputError naming the kinds and what each needs."""
    text = value.value if isinstance(value, ReversalKind) else (value or "").strip()
    by_label = {REVERSAL_LABELS[k]: k for k in GIVEN}
    found = by_label.get(text) or next((k for k in GIVEN if k.value == text), None)
    if found is None:
        said = (
            f"'{text}' 不是可用的冲正类型 (unknown reversal kind)"
            if text
            else "冲正须注明类型 (a reversal needs its kind)"
        )
        raise InputError(
            f"{said}; 可用 / use: {kinds_text()}. 退汇、追回须填凭证号和款项退回日期 (returned and "
            "recovered need the evidence reference and the day the money came back); 误记 用于未实际付款的"
            "错误记账 (error: booked, no money moved); 款项尚未追回的记为 待追回, 该笔仍计为已支付 "
            "(unrecovered: recorded, the entry still counts as paid and holds its key)"
        )
    return found


def proof(
    kind: ReversalKind, evidence: str, money_back_on: dt.date | None, paid_at: dt.datetime, today: dt.date
) -> tuple[str, dt.date | None]:
    """The evidence and the day the money came back a reversal of *kind* records, checked: required
    for 退汇 and 追回 (the day neither before the payment's day nor after *today*, Beijing); for the
    other kinds no day (no money came back) and the evidence optional."""
    evidence = " ".join(evidence.split())
    label = f"{REVERSAL_LABELS[kind]} ({kind.value})"
    if len(evidence) > EVIDENCE_MAX:
        raise InputError(
            f"凭证号过长: {len(evidence)} 个字符, 最多 {EVIDENCE_MAX} (the evidence reference is too long)"
        )
    if kind not in MONEY_BACK:
        if money_back_on is not None:
            raise InputError(
                f"{label} 没有退回的款项, 不填退回日期 (no money came back: leave the day out); "
                "款项已退回的请选 退汇 或 追回 (choose returned or recovered)"
            )
        return evidence, None
    if not evidence or money_back_on is None:
        missing = "、".join(
            zh
            for zh, absent in (
                ("凭证号 (回单号/凭证号)", not evidence),
                ("款项退回日期", money_back_on is None),
            )
            if absent
        )
        raise InputError(
            f"{label} 须填写{missing} (a reversal whose money came back needs the evidence reference and the "
            "day the money came back, e.g. 回单号 HD20250412-001, 2025-04-12); 款项尚未退回的请记为 待追回 "
            "(not back yet: record it as unrecovered; the key stays held)"
        )
    paid_on = beijing(paid_at).date()
    if money_back_on < paid_on or money_back_on > today:
        raise InputError(
            f"款项退回日期 {money_back_on} 须在支付日 {paid_on} 与今天 {today} 之间 (the day the money came "
            f"back must be between the payment, {paid_on}, and today, {today})"
        )
    return evidence, money_back_on
