"""A form submitted without a live session (it expired, or the user logged out in another tab)
sends the user to the login page with a notice and back to the page the form was on; an htmx
request loads the login page whole. Skipping the CSRF check for such requests is safe only because
no write but the login form works without a login: checked for every route."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import form_login
from tests.web.test_security import _unsafe_routes
from zonebrain.web._auth import JSON_LOGIN, PAGE_LOGIN, require_csrf


def _login_target(r: object) -> dict[str, list[str]]:
    location = r.headers["location"]  # type: ignore[attr-defined]
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query)


def test_a_form_without_a_session_goes_to_the_login_page_and_back(app: FastAPI) -> None:
    c = TestClient(app, base_url="http://testserver")
    page = "http://testserver/policy/batches/1?tab=items"
    r = c.post(
        "/policy/batches/1/review", data={"note": "ok"}, headers={"referer": page}, follow_redirects=False
    )
    assert r.status_code == 303
    assert _login_target(r) == {"next": ["/policy/batches/1?tab=items"], "expired": ["1"]}
    shown = c.get(r.headers["location"])
    assert shown.status_code == 200 and 'id="login-expired"' in shown.text
    assert "登录已过期或尚未登录" in shown.text
    assert 'name="next" value="/policy/batches/1?tab=items"' in shown.text
    # another site's page is never where the user is sent back to
    r = c.post(
        "/policy/batches/1/review", headers={"referer": "https://evil.example/x"}, follow_redirects=False
    )
    assert _login_target(r) == {"next": ["/"], "expired": ["1"]}
    # a plain visit to the login page shows no notice
    assert 'id="login-expired"' not in c.get("/login").text


def test_htmx_is_told_to_load_the_login_page_whole(app: FastAPI) -> None:
    c = TestClient(app, base_url="http://testserver")
    headers = {"hx-request": "true", "referer": "http://testserver/policy"}
    r = c.post("/policy/whatif", data={"x": "1"}, headers=headers, follow_redirects=False)
    assert r.status_code == 204
    assert urlsplit(r.headers["hx-redirect"]).path == "/login" and "expired=1" in r.headers["hx-redirect"]
    # a fragment asked for (GET): back to the page it was for, not to the bare fragment; no notice
    headers = {"hx-request": "true", "hx-current-url": "http://testserver/enterprises/91410172000000000X"}
    r = c.get("/policy/enterprise/91410172000000000X", headers=headers, follow_redirects=False)
    assert r.status_code == 204
    assert r.headers["hx-redirect"] == "/login?next=/enterprises/91410172000000000X"


def test_the_login_form_still_needs_its_token(app: FastAPI) -> None:
    c = TestClient(app)
    r = c.post("/login", data={"username": "leader", "password": "x", "next": "/"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    form_login(c, "leader")  # with the token from the page it works
    # logged in, a form without its token is still refused as before
    r = c.post("/policy/batches/1/review", data={"note": "ok"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text


def test_no_write_but_the_login_works_without_a_session(app: FastAPI) -> None:
    """With the CSRF check taken away, every unsafe route asked without a session answers 401
    (API) or sends to the login page: its own dependencies require a login."""
    routes = [(m, p) for m, p in _unsafe_routes() if p not in (PAGE_LOGIN, JSON_LOGIN)]
    assert len(routes) > 40  # the API and the page forms
    app.dependency_overrides[require_csrf] = lambda: None
    try:
        c = TestClient(app)
        for method, path in routes:
            r = c.request(method, path, follow_redirects=False)
            if path.startswith("/api/"):
                assert r.status_code == 401, (method, path, r.status_code)
            else:
                assert r.status_code == 303, (method, path, r.status_code)
                assert urlsplit(r.headers["location"]).path == "/login", (method, path)
    finally:
        del app.dependency_overrides[require_csrf]
