"""The web API over every warehouse engine answers exactly as over the embedded DuckDB file.

A small demo zone is imported into DuckDB, its chain memberships computed, and the whole warehouse
copied to the engine under test. Two apps are started, one over each warehouse, with the same
users; every read endpoint of the API is called as the admin on both and the JSON compared: exact
for text, integers (fen) and dates, 1e-9 relative for floats. Lists keep their order, so an
engine that sorts ties differently fails here as it would confuse a user paging through a table.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, login
from zonebrain.appstore import Role, open_app_store
from zonebrain.storage import open_warehouse
from zonebrain.storage._copy import copy_warehouse

pytestmark = pytest.mark.slow

N_FIRMS = 120
N_REFERENCE = 3_000


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo zone in a DuckDB file, with memberships computed (what ``zonebrain demo`` does)."""
    from tests.web.conftest import build_demo
    from zonebrain.chains import classify_zone

    db = build_demo(tmp_path_factory.mktemp("webconf"), n=N_FIRMS, n_reference=N_REFERENCE)
    with open_warehouse(db) as wh:
        classify_zone(wh, run_id="conformance")
    return db


def _client(url: str, folder: Path, *, data_dir: Path | None = None) -> Iterator[TestClient]:
    from zonebrain.web import create_app

    folder.mkdir(parents=True, exist_ok=True)
    store = open_app_store(folder / "app.sqlite", password_cost="low")
    store.users.add("admin", PASSWORD, Role.ADMIN, display_name="管理员")
    store.close()
    app = create_app(
        url,
        app_db_url=str(folder / "app.sqlite"),
        data_dir=data_dir or folder,
        password_cost="low",
        pool_size=1,
    )
    with TestClient(app) as client:
        login(client, "admin")
        yield client


def _paths(client: TestClient) -> list[str]:
    """The read endpoints to compare, with path parameters filled from the data itself."""
    firm = client.get("/api/v1/enterprises", params={"size": 5}).json()
    rows = firm.get("rows") or firm.get("items") or []
    assert rows, f"no enterprises listed: {firm}"
    uscc = rows[0]["uscc"]
    chains = client.get("/api/v1/chains").json()
    chain_list = chains.get("chains", chains) if isinstance(chains, dict) else chains
    chain_id = chain_list[0]["id"]
    graph = client.get(f"/api/v1/chains/{chain_id}").json()
    node_id = graph["nodes"][0]["id"]
    park = client.get("/api/v1/parks").json()["rows"][0]
    park_id = park.get("park_id") or park.get("id")
    return [
        "/api/v1/overview",
        "/api/v1/parks",
        "/api/v1/chains/heatmap",
        "/api/v1/summary",
        "/api/v1/portrait",
        "/api/v1/chains",
        f"/api/v1/chains/{chain_id}",
        f"/api/v1/chains/{chain_id}/nodes/{node_id}/enterprises",
        "/api/v1/enterprises?size=50",
        f"/api/v1/enterprises/{uscc}",
        f"/api/v1/enterprises/{uscc}/finance",
        f"/api/v1/enterprises/{uscc}/events",
        "/api/v1/kpi/months/latest",
        "/api/v1/kpi/monitor",
        "/api/v1/kpi/warnings",
        "/api/v1/kpi/forecast",
        "/api/v1/kpi/trend",
        f"/api/v1/kpi/contributions?park={park_id}",
        "/api/v1/kpi/quality",
        "/api/v1/targeting/opportunities?limit=50",
        "/api/v1/targeting/opportunities/scatter",
        "/api/v1/targeting/candidates?mode=gaps&limit=50",
    ]


def _same(got: Any, want: Any, where: str) -> None:
    if isinstance(want, float) and isinstance(got, float):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {got!r} vs {want!r}"
    elif isinstance(want, dict) and isinstance(got, dict):
        assert sorted(got) == sorted(want), f"{where}: keys {sorted(got)} vs {sorted(want)}"
        for key in want:
            _same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list) and isinstance(got, list):
        assert len(got) == len(want), f"{where}: {len(got)} items vs {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(g, w, f"{where}[{i}]")
    else:
        assert got == want and type(got) is type(want), f"{where}: {got!r} vs {want!r} on DuckDB"


def _location(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """A fresh warehouse URL on *engine* and the data folder the app should use."""
    if engine == "duckdb":
        return str(tmp_path / "copy.duckdb"), tmp_path
    if engine == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        name = f"t_{uuid.uuid4().hex[:12]}"
        url = str(cluster.create_database(name))
        request.addfinalizer(lambda: cluster.drop_database(name))
        return url, tmp_path
    request.getfixturevalue("spark_session")
    return "spark://local[2]", tmp_path / "spark"


def test_every_read_endpoint_agrees(
    engine: str, demo_db: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url, data_dir = _location(engine, request, tmp_path)
    with open_warehouse(demo_db, read_only=True) as source, open_warehouse(url, data_dir=data_dir) as target:
        copy_warehouse(source, target)
    want_client = _client(str(demo_db), tmp_path / "app-reference")
    got_client = _client(url, tmp_path / f"app-{engine}", data_dir=data_dir)
    want, got = next(want_client), next(got_client)
    try:
        paths = _paths(want)
        checked = 0
        for path in paths:
            a, b = want.get(path), got.get(path)
            assert b.status_code == a.status_code, (
                f"{path}: {b.status_code} vs {a.status_code} on DuckDB: {b.text}"
            )
            if a.status_code != 200:
                continue
            _same(b.json(), a.json(), path)
            checked += 1
        assert checked >= len(paths) - 2, f"only {checked} of {len(paths)} endpoints answered 200"
    finally:
        for gen in (want_client, got_client):
            gen.close()
