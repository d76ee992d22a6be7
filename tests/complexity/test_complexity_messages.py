"""Every refusal of :mod:`zonebrain.complexity` is written Chinese first, with the specifics (which
column, location, year, value), then the same in English in parentheses — at the source, so the API,
the CLI and the web all show the same text."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tests.complexity.test_complexity_inputs import run, table
from zonebrain.complexity import ComplexityInputError, clean, get_convention
from zonebrain.core.errors import InputError

CJK = re.compile(r"[\u4e00-\u9fff]")


def _two_years_second_all_zero() -> object:
    return run(
        pd.concat([table().assign(year=2023), table(output=0.0).assign(year=2024)], ignore_index=True),
        year="year",
    )


def _duplicate_row() -> object:
    t = table()
    return run(pd.concat([t, t.iloc[[5]]], ignore_index=True))


def _negative_value() -> object:
    t = table()
    t.loc[4, "output"] = -3.0
    return run(t)


def _missing_value() -> object:
    t = table()
    t.loc[2, "output"] = np.nan
    return run(t)


def _text_value() -> object:
    t = table().astype({"output": object})
    t.loc[1, "output"] = "n/a"
    return run(t)


def _missing_key() -> object:
    t = table().astype({"city": object})
    t.loc[6, "city"] = None
    return run(t)


def _disconnected() -> object:
    t = pd.DataFrame({"city": list("aabccd"), "industry": list("wxxyzz"), "output": [1.0] * 6})
    return run(t)


def _unknown_year() -> object:
    panel = pd.concat([table().assign(year=2023), table().assign(year=2024)], ignore_index=True)
    return run(panel, year="year").proximity(1999)


def _missing_population() -> object:
    return run(table(), population=pd.DataFrame({"city": list("abc"), "population": [1e6, 2e6, 3e6]}))


def _alike() -> object:
    t = pd.DataFrame({"city": list("aabbcc"), "industry": list("xyxyxy"), "output": [1.0] * 6})
    return run(t, convention="ecomplexity")


# (call, error type, Chinese phrase, English phrase, a specific that both halves must name)
CASES: dict[str, tuple[Callable[[], object], type[Exception], str, str, str | None]] = {
    "empty table": (lambda: run(table().iloc[0:0]), ComplexityInputError, "没有数据行", "has no rows", None),
    "missing column": (
        lambda: run(table(), value="exports"),
        ComplexityInputError,
        "缺少列",
        "has no column",
        "'exports'",
    ),
    "missing column to clean": (
        lambda: clean(table(), location="city", activity="sector", value="output"),
        ComplexityInputError,
        "待清洗的表缺少列",
        "the table to clean has no column",
        "'sector'",
    ),
    "duplicate rows": (
        _duplicate_row,
        ComplexityInputError,
        "重复的键",
        "duplicate key row",
        "city='b', industry='y'",
    ),
    "missing key": (_missing_key, ComplexityInputError, "缺少 'city'", "have no 'city'", " 6 "),
    "negative value": (_negative_value, ComplexityInputError, "负值", "negative value", "-3.0"),
    "missing value": (
        _missing_value,
        ComplexityInputError,
        "缺失值",
        "missing (NaN)",
        "city='a', industry='z'",
    ),
    "text value": (_text_value, ComplexityInputError, "非数字", "is not numeric", "'n/a'"),
    "all zeros": (_two_years_second_all_zero, ComplexityInputError, "全为 0", "every value is 0", "2024"),
    "only one location": (
        lambda: run(table().query("city == 'a'")),
        ComplexityInputError,
        "只有一个地区",
        "only one location",
        "'a'",
    ),
    "only one activity": (
        lambda: run(table().query("industry == 'w'")),
        ComplexityInputError,
        "只有一个活动",
        "only one activity",
        "'w'",
    ),
    "disconnected network": (
        _disconnected,
        ComplexityInputError,
        "互不相连",
        "disconnected parts",
        "['a', 'b']; ['c', 'd']",
    ),
    "alike locations": (_alike, ComplexityInputError, "活动完全相同", "same set of activities", None),
    "nothing present": (
        lambda: run(pd.DataFrame({"city": list("aabbcc"), "industry": list("xyxyxy"), "output": [1.0] * 6})),
        ComplexityInputError,
        "通过存在性判定",
        "pass the presence test",
        " 0 ",
    ),
    "unknown convention": (
        lambda: run(table(), convention="oec"),
        InputError,
        "未知口径",
        "unknown complexity convention",
        "'oec'",
    ),
    "unknown convention by name": (
        lambda: get_convention("stata"),
        InputError,
        "未知口径",
        "unknown complexity convention",
        "'stata'",
    ),
    "unknown presence test": (
        lambda: run(table(), presence_test="best"),
        ComplexityInputError,
        "未知存在性判定",
        "unknown presence test",
        "'best'",
    ),
    "negative threshold": (
        lambda: run(table(), threshold=-1.0),
        ComplexityInputError,
        "须为正数",
        "must be a positive number",
        "-1.0",
    ),
    "zero knn": (lambda: run(table(), knn=0), ComplexityInputError, "须为正整数", "knn must be", None),
    "unknown disconnected": (
        lambda: run(table(), disconnected="ignore"),
        ComplexityInputError,
        "disconnected 须为",
        "disconnected must be",
        "'ignore'",
    ),
    "manual not 0/1": (
        lambda: run(table(), presence_test="manual"),
        ComplexityInputError,
        "0 或 1",
        "needs 0/1 values",
        "8.0",
    ),
    "population missing": (
        _missing_population,
        ComplexityInputError,
        "没有人口数据",
        "no population for location",
        "'d'",
    ),
    "reference missing": (
        lambda: run(table(), reference=pd.Series({"w": 1.0, "x": 1.0, "y": 1.0})),
        ComplexityInputError,
        "没有正的总额",
        "no positive total for activity",
        "'z'",
    ),
    "unknown year": (_unknown_year, ComplexityInputError, "未计算年份", "was not computed", "1999"),
}


def _halves(message: str) -> tuple[str, str]:
    """The Chinese part and the English in the trailing parentheses."""
    assert CJK.match(message), f"does not start with Chinese: {message}"
    assert " (" in message and message.endswith(")"), f"no English in parentheses: {message}"
    zh, en = message.split(" (", 1)
    return zh, en[:-1]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_messages_are_chinese_first_then_english(case: str) -> None:
    call, kind, zh_phrase, en_phrase, specific = CASES[case]
    with pytest.raises(kind) as info:
        call()
    zh, en = _halves(str(info.value))
    assert zh_phrase in zh, zh
    assert en_phrase in en, en
    assert not CJK.search(en), f"Chinese inside the English part: {en}"
    if specific is not None:
        assert specific in zh and specific in en, str(info.value)


def test_year_is_named_in_both_languages() -> None:
    with pytest.raises(ComplexityInputError) as info:
        _two_years_second_all_zero()
    zh, en = _halves(str(info.value))
    assert zh.startswith("年份 2024：") and en.startswith("year 2024: ")
    assert info.value.year == 2024


def test_the_cli_has_no_phrase_table_left() -> None:
    import zonebrain.cli.complexity_cmd as cmd

    assert not hasattr(cmd, "_ZH") and not hasattr(cmd, "bilingual")


def test_every_issue_reason_reads_chinese_first() -> None:
    """The reasons in ``result.issues`` are codes; their messages are Chinese first, English after."""
    from zonebrain.complexity._result import ISSUE_TEXT

    for reason, text in ISSUE_TEXT.items():
        assert "\u4e00" <= text[0] <= "\u9fff" and text.endswith(")"), reason
        english = text[text.index(" (") + 2 : -1]
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in english), reason
