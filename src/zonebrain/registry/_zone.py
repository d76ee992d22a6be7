"""The zone and its parks, from a zone file (YAML); Zhengzhou High-tech Zone is built in."""

from __future__ import annotations

import unicodedata
from importlib import resources
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zonebrain.core.errors import ZoneFileError
from zonebrain.core.yamlfile import load_yaml_model


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
