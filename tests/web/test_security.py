"""Login, sessions, CSRF on every unsafe route, login rate limiting, audit of writes, cookie flags."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, Demo, form_login, login, make_app

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def test_pages_and_api_need_a_login(anon: TestClient) -> None:
    r = anon.get("/portrait", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/portrait"
    r = anon.get("/api/v1/overview")
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
    assert anon.get("/healthz").status_code == 200
    assert anon.get("/login").status_code == 200


def test_form_login_sets_a_safe_cookie_and_logout_ends_it(app: FastAPI) -> None:
    c = TestClient(app)
    page = c.get("/login")
    assert "zb_csrf" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/login",
        data={"username": "leader", "password": PASSWORD, "csrf_token": token, "next": "/portrait"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/portrait"
    cookie = r.headers["set-cookie"]
    assert (
        "zb_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    )
    assert c.get("/portrait").status_code == 200
    home = c.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]
    assert csrf != token  # the session has its own token
    assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert c.get("/api/v1/me").status_code == 401


def test_secure_cookie_when_configured(demo: Demo, tmp_path: Path) -> None:
    c = TestClient(make_app(demo, tmp_path, cookie_secure=True))
    r = c.post("/api/v1/session", json={"username": "leader", "password": PASSWORD})
    assert "Secure" in r.headers["set-cookie"]


def test_login_needs_the_csrf_token(app: FastAPI) -> None:
    c = TestClient(app)
    c.get("/login")
    r = c.post("/login", data={"username": "leader", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/login", data={"username": "leader", "password": PASSWORD})
    assert r.status_code == 403


def test_json_login_accepts_json_only(app: FastAPI) -> None:
    c = TestClient(app)
    r = c.post(
        "/api/v1/session", data={"username": "leader", "password": PASSWORD}
    )  # a cross-site form could
    assert r.status_code == 422
    assert c.get("/api/v1/me").status_code == 401


def test_redirect_after_login_stays_on_this_site(app: FastAPI) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        c = TestClient(app)
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = c.post(
            "/login",
            data={"username": "leader", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/"
    r = TestClient(app).get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"


def _unsafe_routes() -> list[tuple[str, str]]:
    """Every POST/PUT/PATCH/DELETE route of every route module (pages and API), found by walking the
    package, so that a new module cannot be left out."""
    import importlib
    import pkgutil

    from zonebrain.web import _routes

    out = []
    for info in pkgutil.iter_modules(_routes.__path__):
        m = importlib.import_module(f"{_routes.__name__}.{info.name}")
        for router in (getattr(m, "pages", None), getattr(m, "api", None)):
            for route in getattr(router, "routes", ()):
                if isinstance(route, APIRoute):
                    for method in sorted(route.methods & UNSAFE):
                        out.append((method, re.sub(r"\{[^}]+\}", "0123456789abcdef", route.path)))
    return out


def test_every_unsafe_route_refuses_a_request_without_the_csrf_token(app: FastAPI) -> None:
    routes = _unsafe_routes()
    assert len(routes) >= 40
    assert ("POST", "/api/v1/policy/check") in routes
    c = TestClient(app)
    login(c, "admin")
    del c.headers["X-CSRF-Token"]
    for method, path in routes:
        if (method, path) == ("POST", "/api/v1/session"):
            continue  # JSON-only login: exempt by design (tested above)
        for kwargs in ({}, {"data": {"csrf_token": "wrong"}}, {"headers": {"X-CSRF-Token": "wrong"}}):
            r = c.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 403, (method, path, r.text)
            if path.startswith("/api/"):
                assert r.json()["error"]["code"] == "csrf_failed"


def test_every_unsafe_api_route_without_a_session_answers_not_authenticated(app: FastAPI) -> None:
    """No session cookie (or a dead one): 401 ``not_authenticated``, whatever token is sent, so an
    API client learns to log in rather than that its page expired (403 ``csrf_failed``)."""
    c = TestClient(app)
    c.get("/login")  # even with the pre-login double-submit cookie and its token
    token = c.cookies.get("zb_csrf")
    assert token
    for method, path in _unsafe_routes():
        if not path.startswith("/api/") or (method, path) == ("POST", "/api/v1/session"):
            continue
        for kwargs in ({}, {"headers": {"X-CSRF-Token": "wrong"}}, {"headers": {"X-CSRF-Token": token}}):
            r = c.request(method, path, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["error"]["code"] == "not_authenticated"
    c.cookies.set("zb_session", "no-such-session")
    r = c.post("/api/v1/policy/check", json={"period": 2024})
    assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
    # a page form posted without a session goes to the login page (tests/web/test_session_expired.py)
    r = TestClient(app).post("/policy/check", data={"period": "2024"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_login_rate_limit_locks_after_repeated_failures(demo: Demo, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path)
    c = TestClient(app)
    for _ in range(5):
        r = c.post("/api/v1/session", json={"username": "leader", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
    r = c.post("/api/v1/session", json={"username": "leader", "password": PASSWORD})  # right, but locked
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "too_many_attempts" and int(r.headers["retry-after"]) > 0
    other = TestClient(app)
    login(other, "admin")  # another account is not locked
    actions = [(e.action, e.username, e.outcome) for e in app.state.zonebrain.store.audit.entries(limit=10)]
    assert ("login", "leader", "locked") in actions and ("login", "leader", "failed") in actions


def test_deactivated_users_lose_their_sessions(demo: Demo, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path)
    admin, leader = TestClient(app), TestClient(app)
    login(admin, "admin")
    login(leader, "leader")
    assert leader.get("/api/v1/me").status_code == 200
    r = admin.post("/api/v1/users/leader/deactivate")
    assert r.status_code == 200 and r.json()["active"] is False
    assert leader.get("/api/v1/me").status_code == 401
    assert (
        TestClient(app).post("/api/v1/session", json={"username": "leader", "password": PASSWORD}).status_code
        == 401
    )


def test_every_write_is_audited(demo: Demo, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path)
    admin = TestClient(app)
    form_login(admin, "admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/users").text).group(1)  # type: ignore[union-attr]
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "newbie",
            "password": "long-enough-pw",
            "role": "park_officer",
            "park_id": "shifo",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    admin.headers["X-CSRF-Token"] = token
    r = admin.post("/api/v1/users", json={"username": "bad", "password": "x", "role": "leader"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    r = admin.post(
        "/api/v1/users",
        json={"username": "p2", "password": "long-enough-pw", "role": "park_officer", "park_id": "atlantis"},
    )
    assert r.status_code == 400
    admin.delete("/api/v1/session")
    entries = app.state.zonebrain.store.audit.entries()
    got = [(e.action, e.username, e.target) for e in entries]
    assert ("user.add", "admin", "newbie") in got
    assert ("login", "admin", "") in got and ("logout", "admin", "") in got
    for e in entries:
        assert "password" not in e.detail and "long-enough-pw" not in str(e.detail)


def test_security_headers(clients: dict[str, TestClient]) -> None:
    r = clients["leader"].get("/")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/api/v1/users", "/api/v1/audit", "/admin/users", "/admin/audit", "/imports"]
)
def test_admin_only_pages(clients: dict[str, TestClient], path: str) -> None:
    assert clients["admin"].get(path).status_code == 200
    for name in ("leader", "investor", "parkofficer", "researcher", "firm"):
        assert clients[name].get(path).status_code == 403, (name, path)
