"""A demand is filed under its firm's park as the registry records it: the park decides which park
officers may read it, so a form may not choose it (a park officer could otherwise file, and then
read, demands of another park's firms)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, logged_in, make_app
from zonebrain.storage import open_warehouse


@pytest.fixture(scope="module")
def lapp(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = make_app(demo, tmp_path_factory.mktemp("linkparks"))  # its own app store
    with TestClient(application):
        yield application


@pytest.fixture(scope="module")
def users(lapp: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(lapp, ["admin", "parkofficer", "firm", "investor"]) as out:
        yield out


def _registry(demo: Demo, uscc: str) -> dict[str, Any]:
    with open_warehouse(demo.warehouse, read_only=True) as wh:
        t = wh.table("enterprises")
        [row] = wh.to_arrow(t.filter(t.uscc == uscc).select("name", "park_id")).to_pylist()
    return dict(row)


def _demand(c: TestClient, **body: Any) -> Any:
    return c.post("/api/v1/linking/demands", json={"kind": "人才", "title": "招聘算法工程师", **body})


def _ids(c: TestClient) -> set[int]:
    return {d["id"] for d in c.get("/api/v1/linking/demands").json()["demands"]}


def test_an_enterprise_demand_takes_its_park_and_name_from_the_registry(
    demo: Demo, users: dict[str, TestClient]
) -> None:
    own = _registry(demo, demo.own_firm)
    r = _demand(users["firm"], uscc=demo.own_firm)
    assert r.status_code == 201, r.text
    d = r.json()["demand"]
    assert (d["park_id"], d["firm_name"]) == (own["park_id"], own["name"]) == ("shifo", own["name"])
    assert d["id"] not in _ids(users["parkofficer"])  # 梧桐's officer does not see a 石佛 firm's demand


def test_a_park_officer_cannot_file_for_another_parks_firm(demo: Demo, users: dict[str, TestClient]) -> None:
    park = users["parkofficer"]
    before = _ids(users["admin"])
    for body in ({"park_id": "wutong"}, {}):  # claiming its own park, or saying nothing
        r = _demand(park, uscc=demo.own_firm, **body)
        assert r.status_code == 403, r.text
        message = r.json()["error"]["message"]
        assert message.startswith("园区专员无权登记园区 梧桐 以外企业的需求：企业库中企业"), message
        assert "园区 石佛 (a park officer may not" in message and "shifo" not in message, (
            message
        )  # the registry's
        assert r.json()["error"]["detail"] == {"role": "park_officer", "park_id": "shifo"}
    assert _ids(users["admin"]) == before  # nothing was filed


def test_a_park_officer_files_for_own_parks_firm_and_sees_it(
    demo: Demo, users: dict[str, TestClient]
) -> None:
    park = users["parkofficer"]
    r = _demand(park, uscc=demo.wutong_firm)  # no park given: the registry's
    assert r.status_code == 201, r.text
    d = r.json()["demand"]
    assert d["park_id"] == "wutong" and d["firm_name"] == _registry(demo, demo.wutong_firm)["name"]
    assert d["id"] in _ids(park) and park.get(f"/api/v1/linking/demands/{d['id']}").status_code == 200
    page = park.get("/linking")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"kind": "融资", "title": "流动资金", "uscc": demo.wutong_firm, "csrf_token": token.group(1)}
    r = park.post("/linking", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text  # the page's form too (it has no park field)


def test_an_official_may_not_set_a_park_the_registry_contradicts(
    demo: Demo, users: dict[str, TestClient]
) -> None:
    r = _demand(users["admin"], uscc=demo.own_firm, park_id="wutong")
    assert r.status_code == 400, r.text
    assert "shifo" in r.json()["error"]["message"]
    r = _demand(users["admin"], uscc=demo.own_firm, park_id="shifo")  # agreeing is fine
    assert r.status_code == 201 and r.json()["demand"]["park_id"] == "shifo"


def test_a_firm_not_in_the_registry_keeps_the_park_given(users: dict[str, TestClient]) -> None:
    newcomer = "91110000600037341L"  # a valid USCC the demo registry does not hold
    r = _demand(users["parkofficer"], uscc=newcomer)
    assert r.status_code == 201 and r.json()["demand"]["park_id"] == "wutong"  # the officer's park
    r = _demand(users["parkofficer"], uscc=newcomer, park_id="shifo")
    assert r.status_code == 403, r.text
    r = _demand(users["investor"], uscc=newcomer, park_id="shifo")
    assert r.status_code == 201 and r.json()["demand"]["park_id"] == "shifo"


def test_a_park_may_be_named_and_an_unknown_park_is_refused(demo: Demo, users: dict[str, TestClient]) -> None:
    r = _demand(users["admin"], uscc=demo.own_firm, park_id="石佛")  # the registry's park, by name
    assert r.status_code == 201, r.text
    assert r.json()["demand"]["park_id"] == "shifo"
    r = _demand(users["parkofficer"], uscc=demo.wutong_firm, park_id="梧桐")
    assert r.status_code == 201 and r.json()["demand"]["park_id"] == "wutong", r.text
    newcomer = "91410100123456788Y"  # valid, and not in the demo registry
    r = _demand(users["admin"], uscc=newcomer, park_id="nonexist")
    assert r.status_code == 400 and "nonexist" in r.json()["error"]["message"], r.text
    r = _demand(users["parkofficer"], uscc=newcomer, park_id="石佛")
    assert r.status_code == 403 and "填写的园区" in r.json()["error"]["message"], r.text
