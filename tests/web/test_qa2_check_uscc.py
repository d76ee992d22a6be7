"""企业自查 by USCC after QA (report 2, item 4): an unknown firm is named with what to do, a code
breaking a USCC rule (check digit, a letter such as I never used) is refused as invalid rather than
looked up, and a code pasted with blanks or in lower case is read as the code, on the page and the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok
from zonebrain.core.uscc import USCC, check_character

PAGE = "/policy/check"
API = "/api/v1/policy/check/"


def _unknown(demo: Demo) -> str:
    """A valid USCC no demo firm has: the own firm's with another organisation body."""
    own = USCC.parse(demo.own_firm)
    for body in ("12345678", "87654321", "11223344"):
        code = USCC.build(own.code[0], own.code[1], own.code[2:8], body).code
        if code != own.code:
            return code
    raise AssertionError("no unknown code")


def _bad_check(code: str) -> str:
    wrong = next(c for c in "0123456789ABCDEFGH" if c != check_character(code[:17]))
    return code[:17] + wrong


def test_an_unknown_firm_is_named_with_what_to_do(clients: dict[str, TestClient], demo: Demo) -> None:
    code = _unknown(demo)
    r = clients["admin"].get(PAGE, params={"uscc": code})
    assert r.status_code == 404
    assert f"没有统一社会信用代码为 {code} 的企业" in r.text and "check the code" in r.text
    msg = api_error(clients["admin"].get(API + code), 404, "not_found")
    assert code in msg and "请核对代码" in msg and msg != "Not found."
    msg = api_error(clients["admin"].get(API + code, params={"format": "xlsx"}), 404, "not_found")
    assert code in msg


@pytest.mark.parametrize("how", ["check", "letter"])
def test_an_invalid_code_is_refused_saying_why(clients: dict[str, TestClient], demo: Demo, how: str) -> None:
    code = _bad_check(demo.own_firm) if how == "check" else demo.own_firm[:17] + "I"
    why = "校验码" if how == "check" else "I"
    r = clients["admin"].get(PAGE, params={"uscc": code})
    assert r.status_code == 400, r.text[:500]
    assert "不是有效的统一社会信用代码" in r.text and why in r.text
    msg = api_error(clients["admin"].get(API + code), 400, "invalid_input")
    assert msg.startswith("不是有效的统一社会信用代码") and "not a valid USCC" in msg and why in msg
    assert "Not found" not in msg


def test_a_code_with_blanks_or_lower_case_is_read_as_the_code(
    clients: dict[str, TestClient], demo: Demo
) -> None:
    code = demo.own_firm
    pasted = f" {code[:6]} {code[6:].lower()} "
    r = clients["admin"].get(PAGE, params={"uscc": pasted})
    assert r.status_code == 200, r.text[:500]
    assert f"/api/v1/policy/check/{code}?" in r.text  # the export link names the code itself
    body = api_ok(clients["admin"].get(API + pasted.strip().replace(" ", "%20")))
    assert body["rows"] and code in str(body)
