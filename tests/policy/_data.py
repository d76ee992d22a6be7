"""A small zone for the policy tests (used by tests/policy and tests/conformance).

Firms, in the case format of ``zonebrain.policy.load_firms`` (period 2024):

* P0 certified 2024, sales 2023 = 1200万, R&D 2024 = 3000万 → R&D award 50万 kept, high-tech 30万 dropped
* P1 certified 2024, sales 2023 = 200万 (含) → 20万; revenue jumps 900万 → 6000万 → 50万 (highest only)
* P2 no tax data for 2024 → 待核实 everywhere, naming tax_fen[2024]
* P3 serious violation in 2024 → excluded
* P4 outside the zone → not a supported subject
* P5 R&D 2024 = 5000149.99元 → 100002元 (rounded down to 元)
"""

from __future__ import annotations

from typing import Any

from zonebrain.policy import load_firms
from zonebrain.storage import Warehouse

IDS = [f"P{i}" for i in range(6)]
_ZONE = {"division_code": "410172561", "status": "存续"}


def _years(rev23: str, rev24: str, rd24: str | None = "100万", tax24: str | None = "20万") -> dict[int, Any]:
    return {
        2022: {"revenue_fen": "500万", "tax_fen": "5万", "insured_employees": 5},
        2023: {"revenue_fen": rev23, "tax_fen": "10万", "insured_employees": 8},
        2024: {"revenue_fen": rev24, "tax_fen": tax24, "rd_expense_fen": rd24, "insured_employees": 9},
    }


CERT = [{"kind": "高新技术企业首次认定", "date": "2024-09-01"}]
FIRMS: list[dict[str, Any]] = [
    {"enterprise": _ZONE, "years": _years("1200万", "1500万", rd24="3000万"), "events": CERT},
    {"enterprise": _ZONE, "years": _years("200万", "6000万"), "events": CERT},
    {"enterprise": _ZONE, "years": _years("900万", "1100万", tax24=None), "events": CERT},
    {
        "enterprise": _ZONE,
        "years": _years("900万", "1100万"),
        "events": [*CERT, {"kind": "严重违法失信", "date": "2024-05-05", "detail": "列入名单"}],
    },
    {
        "enterprise": {**_ZONE, "division_code": "410105001"},
        "years": _years("900万", "1100万"),
        "events": CERT,
    },
    {
        "enterprise": {**_ZONE, "status": "在业"},
        "years": _years("900万", "950万", rd24="5000149.99元"),
        "tags": [{"tag": "高新技术企业", "since": "2021-01-01", "until": None}],
    },
]


def build(wh: Warehouse) -> None:
    load_firms(wh, IDS, FIRMS)
