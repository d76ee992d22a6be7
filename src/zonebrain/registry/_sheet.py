"""Reading the small sheets that app-store imports take (projects, leads, resources, demands).

Their columns are matched loosely (case, spaces and brackets ignored) and their dates may be
written the ways officers write them in Excel. The registry's own imports use ``_headers`` and
``_validate``, which also read units from headers and work column-wise.

>>> match_headers(["企业名称", "统一社会信用代码（USCC）"], {"name": ("企业名称",), "uscc": ("统一社会信用代码(USCC)",)})
{'企业名称': 'name', '统一社会信用代码（USCC）': 'uscc'}
>>> parse_datetime("2026/6/30")
datetime.datetime(2026, 6, 30, 0, 0)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from zonebrain.core.errors import InputError

_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y%m%d")


def loose_header(text: str) -> str:
    """*text* without spaces or brackets (half or full width), case-folded."""
    return re.sub(r"[\s（）()]+", "", text).casefold()


def match_headers(headers: Iterable[str], names: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """File header → field, for *names* (field → the headers it accepts, in order of precedence).

    A field is matched once: the first file header that names it wins.
    """
    known = {loose_header(name): field for field, accepted in names.items() for name in accepted}
    out: dict[str, str] = {}
    for h in headers:
        f = known.get(loose_header(h))
        if f and f not in out.values():
            out[h] = f
    return out


def parse_datetime(text: str) -> dt.datetime:
    """A date (optionally with a time) written 2026-06-30, 2026/6/30, 2026.6.30 or 20260630."""
    t = text.strip().replace("/", "-").replace(".", "-")
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(t, fmt)
        except ValueError:
            continue
    raise InputError("日期无效 (not a valid date); 请写成 2026-06-30 / write it as 2026-06-30")
