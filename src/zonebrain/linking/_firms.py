"""Which park a demand belongs to: the firm's record in the registry, not what a form says.

A demand is seen by its park's officers, so its park decides who may read it. For a firm the
registry knows, the park and the name come from the ``enterprises`` table; a park given with the
demand must agree with it (else the row is refused, naming both). A firm the registry does not
know yet (a newcomer, a lead) keeps the park given, and a park officer's own park by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from zonebrain.appstore import Role, User
from zonebrain.core.errors import InputError
from zonebrain.linking._model import NotAllowed
from zonebrain.registry import Zone
from zonebrain.storage import Warehouse


@dataclass(frozen=True)
class Firm:
    uscc: str
    name: str
    park_id: str | None


class FirmDirectory(Protocol):
    """The registry's firms by USCC (those it does not know are left out)."""

    def firms(self, usccs: Iterable[str]) -> dict[str, Firm]: ...


class RegistryFirms:
    """:class:`FirmDirectory` over the warehouse's ``enterprises`` table; *open* lends a warehouse
    (the web's ``pool.reader``, or a function opening the CLI's read-only)."""

    def __init__(self, open: Callable[[], AbstractContextManager[Warehouse]]) -> None:
        self._open = open

    def firms(self, usccs: Iterable[str]) -> dict[str, Firm]:
        codes = sorted(set(usccs))
        if not codes:
            return {}
        with self._open() as wh:
            if wh.schema_version() == 0:  # nothing imported yet
                return {}
            t = wh.table("enterprises")
            rows = wh.to_arrow(t.filter(t.uscc.isin(codes)).select("uscc", "name", "park_id")).to_pylist()
        return {r["uscc"]: Firm(r["uscc"], r["name"] or "", r["park_id"]) for r in rows}


def demand_park(
    actor: User,
    uscc: str,
    given: str | None,
    known: Firm | None,
    parks: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> str | None:
    """The park a demand for *uscc* is filed under (see the module's text). *given* may be a park's
    id or any of its names when *parks* (alias → id, :func:`park_aliases`) is given; an unknown one
    is refused. :class:`InputError` when *given* contradicts the registry; :class:`NotAllowed` when
    a park officer files outside their park. *names* (id → short name; default ``parks.names``)
    name the parks in messages."""
    names = names if names is not None else getattr(parks, "names", {})
    given = (given or "").strip() or None
    if given is not None and parks:
        given = resolve_parks([given], parks)[0]

    def label(park: str | None) -> str:
        return park_label(park, names or {})

    park = known.park_id if known is not None else given
    if known is None and park is None and actor.role is Role.PARK_OFFICER:
        park = actor.park_id
    if actor.role is Role.PARK_OFFICER and park != actor.park_id:
        own, other = park_name(actor.park_id, names or {}), park_name(park, names or {})
        if known is None:
            why = f"填写的园区为 {other}", f"the park given is {other}"
        elif park is None:
            why = f"企业库中企业 {uscc} 未分园区", f"the registry has no park for firm {uscc}"
        else:
            why = f"企业库中企业 {uscc} 属于园区 {other}", f"the registry puts firm {uscc} in park {other}"
        raise actor.role.refuse(
            NotAllowed,
            f"登记园区 {own} 以外企业的需求：{why[0]}",
            f"file demands for firms outside park {own}: {why[1]}",
            park_id=park,
        )
    if known is not None and given is not None and given != known.park_id:
        raise InputError(
            f"企业 {uscc} 在企业库中属于园区 {label(known.park_id)}, 与填写的园区 {label(given)} 不符; "
            f"请留空或改为 {label(known.park_id) if known.park_id else '空'} (the registry puts this firm "
            f"in park {known.park_id or '(none)'}, not {given}; leave the park empty)"
        )
    return park


class ParkAliases(dict[str, str]):
    """Every spelling of a park → its id; ``names`` gives each id's short name (梧桐), to show."""

    def __init__(
        self, aliases: Mapping[str, str] | None = None, names: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(aliases or {})
        self.names = dict(names or {})


def park_aliases(zone: Zone | None) -> ParkAliases:
    """Every spelling of a park (id, short name, names, division code) → its id; with ``.names``."""
    if zone is None:
        return ParkAliases()
    return ParkAliases(
        {alias: p.id for p in zone.parks for alias in (p.id, p.short_name, p.division_code, *p.names)},
        {p.id: p.short_name for p in zone.parks},
    )


def park_name(park_id: str | None, names: Mapping[str, str]) -> str:
    """A park as a sentence names it: its short name (``石佛``), its id when *names* (id → short
    name) lack it, empty for none. Refusals name parks so; the id belongs in an API's fields."""
    return (names.get(park_id) or park_id) if park_id else ""


def park_label(park_id: str | None, names: Mapping[str, str]) -> str:
    """A park as people read it: its short name with its id (``梧桐 (wutong)``), or the id alone."""
    if not park_id:
        return "(未分园区 / no park)"
    name = names.get(park_id)
    return f"{name} ({park_id})" if name and name != park_id else park_id


def resolve_parks(given: Iterable[str], parks: Mapping[str, str]) -> list[str]:
    """Parks as written (ids or any name) → their ids; an unknown one is an :class:`InputError`
    naming the zone's parks. Without *parks* (no zone given) the values are kept as they are."""
    out: list[str] = []
    for text in given:
        text = text.strip()
        if not text:
            continue
        if parks and text not in parks:
            names = getattr(parks, "names", {})
            choices = ", ".join(park_label(i, names) for i in sorted(set(parks.values())))
            raise InputError(f"未知园区 '{text}' (unknown park); 可用 / use one of: {choices}")
        out.append(parks[text] if parks else text)
    return list(dict.fromkeys(out))
