"""Fixtures of the web tests: a small demo zone, one app over it, one logged-in client per role."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from zonebrain.appstore import Role, open_app_store
from zonebrain.storage import open_warehouse

PASSWORD = "test-password-1234"
N_ENTERPRISES = 400
N_REFERENCE = 20_000


@dataclass(frozen=True)
class Demo:
    warehouse: Path
    files: Path
    own_firm: str
    """An enterprise in 石佛 (shifo): the enterprise user's own firm."""
    wutong_firm: str
    """An enterprise in 梧桐 (wutong): the park officer's park."""


USERS = {
    "admin": (Role.ADMIN, {}),
    "leader": (Role.LEADER, {}),
    "investor": (Role.INVESTMENT_OFFICER, {}),
    "parkofficer": (Role.PARK_OFFICER, {"park_id": "wutong"}),
    "researcher": (Role.POLICY_RESEARCHER, {}),
    "firm": (Role.ENTERPRISE_USER, {}),
}


def build_demo(folder: Path, n: int = N_ENTERPRISES, n_reference: int = N_REFERENCE) -> Path:
    """Generate the demo zone's files and import them into ``folder/warehouse.duckdb``."""
    from zonebrain.demo import generate_reference, generate_zone
    from zonebrain.registry import import_file

    files = folder / "demo-input"
    generate_zone(files, seed=7, n_enterprises=n)
    generate_reference(files, seed=7, n_firms=n_reference)
    db = folder / "warehouse.duckdb"
    with open_warehouse(db) as wh:
        for kind, name in (
            ("enterprises", "enterprises.xlsx"),
            ("finance", "finance.csv"),
            ("monthly", "monthly.csv"),
            ("tags", "tags.csv"),
            ("events", "events.csv"),
            ("reference", "reference_enterprises.csv"),
            ("signals", "reference_signals.csv"),
            ("panel", "region_activity.csv"),
        ):
            import_file(wh, kind, files / name)
    return db


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("webdemo")
    db = build_demo(folder)
    with open_warehouse(db, read_only=True) as wh:
        ent = wh.table("enterprises")
        pick = {
            park: wh.to_arrow(ent.filter(ent.park_id == park).order_by("uscc").limit(1))["uscc"][0].as_py()
            for park in ("shifo", "wutong")
        }
    return Demo(db, folder / "demo-input", own_firm=pick["shifo"], wutong_firm=pick["wutong"])


def make_app(demo: Demo, folder: Path, **kwargs: object) -> FastAPI:
    from zonebrain.web import create_app

    store = open_app_store(folder / "app.sqlite", password_cost="low")
    for name, (role, extra) in USERS.items():
        scope = dict(extra)
        if role is Role.ENTERPRISE_USER:
            scope["uscc"] = demo.own_firm
        if store.users.get(name) is None:
            store.users.add(name, PASSWORD, role, display_name=f"测试{name}", **scope)  # type: ignore[arg-type]
    store.close()
    return create_app(
        str(demo.warehouse),
        app_db_url=str(folder / "app.sqlite"),
        data_dir=folder,
        password_cost="low",
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = make_app(demo, tmp_path_factory.mktemp("webapp"))
    with TestClient(application):  # runs the lifespan once for the session
        yield application


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the JSON API; sets the session cookie; returns the CSRF token."""
    r = client.post("/api/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    token = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return str(token)


def form_login(client: TestClient, username: str, password: str = PASSWORD, next_: str = "/") -> TestClient:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1), "next": next_},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


@contextmanager
def logged_in(app: FastAPI, names: Sequence[str]) -> Iterator[dict[str, TestClient]]:
    """One logged-in client per user name (sharing *app*), closed afterwards."""
    out = {}
    for name in names:
        c = TestClient(app)
        login(c, name)
        out[name] = c
    try:
        yield out
    finally:
        for c in out.values():
            c.close()


@pytest.fixture(scope="session")
def clients(app: FastAPI) -> Iterator[dict[str, TestClient]]:
    """One logged-in client per user name of USERS (sharing the session's app)."""
    with logged_in(app, USERS) as out:
        yield out


@pytest.fixture
def english(clients: dict[str, TestClient]) -> Iterator[dict[str, TestClient]]:
    """The session's clients reading English (the language switch's cookie), for one test."""
    for c in clients.values():
        c.cookies.set("zb_lang", "en")
    try:
        yield clients
    finally:
        for c in clients.values():
            c.cookies.delete("zb_lang")


@contextmanager
def private_app(
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    label: str,
    users: Mapping[str, tuple[Role, str | None]] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> Iterator[FastAPI]:
    """A private app over a copy of the demo warehouse (its tests' runs write to it) and its own app
    store, with *users* (name → role, park) added to those of USERS; *prepare* is given the copied
    warehouse file before the app opens it."""
    folder = tmp_path_factory.mktemp(label)
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    if prepare is not None:
        prepare(copy.warehouse)
    application = make_app(copy, folder)
    if users:
        with open_app_store(folder / "app.sqlite", password_cost="low") as store:
            for name, (role, park) in users.items():
                store.users.add(name, PASSWORD, role, park_id=park)
    with TestClient(application):
        yield application


def api_ok(r: Any, code: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have status *code*."""
    assert r.status_code == code, r.text
    body: dict[str, Any] = r.json()
    return body


def api_error(r: Any, status: int, code: str) -> str:
    """The message of an error envelope that must have *status* and *code* (and a request id)."""
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["request_id"], err
    return str(err["message"])


def audit_rows(client: TestClient, action: str, target: str) -> list[dict[str, Any]]:
    """The audit-log rows of *action* on *target*, read over the API (up to 500)."""
    rows = api_ok(client.get(f"/api/v1/audit?action={action}&size=500"))["rows"]
    return [r for r in rows if r["target"] == target]


def run_now(client: TestClient, as_of: str = "2025-03-31") -> dict[str, Any]:
    """立即测算 through the API; the run's JSON."""
    return api_ok(client.post("/api/v1/policy/runs", json={"as_of": as_of}), 201)


@pytest.fixture(scope="session")
def shared_flow_users(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TestClient]]:
    """The logged-in clients of the session's one private app for the payout workflow (see
    tests/web/_policy_flow.py), shared by the modules that only read what the walk left."""
    from tests.web._policy_flow import FLOW_USERS, open_flow_app

    with open_flow_app(demo, tmp_path_factory) as application, logged_in(application, FLOW_USERS) as out:
        yield out


@pytest.fixture(scope="session")
def shared_flow_run_id(shared_flow_users: dict[str, TestClient]) -> str:
    return str(run_now(shared_flow_users["researcher"])["run_id"])


@pytest.fixture(scope="session")
def shared_flow(shared_flow_users: dict[str, TestClient], shared_flow_run_id: str) -> dict[str, Any]:
    """The workflow walked once per session on that app (about 3 s): what ``walk_flow`` returned."""
    from tests.web._policy_flow import walk_flow

    return walk_flow(shared_flow_users, shared_flow_run_id)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    c = TestClient(app)  # no `with`: the session's app has run its start-up already
    yield c
    c.close()
