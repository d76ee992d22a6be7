"""项目库 and 资源对接 show Beijing time: a time stored as 2026-11-29 21:32 UTC reads 2026-11-30 05:32
on every page and in the Excel export (the JSON keeps it as stored), and "today" for a note is the
Beijing date, so between 00:00 and 08:00 Beijing time a note dated today is not "in the future"."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, USERS, login
from zonebrain.appstore import Role, open_app_store
from zonebrain.linking import Linking
from zonebrain.pipeline import Pipeline
from zonebrain.registry import load_zone
from zonebrain.storage import open_warehouse

AT = dt.datetime(2026, 11, 29, 21, 32)
"""A stored (UTC) time: 2026-11-30 05:32 in Beijing."""
SHOWN = "2026-11-30 05:32"
OWN = "91110000600037341L"


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, int, int]]:
    """An admin's client, a project created and handed over at AT, and a demand submitted at AT."""
    from zonebrain.web import create_app

    folder = tmp_path_factory.mktemp("beijing")
    with open_warehouse(folder / "wh.duckdb") as wh:
        wh.migrate()
        wh.replace("parks", load_zone().parks_table())
    store = open_app_store(folder / "app.sqlite", password_cost="low")
    users = {}
    for name, (role, extra) in USERS.items():
        scope = dict(extra)
        if role is Role.ENTERPRISE_USER:
            scope["uscc"] = OWN
        users[name] = store.users.add(name, PASSWORD, role, **scope)  # type: ignore[arg-type]
    pipe = Pipeline(store, clock=lambda: AT)
    project = pipe.create(
        users["admin"], name="郑州甲科技有限公司", park_id="wutong", origin="referral"
    ).project
    pipe.hand_over(users["admin"], project.id, "investor", expected_version=project.version, reason="分工")
    demand = Linking(store, clock=lambda: AT).submit_demand(
        users["admin"], uscc=OWN, kind="financing", title="研发贷款", park_id="wutong"
    )
    store.close()
    app = create_app(
        str(folder / "wh.duckdb"), app_db_url=str(folder / "app.sqlite"), data_dir=folder, password_cost="low"
    )
    with TestClient(app) as client:
        login(client, "admin")
        yield client, project.id, demand.id


@pytest.fixture
def client(ids: tuple[TestClient, int, int]) -> TestClient:
    return ids[0]


def _section(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}".*?</section>', html, re.S)
    assert m, element_id
    return m.group(0)


def test_project_history_and_hand_overs_show_beijing_time(ids: tuple[TestClient, int, int]) -> None:
    client, project_id, _ = ids
    html = client.get(f"/pipeline/{project_id}").text
    for section in ("handover-history", "project-history"):
        part = _section(html, section)
        assert SHOWN in part and "2026-11-29 21:32" not in part


def test_the_list_and_its_excel_show_beijing_time_the_json_keeps_utc(client: TestClient) -> None:
    assert SHOWN in client.get("/pipeline").text
    rows = client.get("/api/v1/pipeline/projects").json()["rows"]
    assert rows[0]["stage_since"] == "2026-11-29T21:32:00"
    r = client.get("/api/v1/pipeline/projects?format=xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    values = [c.value for row in ws.iter_rows() for c in row]
    assert dt.datetime(2026, 11, 30, 5, 32) in values and AT not in values


def test_the_digest_week_ends_on_the_beijing_date(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zonebrain.web._queries import pipeline as q

    monkeypatch.setattr(q, "utcnow", lambda: AT)
    week = re.search(r'id="digest-week">([^·]*)', client.get("/pipeline/digest").text)
    assert week and week.group(1).strip() == "2026-11-23 – 2026-11-30"


def test_linking_response_due_shows_beijing_time(ids: tuple[TestClient, int, int]) -> None:
    client, _, demand_id = ids
    due = "2026-12-05 05:32"  # AT + 5 days, in Beijing
    row = re.search(rf'data-demand="{demand_id}".*?</tr>', client.get("/linking").text, re.S)
    assert row and due in row.group(0)
    assert due in _section(client.get(f"/linking/demands/{demand_id}").text, "demand-facts")


def test_a_note_dated_today_in_beijing_is_not_in_the_future(
    ids: tuple[TestClient, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from zonebrain.web._routes import pipeline as routes

    client, project_id, _ = ids
    # between 00:00 and 08:00 Beijing time the Beijing date is a day ahead of the UTC date
    today = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    monkeypatch.setattr(routes, "beijing_today", lambda: today)
    url = f"/api/v1/pipeline/projects/{project_id}/notes"
    r = client.post(url, json={"text": "电话回访", "on": today.isoformat()})
    assert r.status_code == 201, r.text
    r = client.post(url, json={"text": "明天", "on": (today + dt.timedelta(days=1)).isoformat()})
    assert r.status_code == 400 and "在未来" in r.text
    # an earlier day is kept as noon Beijing time
    r = client.post(url, json={"text": "上门拜访", "on": "2026-11-28"})
    assert r.status_code == 201 and r.json()["at"].startswith("2026-11-28T04:00")


def test_note_time_compares_with_the_beijing_date() -> None:
    from zonebrain.core.errors import InputError
    from zonebrain.web._routes.pipeline import _note_time

    today = dt.date(2026, 11, 30)
    assert _note_time(today, today) is None
    assert _note_time(dt.date(2026, 11, 29), today) == dt.datetime(2026, 11, 29, 4)
    with pytest.raises(InputError, match="在未来"):
        _note_time(dt.date(2026, 12, 1), today)
