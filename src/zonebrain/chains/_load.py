"""Finding, validating and loading chain files (built-ins plus a user folder)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zonebrain.chains._schema import ChainSpec, NodeSpec
from zonebrain.core.errors import InputError
from zonebrain.core.industry import gbt4754
from zonebrain.core.yamlfile import LineIndex, load_with_lines

BUILTIN_PACKAGE = "zonebrain.chains"
BUILTIN_FOLDER = "builtin"


@dataclass(frozen=True, slots=True)
class ChainError:
    """One problem in one chain file: where (file, line, field), what value, what is wrong, how to fix."""

    file: str
    line: int | None
    field: str
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        value = f" = {self.value!r}" if self.value is not None else ""
        return f"{where}: {self.field}{value}: {self.message}"


class ChainFileError(InputError):
    """One or more chain files are invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[ChainError]) -> None:
        self.errors = list(errors)
        head = f"{len(self.errors)} 处产业链定义错误 / chain definition error(s):"
        lines = [head, *(f"  {e}" for e in self.errors[:50])]
        if len(self.errors) > 50:
            lines.append(f"  … 另有 {len(self.errors) - 50} 处 / and {len(self.errors) - 50} more")
        lines.append("运行 `zonebrain chains validate --dir DIR` 查看全部 / run it to see all of them")
        super().__init__("\n".join(lines))


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _short(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _value_at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


_PYDANTIC_FIX = {
    "missing": "请补上该字段 / add this field",
    "extra_forbidden": "删除或改正该字段名 (见 docs/chains.md) / remove it or fix the spelling (see docs/chains.md)",
    "string_pattern_mismatch": "只用小写字母、数字、- 和 _ / use lowercase letters, digits, - and _",
    "too_short": "至少填写一项 / give at least one entry",
    "string_too_short": "不能为空 / must not be empty",
}


def _check_file(path: Path, label: str) -> tuple[ChainSpec | None, list[ChainError]]:
    """Validate one file; returns the chain (when structurally valid) and all errors found."""
    errors: list[ChainError] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [
            ChainError(label, None, "(file)", None, f"无法读取 / cannot read: {exc}; 请用 UTF-8 保存")
        ]
    try:
        data, index = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [ChainError(label, line, "(syntax)", None, f"YAML 语法错误 / YAML syntax error: {exc}")]
    for dup_path, line in index.duplicates:
        errors.append(
            ChainError(
                label, line, _dotted(dup_path), None, "重复的键 / duplicate key; 请删除其中一个 / keep one"
            )
        )
    if not isinstance(data, dict):
        errors.append(
            ChainError(
                label, index.line_of(()), "(file)", None, "文件顶层须为映射 / top level must be a mapping"
            )
        )
        return None, errors
    chain: ChainSpec | None = None
    try:
        chain = ChainSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
            given = err.get("input")
            if err["type"] == "too_short" and isinstance(given, list) and len(given) > 0:
                continue  # pydantic's echo of an invalid item already reported on its own
            fix = _PYDANTIC_FIX.get(err["type"], "")
            msg = err["msg"].removeprefix("Value error, ")
            message = f"{msg}; {fix}" if fix else msg
            value = None if err["type"] == "missing" else _short(_value_at(data, loc))
            errors.append(ChainError(label, index.line_of(loc), _dotted(loc), value, message))
    errors.extend(_check_references(data, label, index))
    errors.sort(key=lambda e: (e.line or 0, e.field))
    return chain, errors


def _check_references(data: dict[str, Any], label: str, index: LineIndex) -> list[ChainError]:
    """Cross-reference checks on the raw data, so they run even when other fields are invalid."""
    errors: list[ChainError] = []
    classification = gbt4754()
    nodes = data.get("nodes")
    nodes = nodes if isinstance(nodes, list) else []
    seen: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        node_id = node["id"]
        path: tuple[str | int, ...] = ("nodes", i, "id")
        if node_id in seen:
            errors.append(
                ChainError(
                    label,
                    index.line_of(path),
                    _dotted(path),
                    node_id,
                    f"节点 id 重复 (首次出现于 nodes[{seen[node_id]}]) / duplicate node id "
                    f"(first used by nodes[{seen[node_id]}]); 请改用唯一 id / use a unique id",
                )
            )
        else:
            seen[node_id] = i
    ids = set(seen)
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        parent = node.get("parent")
        if isinstance(parent, str):
            path = ("nodes", i, "parent")
            if parent not in ids:
                errors.append(
                    ChainError(
                        label,
                        index.line_of(path),
                        _dotted(path),
                        parent,
                        "上级节点不存在 / parent node not found; 请填写本文件中已有的节点 id / "
                        "use the id of a node in this file",
                    )
                )
            elif parent == node.get("id"):
                errors.append(
                    ChainError(
                        label,
                        index.line_of(path),
                        _dotted(path),
                        parent,
                        "节点不能是自己的上级 / a node cannot be its own parent",
                    )
                )
        classes = node.get("classes")
        for j, code in enumerate(classes if isinstance(classes, list) else []):
            if not isinstance(code, str):
                continue  # reported by the schema (quote the code)
            path = ("nodes", i, "classes", j)
            problem = _class_problem(code, classification)
            if problem:
                errors.append(ChainError(label, index.line_of(path), _dotted(path), code, problem))
    edges = data.get("edges")
    for k, edge in enumerate(edges if isinstance(edges, list) else []):
        if not isinstance(edge, dict):
            continue
        for end in ("from", "to"):
            name = edge.get(end)
            if isinstance(name, str) and name not in ids:
                path = ("edges", k, end)
                errors.append(
                    ChainError(
                        label,
                        index.line_of(path),
                        _dotted(path),
                        name,
                        "供应关系指向不存在的节点 / edge refers to a node that does not exist; "
                        "请填写本文件中已有的节点 id / use the id of a node in this file",
                    )
                )
    return errors


def _class_problem(code: str, classification: Any) -> str | None:
    if not (len(code) == 4 and code.isdigit()):
        return "须为 4 位 GB/T 4754-2017 小类代码, 如 '3983' / must be a 4-digit GB/T 4754-2017 class such as '3983'"
    if code not in classification:
        return (
            "不是 GB/T 4754-2017 的小类代码 / not a GB/T 4754-2017 class code; "
            "请对照国民经济行业分类核对 / check it against the standard"
        )
    if classification.get(code).level != "class":
        return "须为小类 (4 位) / must be a class (4 digits)"
    return None


class ChainSet:
    """All loaded chains, by id, with the file each came from."""

    def __init__(self, chains: Sequence[ChainSpec], files: dict[str, str] | None = None) -> None:
        self._chains = {c.id: c for c in chains}
        self.files = dict(files or {})

    def __iter__(self) -> Iterator[ChainSpec]:
        return iter(self._chains.values())

    def __len__(self) -> int:
        return len(self._chains)

    def __contains__(self, chain_id: object) -> bool:
        return chain_id in self._chains

    def __getitem__(self, chain_id: str) -> ChainSpec:
        try:
            return self._chains[chain_id]
        except KeyError:
            known = ", ".join(self._chains)
            raise InputError(
                f"未知产业链 '{chain_id}' / unknown chain '{chain_id}'; 可选 / known: {known}"
            ) from None

    @property
    def ids(self) -> list[str]:
        return list(self._chains)

    def node(self, chain_id: str, node_id: str) -> NodeSpec:
        chain = self[chain_id]
        try:
            return chain.node(node_id)
        except KeyError:
            raise InputError(
                f"产业链 '{chain_id}' 中没有节点 '{node_id}' / chain '{chain_id}' has no node '{node_id}'; "
                f"可选 / known: {', '.join(chain.node_ids)}"
            ) from None


def builtin_files() -> list[tuple[str, Path]]:
    """(label, path) of every packaged chain file."""
    folder = resources.files(BUILTIN_PACKAGE).joinpath(BUILTIN_FOLDER)
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            out.append((f"builtin/{entry.name}", Path(str(entry))))
    return out


def _user_files(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        raise InputError(
            f"产业链目录不存在 / chain folder not found: {folder}; 请检查 --dir / check the --dir path"
        )
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return [(str(p), p) for p in files]


def _collect(
    extra_dir: Path | None, include_builtin: bool
) -> tuple[list[ChainSpec], dict[str, str], list[ChainError]]:
    files = builtin_files() if include_builtin else []
    if extra_dir is not None:
        files += _user_files(Path(extra_dir))
    chains: list[ChainSpec] = []
    where: dict[str, str] = {}
    errors: list[ChainError] = []
    for label, path in files:
        chain, problems = _check_file(path, label)
        errors.extend(problems)
        if chain is None:
            continue
        if chain.id in where:
            line = load_with_lines(path.read_text(encoding="utf-8"))[1].line_of(("id",)) or 1
            errors.append(
                ChainError(
                    label,
                    line,
                    "id",
                    chain.id,
                    f"产业链 id 已在 {where[chain.id]} 中使用 / chain id already used by "
                    f"{where[chain.id]}; 请换一个 id / choose another id",
                )
            )
            continue
        if not problems:
            chains.append(chain)
            where[chain.id] = label
    return chains, where, errors


def validate_chain_dir(directory: Path | None = None, *, include_builtin: bool = True) -> list[ChainError]:
    """Every problem in the built-in chains and in ``*.yaml`` under *directory* (empty list = all valid)."""
    return _collect(directory, include_builtin)[2]


def load_chains(extra_dir: Path | None = None, *, include_builtin: bool = True) -> ChainSet:
    """Built-in chains plus every ``*.yaml``/``*.yml`` in *extra_dir*.

    Raises :class:`ChainFileError` listing every problem (file, line, field, value, fix) if any file
    is invalid.
    """
    chains, where, errors = _collect(extra_dir, include_builtin)
    if errors:
        raise ChainFileError(errors)
    return ChainSet(chains, where)
