"""When a run may count: its period over by the as-of date, the as-of date not after today, and
why a firm has no result for a period. The CLI, the web and the 兑现 service share these, so
each says the same thing in the same words (Chinese first, then English)."""

from __future__ import annotations

import datetime as dt

from zonebrain.core.clock import beijing_today
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse


def provisional(as_of: dt.date, period: int) -> bool:
    """The period had not ended on the as-of date: its data are incomplete, its results provisional.

    >>> provisional(dt.date(2026, 11, 30), 2026), provisional(dt.date(2027, 1, 1), 2026)
    (True, False)
    """
    return as_of <= dt.date(period, 12, 31)


def provisional_text(as_of: dt.date, period: int) -> str:
    """The warning for a provisional run, as the CLI, the run page and the coverage page show it."""
    return (
        f"{period} 年度在基准日 {as_of} 尚未结束, 结果为暂定, 不宜据此兑现 (the period {period} had "
        f"not ended on the as-of date {as_of}: the results are provisional and cannot be paid)"
    )


def not_future(day: dt.date, today: dt.date | None = None) -> dt.date:
    """*day* if it is not after today (Beijing): a 认定 or an event in the future is a typing slip."""
    today = today or beijing_today()
    if day > today:
        raise InputError(
            f"日期 {day} 晚于今天 ({today}, 北京时间), 请填写已发生的日期 (a date after today: give one that has passed)"
        )
    return day


def check_as_of(as_of: dt.date, today: dt.date | None = None) -> dt.date:
    """*as_of* if a run on it may be recorded: not after today (Beijing), for a recorded run
    becomes the latest one every page and command defaults to."""
    today = today or beijing_today()
    if as_of > today:
        raise InputError(
            f"基准日 {as_of} 晚于今天 ({today}, 北京时间), 不能记录测算; 请改用今天或更早的日期 "
            "(the as-of date is after today: a run is recorded only for today or earlier)"
        )
    return as_of


def absent_reason(wh: Warehouse, uscc: str, period: int) -> str:
    """Why *uscc* has no result for *period*: unknown to the warehouse, or registered after the
    period (such firms are not assessed for it), or else no data for it."""
    ent = wh.table("enterprises")
    found = wh.to_arrow(ent.filter(ent.uscc == uscc).select("registered_on").limit(1)).to_pylist()
    if not found:
        return f"仓库中没有企业 {uscc} (no such enterprise in the warehouse)"
    return registered_after_text(found[0]["registered_on"], period) or (
        f"企业 {uscc} 没有 {period} 年度的测算结果 (no result for the enterprise in {period})"
    )


def registered_after_text(registered_on: object, period: int) -> str | None:
    """Why a firm registered after *period* has no result for it; None when it was registered by
    the period's end or its date is unknown (the engine assesses it then)."""
    if not isinstance(registered_on, dt.date) or registered_on <= dt.date(period, 12, 31):
        return None
    return (
        f"该企业于 {registered_on} 登记, 晚于 {period} 年度, 不参与该年度测算 "
        f"(registered on {registered_on}, after the period {period}: not assessed for it)"
    )
