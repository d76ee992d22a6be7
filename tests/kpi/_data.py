"""A tiny, hand-checkable warehouse for the KPI tests (used by tests/kpi and tests/conformance).

Parks: the built-in zone. Firms (USCCs from tests.registry.conftest.code):

* 0 wutong  规上工业 since 2020, reports every month; revenue 100 万元/month in 2023, 120 in 2024
* 1 wutong  规上工业 since 2024-03 (so it counts for 规上 only from March 2024), revenue 50 → 40
* 2 shifo   no tag, revenue 30 → 60; skips 2024-03 (a missing month)
* 3 shifo   规上服务业, does not report 2024-06 (not reported); 2024-05 revenue entered in 元 as 万元
* 4 wutong  registered 2024-02, reports from 2024-02, revenue 10
* 5 shifo   gone (注销) in 2023, reported 2023 only, revenue 20
High-tech tags: 0 (2022-11-01 → 2025-10-31), 2 (2024-04-15 →), 3 (2020-01-01 → 2023-12-31).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tests.registry.conftest import code
from zonebrain.kpi import Catalogue, Rate, load_catalogue
from zonebrain.registry import load_zone
from zonebrain.storage import Warehouse

WAN = 1_000_000  # fen per 万元
LOADED = dt.datetime(2025, 1, 15, 9, 0, 0)
FIRMS = [code(i) for i in range(6)]


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[dt.date]:
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(firm: int, month: dt.date, revenue_wan: int) -> None:
        rev = revenue_wan * WAN + firm * 100  # distinct, exact fen
        rows.append(
            {
                "uscc": FIRMS[firm],
                "month": month,
                "revenue_fen": rev,
                "output_fen": rev * 2 + 3,  # the +3 fen makes the 25% rate round down
                "tax_fen": rev // 10,
                "employees": 10 + firm,
            }
        )

    for mo in _months((2023, 1), (2024, 6)):
        add(0, mo, 100 + mo.month if mo.year == 2023 else 120 + mo.month)
        add(1, mo, 50 if mo.year == 2023 else 40)
        if mo != dt.date(2024, 3, 1):
            add(2, mo, 30 if mo.year == 2023 else 60)
        if mo != dt.date(2024, 6, 1):
            add(3, mo, 200 * 10_000 if mo == dt.date(2024, 5, 1) else 200)
        if mo >= dt.date(2024, 2, 1):
            add(4, mo, 10)
        if mo.year == 2023:
            add(5, mo, 20)
    return rows


def build(wh: Warehouse) -> None:
    """Fill a migrated warehouse with the tiny zone."""
    wh.replace("parks", load_zone().parks_table())
    d = dt.date
    ent = pa.table(
        {
            "uscc": FIRMS,
            "name": [f"测试{i}号公司" for i in range(6)],
            "park_id": ["wutong", "wutong", "shifo", "shifo", "wutong", "shifo"],
            "division_code": ["410172561"] * 2 + ["410172160"] * 2 + ["410172561", "410172160"],
            "industry_code": ["3911", "3911", "6513", "6513", "6513", "5191"],
            "registered_capital_fen": pa.array([100 * WAN] * 6, pa.int64()),
            "registered_on": [
                d(2015, 1, 5),
                d(2023, 3, 9),
                d(2019, 6, 1),
                d(2018, 2, 2),
                d(2024, 2, 20),
                d(2023, 1, 3),
            ],
            "status": ["存续", "存续", "在业", "存续", "存续", "注销"],
            "business_scope": [""] * 6,
            "address": [""] * 6,
        }
    )
    tags = pa.table(
        {
            "uscc": [FIRMS[0], FIRMS[1], FIRMS[3], FIRMS[0], FIRMS[2], FIRMS[3]],
            "tag": ["规上工业", "规上工业", "规上服务业", "高新技术企业", "高新技术企业", "高新技术企业"],
            "since": [
                d(2020, 1, 1),
                d(2024, 3, 1),
                d(2021, 1, 1),
                d(2022, 11, 1),
                d(2024, 4, 15),
                d(2020, 1, 1),
            ],
            "until": [None, None, None, d(2025, 10, 31), None, d(2023, 12, 31)],
        },
        schema=pa.schema(
            [("uscc", pa.string()), ("tag", pa.string()), ("since", pa.date32()), ("until", pa.date32())]
        ),
    )
    years = pa.Table.from_pylist(
        [
            {
                "uscc": FIRMS[i],
                "year": y,
                "revenue_fen": None,
                "output_fen": None,
                "tax_fen": None,
                "rd_expense_fen": (i + 1) * (y - 2020) * WAN,
                "profit_fen": None,
                "export_fen": None,
                "employees": None,
                "insured_employees": None,
                "patents": None,
                "invention_patents": None,
            }
            for i in (0, 2)
            for y in (2023, 2024)
        ],
        schema=pa.schema(
            [("uscc", pa.string()), ("year", pa.int32())]
            + [
                (c, pa.int64())
                for c in (
                    "revenue_fen",
                    "output_fen",
                    "tax_fen",
                    "rd_expense_fen",
                    "profit_fen",
                    "export_fen",
                    "employees",
                    "insured_employees",
                    "patents",
                    "invention_patents",
                )
            ]
        ),
    )
    months = pa.Table.from_pylist(
        monthly_rows(),
        schema=pa.schema(
            [("uscc", pa.string()), ("month", pa.date32())]
            + [(c, pa.int64()) for c in ("revenue_fen", "output_fen", "tax_fen", "employees")]
        ),
    )
    targets = pa.table(
        {
            "park_id": ["wutong", "shifo", "wutong", "shifo", "wutong"],
            "indicator": ["revenue", "revenue", "tax", "tax", "fixed_asset_investment"],
            "year": pa.array([2024] * 5, pa.int32()),
            "value": pa.array([4000 * WAN, 3400 * WAN, 400 * WAN, 300 * WAN, 1000 * WAN], pa.int64()),
        }
    )
    actuals = pa.table(
        {
            "park_id": ["wutong"] * 4 + ["shifo"] * 2,
            "indicator": ["fixed_asset_investment"] * 6,
            "month": [
                d(2023, 1, 1),
                d(2023, 2, 1),
                d(2024, 1, 1),
                d(2024, 2, 1),
                d(2024, 1, 1),
                d(2024, 2, 1),
            ],
            "value": pa.array([v * WAN for v in (50, 70, 60, 90, 30, 10)], pa.int64()),
        }
    )
    with wh.transaction():
        for name, data in (
            ("enterprises", ent),
            ("enterprise_tags", tags),
            ("enterprise_years", years),
            ("enterprise_months", months),
            ("kpi_targets", targets),
            ("kpi_actuals", actuals),
        ):
            wh.merge(name, data, source="test", batch_id="b1", loaded_at=LOADED)


def with_rate(percent: str) -> Catalogue:
    """The built-in catalogue with another 工业增加值率 (*percent*, exact text such as "24.63")."""
    cat = load_catalogue()
    rate = Rate(percent=percent, source="统计局 (test)", assumption=False)  # type: ignore[arg-type]
    inds = [i.model_copy(update={"rate": rate}) if i.rate is not None else i for i in cat.indicators]
    return cat.model_copy(update={"indicators": inds})
