"""Response and resolution statistics per demand kind: on-time first responses, time to resolve, ratings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from zonebrain.linking._kinds import DemandKind
from zonebrain.linking._model import Demand

COLUMNS = [
    "kind",
    "demands",
    "responded",
    "on_time",
    "on_time_share",
    "overdue_open",
    "median_response_hours",
    "resolved",
    "median_resolve_days",
    "rated",
    "mean_rating",
]


def response_stats(demands: Iterable[Demand], *, as_of: dt.datetime) -> pd.DataFrame:
    """One row per demand kind (and ``all``): how fast the zone answers and how firms rate it."""
    groups: dict[str, list[Demand]] = defaultdict(list)
    for d in demands:
        groups[d.kind.value].append(d)
        groups["all"].append(d)
    rows = []
    for kind in [k.value for k in DemandKind if k.value in groups] + (["all"] if groups else []):
        ds = groups[kind]
        responded = [d for d in ds if d.first_response_at is not None]
        on_time = [
            d for d in responded if d.first_response_at is not None and d.first_response_at <= d.due_at
        ]
        hours = pd.Series(
            [
                (d.first_response_at - d.submitted_at).total_seconds() / 3600
                for d in responded
                if d.first_response_at
            ],
            dtype="float64",
        )
        resolved = [d for d in ds if d.resolved_at is not None]
        days = pd.Series(
            [(d.resolved_at - d.submitted_at).total_seconds() / 86400 for d in resolved if d.resolved_at],
            dtype="float64",
        )
        ratings = pd.Series([d.rating for d in ds if d.rating is not None], dtype="float64")
        rows.append(
            {
                "kind": kind,
                "demands": len(ds),
                "responded": len(responded),
                "on_time": len(on_time),
                "on_time_share": len(on_time) / len(responded) if responded else float("nan"),
                "overdue_open": sum(1 for d in ds if d.first_response_at is None and as_of > d.due_at),
                "median_response_hours": hours.median() if len(hours) else float("nan"),
                "resolved": len(resolved),
                "median_resolve_days": days.median() if len(days) else float("nan"),
                "rated": len(ratings),
                "mean_rating": ratings.mean() if len(ratings) else float("nan"),
            }
        )
    return pd.DataFrame.from_records(rows, columns=COLUMNS)
