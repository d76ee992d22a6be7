"""A small zone in three parks for the what-if and coverage tests (period 2024, as of 2025-03-31).

=====  ========  ====  ============================================================================
uscc   name      park  facts (2024 unless said) → baseline (built-in library)
=====  ========  ====  ============================================================================
A1     甲公司    PA    R&D 800万 → R&D award 2% = 16万
A2     乙公司    PA    R&D 2000万 → 40万 (3% would be 60万, capped at 50万); sales 3500万, not first
B1     丙公司    PB    R&D 450万 → below the 500万 threshold (a 400万 threshold pays 9万)
B2     丁公司    PB    sales 900万 (2023) → 1100万: first past 1000万 → 10万
C1     戊公司    —     no tax data → 待核实: R&D award (600万) and the 1000万 breakthrough
D1     己公司    PB    no tax and no R&D data → R&D award 待核实 naming both
E1     庚公司    PA    only 2024 on record, sales 1500万 → 1000万 breakthrough 待核实 (no earlier year)
=====  ========  ====  ============================================================================

Baseline cost: 16万 + 40万 + 10万 = 66万 (6,600,000 元 … 66,000,000 fen).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from zonebrain.policy import load_firms
from zonebrain.storage import Warehouse

IDS = ["A1", "A2", "B1", "B2", "C1", "D1", "E1"]
NAMES = ["甲公司", "乙公司", "丙公司", "丁公司", "戊公司", "己公司", "庚公司"]
PARKS = ["PA", "PA", "PB", "PB", None, "PB", "PA"]
PARK_NAMES = {"PA": "甲园区", "PB": "乙园区"}


def _year(revenue: str, rd: str | None = "100万", tax: str | None = "20万") -> dict[str, Any]:
    return {"revenue_fen": revenue, "tax_fen": tax, "rd_expense_fen": rd, "insured_employees": 9}


def _firm(park: str | None, years: dict[int, Any]) -> dict[str, Any]:
    return {"enterprise": {"division_code": "410172561", "status": "存续", "park_id": park}, "years": years}


def _history(y22: str, y23: str) -> dict[int, Any]:
    return {2022: _year(y22), 2023: _year(y23)}


FIRMS: list[dict[str, Any]] = [
    _firm("PA", {**_history("800万", "900万"), 2024: _year("950万", rd="800万")}),
    _firm("PA", {**_history("2500万", "3000万"), 2024: _year("3500万", rd="2000万")}),
    _firm("PB", {**_history("300万", "300万"), 2024: _year("400万", rd="450万")}),
    _firm("PB", {**_history("500万", "900万"), 2024: _year("1100万")}),
    _firm(None, {**_history("500万", "900万"), 2024: _year("1100万", rd="600万", tax=None)}),
    _firm("PB", {**_history("500万", "500万"), 2024: _year("600万", rd=None, tax=None)}),
    _firm("PA", {2024: _year("1500万", rd="200万")}),
]


def build(wh: Warehouse, names: bool = True) -> None:
    """Load the firms; with *names*, also their names and the parks' names."""
    load_firms(wh, IDS, FIRMS)
    if not names:
        return
    ent = wh.to_arrow(wh.table("enterprises").order_by("uscc"))
    by_id = dict(zip(IDS, NAMES, strict=True))
    ent = ent.set_column(
        ent.column_names.index("name"),
        "name",
        pa.array([by_id[u] for u in ent["uscc"].to_pylist()], pa.string()),
    )
    with wh.transaction():
        wh.delete_where_in("enterprises", "uscc", IDS)
        wh.append("enterprises", ent)
        wh.append(
            "parks",
            pa.table({"park_id": list(PARK_NAMES), "name_zh": list(PARK_NAMES.values())}),
        )
