"""Stall alerts (三色): green, yellow after two months in one stage, red after three — configurable.

A project's stall clock is the time since it entered its current stage (``stage_since``): notes
and edits do not count as progress, moving a stage does. 达产 and 终止 never stall.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zonebrain.core.clock import beijing
from zonebrain.core.errors import InputError
from zonebrain.pipeline._model import Project, ProjectEvent
from zonebrain.pipeline._stages import FINAL, Stage, parse_stage


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"
    """达产 or 终止: nothing left to chase."""


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """The same day *months* later (clamped to the month's end: 31 Jan + 1 month = 28/29 Feb)."""
    total = when.month - 1 + months
    year, month = when.year + total // 12, total % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class StallRule:
    """When a project turns yellow and red: after ``yellow``/``red`` units (``months`` or ``days``)
    in one stage, optionally different per stage (``per_stage={Stage.NEGOTIATION: (3, 6)}``).

    >>> StallRule().colour(Stage.VISIT, dt.datetime(2026, 1, 10), dt.datetime(2026, 3, 10))
    <Colour.YELLOW: 'yellow'>
    """

    yellow: int = 2
    red: int = 3
    unit: str = "months"
    per_stage: Mapping[Stage, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.unit not in ("months", "days"):
            raise InputError(
                f"停滞规则单位须为 months 或 days (unit must be months or days), 收到 {self.unit!r}"
            )
        bounds: list[tuple[Stage | None, tuple[int, int]]] = [(None, (self.yellow, self.red))]
        bounds += list(self.per_stage.items())
        for stage, (y, r) in bounds:
            if not 0 < y < r:
                where = f" ({stage.value})" if stage else ""
                raise InputError(
                    f"停滞规则{where}须满足 0 < 黄 < 红 (need 0 < yellow < red), 收到 yellow={y}, red={r}"
                )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StallRule:
        """From settings/YAML: ``{yellow: 2, red: 3, unit: months, per_stage: {谈判: [3, 6]}}``."""
        unknown = set(data) - {"yellow", "red", "unit", "per_stage"}
        if unknown:
            raise InputError(
                f"停滞规则有未知字段 {sorted(unknown)} (unknown keys); 可用 yellow, red, unit, per_stage"
            )
        try:
            per = {
                parse_stage(k): (int(v[0]), int(v[1])) for k, v in dict(data.get("per_stage") or {}).items()
            }
            return cls(
                yellow=int(data.get("yellow", 2)),
                red=int(data.get("red", 3)),
                unit=str(data.get("unit", "months")),
                per_stage=per,
            )
        except (TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"停滞规则格式不对 (malformed stall rule): {exc}") from exc

    def thresholds(self, stage: Stage, since: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When a project that entered *stage* at *since* turns yellow and red."""
        y, r = self.per_stage.get(stage, (self.yellow, self.red))
        if self.unit == "days":
            return since + dt.timedelta(days=y), since + dt.timedelta(days=r)
        return add_months(since, y), add_months(since, r)

    def colour(self, stage: Stage, since: dt.datetime, as_of: dt.datetime) -> Colour:
        if stage in FINAL:
            return Colour.NONE
        yellow_at, red_at = self.thresholds(stage, since)
        if as_of >= red_at:
            return Colour.RED
        if as_of >= yellow_at:
            return Colour.YELLOW
        return Colour.GREEN


def stall_colour(project: Project, as_of: dt.datetime, rule: StallRule | None = None) -> Colour:
    return (rule or StallRule()).colour(project.stage, project.stage_since, as_of)


@dataclass(frozen=True)
class DigestLine:
    project_id: int
    name: str
    stage: Stage
    owner: str
    park_id: str
    colour: Colour
    days_in_stage: int


@dataclass(frozen=True)
class Digest:
    """One officer's or one park's week: colours, what moved, what is new, what needs a push."""

    by: str
    """``owner`` or ``park``."""
    key: str
    week_start: dt.datetime
    week_end: dt.datetime
    """The week as stored times (naive UTC); :meth:`text` shows its Beijing dates."""
    counts: dict[str, int]
    red: tuple[DigestLine, ...]
    yellow: tuple[DigestLine, ...]
    moved: tuple[ProjectEvent, ...]
    created: tuple[int, ...]

    def text(self, park_names: Mapping[str, str] | None = None) -> str:
        """A plain-text digest (zh-CN with English), e.g. for an e-mail body; parks by their names
        when *park_names* (id → name) is given."""
        names = park_names or {}
        c = self.counts
        who = "专员 officer" if self.by == "owner" else "园区 park"
        key = names.get(self.key, self.key) if self.by == "park" else self.key
        lines = [
            (
                f"招商项目周报 Weekly pipeline digest — {who} {key}, "
                f"{beijing(self.week_start):%Y-%m-%d} – {beijing(self.week_end):%Y-%m-%d}"
            ),
            (
                f"在跟项目 live: {c['green'] + c['yellow'] + c['red']} (绿 green {c['green']}, "
                f"黄 yellow {c['yellow']}, 红 red {c['red']}); 本周新增 new {len(self.created)}, "
                f"本周推进 moved {len(self.moved)}"
            ),
        ]
        for title, items in (("红色预警 red", self.red), ("黄色预警 yellow", self.yellow)):
            if items:
                lines.append(f"{title}:")
                lines += [
                    f"  #{p.project_id} {p.name} — {p.stage.value}, {p.days_in_stage} 天 days ({p.owner}, {names.get(p.park_id, p.park_id)})"
                    for p in items
                ]
        return "\n".join(lines)


def weekly_digest(
    projects: Iterable[Project],
    events: Iterable[ProjectEvent],
    *,
    as_of: dt.datetime,
    by: str = "owner",
    rule: StallRule | None = None,
) -> list[Digest]:
    """One :class:`Digest` per officer (``by="owner"``) or park (``by="park"``) for the 7 days to *as_of*."""
    if by not in ("owner", "park"):
        raise InputError(f"周报按 owner 或 park 汇总 (by must be owner or park), 收到 {by!r}")
    rule = rule or StallRule()
    start = as_of - dt.timedelta(days=7)
    plist = list(projects)
    key_of = {p.id: (p.owner if by == "owner" else p.park_id) for p in plist}
    groups: dict[str, list[Project]] = defaultdict(list)
    for p in plist:
        groups[key_of[p.id]].append(p)
    moved: dict[str, list[ProjectEvent]] = defaultdict(list)
    created: dict[str, list[int]] = defaultdict(list)
    for e in events:
        if e.project_id not in key_of or not start < e.at <= as_of:
            continue
        if e.kind == "stage":
            moved[key_of[e.project_id]].append(e)
        elif e.kind == "created":
            created[key_of[e.project_id]].append(e.project_id)
    out = []
    for key in sorted(groups):
        counts = {c.value: 0 for c in Colour}
        flagged: dict[Colour, list[DigestLine]] = {Colour.RED: [], Colour.YELLOW: []}
        for p in groups[key]:
            colour = rule.colour(p.stage, p.stage_since, as_of)
            counts[colour.value] += 1
            if colour in flagged:
                days = (as_of - p.stage_since).days
                flagged[colour].append(DigestLine(p.id, p.name, p.stage, p.owner, p.park_id, colour, days))
        out.append(
            Digest(
                by=by,
                key=key,
                week_start=start,
                week_end=as_of,
                counts=counts,
                red=tuple(sorted(flagged[Colour.RED], key=lambda d: -d.days_in_stage)),
                yellow=tuple(sorted(flagged[Colour.YELLOW], key=lambda d: -d.days_in_stage)),
                moved=tuple(moved[key]),
                created=tuple(created[key]),
            )
        )
    return out
