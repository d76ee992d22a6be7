"""Kinds of resources and of enterprise demands, and which resources can answer which demand."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from zonebrain.core.errors import InputError


class ResourceKind(StrEnum):
    BANK_LOAN = "bank_loan"
    """银行及贷款产品."""
    FUND = "fund"
    """创投基金、政府引导基金."""
    TALENT = "talent"
    """人才计划."""
    UNIVERSITY_LAB = "university_lab"
    """高校院所、重点实验室."""
    TECH_PLATFORM = "tech_platform"
    """公共技术服务平台 (检验检测、中试、算力…)."""
    OVERSEAS_CENTRE = "overseas_centre"
    """海外创新中心、离岸孵化器."""
    LAND_BUILDING = "land_building"
    """土地、厂房、楼宇载体."""


class DemandKind(StrEnum):
    FINANCING = "financing"
    """融资."""
    TALENT = "talent"
    """人才."""
    TECHNOLOGY = "technology"
    """技术."""
    POLICY = "policy"
    """政策."""
    MARKET = "market"
    """市场."""
    INTERNATIONAL = "international"
    """国际."""
    LAND = "land"
    """用地/载体."""


RESOURCE_ZH = {
    ResourceKind.BANK_LOAN: "银行贷款",
    ResourceKind.FUND: "基金",
    ResourceKind.TALENT: "人才计划",
    ResourceKind.UNIVERSITY_LAB: "高校院所",
    ResourceKind.TECH_PLATFORM: "公共技术平台",
    ResourceKind.OVERSEAS_CENTRE: "海外创新中心",
    ResourceKind.LAND_BUILDING: "土地载体",
}
DEMAND_ZH = {
    DemandKind.FINANCING: "融资",
    DemandKind.TALENT: "人才",
    DemandKind.TECHNOLOGY: "技术",
    DemandKind.POLICY: "政策",
    DemandKind.MARKET: "市场",
    DemandKind.INTERNATIONAL: "国际",
    DemandKind.LAND: "用地/载体",
}

FIT: dict[DemandKind, dict[ResourceKind, float]] = {
    DemandKind.FINANCING: {ResourceKind.BANK_LOAN: 1.0, ResourceKind.FUND: 0.9},
    DemandKind.TALENT: {ResourceKind.TALENT: 1.0, ResourceKind.UNIVERSITY_LAB: 0.5},
    DemandKind.TECHNOLOGY: {
        ResourceKind.UNIVERSITY_LAB: 1.0,
        ResourceKind.TECH_PLATFORM: 1.0,
        ResourceKind.OVERSEAS_CENTRE: 0.4,
    },
    DemandKind.POLICY: {ResourceKind.TALENT: 0.4, ResourceKind.FUND: 0.4, ResourceKind.BANK_LOAN: 0.3},
    DemandKind.MARKET: {ResourceKind.OVERSEAS_CENTRE: 0.6, ResourceKind.TECH_PLATFORM: 0.3},
    DemandKind.INTERNATIONAL: {ResourceKind.OVERSEAS_CENTRE: 1.0, ResourceKind.FUND: 0.3},
    DemandKind.LAND: {ResourceKind.LAND_BUILDING: 1.0},
}
"""How well a kind of resource can answer a kind of demand (0 = not at all; the matcher skips it)."""


E = TypeVar("E", bound=StrEnum)


def _parse(enum: type[E], zh: dict[E, str], value: str | E, what: str) -> E:
    if isinstance(value, enum):
        return value
    text = str(value).strip()
    for member in enum:
        if text in (member.value, member.name, zh[member]) or text in zh[member].split("/"):
            return member
    raise InputError(
        f"未知{what} '{value}' (unknown kind); 可用 / use one of: "
        + ", ".join(f"{m.value} ({zh[m]})" for m in enum)
    )


def parse_resource_kind(value: str | ResourceKind) -> ResourceKind:
    return _parse(ResourceKind, RESOURCE_ZH, value, "资源类型")


def parse_demand_kind(value: str | DemandKind) -> DemandKind:
    return _parse(DemandKind, DEMAND_ZH, value, "需求类型")
