"""The zone and its parks, from a zone file (YAML); Zhengzhou High-tech Zone is built in."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zonebrain.core.errors import InputError, ZoneFileError
from zonebrain.core.yamlfile import load_yaml_model

if TYPE_CHECKING:
    from zonebrain.storage import Warehouse


class ZoneInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d{6}$")
    name_zh: str
    short_name_zh: str
    name_en: str
    prefecture_code: str = Field(pattern=r"^\d{4}00$")


class Park(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    short_name: str
    names: list[str] = []
    name_en: str
    division_code: str = Field(pattern=r"^\d{9}$")
    is_park: bool = True

    def spellings(self) -> list[str]:
        return [self.id, self.short_name, *self.names, self.division_code, self.name_en]


class Zone(BaseModel):
    """A zone file: the zone and its parks (township units)."""

    model_config = ConfigDict(extra="forbid")
    zone: ZoneInfo
    parks: list[Park] = Field(min_length=1)

    @field_validator("parks")
    @classmethod
    def _unique(cls, parks: list[Park]) -> list[Park]:
        seen: dict[str, str] = {}
        for p in parks:
            for s in p.spellings():
                key = _norm(s)
                if key in seen and seen[key] != p.id:
                    raise ValueError(f"名称 '{s}' 同时指向园区 {seen[key]} 和 {p.id} (name is ambiguous)")
                seen[key] = p.id
        return parks

    @model_validator(mode="after")
    def _inside(self) -> Zone:
        for p in self.parks:
            if not p.division_code.startswith(self.zone.code):
                raise ValueError(f"园区 {p.id} 的区划代码 {p.division_code} 不在园区 {self.zone.code} 之内")
        return self

    def resolve(self, text: str) -> Park | None:
        """The park *text* names (short name, full name, id, English name or division code)."""
        return self._lookup().get(_norm(text))

    def _lookup(self) -> dict[str, Park]:
        cache: dict[str, Park] | None = getattr(self, "_cache", None)
        if cache is None:
            cache = {_norm(s): p for p in self.parks for s in p.spellings()}
            object.__setattr__(self, "_cache", cache)
        return cache

    def spellings_hint(self) -> str:
        return "、".join(f"{p.short_name}({p.division_code})" for p in self.parks)

    def parks_table(self) -> pa.Table:
        return pa.table(
            {
                "park_id": [p.id for p in self.parks],
                "name_zh": [p.names[0] if p.names else p.short_name for p in self.parks],
                "name_en": [p.name_en for p in self.parks],
                "short_name": [p.short_name for p in self.parks],
                "division_code": [p.division_code for p in self.parks],
                "is_park": [p.is_park for p in self.parks],
                "zone_code": [self.zone.code] * len(self.parks),
            }
        )


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


def load_zone(path: Path | None = None) -> Zone:
    """Load a zone file; with no path, the built-in Zhengzhou High-tech Zone."""
    if path is None:
        ref = resources.files("zonebrain.registry").joinpath("zones/zhengzhou_hitech.yaml")
        with resources.as_file(ref) as p:
            return load_yaml_model(p, Zone, ZoneFileError)
    return load_yaml_model(Path(path), Zone, ZoneFileError)


@cache
def _builtin() -> Zone:
    return load_zone()


@dataclass(frozen=True)
class HeldZone:
    """The zone a warehouse holds: its code from ``parks.zone_code``, its names from the zone file
    when that file is the same zone's (``named``), else made up from the code."""

    code: str
    name_zh: str
    short_name_zh: str
    name_en: str
    named: bool
    file_code: str
    """The code of the zone file the names were looked up in."""

    @property
    def hint(self) -> str | None:
        """What to do when the names were made up (the zone file is another zone's), else None."""
        if self.named:
            return None
        return (
            f"仓库中的园区为 {self.code}, 而园区定义文件是 {self.file_code} 的, 园区名称暂写作 "
            f"'{self.short_name_zh}'; 请用 --zone-file (或环境变量 ZONEBRAIN_ZONE_FILE) 指定本园区的定义文件, "
            f"或用 --zone-name 给出名称 (the warehouse holds zone {self.code} but the zone file is "
            f"{self.file_code}'s, so the zone is called '{self.short_name_zh}': give its zone file with "
            "--zone-file, or its name with --zone-name)"
        )


def held_zone_code(wh: Warehouse) -> str | None:
    """The division code of the zone *wh* holds (``parks.zone_code``), None before any zone is
    loaded. A warehouse holds one zone (:func:`ensure_ready`): two codes are refused, naming them."""
    parks = wh.table("parks")
    found = wh.to_arrow(parks.select("zone_code").distinct())["zone_code"].to_pylist()
    codes = sorted({str(c) for c in found if c})
    if len(codes) > 1:
        raise InputError(
            f"仓库中有多个园区 ({'、'.join(codes)}), 而一个仓库只能有一个园区; 请为每个园区使用各自的数据目录 "
            f"(the warehouse holds several zones, {', '.join(codes)}: one warehouse holds one zone; "
            "use one data directory per zone)"
        )
    return codes[0] if codes else None


def held_zone(wh: Warehouse, zone: Zone | None = None) -> HeldZone:
    """The zone *wh* holds, with its names: those of *zone* (the command's zone file; None: the
    built-in 郑州高新区) when it is the same zone, else made up from the code and its city
    (``洛阳市 410371 园区``, with :attr:`HeldZone.hint`). A warehouse holding no zone yet is *zone*'s."""
    info = (zone if zone is not None else _builtin()).zone
    code = held_zone_code(wh) or info.code
    if code == info.code:
        return HeldZone(code, info.name_zh, info.short_name_zh, info.name_en, True, info.code)
    from zonebrain.core.divisions import divisions

    reg = divisions()
    if code in reg:
        name = reg.get(code).name
        return HeldZone(code, name, name, f"Zone {code}", False, info.code)
    city = reg.get(code[:4] + "00").name + " " if code[:4] + "00" in reg else ""
    return HeldZone(code, f"{city}{code} 园区", f"{city}{code} 园区", f"Zone {code}", False, info.code)
