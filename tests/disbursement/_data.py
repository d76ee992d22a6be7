"""A four-firm zone for the 兑现 tests (period 2024, as of 2025-03-31), with names and real-looking USCCs.

* A  certified 2024, sales 2023 = 1200万 → high-tech award 30万 (one-time: ledger period ``once``)
* B  R&D 2024 = 600万 → R&D award 2% = 12万 (yearly: ledger period ``2024``)
* C  no tax data for 2024 → 待核实 (asks for tax_fen[2024])
* D  certified 2024, sales 2023 = 200万 (含) → 20万 (the firm that gets an objection)
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from zonebrain.core.uscc import USCC
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 3, 31)
A, B, C, D = (
    USCC.build("9", "1", "410100", body).code for body in ("MA44TF5G", "MA45AB1C", "MA46CD2E", "MA47EF3H")
)
NAMES = {
    A: "郑州甲芯科技有限公司",
    B: "郑州乙研智能有限公司",
    C: "郑州丙材新材料有限公司",
    D: "郑州丁生物科技有限公司",
}
WAN = 1_000_000  # fen per 万元

_YEARS = {
    # uscc: {year: (revenue 万, tax 万 or None, rd 万 or None)}
    A: {2022: (500, 5, None), 2023: (1200, 10, None), 2024: (1500, 20, 100)},
    B: {2022: (500, 5, None), 2023: (900, 10, None), 2024: (950, 20, 600)},
    C: {2022: (500, 5, None), 2023: (900, 10, None), 2024: (1100, None, 100)},
    D: {2022: (100, 5, None), 2023: (200, 10, None), 2024: (900, 20, 100)},
}


def build(wh: Warehouse) -> None:
    """Write the four firms into a migrated warehouse."""
    ids = list(NAMES)
    ent = pa.table(
        {
            "uscc": ids,
            "name": [NAMES[u] for u in ids],
            "park_id": ["wutong", "shifo", "wutong", "shifo"],
            "division_code": ["410172561", "410172160", "410172561", "410172160"],
            "status": ["存续"] * 4,
        }
    )
    rows = [(u, y, *vals) for u, years in _YEARS.items() for y, vals in years.items()]

    def fen(v: int | None) -> int | None:
        return None if v is None else v * WAN

    years = pa.table(
        {
            "uscc": [r[0] for r in rows],
            "year": pa.array([r[1] for r in rows], pa.int32()),
            "revenue_fen": pa.array([fen(r[2]) for r in rows], pa.int64()),
            "tax_fen": pa.array([fen(r[3]) for r in rows], pa.int64()),
            "rd_expense_fen": pa.array([fen(r[4]) for r in rows], pa.int64()),
            "insured_employees": pa.array([9] * len(rows), pa.int64()),
        }
    )
    events = pa.table(
        {
            "uscc": [A, C, D],
            "kind": ["高新技术企业首次认定"] * 3,
            "date": pa.array([dt.date(2024, 9, 1)] * 3, pa.date32()),
            "detail": pa.array([None] * 3, pa.string()),
        }
    )
    with wh.transaction():
        wh.append("enterprises", ent)
        wh.append("enterprise_years", years)
        wh.append("events", events)
