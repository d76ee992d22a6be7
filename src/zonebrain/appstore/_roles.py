"""Roles: who a user is to the zone. What each role may see is decided by the interfaces (web/)."""

from __future__ import annotations

from enum import StrEnum


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


ROLES: tuple[Role, ...] = tuple(Role)
