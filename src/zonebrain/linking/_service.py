"""Resource linking: the resource catalogue, enterprise demands, suggestions, proposals, resolution
and the enterprise's rating. Every write is versioned and audited (before/after) in its transaction.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zonebrain.appstore import ConcurrentUpdate, Role, User, utcnow
from zonebrain.appstore.linking_models import DemandRow, MatchRow, ResourceRow
from zonebrain.appstore.pipeline_models import audit_row
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC
from zonebrain.linking._firms import FirmDirectory, demand_park, park_label, park_name, resolve_parks
from zonebrain.linking._kinds import DemandKind, ResourceKind, parse_demand_kind, parse_resource_kind
from zonebrain.linking._matcher import rank
from zonebrain.linking._model import (
    AlreadyThere,
    Demand,
    DemandNotFound,
    Match,
    NotAllowed,
    Resource,
    Suggestion,
    to_demand,
    to_match,
    to_resource,
)

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

CATALOGUE_EDITORS = frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER})
OFFICERS = frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER, Role.PARK_OFFICER})
"""Who answers demands (park officers: their own park's)."""
READERS = frozenset({*OFFICERS, Role.LEADER, Role.POLICY_RESEARCHER})

_RESOURCE_FIELDS = (
    "name",
    "provider",
    "description",
    "keywords",
    "chain_nodes",
    "parks",
    "min_amount_fen",
    "max_amount_fen",
    "contact",
    "active",
)


def _join(values: Iterable[str] | str) -> str:
    items = [values] if isinstance(values, str) else list(values)
    parts = [p.strip() for v in items for p in str(v).replace("，", ",").split(",") if p.strip()]
    return ",".join(dict.fromkeys(parts))


def _fen(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} 须为非负整数分 (must be non-negative integer fen), 收到 / got {value!r}")
    return value


class Linking:
    """资源对接: one catalogue of resources for the zone; demands from enterprises, answered by officers.

    *response_days*: a demand's first response is due this many days after it was submitted.
    *firms*: the registry, so that a demand is filed under its firm's park (who may see it);
    *parks*: the zone's parks by every name (``park_aliases(zone)``), so that a typed park is known
    (a demand's, the parks a resource serves: stored as ids); *park_names*: id → short name, shown in
    reasons and messages (default: ``parks.names`` of :func:`park_aliases`).
    """

    def __init__(
        self,
        store: AppStore,
        *,
        response_days: int = 5,
        clock: Callable[[], dt.datetime] = utcnow,
        firms: FirmDirectory | None = None,
        parks: Mapping[str, str] | None = None,
        park_names: Mapping[str, str] | None = None,
    ) -> None:
        if response_days <= 0:
            raise InputError(f"响应时限须为正的天数 (response_days must be positive), 收到 {response_days}")
        self._store = store
        self._clock = clock
        self.response_days = response_days
        self.firms = firms
        """The registry a demand's park and firm name come from (None: as given, see ``_firms``)."""
        self.parks = dict(parks or {})
        """Every spelling of a park → its id (``park_aliases(zone)``): a demand's park may be named."""
        self.park_names = dict(park_names if park_names is not None else getattr(parks, "names", {}))
        """Park id → its short name (梧桐), for reasons and messages."""

    # ---- the catalogue -------------------------------------------------------------------

    def add_resource(
        self,
        actor: User,
        *,
        kind: ResourceKind | str,
        name: str,
        provider: str = "",
        description: str = "",
        keywords: Iterable[str] | str = (),
        chain_nodes: Iterable[str] | str = (),
        parks: Iterable[str] | str = (),
        min_amount_fen: int | None = None,
        max_amount_fen: int | None = None,
        contact: str = "",
        ip: str = "",
    ) -> Resource:
        self._require(actor, CATALOGUE_EDITORS, "维护资源目录", "maintain the resource catalogue")
        if not name.strip():
            raise InputError("资源须有名称 (a resource needs a name)")
        lo, hi = _fen("min_amount_fen", min_amount_fen), _fen("max_amount_fen", max_amount_fen)
        if lo is not None and hi is not None and lo > hi:
            raise InputError(f"金额下限大于上限 (min {lo} > max {hi} fen); 请核对 / check the range")
        served = self._parks(parks)
        kind_value = parse_resource_kind(kind).value
        now = self._clock()
        with self._store.session() as s:
            key = (name.strip()[:256], provider.strip()[:256])
            self._unique(s, *key)
            row = ResourceRow(
                kind=kind_value,
                name=key[0],
                provider=key[1],
                description=description,
                keywords=_join(keywords),
                chain_nodes=_join(chain_nodes),
                parks=served,
                min_amount_fen=lo,
                max_amount_fen=hi,
                contact=contact.strip()[:256],
                active=True,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # added meanwhile by another officer: the database's key caught it
                self._taken(*key)
                raise
            after = {k: getattr(row, k) for k in ("kind", *_RESOURCE_FIELDS)}
            s.add(self._audit(actor, "resource.add", f"resource:{row.id}", row.version, None, after, ip))
            return to_resource(row)

    def update_resource(
        self, actor: User, resource_id: int, *, expected_version: int, ip: str = "", **changes: Any
    ) -> Resource:
        self._require(actor, CATALOGUE_EDITORS, "维护资源目录", "maintain the resource catalogue")
        unknown = set(changes) - set(_RESOURCE_FIELDS)
        if unknown:
            raise InputError(
                f"不能修改字段 {sorted(unknown)} (not editable); 可改 / editable: {', '.join(_RESOURCE_FIELDS)}"
            )
        clean: dict[str, Any] = {}
        for k, v in changes.items():
            if k == "parks":
                clean[k] = self._parks(v)
            elif k in ("keywords", "chain_nodes"):
                clean[k] = _join(v)
            elif k.endswith("_fen"):
                clean[k] = _fen(k, v)
            elif k == "active":
                clean[k] = bool(v)
            else:
                clean[k] = str(v).strip()[:256] if k in ("name", "provider", "contact") else str(v).strip()
        if "name" in clean and not clean["name"]:
            raise InputError("资源须有名称 (a resource needs a name)")
        with self._store.session() as s:
            row = s.get(ResourceRow, resource_id)
            if row is None:
                raise DemandNotFound(f"没有资源 #{resource_id} (no such resource)")
            self._check(row.version, expected_version, f"资源 #{resource_id}")
            lo, hi = (
                clean.get("min_amount_fen", row.min_amount_fen),
                clean.get("max_amount_fen", row.max_amount_fen),
            )
            if lo is not None and hi is not None and lo > hi:
                raise InputError(f"金额下限大于上限 (min {lo} > max {hi} fen); 请核对 / check the range")
            if "name" in clean or "provider" in clean:
                self._unique(s, clean.get("name", row.name), clean.get("provider", row.provider), row.id)
            before = {k: getattr(row, k) for k in clean if getattr(row, k) != clean[k]}
            after = {k: clean[k] for k in before}
            for k, v in after.items():
                setattr(row, k, v)
            if after:
                row.updated_at = self._clock()
                key = (row.name, row.provider)  # a failed flush expires the row: read them now
                try:
                    s.flush()
                except IntegrityError:  # the new name + provider was taken meanwhile
                    self._taken(*key, resource_id)
                    raise
                s.add(
                    self._audit(
                        actor, "resource.update", f"resource:{row.id}", row.version, before, after, ip
                    )
                )
            return to_resource(row)

    def resources(
        self, *, kind: ResourceKind | str | None = None, active_only: bool = True
    ) -> builtins.list[Resource]:
        with self._store.session() as s:
            q = select(ResourceRow).order_by(ResourceRow.id)
            if kind:
                q = q.where(ResourceRow.kind == parse_resource_kind(kind).value)
            if active_only:
                q = q.where(ResourceRow.active.is_(True))
            return [to_resource(r) for r in s.scalars(q)]

    # ---- demands -------------------------------------------------------------------------

    def submit_demand(
        self,
        actor: User,
        *,
        uscc: str,
        kind: DemandKind | str,
        title: str,
        detail: str = "",
        amount_fen: int | None = None,
        firm_name: str = "",
        park_id: str | None = None,
        chain_node: str | None = None,
        at: dt.datetime | None = None,
        ip: str = "",
    ) -> Demand:
        """An enterprise user submits for its own USCC; officers may enter a demand on a firm's behalf."""
        code = USCC.parse(uscc.strip()).code
        if actor.role is Role.ENTERPRISE_USER:
            if actor.uscc != code:
                raise actor.role.refuse(NotAllowed, "为其他企业提交需求", "submit demands for other firms")
        else:
            self._require(actor, OFFICERS, "代企业登记需求", "enter demands for firms")
        known = self.firms.firms([code]).get(code) if self.firms else None
        park_id = demand_park(actor, code, park_id, known, self.parks, self.park_names)
        if known is not None and not firm_name.strip():
            firm_name = known.name
        if not title.strip():
            raise InputError("需求须有标题 (a demand needs a title), 例如 / e.g. 500万元流动资金贷款")
        when = at or self._clock()
        if when > self._clock() + dt.timedelta(minutes=5):
            raise InputError("提交时间在未来 (submitted in the future); 请填写实际时间")
        with self._store.session() as s:
            row = DemandRow(
                uscc=code,
                firm_name=firm_name.strip()[:256],
                park_id=park_id or None,
                chain_node=chain_node or None,
                kind=parse_demand_kind(kind).value,
                title=title.strip()[:256],
                detail=detail,
                amount_fen=_fen("amount_fen", amount_fen),
                status="open",
                submitted_by=actor.id,
                submitted_at=when,
                due_at=when + dt.timedelta(days=self.response_days),
                resolution="",
                rating_comment="",
                updated_at=self._clock(),
            )
            s.add(row)
            s.flush()
            after = {"uscc": code, "kind": row.kind, "title": row.title, "amount_fen": row.amount_fen}
            s.add(self._audit(actor, "demand.submit", f"demand:{row.id}", row.version, None, after, ip))
            return to_demand(row)

    def demands(self, actor: User, *, status: str | None = None) -> builtins.list[Demand]:
        """The demands *actor* may see: an enterprise its own, a park officer its park's, officials all."""
        with self._store.session() as s:
            q = select(DemandRow).order_by(DemandRow.id)
            if actor.role is Role.ENTERPRISE_USER:
                q = q.where(DemandRow.uscc == (actor.uscc or ""))
            elif actor.role is Role.PARK_OFFICER:
                q = q.where(DemandRow.park_id == (actor.park_id or ""))
            else:
                self._require(actor, READERS, "查看企业需求", "see demands")
            if status:
                q = q.where(DemandRow.status == status)
            return [to_demand(r) for r in s.scalars(q)]

    def get_demand(self, actor: User, demand_id: int) -> Demand:
        with self._store.session() as s:
            row = self._demand(s, actor, demand_id)
            return to_demand(row)

    def matches(self, actor: User, demand_id: int) -> builtins.list[Match]:
        with self._store.session() as s:
            self._demand(s, actor, demand_id)
            q = select(MatchRow).where(MatchRow.demand_id == demand_id).order_by(MatchRow.id)
            return [to_match(m) for m in s.scalars(q)]

    def suggest(self, actor: User, demand_id: int, *, limit: int = 10) -> builtins.list[Suggestion]:
        """Resources ranked for the demand, with reasons (officers only)."""
        self._require(actor, OFFICERS | {Role.LEADER}, "查看资源推荐", "see suggestions")
        demand = self.get_demand(actor, demand_id)
        return rank(demand, self.resources(), limit=limit, park_names=self.park_names)

    def propose(
        self, actor: User, demand_id: int, resource_id: int, *, expected_version: int, ip: str = ""
    ) -> Match:
        """An officer offers a resource to the firm: the first proposal is the demand's first response."""
        self._require(actor, OFFICERS, "对接资源", "propose resources")
        with self._store.session() as s:
            row = self._demand(s, actor, demand_id)
            self._check(row.version, expected_version, f"需求 #{demand_id}")
            if row.status in ("resolved", "closed"):
                raise InputError(f"需求 #{demand_id} 已办结 (already resolved); 无需再对接")
            res = s.get(ResourceRow, resource_id)
            if res is None or not res.active:
                raise DemandNotFound(f"没有在用的资源 #{resource_id} (no such active resource)")
            self._eligible(s, row, res)
            suggestion = rank(to_demand(row), [to_resource(res)], limit=1, park_names=self.park_names)
            sc, reasons = (
                (suggestion[0].score, suggestion[0].reasons)
                if suggestion
                else (0.0, ("人工指定 (chosen by hand)",))
            )
            now = self._clock()
            before = {"status": row.status, "first_response_at": row.first_response_at}
            if row.first_response_at is None:
                row.first_response_at = now
            row.status = "responded"
            row.updated_at = now
            m = MatchRow(
                demand_id=row.id,
                resource_id=res.id,
                score=sc,
                reasons=json.dumps(list(reasons), ensure_ascii=False),
                status="proposed",
                created_by=actor.id,
                created_at=now,
            )
            s.add(m)
            s.flush()
            after = {"status": row.status, "first_response_at": row.first_response_at, "resource_id": res.id}
            s.add(self._audit(actor, "demand.propose", f"demand:{row.id}", row.version, before, after, ip))
            return to_match(m)

    def resolve(
        self,
        actor: User,
        demand_id: int,
        *,
        resolution: str,
        expected_version: int,
        at: dt.datetime | None = None,
        ip: str = "",
    ) -> Demand:
        self._require(actor, OFFICERS, "办结需求", "resolve demands")
        if not resolution.strip():
            raise InputError(
                "办结须说明结果 (a resolution needs a description), 例如 / e.g. 已获批贷款300万元"
            )
        with self._store.session() as s:
            row = self._demand(s, actor, demand_id)
            self._check(row.version, expected_version, f"需求 #{demand_id}")
            if row.status in ("resolved", "closed"):
                raise InputError(f"需求 #{demand_id} 已办结 (already resolved)")
            now = at or self._clock()
            before = {"status": row.status, "resolution": row.resolution}
            row.status = "resolved"
            row.resolution = resolution.strip()
            row.resolved_at = now
            if row.first_response_at is None:
                row.first_response_at = now
            row.updated_at = self._clock()
            s.flush()
            after = {"status": row.status, "resolution": row.resolution}
            s.add(self._audit(actor, "demand.resolve", f"demand:{row.id}", row.version, before, after, ip))
            return to_demand(row)

    def rate(
        self,
        actor: User,
        demand_id: int,
        rating: int,
        *,
        expected_version: int,
        comment: str = "",
        ip: str = "",
    ) -> Demand:
        """The firm rates how its resolved demand was handled (1 = poor … 5 = excellent)."""
        if actor.role is not Role.ENTERPRISE_USER:  # only the enterprise rates its demand
            raise actor.role.refuse(NotAllowed, "评价企业需求的办理", "rate how a demand was handled")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
            raise InputError(f"评分须为 1 到 5 的整数 (rating must be 1-5), 收到 {rating!r}")
        with self._store.session() as s:
            row = self._demand(s, actor, demand_id)
            self._check(row.version, expected_version, f"需求 #{demand_id}")
            if row.status != "resolved":
                raise InputError("需求办结后才能评价 (rate after the demand is resolved)")
            before = {"rating": row.rating, "rating_comment": row.rating_comment}
            row.rating, row.rating_comment = rating, comment.strip()
            row.updated_at = self._clock()
            s.flush()
            after = {"rating": rating, "rating_comment": row.rating_comment}
            s.add(self._audit(actor, "demand.rate", f"demand:{row.id}", row.version, before, after, ip))
            return to_demand(row)

    # ---- helpers -------------------------------------------------------------------------

    def _parks(self, parks: Iterable[str] | str) -> str:
        """The parks a resource serves, as written (ids or names) → their ids, comma-joined."""
        return ",".join(resolve_parks(_join(parks).split(","), self.parks))

    @staticmethod
    def _unique(s: Session, name: str, provider: str, own_id: int | None = None) -> None:
        """Name + provider is the catalogue's key (as in the Excel import): one resource each."""
        q = select(ResourceRow.id).where(ResourceRow.name == name, ResourceRow.provider == provider)
        other = next((i for i in s.scalars(q) if i != own_id), None)
        if other is not None:
            raise AlreadyThere(
                f"资源目录已有 '{name}' / '{provider or '(无提供方)'}' (资源 #{other}); 请修改该资源而不要重复新增 "
                f"(name + provider is the catalogue's key: update resource #{other} instead)"
            )

    def _taken(self, name: str, provider: str, own_id: int | None = None) -> None:
        """After the database refused a write on the catalogue's key (a resource committed between
        :meth:`_unique` and the write): :class:`AlreadyThere` naming it, read in a fresh session."""
        with self._store.session() as fresh:
            self._unique(fresh, name, provider, own_id)

    def _eligible(self, s: Session, demand: DemandRow, res: ResourceRow) -> None:
        """A proposal must be one the suggestions could show for the park, and only once."""
        served = to_resource(res).parks
        if served and demand.park_id not in served:
            names = ", ".join(park_label(p, self.park_names) for p in served)
            raise InputError(
                f"资源 #{res.id} {res.name} 只服务 {names}, 需求 #{demand.id} 属于 "
                f"{park_label(demand.park_id, self.park_names)}; 请选择服务该园区的资源 "
                "(the resource does not serve the demand's park: choose one that does)"
            )
        q = select(MatchRow.id).where(MatchRow.demand_id == demand.id, MatchRow.resource_id == res.id)
        earlier = s.scalars(q).first()
        if earlier is not None:
            raise AlreadyThere(
                f"资源 #{res.id} {res.name} 已对接给需求 #{demand.id} (对接 #{earlier}); 无需重复对接 "
                f"(already proposed for this demand as match #{earlier})"
            )

    @staticmethod
    def _require(actor: User, roles: frozenset[Role], zh: str, en: str) -> None:
        """:class:`NotAllowed` (``招商专员无权…``, see :meth:`Role.refusal`) unless *actor* has one of *roles*."""
        if not actor.active or actor.role not in roles:
            raise actor.role.refuse(NotAllowed, zh, en)

    def _demand(self, s: Session, actor: User, demand_id: int) -> DemandRow:
        row = s.get(DemandRow, demand_id)
        if row is None:
            raise DemandNotFound(f"没有需求 #{demand_id} (no such demand)")
        if actor.role is Role.ENTERPRISE_USER and row.uscc != actor.uscc:
            raise actor.role.refuse(NotAllowed, "查看其他企业的需求", "see other firms' demands")
        if actor.role is Role.PARK_OFFICER and row.park_id != actor.park_id:
            own = park_name(actor.park_id, self.park_names)  # not the demand's park: not theirs to know
            raise actor.role.refuse(
                NotAllowed, f"处理园区 {own} 以外企业的需求", f"handle demands of firms outside park {own}"
            )
        if not actor.active or actor.role not in READERS | {Role.ENTERPRISE_USER}:
            raise actor.role.refuse(NotAllowed, "查看企业需求", "see demands")
        return row

    @staticmethod
    def _check(version: int, expected: int, what: str) -> None:
        if version != expected:
            raise ConcurrentUpdate(
                f"{what} 已被他人修改 (changed by someone else: version {version}, you had {expected}); "
                "请刷新后重试 / reload and retry"
            )

    @staticmethod
    def _audit(
        actor: User,
        action: str,
        target: str,
        version: int,
        before: dict[str, Any] | None,
        after: dict[str, Any],
        ip: str,
    ) -> Any:
        return audit_row(
            action,
            user_id=actor.id,
            username=actor.username,
            role=actor.role.value,
            target=target,
            detail={"version": version, "before": before, "after": after},
            ip=ip,
        )
