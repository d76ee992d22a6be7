"""Checks of the workflow's steps that refuse with a sentence saying what to do: the 公示 dates
(not decades ahead), an objection (not before the 公示 starts, once, an enterprise's on its own
items), a batch with nothing to pay. The service (:mod:`._service`) calls them
inside its transactions."""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from zonebrain.appstore import Role, UserRow
from zonebrain.appstore.disbursement_models import PayoutBatchRow, PayoutItemRow, PayoutObjectionRow
from zonebrain.core import settings
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError
from zonebrain.disbursement._model import RESOLUTIONS, NotAllowed, StepRefused, WrongStep
from zonebrain.disbursement._source import DataImport, NewerRun

MAX_DAYS_AHEAD: Final = 90
"""How far after today a 公示 may start or end (days). A 公示 is published within days of the
review and runs 5–7 working days; a quarter leaves room to schedule one after a holiday or a
committee meeting, while a mistyped year (2099 for 2025) is refused: such a batch could only wait
for a date decades away, be closed early or be cancelled."""


def publicity_dates(start: dt.date, end: dt.date, today: dt.date) -> None:
    """Refuse a 公示 starting or ending more than :data:`MAX_DAYS_AHEAD` days after *today* (Beijing)."""
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    for day, zh, en in ((start, "开始日", "start"), (end, "截止日", "end")):
        if day > latest:
            raise InputError(
                f"公示{zh} {day} 晚于今天 ({today}) 起 {MAX_DAYS_AHEAD} 天 (the public notice would {en} "
                f"more than {MAX_DAYS_AHEAD} days from today, after {latest}); 请填写从今天起的公示日期, "
                "如 今天至 6 天后 (use dates from today, e.g. today to six days on), 或检查年份是否写错 "
                "(or check the year)"
            )


MIN_DAYS_SETTING: Final = "publicity_min_days"
"""The setting (:mod:`zonebrain.core.settings`) giving the shortest 公示, in days."""


def min_publicity_days(value: int | str | None = None) -> int:
    """The shortest 公示 in calendar days: *value*, else ``$ZONEBRAIN_PUBLICITY_MIN_DAYS``, else 5.
    Not a whole number from 1 to :data:`MAX_DAYS_AHEAD`: an InputError naming the variable."""
    env = settings.BY_NAME[MIN_DAYS_SETTING].env
    raw = str(value) if value is not None else settings.get(MIN_DAYS_SETTING)
    try:
        days = int(raw.strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS_AHEAD:
        raise InputError(
            f"最短公示天数 {env}={raw!r} 无效, 须为 1 至 {MAX_DAYS_AHEAD} 的整数, 如 5 "
            f"(the shortest public notice must be a whole number of days from 1 to {MAX_DAYS_AHEAD})"
        )
    return days


def publicity_span(start: dt.date, end: dt.date, reviewed: dt.date, min_days: int) -> None:
    """Refuse a 公示 starting before the day the batch was *reviewed* (Beijing): a list is published
    once checked, so an earlier start is a backdated one (QA: a start before the batch existed was
    accepted); and one shorter than *min_days* calendar days, both ends included (QA: a one-day
    公示 was accepted), saying what the minimum is and how a zone changes it."""
    if start < reviewed:
        raise InputError(
            f"公示开始日 {start} 早于本批次的审核日 {reviewed} (the public notice cannot start before the "
            f"batch was reviewed on {reviewed}); 名单审核后才能公示, 请填写 {reviewed} 或之后实际发布公示的日期 "
            "(use the day the list was really published, on or after the review)"
        )
    days = (end - start).days + 1
    if days < min_days:
        env = settings.BY_NAME[MIN_DAYS_SETTING].env
        last = start + dt.timedelta(days=min_days - 1)
        raise InputError(
            f"公示期 {start} 至 {end} 共 {days} 天, 短于最短公示期 {min_days} 天 (the public notice lasts "
            f"{days} days, the minimum is {min_days} calendar days, both ends included); 请将截止日改为 "
            f"{last} 或之后 (end it on {last} or later). 最短天数由环境变量 {env} 设置 "
            f"(set {env} to change the minimum, e.g. {env}=7); 需缩短的, 公示开始后可由领导说明原因提前结束 "
            "(a leader may still close it early, with a reason, once it has begun)"
        )


def objection_open(b: PayoutBatchRow, today: dt.date) -> None:
    """Refuse an objection before the 公示 starts: the list is not public yet."""
    if b.publicity_start is not None and today < b.publicity_start:
        raise WrongStep(
            f"兑现批次 #{b.id} 的公示自 {b.publicity_start} 开始 (公示期 {b.publicity_start} 至 "
            f"{b.publicity_end}), 尚未开始, 不能登记异议 (the public notice starts on {b.publicity_start}: "
            f"objections are taken from then until {b.publicity_end})"
        )


def publicity_started(b: PayoutBatchRow, today: dt.date) -> None:
    """Refuse ending a 公示 early before it starts: a list never public cannot go to approval as
    published (QA: closed the day before its start, it was approved and paid with no 公示 at all)."""
    if b.publicity_start is not None and today < b.publicity_start:
        raise WrongStep(
            f"兑现批次 #{b.id} 的公示自 {b.publicity_start} 开始, 尚未开始, 不能提前结束; 名单须至少公示到"
            f"开始之日 (the public notice starts on {b.publicity_start}: it cannot be closed before it has "
            "begun); 如需改期, 请作废本批次后重新制单 (to change the dates, cancel the batch and make a "
            "new one)"
        )


def objection_scope(user: UserRow, item: PayoutItemRow) -> None:
    """An enterprise user objects to its own items only, a park officer records objections (from
    anyone) to its own park's items only, as it works the 待核实 queue of its park only: refuse
    another firm's or park's item, saying so. The web refuses the same before it asks
    (:func:`zonebrain.web._queries.payout.item_in_scope`); this holds for every other caller (QA:
    the CLI let a 梧桐 officer object to a 石佛 firm's award)."""
    role = Role(user.role)
    if role is Role.ENTERPRISE_USER and user.uscc != item.uscc:
        raise role.refuse(
            NotAllowed,
            f"对其他企业的名单项提出异议: 名单项 #{item.id} 不是本企业的",
            f"object to other firms' items: item #{item.id} is not your enterprise's",
        )
    if role is Role.PARK_OFFICER and user.park_id != item.park_id:
        raise role.refuse(
            NotAllowed,
            f"对其他园区的名单项提出异议: 名单项 #{item.id} 不属于本园区",
            f"object to other parks' items: item #{item.id} is outside your park",
            park_id=user.park_id,
        )


def duplicate_objection(s: Session, item_id: int, text: str, raised_by: str) -> None:
    """Refuse the same objection twice (same item, same text, same person who raised it), naming the
    first: a form sent twice must not make two objections to resolve."""
    first = s.scalars(
        select(PayoutObjectionRow)
        .where(
            PayoutObjectionRow.item_id == item_id,
            PayoutObjectionRow.text == text,
            PayoutObjectionRow.raised_by == raised_by,
        )
        .order_by(PayoutObjectionRow.id)
    ).first()
    if first is None:
        return
    who = s.get(UserRow, first.recorded_by)
    by = who.username if who is not None else f"#{first.recorded_by}"
    state = f"已处理为{RESOLUTIONS.get(first.resolution, first.resolution)}" if first.resolution else "待处理"
    en = f"resolved as {first.resolution}" if first.resolution else "open"
    raise WrongStep(
        f"同一异议已登记为异议 #{first.id} ({by}, {beijing_text(first.created_at)}, {state}), "
        f"不重复登记 (the same objection is already recorded as #{first.id}, {en}); "
        "如有新的情况请补充不同的内容 (if there is something new, write it in the text)"
    )


def nothing_to_pay(run_id: str, rows: int, paid: int, withdrawn: int) -> WrongStep:
    """The refusal of a batch none of whose *rows* awards is payable: *paid* already paid, *withdrawn*
    withdrawn by an upheld objection of an earlier batch."""
    return WrongStep(
        f"本次测算没有待兑现的奖励: 运行 {run_id} 的 {rows} 项奖励中, 此前已兑现 {paid} 项, "
        f"已撤回 {withdrawn} 项, 无需生成兑现批次 (nothing to pay: the run's awards {rows}, "
        f"paid before {paid}, withdrawn {withdrawn}). 新的奖励请在之后的测算 (新的基准日或考核年度) "
        "中生成批次; 须重新支付的奖励请先在支付台账中冲正, 再生成批次 (build a batch from a later run; "
        "to pay an award again, reverse its ledger entry first, then build the batch)"
    )


DATA_ACK = "acknowledge_data_changes"
"""The API field (form checkbox, CLI ``--acknowledge-data-changes``) acknowledging imports since the run."""


def imports_text(imports: tuple[DataImport, ...]) -> str:
    """``file (kind, 2025-04-02 10:00 北京时间, 120 行); …``: the imports a run did not read."""
    return "; ".join(
        f"{i.file_name or i.batch_id} ({i.kind}, {beijing_text(i.finished_at) if i.finished_at else '—'} "
        f"北京时间, {i.rows} 行 rows)"
        for i in imports
    )


def data_changed(
    step_zh: str, step_en: str, run_id: str, imports: tuple[DataImport, ...], acknowledged: bool
) -> dict[str, object]:
    """What a step records of the data imported since the batch's run (*imports*): nothing when
    none; else, unless *acknowledged*, a :class:`StepRefused` saying what changed and what to do
    (QA: finance data imported after the run went unmentioned, and a stale amount was paid)."""
    if not imports:
        return {}
    listed = [i.as_dict() for i in imports]
    if acknowledged:
        return {"imports_after_run": listed, DATA_ACK: True}
    raise StepRefused(
        f"本批次的测算运行 {run_id} 之后又导入了 {len(imports)} 批数据, 金额可能已过时, 不能直接{step_zh}: "
        f"{imports_text(imports)} (data was imported after the run: the amounts may be stale; cannot "
        f"{step_en} without acknowledging it). 请重新测算, 作废本批次并由新的运行生成批次; 或核对后确认"
        f"已知悉数据变更再{step_zh} (网页勾选 '已知悉数据变更', 接口 {DATA_ACK}: true, 命令行 "
        "--acknowledge-data-changes) / re-run the policies and build a new batch, or acknowledge the changes",
        detail={"run_id": run_id, "imports_after_run": listed},
    )


def older_run(run_id: str, newer: tuple[NewerRun, ...], reason: str) -> dict[str, object]:
    """What building a batch from an older run records: nothing when no newer run of the period
    exists; else, without a *reason*, a :class:`StepRefused` naming the newest run (QA: a batch was
    built from an older run after a newer one had found some of its firms ineligible)."""
    if not newer:
        return {}
    runs = [{"run_id": n.run_id, "as_of": n.as_of.isoformat(), "differs": n.differs} for n in newer]
    if reason.strip():
        return {"newer_runs": runs, "older_run_reason": reason.strip()}
    latest = newer[0]
    differs = (
        f"其中 {latest.differs} 项奖励在新运行中已不符合或金额不同 ({latest.differs} of its awards are no "
        "longer eligible, or at another amount, in the newer run); "
        if latest.differs
        else ""
    )
    raise StepRefused(
        f"运行 {run_id} 不是本年度最新的测算: 之后还有运行 {latest.run_id} (基准日 {latest.as_of}); {differs}"
        f"请由最新运行 {latest.run_id} 生成批次, 或说明使用旧运行的原因 (a newer run of the period exists, "
        f"{latest.run_id}: build the batch from it, or give the reason for using the older run: "
        "API older_run_reason, CLI --older-run-reason)",
        detail={"run_id": run_id, "newer_runs": runs},
    )
