"""What linking hands out: resources, demands, suggestions with reasons (never ORM rows)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from zonebrain.appstore.linking_models import DemandRow, MatchRow, ResourceRow
from zonebrain.core.errors import InputError, ZoneBrainError
from zonebrain.linking._kinds import DemandKind, ResourceKind


class DemandNotFound(ZoneBrainError, LookupError):
    """No demand (or resource) with that id; the web answers 404."""


class NotAllowed(ZoneBrainError):
    """The user's role or scope does not allow this; the web answers 403."""


class AlreadyThere(InputError):
    """The same record is there already (a resource's name + provider, a resource proposed for a
    demand before); the message names the existing id. The web answers 409 ``conflict``."""


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.replace("，", ",").split(",") if t.strip())


@dataclass(frozen=True)
class Resource:
    id: int
    kind: ResourceKind
    name: str
    provider: str
    description: str
    keywords: tuple[str, ...]
    chain_nodes: tuple[str, ...]
    parks: tuple[str, ...]
    """Empty: the whole zone."""
    min_amount_fen: int | None
    max_amount_fen: int | None
    contact: str
    active: bool
    version: int


@dataclass(frozen=True)
class Demand:
    id: int
    uscc: str
    firm_name: str
    park_id: str | None
    chain_node: str | None
    kind: DemandKind
    title: str
    detail: str
    amount_fen: int | None
    status: str
    """open, responded, resolved, closed."""
    submitted_at: dt.datetime
    due_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str
    rating: int | None
    rating_comment: str
    version: int

    def overdue(self, as_of: dt.datetime) -> bool:
        """No first response by the target time."""
        first = self.first_response_at
        return (first or as_of) > self.due_at


@dataclass(frozen=True)
class Suggestion:
    """A resource ranked for a demand, with the reasons that make up its score."""

    resource: Resource
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    id: int
    demand_id: int
    resource_id: int
    score: float
    reasons: tuple[str, ...]
    status: str
    created_at: dt.datetime


def to_resource(r: ResourceRow) -> Resource:
    return Resource(
        id=r.id,
        kind=ResourceKind(r.kind),
        name=r.name,
        provider=r.provider,
        description=r.description,
        keywords=_split(r.keywords),
        chain_nodes=_split(r.chain_nodes),
        parks=_split(r.parks),
        min_amount_fen=r.min_amount_fen,
        max_amount_fen=r.max_amount_fen,
        contact=r.contact,
        active=r.active,
        version=r.version,
    )


def to_demand(r: DemandRow) -> Demand:
    return Demand(
        id=r.id,
        uscc=r.uscc,
        firm_name=r.firm_name,
        park_id=r.park_id,
        chain_node=r.chain_node,
        kind=DemandKind(r.kind),
        title=r.title,
        detail=r.detail,
        amount_fen=r.amount_fen,
        status=r.status,
        submitted_at=r.submitted_at,
        due_at=r.due_at,
        first_response_at=r.first_response_at,
        resolved_at=r.resolved_at,
        resolution=r.resolution,
        rating=r.rating,
        rating_comment=r.rating_comment,
        version=r.version,
    )


def to_match(r: MatchRow) -> Match:
    return Match(
        r.id, r.demand_id, r.resource_id, r.score, tuple(json.loads(r.reasons)), r.status, r.created_at
    )
