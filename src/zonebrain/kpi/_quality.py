"""Data quality of the monthly enterprise panel: who has not reported, missing months, unit slips.

Flagged values are listed for the officer to check; they are not corrected silently.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections import defaultdict
from statistics import median
from typing import Any

import pyarrow as pa

from zonebrain.kpi._catalogue import Catalogue, load_catalogue
from zonebrain.storage import Warehouse

GONE = ("注销", "吊销", "迁出")
JUMP_COLUMNS = ("revenue_fen", "output_fen", "tax_fen")
MIN_POINTS = 4
"""A firm needs at least this many positive months before a jump is judged."""

QUALITY_SCHEMA = pa.schema(
    [
        ("issue", pa.string()),
        ("uscc", pa.string()),
        ("name", pa.string()),
        ("park_id", pa.string()),
        ("month", pa.date32()),
        ("column", pa.string()),
        ("value", pa.int64()),
        ("median", pa.int64()),
        ("ratio", pa.float64()),
        ("message", pa.string()),
    ]
)


def _shift(year: int, month: int, back: int) -> dt.date:
    k = year * 12 + month - 1 - back
    return dt.date(k // 12, k % 12 + 1, 1)


def data_quality(wh: Warehouse, year: int, month: int, *, catalogue: Catalogue | None = None) -> pa.Table:
    """Issues at *month*: ``not_reported`` (an active 规上/限上 firm without a row this month),
    ``missing_month`` (a month missing between the firm's first report this year and this month),
    ``unit_jump`` (a value this year ≥ ``jump_ratio``× the firm's median of the last 24 months, or
    ≤ 1/``jump_ratio`` of it: likely 万元 entered as 元 or the reverse)."""
    cat = catalogue or load_catalogue()
    start = dt.date(year, month, 1)
    end = dt.date(year, month, _cal.monthrange(year, month)[1])
    ent = wh.table("enterprises")
    tags = wh.table("enterprise_tags")
    months = wh.table("enterprise_months")
    scale = (
        tags.filter(
            tags.tag.isin(cat.scale_tags)
            & (tags.since.isnull() | (tags.since <= end))
            & (tags.until.isnull() | (tags.until >= end))
        )
        .select("uscc")
        .distinct()
    )
    active = ent.filter(
        (ent.status.isnull() | ~ent.status.isin(list(GONE)))
        & (ent.registered_on.isnull() | (ent.registered_on <= end))
    )
    reported = months.filter(months.month == start).select(r_uscc=months.uscc)
    expected = active.join(scale, "uscc").select(active.uscc, active.name, active.park_id)
    missing = expected.anti_join(reported, expected.uscc == reported.r_uscc)
    out: list[dict[str, Any]] = []
    for r in wh.to_arrow(missing.order_by("uscc")).to_pylist():
        out.append(
            {
                "issue": "not_reported",
                **r,
                "month": start,
                "message": f"{r['name']} 为规上/限上企业, {year}年{month}月未报送月度数据 (no monthly report)",
            }
        )
    window = months.filter((months.month >= _shift(year, month, 23)) & (months.month <= start))
    panel = window.join(ent.select(e_uscc="uscc", name="name", park_id="park_id"), window.uscc == ent.uscc)
    panel = panel.select("uscc", "name", "park_id", "month", *JUMP_COLUMNS)
    rows = wh.to_arrow(panel.order_by(["uscc", "month"])).to_pylist()
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_firm[str(r["uscc"])].append(r)
    ratio = cat.jump_ratio
    for uscc, recs in by_firm.items():
        this_year = sorted(r["month"] for r in recs if r["month"].year == year)
        if this_year:
            have = set(this_year)
            first = this_year[0]
            for m in range(first.month, month):
                d = dt.date(year, m, 1)
                if d not in have:
                    out.append(
                        {
                            "issue": "missing_month",
                            "uscc": uscc,
                            "name": recs[0]["name"],
                            "park_id": recs[0]["park_id"],
                            "month": d,
                            "message": f"{recs[0]['name']} 缺 {year}年{m}月 数据 (month missing between reports)",
                        }
                    )
        for col in JUMP_COLUMNS:
            positive = [int(r[col]) for r in recs if r[col] is not None and int(r[col]) > 0]
            if len(positive) < MIN_POINTS:
                continue
            med = median(positive)
            for r in recs:
                v = r[col]
                if v is None or r["month"].year != year or int(v) <= 0:
                    continue
                q = int(v) / med
                if q >= ratio or q * ratio <= 1:
                    out.append(
                        {
                            "issue": "unit_jump",
                            "uscc": uscc,
                            "name": r["name"],
                            "park_id": r["park_id"],
                            "month": r["month"],
                            "column": col,
                            "value": int(v),
                            "median": int(med),
                            "ratio": q,
                            "message": f"{r['name']} {r['month']:%Y-%m} {col} 为中位数的 {q:.4g} 倍, "
                            "疑似单位错误 (万元/元) (suspected unit error); 请核实后更正",
                        }
                    )
    out.sort(key=lambda x: (str(x["issue"]), str(x["uscc"]), x["month"], str(x.get("column"))))
    return pa.Table.from_pylist(out, schema=QUALITY_SCHEMA)
