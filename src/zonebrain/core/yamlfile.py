"""Load a YAML file into a pydantic model; errors name the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from zonebrain.core.errors import InputError

M = TypeVar("M", bound=pydantic.BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the node at *loc* (the deepest one that exists)."""
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def load_yaml_model(path: Path, model: type[M], error: type[InputError] = InputError) -> M:
    """Parse *path* as YAML and validate it as *model*.

    Every validation error is reported, each with its line, in one exception of type *error*.
    """
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行 (line {mark.line + 1})" if mark else ""
        raise error(f"{path}: {where} YAML 语法错误 (YAML syntax error): {exc}; 请检查缩进和冒号") from exc
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(node, loc)
            field = ".".join(str(p) for p in loc) or "(top)"
            lines.append(f"  {path}:{line}: {field}: {err['msg']} (value: {err.get('input')!r})")
        raise error(
            f"{path} 有 {len(lines)} 处错误 ({len(lines)} problems); 请按行号修改 / fix each at its line:\n"
            + "\n".join(lines)
        ) from exc
