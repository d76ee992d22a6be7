"""The whole 政策兑现 workflow over the JSON API (run → batch → review → 公示 → objection upheld →
approval → pay → pay again), on a private app of the demo zone with 待核实 firms.

test_policy_workflow.py walks it on an app of its own (its tests write more); the modules that only
read what the walk left share one walk per session through ``shared_flow`` (tests/web/conftest.py)
and the module fixtures below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._undetermined import with_undetermined
from tests.web.conftest import USERS, Demo, api_error, api_ok, private_app
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_today

FLOW_USERS = [*USERS, "gzofficer"]
"""The users logged in for the workflow: those of USERS and an officer of 沟赵 (gouzhao)."""

_ok = api_ok
_error = api_error


@contextmanager
def open_flow_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """A private app (runs write to its warehouse) with an officer of a park with 待核实 firms."""
    with private_app(
        with_undetermined(demo, tmp_path_factory),
        tmp_path_factory,
        "policyflow",
        {"gzofficer": (Role.PARK_OFFICER, "gouzhao")},
    ) as a:
        yield a


def walk_flow(users: dict[str, TestClient], run_id: str) -> dict[str, Any]:
    """The whole workflow over the JSON API; returns what the tests look at."""
    researcher, admin, leader, officer = (users[n] for n in ("researcher", "admin", "leader", "parkofficer"))
    out: dict[str, Any] = {"run_id": run_id}
    # who may build a batch: the service refuses the others with 403
    for name in ("leader", "parkofficer", "investor", "firm"):
        _error(users[name].post("/api/v1/policy/batches", json={"run_id": run_id}), 403, "forbidden")
    _error(researcher.post("/api/v1/policy/batches", json={"run_id": "no-such-run"}), 404, "not_found")
    msg = _error(
        researcher.post("/api/v1/policy/batches", json={"run_id": run_id, "policies": ["zz-nope"]}),
        400,
        "invalid_input",
    )
    assert "zz-nope" in msg and "zz-rd-input" in msg, msg  # names the policies there are
    b = _ok(researcher.post("/api/v1/policy/batches", json={"run_id": run_id, "title": "测试批次"}), 201)[
        "batch"
    ]
    out["batch"] = bid = b["id"]
    assert b["status"] == "draft" and b["total_fen"] > 0 and b["created_by"] == "researcher"

    # review by the admin (the creator may not: 四眼, 403 and audited); a stale version is a 409
    page = f"/policy/batches/{bid}"
    out["draft_pages"] = {n: users[n].get(page).text for n in ("researcher", "admin", "leader")}
    msg = _error(researcher.post(f"/api/v1/policy/batches/{bid}/review", json={"expected_version": b["version"]}),
                 403, "forbidden")  # fmt: skip
    assert "审核人不能是本批次的制单人" in msg
    _error(admin.post(f"/api/v1/policy/batches/{bid}/review", json={"expected_version": 99}), 409, "conflict")
    b = _ok(admin.post(f"/api/v1/policy/batches/{bid}/review", json={"expected_version": b["version"]}))[
        "batch"
    ]
    assert b["status"] == "reviewed" and b["reviewed_by"] == "admin"
    # 公示 for a week from today (in Beijing: the review's day)
    today = beijing_today()
    body = {
        "expected_version": b["version"],
        "start": today.isoformat(),
        "end": (today + dt.timedelta(6)).isoformat(),
    }
    _error(leader.post(f"/api/v1/policy/batches/{bid}/publicize", json=body), 403, "forbidden")
    b = _ok(researcher.post(f"/api/v1/policy/batches/{bid}/publicize", json=body))["batch"]
    assert b["status"] == "publicized"
    # too early to approve: the 公示期 runs on (409 with the service's message)
    msg = _error(
        leader.post(f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["version"]}),
        409,
        "conflict",
    )
    assert "公示期" in msg

    # the park officer sees (and objects to) their park's items only
    theirs = _ok(officer.get(f"/api/v1/policy/batches/{bid}/items?size=500"))
    everyone = _ok(leader.get(f"/api/v1/policy/batches/{bid}/items?size=500"))
    assert 0 < theirs["total"] < everyone["total"] and {r["park"] for r in theirs["rows"]} == {"梧桐"}
    other = next(r for r in everyone["rows"] if r["park"] != "梧桐")
    objection = {"text": "该企业已迁出", "raised_by": "匿名", "raised_by_role": "群众"}
    _error(officer.post(f"/api/v1/policy/items/{other['id']}/objections", json=objection), 403, "forbidden")
    target = theirs["rows"][0]
    out["withdrawn"] = target
    o = _ok(officer.post(f"/api/v1/policy/items/{target['id']}/objections", json=objection), 201)
    # resolved as upheld by the leader (not the batch's creator: 四眼): the item is withdrawn
    _error(leader.post(f"/api/v1/policy/objections/{o['id']}/resolve", json={"upheld": True, "note": ""}), 422,
           "validation_error")  # fmt: skip
    msg = _error(researcher.post(f"/api/v1/policy/objections/{o['id']}/resolve",
                                 json={"upheld": True, "note": "核实属实"}), 403, "forbidden")  # fmt: skip
    assert "异议处理人不能是本批次的制单人" in msg
    res = _ok(
        leader.post(f"/api/v1/policy/objections/{o['id']}/resolve", json={"upheld": True, "note": "核实属实"})
    )
    assert res["resolution"] == "upheld"
    items = _ok(leader.get(f"/api/v1/policy/batches/{bid}/items?status=withdrawn"))["rows"]
    assert [r["id"] for r in items] == [target["id"]]

    # the admin ends the 公示期 early (with a reason); having reviewed it, the admin may not approve
    # (四眼), and neither may whoever closed the 公示 early: the leader approves
    b = _ok(leader.get(f"/api/v1/policy/batches/{bid}"))["batch"]
    b = _ok(
        admin.post(
            f"/api/v1/policy/batches/{bid}/close-publicity",
            json={"expected_version": b["version"], "reason": "会议决定"},
        )
    )["batch"]
    assert (b["publicized_by"], b["publicity_closed_by"]) == ("researcher", "admin")
    out["closed_pages"] = {n: users[n].get(page).text for n in ("researcher", "admin", "leader")}
    closed = out["closed_pages"]["admin"]
    assert '<span id="batch-publicized-by">researcher</span>' in closed, (
        "the page names who published the list"
    )
    assert '<span id="publicity-closed-by">admin 已提前结束</span>' in closed
    msg = _error(admin.post(f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["version"]}), 403,
                 "forbidden")  # fmt: skip
    assert "审核人" in msg
    _error(researcher.post(f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["version"]}), 403,
           "forbidden")  # fmt: skip
    b = _ok(leader.post(f"/api/v1/policy/batches/{bid}/approve", json={"expected_version": b["version"]}))[
        "batch"
    ]
    assert b["status"] == "approved" and b["approved_by"] == "leader"
    out["approved_pages"] = {n: users[n].get(page).text for n in ("researcher", "admin", "leader")}

    # the approver may not record the payment (403, audited); the creator pays, then pays again:
    # already paid, the ledger unchanged
    msg = _error(leader.post(f"/api/v1/policy/batches/{bid}/pay"), 403, "forbidden")
    assert "支付登记人不能是本批次的审批人" in msg
    paid = _ok(researcher.post(f"/api/v1/policy/batches/{bid}/pay"))
    assert paid["paid"] > 0 and paid["batch"]["status"] == "paid"
    ledger = _ok(admin.get("/api/v1/policy/ledger?size=500"))
    assert ledger["total"] == paid["paid"]
    again = _ok(researcher.post(f"/api/v1/policy/batches/{bid}/pay"))
    assert again["paid"] == 0 and again["already_paid"] == paid["paid"]
    assert _ok(admin.get("/api/v1/policy/ledger?size=500"))["total"] == ledger["total"]
    out["paid"] = paid
    out["ledger"] = ledger
    return out


# ---- the session's shared walk, for modules that only read what it left ---------------------------


@pytest.fixture(scope="module")
def users(shared_flow_users: dict[str, TestClient]) -> dict[str, TestClient]:
    return shared_flow_users


@pytest.fixture(scope="module")
def run_id(shared_flow_run_id: str) -> str:
    return shared_flow_run_id


@pytest.fixture(scope="module")
def flow(shared_flow: dict[str, Any]) -> dict[str, Any]:
    return shared_flow
