"""GB/T 4754-2017 国民经济行业分类, carried by the package (codes and names only).

Levels: 门类 section (A-T), 大类 division (2 digits), 中类 group (3), 小类 class (4).

>>> gbt4754().get("3976").name
'光电子器件制造'
>>> gbt4754().section_of("3976")
'C'
>>> [i.code for i in gbt4754().ancestors("3976")]
['C', '39', '397']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal

from zonebrain.core.errors import CodeError

Level = Literal["section", "division", "group", "class"]
LEVELS: Final[tuple[Level, ...]] = ("section", "division", "group", "class")
LEVEL_ZH: Final = {"section": "门类", "division": "大类", "group": "中类", "class": "小类"}


@dataclass(frozen=True, slots=True)
class Industry:
    """One node of the classification."""

    code: str
    parent: str | None
    name: str

    @property
    def level(self) -> Level:
        return "section" if self.code.isalpha() else LEVELS[len(self.code) - 1]


class Classification:
    """The whole classification, indexed by code."""

    def __init__(self, items: list[Industry]) -> None:
        self._items = {i.code: i for i in items}
        self._order = [i.code for i in items]

    def __contains__(self, code: object) -> bool:
        return code in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Industry]:
        return (self._items[c] for c in self._order)

    def get(self, code: str) -> Industry:
        """The industry with *code*, or :class:`CodeError` saying what to do."""
        try:
            return self._items[code]
        except KeyError:
            hint = ""
            if code.isdigit() and len(code) < 4 and f"{code:0>4}" in self._items:
                hint = f"; 是否丢失了前导零? 应为 '{code:0>4}' (leading zero lost? try '{code:0>4}')"
            raise CodeError(
                f"行业代码 '{code}' 不在 GB/T 4754-2017 中 (not a GB/T 4754-2017 code){hint}; "
                "请填写4位小类代码, 如 3976 / write a 4-digit class code such as 3976"
            ) from None

    def level(self, level: Level) -> list[Industry]:
        """All industries of one level, in the standard's order."""
        return [i for i in self if i.level == level]

    def ancestors(self, code: str) -> list[Industry]:
        """Section, division and group above *code*, top first."""
        chain: list[Industry] = []
        parent = self.get(code).parent
        while parent:
            item = self._items[parent]
            chain.append(item)
            parent = item.parent
        return chain[::-1]

    def section_of(self, code: str) -> str:
        """The 门类 letter of any code."""
        item = self.get(code)
        return item.code if item.level == "section" else self.ancestors(code)[0].code

    def classes_under(self, code: str) -> list[str]:
        """All 4-digit class codes at or below *code*."""
        self.get(code)
        return [
            i.code for i in self if i.level == "class" and (i.code == code or code in self._lineage(i.code))
        ]

    def _lineage(self, code: str) -> set[str]:
        return {i.code for i in self.ancestors(code)}


def class_code(text: str) -> str:
    """*text* as the 4-digit 小类 code registries store (``'3921'``; ``'C3921'`` is read as its
    class when the letter is its 门类), or :class:`CodeError` saying what to write instead: a
    section, division or group code names many classes, and an unknown code none."""
    code = text.strip().upper()
    classification = gbt4754()
    if len(code) == 5 and code[0].isalpha() and code[1:] in classification:
        if classification.section_of(code[1:]) != code[0]:
            raise CodeError(
                f"'{text}': 小类 {code[1:]} 属于门类 {classification.section_of(code[1:])}, 不是 {code[0]} "
                f"(class {code[1:]} is in section {classification.section_of(code[1:])}, not {code[0]}); "
                f"请填写4位小类代码 / write the 4-digit class code, such as {code[1:]}"
            )
        code = code[1:]
    item = classification.get(code)  # an unknown code: CodeError with what to do
    if item.level != "class":
        raise CodeError(
            f"'{code}' 是{LEVEL_ZH[item.level]}代码 {item.name.strip()}, 不是4位小类 (a {item.level} code, "
            "not a 4-digit class); 请填写4位小类代码 / write the 4-digit class code"
        )
    return code


@cache
def gbt4754() -> Classification:
    """The packaged GB/T 4754-2017 classification (1,970 codes)."""
    text = resources.files("zonebrain.core").joinpath("data/gbt4754_2017.tsv").read_text(encoding="utf-8")
    items = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, parent, name = line.split("\t")
        items.append(Industry(code, parent or None, name))
    return Classification(items)
