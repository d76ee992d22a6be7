"""Drill-down: which enterprises made a park's (or the whole zone's) indicator change (贡献度).

change = YTD(month, year) − YTD(month, year − 1) for the park; each enterprise's contribution is
its own YTD difference, in integers (fen or counts), so the contributions add up to the park's
change exactly. Enterprises are attributed to the park they are registered in today.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from zonebrain.core.errors import InputError
from zonebrain.kpi._catalogue import Catalogue, load_catalogue
from zonebrain.kpi._monitor import ZONE_ID, suspect_values
from zonebrain.kpi._scope import check_park
from zonebrain.kpi._series import enterprise_window
from zonebrain.storage import Warehouse

CONTRIBUTION_SCHEMA = pa.schema(
    [
        ("rank", pa.int32()),
        ("uscc", pa.string()),
        ("name", pa.string()),
        ("ytd", pa.int64()),
        ("ytd_prev", pa.int64()),
        ("change", pa.int64()),
        ("share", pa.float64()),
    ]
)

OTHERS = "其他企业 (others)"


def contributions(
    wh: Warehouse,
    park_id: str,
    indicator: str,
    year: int,
    month: int,
    *,
    top: int | None = None,
    catalogue: Catalogue | None = None,
    exclude_suspect: bool = False,
) -> pa.Table:
    """Per-enterprise contributions to the park's change, largest |change| first (ties by USCC).

    *park_id* ``_zone`` (``ZONE_ID``, as in :func:`monitor`) is the whole zone: every enterprise.
    ``share`` is change / the park's change (None when the park did not change). With *top*, the
    rest are folded into one ``uscc=None`` row named 其他企业, so the column still adds up exactly.
    With *exclude_suspect*, values flagged as likely unit errors are left out (as in ``monitor``).
    An unknown *park_id* is an :class:`InputError` naming the valid parks.
    """
    cat = catalogue or load_catalogue()
    ind = cat.get(indicator)
    check_park(wh, park_id)
    if not ind.enterprise_level:
        raise InputError(
            f"{ind.name_zh} 是园区报送的汇总数, 没有企业明细 (imported park-level values have no enterprise detail)"
        )
    if ind.frequency == "yearly" and month != 12:
        raise InputError(f"{ind.name_zh} 只有年度数据, 请用 12 月 (a yearly indicator: use month 12)")
    exclude = suspect_values(wh, year, month, cat) if exclude_suspect else None
    rows = wh.to_arrow(
        enterprise_window(wh, ind, None if park_id == ZONE_ID else park_id, year, month, exclude)
    ).to_pylist()
    cur: dict[str, int] = {}
    prev: dict[str, int] = {}
    for r in rows:
        (cur if r["year"] == year else prev)[r["uscc"]] = int(r["value"])
    firms = sorted(set(cur) | set(prev))
    ent = wh.table("enterprises")
    names = (
        {
            r["uscc"]: r["name"]
            for r in wh.to_arrow(ent.filter(ent.uscc.isin(firms)).select("uscc", "name")).to_pylist()
        }
        if firms
        else {}
    )
    items = [(u, cur.get(u, 0), prev.get(u, 0)) for u in firms]
    items.sort(key=lambda x: (-abs(x[1] - x[2]), x[0]))
    total = sum(c - p for _, c, p in items)
    out: list[dict[str, Any]] = []
    shown = items if top is None else items[:top]
    for i, (u, c, p) in enumerate(shown, start=1):
        out.append({"rank": i, "uscc": u, "name": names.get(u), "ytd": c, "ytd_prev": p, "change": c - p})
    rest = items[len(shown) :]
    if rest:
        c, p = sum(x[1] for x in rest), sum(x[2] for x in rest)
        out.append(
            {
                "rank": None,
                "uscc": None,
                "name": f"{OTHERS} ×{len(rest)}",
                "ytd": c,
                "ytd_prev": p,
                "change": c - p,
            }
        )
    for r in out:
        r["share"] = r["change"] / total if total else None
    return pa.Table.from_pylist(out, schema=CONTRIBUTION_SCHEMA)
