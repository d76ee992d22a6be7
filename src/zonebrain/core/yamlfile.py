"""YAML files with line numbers: every error names the file, the line and the fix.

:func:`load_with_lines` returns the plain data (as ``yaml.safe_load`` would) and a :class:`LineIndex`
mapping a path such as ``("nodes", 3, "classes", 1)`` to the 1-based line of that key or item;
duplicate mapping keys, which ``safe_load`` silently collapses, are recorded. :func:`load_yaml_model`
validates a file as a pydantic model and reports every problem (duplicates included) with its line;
a validator that checks a whole model but blames one part of it raises :class:`ErrorAt`, naming
that part, so the error is reported at the part's line rather than the model's.

>>> data, index = load_with_lines("a: 1\\nb:\\n  - x\\n  - y\\na: 2\\n")
>>> index.line_of(("b", 1)), index.duplicates
(4, [(('a',), 5)])
"""

from __future__ import annotations

import datetime as dt
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from zonebrain.core.errors import InputError

M = TypeVar("M", bound=pydantic.BaseModel)
YamlPath = tuple[str | int, ...]


class ErrorAt(ValueError):
    """A validator's error about one part of what it validates: *at* is that part's path below
    the validated model (``("clauses", 2, "id")``, ``("tiers", 1)``), so a file's error names the
    line of the offending key or item, not that of the model (or the top of the file)."""

    def __init__(self, message: str, *at: str | int) -> None:
        super().__init__(message)
        self.at: YamlPath = at


@dataclass
class LineIndex:
    """Line numbers (1-based) of keys and sequence items, by path."""

    lines: dict[YamlPath, int] = field(default_factory=dict)
    values: dict[YamlPath, int] = field(default_factory=dict)
    """Line where each key's value starts (a nested mapping: its first key)."""
    duplicates: list[tuple[YamlPath, int]] = field(default_factory=list)

    def line_of(self, path: YamlPath) -> int | None:
        """Line of *path*, or of its deepest recorded ancestor (a missing key is reported at its parent)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None

    def value_line_of(self, path: YamlPath) -> int | None:
        """Line where the value at *path* starts (else as :meth:`line_of`)."""
        path = self.known(path)
        return self.values.get(path) or self.line_of(path)

    def known(self, path: YamlPath) -> YamlPath:
        """*path* as indexed: a validator names a mapping key by its parsed value (``2024``), the
        index by its text (``"2024"``); sequence positions stay integers."""
        if path in self.lines:
            return path
        out: list[str | int] = []
        for part in path:
            as_text = (*out, str(part))
            out.append(str(part) if as_text in self.lines else part)
        return tuple(out)


def _walk(node: yaml.Node, path: YamlPath, index: LineIndex) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                index.duplicates.append((child, line))
            else:
                index.lines[child] = line
                index.values[child] = value_node.start_mark.line + 1
            seen.add(key)
            _walk(value_node, child, index)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, i)
            index.lines[child] = item.start_mark.line + 1
            _walk(item, child, index)


class _Loader(yaml.SafeLoader):
    """Safe YAML whose impossible dates (``2024-13-01``) are YAML errors with their line, not a
    bare ``ValueError`` from the date constructor."""


class BadDate(yaml.constructor.ConstructorError):
    """A value written as a date that no calendar has (``2024-13-01``, ``2023-02-29``), at its line."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise BadDate(
            None, None, f"'{node.value}' 不是有效日期 (not a valid date: {exc})", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_with_lines(text: str) -> tuple[Any, LineIndex]:
    """Parse *text* (safe YAML) and index its lines. Raises ``yaml.YAMLError`` on bad syntax."""
    index = LineIndex()
    root = yaml.compose(text, Loader=_Loader)
    if root is None:
        return None, index
    index.lines[()] = root.start_mark.line + 1
    _walk(root, (), index)
    return yaml.load(text, Loader=_Loader), index  # _Loader is a SafeLoader


def load_yaml_model(path: Path, model: type[M], error: type[InputError] = InputError) -> M:
    """Parse *path* as YAML and validate it as *model*.

    Every problem is reported, each with its line, in one exception of type *error*: a key written
    twice (YAML would silently keep the last) and every validation error.
    """
    return load_yaml_model_with_lines(path, model, error)[0]


def load_yaml_model_with_lines(
    path: Path, model: type[M], error: type[InputError] = InputError
) -> tuple[M, LineIndex]:
    """As :func:`load_yaml_model`, with the file's :class:`LineIndex` (for errors found later,
    such as a parameter with no value for the period evaluated, to name their line too)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(
            f"{path}: 无法读取文件 (cannot read the file): {exc.strerror or exc}; 请检查路径"
        ) from None
    except UnicodeDecodeError:
        raise error(f"{path}: 不是 UTF-8 文本 (not UTF-8 text); 请另存为 UTF-8") from None
    try:
        data, index = load_with_lines(text)
    except BadDate as exc:  # well-formed YAML: the value is wrong, not the indentation
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise error(
            f"{path}:{line}: 第 {line} 行 (line {line}) {exc.problem}; "
            "请写成真实的日期 YYYY-MM-DD, 如 2024-10-08 (write a real date)"
        ) from None
    except yaml.YAMLError as exc:
        raise error(syntax_error_text(path, exc)) from exc
    if data is None:
        raise error(
            f"{path}: 文件为空 (the file is empty); 请按说明或模板填写 (fill it in as the guide shows)"
        )
    lines = [
        f"  {path}:{line}: {'.'.join(str(p) for p in dup)}: 键重复 (key written twice); 请删去其中一个"
        for dup, line in index.duplicates
    ]
    try:
        result = model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        for err in errors:
            if index.duplicates and _after_duplicate(tuple(err["loc"]), index):
                continue
            if err["type"] == "too_short" and _has_inner(err, errors):
                continue  # a list is short only because an item of it failed: that item says why
            loc = _located(err)
            field_name = ".".join(str(p) for p in loc) or "(top)"
            # a key that should not be there is reported where it is written, a bad value where it is
            at = (
                index.line_of(index.known(loc))
                if err["type"] == "extra_forbidden"
                else index.value_line_of(loc)
            )
            where = path if at is None else f"{path}:{at}"
            hint = _did_you_mean(model, loc) if err["type"] == "extra_forbidden" else ""
            lines.append(f"  {where}: {field_name}: {_message(err)}{hint}{_shown(err.get('input'))}")
    if lines:
        n = len(lines)
        raise error(
            f"{path} 有 {n} 处错误 ({n} problem{'' if n == 1 else 's'}); 请按行号修改 / fix each at its line:\n"
            + "\n".join(lines)
        )
    return result, index


def syntax_error_text(path: Path | str, exc: yaml.YAMLError) -> str:
    """A YAML syntax error as people read it: the file, line and column, what the parser expected,
    the line itself with a caret, and what to check (not the parser's own dump of marks)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if mark is None:
        return f"{path}: YAML 语法错误 (YAML syntax error): {problem}; 请检查缩进、冒号和括号"
    line, column = mark.line + 1, mark.column + 1
    text = (mark.buffer or "").split("\n")[mark.line] if mark.buffer else ""
    shown = f"\n    {text}\n    {' ' * mark.column}^" if text.strip() else ""
    hint = "; 请检查缩进、冒号, 以及 { } [ ] 是否成对 (check indentation, colons and that brackets close)"
    why = f"{problem} ({context})" if context else problem
    return f"{path}:{line}: 第 {line} 行第 {column} 列 YAML 语法错误 (syntax error at line {line}, column {column}): {why}{hint}{shown}"


def _located(err: Any) -> YamlPath:
    """Where a validation error is: pydantic's location, extended by an :class:`ErrorAt`'s part."""
    loc = tuple(err["loc"])
    cause = (err.get("ctx") or {}).get("error")
    return (*loc, *cause.at) if isinstance(cause, ErrorAt) else loc


def _after_duplicate(loc: YamlPath, index: LineIndex) -> bool:
    """Whether an error of the check of the whole mapping at *loc* (pydantic's location, before
    any :class:`ErrorAt` part) is about a mapping holding a key written twice, or one enclosing it:
    the check judged what YAML kept, the last of the two, which may not be what was meant, so it
    is left out and the duplicate alone is reported (``kind: rate`` then ``kind: amount`` is one
    error, not also "'2%' needs a unit"). A field's own error is kept."""
    at = index.known(loc)
    return any(len(at) < len(dup) and dup[: len(at)] == at for dup, _ in index.duplicates)


_DATE = "须为日期, 请写成 YYYY-MM-DD, 如 2024-10-08 (must be a date: write YYYY-MM-DD, e.g. 2024-10-08)"


def no_number_date(value: Any) -> Any:
    """A pydantic before-validator for a date read from YAML: a number is refused (pydantic would
    read ``since: 0`` as the Unix epoch, 1970-01-01, and ``20220101`` as a timestamp)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(_DATE)
    return value


_ZH: dict[str, str] = {
    "extra_forbidden": "多余的键, 请检查拼写 (unknown key: check its spelling)",
    "missing": "缺少必填项 (required)",
    "int_parsing": "须为整数 (must be a whole number)",
    "int_type": "须为整数 (must be a whole number)",
    "int_from_float": "须为整数 (must be a whole number)",
    "bool_parsing": "须为 true 或 false (must be true or false)",
    "bool_type": "须为 true 或 false (must be true or false)",
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,  # '20220101' (quoted or not) reads as a timestamp
    "string_type": "须为文本 (must be text)",
    "list_type": "须为列表 [..] (must be a list)",
    "tuple_type": "须为列表 [..] (must be a list)",
    "dict_type": "须为键值表 {..} (must be a mapping)",
    "model_type": "须为键值表 {..} (must be a mapping)",
    "too_short": "项数不足 (too few items)",
    "greater_than_equal": "数值过小 (too small)",
}


def _has_inner(err: Any, errors: list[Any]) -> bool:
    """Whether another error lies inside *err*'s location (an item of the list *err* is about)."""
    loc = tuple(err["loc"])
    return any(len(o["loc"]) > len(loc) and tuple(o["loc"][: len(loc)]) == loc for o in errors)


def _keys_at(model: type[pydantic.BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The keys the model found at *path* (a mapping's location) accepts: its fields' names and
    aliases, following nested models through lists, tuples, optionals and dicts; [] when unknown."""
    found: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(found, type) and issubclass(found, pydantic.BaseModel)):
            return []
        field = found.model_fields.get(part) or next(
            (f for f in found.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        found = _model_in(field.annotation)
    if not (isinstance(found, type) and issubclass(found, pydantic.BaseModel)):
        return []
    return [name for n, f in found.model_fields.items() for name in (n, f.alias) if name]


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside a type (``tuple[Clause, ...]``, ``Condition | None``), else None."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        got = _model_in(arg)
        if got is not None:
            return got
    return None


def _did_you_mean(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> str:
    """For a misspelt key, the nearest one the model accepts there (``ammount`` → ``amount``)."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    near = difflib.get_close_matches(loc[-1], _keys_at(model, tuple(loc[:-1])), n=1, cutoff=0.6)
    return f"; 是否应为 {near[0]}? (did you mean {near[0]}?)" if near else ""


def _message(err: Any) -> str:
    """A validation error in Chinese first: our validators' own messages as they are, pydantic's
    usual ones translated, the rest (rare) in pydantic's words."""
    kind, msg = str(err.get("type", "")), str(err.get("msg", ""))
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        expected = str((err.get("ctx") or {}).get("expected", ""))
        listed = expected.replace(" or ", "、").replace(", ", "、")  # 'a', 'b' or 'c' → 'a'、'b'、'c'
        return f"取值不在允许范围内, 可用 {listed} (must be one of {expected})"
    if kind == "string_pattern_mismatch":
        return f"格式不对 (does not match {(err.get('ctx') or {}).get('pattern', '')})"
    return _ZH.get(kind, msg)


def _shown(value: Any) -> str:
    """The offending value when it is one short value (a whole mapping is not repeated back)."""
    if isinstance(value, (str, int, float, bool, dt.date)) and len(str(value)) <= 60:
        return f" (值 value: {value!r})" if not isinstance(value, dt.date) else f" (值 value: {value})"
    return ""
