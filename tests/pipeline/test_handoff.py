"""目标企业 → 项目库: candidates become 线索 with origin targeting; firms already pursued are skipped,
name matches need confirmation, the accepted ones are added together and audited; the candidate file
``zonebrain candidates --out`` writes reads back as leads."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.core.errors import InputError
from zonebrain.pipeline import (
    Lead,
    NotAllowed,
    Origin,
    Pipeline,
    Stage,
    add_candidates,
    read_candidate_file,
)

A = "91110000600037341L"
B = "91350503MA31DKY80A"
C = "91410100317411115N"


def test_candidates_become_leads_owned_by_the_officer(
    pipe: Pipeline, people: People, store: AppStore
) -> None:
    leads = [
        Lead("甲光电有限公司", A, "intelligent-sensors/optical-image-sensors", 0.61, "补缺 3976"),
        Lead("乙传感股份有限公司", B, "3976", 0.55),
    ]
    out = add_candidates(pipe, people.wang, leads, park_id="wutong", ip="10.0.0.1")
    assert [o.status for o in out.outcomes] == ["created", "created"]
    p = out.created[0].project
    assert p is not None
    assert (p.origin, p.stage, p.owner, p.park_id, p.uscc) == (
        Origin.TARGETING,
        Stage.LEAD,
        "wang",
        "wutong",
        A,
    )
    assert p.chain_node == "intelligent-sensors/optical-image-sensors" and "0.610" in p.notes
    assert "补缺 3976" in p.notes
    assert pipe.usccs() == {A: p.id, B: out.created[1].project.id}  # type: ignore[union-attr]
    creates = store.audit.entries(action="project.create")
    assert len(creates) == 2 and {e.ip for e in creates} == {"10.0.0.1"}


def test_firms_already_pursued_are_skipped_and_name_matches_need_confirmation(
    pipe: Pipeline, people: People
) -> None:
    first = pipe.create(people.zhao, name="甲光电有限公司", uscc=A, park_id="shifo", origin="event").project
    pipe.create(people.zhao, name="河南丙芯科技有限公司", park_id="shifo", origin="referral")
    leads = [Lead("甲光电有限公司", A), Lead("丙芯科技有限公司", C), Lead("丁公司", "not-a-uscc")]
    out = add_candidates(pipe, people.wang, leads, park_id="wutong")
    assert [o.status for o in out.outcomes] == ["already", "needs_confirm", "invalid"]
    already, confirm, invalid = out.outcomes
    assert already.existing_id == first.id and "已在项目库" in already.message
    assert confirm.warnings[0].match == "name" and "其他园区" in confirm.message
    assert "GB 32100" in invalid.message or "统一社会信用代码" in invalid.message
    assert len(pipe.list()) == 2  # nothing was added
    again = add_candidates(pipe, people.wang, [Lead("丙芯科技有限公司", C)], park_id="wutong", confirm=True)
    assert again.outcomes[0].status == "created" and again.outcomes[0].warnings
    assert "1 个线索" in again.summary() or "新增 1" in again.summary()


def test_terminated_projects_do_not_block_a_new_approach(pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.wang, name="甲光电有限公司", uscc=A, park_id="wutong", origin="event").project
    pipe.move(people.wang, p.id, Stage.TERMINATED, expected_version=p.version, reason="外迁")
    assert pipe.usccs() == {} and pipe.usccs(include_terminated=True) == {A: p.id}
    out = add_candidates(pipe, people.wang, [Lead("甲光电有限公司", A)], park_id="wutong")
    assert out.outcomes[0].status == "created"


def test_roles_and_parks(pipe: Pipeline, people: People) -> None:
    with pytest.raises(NotAllowed):
        add_candidates(pipe, people.leader, [Lead("甲", A)], park_id="wutong")
    with pytest.raises(NotAllowed):
        add_candidates(pipe, people.li, [Lead("甲", A)], park_id="shifo")
    out = add_candidates(pipe, people.li, [Lead("甲", A), Lead("甲", A)], park_id="wutong")
    assert len(out.created) == 1  # the same firm twice in one request is added once
    dry = add_candidates(pipe, people.wang, [Lead("乙", B)], park_id="wutong", dry_run=True)
    assert dry.outcomes[0].status == "created" and B not in pipe.usccs()


def test_the_candidate_export_reads_back_as_leads(tmp_path: Path) -> None:
    from zonebrain.reports import export_excel
    from zonebrain.targeting._export import CANDIDATE_HEADERS, PIPELINE_COLUMNS

    rows = pa.table(
        {
            "uscc": [A, "bad", None],
            "name": ["甲光电有限公司", "乙公司", ""],
            "industry_code": ["3976", "3976", "3971"],
            "gap": ["intelligent-sensors/optical-image-sensors", "3976", "3971"],
            "score": [0.61, 0.5, 0.4],
            "reasons": ["补缺", "", ""],
            "source": ["zonebrain targeting"] * 3,
        }
    )
    assert set(PIPELINE_COLUMNS) <= set(rows.column_names)
    path = export_excel(
        {"目标企业": rows, "导入招商项目库": rows}, tmp_path / "目标企业.xlsx", headers=CANDIDATE_HEADERS
    )
    f = read_candidate_file(path)
    assert [lead.uscc for lead in f.leads] == [A] and f.rows == [2]
    assert f.leads[0].gap == "intelligent-sensors/optical-image-sensors" and f.leads[0].score == 0.61
    assert {(p.row, p.column) for p in f.problems} == {(3, "统一社会信用代码"), (4, "企业名称")}
    with pytest.raises(InputError):
        read_candidate_file(tmp_path / "missing.xlsx")
