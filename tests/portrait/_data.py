"""A tiny, hand-checkable zone for the portrait tests (and the conformance suite).

Two parks, 12 firms (one closed), three years of figures, tags, events, a reference registry of
three cities and the city × class panel derived from it. Chain memberships are written directly
(``MEMBERSHIPS``) so the diagnosis can be checked by hand; the conformance suite also runs the
classifier on the same scopes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from tests.registry.conftest import code
from zonebrain.storage import TABLES, Warehouse

LOADED = dt.datetime(2025, 1, 1, 8, 0, 0)
_ARROW = {
    "string": pa.string(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
    "float64": pa.float64(),
}

SENSOR = "MEMS压力传感器的研发、生产和销售"
GAS = "气体传感器、气敏元件的研发与生产"
CYBER = "网络安全软件开发；信息安全技术服务；防火墙设备销售"
DIAMOND = "人造金刚石单晶的生产与销售"
FOOD = "餐饮服务；预包装食品销售"

# uscc index, park, industry code, scope, registered_on, status
FIRMS: list[tuple[int, str, str, str, dt.date, str]] = [
    (1, "alpha", "3983", SENSOR, dt.date(2015, 3, 1), "存续"),
    (2, "alpha", "3983", SENSOR, dt.date(2018, 5, 1), "存续"),
    (3, "beta", "3983", SENSOR, dt.date(2021, 6, 1), "在业"),
    (4, "alpha", "3983", GAS, dt.date(2022, 1, 9), "存续"),
    (5, "beta", "6513", CYBER, dt.date(2019, 2, 2), "存续"),
    (6, "beta", "6513", CYBER, dt.date(2023, 7, 7), "存续"),
    (7, "alpha", "3099", DIAMOND, dt.date(2010, 1, 1), "存续"),
    (8, "alpha", "6210", FOOD, dt.date(2020, 8, 8), "存续"),
    (9, "beta", "6210", FOOD, dt.date(2023, 3, 3), "存续"),
    (10, "beta", "5176", "计算机软硬件销售", dt.date(2012, 12, 12), "存续"),
    (11, "alpha", "3983", SENSOR, dt.date(2016, 4, 4), "注销"),
    (12, "beta", "7259", "企业管理咨询", dt.date(2024, 2, 2), "存续"),
]

# uscc index → (revenue 2022, 2023, 2024) in fen; other measures derived
REVENUE: dict[int, tuple[int | None, int | None, int | None]] = {
    1: (100_000_000, 150_000_000, 200_000_000),
    2: (50_000_000, 60_000_000, 80_000_000),
    3: (None, 20_000_000, 45_000_000_00),
    4: (None, 5_000_000, 7_000_000),
    5: (30_000_000, 40_000_000, 50_000_000),
    6: (None, 1_000_000, 3_000_000),
    7: (900_000_000, 950_000_000, 1_000_000_000),
    8: (2_000_000, 2_500_000, 3_000_000),
    9: (None, 1_000_000, None),
    10: (10_000_000, 9_000_000, 8_000_000),
    11: (40_000_000, 30_000_000, None),
    12: (None, None, 500_000),
}

# (uscc index, chain, node): the memberships the diagnosis tests use
MEMBERSHIPS: list[tuple[int, str, str]] = [
    (1, "intelligent-sensors", "force-pressure-sensors"),
    (2, "intelligent-sensors", "force-pressure-sensors"),
    (3, "intelligent-sensors", "force-pressure-sensors"),
    (3, "intelligent-sensors", "mems-fabrication"),
    (4, "intelligent-sensors", "gas-sensors"),
    (5, "cybersecurity", "security-software"),
    (6, "cybersecurity", "security-software"),
    (7, "superhard-materials", "synthetic-diamond"),
    (11, "intelligent-sensors", "force-pressure-sensors"),
]

# reference firms: (prefecture, industry code, revenue fen, employees, tags, registered_on) × count
REFERENCE: list[tuple[str, str, int | None, int, str | None, dt.date, int]] = [
    ("410100", "3983", 10_000_000, 20, "高新技术企业", dt.date(2021, 1, 1), 2),
    ("410100", "6513", 5_000_000, 10, None, dt.date(2015, 1, 1), 4),
    ("410100", "3099", 50_000_000, 100, "专精特新中小企业;高新技术企业", dt.date(2010, 1, 1), 1),
    ("410100", "6210", 1_000_000, 5, None, dt.date(2022, 1, 1), 13),
    ("410300", "3983", 20_000_000, 30, None, dt.date(2020, 6, 1), 3),
    ("410300", "3976", 8_000_000, 12, "高新技术企业", dt.date(2019, 6, 1), 2),
    ("410300", "6210", None, 3, None, dt.date(2023, 6, 1), 5),
    ("420100", "6513", 7_000_000, 15, "高新技术企业", dt.date(2024, 1, 1), 6),
    ("420100", "3099", 30_000_000, 80, None, dt.date(2005, 1, 1), 2),
    ("420100", "5176", 2_000_000, 4, None, dt.date(2018, 1, 1), 4),
]


def uscc(i: int) -> str:
    return code(i)


def _table(name: str, rows: list[dict[str, Any]], provenance: bool = True) -> pa.Table:
    spec = TABLES[name]
    full = []
    for r in rows:
        row = dict.fromkeys(spec.column_names)
        row.update(r)
        if provenance and "source" in row:
            row.update(source="test", batch_id="b1", loaded_at=LOADED)
        full.append(row)
    schema = pa.schema([(c, _ARROW[t]) for c, t in spec.columns])
    return pa.Table.from_pylist(full, schema=schema)


def sample_tables(memberships: bool = True) -> dict[str, pa.Table]:
    parks = [
        {"park_id": "alpha", "name_zh": "甲园街道", "name_en": "Alpha", "short_name": "甲园",
         "division_code": "410172561", "is_park": True, "zone_code": "410172"},
        {"park_id": "beta", "name_zh": "乙园镇", "name_en": "Beta", "short_name": "乙园",
         "division_code": "410172160", "is_park": True, "zone_code": "410172"},
    ]  # fmt: skip
    ent = [
        {"uscc": uscc(i), "name": f"测试{i}号有限公司", "park_id": park, "division_code": "410172",
         "industry_code": ind, "registered_on": reg, "status": status, "business_scope": scope}
        for i, park, ind, scope, reg, status in FIRMS
    ]  # fmt: skip
    years = []
    for i, revs in REVENUE.items():
        for year, rev in zip((2022, 2023, 2024), revs, strict=True):
            if rev is None:
                continue
            years.append(
                {"uscc": uscc(i), "year": year, "revenue_fen": rev, "output_fen": rev // 2 if i < 8 else None,
                 "tax_fen": rev // 20, "rd_expense_fen": rev // 10 if i < 8 else 0, "employees": 10 + i}
            )  # fmt: skip
    tags = [
        {"uscc": uscc(1), "tag": "高新技术企业", "since": dt.date(2020, 1, 1), "until": None},
        {"uscc": uscc(1), "tag": "链主企业", "since": dt.date(2023, 1, 1), "until": None},
        {
            "uscc": uscc(5),
            "tag": "高新技术企业",
            "since": dt.date(2021, 1, 1),
            "until": dt.date(2023, 12, 31),
        },
        {"uscc": uscc(7), "tag": "专精特新中小企业", "since": dt.date(2022, 1, 1), "until": None},
        {"uscc": uscc(7), "tag": "高新技术企业", "since": dt.date(2022, 1, 1), "until": None},
        {"uscc": uscc(11), "tag": "高新技术企业", "since": dt.date(2019, 1, 1), "until": None},
    ]
    events = [
        {"uscc": uscc(10), "kind": "迁入", "date": dt.date(2023, 5, 1), "detail": "迁入"},
        {"uscc": uscc(11), "kind": "注销", "date": dt.date(2024, 6, 1), "detail": "注销"},
        {"uscc": uscc(2), "kind": "行政处罚", "date": dt.date(2024, 6, 1), "detail": "罚款"},
    ]
    ref, n = [], 1000
    for pref, ind, rev, emp, tag, reg, count in REFERENCE:
        for _ in range(count):
            n += 1
            ref.append(
                {"uscc": code(n, pref), "name": f"参考{n}", "division_code": pref,
                 "province_code": pref[:2] + "0000", "prefecture_code": pref, "industry_code": ind,
                 "revenue_fen": rev, "employees": emp, "tags": tag, "registered_on": reg}
            )  # fmt: skip
    panel: dict[tuple[str, str, str], int] = {}
    for r in ref:
        for measure, value in (
            ("firms", 1),
            ("revenue_fen", r["revenue_fen"] or 0),
            ("employees", r["employees"]),
        ):
            k = (r["prefecture_code"], r["industry_code"], measure)
            panel[k] = panel.get(k, 0) + value
    activity = [
        {"region_code": reg, "activity_code": ind, "year": 2024, "measure": m, "value": v}
        for (reg, ind, m), v in sorted(panel.items())
    ]
    out = {
        "parks": _table("parks", parks, provenance=False),
        "enterprises": _table("enterprises", ent),
        "enterprise_years": _table("enterprise_years", years),
        "enterprise_tags": _table("enterprise_tags", tags),
        "events": _table("events", events),
        "reference_enterprises": _table("reference_enterprises", ref),
        "region_activity": _table("region_activity", activity),
    }
    if memberships:
        out["enterprise_chain_nodes"] = _table(
            "enterprise_chain_nodes",
            [
                {"uscc": uscc(i), "chain_id": c, "node_id": n_, "confidence": 1.0, "method": "test", "reason": "",
                 "run_id": "r0", "classified_at": LOADED}
                for i, c, n_ in MEMBERSHIPS
            ],
            provenance=False,
        )  # fmt: skip
    return out


def load_sample(wh: Warehouse, memberships: bool = True) -> Warehouse:
    """Write the sample zone into a migrated warehouse (one transaction)."""
    with wh.transaction():
        for name, table in sample_tables(memberships).items():
            wh.replace(name, table)
    return wh
