"""QA: the 招商机会 and 目标企业 pages ranked and scored for 郑州高新区 (410172) over a warehouse built
for another zone (the routes call the domain without a zone code, and its default was 410172). They
now follow the warehouse's zone: for 苏州工业园区 (320571) the peer regions are Jiangsu's and a
Jiangsu firm, not a Henan one, counts as 同省."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.portrait._other_zone import load_other_sample, other_zone, zone_file
from tests.web.conftest import PASSWORD, api_ok, login
from zonebrain.appstore import Role, open_app_store
from zonebrain.storage import open_warehouse


@pytest.fixture(scope="module")
def suzhou(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from zonebrain.web import create_app

    folder = tmp_path_factory.mktemp("suzhou")
    with open_warehouse(folder / "warehouse.duckdb") as wh:
        wh.migrate()
        load_other_sample(wh, other_zone(folder, "320571"))
    with open_app_store(folder / "app.sqlite", password_cost="low") as store:
        store.users.add("investor", PASSWORD, Role.INVESTMENT_OFFICER)
    app = create_app(
        str(folder / "warehouse.duckdb"),
        app_db_url=str(folder / "app.sqlite"),
        data_dir=folder,
        zone_file=str(zone_file(folder, "320571")),
        password_cost="low",
    )
    with TestClient(app) as client:
        login(client, "investor")
        yield client


def test_candidates_count_the_zone_province_as_the_same(suzhou: TestClient) -> None:
    rows = api_ok(suzhou.get("/api/v1/targeting/candidates?mode=class&classes=3976"))["rows"]
    by_province = {r["province_code"]: r["reasons"] for r in rows}
    assert set(by_province) == {"320000", "410000"}, rows
    mine = [r["reasons"] for r in rows if r["province_code"] == "320000"]
    assert len(mine) == 2 and all("同省" in reasons for reasons in mine), mine
    assert "同省" not in by_province["410000"]


def test_opportunities_compare_with_the_zone_province(suzhou: TestClient) -> None:
    body = api_ok(suzhou.get("/api/v1/targeting/opportunities/scatter"))
    assert any("没有代码以 32 开头的同类地区" in n for n in body["notes"]), body["notes"]
    page = suzhou.get("/opportunities")
    assert page.status_code == 200 and "没有代码以 32 开头的同类地区" in page.text


def test_pages_name_the_apps_zone(suzhou: TestClient) -> None:
    """QA: every page's header and window title named 郑州高新区 whatever the zone; they name the
    zone of the app's zone file, in the reader's language."""
    page = suzhou.get("/opportunities").text
    assert '<span class="zone">苏州园区</span>' in page and "· 苏州园区 产业大脑</title>" in page
    assert "郑州" not in page.split("<main", 1)[0]
    suzhou.cookies.set("zb_lang", "en")
    try:
        english = suzhou.get("/opportunities").text
    finally:
        suzhou.cookies.delete("zb_lang")
    assert '<span class="zone">Suzhou Industrial Park</span>' in english
