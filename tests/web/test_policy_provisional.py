"""Second QA pass over the 政策 pages: provisional and future runs, clause order, and why a firm
has no result (registered after the period)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import USERS, Demo, api_error, api_ok, audit_rows, logged_in, make_app
from zonebrain.core.clock import beijing_today
from zonebrain.storage import open_warehouse

ORDER = ["reach-10m", "reach-20m", "reach-50m", "reach-100m"]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def late_firm(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dt.date]:
    """A private copy of the demo warehouse, and a firm registered after some past period."""
    folder = tmp_path_factory.mktemp("provisional")
    copy = folder / "warehouse.duckdb"
    shutil.copy(demo.warehouse, copy)
    with open_warehouse(copy, read_only=True) as wh:
        ent = wh.table("enterprises")
        late = ent.filter(ent.registered_on.year() < beijing_today().year).order_by(ent.registered_on.desc())
        row = wh.to_arrow(late.select("uscc", "registered_on").limit(1)).to_pylist()[0]
    return folder, str(row["uscc"]), row["registered_on"]


@pytest.fixture(scope="module")
def users(demo: Demo, late_firm: tuple[Path, str, dt.date]) -> Iterator[dict[str, TestClient]]:
    folder = late_firm[0]
    application: FastAPI = make_app(
        Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm), folder
    )
    with TestClient(application), logged_in(application, list(USERS)) as out:
        yield out


def _run_form(c: TestClient, as_of: str, period: str = "") -> Any:
    token = TOKEN.search(c.get("/policy").text)
    assert token
    data = {"as_of": as_of, "period": period, "csrf_token": token.group(1)}
    return c.post("/policy/run", data=data, follow_redirects=False)


def test_a_future_as_of_date_is_refused_on_the_form_and_the_api(users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    before = api_ok(c.get("/api/v1/policy/runs"))["rows"]
    ahead = (beijing_today() + dt.timedelta(days=5)).isoformat()
    r = _run_form(c, ahead)
    assert r.status_code == 400 and "晚于今天" in r.text, r.text
    msg = api_error(c.post("/api/v1/policy/runs", json={"as_of": ahead}), 400, "invalid_input")
    assert "晚于今天" in msg and "after today" in msg
    assert api_ok(c.get("/api/v1/policy/runs"))["rows"] == before  # no run became the latest
    logged = api_ok(users["admin"].get("/api/v1/audit?action=policy.run&size=500"))["rows"]
    failed = [a for a in logged if a["outcome"] == "failed"]
    assert any(ahead in str(a["detail"]) for a in failed)


def test_a_provisional_run_warns_everywhere_and_cannot_be_paid(users: dict[str, TestClient]) -> None:
    c, today = users["researcher"], beijing_today()
    r = _run_form(c, today.isoformat(), str(today.year))  # the year not over yet
    assert r.status_code == 303, r.text
    run_id = r.headers["location"].rsplit("/", 1)[1]
    note = f"{today.year} 年度在基准日 {today} 尚未结束, 结果为暂定"
    page = users["admin"].get(f"/policy/runs/{run_id}").text
    assert note in page and "provisional" in page
    assert 'id="create-batch-form"' not in page and 'id="create-batch-refused"' in page
    for path in ("/policy", "/policy/coverage", f"/policy/coverage?run={run_id}"):
        assert note in users["leader"].get(path).text, path
    uscc = users["admin"].get(f"/api/v1/policy/runs/{run_id}/results?size=1").json()["rows"][0]["uscc"]
    assert note in users["admin"].get(f"/policy/runs/{run_id}/trace/{uscc}").text
    # the service refuses the batch (the API and the page's form both come to it)
    msg = api_error(c.post("/api/v1/policy/batches", json={"run_id": run_id}), 409, "conflict")
    assert "暂定" in msg and "provisional" in msg
    token = TOKEN.search(c.get("/policy/batches").text)
    assert token
    r = c.post(f"/policy/runs/{run_id}/batch", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 409
    refused = audit_rows(users["admin"], "disbursement.create", f"run:{run_id}")
    assert refused and all(a["outcome"] == "refused" for a in refused)
    # a run after the period ends is no longer provisional
    done = api_ok(c.post("/api/v1/policy/runs", json={"as_of": "2025-03-31"}), 201)["run_id"]
    page = users["admin"].get(f"/policy/runs/{done}").text
    assert "尚未结束" not in page and 'id="create-batch-form"' in page
    assert "尚未结束" not in users["leader"].get("/policy").text


def _positions(ids: list[str]) -> list[int]:
    return [ORDER.index(i) for i in ids if i in ORDER]


def test_clauses_in_library_order_on_every_page(users: dict[str, TestClient], demo: Demo) -> None:
    run_id = api_ok(users["researcher"].post("/api/v1/policy/runs", json={"as_of": "2025-03-31"}), 201)[
        "run_id"
    ]
    summary = api_ok(users["leader"].get(f"/api/v1/policy/runs/{run_id}/summary"))["rows"]
    ids = [r["clause_id"] for r in summary if r["policy_id"] == "zz-revenue-breakthrough"]
    assert ids == ORDER
    page = users["leader"].get("/policy").text
    shown = [m for m in re.findall(r"<td>(reach-\d+m)</td>", page)]
    assert shown == ORDER, shown
    # the enterprise user's own results: one firm, clauses with the same status in library order
    rows = api_ok(users["firm"].get(f"/api/v1/policy/runs/{run_id}/results?policy=zz-revenue-breakthrough"))[
        "rows"
    ]
    by_status: dict[tuple[str, Any], list[str]] = {}
    for r in rows:
        by_status.setdefault((r["status"], r["amount_fen"]), []).append(r["clause_id"])
    assert any(len(v) > 1 for v in by_status.values())
    for v in by_status.values():
        assert _positions(v) == sorted(_positions(v)), v
    html = users["firm"].get(f"/policy/runs/{run_id}?policy=zz-revenue-breakthrough").text
    shown = re.findall(r"<td>(reach-\d+m)</td>", html)
    assert sorted(shown, key=ORDER.index) == shown or len(set(r["status"] for r in rows)) > 1
    # the enterprise page's fragment: every clause of the firm in library order
    frag = users["admin"].get(f"/policy/enterprise/{demo.own_firm}").text
    shown = re.findall(r'title="zz-revenue-breakthrough/(reach-\d+m)"', frag)  # the name shown, the id kept
    assert shown == ORDER, shown


def test_a_firm_registered_after_the_period_is_explained(
    users: dict[str, TestClient], late_firm: tuple[Path, str, dt.date]
) -> None:
    _, uscc, registered = late_firm
    period = registered.year - 1
    reason = f"该企业于 {registered} 登记, 晚于 {period} 年度, 不参与该年度测算"
    c = users["admin"]
    page = c.get(f"/policy/check?uscc={uscc}&period={period}").text
    assert reason in page and "registered" in page
    as_of = min(dt.date(registered.year, 3, 31), beijing_today()).isoformat()
    run_id = api_ok(
        users["researcher"].post("/api/v1/policy/runs", json={"as_of": as_of, "period": period}), 201
    )["run_id"]
    trace = c.get(f"/policy/runs/{run_id}/trace/{uscc}").text
    assert reason in trace
    assert reason in c.get(f"/policy/enterprise/{uscc}").text  # the latest run is that one
