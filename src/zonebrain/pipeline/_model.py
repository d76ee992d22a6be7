"""What the pipeline hands out: immutable projects, events and warnings (never ORM rows)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from zonebrain.appstore.pipeline_models import ProjectEventRow, ProjectRow
from zonebrain.core.errors import ZoneBrainError
from zonebrain.pipeline._stages import Origin, Stage

MONEY_FIELDS = ("promised_investment_fen", "promised_output_fen", "promised_tax_fen")
EDITABLE = ("name", "uscc", "park_id", "chain_node", "origin", *MONEY_FIELDS, "promised_jobs", "notes")
"""Fields :meth:`Pipeline.update` may change (stage and owner have their own operations)."""


class NotAllowed(ZoneBrainError):
    """The user's role (or park) does not allow this change; the web answers 403."""


class ProjectNotFound(ZoneBrainError, LookupError):
    """No project with that id; the web answers 404."""


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    uscc: str | None
    stage: Stage
    terminated_reason: str | None
    owner_id: int
    owner: str
    """The owner's username."""
    park_id: str
    chain_node: str | None
    origin: Origin
    promised_investment_fen: int | None
    promised_output_fen: int | None
    promised_tax_fen: int | None
    promised_jobs: int | None
    notes: str
    stage_since: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (money stays integer fen; times ISO 8601)."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            out[k] = (
                v.isoformat()
                if isinstance(v, dt.datetime)
                else str(v)
                if isinstance(v, Stage | Origin)
                else v
            )
        return out


@dataclass(frozen=True)
class ProjectEvent:
    id: int
    project_id: int
    at: dt.datetime
    recorded_at: dt.datetime
    username: str
    kind: str
    """created, stage, note, handover, update."""
    from_stage: Stage | None
    to_stage: Stage | None
    text: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PursuitWarning:
    """Another live project pursues the same firm (same USCC, or same normalised name)."""

    project_id: int
    name: str
    park_id: str
    owner: str
    stage: Stage
    match: str
    """``uscc`` or ``name``."""
    kind: str
    """``other_park``, ``other_officer`` or ``duplicate`` (same park and officer)."""

    def message(self) -> str:
        why = {"other_park": "其他园区", "other_officer": "其他专员", "duplicate": "重复录入"}[self.kind]
        by = "统一社会信用代码" if self.match == "uscc" else "企业名称"
        return (
            f"{why}正在跟进同一企业 (same firm by {self.match}): 项目 #{self.project_id} {self.name} "
            f"({self.park_id}, {self.owner}, {self.stage.value}); 依据{by}; 请与对方协调或办理交接 / "
            "coordinate or hand over"
        )


@dataclass(frozen=True)
class Created:
    project: Project
    warnings: tuple[PursuitWarning, ...]


def to_project(row: ProjectRow, owner: str) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        uscc=row.uscc,
        stage=Stage(row.stage),
        terminated_reason=row.terminated_reason,
        owner_id=row.owner_id,
        owner=owner,
        park_id=row.park_id,
        chain_node=row.chain_node,
        origin=Origin(row.origin),
        promised_investment_fen=row.promised_investment_fen,
        promised_output_fen=row.promised_output_fen,
        promised_tax_fen=row.promised_tax_fen,
        promised_jobs=row.promised_jobs,
        notes=row.notes,
        stage_since=row.stage_since,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


def to_event(row: ProjectEventRow) -> ProjectEvent:
    return ProjectEvent(
        id=row.id,
        project_id=row.project_id,
        at=row.at,
        recorded_at=row.recorded_at,
        username=row.username,
        kind=row.kind,
        from_stage=Stage(row.from_stage) if row.from_stage else None,
        to_stage=Stage(row.to_stage) if row.to_stage else None,
        text=row.text,
        detail=json.loads(row.detail),
    )
