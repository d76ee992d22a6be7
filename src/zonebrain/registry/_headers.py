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


def _no_unit(path: Path, header: str, col: Column, mapped_to: str | None) -> InputError:
    """The error for a money column whose header (or mapping) states no unit, naming what is accepted."""
    # the user's own name with a unit, unless it came from a mapping or is a warehouse name (tax_fen)
    own = mapped_to is None and _norm(header) != _norm(col.target)
    base = _split(header)[0] if own else _split(col.header)[0]
    accepted = [f"'{base}({unit})'" for unit in ("元", "万元", "亿元")]
    zh, en = "、".join(accepted[:2]) + f" 或 {accepted[2]}", ", ".join(accepted[:2]) + f" or {accepted[2]}"
    if mapped_to is None:
        fix = (
            f"请按金额实际所用的单位把表头改为 {zh}，或在 --mapping 映射文件中写明 / rename the header to "
            f"{en}, whichever unit the amounts are in, or map it so in a --mapping file"
        )
    else:
        fix = f"请在映射文件中把它映射到 {zh} / map it onto {en} in the mapping file"
    if mapped_to is None:
        what = f"金额列 '{header}' 未注明单位 (the money column's header names no unit)"
    else:
        what = (
            f"映射到 '{mapped_to}' 的金额列 '{header}' 未注明单位 "
            f"(the money column, mapped onto '{mapped_to}', names no unit)"
        )
    return InputError(
        f"{path}: {what}; "
        f"元与万元相差一万倍，系统不会猜测单位 (元 and 万元 differ 10,000-fold: the unit is never guessed); {fix}"
    )


def map_headers(
    headers: list[str], fmt: FileFormat, mapping: dict[str, str], path: Path
) -> tuple[list[Mapped], list[str]]:
    """Match *headers* to *fmt*; return the matches and the headers left unused.

    A header matches by its standard header, an alias, the mapping file, or the same name
    with another money unit in brackets (``营业收入(元)``: read in 元, converted exactly). A money
    header must state its unit, in the file or in the mapping: 元 and 万元 differ 10,000-fold and
    are never guessed, so ``纳税总额`` alone is refused with the headers that would be accepted.
    """
    by_name: dict[str, Column] = {}
    by_base: dict[str, Column] = {}
    for spec in fmt.columns:
        for name in (spec.header, *spec.aliases, spec.target):
            by_name[_norm(name)] = spec
            by_base.setdefault(_norm(_split(name)[0]), spec)
    standard = {_norm(c.header): c for c in fmt.columns} | {_norm(c.target): c for c in fmt.columns}
    # a mapping may name a standard money header in another unit, or in none (refused below, clearly)
    money_base = {_norm(_split(c.header)[0]): c for c in fmt.columns if c.kind == "money"}
    mapped: list[Mapped] = []
    unused: list[str] = []
    taken: dict[str, str] = {}
    for header in headers:
        col: Column | None = None
        unit: str | None = None
        if header in mapping:
            col = standard.get(_norm(mapping[header])) or money_base.get(_norm(_split(mapping[header])[0]))
            if col is None:
                raise InputError(
                    f"映射文件把 '{header}' 映射到未知的标准表头 '{mapping[header]}' (unknown standard header); "
                    f"可用 / use one of: {', '.join(c.header for c in fmt.columns)}"
                )
        else:
            col = by_name.get(_norm(header))
            if col is None:
                base, stated = _split(header)
                if _norm(base) in by_base and by_base[_norm(base)].kind == "money":
                    col = by_base[_norm(base)]  # 营业收入(元), or 营业收入 with no unit: refused below
                    unit = stated
        if col is None:
            unused.append(header)
            continue
        if col.kind == "money":
            stated = _split(mapping.get(header, header))[1] if unit is None else unit
            if not stated:
                raise _no_unit(path, header, col, mapping.get(header))
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
