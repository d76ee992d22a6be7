"""The audit page shows a change as people read it: field: old → new, money in 万元/元, Chinese first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_ok, logged_in, make_app
from zonebrain.linking import Linking


@pytest.fixture(scope="module")
def aapp(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = make_app(demo, tmp_path_factory.mktemp("adminaudit"))
    with TestClient(application):
        yield application


def test_detail_text_reads_as_a_change() -> None:
    from zonebrain.web._routes.admin import detail_text

    text = detail_text(
        {
            "version": 2,
            "before": {"max_amount_fen": 10_000_000_000, "contact": "", "active": True},
            "after": {"max_amount_fen": 20_000_000_000, "contact": "张经理", "active": False},
        }
    )
    assert "金额上限" in text and "10,000 万元 → 20,000 万元" in text
    assert "联系方式" in text and "(空) → 张经理" in text and "是 → 否" in text
    assert "{" not in text and "_fen=" not in text
    assert "50 元" in detail_text({"before": None, "after": {"amount_fen": 5000}})
    assert "kind=notify" in detail_text({"kind": "notify"})  # other facts as they were


def test_the_audit_page_shows_before_and_after_readably(aapp: FastAPI) -> None:
    with logged_in(aapp, ["admin", "investor"]) as users:
        body = {
            "kind": "bank_loan",
            "name": "科技贷",
            "min_amount_fen": 500_000_000,
            "max_amount_fen": 10_000_000_000,
        }
        r = api_ok(users["investor"].post("/api/v1/linking/resources", json=body), 201)["resource"]
        store = aapp.state.zonebrain.store
        wang = store.users.get("investor")
        assert wang is not None
        Linking(store).update_resource(
            wang, r["id"], expected_version=r["version"], max_amount_fen=20_000_000_000
        )
        page = users["admin"].get("/admin/audit")
        assert page.status_code == 200
        assert "10,000 万元 → 20,000 万元" in page.text and "金额上限" in page.text
        assert "&#39;max_amount_fen&#39;" not in page.text and "{&#39;" not in page.text
