"""One JSON error envelope for every API error (pinned here), and no stack trace ever reaches a user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, login, make_app

ENVELOPE_KEYS = {"status", "code", "message", "detail", "request_id"}


def assert_envelope(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == ENVELOPE_KEYS, err
    assert err["status"] == status and err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert err["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return err  # type: ignore[no-any-return]


def test_the_envelope_for_each_status(clients: dict[str, TestClient], anon: TestClient) -> None:
    assert_envelope(anon.get("/api/v1/overview"), 401, "not_authenticated")
    assert_envelope(clients["firm"].get("/api/v1/overview"), 403, "forbidden")
    assert_envelope(clients["leader"].get("/api/v1/does-not-exist"), 404, "not_found")
    assert_envelope(clients["leader"].get("/api/v1/chains/no-such-chain"), 404, "not_found")
    assert_envelope(clients["leader"].put("/api/v1/overview"), 405, "method_not_allowed")
    err = assert_envelope(clients["leader"].get("/api/v1/portrait?year=abc"), 422, "validation_error")
    assert err["detail"][0]["loc"] == ["query", "year"]
    assert set(err["detail"][0]) == {"loc", "msg", "type"}  # the offending input is not echoed back
    # an unknown filter value is bad input naming the choices, as on every list (not "no such page")
    assert_envelope(clients["leader"].get("/api/v1/portrait?park=atlantis"), 400, "invalid_input")
    c = TestClient(clients["leader"].app)
    c.get("/login")  # a pre-login cookie is no session: an API write asks to log in
    assert_envelope(c.post("/api/v1/users", json={}), 401, "not_authenticated")
    login(c, "leader")
    del c.headers["X-CSRF-Token"]  # logged in, without the token
    assert_envelope(c.post("/api/v1/users", json={}), 403, "csrf_failed")


def test_messages_follow_the_language(clients: dict[str, TestClient]) -> None:
    c = clients["firm"]
    zh = c.get("/api/v1/overview").json()["error"]["message"]
    c.cookies.set("zb_lang", "en")
    try:
        en = c.get("/api/v1/overview").json()["error"]["message"]
    finally:
        c.cookies.delete("zb_lang")
    assert zh == "您的角色无权访问此内容。" and en == "Your role may not see this."


@pytest.fixture
def broken_app(demo: Demo, tmp_path: Path) -> FastAPI:
    app = make_app(demo, tmp_path)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/boom-page")
    def boom_page() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    return app


def test_unexpected_errors_are_500_without_internals(
    broken_app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    c = TestClient(broken_app)
    with caplog.at_level("ERROR", logger="zonebrain.web"):
        r = c.get("/api/v1/boom")
    err = assert_envelope(r, 500, "internal_error")
    assert "hunter2" not in r.text and "RuntimeError" not in r.text
    assert any(err["request_id"] in rec.getMessage() for rec in caplog.records)  # logged for the admin
    page = c.get("/boom-page")
    assert page.status_code == 500 and "hunter2" not in page.text and "<html" in page.text


def test_storage_errors_are_503(demo: Demo, tmp_path: Path) -> None:
    from zonebrain.web import create_app

    app = create_app(str(tmp_path / "locked" / "nothing.duckdb"), data_dir=tmp_path, password_cost="low")
    ctx = app.state.zonebrain
    ctx.store.users.add("admin", "long-enough-pw", "admin")
    c = TestClient(app)  # no lifespan: the warehouse file was never created
    c.post("/api/v1/session", json={"username": "admin", "password": "long-enough-pw"})
    assert_envelope(c.get("/api/v1/overview"), 503, "warehouse_unavailable")


def test_html_errors_are_pages(clients: dict[str, TestClient]) -> None:
    r = clients["firm"].get("/portrait")
    assert r.status_code == 403 and "<html" in r.text and "无权访问" in r.text
    r = clients["leader"].get("/no-such-page")
    assert r.status_code == 404 and "<html" in r.text


def test_openapi_declares_the_envelope(app: FastAPI) -> None:
    spec = app.openapi()
    assert "ErrorEnvelope" in spec["components"]["schemas"]
    op = spec["paths"]["/api/v1/overview"]["get"]
    assert op["responses"]["403"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")
