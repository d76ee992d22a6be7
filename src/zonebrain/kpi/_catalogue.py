"""The indicator catalogue: indicators, their units and sources, and the working-day calendar.

Declared in YAML (``catalogue/indicators.yaml``), validated by pydantic on load; errors name the
file and the line. Adding an indicator is adding an entry: the queries are compiled from it.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zonebrain.core.errors import InputError
from zonebrain.core.yamlfile import load_yaml_model

Source = Literal["enterprise_months", "enterprise_years", "enterprises", "events", "tags", "imported"]

_COLUMNS: dict[str, tuple[str, ...]] = {
    "enterprise_months": ("revenue_fen", "output_fen", "tax_fen", "employees"),
    "enterprise_years": (
        "revenue_fen",
        "output_fen",
        "tax_fen",
        "rd_expense_fen",
        "profit_fen",
        "export_fen",
        "employees",
        "insured_employees",
        "patents",
        "invention_patents",
    ),
}


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: str | None = None
    """The enterprise carries this tag (``enterprise_tags``), valid on the day counted."""
    kind: str | None = None
    """For ``events``: the event kind."""


class Indicator(BaseModel):
    """One indicator: what it measures, in which unit, how it is aggregated and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    unit: Literal["fen", "count"]
    display_unit: str = Field(pattern=r"^(元|万元|亿元|家|个|项|人)$")
    kind: Literal["flow", "stock"] = "flow"
    aggregation: Literal["sum", "count", "count_distinct"] = "sum"
    direction: Literal["higher", "lower"] = "higher"
    source: Source
    column: str | None = None
    rate_percent: int | None = Field(default=None, ge=1, le=100)
    filter: Filter = Filter()

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.source in _COLUMNS:
            if self.aggregation == "sum" and self.column not in _COLUMNS[self.source]:
                raise ValueError(
                    f"指标 {self.id}: 来源 {self.source} 需要 column, 可选 {list(_COLUMNS[self.source])} "
                    f"(a sum over {self.source} needs one of these columns)"
                )
        elif self.column is not None:
            raise ValueError(
                f"指标 {self.id}: 来源 {self.source} 不取列, 请删除 column (no column for this source)"
            )
        if self.rate_percent is not None and self.unit != "fen":
            raise ValueError(f"指标 {self.id}: rate_percent 只用于金额 (only for money)")
        if self.kind == "stock" and self.source not in ("tags", "imported"):
            raise ValueError(f"指标 {self.id}: 存量指标 (stock) 只支持来源 tags 或 imported")
        if self.source == "tags" and not self.filter.tag:
            raise ValueError(f"指标 {self.id}: 来源 tags 需要 filter.tag (which tag to count)")
        if self.source == "events" and not self.filter.kind:
            raise ValueError(f"指标 {self.id}: 来源 events 需要 filter.kind (which event kind)")
        if self.unit == "fen" and self.display_unit not in ("元", "万元", "亿元"):
            raise ValueError(f"指标 {self.id}: 金额指标的显示单位须为 元/万元/亿元")
        if self.unit == "count" and self.display_unit in ("元", "万元", "亿元"):
            raise ValueError(f"指标 {self.id}: 计数指标不能用金额单位")
        return self

    @property
    def frequency(self) -> Literal["monthly", "yearly"]:
        """``yearly`` when the source has only annual figures (the value exists at December)."""
        return "yearly" if self.source == "enterprise_years" else "monthly"

    @property
    def enterprise_level(self) -> bool:
        """Whether the value is built from enterprises (so a contribution table exists)."""
        return self.source != "imported"


class YearCalendar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[dt.date] = []
    makeup_workdays: list[dt.date] = []


class Catalogue(BaseModel):
    """The whole catalogue file."""

    model_config = ConfigDict(extra="forbid")
    progress: Literal["months", "working_days"] = "months"
    warning_margin_pp: float = Field(default=5.0, ge=0)
    jump_ratio: int = Field(default=50, ge=2)
    scale_tags: list[str] = ["规上工业", "规上服务业", "限上商贸"]
    indicators: list[Indicator]
    calendar: dict[int, YearCalendar] = {}

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        seen: set[str] = set()
        for ind in self.indicators:
            for key in (ind.id, ind.name_zh):
                if key in seen:
                    raise ValueError(f"指标重复 (duplicate indicator): {key}")
                seen.add(key)
        for year, cal in self.calendar.items():
            for d in (*cal.holidays, *cal.makeup_workdays):
                if d.year != year:
                    raise ValueError(f"日历 {year} 含他年日期 {d} (a date of another year)")
        return self

    def get(self, key: str) -> Indicator:
        """The indicator with this id or Chinese name."""
        for ind in self.indicators:
            if key in (ind.id, ind.name_zh):
                return ind
        raise InputError(
            f"未知指标 '{key}' (unknown indicator); 可用 / use one of: "
            + "、".join(f"{i.name_zh}({i.id})" for i in self.indicators)
        )

    def progress_share(self, year: int, month: int, basis: str | None = None) -> float:
        """序时进度: the share of the year elapsed at the end of *month* (months or working days)."""
        if not 1 <= month <= 12:
            raise InputError(f"月份 {month} 无效 (month must be 1–12)")
        if (basis or self.progress) == "months":
            return month / 12
        return working_days(self, year, 1, month) / working_days(self, year, 1, 12)


def working_days(cat: Catalogue, year: int, first_month: int, last_month: int) -> int:
    """Chinese working days from the 1st of *first_month* to the end of *last_month* of *year*."""
    cal = cat.calendar.get(year)
    if cal is None:
        raise InputError(
            f"指标目录没有 {year} 年的节假日日历 (no holiday calendar for {year}); 请在 calendar: 下补充该年的"
            " holidays 和 makeup_workdays, 或把 progress 设为 months"
        )
    off, on = set(cal.holidays), set(cal.makeup_workdays)
    day = dt.date(year, first_month, 1)
    end = dt.date(year, last_month, _cal.monthrange(year, last_month)[1])
    n = 0
    while day <= end:
        if (day.weekday() < 5 and day not in off) or day in on:
            n += 1
        day += dt.timedelta(days=1)
    return n


@cache
def _builtin() -> Catalogue:
    ref = resources.files("zonebrain.kpi").joinpath("catalogue/indicators.yaml")
    with resources.as_file(ref) as p:
        return load_yaml_model(p, Catalogue)


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load a catalogue file; with no path, the built-in one (ten indicators, 2023–2025 calendars)."""
    if path is None:
        return _builtin()
    return load_yaml_model(Path(path), Catalogue)
