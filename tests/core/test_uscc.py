from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonebrain.core.errors import USCCError
from zonebrain.core.uscc import ALPHABET, USCC, broken_rule, build_many, validate_many

VALID = ["91110000600037341L", "914403001922038216", "91350503MA31DKY80A"]


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes(code: str) -> None:
    assert USCC.parse(code).code == code
    assert broken_rule(code) is None


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("9111000060003734", "length"),
        ("91110000600037341LX", "length"),
        ("91110000600O37341L", "alphabet"),
        ("I1110000600037341L", "alphabet"),
        ("Z1110000600037341L", "alphabet"),
        ("B1110000600037341L", "authority"),
        ("911100A0600037341L", "division"),
        ("91110000600037342L", "org_check"),
        ("91110000600037341M", "check"),
    ],
)
def test_each_rule_is_named(code: str, rule: str) -> None:
    with pytest.raises(USCCError) as info:
        USCC.parse(code)
    assert info.value.rule == rule
    assert code[:8] in str(info.value)
    assert isinstance(info.value, ValueError)


def test_check_message_names_expected_character() -> None:
    with pytest.raises(USCCError, match="应为 'L'，实为 'M'"):
        USCC.parse("91110000600037341M")


def test_parts_and_masking() -> None:
    u = USCC.parse(" 91350503ma31dky80a ")
    assert u.division_code == "350503"
    assert u.org_code == "MA31DKY80"
    assert u.authority == "市场监管"
    assert u.masked() == "913505********Y80A"


bodies = st.text(alphabet=ALPHABET, min_size=8, max_size=8)
divs = st.from_regex(r"\A[1-6][0-9]{5}\Z")


@given(divs, bodies)
def test_built_codes_are_valid_and_vectorised_build_agrees(div: str, body: str) -> None:
    code = USCC.build("9", "1", div, body).code
    assert broken_rule(code) is None
    assert build_many(np.array([div]), np.array([body]))[0] == code


@given(divs, bodies, st.integers(0, 17), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught(div: str, body: str, pos: int, ch: str) -> None:
    code = USCC.build("9", "1", div, body).code
    changed = code[:pos] + ch + code[pos + 1 :]
    if changed == code:
        return
    # one changed character breaks the final check (or an earlier rule), never passes silently
    assert broken_rule(changed) is not None


@given(st.lists(st.text(alphabet=ALPHABET + "IOSVZ-", min_size=15, max_size=19), max_size=30))
def test_vectorised_validation_agrees_with_scalar(codes: list[str]) -> None:
    names = ("", "length", "alphabet", "authority", "division", "org_check", "check")
    got = validate_many(codes)
    for code, rule in zip(codes, got, strict=True):
        expected = broken_rule(code)
        assert names[rule] == ("" if expected is None else expected[0])
