"""Four eyes across accounts: who counts as one person, and when a new account may act.

Internal-audit QA: the auditor, the zone's only admin, created two accounts and with them created,
reviewed, published, approved and paid a batch; every four-eyes check passed, the accounts being
different. Two controls close it (docs/adr/0014-one-admin-cannot-move-money-alone.md):

* **Linked accounts are one person.** For the four-eyes pairs (the service's ``_four_eyes``), an
  account also counts as the same person as the user who created it or last gave it its role or
  scope (:class:`~zonebrain.appstore.Grant`), and the other way round: an admin never reviews,
  approves or pays what an account they made took a step in, nor does that account for them
  (:func:`link`).
* **Cooling-off.** An account a user of the app created, gave a new role or scope, or activated
  again takes no step of the workflow (recording an objection excepted) until
  ``new_account_hold_hours`` have passed (default 24; :func:`cooling_off`), so an account made
  for the occasion cannot act before others see it in the user list and the audit log.

Accounts made by the operator on the server (``zonebrain users add``, the demo) and accounts made
before revision 0010 have no grantor: neither control applies to them (the operator holds the
database, which no in-app rule binds). A zone with a single admin therefore still pays, with
people that admin created: each may act with the others, but never with the admin.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zonebrain.appstore import AccountGrantRow, UserRow
from zonebrain.core import settings
from zonebrain.core.clock import beijing_text, utcnow
from zonebrain.core.errors import InputError
from zonebrain.disbursement._model import DutyRefused

HOLD_SETTING: Final = "new_account_hold_hours"
"""The setting (:mod:`zonebrain.core.settings`) giving the cooling-off, in hours."""
MAX_HOLD_HOURS: Final = 720
"""The longest cooling-off a zone may set: 30 days."""


class AccountOnHold(DutyRefused):
    """The account's powers are newer than the cooling-off (:func:`cooling_off`); audited ``denied``."""


def hold_hours(value: int | str | None = None) -> int:
    """The cooling-off in hours: *value*, else ``$ZONEBRAIN_NEW_ACCOUNT_HOLD_HOURS``, else 24; 0 for
    none. Not a whole number from 0 to :data:`MAX_HOLD_HOURS`: an InputError naming the variable."""
    env = settings.BY_NAME[HOLD_SETTING].env
    raw = str(value) if value is not None else settings.get(HOLD_SETTING)
    try:
        hours = int(raw.strip())
    except ValueError:
        hours = -1
    if not 0 <= hours <= MAX_HOLD_HOURS:
        raise InputError(
            f"冷静期 {env}={raw!r} 无效, 须为 0 至 {MAX_HOLD_HOURS} 的整数 (小时), 如 24 "
            f"(the cooling-off must be a whole number of hours from 0 to {MAX_HOLD_HOURS})"
        )
    return hours


def _name(s: Session, user_id: int | None) -> str:
    row = s.get(UserRow, user_id) if user_id is not None else None
    return row.username if row is not None else f"#{user_id}"


def _hold_end(g: AccountGrantRow | None, now: dt.datetime | None) -> dt.datetime | None:
    """When the cooling-off of grant *g* ends (naive UTC), while it lasts at *now* (default the
    present); None for the operator's account, one made before grants were recorded, or once over."""
    if g is None or g.granted_by is None or g.granted_at is None:
        return None
    until = g.granted_at + dt.timedelta(hours=hold_hours())
    return until if (now or utcnow()) < until else None


def cooling_off(s: Session, user: UserRow, zh: str, en: str, *, now: dt.datetime | None = None) -> None:
    """Refuse *user* the step (*zh*, *en*: ``审批兑现批次``, ``approve a batch``) while a user of the
    app gave the account its powers less than :func:`hold_hours` ago (naive UTC *now*, default the
    present: grants are stamped with it), saying who did, when, and from when it may act."""
    g = s.get(AccountGrantRow, user.id)
    until = _hold_end(g, now)
    if g is None or until is None:
        return
    hours = hold_hours()
    created = g.created_by == g.granted_by and g.granted_at == user.created_at
    how_zh, how_en = (
        ("创建", "created") if created else ("授予角色或重新启用", "given its role or activated again")
    )
    by, at, end = _name(s, g.granted_by), beijing_text(g.granted_at), beijing_text(until)
    raise AccountOnHold(
        f"账号 {user.username} 由 {by} 于 {at} {how_zh}, 在 {hours} 小时冷静期内不能{zh}; "
        f"请于 {end} (北京时间) 之后办理, 或由其他工作人员办理 (account {user.username} was {how_en} by "
        f"{by} at {at}: it may not {en} during its {hours}-hour cooling-off, until {end} Beijing time)",
        reason=f"账号冷静期至 {end} (the account's cooling-off lasts until {end}; {how_en} by {by})",
    )


def link(s: Session, actor_id: int, other_id: int) -> tuple[str, str] | None:
    """How the accounts *actor_id* and *other_id* are one person (Chinese, English), or None: one
    created the other, or last gave it its role or scope."""
    if actor_id == other_id:
        return None
    for a, b in ((actor_id, other_id), (other_id, actor_id)):
        g = s.get(AccountGrantRow, b)
        if g is None:
            continue
        maker, made = _name(s, a), _name(s, b)
        if g.created_by == a:
            return f"{made} 的账号由 {maker} 创建", f"{maker} created {made}'s account"
        if g.granted_by == a:
            return f"{made} 的角色由 {maker} 授予", f"{maker} gave {made} its role"
    return None


@dataclass(frozen=True, slots=True)
class Standing:
    """What the four-eyes rules make of one account, for pages that offer only the steps the
    service would take: ``me``, the usernames that count as the same person (the account's own,
    the account that made it or gave it its role, and those it made or gave theirs: :func:`link`);
    ``hold_until``, the end of its cooling-off (naive UTC) while it lasts, else None."""

    me: frozenset[str]
    hold_until: dt.datetime | None = None


def standing(s: Session, user_id: int, username: str, *, now: dt.datetime | None = None) -> Standing:
    """The :class:`Standing` of the account *user_id* (*username*), as :func:`link` and
    :func:`cooling_off` read the grants at naive UTC *now* (default the present)."""
    mine = s.get(AccountGrantRow, user_id)
    ids = {x for x in (mine.created_by, mine.granted_by) if x is not None} if mine is not None else set()
    made = select(AccountGrantRow.user_id).where(
        or_(AccountGrantRow.created_by == user_id, AccountGrantRow.granted_by == user_id)
    )
    ids |= set(s.scalars(made))
    ids.discard(user_id)
    names = set(s.scalars(select(UserRow.username).where(UserRow.id.in_(ids)))) if ids else set()
    return Standing(frozenset({username, *names}), _hold_end(mine, now))
