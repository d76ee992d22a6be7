"""The first-breakthrough award (``zz-revenue-breakthrough``) for firms registered recently.

A firm had no revenue before it was registered, so the years before its registration year are
known to be 0: a firm registered in the period year has no earlier year at all and is decided
(``max_revenue_fen_before`` is 0), rather than asked for earlier financial statements it cannot
have. A firm registered earlier with no earlier year on record still lacks a year since its
registration: it stays 待核实. The same firms run on every engine in
``tests/conformance/test_policy_breakthrough_new_firms.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from zonebrain.policy import coverage, evaluate, load_firms, load_library
from zonebrain.storage import Warehouse, open_warehouse

ZONE = {"division_code": "410172562", "status": "存续"}
THIS_YEAR = {"revenue_fen": "1200万", "tax_fen": "5万", "insured_employees": 9}
FIRMS: dict[str, tuple[dt.date | None, dict[str, Any]]] = {
    # registered in the period year, nothing earlier: decided, the largest earlier revenue is 0
    "NEW2024": (dt.date(2024, 3, 28), {2024: THIS_YEAR}),
    # the same, with a row for the year before registration that carries no revenue
    "NEW2024ROW": (dt.date(2024, 1, 2), {2023: {"tax_fen": "0万"}, 2024: THIS_YEAR}),
    # registered in the period year, jumping past three thresholds: the highest one only
    "NEW2024BIG": (dt.date(2024, 7, 1), {2024: {**THIS_YEAR, "revenue_fen": "6000万"}}),
    # registered the year before, which is missing: still 待核实
    "OLD2023GAP": (dt.date(2023, 6, 1), {2024: THIS_YEAR}),
    # registered the year before, whose row has no revenue: still 待核实
    "OLD2023NULL": (dt.date(2023, 6, 1), {2023: {"tax_fen": "1万"}, 2024: THIS_YEAR}),
    # registered the year before with its revenue on record: decided by it (not the first time)
    "OLD2023SEEN": (dt.date(2023, 6, 1), {2023: {"revenue_fen": "1500万"}, 2024: THIS_YEAR}),
    # registration date unknown, nothing earlier on record: 待核实, as before
    "UNKNOWNREG": (None, {2024: THIS_YEAR}),
}


def build(wh: Warehouse) -> None:
    """The firms above, their registration dates included (the case format has none)."""
    ids = list(FIRMS)
    load_firms(wh, ids, [{"enterprise": ZONE, "years": years} for _, years in FIRMS.values()])
    wh.delete_where_in("enterprises", "uscc", ids)
    wh.append(
        "enterprises",
        pa.table(
            {
                "uscc": ids,
                "division_code": [ZONE["division_code"]] * len(ids),
                "status": [ZONE["status"]] * len(ids),
                "registered_on": pa.array([day for day, _ in FIRMS.values()], pa.date32()),
            }
        ),
    )


def rows(wh: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    """The breakthrough award's rows for period 2024, by (uscc, clause)."""
    lib = load_library().select(["zz-revenue-breakthrough"])
    got = evaluate(wh, lib, 2024).to_pylist()
    return {(r["uscc"], r["clause_id"]): r for r in got}


@pytest.fixture(scope="module")
def wh() -> Iterator[Warehouse]:
    with open_warehouse(":memory:") as mem:
        mem.migrate()
        build(mem)
        yield mem


def _before(row: dict[str, Any]) -> object:
    """The value the trace shows for the earlier years' largest revenue."""
    trace = json.loads(row["trace"])
    return next(c["value"] for c in trace["conditions"] if c["test"].startswith("max_revenue_fen_before"))


def test_a_firm_registered_in_the_period_year_is_decided(wh: Warehouse) -> None:
    got = rows(wh)
    for uscc in ("NEW2024", "NEW2024ROW"):
        first = got[(uscc, "reach-10m")]
        assert (first["status"], first["amount_fen"], first["missing_fields"]) == (
            "eligible",
            10_000_000,
            None,
        )
        assert _before(first) == 0
        assert got[(uscc, "reach-20m")]["status"] == "ineligible"
    big = {
        clause: got[("NEW2024BIG", clause)]["status"] for clause in ("reach-10m", "reach-50m", "reach-100m")
    }
    assert big == {"reach-10m": "superseded", "reach-50m": "eligible", "reach-100m": "ineligible"}


def test_a_missing_year_since_registration_stays_undetermined(wh: Warehouse) -> None:
    got = rows(wh)
    for uscc in ("OLD2023GAP", "OLD2023NULL", "UNKNOWNREG"):
        row = got[(uscc, "reach-10m")]
        assert row["status"] == "undetermined", uscc
        assert row["missing_fields"] == "max_revenue_fen_before[2024]"
        assert _before(row) is None
    seen = got[("OLD2023SEEN", "reach-10m")]
    assert seen["status"] == "ineligible" and _before(seen) == 1_500_000_000


def test_coverage_asks_only_for_the_firms_missing_a_year(wh: Warehouse) -> None:
    lib = load_library().select(["zz-revenue-breakthrough"])
    missing = coverage(lib, results=evaluate(wh, lib, 2024)).missing
    assert missing is not None
    ranked = {r["field"]: (r["decides"], r["firms"]) for r in missing.to_pylist()}
    # three firms lack an earlier year (only reach-10m is open for them: 1200万 is below 2000万);
    # the firms registered in 2024 are not asked for years they never had
    assert ranked == {"max_revenue_fen_before[2024]": (3, 3)}
