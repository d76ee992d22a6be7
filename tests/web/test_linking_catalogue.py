"""The resource API makes the checks the Excel import makes (parks of the zone, name + provider as
the key), and a proposal must be one the suggestions could show, once per resource and demand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_error, api_ok, logged_in, make_app


@pytest.fixture(scope="module")
def lapp(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = make_app(demo, tmp_path_factory.mktemp("linkcat"))  # its own app store
    with TestClient(application):
        yield application


@pytest.fixture(scope="module")
def users(lapp: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(lapp, ["admin", "parkofficer", "investor"]) as out:
        yield out


def _resource(c: TestClient, **body: object) -> object:
    return c.post("/api/v1/linking/resources", json={"kind": "bank_loan", **body})


def _count(c: TestClient) -> int:
    return len(api_ok(c.get("/api/v1/linking/resources"))["resources"])


def test_resource_parks_are_the_zones_and_the_key_is_unique(users: dict[str, TestClient]) -> None:
    inv = users["investor"]
    before = _count(inv)
    assert "mars" in api_error(_resource(inv, name="火星贷", parks=["mars"]), 400, "invalid_input")
    r = api_ok(_resource(inv, name="科技贷", provider="郑州银行高新支行", parks=["梧桐"]), 201)["resource"]
    assert r["parks"] == ["wutong"]
    again = _resource(users["admin"], name="科技贷", provider="郑州银行高新支行")
    assert f"#{r['id']}" in api_error(again, 409, "conflict")
    assert _count(inv) == before + 1


def test_a_proposal_the_suggestions_would_never_show_is_refused(
    demo: Demo, users: dict[str, TestClient]
) -> None:
    inv, park = users["investor"], users["parkofficer"]
    shifo = api_ok(_resource(inv, name="石佛专享贷", provider="中原银行", parks=["石佛"]), 201)["resource"]
    anywhere = api_ok(_resource(inv, name="通用贷", provider="建设银行"), 201)["resource"]
    body = {"uscc": demo.wutong_firm, "kind": "融资", "title": "流动资金贷款"}
    d = api_ok(park.post("/api/v1/linking/demands", json=body), 201)["demand"]
    url = f"/api/v1/linking/demands/{d['id']}/propose"
    message = api_error(
        park.post(url, json={"resource_id": shifo["id"], "expected_version": d["version"]}),
        400,
        "invalid_input",
    )
    assert "石佛" in message and "梧桐" in message
    m = api_ok(park.post(url, json={"resource_id": anywhere["id"], "expected_version": d["version"]}), 201)
    assert m["score"] > 0
    now = api_ok(park.get(f"/api/v1/linking/demands/{d['id']}"))
    twice = park.post(url, json={"resource_id": anywhere["id"], "expected_version": now["demand"]["version"]})
    assert f"#{m['match_id']}" in api_error(twice, 409, "conflict")
    assert len(api_ok(park.get(f"/api/v1/linking/demands/{d['id']}"))["matches"]) == 1
    [s] = [
        s
        for s in api_ok(park.get(f"/api/v1/linking/demands/{d['id']}/suggestions"))["suggestions"]
        if s["resource"]["id"] == anywhere["id"]
    ]
    assert not any("wutong" in r for r in s["reasons"])


def test_the_demand_page_offers_a_resource_once(demo: Demo, users: dict[str, TestClient]) -> None:
    inv, park = users["investor"], users["parkofficer"]
    r = api_ok(_resource(inv, name="一次贷", provider="交通银行"), 201)["resource"]
    body = {"uscc": demo.wutong_firm, "kind": "融资", "title": "周转贷款"}
    d = api_ok(park.post("/api/v1/linking/demands", json=body), 201)["demand"]
    page = park.get(f"/linking/demands/{d['id']}").text
    assert f'data-resource="{r["id"]}"' in page and "已对接 (proposed)" not in page
    url = f"/api/v1/linking/demands/{d['id']}/propose"
    api_ok(park.post(url, json={"resource_id": r["id"], "expected_version": d["version"]}), 201)
    assert "已对接 (proposed)" in park.get(f"/linking/demands/{d['id']}").text
