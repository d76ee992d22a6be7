"""Delivery tracking (达产达效): once a project's firm is registered, compare what it promised with
what the enterprise data says it delivers, and flag the projects far behind.

Actuals come from the warehouse: ``enterprise_years`` (output — revenue when output is missing —,
tax, employees) for the chosen year (default: the firm's latest year), and ``enterprises`` for
whether the firm is registered at all. The warehouse has no fixed-asset investment yet, so the
investment rate uses **registered capital** as a stand-in and is reported separately
(``investment_rate``), never in the overall rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import pandas as pd

from zonebrain.core.errors import InputError
from zonebrain.pipeline._model import Project
from zonebrain.pipeline._stages import Stage
from zonebrain.storage import Warehouse

COLUMNS = [
    "project_id",
    "name",
    "uscc",
    "park_id",
    "owner",
    "stage",
    "year",
    "status",
    "promised_output_fen",
    "actual_output_fen",
    "output_rate",
    "promised_tax_fen",
    "actual_tax_fen",
    "tax_rate",
    "promised_jobs",
    "actual_jobs",
    "jobs_rate",
    "promised_investment_fen",
    "registered_capital_fen",
    "investment_rate",
    "delivery_rate",
]


@dataclass(frozen=True)
class DeliveryRule:
    """``behind`` below *behind*, ``far_behind`` below *far_behind* of the promise (delivery rate).
    Only projects at 投产 or 达产 are judged; earlier ones show their rates as ``pending``."""

    behind: float = 0.8
    far_behind: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.far_behind < self.behind <= 1:
            raise InputError(
                f"达产达效阈值须满足 0 < far_behind < behind ≤ 1 (need 0 < far_behind < behind ≤ 1), "
                f"收到 behind={self.behind}, far_behind={self.far_behind}"
            )


def _rate(actual: int | None, promised: int | None) -> float | None:
    if actual is None or not promised:
        return None
    return actual / promised


def delivery(
    projects: Iterable[Project],
    warehouse: Warehouse,
    *,
    year: int | None = None,
    rule: DeliveryRule | None = None,
) -> pd.DataFrame:
    """One row per project that has reached 注册落地 (or later, not 终止), with promised vs actual.

    ``status``: ``no_uscc`` (registered but the project has no USCC yet), ``not_registered`` (the
    USCC is not in the zone's registry), ``no_data`` (no yearly figures), ``pending`` (registered,
    not yet in production), ``ok``, ``behind`` or ``far_behind``. ``delivery_rate`` is the mean of
    the output, tax and jobs rates that have a promise.
    """
    rule = rule or DeliveryRule()
    landed = [
        p for p in projects if p.stage is not Stage.TERMINATED and p.stage.order >= Stage.REGISTERED.order
    ]
    usccs = sorted({p.uscc for p in landed if p.uscc})
    registered: dict[str, int | None] = {}
    figures: dict[str, dict[str, int | None]] = {}
    if usccs:
        ent = warehouse.table("enterprises")
        got = warehouse.to_arrow(ent.filter(ent.uscc.isin(usccs)).select("uscc", "registered_capital_fen"))
        registered = dict(
            zip(got["uscc"].to_pylist(), got["registered_capital_fen"].to_pylist(), strict=True)
        )
        ey = warehouse.table("enterprise_years").filter(ibis._.uscc.isin(usccs))
        if year is not None:
            ey = ey.filter(ey.year == year)
        else:
            latest = ey.group_by("uscc").aggregate(year=ey.year.max())
            ey = ey.semi_join(latest, ["uscc", "year"])
        cols = ey.select("uscc", "year", "revenue_fen", "output_fen", "tax_fen", "employees")
        for r in warehouse.to_arrow(cols).to_pylist():
            figures[r["uscc"]] = r
    rows = []
    for p in landed:
        f = figures.get(p.uscc or "", {})
        output = f.get("output_fen") if f.get("output_fen") is not None else f.get("revenue_fen")
        rates = {
            "output_rate": _rate(output, p.promised_output_fen),
            "tax_rate": _rate(f.get("tax_fen"), p.promised_tax_fen),
            "jobs_rate": _rate(f.get("employees"), p.promised_jobs),
        }
        known = [r for r in rates.values() if r is not None]
        overall = sum(known) / len(known) if known else None
        if not p.uscc:
            status = "no_uscc"
        elif p.uscc not in registered:
            status = "not_registered"
        elif not f:
            status = "no_data"
        elif p.stage.order < Stage.PRODUCTION.order or overall is None:
            status = "pending"
        elif overall < rule.far_behind:
            status = "far_behind"
        elif overall < rule.behind:
            status = "behind"
        else:
            status = "ok"
        capital = registered.get(p.uscc or "")
        rows.append(
            {
                "project_id": p.id,
                "name": p.name,
                "uscc": p.uscc,
                "park_id": p.park_id,
                "owner": p.owner,
                "stage": p.stage.value,
                "year": f.get("year"),
                "status": status,
                "promised_output_fen": p.promised_output_fen,
                "actual_output_fen": output,
                "promised_tax_fen": p.promised_tax_fen,
                "actual_tax_fen": f.get("tax_fen"),
                "promised_jobs": p.promised_jobs,
                "actual_jobs": f.get("employees"),
                "promised_investment_fen": p.promised_investment_fen,
                "registered_capital_fen": capital,
                "investment_rate": _rate(capital, p.promised_investment_fen),
                **rates,
                "delivery_rate": overall,
            }
        )
    df = pd.DataFrame.from_records(rows, columns=COLUMNS)
    for c in COLUMNS:
        if c.endswith(("_fen", "_jobs")) or c == "year":
            df[c] = df[c].astype("Int64")  # integers stay integers (nullable), never floats
        elif c.endswith("_rate"):
            df[c] = df[c].astype("float64")
    return df
