"""YAML reading that remembers where every key and list item was written.

``load_with_lines(text)`` returns the plain Python data (as ``yaml.safe_load`` would) and a
:class:`LineIndex` that maps a path such as ``("nodes", 3, "classes", 1)`` to the 1-based line of
that key or item. Duplicate mapping keys, which ``safe_load`` silently collapses, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class LineIndex:
    """Line numbers (1-based) of keys and sequence items, by path."""

    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """Line of *path*, or of its deepest recorded ancestor (a missing key is reported at its parent)."""
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None


def _walk(node: yaml.Node, path: Path_, index: LineIndex) -> None:
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
            seen.add(key)
            _walk(value_node, child, index)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = (*path, i)
            index.lines[child] = item.start_mark.line + 1
            _walk(item, child, index)


def load_with_lines(text: str) -> tuple[Any, LineIndex]:
    """Parse *text* (safe YAML) and index its lines. Raises ``yaml.YAMLError`` on bad syntax."""
    index = LineIndex()
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return None, index
    index.lines[()] = root.start_mark.line + 1
    _walk(root, (), index)
    return yaml.safe_load(text), index
