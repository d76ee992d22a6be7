"""QA fixes of error messages: an unknown run or firm is named with what to do, Chinese then English
(not a bare 没有找到该内容。); a 422 names each field by its label and raw name, with an English
half (``基准日 (as_of) 为必填项 (as_of is required)``)."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, logged_in, private_app, run_now
from zonebrain.web._errors import NotFound, validation_message
from zonebrain.web._queries.policy import no_such_run

NO_RUN = "没有测算记录 'nosuchrun' (no such policy run); 请在政策页的“测算记录”中选择"
NO_FIRM = "没有统一社会信用代码为 91410172000000000X 的企业 (no such enterprise); 请核对代码"


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    with private_app(demo, tmp_path_factory, "qaerrors") as a, logged_in(a, list(USERS)) as out:
        yield out


@pytest.fixture(scope="module")
def run_id(users: dict[str, TestClient]) -> str:
    return str(run_now(users["researcher"])["run_id"])


# ---- item 7: an unknown run or firm, named ------------------------------------------------------------


def test_an_unknown_run_is_named(users: dict[str, TestClient], demo: Demo) -> None:
    c = users["leader"]
    for path in (
        "/api/v1/policy/runs/nosuchrun",
        "/api/v1/policy/runs/nosuchrun/summary",
        "/api/v1/policy/runs/nosuchrun/results",
        "/api/v1/policy/runs/nosuchrun/results?format=xlsx",
        f"/api/v1/policy/runs/nosuchrun/trace/{demo.own_firm}",
    ):
        assert api_error(c.get(path), 404, "not_found").startswith(NO_RUN), path
    for path in ("/policy/runs/nosuchrun", f"/policy/runs/nosuchrun/trace/{demo.own_firm}"):
        page = c.get(path)
        text = html.unescape(page.text)
        assert page.status_code == 404 and NO_RUN in text and "没有找到该内容" not in text, path


def test_an_unknown_firm_is_named(users: dict[str, TestClient], run_id: str) -> None:
    c = users["leader"]
    api = f"/api/v1/policy/runs/{run_id}/trace/91410172000000000X"
    assert api_error(c.get(api), 404, "not_found").startswith(NO_FIRM)
    page = c.get(f"/policy/runs/{run_id}/trace/91410172000000000X")
    assert page.status_code == 404 and NO_FIRM in html.unescape(page.text)
    # a user scoped to one park or firm learns nothing about firms outside the scope: still 403
    assert users["parkofficer"].get(api).status_code == 403
    assert users["firm"].get(api).status_code == 403


def test_the_no_such_run_helper() -> None:
    err = no_such_run("x" * 100)
    assert isinstance(err, NotFound) and err.status == 404
    assert err.message and err.message.startswith(f"没有测算记录 '{'x' * 64}' (no such policy run)")


# ---- item 9: a 422 names the field by its label, with an English half ---------------------------------


def test_run_now_without_a_date(clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    message = api_error(c.post("/api/v1/policy/runs", json={}), 422, "validation_error")
    assert message == "请求参数不合规：基准日 (as_of) 为必填项 (as_of is required)。", message
    page = c.post("/policy/run", data={})
    assert page.status_code == 422 and "基准日 (as_of) 为必填项 (as_of is required)" in page.text
    c.cookies.set("zb_lang", "en")
    try:
        en = api_error(c.post("/api/v1/policy/runs", json={}), 422, "validation_error")
    finally:
        c.cookies.delete("zb_lang")
    assert en == "Some request parameters are invalid: as-of date (as_of) is required.", en


@pytest.mark.parametrize(
    ("path", "data", "said"),
    [
        (
            "/policy/batches/1/review",
            {},
            ["版本号 (expected_version) 为必填项 (expected_version is required)"],
        ),
        (
            "/policy/batches/1/publicize",
            {"expected_version": "1"},
            [
                "公示开始日 (start) 为必填项 (start is required)",
                "公示结束日 (end) 为必填项 (end is required)",
            ],
        ),
        (
            "/policy/items/1/objections",
            {},
            [
                "异议内容 (text) 为必填项 (text is required)",
                "提出人 (raised_by) 为必填项 (raised_by is required)",
            ],
        ),
    ],
)
def test_payout_forms_name_their_fields(
    clients: dict[str, TestClient], path: str, data: dict[str, str], said: list[str]
) -> None:
    c = clients["admin"]
    r = c.post(path, json=data) if path.startswith("/api/") else c.post(path, data=data)
    assert r.status_code == 422, r.text[:500]
    text = r.json()["error"]["message"] if path.startswith("/api/") else html.unescape(r.text)
    assert all(s in text for s in said), text[:1500]
    assert "；" in text or len(said) == 1


def test_a_choice_and_a_pattern_name_their_fields(clients: dict[str, TestClient]) -> None:
    c = clients["admin"]
    r = c.post("/policy/objections/1/resolve", data={"resolution": "maybe"})
    assert r.status_code == 422
    assert (
        "处理结果 (resolution) 须为 'upheld'、'dismissed' 之一 "
        "(resolution must be one of 'upheld' or 'dismissed')" in html.unescape(r.text)
    ), r.text[:1500]
    message = api_error(c.get("/api/v1/policy/coverage", params={"run": "a b"}), 422, "validation_error")
    assert "测算记录 (run) 格式不符 (run does not match the expected format)" in message, message
    page = c.get("/policy/coverage", params={"run": "a b"})
    assert page.status_code == 422 and "测算记录 (run) 格式不符" in page.text


def test_bad_json_and_unknown_fields() -> None:
    bad = [{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"}]
    assert (
        validation_message("zh-CN", bad)
        == "请求参数不合规：请求正文 (body) 不是有效的 JSON (body is not valid JSON)。"
    )
    odd = [{"type": "missing", "loc": ("body", "frobnicate"), "msg": "Field required"}]
    assert (
        validation_message("zh-CN", odd) == "请求参数不合规：frobnicate 为必填项 (frobnicate is required)。"
    )
    assert validation_message("en", odd) == "Some request parameters are invalid: frobnicate is required."
