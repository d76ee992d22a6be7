"""The ledger's filters after QA (report 2, item 5), on the page and the API: a policy by its Chinese
name as on the results page, an unknown policy refused naming the choices, an unknown batch refused
naming it, and a USCC in lower case (or pasted with blanks) read as the code."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web._policy_flow import flow, run_id, users  # noqa: F401 (fixtures: the session's shared walk)
from tests.web.conftest import api_error, api_ok
from zonebrain.web._queries.policy import library

API = "/api/v1/policy/ledger"
PAGE = "/policy/ledger"


def _rows(c: TestClient, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = api_ok(c.get(API, params={**params, "size": 500}))["rows"]
    return rows


def test_a_policy_by_its_chinese_name_filters_as_its_id(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    c = users["admin"]
    pid = _rows(c)[0]["policy_id"]
    name = library().policies[pid].meta.name
    by_id = _rows(c, policy=pid)
    assert by_id and {r["policy_id"] for r in by_id} == {pid}
    assert [r["id"] for r in _rows(c, policy=name)] == [r["id"] for r in by_id]
    r = c.get(PAGE, params={"policy": name})
    assert r.status_code == 200, r.text[:500]
    assert f"policy={pid}" in r.text  # the export link filters by the id


def test_an_unknown_policy_or_batch_is_refused_naming_it(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    c = users["admin"]
    msg = api_error(c.get(API, params={"policy": "nope"}), 400, "invalid_input")
    assert msg.startswith("未知政策 'nope'") and "zz-rd-input" in msg
    r = c.get(PAGE, params={"policy": "nope"})
    assert r.status_code == 400 and "未知政策" in r.text and "zz-rd-input" in r.text
    missing = flow["batch"] + 1000
    msg = api_error(c.get(API, params={"batch": missing}), 404, "not_found")
    assert f"#{missing}" in msg and "no such batch" in msg
    r = c.get(PAGE, params={"batch": missing})
    assert r.status_code == 404 and f"#{missing}" in r.text


def test_a_lower_case_uscc_is_read_as_the_code(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    c = users["admin"]
    code = next(r["uscc"] for r in _rows(c) if any(ch.isalpha() for ch in r["uscc"]))
    want = [r["id"] for r in _rows(c, uscc=code)]
    assert want
    assert [r["id"] for r in _rows(c, uscc=code.lower())] == want
    assert [r["id"] for r in _rows(c, uscc=f" {code[:9]} {code[9:].lower()}")] == want
    page = c.get(PAGE, params={"uscc": code.lower()}).text
    assert f"uscc={code}" in page
