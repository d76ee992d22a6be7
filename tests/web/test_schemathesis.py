"""Schemathesis against the OpenAPI spec: generated requests (valid and invalid) never get a 500.

Runs as an admin (the role that reaches every operation) on a private app, over a copy of the
demo warehouse. Logging out is excluded (it would end the fuzzer's own session).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.web.conftest import Demo, login, make_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_app(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    app = make_app(copy, folder)
    with TestClient(app) as c:
        token = login(c, "admin")
        session = c.cookies.get("zb_session")
        assert session
        yield app, {"X-CSRF-Token": token, "Cookie": f"zb_session={session}"}


@pytest.fixture(scope="module")
def api_schema(fuzz_app: tuple[FastAPI, dict[str, str]]) -> Any:
    app, _ = fuzz_app
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).exclude(
        method="DELETE", path="/api/v1/session"
    )


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_no_server_errors(api_schema: Any, fuzz_app: tuple[FastAPI, dict[str, str]]) -> None:
    """Every operation, up to 30 generated cases each (valid and invalid) (schemathesis' pytest plugin does not run on
    pytest 9, so its strategies are driven by Hypothesis directly)."""
    _, headers = fuzz_app
    operations = _operations(api_schema)
    assert len(operations) >= 20
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy)
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text[:500]  # the one envelope

        check()


def test_the_spec_is_valid_openapi(fuzz_app: tuple[FastAPI, dict[str, str]], tmp_path: Path) -> None:
    app, _ = fuzz_app
    spec = app.openapi()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for expected in ("/api/v1/overview", "/api/v1/enterprises/{uscc}", "/api/v1/imports", "/api/v1/session"):
        assert expected in paths
    assert not any(
        p.startswith(("/login", "/portrait", "/static")) for p in paths
    )  # pages stay out of the API
