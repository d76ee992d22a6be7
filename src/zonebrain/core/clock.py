"""Time as ZoneBrain stores it and as its users read it.

Every store keeps times in UTC without a time zone (the same on DuckDB, PostgreSQL, Spark and the
app store's SQLite), whatever the server's own zone; people read them in Beijing time (UTC+8, no
daylight saving), and dates that count days (the 公示期, a form's "not in the future") are Beijing
dates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from zonebrain.core.errors import InputError

BEIJING: Final = dt.timedelta(hours=8)
"""Beijing time is UTC+8 all year."""


def utcnow() -> dt.datetime:
    """Now, in UTC without a time zone (how every store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def beijing(at: dt.datetime) -> dt.datetime:
    """A stored time (naive UTC, or any aware time) in Beijing time, naive.

    >>> beijing(dt.datetime(2026, 11, 29, 20, 36))
    datetime.datetime(2026, 11, 30, 4, 36)
    >>> beijing(dt.datetime(2026, 11, 29, 20, 36, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    datetime.datetime(2026, 11, 30, 9, 36)
    """
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at + BEIJING


def from_beijing(local: dt.datetime) -> dt.datetime:
    """A Beijing time as people type it (naive) as it is stored: naive UTC; :func:`beijing` undone.

    >>> from_beijing(dt.datetime(2026, 11, 30, 4, 36))
    datetime.datetime(2026, 11, 29, 20, 36)
    """
    return local - BEIJING


def beijing_text(at: dt.datetime | None) -> str:
    """A stored time as people read it: Beijing time to the minute ("" for None).

    >>> beijing_text(dt.datetime(2026, 11, 29, 20, 36, 59))
    '2026-11-30 04:36'
    """
    return "" if at is None else f"{beijing(at):%Y-%m-%d %H:%M}"


def beijing_today() -> dt.date:
    """Today's date in Beijing, whatever the server's own time zone."""
    return beijing(dt.datetime.now(dt.UTC)).date()


def parse_day(
    text: str,
    what: str = "日期",
    earliest: dt.date = dt.date(1900, 1, 1),
    latest: dt.date = dt.date(2100, 12, 31),
) -> dt.date:
    """A date typed by a person (a CLI option, a form field), written YYYY-MM-DD, between *earliest*
    and *latest*; *what* names it in the message. A well-formed day no calendar has (``2025-02-30``)
    is said not to exist: the format was right.

    >>> parse_day(" 2025-03-31 ")
    datetime.date(2025, 3, 31)
    """
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        shown = text.strip()[:20]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise InputError(
                f"{what} '{shown}' 不存在 (no such day: {exc}); 请写成真实的日期, 如 2025-03-31 (write a real date)"
            ) from None
        raise InputError(f"{what} '{shown}' 无效 (bad date); 请写成 2025-03-31 / write YYYY-MM-DD") from None
    if not earliest <= day <= latest:
        raise InputError(
            f"{what} {day} 超出范围 (out of range {earliest} … {latest}); 请检查年份 / check the year"
        )
    return day
