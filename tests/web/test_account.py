"""Changing one's own password: the old one checked (rate limited), the new one long enough and
typed twice; audited; every other session of the user ends, the current one stays."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, Demo, login, make_app

NEW_PASSWORD = "a-new-password-5678"


@pytest.fixture
def account_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A private app store (passwords change here), over the shared demo warehouse (read only)."""
    application = make_app(demo, tmp_path_factory.mktemp("account"))
    with TestClient(application):
        yield application


def _token(c: TestClient) -> str:
    page = c.get("/account/password")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _change(c: TestClient, old: str, new: str, again: str | None = None) -> Any:
    """Submit the form as a browser does (the token in the form field)."""
    data = {"old_password": old, "new_password": new, "new_password_again": new if again is None else again}
    return c.post("/account/password", data={**data, "csrf_token": _token(c)})


def test_the_user_menu_links_the_page(account_app: FastAPI) -> None:
    c = TestClient(account_app)
    login(c, "leader")
    assert 'href="/account/password"' in c.get("/").text
    anon = TestClient(account_app)
    r = anon.get("/account/password", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_refusals_change_nothing(account_app: FastAPI) -> None:
    c = TestClient(account_app)
    login(c, "leader")
    r = _change(c, "not-the-password", NEW_PASSWORD)
    assert r.status_code == 400 and "当前口令不正确" in r.text
    r = _change(c, PASSWORD, "short")
    assert r.status_code == 400 and "至少 10 个字符" in r.text
    r = _change(c, PASSWORD, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert r.status_code == 400 and "不一致" in r.text
    # without the CSRF token (no header, no form field) nothing happens either
    bare = TestClient(account_app)
    bare.cookies.update(c.cookies)
    data = {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    r = bare.post("/account/password", data=data)
    assert r.status_code == 403 and "CSRF" in r.text
    fresh = TestClient(account_app)
    login(fresh, "leader", PASSWORD)  # the old password still works


def test_wrong_old_passwords_are_rate_limited(account_app: FastAPI) -> None:
    c = TestClient(account_app)
    login(c, "investor")
    for _ in range(5):
        assert _change(c, "guess-guess-guess", NEW_PASSWORD).status_code == 400
    r = _change(c, PASSWORD, NEW_PASSWORD)
    assert r.status_code == 429 and "Retry-After" in r.headers
    admin = TestClient(account_app)
    login(admin, "admin")
    audit = admin.get("/api/v1/audit?action=user.change_password").json()["rows"]
    assert [row["outcome"] for row in audit].count("failed") == 5 and "locked" in {
        row["outcome"] for row in audit
    }


def test_success_keeps_this_session_and_ends_the_others(account_app: FastAPI) -> None:
    here, elsewhere = TestClient(account_app), TestClient(account_app)
    login(here, "researcher")
    login(elsewhere, "researcher")
    assert elsewhere.get("/api/v1/me").status_code == 200
    r = _change(here, PASSWORD, NEW_PASSWORD)
    assert r.status_code == 200 and 'id="password-changed"' in r.text
    assert here.get("/api/v1/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/v1/me").status_code == 401  # the other one ended
    old = TestClient(account_app)
    r = old.post("/api/v1/session", json={"username": "researcher", "password": PASSWORD})
    assert r.status_code == 401
    login(TestClient(account_app), "researcher", NEW_PASSWORD)
    admin = TestClient(account_app)
    login(admin, "admin")
    audit = admin.get("/api/v1/audit?action=user.change_password").json()["rows"]
    assert any(row["username"] == "researcher" and row["outcome"] == "ok" for row in audit)
