"""Chain YAML schema: good files load, every bad kind is reported with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from zonebrain.chains import ChainError, ChainFileError, Stage, load_chains, validate_chain_dir
from zonebrain.core.errors import InputError

GOOD = """\
id: test-chain
name_zh: 测试链
name_en: Test chain
source: 单元测试 / unit test
nodes:
  - id: a
    name_zh: 甲
    name_en: A
    stage: upstream
    classes: ["3983"]
    keywords: [测试甲词]
  - id: b
    name_zh: 乙
    name_en: B
    stage: 下游
    parent: a
    classes: ["6520", "3973"]
    keywords: 测试乙词、测试丙词
    synonyms: [乙同义]
    products: [乙产品]
edges:
  - {from: a, to: b}
"""


def _write(folder: Path, text: str, name: str = "chain.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    count = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            count += 1
            if count == nth:
                return i
    raise AssertionError(f"{needle!r} not in text")


def _only_error(folder: Path) -> ChainError:
    errors = validate_chain_dir(folder, include_builtin=False)
    assert len(errors) == 1, errors
    return errors[0]


def test_good_file_loads_with_builtins(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    chains = load_chains(tmp_path)
    chain = chains["test-chain"]
    assert [n.id for n in chain.nodes] == ["a", "b"]
    assert chain.node("a").stage is Stage.UPSTREAM
    assert chain.node("b").stage is Stage.DOWNSTREAM
    assert chain.node("b").keywords == ("测试乙词", "测试丙词")
    assert chain.edges[0].source == "a" and chain.edges[0].target == "b"
    assert "intelligent-sensors" in chains  # built-ins still there
    assert validate_chain_dir(tmp_path) == []


def test_yml_suffix_and_empty_folder(tmp_path: Path) -> None:
    assert len(load_chains(tmp_path)) == len(load_chains())
    _write(tmp_path, GOOD, "x.yml")
    assert "test-chain" in load_chains(tmp_path)


def test_unknown_stage(tmp_path: Path) -> None:
    bad = GOOD.replace("stage: 下游", "stage: 终端")
    path = _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.file == str(path)
    assert err.line == _line_of(bad, "stage: 终端")
    assert err.field == "nodes[1].stage"
    assert err.value == "终端"
    assert "上游" in err.message and "upstream" in err.message


def test_unknown_class_code(tmp_path: Path) -> None:
    bad = GOOD.replace('classes: ["6520", "3973"]', 'classes: ["6520", "3999"]')
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.line == _line_of(bad, '"3999"')
    assert err.field == "nodes[1].classes[1]"
    assert err.value == "3999"
    assert "GB/T 4754" in err.message


def test_class_code_on_its_own_line(tmp_path: Path) -> None:
    bad = GOOD.replace('classes: ["6520", "3973"]', 'classes:\n      - "6520"\n      - "39"')
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.line == _line_of(bad, '- "39"')
    assert "4" in err.message


def test_unquoted_class_code_is_explained(tmp_path: Path) -> None:
    bad = GOOD.replace('classes: ["3983"]', "classes: [3983]")
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.line == _line_of(bad, "classes: [3983]")
    assert "'3983'" in err.message


def test_edge_to_missing_node(tmp_path: Path) -> None:
    bad = GOOD.replace("{from: a, to: b}", "{from: a, to: zz}")
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.line == _line_of(bad, "to: zz")
    assert err.field == "edges[0].to"
    assert err.value == "zz"


def test_missing_parent(tmp_path: Path) -> None:
    bad = GOOD.replace("parent: a", "parent: nobody")
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.line == _line_of(bad, "parent: nobody")


def test_duplicate_node_id(tmp_path: Path) -> None:
    bad = GOOD.replace("  - id: b\n", "  - id: a\n")
    _write(tmp_path, bad)
    errors = validate_chain_dir(tmp_path, include_builtin=False)
    dup = [e for e in errors if "duplicate node id" in e.message]
    assert len(dup) == 1
    assert dup[0].line == _line_of(bad, "  - id: a", nth=2)
    assert dup[0].field == "nodes[1].id"


def test_missing_field_reported_at_its_node(tmp_path: Path) -> None:
    bad = GOOD.replace("    name_en: B\n", "")
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.field == "nodes[1].name_en"
    assert err.line == _line_of(bad, "  - id: b")
    assert "add this field" in err.message


def test_unknown_field_and_duplicate_key(tmp_path: Path) -> None:
    bad = GOOD.replace("    name_en: A\n", "    name_en: A\n    colour: red\n    name_en: A2\n")
    _write(tmp_path, bad)
    errors = validate_chain_dir(tmp_path, include_builtin=False)
    by_field = {e.field: e for e in errors}
    assert by_field["nodes[0].colour"].line == _line_of(bad, "colour: red")
    assert by_field["nodes[0].name_en"].line == _line_of(bad, "name_en: A2")
    assert "duplicate key" in by_field["nodes[0].name_en"].message


def test_every_error_reported_across_files(tmp_path: Path) -> None:
    one = GOOD.replace("stage: upstream", "stage: sideways").replace('"3983"', '"1234"')
    two = GOOD.replace("id: test-chain", "id: other-chain").replace("{from: a, to: b}", "{from: q, to: b}")
    p1 = _write(tmp_path, one, "one.yaml")
    p2 = _write(tmp_path, two, "two.yaml")
    errors = validate_chain_dir(tmp_path, include_builtin=False)
    assert {(e.file, e.field) for e in errors} == {
        (str(p1), "nodes[0].stage"),
        (str(p1), "nodes[0].classes[0]"),
        (str(p2), "edges[0].from"),
    }
    with pytest.raises(ChainFileError) as info:
        load_chains(tmp_path)
    assert len(info.value.errors) == 3
    assert "one.yaml" in str(info.value) and "two.yaml" in str(info.value)
    assert isinstance(info.value, InputError)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    bad = GOOD.replace("    name_zh: 乙\n", "    name_zh: [乙\n")
    _write(tmp_path, bad)
    err = _only_error(tmp_path)
    assert err.field == "(syntax)"
    assert err.line is not None


def test_chain_id_clash_with_builtin(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("id: test-chain", "id: cybersecurity"))
    errors = validate_chain_dir(tmp_path)
    assert len(errors) == 1
    assert errors[0].line == 1 and "builtin/cybersecurity.yaml" in errors[0].message


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    _write(tmp_path, "- just\n- a list\n")
    assert "mapping" in _only_error(tmp_path).message


def test_missing_folder_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--dir"):
        load_chains(tmp_path / "nope")


def test_error_str_names_file_line_field_value(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("stage: 下游", "stage: 终端"))
    text = str(_only_error(tmp_path))
    assert "chain.yaml:" in text and "nodes[1].stage" in text and "'终端'" in text
