"""The 待核实 queue across batches: what an enterprise provided is never asked for again, and what a
cancelled batch asked for no one yet goes with it (F4, F5)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.disbursement._data import NAMES, C
from tests.disbursement.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.disbursement import Disbursement, NotFound, RunRows, WrongStep
from zonebrain.disbursement._exports import clause_names

HITECH = ("zz-hitech-first-cert", "award")
REVENUE = ("zz-revenue-breakthrough", "reach-10m")


def _keys(d: Disbursement) -> list[tuple[str, str, str, str]]:
    return sorted((r.policy_id, r.clause_id, r.status.value, r.uscc) for r in d.verification.list())


def _request(d: Disbursement, key: tuple[str, str]) -> list[int]:
    return [r.id for r in d.verification.list() if (r.policy_id, r.clause_id) == key]


def test_a_closed_request_is_not_opened_again_by_a_new_batch(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """The tester's case: a request closed (企业已提交专项审计报告), the batch cancelled, a new batch
    built from the same run: no new 待联系 request for the same firm × clause × period."""
    b = d.create_batch(people.chen, first_run)
    (closed,) = (r for r in d.verification.list() if (r.policy_id, r.clause_id) == HITECH)
    (untouched,) = _request(d, REVENUE)
    d.verification.update(
        people.li, closed.id, status="closed", expected_version=closed.version, note="企业已提交专项审计报告"
    )
    d.cancel(people.chen, b.id, reason="测算参数有误", expected_version=b.version)
    assert _keys(d) == [(*HITECH, "closed", C)]  # the untouched one was cancelled with its batch
    b2 = d.create_batch(people.chen, first_run)
    assert _keys(d) == sorted([(*HITECH, "closed", C), (*REVENUE, "open", C)])
    (again,) = d.verification.list(status="open")
    assert again.batch_id == b2.id and again.id != untouched
    assert d.verification.get(closed.id).batch_id == b.id  # kept, with the batch that asked
    assert d.verification.add_from_run(people.chen, first_run) == 0
    # the cancelled one is kept (its id never reused), out of the queue, and takes no step
    with pytest.raises(NotFound, match=f"待核实事项 #{untouched} 已随兑现批次 #{b.id} 作废"):
        d.verification.get(untouched)
    with pytest.raises(WrongStep, match="不再办理"):
        d.verification.update(people.li, untouched, status="requested", expected_version=1)
    with pytest.raises(WrongStep, match="不再办理"):
        d.verification.update(people.li, untouched, status="requested", expected_version=2)
    (audit,) = [e for e in store.audit.entries(action="disbursement.cancel") if e.outcome == "ok"]
    assert audit.detail["verification"] == {"cancelled": [untouched], "handed_over": {}}


def test_answered_and_requested_requests_are_not_asked_again(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    """Any request worked on (已通知, 已提交) stays through a cancel, and blocks a new one."""
    b = d.create_batch(people.chen, first_run)
    for r, step in zip(d.verification.list(), ("requested", "answered"), strict=True):
        d.verification.update(people.li, r.id, status=step, expected_version=r.version)
    before = _keys(d)
    d.cancel(people.chen, b.id, reason="名单重新生成", expected_version=b.version)
    d.create_batch(people.chen, first_run)
    assert _keys(d) == before and len(before) == 2


def test_a_cancelled_batch_hands_a_request_to_a_later_batch_that_relied_on_it(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """Two live batches of one period (the run split by policy): the later one skipped the request
    the earlier one made; cancelling the earlier passes the request on instead of removing it."""
    early = d.create_batch(
        people.chen, first_run, policies=["zz-hitech-first-cert", "zz-revenue-breakthrough"]
    )
    later = d.create_batch(people.chen, first_run, policies=["zz-rd-input", "zz-revenue-breakthrough"])
    (hitech,) = _request(d, HITECH)
    (revenue,) = _request(d, REVENUE)
    assert {r.batch_id for r in d.verification.list()} == {early.id}  # the later batch made none
    d.cancel(people.chen, early.id, reason="拆分有误", expected_version=early.version)
    assert [(r.id, r.batch_id) for r in d.verification.list()] == [(revenue, later.id)]
    (audit,) = [e for e in store.audit.entries(action="disbursement.cancel") if e.outcome == "ok"]
    assert audit.detail["verification"] == {"cancelled": [hitech], "handed_over": {str(revenue): later.id}}
    d.cancel(people.chen, later.id, reason="重新测算", expected_version=later.version)
    assert d.verification.list() == []  # untouched, and no live batch left to want it


def test_the_export_asks_only_for_what_is_still_open(
    d: Disbursement, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    """Sheet 待核实企业 of the whole queue (全部): what the firm gave is not under 需企业提供; each
    request's status is shown, per firm and per request."""
    d.create_batch(people.chen, first_run)
    closed, other = d.verification.list()
    d.verification.update(
        people.li, closed.id, status="closed", expected_version=closed.version, note="企业已提交专项审计报告"
    )
    path = d.export_verification(people.chen, tmp_path / "待核实.xlsx", parks={"wutong": "梧桐"})
    summary = [list(r) for r in openpyxl.load_workbook(path)["待核实企业"].iter_rows(values_only=True)]
    head, row = summary
    assert head == ["企业名称", "统一社会信用代码", "园区", "需企业提供", "办理状态", "涉及政策条款"]
    assert row[:3] == [NAMES[C], C, "梧桐"]
    assert row[3] == other.ask  # both ask for the tax proof: still asked, once, for the open request
    assert row[4] == "待联系 1 项、已办结 1 项"
    titles = clause_names()  # each request with its clause's title, from the policy library
    items = str(row[5])
    assert (
        f"{closed.policy_name} {closed.clause_ref} {titles[closed.policy_id, closed.clause_id][1]} (已办结)"
        in items
    )
    assert (
        f"{other.policy_name} {other.clause_ref} {titles[other.policy_id, other.clause_id][1]} (待联系)"
        in items
    )
    d.verification.update(people.li, other.id, status="answered", expected_version=other.version)
    path = d.export_verification(people.chen, tmp_path / "待核实2.xlsx")
    (_, row) = [list(r) for r in openpyxl.load_workbook(path)["待核实企业"].iter_rows(values_only=True)]
    assert row[3] == "无 (所列事项均已提交或办结)" and "完税证明" not in row[3]
    assert row[4] == "已提交 1 项、已办结 1 项"
