"""QA (internal audit), over the web: an account an admin creates on 用户管理 records its creator (the
page's 授权人 column), waits its cooling-off before a payout step, and is one person with that admin
for the four eyes; each refusal answers 403 saying why and is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.web.conftest import USERS, Demo, api_error, api_ok, logged_in, login, private_app, run_now
from zonebrain.appstore import AccountGrantRow, UserRow, utcnow
from zonebrain.web._context import WebContext

NEW = {"username": "newlead", "password": "a-long-password-2", "role": "leader"}


@pytest.fixture(scope="module")
def sep_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "separation") as a:
        yield a


@pytest.fixture(scope="module")
def users(sep_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(sep_app, list(USERS)) as out:
        yield out


def _store(app: FastAPI) -> Any:
    ctx: WebContext = app.state.zonebrain
    return ctx.store


def test_an_account_made_on_the_web_waits_and_is_one_person_with_its_maker(
    sep_app: FastAPI, users: dict[str, TestClient]
) -> None:
    admin, researcher = users["admin"], users["researcher"]
    api_ok(admin.post("/api/v1/users", json=NEW), 201)
    rows = {r["username"]: r for r in api_ok(admin.get("/api/v1/users"))["rows"]}
    assert rows["newlead"]["granted_by"].startswith("admin 20") and rows["leader"]["granted_by"] == "—"
    assert "授权人" in admin.get("/admin/users").text

    run_id = run_now(researcher)["run_id"]
    b = api_ok(admin.post("/api/v1/policy/batches", json={"run_id": run_id}), 201)["batch"]  # by its maker
    with TestClient(sep_app) as new:
        login(new, "newlead", NEW["password"])
        review = f"/api/v1/policy/batches/{b['id']}/review"
        msg = api_error(new.post(review, json={"expected_version": b["version"]}), 403, "forbidden")
        assert "账号 newlead 由 admin 于" in msg and "24 小时冷静期内不能审核兑现批次" in msg, msg
        # the page offers no step it would refuse, and says until when (QA: buttons that 403)
        page = new.get(f"/policy/batches/{b['id']}").text
        assert 'id="review-form"' not in page and 'id="cooling-off"' in page and "冷静期至" in page

        store = _store(sep_app)
        then = utcnow() - dt.timedelta(hours=25)  # a day later
        with store.session() as s:
            uid = s.scalar(select(UserRow.id).where(UserRow.username == "newlead"))
            s.execute(update(AccountGrantRow).where(AccountGrantRow.user_id == uid).values(granted_at=then))
        msg = api_error(new.post(review, json={"expected_version": b["version"]}), 403, "forbidden")
        assert "审核人与本批次的制单人视为同一人: newlead 的账号由 admin 创建" in msg, msg
        page = new.get(f"/policy/batches/{b['id']}").text
        assert 'id="review-form"' not in page and 'id="cooling-off"' not in page  # one person with admin
    assert 'id="review-form"' in users["leader"].get(f"/policy/batches/{b['id']}").text
    b = api_ok(users["leader"].post(review, json={"expected_version": b["version"]}))["batch"]
    assert b["reviewed_by"] == "leader"  # the operator's account: another person

    denied = [e for e in store.audit.entries(action="disbursement.review") if e.outcome == "denied"]
    assert [e.username for e in denied] == ["newlead", "newlead"]
    assert str(denied[0].detail["reason"]).startswith("审核人与本批次的制单人视为同一人")
    assert str(denied[1].detail["reason"]).startswith("账号冷静期至")
