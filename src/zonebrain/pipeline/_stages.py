"""Stages of an investment project, origins, and which stage moves are allowed."""

from __future__ import annotations

from enum import StrEnum

from zonebrain.core.errors import InputError


class Stage(StrEnum):
    """线索 → 接洽 → 考察 → 谈判 → 签约 → 注册落地 → 开工 → 投产 → 达产, or 终止 (with a reason)."""

    LEAD = "线索"
    CONTACT = "接洽"
    VISIT = "考察"
    NEGOTIATION = "谈判"
    SIGNED = "签约"
    REGISTERED = "注册落地"
    CONSTRUCTION = "开工"
    PRODUCTION = "投产"
    FULL_PRODUCTION = "达产"
    TERMINATED = "终止"

    @property
    def order(self) -> int:
        """Position on the path (0 = 线索 … 8 = 达产); 终止 is -1."""
        return PATH.index(self) if self in PATH else -1


PATH: tuple[Stage, ...] = tuple(s for s in Stage if s is not Stage.TERMINATED)
"""The nine stages in order."""

FINAL: frozenset[Stage] = frozenset({Stage.FULL_PRODUCTION, Stage.TERMINATED})
"""Stages that never stall."""


class Origin(StrEnum):
    """Where a lead came from (funnel analytics compares them)."""

    TARGETING = "targeting"
    """招商目标清单 (a candidate from targeting/)."""
    REFERRAL = "referral"
    """以商招商、熟人推荐."""
    EVENT = "event"
    """招商会、展会、论坛."""
    AGENCY = "agency"
    """中介、商协会、驻外招商机构."""
    OTHER = "other"


ORIGIN_ZH: dict[Origin, str] = {
    Origin.TARGETING: "目标清单",
    Origin.REFERRAL: "推荐",
    Origin.EVENT: "活动",
    Origin.AGENCY: "中介",
    Origin.OTHER: "其他",
}
"""An origin as the import template and the export write it."""


def parse_stage(value: str | Stage) -> Stage:
    """A stage from its Chinese name or English member name (``lead``, ``SIGNED``…)."""
    if isinstance(value, Stage):
        return value
    text = value.strip()
    for s in Stage:
        if text in (s.value, s.name, s.name.lower()):
            return s
    raise InputError(
        f"未知阶段 '{value}' (unknown stage); 可用 / use one of: {', '.join(s.value for s in Stage)}"
    )


def parse_origin(value: str | Origin) -> Origin:
    if isinstance(value, Origin):
        return value
    aliases = {zh: o.value for o, zh in ORIGIN_ZH.items()}
    text = aliases.get(value.strip(), value.strip().lower())
    try:
        return Origin(text)
    except ValueError:
        raise InputError(
            f"未知来源 '{value}' (unknown origin); 可用 / use one of: "
            + ", ".join(f"{o.value}" for o in Origin)
            + " (目标清单/推荐/活动/中介/其他)"
        ) from None


def check_move(current: Stage, target: Stage, reason: str) -> None:
    """Raise InputError unless moving *current* → *target* is allowed.

    Forward moves may skip stages. Moving back (a correction), terminating and re-opening a
    terminated project all need a *reason*.

    >>> check_move(Stage.LEAD, Stage.VISIT, "")
    >>> check_move(Stage.VISIT, Stage.TERMINATED, "")
    Traceback (most recent call last):
    ...
    zonebrain.core.errors.InputError: 终止项目须说明原因 (terminating needs a reason); 请填写 reason
    """
    if current is target:
        raise InputError(f"项目已处于 {target.value} 阶段 (already at this stage); 无需移动 / nothing to do")
    if target is Stage.TERMINATED and not reason.strip():
        raise InputError("终止项目须说明原因 (terminating needs a reason); 请填写 reason")
    if current is Stage.TERMINATED and not reason.strip():
        raise InputError("重启已终止的项目须说明原因 (re-opening needs a reason); 请填写 reason")
    if (
        target is not Stage.TERMINATED
        and current is not Stage.TERMINATED
        and target.order < current.order
        and not reason.strip()
    ):
        raise InputError(
            f"从 {current.value} 退回 {target.value} 须说明原因 (moving back needs a reason); 请填写 reason"
        )
