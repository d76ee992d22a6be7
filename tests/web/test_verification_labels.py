"""The 待核实 queue on the web: the API takes a status by its Chinese label too, an unknown one is a
422 naming every accepted status (label, code); the queue names each clause by its title, and one
no longer in the policy library by its id with a note; the enterprise page's 政策 section says
请补充 only for the requests still asking (待联系, 已通知), not for one the firm answered."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web._undetermined import with_undetermined
from tests.web.conftest import Demo, api_error, api_ok, logged_in, private_app, run_now
from zonebrain.appstore.disbursement_models import VerificationRequestRow
from zonebrain.disbursement._exports import NOT_IN_LIBRARY
from zonebrain.web._context import WebContext
from zonebrain.web._queries import payout as q

QUEUE = "/api/v1/policy/verification"
STEPS = "已通知 (requested)、已提交 (answered)、已办结 (closed)"


@pytest.fixture(scope="module")
def verify_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    zone = with_undetermined(demo, tmp_path_factory)  # firms with 待核实 results
    with private_app(zone, tmp_path_factory, "verifylabels") as a:
        yield a


@pytest.fixture(scope="module")
def users(verify_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    with logged_in(verify_app, ["admin", "researcher", "leader"]) as out:
        yield out


@pytest.fixture(scope="module")
def queued(users: dict[str, TestClient]) -> list[dict[str, Any]]:
    """A run and a batch built from it: the queue's requests, of three firms at least."""
    run = str(run_now(users["researcher"])["run_id"])
    api_ok(users["researcher"].post("/api/v1/policy/batches", json={"run_id": run}), 201)
    rows: list[dict[str, Any]] = api_ok(users["admin"].get(f"{QUEUE}?size=500"))["rows"]
    assert len({r["uscc"] for r in rows}) >= 3, rows  # one firm per test below
    return rows


def _firms(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r["uscc"] for r in rows))


def _move(c: TestClient, r: dict[str, Any], status: str) -> dict[str, Any]:
    body = {"status": status, "expected_version": r["version"]}
    moved: dict[str, Any] = api_ok(c.post(f"{QUEUE}/{r['id']}", json=body))
    return {**r, **moved}


def test_the_api_takes_a_status_by_its_chinese_label(
    queued: list[dict[str, Any]], users: dict[str, TestClient]
) -> None:
    admin = users["admin"]
    firm = _firms(queued)[0]
    r = next(r for r in queued if r["uscc"] == firm)
    r = _move(admin, r, "已通知")  # the label the page and the Excel show
    assert r["status"] == "requested"
    r = _move(admin, r, " 已提交 ")
    assert r["status"] == "answered"
    row = next(
        x for x in api_ok(admin.get(f"{QUEUE}?size=500&status=answered"))["rows"] if x["id"] == r["id"]
    )
    assert row["status"] == "answered" and row["status_text"] == "已提交"  # stored as the code
    # an unknown status, a label of no step forward (待联系), the English label: 422 naming them all
    for wrong in ("完成", "待联系", "Answered", "open", ""):
        body = {"status": wrong, "expected_version": r["version"]}
        msg = api_error(admin.post(f"{QUEUE}/{r['id']}", json=body), 422, "validation_error")
        assert msg.startswith(f"请求参数不合规：状态 (status) 须为 {STEPS} 之一 (status must be one of "), msg
    admin.cookies.set("zb_lang", "en")
    try:
        body = {"status": "done", "expected_version": r["version"]}
        msg = api_error(admin.post(f"{QUEUE}/{r['id']}", json=body), 422, "validation_error")
    finally:
        admin.cookies.delete("zb_lang")
    assert "已通知 (requested), 已提交 (answered) or 已办结 (closed)" in msg, msg
    # the codes still work, and the schema lists both ways of writing a step
    r = _move(admin, r, "closed")
    assert r["status"] == "closed"
    spec = admin.get("/api/v1/openapi.json").json()
    status = spec["components"]["schemas"]["VerifyIn"]["properties"]["status"]
    assert status["enum"] == ["requested", "answered", "closed", "已通知", "已提交", "已办结"]


def test_the_queue_names_each_clause_by_its_title(
    queued: list[dict[str, Any]], verify_app: FastAPI, users: dict[str, TestClient]
) -> None:
    """In the JSON, the queue's Excel (?format=xlsx) and the 待核实清单 export; a clause the
    library no longer has: its id and the note, and every file is still made."""
    leader = users["leader"]
    firm = _firms(queued)[1]
    gone = next(r for r in queued if r["uscc"] == firm)
    ctx: WebContext = verify_app.state.zonebrain
    with ctx.store.session() as s:
        row = s.get(VerificationRequestRow, gone["id"])
        assert row is not None
        row.clause_id = "withdrawn-clause"  # as if the library had dropped the clause since
    note = f"withdrawn-clause — {NOT_IN_LIBRARY}"
    rows = {r["id"]: r for r in api_ok(leader.get(f"{QUEUE}?size=500"))["rows"]}
    assert rows[gone["id"]]["clause_title"] == note
    titled = [r for r in rows.values() if r["id"] != gone["id"]]
    assert titled and all(r["clause_title"] and NOT_IN_LIBRARY not in r["clause_title"] for r in titled)
    table = leader.get(f"{QUEUE}?format=xlsx")
    assert table.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(table.content)).active
    assert ws is not None
    assert note in [c.value for row in ws.iter_rows() for c in row]
    export = leader.get("/api/v1/policy/verification/export")
    assert export.status_code == 200, export.text
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    detail = [list(r) for r in book["待核实明细"].iter_rows(values_only=True)]
    head = detail[0]
    assert head[0] == "事项号" and head[3:8] == ["政策", "政策代码", "条款", "条款名称", "条款代码"]
    by_id = {(r[2], r[4], r[7]): r for r in detail[1:]}  # uscc, policy, clause code
    assert by_id[firm, gone["policy_id"], "withdrawn-clause"][6] == note
    for r in titled:
        assert by_id[r["uscc"], r["policy_id"], r["clause_id"]][5:7] == [r["clause_ref"], r["clause_title"]]
    # QA: the file had no request number, so an officer could not run `policy verify update ID`
    assert sorted(r[0] for r in detail[1:]) == sorted(r["id"] for r in [*titled, gone])
    summary = [list(r) for r in book["待核实企业"].iter_rows(values_only=True)]
    (items,) = [str(r[5]) for r in summary[1:] if r[1] == firm]
    assert f"{gone['clause_ref']} {note} (" in items


def test_the_enterprise_page_asks_only_while_a_request_is_open(
    queued: list[dict[str, Any]], users: dict[str, TestClient]
) -> None:
    """A firm whose requests are all answered (已提交): its 政策 section lists them with their status
    and what was provided, never 请补充; a firm asked (已通知) still reads 请补充."""
    admin = users["admin"]
    answered_firm, asked_firm = _firms(queued)[2], _firms(queued)[1]  # the others' tests leave it open
    mine = [r for r in queued if r["uscc"] == answered_firm]
    for r in mine:
        _move(admin, _move(admin, r, "requested"), "answered")
    page = admin.get(f"/policy/enterprise/{answered_firm}")
    assert page.status_code == 200
    asks = page.text.split('id="enterprise-asks"', 1)[1]
    assert "已提交" in asks and "企业已提交，待核实" in asks
    assert "请补充" not in page.text
    assert "暂无需再提供" in asks and "请按所列补充材料" not in asks
    for r in mine:
        assert f'id="ask-{r["id"]}"' in asks
        assert r["ask"].splitlines()[0] in asks  # what it provided, still shown (muted)
    # the statuses still asking, as the queue page reads them (q.ASKING): 已通知 is one
    assert set(q.ASKING) == {"open", "requested"}
    now = api_ok(admin.get(f"{QUEUE}?size=500&uscc={asked_firm}&status=open"))["rows"]
    r = _move(admin, now[0], "requested")
    other = admin.get(f"/policy/enterprise/{asked_firm}").text.split('id="enterprise-asks"', 1)[1]
    item = other.split(f'id="ask-{r["id"]}"', 1)[1].split("</li>", 1)[0]
    assert "已通知" in item and "请补充" in item
    assert "请按所列补充材料" in other
