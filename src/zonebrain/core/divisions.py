"""行政区划代码: provinces, prefecture-level cities, and the zone's own units.

Codes follow the NBS 统计用区划代码 (2023): 6 digits for province (``41`` + ``0000``),
prefecture (``4101`` + ``00``) and county level (``410172``), 9 digits for townships
(``410172561``). Only codes and names are carried.

>>> divisions().get("410172").name
'郑州高新技术产业开发区'
>>> divisions().province_of("410172561").name
'河南省'
>>> divisions().prefecture_of("410172561").name
'郑州市'
>>> divisions().prefecture_of("419001").name  # 省直辖县级市, carried at prefecture level
'济源市'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal

from zonebrain.core.errors import CodeError

DivisionLevel = Literal["province", "prefecture", "county", "township"]
LEVEL_ZH: Final = {"province": "省级", "prefecture": "地级", "county": "县级", "township": "乡级"}


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: DivisionLevel

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def prefecture_code(self) -> str:
        return self.code[:4] + "00"


class DivisionRegistry:
    """All carried divisions, indexed by code."""

    def __init__(self, items: list[Division]) -> None:
        self._items = {d.code: d for d in items}

    def __contains__(self, code: object) -> bool:
        return code in self._items

    def __iter__(self) -> Iterator[Division]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def get(self, code: str) -> Division:
        return self._lookup(code, asked=code)

    def _lookup(self, code: str, *, asked: str) -> Division:
        try:
            return self._items[code]
        except KeyError:
            via = "" if asked == code else f" (查找上级 / looked up as '{code}')"
            raise CodeError(
                f"行政区划代码 '{asked}'{via} 未收录 (division code not known); "
                "请填写6位县级或9位乡级统计用区划代码 / write a 6-digit or 9-digit NBS division code"
            ) from None

    def of_level(self, level: DivisionLevel) -> list[Division]:
        return [d for d in self if d.level == level]

    def provinces(self) -> list[Division]:
        return self.of_level("province")

    def prefectures(self, province: str | None = None) -> list[Division]:
        """Prefecture-level units, optionally of one province (its 2- or 6-digit code).

        For the four municipalities (北京, 天津, 上海, 重庆) the municipality itself stands at
        prefecture level too, so every province has at least one prefecture.
        """
        items = self.of_level("prefecture")
        if province is not None:
            items = [d for d in items if d.code[:2] == province[:2]]
        return items

    def province_of(self, code: str) -> Division:
        return self._lookup(code[:2] + "0000", asked=code)

    def prefecture_of(self, code: str) -> Division:
        """The prefecture-level unit above ``code`` (or ``code`` itself if it is one).

        A province-administered county-level city carried at prefecture level (济源市
        ``419001``) is its own prefecture and that of its townships (``419001xxx``).
        """
        own = self._items.get(code[:6])
        if own is not None and own.level == "prefecture":
            return own
        return self._lookup(code[:4] + "00", asked=code)


@cache
def divisions() -> DivisionRegistry:
    """The packaged division codes."""
    text = resources.files("zonebrain.core").joinpath("data/divisions.tsv").read_text(encoding="utf-8")
    items = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, name, level = line.split("\t")
        items.append(Division(code, name, level))  # type: ignore[arg-type]
    return DivisionRegistry(items)
