"""Time as ZoneBrain stores it and as its users read it.

Every store keeps times in UTC without a time zone (the same on DuckDB, PostgreSQL, Spark and the
app store's SQLite), whatever the server's own zone; people read them in Beijing time (UTC+8, no
daylight saving), and dates that count days (the 公示期, a form's "not in the future") are Beijing
dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

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
