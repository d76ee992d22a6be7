"""Roles: who a user is to the zone. What each role may see is decided by the interfaces (web/)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

_E = TypeVar("_E", bound=Exception)


class Role(StrEnum):
    """The six roles of ZoneBrain (docs/web.md has the permission matrix)."""

    ADMIN = "admin"
    """系统管理员: everything, plus users, imports and the audit log."""
    LEADER = "leader"
    """领导: every page and every enterprise, read-only."""
    INVESTMENT_OFFICER = "investment_officer"
    """招商专员: aggregates, chains, complexity and the enterprise registry; no firm-level finance."""
    PARK_OFFICER = "park_officer"
    """园区专员: aggregates of the zone; enterprise-level data of their own park only."""
    POLICY_RESEARCHER = "policy_researcher"
    """政策研究员: aggregates and enterprise data (policy eligibility needs finance)."""
    ENTERPRISE_USER = "enterprise_user"
    """企业用户: their own enterprise (one USCC) only."""

    @property
    def label(self) -> str:
        """The role as people call it (``园区专员``): the web's ``role.<code>`` in zh-CN."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The role in English as inside a sentence (``park officer``): the web's ``role.<code>``
        in en, in lower case."""
        return _LABELS[self][1]

    @property
    def a_label_en(self) -> str:
        """:attr:`label_en` with its article, to begin a sentence's subject (``an administrator``)."""
        article = "an" if self.label_en[:1] in ("a", "e", "i", "o", "u") else "a"
        return f"{article} {self.label_en}"

    def refusal(self, zh: str, en: str) -> str:
        """A refusal naming the role by its name, Chinese first: ``refusal("修改园区 石佛 的项目",
        "change projects of park 石佛")`` → ``园区专员无权修改园区 石佛 的项目 (a park officer may not
        change projects of park 石佛)``. *zh* and *en* say what is refused; they name things by name
        (a park's, not its code): codes belong in an API's fields, not in sentences."""
        return f"{self.label}无权{zh} ({self.a_label_en} may not {en})"

    def refuse(self, error: type[_E], zh: str, en: str, **codes: str | None) -> _E:
        """The exception *error* with :meth:`refusal`'s sentence; the codes it speaks of (the role's,
        and e.g. ``park_id="shifo"``) travel with it as ``codes`` (a dict), for an API's ``detail``."""
        exc = error(self.refusal(zh, en))
        vars(exc)["codes"] = {"role": self.value, **{k: v for k, v in codes.items() if v}}
        return exc


_LABELS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "administrator"),
    Role.LEADER: ("领导", "leader"),
    Role.INVESTMENT_OFFICER: ("招商专员", "investment officer"),
    Role.PARK_OFFICER: ("园区专员", "park officer"),
    Role.POLICY_RESEARCHER: ("政策研究员", "policy researcher"),
    Role.ENTERPRISE_USER: ("企业用户", "enterprise user"),
}
"""Each role's name in Chinese and in English (lower case), as the web's catalogues word them."""

ROLES: tuple[Role, ...] = tuple(Role)
