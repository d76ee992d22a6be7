"""Schemathesis against the pipeline and linking operations: generated requests (valid and invalid)
never get a 500, and every error is the one envelope. Runs as an admin on a small private app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.web.conftest import PASSWORD, login
from zonebrain.appstore import Role, open_app_store
from zonebrain.registry import load_zone
from zonebrain.storage import open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    from zonebrain.web import create_app

    folder = tmp_path_factory.mktemp("pipefuzz")
    with open_warehouse(folder / "wh.duckdb") as wh:
        wh.migrate()
        wh.replace("parks", load_zone().parks_table())
    with open_app_store(folder / "app.sqlite", password_cost="low") as store:
        store.users.add("admin", PASSWORD, Role.ADMIN)
    app = create_app(
        str(folder / "wh.duckdb"), app_db_url=str(folder / "app.sqlite"), data_dir=folder, password_cost="low"
    )
    with TestClient(app) as c:
        token = login(c, "admin")
        c.post("/api/v1/pipeline/projects", json={"name": "种子公司", "park_id": "wutong", "origin": "event"})
        c.post("/api/v1/linking/resources", json={"kind": "fund", "name": "种子基金"})
        c.post(
            "/api/v1/linking/demands", json={"uscc": "91110000600037341L", "kind": "融资", "title": "种子"}
        )
        session = c.cookies.get("zb_session")
        assert session
        yield app, {"X-CSRF-Token": token, "Cookie": f"zb_session={session}"}


def test_no_server_errors(fuzz_app: tuple[FastAPI, dict[str, str]]) -> None:
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [
        r.ok()
        for r in schema.get_all_operations()
        if r.ok().path.startswith(("/api/v1/pipeline", "/api/v1/linking"))
    ]
    assert len(operations) >= 15
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy)
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text[:500]

        check()
