"""The indicator catalogue: indicators, their units and sources, and the working-day calendar.

Declared in YAML (``catalogue/indicators.yaml``), validated by pydantic on load; errors name the
file and the line. Adding an indicator is adding an entry: the queries are compiled from it.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


class Rate(BaseModel):
    """A ratio applied to a panel column (工业增加值率: value added = output × rate), as data.

    ``percent`` is exact (text such as ``"24.6"``, at most two decimals); ``source`` says where the
    figure comes from (the statistical bureau's publication) or that it is an assumption. Reports
    and the web page show it next to the derived indicator.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    percent: Decimal
    name_zh: str = "工业增加值率"
    name_en: str = "Value-added rate"
    source: str = Field(min_length=1)
    """The documented origin of the figure (publication, year), or "假设 (assumption)" and why."""
    assumption: bool = True
    """True while the figure is a placeholder, not the bureau's published rate for the zone."""

    @field_validator("percent", mode="before")
    @classmethod
    def _exact(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError('percent 须为数字, 如 "24.6" (a number)')
        if isinstance(v, float):  # YAML reads 24.6 as a float: take the text it was written as
            v = repr(v)
        try:
            d = Decimal(str(v).strip().rstrip("%"))
        except InvalidOperation:
            raise ValueError(f"percent '{v}' 不是数字 (not a number); 请写如 \"24.6\"") from None
        if not d.is_finite() or not 0 < d <= 100:
            raise ValueError(f"percent {v} 须在 0–100 之间 (must be in (0, 100])")
        if d != d.quantize(Decimal("0.01")):
            raise ValueError(f"percent {v} 最多两位小数 (at most two decimals, e.g. 24.63)")
        return d

    @property
    def fraction(self) -> Fraction:
        """The rate as an exact fraction (24.6 % → 123/500)."""
        return Fraction(self.percent) / 100

    def describe(self, locale: str = "zh") -> str:
        """One line for reports and pages: name, percent, source and whether it is an assumption."""
        pct = format(self.percent.normalize(), "f")
        if locale.startswith("en"):
            flag = "assumption" if self.assumption else "published"
            return f"{self.name_en} {pct}% ({flag}; source: {self.source})"
        flag = "假设值" if self.assumption else "公布值"
        return f"{self.name_zh} {pct}%（{flag}；来源：{self.source}）"


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
    rate: Rate | None = None
    """value = column × rate, rounded down to whole fen per enterprise and month."""
    filter: Filter = Filter()

    @model_validator(mode="before")
    @classmethod
    def _legacy_rate(cls, data: Any) -> Any:
        """``rate_percent: 25`` (older catalogues) is read as ``rate: {percent: 25}`` of unknown source."""
        if isinstance(data, dict) and "rate_percent" in data:
            data = dict(data)
            pct = data.pop("rate_percent")
            if "rate" in data:
                raise ValueError("rate_percent 与 rate 只能写一个 (write rate only)")
            data["rate"] = {"percent": pct, "source": "未注明 (not stated; 请在 rate.source 写明出处)"}
        return data

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
        if self.rate is not None and (self.unit != "fen" or self.aggregation != "sum"):
            raise ValueError(f"指标 {self.id}: rate 只用于金额求和指标 (only for a sum of money)")
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

    def assumptions(self) -> list[Indicator]:
        """Indicators derived with a rate (工业增加值率 …): the assumptions reports must state."""
        return [i for i in self.indicators if i.rate is not None]

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
