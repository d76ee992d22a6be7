"""core.yamlfile: YAML loaded into pydantic models, every problem with its line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    """QA: an empty form read 'f8.yaml:None: (top): 须为键值表' and '(1 problems)'."""
    path = _write(tmp_path, "")
    with pytest.raises(InputError) as err:
        load_yaml_model(path, Zone)
    assert str(err.value).startswith(f"{path}: 文件为空") and "None" not in str(err.value)


def test_a_syntax_error_names_line_column_and_shows_the_line(tmp_path: Path) -> None:
    """QA: a bracket left open dumped the parser's marks ('in "<unicode string>", line 3')."""
    path = _write(tmp_path, "name: 高新区\nparks: [{id: a, area_km2: 3}\nother: x\n")
    with pytest.raises(InputError) as err:
        load_yaml_model(path, Zone)
    text = str(err.value)
    assert text.startswith(f"{path}:3: 第 3 行第 1 列 YAML 语法错误"), text
    assert "<unicode string>" not in text and "是否成对" in text
    assert text.endswith("    other: x\n    ^"), text


def test_one_problem_is_one_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: 高新区\nparks:\n  - id: a\n    area_km2: many\n")
    with pytest.raises(InputError) as err:
        load_yaml_model(path, Zone)
    assert "有 1 处错误 (1 problem);" in str(err.value) and f"{path}:4: parks.0.area_km2" in str(err.value)


def test_a_value_outside_a_choice_lists_the_choices_in_chinese_then_english(tmp_path: Path) -> None:
    """QA: ``可用 'amount' or 'rate'`` put English inside the Chinese half."""

    class Kinded(pydantic.BaseModel):
        kind: Literal["amount", "rate", "count"]

    with pytest.raises(InputError) as err:
        load_yaml_model(_write(tmp_path, "kind: ratio\n"), Kinded)
    assert (
        ":1: kind: 取值不在允许范围内, 可用 'amount'、'rate'、'count' (must be one of 'amount', 'rate' or 'count')"
        in str(err.value)
    ), str(err.value)


class Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    id: str
    area_km2: int


class StrictZone(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    name: str
    parks: tuple[Strict, ...] | None = None


def test_a_misspelt_key_gets_the_nearest_one_it_may_be(tmp_path: Path) -> None:
    """QA: 多余的键, 请检查拼写 gave no suggestion (``ammount`` → ``amount``), even in a nested list."""
    text = "name: 高新区\nparks:\n  - id: a\n    area_km: 3\nnmae: x\nzzz: 1\n"
    with pytest.raises(InputError) as err:
        load_yaml_model(_write(tmp_path, text), StrictZone)
    msg = str(err.value)
    assert (
        ":4: parks.0.area_km: 多余的键, 请检查拼写 (unknown key: check its spelling); 是否应为 area_km2?"
        in msg
    )
    assert ":5: nmae: 多余的键, 请检查拼写 (unknown key: check its spelling); 是否应为 name?" in msg
    assert "zzz: 多余的键, 请检查拼写 (unknown key: check its spelling) (值" in msg  # nothing near: no guess


class Listed(pydantic.BaseModel):
    parks: tuple[Strict, ...] = pydantic.Field(min_length=1)  # as a case file's expect


def test_a_list_short_only_because_an_item_failed_is_not_a_second_problem(tmp_path: Path) -> None:
    """QA: one mistake in a case's expect also read ``expect: 项数不足 (too few items)``."""
    with pytest.raises(InputError) as err:
        load_yaml_model(_write(tmp_path, "parks:\n  - {id: a, area_km2: x}\n"), Listed)
    assert "1 处错误" in str(err.value) and "项数不足" not in str(err.value), str(err.value)
    with pytest.raises(InputError, match="parks: 项数不足"):  # an empty list is still too short
        load_yaml_model(_write(tmp_path, "parks: []\n"), Listed)
