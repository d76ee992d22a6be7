"""The zone summary API on a tiny warehouse (moved here from tests/test_web.py)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.registry.conftest import good_rows, write_csv
from zonebrain.appstore import open_app_store
from zonebrain.registry import import_file
from zonebrain.storage import open_warehouse
from zonebrain.web import create_app


def test_overview_page_and_api(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    with open_warehouse(db) as wh:
        import_file(wh, "enterprises", write_csv(tmp_path / "e.csv", good_rows(6)))
    store = open_app_store(tmp_path / "app.sqlite", password_cost="low")
    store.users.add("leader", "long-enough-pw", "leader")
    store.close()
    with TestClient(create_app(str(db), password_cost="low")) as client:
        assert (tmp_path / "app.sqlite").exists()  # the app store sits beside the warehouse by default
        client.post("/api/v1/session", json={"username": "leader", "password": "long-enough-pw"})
        page = client.get("/")
        assert page.status_code == 200 and "驾驶舱" in page.text and "梧桐" in page.text
        data = client.get("/api/v1/summary").json()
        assert data["enterprises"] == 6
        assert sum(p["enterprises"] for p in data["by_park"]) == 6
        assert client.get("/healthz").json()["status"] == "ok"


def test_an_empty_data_dir_serves_empty_pages(tmp_path: Path) -> None:
    with TestClient(create_app(str(tmp_path / "warehouse.duckdb"), password_cost="low")) as client:
        store = client.app.state.zonebrain.store  # type: ignore[attr-defined]
        store.users.add("admin", "long-enough-pw", "admin")
        client.post("/api/v1/session", json={"username": "admin", "password": "long-enough-pw"})
        for path in ("/", "/portrait", "/chains", "/complexity", "/enterprises", "/imports"):
            assert client.get(path).status_code == 200, path
        assert client.get("/api/v1/complexity").json()["error"]["code"] == "warehouse_unavailable"
