"""Funnel analytics: how many projects reach each stage, convert to the next, and how long they stay.

Inputs are the projects and their events (``Pipeline.list()``, ``Pipeline.all_events()``); outputs are
pandas tables, so a notebook, the CLI (``--format csv``) and the web page read the same numbers.
A forward move that skips stages counts the skipped stages as passed; 终止 keeps the furthest stage.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from zonebrain.core.errors import InputError
from zonebrain.pipeline._model import Project, ProjectEvent
from zonebrain.pipeline._stages import PATH, Stage

GROUPS = ("owner", "park", "origin")


@dataclass(frozen=True)
class _Stint:
    stage: Stage
    start: dt.datetime
    end: dt.datetime | None


def _stints(events: list[ProjectEvent]) -> list[_Stint]:
    entries = [(e.at, e.to_stage) for e in events if e.kind in ("created", "stage") and e.to_stage]
    out = []
    for i, (at, stage) in enumerate(entries):
        end = entries[i + 1][0] if i + 1 < len(entries) else None
        assert stage is not None
        out.append(_Stint(stage, at, end))
    return out


def _furthest(stints: list[_Stint]) -> int:
    return max((s.stage.order for s in stints), default=-1)


def _group_key(p: Project, by: str | None) -> str:
    if by is None:
        return "全部 all"
    if by not in GROUPS:
        raise InputError(f"分组须为 {', '.join(GROUPS)} 之一 (group by one of these), 收到 {by!r}")
    return {"owner": p.owner, "park": p.park_id, "origin": p.origin.value}[by]


def _by_project(events: Iterable[ProjectEvent]) -> dict[int, list[ProjectEvent]]:
    out: dict[int, list[ProjectEvent]] = defaultdict(list)
    for e in sorted(events, key=lambda e: (e.project_id, e.at, e.id)):
        out[e.project_id].append(e)
    return out


def funnel(
    projects: Iterable[Project], events: Iterable[ProjectEvent], *, by: str | None = None
) -> pd.DataFrame:
    """Per group and stage: ``reached``, ``advanced`` (to a later stage), ``terminated`` there, ``conversion``.

    ``conversion`` = advanced / reached (NaN where nothing reached the stage); ``from_lead`` = reached /
    the group's projects, so origins can be compared (do targeting-list leads sign more often?).
    """
    per = _by_project(events)
    rows: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    totals: dict[str, int] = defaultdict(int)
    for p in projects:
        g = _group_key(p, by)
        totals[g] += 1
        stints = _stints(per.get(p.id, []))
        furthest = _furthest(stints) if stints else p.stage.order
        for k in range(furthest + 1):
            cell = rows[(g, k)]
            cell[0] += 1
            if k < furthest:
                cell[1] += 1
        if p.stage is Stage.TERMINATED and furthest >= 0:
            rows[(g, furthest)][2] += 1
    records = []
    for g in sorted(totals):
        for k, stage in enumerate(PATH):
            reached, advanced, terminated = rows.get((g, k), [0, 0, 0])
            records.append(
                {
                    "group": g,
                    "stage": stage.value,
                    "stage_order": k,
                    "reached": reached,
                    "advanced": advanced if k < len(PATH) - 1 else 0,
                    "terminated": terminated,
                    "conversion": (advanced / reached) if reached and k < len(PATH) - 1 else float("nan"),
                    "from_lead": reached / totals[g] if totals[g] else float("nan"),
                }
            )
    return pd.DataFrame.from_records(
        records,
        columns=[
            "group",
            "stage",
            "stage_order",
            "reached",
            "advanced",
            "terminated",
            "conversion",
            "from_lead",
        ],
    )


def time_in_stage(
    projects: Iterable[Project], events: Iterable[ProjectEvent], *, as_of: dt.datetime, by: str | None = None
) -> pd.DataFrame:
    """Per group and stage: finished stays (``n_done``, ``median_days``, ``mean_days``) and ``n_open``
    (projects still there, with ``open_median_days`` so far). 达产 and 终止 are end states, not stays."""
    per = _by_project(events)
    done: dict[tuple[str, Stage], list[float]] = defaultdict(list)
    open_: dict[tuple[str, Stage], list[float]] = defaultdict(list)
    groups = set()
    for p in projects:
        g = _group_key(p, by)
        groups.add(g)
        for s in _stints(per.get(p.id, [])):
            if s.stage in (Stage.FULL_PRODUCTION, Stage.TERMINATED):
                continue
            end = s.end or as_of
            days = (end - s.start).total_seconds() / 86400
            (done if s.end else open_)[(g, s.stage)].append(days)
    records = []
    for g in sorted(groups):
        for stage in PATH[:-1]:
            d = pd.Series(done.get((g, stage), []), dtype="float64")
            o = pd.Series(open_.get((g, stage), []), dtype="float64")
            records.append(
                {
                    "group": g,
                    "stage": stage.value,
                    "stage_order": stage.order,
                    "n_done": len(d),
                    "median_days": d.median() if len(d) else float("nan"),
                    "mean_days": d.mean() if len(d) else float("nan"),
                    "n_open": len(o),
                    "open_median_days": o.median() if len(o) else float("nan"),
                }
            )
    return pd.DataFrame.from_records(
        records,
        columns=[
            "group",
            "stage",
            "stage_order",
            "n_done",
            "median_days",
            "mean_days",
            "n_open",
            "open_median_days",
        ],
    )


SUMMARY_STAGES: tuple[Stage, ...] = (Stage.CONTACT, Stage.SIGNED, Stage.REGISTERED, Stage.PRODUCTION)
"""The milestones :func:`conversion` counts (接洽, 签约, 注册落地, 投产)."""
SUMMARY_COLUMNS = [
    "group",
    "projects",
    "live",
    "terminated",
    *(f"reached_{s.name.lower()}" for s in SUMMARY_STAGES),
    "signed_rate",
    "landed_rate",
    "median_days_to_sign",
]


def conversion(
    projects: Iterable[Project], events: Iterable[ProjectEvent], *, by: str | None = None
) -> pd.DataFrame:
    """One row per group (officer, park or origin): how many projects, how many reached 接洽, 签约,
    注册落地 and 投产 (skipped stages count as passed), ``signed_rate`` = reached 签约 / projects,
    ``landed_rate`` = reached 注册落地 / projects, and the median days from the first stage to 签约
    (or beyond) among those that got there. A last ``全部 all`` row sums every group when *by* is set.

    ``reached_*`` equal :func:`funnel`'s ``reached`` at those stages, group by group.
    """
    per = _by_project(events)
    items = list(projects)
    groups: dict[str, list[Project]] = defaultdict(list)
    for p in items:
        groups[_group_key(p, by)].append(p)
    if by is not None and items:
        groups["全部 all"] = items
    records = []
    for g in sorted(groups, key=lambda g: (g == "全部 all", g)):
        members = groups[g]
        reached = dict.fromkeys(SUMMARY_STAGES, 0)
        days: list[float] = []
        for p in members:
            stints = _stints(per.get(p.id, []))
            furthest = _furthest(stints) if stints else p.stage.order
            for s in SUMMARY_STAGES:
                if furthest >= s.order:
                    reached[s] += 1
            signed = next((x for x in stints if x.stage.order >= Stage.SIGNED.order), None)
            if signed is not None and stints:
                days.append((signed.start - stints[0].start).total_seconds() / 86400)
        n = len(members)
        terminated = sum(1 for p in members if p.stage is Stage.TERMINATED)
        done = sum(1 for p in members if p.stage is Stage.FULL_PRODUCTION)
        d = pd.Series(days, dtype="float64")
        records.append(
            {
                "group": g,
                "projects": n,
                "live": n - terminated - done,
                "terminated": terminated,
                **{f"reached_{s.name.lower()}": reached[s] for s in SUMMARY_STAGES},
                "signed_rate": reached[Stage.SIGNED] / n if n else float("nan"),
                "landed_rate": reached[Stage.REGISTERED] / n if n else float("nan"),
                "median_days_to_sign": d.median() if len(d) else float("nan"),
            }
        )
    return pd.DataFrame.from_records(records, columns=SUMMARY_COLUMNS)
