"""Map the headers of a user's file onto a format's standard headers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from zonebrain.core.errors import InputError
from zonebrain.core.money import normalise_unit
from zonebrain.registry.formats import Column, FileFormat

_UNIT = re.compile(r"^(?P<base>.+?)\s*[(（]\s*(?P<unit>[^()（）]+)\s*[)）]$")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").lower()


def _split(header: str) -> tuple[str, str | None]:
    m = _UNIT.match(unicodedata.normalize("NFKC", header).strip())
    return (m["base"], m["unit"]) if m else (header, None)


@dataclass(frozen=True)
class Mapped:
    """One file column matched to a format column (with the unit its header states)."""

    header: str
    column: Column
    unit: str | None


def load_mapping(path: Path | None) -> dict[str, str]:
    """A mapping file: YAML ``{你的表头: 标准表头}`` (or ``columns:`` holding that mapping)."""
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: 无法读取表头映射文件 (cannot read the mapping file): {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError(
            f"{path}: 表头映射文件应为 '你的表头: 标准表头' 的键值对 (the mapping must be 'your header: standard header' pairs)"
        )
    return dict(data)


def map_headers(
    headers: list[str], fmt: FileFormat, mapping: dict[str, str], path: Path
) -> tuple[list[Mapped], list[str]]:
    """Match *headers* to *fmt*; return the matches and the headers left unused.

    A header matches by its standard header, an alias, the mapping file, or the same name
    with another money unit in brackets (``营业收入(元)``: read in 元, converted exactly).
    """
    by_name: dict[str, Column] = {}
    by_base: dict[str, Column] = {}
    for spec in fmt.columns:
        for name in (spec.header, *spec.aliases, spec.target):
            by_name[_norm(name)] = spec
            by_base.setdefault(_norm(_split(name)[0]), spec)
    standard = {_norm(c.header): c for c in fmt.columns} | {_norm(c.target): c for c in fmt.columns}
    mapped: list[Mapped] = []
    unused: list[str] = []
    taken: dict[str, str] = {}
    for header in headers:
        col: Column | None = None
        unit: str | None = None
        if header in mapping:
            col = standard.get(_norm(mapping[header]))
            if col is None:
                raise InputError(
                    f"映射文件把 '{header}' 映射到未知的标准表头 '{mapping[header]}' (unknown standard header); "
                    f"可用 / use one of: {', '.join(c.header for c in fmt.columns)}"
                )
        else:
            col = by_name.get(_norm(header))
            if col is None:
                base, stated = _split(header)
                if stated is not None and _norm(base) in by_base and by_base[_norm(base)].kind == "money":
                    col = by_base[_norm(base)]
                    unit = stated
        if col is None:
            unused.append(header)
            continue
        if col.kind == "money":
            stated = _split(mapping.get(header, header))[1] if unit is None else unit
            if not stated:
                raise InputError(
                    f"{path}: 金额列 '{header}' 未注明单位 (the money column's header names no unit); "
                    f"请改为 '{col.header}'，或在括号中写明 元/万元/亿元 / state the unit in brackets"
                )
            try:
                unit = normalise_unit(stated)
            except InputError as exc:
                raise InputError(
                    f"{path}: 表头 '{header}' 的单位无法识别 (unit in the header unknown): {exc}"
                ) from exc
        if col.target in taken:
            raise InputError(
                f"{path}: 表头 '{taken[col.target]}' 和 '{header}' 都对应 '{col.header}' "
                "(two columns mean the same field); 请删除或改名其中一列 / remove or rename one"
            )
        taken[col.target] = header
        mapped.append(Mapped(header, col, unit))
    missing = [c for c in fmt.columns if c.required and c.target not in taken]
    if missing:
        lines = [f"'{c.header}' (也接受 / also accepted: {', '.join(c.aliases) or '—'})" for c in missing]
        raise InputError(
            f"{path}: 缺少必填列 (missing required columns): {'; '.join(lines)}. "
            f"文件表头为 (the file has): {', '.join(headers)}. "
            "请改表头，或用 --mapping 映射文件对应 / rename the headers or pass --mapping"
        )
    return mapped, unused
