"""The 待核实 queue (快申快享): undetermined results, what to ask for, and its steps."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.disbursement._data import NAMES, C
from tests.disbursement.conftest import People
from zonebrain.appstore import AppStore, ConcurrentUpdate, Role
from zonebrain.core.errors import InputError
from zonebrain.disbursement import Disbursement, NotAllowed, RunRows, VerificationStatus, ask_for


def test_undetermined_results_are_queued_with_what_to_ask(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    queue = d.verification.list()
    assert {(r.uscc, r.policy_id, r.clause_id) for r in queue} == {
        (C, "zz-hitech-first-cert", "award"),
        (C, "zz-revenue-breakthrough", "reach-10m"),
    }
    r = queue[0]
    assert r.batch_id == b.id and r.run_id == first_run.run_id and r.period == 2024
    assert r.missing_fields == "tax_fen[2024]" and r.enterprise_name == NAMES[C] and r.park_id == "wutong"
    assert r.ask == "2024年度在高新区缴纳的税款 — 请提供2024年度完税证明或税务部门出具的纳税信息"
    assert r.status is VerificationStatus.OPEN
    d.cancel(people.chen, b.id, reason="名单重新生成", expected_version=b.version)
    d.create_batch(people.chen, first_run)  # the same run again: no duplicate requests
    assert len(d.verification.list()) == 2
    assert d.verification.add_from_run(people.chen, first_run) == 0


def test_requests_move_forward_and_are_audited(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    d.verification.add_from_run(people.chen, first_run)
    r = d.verification.list()[0]
    r = d.verification.update(
        people.li, r.id, status="requested", expected_version=r.version, note="已电话通知"
    )
    with pytest.raises(ConcurrentUpdate):
        d.verification.update(people.chen, r.id, status="answered", expected_version=r.version - 1)
    r = d.verification.update(people.chen, r.id, status="answered", expected_version=r.version, note="已提交")
    with pytest.raises(InputError, match="only move forward"):
        d.verification.update(people.chen, r.id, status="requested", expected_version=r.version)
    r = d.verification.update(people.chen, r.id, status="closed", expected_version=r.version)
    assert r.status is VerificationStatus.CLOSED and r.note == "已电话通知\n已提交"
    with pytest.raises(NotAllowed):
        d.verification.update(people.wang, r.id, status="closed", expected_version=r.version)
    ok = [e.action for e in store.audit.entries() if e.outcome == "ok"]
    assert ok.count("verification.update") == 3 and "verification.queue" in ok
    assert len(d.verification.list(status="open")) == 1


def test_park_officers_work_their_own_park_only(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    d.verification.add_from_run(people.chen, first_run)
    r = d.verification.list()[0]
    shifo = people.sun
    with pytest.raises(NotAllowed):
        d.verification.update(shifo, r.id, status="requested", expected_version=r.version)


def test_refused_updates_are_audited_denied(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """An investor, a park officer of another park, an enterprise user: each refusal leaves a
    ``denied`` row naming the request, and the request is unchanged."""
    d.verification.add_from_run(people.chen, first_run)
    r = d.verification.list()[0]
    investor = store.users.add("zhao", "a-long-password", Role.INVESTMENT_OFFICER)
    shifo = people.sun
    for who in (investor, shifo, people.firm_c):
        with pytest.raises(
            NotAllowed, match=r"无权(处理(其他园区的|其他企业的)?待核实事项|将待核实事项改为)"
        ):
            d.verification.update(who, r.id, status="requested", expected_version=r.version, ip="10.0.0.9")
    denied = [e for e in store.audit.entries(action="verification.update") if e.outcome == "denied"]
    assert sorted((e.username, e.target, e.ip) for e in denied) == [
        (name, f"verification:{r.id}", "10.0.0.9") for name in ("firm_c", "sun", "zhao")
    ]
    assert all("待核实事项" in e.detail["reason"] for e in denied)
    by_name = {e.username: e.detail["reason"] for e in denied}  # the park officer's reason is the park
    assert by_name["sun"] == (
        f"园区专员无权处理其他园区的待核实事项 #{r.id} (a park officer may not handle request #{r.id} of another park)"
    )
    assert (
        by_name["zhao"]
        == "招商专员无权处理待核实事项 (an investment officer may not handle verification requests)"
    )
    # an enterprise user takes one step (企业已提交) on its own enterprise's requests only
    own = r.uscc == people.firm_c.uscc
    assert by_name["firm_c"].startswith(
        "企业用户无权将待核实事项改为已通知" if own else "企业用户无权处理其他企业的待核实事项"
    )
    assert d.verification.get(r.id) == r
    with pytest.raises(NotAllowed, match="无权建立待核实队列"):
        d.verification.add_from_run(investor, first_run)
    (queued,) = [e for e in store.audit.entries(action="verification.queue") if e.outcome == "denied"]
    assert queued.target == f"run:{first_run.run_id}"


def test_a_version_ahead_is_wrong_not_stale(d: Disbursement, people: People, first_run: RunRows) -> None:
    d.verification.add_from_run(people.chen, first_run)
    r = d.verification.list()[0]
    with pytest.raises(
        ConcurrentUpdate, match=f"版本号不对: 当前为 {r.version}, 你填的是 5 \\(wrong version"
    ):
        d.verification.update(people.chen, r.id, status="requested", expected_version=5)


def test_the_queue_export_lists_per_enterprise_what_to_provide(
    d: Disbursement, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    d.verification.add_from_run(people.chen, first_run)
    path = d.export_verification(people.chen, tmp_path / "待核实.xlsx", parks={"wutong": "梧桐"})
    wb = openpyxl.load_workbook(path)
    summary = [list(r) for r in wb["待核实企业"].iter_rows(values_only=True)]
    assert summary[0] == ["企业名称", "统一社会信用代码", "园区", "需企业提供", "办理状态", "涉及政策条款"]
    assert summary[1][:3] == [NAMES[C], C, "梧桐"]  # the park's name, not its id
    assert "完税证明" in str(summary[1][3]) and str(summary[1][3]).count("\n") == 0  # one line, not twice
    detail = [list(r) for r in wb["待核实明细"].iter_rows(values_only=True)]
    at = detail[0].index("缺失数据项")
    assert len(detail) == 3 and {r[at] for r in detail[1:]} == {"2024年纳税总额"}  # not tax_fen[2024]


def test_ask_for_names_every_missing_fact() -> None:
    text = ask_for("revenue_fen[2023],max_revenue_fen_before[2024],division_code,mystery")
    assert text.splitlines() == [
        "2023年度营业收入 (销售收入) — 请提供2023年度财务报表或增值税纳税申报表",
        "2024年以前各年度的营业收入 — 请提供2024年以前年度的财务报表 (用于判断是否首次突破)",
        "工商注册地 — 请提供营业执照",
        "mystery — 请提供证明该数据的材料",
    ]
    assert ask_for("") == ""
