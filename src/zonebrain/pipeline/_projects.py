"""The project service: create, edit (optimistic version), move stages, notes, hand-over.

Every write runs in one app-store transaction together with its audit-log row (who, when,
before, after) and its project event, so the history and the audit never disagree with the data.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zonebrain.appstore import ConcurrentUpdate, Role, User, UserRow, utcnow
from zonebrain.appstore.pipeline_models import ProjectEventRow, ProjectRow, audit_row
from zonebrain.core.clock import beijing, beijing_text
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC
from zonebrain.pipeline._model import (
    EDITABLE,
    MONEY_FIELDS,
    Created,
    NotAllowed,
    Project,
    ProjectEvent,
    ProjectNotFound,
    PursuitWarning,
    to_event,
    to_project,
)
from zonebrain.pipeline._names import normalise_name
from zonebrain.pipeline._stages import FINAL, Origin, Stage, check_move, parse_origin, parse_stage

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore
    from zonebrain.registry import Zone

EDITORS = frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER, Role.PARK_OFFICER})
"""Roles that write projects (park officers: their own park only)."""
READERS = frozenset({*EDITORS, Role.LEADER, Role.POLICY_RESEARCHER})
"""Roles that see the shared pipeline (enterprise users do not)."""
OWNERS = frozenset({Role.ADMIN, Role.INVESTMENT_OFFICER, Role.PARK_OFFICER})
"""Roles a project may be assigned to."""


def may_read(actor: User) -> bool:
    return actor.active and actor.role in READERS


def may_edit(actor: User, park_id: str) -> bool:
    if not actor.active or actor.role not in EDITORS:
        return False
    return actor.role is not Role.PARK_OFFICER or actor.park_id == park_id


def _require_read(actor: User) -> None:
    if not may_read(actor):
        raise actor.role.refuse(NotAllowed, "查看项目库", "see the pipeline")


def _clean_uscc(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return USCC.parse(value.strip()).code


def _clean_fen(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} 须为整数分 (must be integer fen), 收到 / got {value!r}")
    if value < 0:
        raise InputError(f"{name} 不能为负 (must not be negative): {value}")
    return value


def _clean(field: str, value: Any) -> Any:
    if field == "name":
        text = str(value or "").strip()
        if not text:
            raise InputError("项目须有企业名称 (a project needs the firm's name)")
        return text[:256]
    if field == "uscc":
        return _clean_uscc(value)
    if field == "park_id":
        text = str(value or "").strip()
        if not text:
            raise InputError("项目须指定园区 (a project needs a park), 例如 / e.g. wutong")
        return text
    if field == "origin":
        if not isinstance(value, str) or not value.strip():
            raise InputError(
                "项目须有来源 (a project needs an origin): targeting, referral, event, agency, other"
            )
        return parse_origin(value).value
    if field in MONEY_FIELDS or field == "promised_jobs":
        return _clean_fen(field, value)
    if field == "chain_node":
        return (str(value).strip() or None) if value is not None else None
    if field == "notes":
        return str(value or "")
    raise InputError(
        f"不能直接修改字段 '{field}' (not an editable field); 可改 / editable: {', '.join(EDITABLE)}"
    )


@dataclass(frozen=True)
class NewProject:
    """One project to add (the fields of :meth:`Pipeline.create`); Excel import builds these."""

    name: str
    park_id: str
    origin: Origin | str
    owner: str | None = None
    uscc: str | None = None
    chain_node: str | None = None
    promised_investment_fen: int | None = None
    promised_output_fen: int | None = None
    promised_tax_fen: int | None = None
    promised_jobs: int | None = None
    notes: str = ""
    stage: Stage | str = Stage.LEAD
    at: dt.datetime | None = None


class Pipeline:
    """招商项目库: one shared pipeline across departments and parks.

    With a *zone*, park ids are checked and parks may be named as in the zone file (梧桐, 梧桐街道);
    messages then name parks by their short names (石佛), else by their ids.
    ``clock`` returns "now" (naive UTC); tests pass a fixed one.
    """

    def __init__(
        self,
        store: AppStore,
        *,
        zone: Zone | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._store = store
        self._clock = clock
        self._parks: dict[str, str] = {}
        self._names: dict[str, str] = {}
        if zone is not None:
            for park in zone.parks:
                self._names[park.id] = park.short_name
                for alias in (park.id, park.short_name, park.division_code, *park.names):
                    if alias:
                        self._parks[str(alias).casefold()] = park.id

    # ---- reading ---------------------------------------------------------------------------

    def get(self, project_id: int) -> Project:
        with self._store.session() as s:
            return self._project(s, self._row(s, project_id))

    def list(
        self,
        *,
        park_id: str | None = None,
        owner: str | None = None,
        stage: Stage | str | None = None,
        origin: Origin | str | None = None,
        include_terminated: bool = True,
    ) -> builtins.list[Project]:
        """Projects, oldest first, filtered by park, owner (username), stage and origin."""
        with self._store.session() as s:
            q = select(ProjectRow, UserRow.username).join(UserRow, UserRow.id == ProjectRow.owner_id)
            if park_id:
                q = q.where(ProjectRow.park_id == park_id)
            if owner:
                q = q.where(UserRow.username == owner)
            if stage:
                q = q.where(ProjectRow.stage == parse_stage(stage).value)
            if origin:
                q = q.where(ProjectRow.origin == parse_origin(origin).value)
            if not include_terminated:
                q = q.where(ProjectRow.stage != Stage.TERMINATED.value)
            return [to_project(r, u) for r, u in s.execute(q.order_by(ProjectRow.id))]

    def events(self, project_id: int) -> builtins.list[ProjectEvent]:
        """The project's history, in the order it happened."""
        with self._store.session() as s:
            self._row(s, project_id)
            q = (
                select(ProjectEventRow)
                .where(ProjectEventRow.project_id == project_id)
                .order_by(ProjectEventRow.at, ProjectEventRow.id)
            )
            return [to_event(r) for r in s.scalars(q)]

    def all_events(self) -> builtins.list[ProjectEvent]:
        with self._store.session() as s:
            q = select(ProjectEventRow).order_by(
                ProjectEventRow.project_id, ProjectEventRow.at, ProjectEventRow.id
            )
            return [to_event(r) for r in s.scalars(q)]

    def usccs(self, *, include_terminated: bool = False) -> dict[str, int]:
        """USCC → the id of the oldest project pursuing that firm (live ones only by default).

        The targeting hand-off uses it twice, so the two always agree: firms listed here are left
        out of candidate scoring, and marked 已在项目库 on the candidate page.
        """
        with self._store.session() as s:
            q = select(ProjectRow.uscc, ProjectRow.id).where(ProjectRow.uscc.is_not(None))
            if not include_terminated:
                q = q.where(ProjectRow.stage != Stage.TERMINATED.value)
            out: dict[str, int] = {}
            for uscc, pid in s.execute(q.order_by(ProjectRow.id)):
                if uscc:
                    out.setdefault(uscc, pid)
            return out

    def existing(
        self, *, name: str, uscc: str | None, include_terminated: bool = False, session: Session | None = None
    ) -> int | None:
        """The id of the oldest project already pursuing this firm, or None: the natural key of the
        project import. The firm is its USCC; while either side has no USCC, its normalised name
        (the duplicate-pursuit rule). 终止 projects count only with *include_terminated*. With
        *session*, read in that transaction (the import looks up and inserts in one)."""
        code = _clean_uscc(uscc)
        match = [ProjectRow.name_key == normalise_name(name)]
        if code:
            match.append(ProjectRow.uscc == code)
        q = select(ProjectRow.id, ProjectRow.uscc).where(or_(*match))
        if not include_terminated:
            q = q.where(ProjectRow.stage != Stage.TERMINATED.value)
        if session is None:
            with self._store.session() as s:
                found = list(s.execute(q.order_by(ProjectRow.id)))
        else:
            found = list(session.execute(q.order_by(ProjectRow.id)))
        by_code = [pid for pid, other in found if code and other == code]
        by_name = [pid for pid, other in found if not code or not other]
        first = by_code or by_name
        return first[0] if first else None

    def check_time(self, at: dt.datetime) -> dt.datetime:
        """*at* (naive UTC or aware) as stored; InputError when it is in the future."""
        return self._when(at)

    def find_pursuits(
        self, *, name: str, uscc: str | None, park_id: str, owner: str
    ) -> builtins.list[PursuitWarning]:
        """The warnings creating this project would raise (nothing is written)."""
        code = _clean_uscc(uscc)
        park = self.park_id(park_id)
        with self._store.session() as s:
            owner_row = self._owner(s, owner, park)
            return self._warnings(s, code, normalise_name(name), park, owner_row.id, exclude=0)

    def pursuit_warnings(self, project_id: int) -> builtins.list[PursuitWarning]:
        """Other live projects after the same firm as *project_id*."""
        with self._store.session() as s:
            row = self._row(s, project_id)
            return self._warnings(s, row.uscc, row.name_key, row.park_id, row.owner_id, exclude=row.id)

    # ---- writing ---------------------------------------------------------------------------

    def create(
        self,
        actor: User,
        *,
        name: str,
        park_id: str,
        origin: Origin | str,
        owner: str | None = None,
        uscc: str | None = None,
        chain_node: str | None = None,
        promised_investment_fen: int | None = None,
        promised_output_fen: int | None = None,
        promised_tax_fen: int | None = None,
        promised_jobs: int | None = None,
        notes: str = "",
        stage: Stage | str = Stage.LEAD,
        at: dt.datetime | None = None,
        ip: str = "",
    ) -> Created:
        """Add a project (by default a 线索 owned by *actor*); warn when someone already pursues the firm."""
        draft = NewProject(
            name=name,
            park_id=park_id,
            origin=origin,
            owner=owner,
            uscc=uscc,
            chain_node=chain_node,
            promised_investment_fen=promised_investment_fen,
            promised_output_fen=promised_output_fen,
            promised_tax_fen=promised_tax_fen,
            promised_jobs=promised_jobs,
            notes=notes,
            stage=stage,
            at=at,
        )
        return self.create_many(actor, [draft], ip=ip)[0]

    def create_many(
        self, actor: User, drafts: Sequence[NewProject], *, ip: str = ""
    ) -> builtins.list[Created]:
        """Add several projects in one transaction: all of them or (on any error) none."""
        prepared = [self._prepare(actor, d) for d in drafts]
        with self._store.session() as s:
            out = []
            for d, clean, first, when in prepared:
                owner_row = self._owner(s, d.owner or actor.username, clean["park_id"])
                out.append(self._insert(s, actor, clean, first, when, owner_row, ip))
            return out

    def check_owner(self, username: str, park_id: str) -> str | None:
        """Why *username* cannot own a project in *park_id* (None when they can)."""
        with self._store.session() as s:
            try:
                self._owner(s, username, park_id)
            except InputError as exc:
                return str(exc)
            return None

    def park_id(self, text: str) -> str:
        """The park id for an id, short name or name (``梧桐``, ``梧桐街道`` → ``wutong``) when a zone is set."""
        text = str(text or "").strip()
        if not self._parks:
            return text
        try:
            return self._parks[text.casefold()]
        except KeyError:
            raise InputError(
                f"未知园区 '{text}' (unknown park); 可用 / use one of: {', '.join(sorted(set(self._parks.values())))}"
            ) from None

    def park_name(self, park_id: str | None) -> str:
        """A park as messages name it: its short name (``shifo`` → ``石佛``) when a zone is set, else its id."""
        return self._names.get(park_id or "", park_id or "(未分园区 / no park)")

    def _require_edit(self, actor: User, park_id: str) -> None:
        """:class:`NotAllowed` unless *actor* may write projects of *park_id*: the refusal names the
        role and (for a park officer) the park by name; their codes travel as the error's ``codes``."""
        if may_edit(actor, park_id):
            return
        if actor.active and actor.role is Role.PARK_OFFICER:
            name = self.park_name(park_id)
            raise actor.role.refuse(
                NotAllowed, f"修改园区 {name} 的项目", f"change projects of park {name}", park_id=park_id
            )
        raise actor.role.refuse(NotAllowed, "修改项目", "change projects")

    def _prepare(self, actor: User, d: NewProject) -> tuple[NewProject, dict[str, Any], Stage, dt.datetime]:
        values = {k: getattr(d, k) for k in EDITABLE}
        values["park_id"] = self.park_id(d.park_id)
        clean = {k: _clean(k, v) for k, v in values.items()}
        self._require_edit(actor, clean["park_id"])
        first = parse_stage(d.stage)
        if first is Stage.TERMINATED:
            raise InputError("新项目不能处于终止阶段 (a new project cannot start terminated)")
        return d, clean, first, self._when(d.at)

    def _insert(
        self,
        s: Session,
        actor: User,
        clean: dict[str, Any],
        first: Stage,
        when: dt.datetime,
        owner_row: UserRow,
        ip: str,
    ) -> Created:
        now = self._clock()
        row = ProjectRow(
            **clean,
            name_key=normalise_name(clean["name"]),
            stage=first.value,
            owner_id=owner_row.id,
            stage_since=when,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        warnings = self._warnings(s, row.uscc, row.name_key, row.park_id, row.owner_id, exclude=row.id)
        after = {**clean, "stage": first.value, "owner": owner_row.username}
        self._event(s, row, actor, "created", when, to_stage=first, detail={"after": after})
        s.add(self._audit(actor, "project.create", row, {"before": None, "after": after}, ip))
        if warnings:
            detail = {"warnings": [w.project_id for w in warnings]}
            s.add(self._audit(actor, "project.pursuit_warning", row, detail, ip, outcome="warned"))
        return Created(self._project(s, row), tuple(warnings))

    def update(
        self, actor: User, project_id: int, *, expected_version: int, ip: str = "", **changes: Any
    ) -> Project:
        """Change editable fields; :class:`ConcurrentUpdate` when someone else wrote since *expected_version*."""
        if "park_id" in changes:
            changes["park_id"] = self.park_id(changes["park_id"])
        clean = {k: _clean(k, v) for k, v in changes.items()}
        with self._store.session() as s:
            row = self._row(s, project_id)
            self._require_edit(actor, row.park_id)
            self._check_version(row, expected_version)
            if "park_id" in clean:
                self._require_edit(actor, clean["park_id"])
            before = {k: getattr(row, k) for k in clean if getattr(row, k) != clean[k]}
            after = {k: clean[k] for k in before}
            if not after:
                return self._project(s, row)
            if "park_id" in after:
                self._check_owner_moves(s, row, after["park_id"])
            for k, v in after.items():
                setattr(row, k, v)
            if "name" in after:
                row.name_key = normalise_name(row.name)
            row.updated_at = self._clock()
            s.flush()  # the version check happens here: UPDATE … WHERE version = :read
            detail = {"before": before, "after": after}
            self._event(s, row, actor, "update", self._clock(), detail=detail)
            s.add(self._audit(actor, "project.update", row, detail, ip))
            return self._project(s, row)

    def move(
        self,
        actor: User,
        project_id: int,
        to: Stage | str,
        *,
        expected_version: int,
        reason: str = "",
        at: dt.datetime | None = None,
        ip: str = "",
    ) -> Project:
        """Move to another stage. Forward moves may skip stages; back, 终止 and re-open need a reason."""
        target = parse_stage(to)
        when = self._when(at)
        with self._store.session() as s:
            row = self._row(s, project_id)
            self._require_edit(actor, row.park_id)
            self._check_version(row, expected_version)
            current = Stage(row.stage)
            check_move(current, target, reason)
            if when < row.stage_since:
                raise InputError(
                    f"阶段变更时间 {beijing(when):%Y-%m-%d} 早于进入当前阶段的时间 {beijing(row.stage_since):%Y-%m-%d} "
                    "(the move cannot predate the current stage); 请检查日期 / check the date"
                )
            before = {"stage": row.stage, "terminated_reason": row.terminated_reason}
            row.stage = target.value
            row.terminated_reason = reason.strip() if target is Stage.TERMINATED else None
            row.stage_since = when
            row.updated_at = self._clock()
            s.flush()
            after = {"stage": row.stage, "terminated_reason": row.terminated_reason}
            self._event(
                s, row, actor, "stage", when, from_stage=current, to_stage=target, text=reason.strip()
            )
            s.add(self._audit(actor, "project.stage", row, {"before": before, "after": after}, ip))
            return self._project(s, row)

    def hand_over(
        self,
        actor: User,
        project_id: int,
        to_owner: str,
        *,
        expected_version: int,
        reason: str = "",
        ip: str = "",
    ) -> Project:
        """Give the project to another officer; the hand-over stays in the project's history."""
        with self._store.session() as s:
            row = self._row(s, project_id)
            self._require_edit(actor, row.park_id)
            self._check_version(row, expected_version)
            old = s.get(UserRow, row.owner_id)
            new = self._owner(s, to_owner, row.park_id)
            if new.id == row.owner_id:
                raise InputError(f"项目已由 {to_owner} 负责 (already owned by {to_owner})")
            row.owner_id = new.id
            row.updated_at = self._clock()
            s.flush()
            detail = {"before": {"owner": old.username if old else None}, "after": {"owner": new.username}}
            self._event(s, row, actor, "handover", self._clock(), text=reason.strip(), detail=detail)
            s.add(self._audit(actor, "project.handover", row, {**detail, "reason": reason.strip()}, ip))
            return self._project(s, row)

    def add_note(
        self, actor: User, project_id: int, text: str, *, at: dt.datetime | None = None, ip: str = ""
    ) -> ProjectEvent:
        """A dated note (a call, a visit, a meeting). Notes do not change the stage or the version."""
        if not text.strip():
            raise InputError("记录内容不能为空 (a note needs text)")
        when = self._when(at)
        with self._store.session() as s:
            row = self._row(s, project_id)
            self._require_edit(actor, row.park_id)
            ev = self._event(s, row, actor, "note", when, text=text.strip())
            s.add(self._audit(actor, "project.note", row, {"before": None, "after": {"note": ev.id}}, ip))
            return to_event(ev)

    # ---- helpers ---------------------------------------------------------------------------

    def _when(self, at: dt.datetime | None) -> dt.datetime:
        now = self._clock()
        if at is None:
            return now
        at = at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at
        if at > now + dt.timedelta(minutes=5):
            raise InputError(
                f"时间 {beijing_text(at)} (北京时间 Beijing time) 在未来 (in the future); "
                "请填写实际发生的时间 / give the time it happened"
            )
        return at

    @staticmethod
    def _row(s: Session, project_id: int) -> ProjectRow:
        row = s.get(ProjectRow, project_id)
        if row is None:
            raise ProjectNotFound(f"没有项目 #{project_id} (no such project)")
        return row

    @staticmethod
    def _check_version(row: ProjectRow, expected: int) -> None:
        if row.version != expected:
            raise ConcurrentUpdate(
                f"项目 #{row.id} 已被他人修改 (changed by someone else: version {row.version}, you had "
                f"{expected}); 请刷新后重试 / reload and retry"
            )

    @staticmethod
    def _project(s: Session, row: ProjectRow) -> Project:
        owner = s.get(UserRow, row.owner_id)
        return to_project(row, owner.username if owner else "")

    def _check_owner_moves(self, s: Session, row: ProjectRow, park_id: str) -> None:
        """A project moves to another park only with an owner who may own it there: a park
        officer of the old park must hand it over first (the move never changes the owner)."""
        owner = s.get(UserRow, row.owner_id)
        if owner is not None and Role(owner.role) is Role.PARK_OFFICER and owner.park_id != park_id:
            old, new = self.park_name(owner.park_id), self.park_name(park_id)
            raise InputError(
                f"负责人 '{owner.username}' 是园区 {old} 的园区专员，不能负责园区 {new} 的项目；请先交接给"
                f"招商专员、系统管理员或园区 {new} 的园区专员，再修改园区 (the owner is a park officer of "
                f"park {old}: hand the project over first, then change the park)"
            )

    def _owner(self, s: Session, username: str, park_id: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        if row is None or not row.active:
            raise InputError(
                f"没有在用的用户 '{username}' (no active user); 查看 / see: zonebrain users list"
            )
        role = Role(row.role)
        if role not in OWNERS:
            raise InputError(
                f"用户 '{username}' 是{role.label}，不能负责项目；须为招商专员、园区专员或系统管理员 "
                f"({role.a_label_en} cannot own projects: an investment officer, park officer or "
                "administrator can)"
            )
        if role is Role.PARK_OFFICER and row.park_id != park_id:
            own, other = self.park_name(row.park_id), self.park_name(park_id)
            raise InputError(
                f"园区专员 '{username}' 只负责园区 {own} 的项目，不能负责园区 {other} 的项目 "
                f"(a park officer of park {own} owns that park's projects only)"
            )
        return row

    @staticmethod
    def _warnings(
        s: Session, uscc: str | None, name_key: str, park_id: str, owner_id: int, *, exclude: int
    ) -> builtins.list[PursuitWarning]:
        match = [ProjectRow.name_key == name_key]
        if uscc:
            match.append(ProjectRow.uscc == uscc)
        q = (
            select(ProjectRow, UserRow.username)
            .join(UserRow, UserRow.id == ProjectRow.owner_id)
            .where(or_(*match), ProjectRow.id != exclude, ProjectRow.stage != Stage.TERMINATED.value)
            .order_by(ProjectRow.id)
        )
        out = []
        for other, username in s.execute(q):
            if uscc and other.uscc == uscc:
                how = "uscc"
            elif uscc and other.uscc and other.uscc != uscc:
                continue  # two registered firms that merely share a name
            else:
                how = "name"
            if other.park_id != park_id:
                kind = "other_park"
            elif other.owner_id != owner_id:
                kind = "other_officer"
            else:
                kind = "duplicate"
            out.append(
                PursuitWarning(other.id, other.name, other.park_id, username, Stage(other.stage), how, kind)
            )
        return out

    @staticmethod
    def _event(
        s: Session,
        row: ProjectRow,
        actor: User,
        kind: str,
        at: dt.datetime,
        *,
        from_stage: Stage | None = None,
        to_stage: Stage | None = None,
        text: str = "",
        detail: dict[str, Any] | None = None,
    ) -> ProjectEventRow:
        ev = ProjectEventRow(
            project_id=row.id,
            at=at,
            recorded_at=utcnow(),
            user_id=actor.id,
            username=actor.username,
            kind=kind,
            from_stage=from_stage.value if from_stage else None,
            to_stage=to_stage.value if to_stage else None,
            text=text,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str, sort_keys=True),
        )
        s.add(ev)
        s.flush()
        return ev

    @staticmethod
    def _audit(
        actor: User, action: str, row: ProjectRow, detail: dict[str, Any], ip: str, outcome: str = "ok"
    ) -> Any:
        return audit_row(
            action,
            user_id=actor.id,
            username=actor.username,
            role=actor.role.value,
            target=f"project:{row.id}",
            detail={"version": row.version, **detail},
            ip=ip,
            outcome=outcome,
        )


def live(projects: Iterable[Project]) -> list[Project]:
    """Projects still moving (not 达产, not 终止)."""
    return [p for p in projects if p.stage not in FINAL]
