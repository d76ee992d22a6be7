"""The matcher: rank resources for a demand, each score the sum of named, explained parts.

score = kind fit (0–1, :data:`FIT`) + 0.3 × share of the resource's keywords found in the demand
(capped at 0.3) + 0.2 same chain node + 0.2 amount within the product's range. A resource bound to
other parks, an inactive one, or one whose range excludes the amount is never suggested.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from zonebrain.core.money import display_fen
from zonebrain.linking._kinds import DEMAND_ZH, FIT, RESOURCE_ZH
from zonebrain.linking._model import Demand, Resource, Suggestion


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def score(
    demand: Demand, resource: Resource, park_names: Mapping[str, str] | None = None
) -> Suggestion | None:
    """The resource's score and reasons for *demand*, or None when it cannot answer it.
    *park_names*: park id → the short name a reason shows (梧桐)."""
    if not resource.active:
        return None
    fit = FIT[demand.kind].get(resource.kind, 0.0)
    if fit <= 0:
        return None
    if resource.parks and demand.park_id not in resource.parks:
        return None
    reasons = [
        f"类型匹配 {DEMAND_ZH[demand.kind]} ← {RESOURCE_ZH[resource.kind]} (kind fit {fit:.1f})",
    ]
    total = fit
    if demand.amount_fen is not None and (
        resource.min_amount_fen is not None or resource.max_amount_fen is not None
    ):
        lo, hi = resource.min_amount_fen, resource.max_amount_fen
        if (lo is not None and demand.amount_fen < lo) or (hi is not None and demand.amount_fen > hi):
            return None
        total += 0.2
        span = (
            f"{display_fen(lo) if lo is not None else '—'}–{display_fen(hi) if hi is not None else '—'} 万元"
        )
        reasons.append(
            f"金额 {display_fen(demand.amount_fen)} 万元在产品范围 {span} 内 (amount within range)"
        )
    text = _norm(f"{demand.title} {demand.detail}")
    hits = [k for k in resource.keywords if _norm(k) in text]
    if hits:
        part = min(0.3, 0.3 * len(hits) / max(1, min(len(resource.keywords), 3)))
        total += part
        reasons.append(f"关键词命中 (keywords): {'、'.join(hits)}")
    if demand.chain_node and demand.chain_node in resource.chain_nodes:
        total += 0.2
        reasons.append(f"同一产业链节点 (same chain node): {demand.chain_node}")
    if resource.parks and demand.park_id:
        park = (park_names or {}).get(demand.park_id, demand.park_id)
        reasons.append(f"服务本园区 {park} (serves this park)")
    return Suggestion(resource, round(total, 4), tuple(reasons))


def rank(
    demand: Demand,
    resources: Iterable[Resource],
    *,
    limit: int = 10,
    park_names: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    """The best *limit* resources for *demand*, best first (ties: lower resource id first)."""
    found = [s for r in resources if (s := score(demand, r, park_names)) is not None]
    found.sort(key=lambda s: (-s.score, s.resource.id))
    return found[:limit]
