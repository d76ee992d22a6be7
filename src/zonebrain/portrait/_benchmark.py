"""对标 / benchmarking the zone against peer regions of the reference registry.

Peers are prefecture (``410100``) or province (``410000``) codes; their firms come from
``reference_enterprises``, the zone's from its own registry. Every indicator is a ratio of exact
counts or sums, computed in Python from engine aggregates (identical on every engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.chains import ChainSet, load_chains
from zonebrain.core.errors import CodeError, InputError
from zonebrain.portrait._facts import active_firms, firm_facts, share
from zonebrain.portrait._summary import latest_year
from zonebrain.storage import Warehouse

HIGH_TECH: Final = "高新技术企业"
SPECIALISED: Final = "专精特新"
RECENT_YEARS: Final = 5

INDICATORS: Final = {
    "firms": "企业数 (家)",
    "chain_firms": "链上企业数 (家)",
    "chain_share": "链上企业占比",
    "revenue_per_firm": "户均营收 (万元)",
    "employees_per_firm": "户均从业人员 (人)",
    "high_tech_share": "高新技术企业占比",
    "specialised_share": "专精特新企业占比",
    "new_firm_share": "近五年新设企业占比",
}
"""Indicator → Chinese label (the radar chart's axes and the table's headers)."""


@dataclass
class Benchmark:
    year: int | None
    table: pa.Table
    """region_code, region_name, and one column per :data:`INDICATORS` (revenue_per_firm in fen)."""
    radar: pa.Table
    """region_code, region_name, and every indicator except ``firms`` scaled to 0–100 (max = 100)."""


def _region_name(code: str) -> str:
    from zonebrain.core.divisions import divisions

    try:
        return divisions().get(code).name
    except CodeError:  # a code the registry does not know keeps its code as its name
        return code


def _ref_region(ref: ir.Table, code: str) -> ir.Table:
    if len(code) != 6 or not code.isdigit():
        raise InputError(
            f"对标地区须为 6 位行政区划代码 (如 410100 或 410000) / peer must be a 6-digit code: '{code}'"
        )
    if code.endswith("0000"):
        return ref.filter(ref.province_code == code)
    return ref.filter(ref.prefecture_code == code)


def benchmark(
    wh: Warehouse,
    peers: Sequence[str],
    *,
    chains: ChainSet | None = None,
    park: str | None = None,
    zone_name: str = "本园区",
) -> Benchmark:
    """The zone (or *park*) and each peer region on the same indicators (see docs/portrait.md)."""
    chains = chains or load_chains()
    year = latest_year(wh)
    recent_from = dt.date((year or dt.date.today().year) - RECENT_YEARS + 1, 1, 1)
    classes = sorted({code for c in chains for n in c.nodes for code in n.classes})

    rows = [_zone_row(wh, park, year, recent_from, zone_name, classes)]
    ref = wh.table("reference_enterprises")
    for code in peers:
        r = _ref_region(ref, code)
        tags = r.tags.fill_null("")
        agg = wh.to_arrow(
            r.aggregate(
                firms=r.uscc.count(),
                chain_firms=r.uscc.count(where=r.industry_code.isin(classes or ["----"])),
                revenue_fen=r.revenue_fen.sum().fill_null(0).cast("int64"),
                revenue_firms=r.revenue_fen.count(),
                employees=r.employees.sum().fill_null(0).cast("int64"),
                high_tech=r.uscc.count(where=tags.contains(HIGH_TECH)),
                specialised=r.uscc.count(where=tags.contains(SPECIALISED)),
                new_firms=r.uscc.count(where=(r.registered_on >= recent_from).fill_null(False)),
            )
        ).to_pylist()[0]
        if not agg["firms"] and _region_name(code) == code:  # a known region without firms keeps its row
            raise _unknown_peer(code)
        rows.append(_indicators(code, _region_name(code), {k: int(v or 0) for k, v in agg.items()}))
    table = pa.Table.from_pylist(rows, schema=TABLE_SCHEMA)
    return Benchmark(year=year, table=table, radar=_radar(table))


def _unknown_peer(code: str) -> InputError:
    return InputError(
        f"未知对标地区代码 '{code}': 行政区划代码表与参考企业库中都没有 / unknown peer region code "
        f"'{code}' (neither a known division nor in reference_enterprises); 请用地级市 (如 410100 郑州市) "
        "或省级 (如 410000 河南省) 代码 / use a prefecture or province code"
    )


def _zone_row(
    wh: Warehouse, park: str | None, year: int | None, recent_from: dt.date, name: str, classes: list[str]
) -> dict[str, object]:
    facts = firm_facts(wh, year, park)
    agg = wh.to_arrow(
        facts.aggregate(
            firms=facts.uscc.count(),
            chain_firms=facts.uscc.count(where=facts.industry_code.isin(classes or ["----"])),
            revenue_fen=facts.revenue_fen.sum().fill_null(0).cast("int64"),
            revenue_firms=facts.revenue_fen.count(),
            employees=facts.employees.sum().fill_null(0).cast("int64"),
            new_firms=facts.uscc.count(where=(facts.registered_on >= recent_from).fill_null(False)),
        )
    ).to_pylist()[0]
    firms = active_firms(wh, park).select("uscc")
    day = dt.date(year, 12, 31) if year else dt.date.today()
    t = wh.table("enterprise_tags")
    t = t.filter((t.since.isnull() | (t.since <= day)) & (t.until.isnull() | (t.until >= day)))
    tagged = firms.join(t, "uscc")
    counts = wh.to_arrow(
        tagged.aggregate(
            high_tech=tagged.uscc.nunique(where=tagged.tag.contains(HIGH_TECH)),
            specialised=tagged.uscc.nunique(where=tagged.tag.contains(SPECIALISED)),
        )
    ).to_pylist()[0]
    values = {k: int(v or 0) for k, v in {**agg, **counts}.items()}
    return _indicators("zone" if park is None else park, name, values)


def _indicators(code: str, name: str, v: dict[str, int]) -> dict[str, object]:
    return {
        "region_code": code,
        "region_name": name,
        "firms": v["firms"],
        "chain_firms": v["chain_firms"],
        "chain_share": share(v["chain_firms"], v["firms"]),
        "revenue_per_firm": share(v["revenue_fen"], v["revenue_firms"]),
        "employees_per_firm": share(v["employees"], v["firms"]),
        "high_tech_share": share(v["high_tech"], v["firms"]),
        "specialised_share": share(v["specialised"], v["firms"]),
        "new_firm_share": share(v["new_firms"], v["firms"]),
    }


TABLE_SCHEMA: Final = pa.schema(
    [
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("firms", pa.int64()),
        ("chain_firms", pa.int64()),
        *[(k, pa.float64()) for k in list(INDICATORS)[2:]],
    ]
)


def _radar(table: pa.Table) -> pa.Table:
    """Each indicator (but the firm count) scaled so the best region is 100."""
    out: dict[str, list[object]] = {
        "region_code": table["region_code"].to_pylist(),
        "region_name": table["region_name"].to_pylist(),
    }
    for k in list(INDICATORS)[1:]:
        values = [float(x) if x is not None else 0.0 for x in table[k].to_pylist()]
        top = max(values, default=0.0)
        out[k] = [100.0 * x / top if top > 0 else 0.0 for x in values]
    return pa.table(out)
