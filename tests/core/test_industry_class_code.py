"""class_code: the 4-digit 小类 a self-check form, a case file or a registry row must carry."""

from __future__ import annotations

import pytest

from zonebrain.core.errors import CodeError
from zonebrain.core.industry import class_code


@pytest.mark.parametrize(
    ("text", "code"), [("3921", "3921"), (" 3921 ", "3921"), ("C3921", "3921"), ("c3976", "3976")]
)
def test_a_class_is_read_with_or_without_its_section_letter(text: str, code: str) -> None:
    assert class_code(text) == code


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Z999", "不在 GB/T 4754-2017 中"),  # no such code
        ("9999", "不在 GB/T 4754-2017 中"),
        ("39", "是大类代码"),  # a division names many classes
        ("392", "是中类代码"),
        ("C", "是门类代码"),
        ("A3921", "属于门类 C"),  # the letter contradicts the class
        ("113", "前导零"),  # a leading zero lost: 0113 is a class
    ],
)
def test_anything_else_is_refused_saying_what_to_write(text: str, words: str) -> None:
    with pytest.raises(CodeError) as exc:
        class_code(text)
    assert words in str(exc.value) and "4" in str(exc.value)
