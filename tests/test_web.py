from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.registry.conftest import good_rows, write_csv
from zonebrain.registry import import_file
from zonebrain.storage import open_warehouse
from zonebrain.web import create_app


def test_overview_page_and_api(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    with open_warehouse(db) as wh:
        import_file(wh, "enterprises", write_csv(tmp_path / "e.csv", good_rows(6)))
    client = TestClient(create_app(str(db)))
    page = client.get("/")
    assert page.status_code == 200 and "园区概况" in page.text and "梧桐" in page.text
    data = client.get("/api/v1/summary").json()
    assert data["enterprises"] == 6
    assert sum(p["enterprises"] for p in data["by_park"]) == 6
    assert client.get("/healthz").json()["status"] == "ok"
