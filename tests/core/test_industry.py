from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zonebrain.core.errors import CodeError
from zonebrain.core.industry import gbt4754


def test_counts_per_level() -> None:
    c = gbt4754()
    # 1,381 class codes: the published 1,380 plus 3741 飞机制造, which the shared table
    # mis-levels as a group row (docs/adr/0003-gbt4754-3741.md)
    assert [len(c.level(lv)) for lv in ("section", "division", "group", "class")] == [20, 97, 473, 1381]
    assert c.get("3741").name == "飞机制造"
    assert c.get("3741").parent == "374"


def test_matches_the_shared_reference_table(shared_data: Path) -> None:
    with open(shared_data / "gbt4754_2017.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    c = gbt4754()
    for r in rows:
        if (r["level"], r["group"], r["name"]) == ("3", "374", "飞机制造"):
            continue  # the one known transcription error, carried as class 3741
        code = {"1": r["section"], "2": r["division"], "3": r["group"], "4": r["class"]}[r["level"]]
        assert c.get(code).name == r["name"], code
        if r["level"] == "4":
            assert c.section_of(code) == r["section"]
            assert [a.code for a in c.ancestors(code)][:2] == [r["section"], r["division"]]
    expected = {r["class"] for r in rows if r["level"] == "4"}
    assert {i.code for i in c.level("class")} == expected | {"3741"}


def test_unknown_code_hint_for_lost_leading_zero() -> None:
    with pytest.raises(CodeError, match="0610"):
        gbt4754().get("610")
    with pytest.raises(CodeError, match="9999"):
        gbt4754().get("9999")


def test_classes_under_a_division() -> None:
    under = gbt4754().classes_under("65")
    assert "6513" in under and "6520" in under
    assert all(code.startswith("65") for code in under)
