"""core.yamlfile: YAML loaded into pydantic models, every problem with its line."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from zonebrain.core.errors import InputError
from zonebrain.core.yamlfile import load_yaml_model


class Park(pydantic.BaseModel):
    id: str
    area_km2: int


class Zone(pydantic.BaseModel):
    name: str
    parks: list[Park]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "zone.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    zone = load_yaml_model(_write(tmp_path, "name: 高新区\nparks:\n  - id: a\n    area_km2: 3\n"), Zone)
    assert zone.parks[0].area_km2 == 3


def test_duplicate_key_is_reported_not_collapsed(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: 高新区\nparks:\n  - id: a\n    area_km2: 3\nname: 另一个\n")
    with pytest.raises(InputError) as err:
        load_yaml_model(path, Zone)
    assert f"{path}:5: name: 键重复" in str(err.value)


def test_every_validation_error_has_its_line(tmp_path: Path) -> None:
    text = "name: 高新区\nparks:\n  - id: a\n    area_km2: 三\n  - area_km2: 4\n"
    with pytest.raises(InputError) as err:
        load_yaml_model(_write(tmp_path, text), Zone)
    msg = str(err.value)
    assert "2 处错误" in msg
    assert ":4: parks.0.area_km2:" in msg and "'三'" in msg
    assert ":5: parks.1.id: 缺少必填项 (required)" in msg


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"第 2 行"):
        load_yaml_model(_write(tmp_path, "name: a\n  parks: b\n"), Zone)
