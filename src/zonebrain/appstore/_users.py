"""Users: accounts with argon2 password hashes, one role each, scoped to a park or an enterprise."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zonebrain.appstore._models import AccountGrantRow, UserRow
from zonebrain.appstore._roles import Role
from zonebrain.appstore._store import ConcurrentUpdate
from zonebrain.core.clock import beijing_text, utcnow
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC

if TYPE_CHECKING:
    from zonebrain.appstore._store import AppStore

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class User:
    """A user as the interfaces see it (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    park_id: str | None
    uscc: str | None
    active: bool
    created_at: dt.datetime
    version: int


@dataclass(frozen=True)
class Grant:
    """Who gave an account its powers (revision 0010). ``None``: the operator on the server
    (``zonebrain users …``, the demo), or unknown for an account made before the revision."""

    user_id: int
    created_by: int | None
    """The user who created the account in the app."""
    granted_by: int | None
    """The user who last created it, changed its role or scope, or activated it again."""
    granted_at: dt.datetime | None
    """When :attr:`granted_by` did (naive UTC)."""

    def granted_text(self, names: Mapping[int, str]) -> str:
        """``admin 2026-12-01 10:30``: who last gave the account its role in the app (*names*: user
        id → username), and when (Beijing time); ``—``: the operator on the server, or unknown."""
        if self.granted_by is None:
            return "—"
        return f"{names.get(self.granted_by, f'#{self.granted_by}')} {beijing_text(self.granted_at)}".strip()


def make_hasher(cost: str = "standard") -> PasswordHasher:
    """argon2id with the library's recommended parameters; ``"low"`` is for tests only."""
    if cost == "low":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    if cost != "standard":
        raise InputError(f"未知的口令强度 '{cost}' (unknown password cost); use standard or low")
    return PasswordHasher()


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        park_id=row.park_id,
        uscc=row.uscc,
        active=row.active,
        created_at=row.created_at,
        version=row.version,
    )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"口令至少 {MIN_PASSWORD} 个字符 (the password needs at least {MIN_PASSWORD} characters); "
            "请换一个更长的口令 / choose a longer one"
        )


def check_scope(role: Role, park_id: str | None, uscc: str | None) -> str | None:
    """Validate the role's scope; return the normalised USCC."""
    if role is Role.PARK_OFFICER and not park_id:
        raise InputError("园区专员须指定园区 (a park officer needs --park); 例如 / e.g. --park wutong")
    if role is not Role.PARK_OFFICER and park_id:
        raise InputError(f"只有园区专员才绑定园区 (only a park officer has a park; role is {role})")
    if role is Role.ENTERPRISE_USER:
        if not uscc:
            raise InputError("企业用户须指定统一社会信用代码 (an enterprise user needs --uscc)")
        return USCC.parse(uscc).code
    if uscc:
        raise InputError(f"只有企业用户才绑定企业 (only an enterprise user has a USCC; role is {role})")
    return None


class Users:
    """Accounts in the app store."""

    def __init__(self, store: AppStore, hasher: PasswordHasher) -> None:
        self._store = store
        self._hasher = hasher
        self._dummy = hasher.hash("timing-equaliser-for-unknown-users")

    def add(
        self,
        username: str,
        password: str,
        role: Role | str,
        *,
        display_name: str = "",
        park_id: str | None = None,
        uscc: str | None = None,
        by: User | None = None,
    ) -> User:
        """Create an account; raise InputError when the name is taken or a field is invalid.

        *by*: the user creating it in the app (an admin on the web), recorded as its creator and
        grantor (:class:`Grant`); None for the operator on the server (the CLI, the demo)."""
        role = _role(role)
        if not USERNAME.match(username):
            raise InputError(
                f"用户名 '{username}' 不合规 (invalid username): 2-64 个字母、数字或 _ . @ - / letters, digits, _ . @ -"
            )
        check_password(password)
        uscc = check_scope(role, park_id, uscc)
        now = utcnow()
        with self._store.session() as s:
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise InputError(
                    f"用户名 '{username}' 已存在 (username already taken); 请换一个 / choose another"
                )
            row = UserRow(
                username=username,
                display_name=display_name or username,
                password_hash=self._hasher.hash(password),
                role=role.value,
                park_id=park_id,
                uscc=uscc,
                active=True,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            if by is not None:
                s.add(AccountGrantRow(user_id=row.id, created_by=by.id, granted_by=by.id, granted_at=now))
            return _user(row)

    def get(self, username: str) -> User | None:
        with self._store.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def by_id(self, user_id: int) -> User | None:
        with self._store.session() as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def grant(self, username: str) -> Grant | None:
        """Who gave *username* its powers, or None when there is no such account."""
        with self._store.session() as s:
            user_id = s.scalar(select(UserRow.id).where(UserRow.username == username))
            if user_id is None:
                return None
            g = s.get(AccountGrantRow, user_id)
            return (
                Grant(user_id, None, None, None)
                if g is None
                else Grant(user_id, g.created_by, g.granted_by, g.granted_at)
            )

    def grants(self) -> dict[int, Grant]:
        """Every account's :class:`Grant` a user of the app gave (none: the operator, or unknown), by user id."""
        with self._store.session() as s:
            return {
                g.user_id: Grant(g.user_id, g.created_by, g.granted_by, g.granted_at)
                for g in s.scalars(select(AccountGrantRow))
            }

    def list(self) -> list[User]:
        with self._store.session() as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with that name and password, else None (same work either way)."""
        with self._store.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                self._verify(self._dummy, password)
                return None
            if not self._verify(row.password_hash, password) or not row.active:
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            return _user(row)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def set_password(self, username: str, password: str, *, expected_version: int | None = None) -> User:
        check_password(password)
        hashed = self._hasher.hash(password)

        def change(s: Session, row: UserRow) -> None:
            row.password_hash = hashed

        return self._update(username, change, expected_version)

    def set_active(
        self, username: str, active: bool, *, by: User | None = None, expected_version: int | None = None
    ) -> User:
        """Activate or deactivate *username*. Activating an inactive account gives it its powers
        again: *by* becomes its grantor (None: the operator), as for :meth:`set_role`."""

        def change(s: Session, row: UserRow) -> None:
            if active and not row.active:
                _granted(s, row, by)
            row.active = active

        return self._update(username, change, expected_version)

    def set_role(
        self,
        username: str,
        role: Role | str,
        *,
        park_id: str | None = None,
        uscc: str | None = None,
        by: User | None = None,
        expected_version: int | None = None,
    ) -> User:
        """Change *username*'s role and scope (park, USCC: checked as for :meth:`add`); *by* becomes
        its grantor (None: the operator on the server). Its sessions stay: the service reads the
        stored role at every step."""
        role = _role(role)
        uscc = check_scope(role, park_id, uscc)

        def change(s: Session, row: UserRow) -> None:
            row.role, row.park_id, row.uscc = role.value, park_id, uscc
            _granted(s, row, by)

        return self._update(username, change, expected_version)

    def _update(
        self, username: str, change: Callable[[Session, UserRow], None], expected_version: int | None
    ) -> User:
        with self._store.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise InputError(f"没有用户 '{username}' (no such user); 查看 / see: zonebrain users list")
            if expected_version is not None and row.version != expected_version:
                raise ConcurrentUpdate(
                    f"用户 '{username}' 已被他人修改 (changed by someone else: version {row.version}, "
                    f"you had {expected_version}); 请刷新后重试 / reload and retry"
                )
            change(s, row)
            row.updated_at = utcnow()
            s.flush()
            return _user(row)


def _granted(s: Session, row: UserRow, by: User | None) -> None:
    """*by* (a user of the app) gave *row* its powers now; by the operator (None), no user did."""
    with s.no_autoflush:  # the account's change is flushed once, bumping its version once
        g = s.get(AccountGrantRow, row.id)
    if by is not None:
        if g is None:
            g = AccountGrantRow(user_id=row.id)
            s.add(g)
        g.granted_by, g.granted_at = by.id, utcnow()
    elif g is not None:
        g.granted_by, g.granted_at = None, None


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            f"未知角色 '{role}' (unknown role); 可用 / use one of: {', '.join(r.value for r in Role)}"
        ) from None
