"""Projects: create, edit with an optimistic version, stage moves, notes, hand-over, audit, roles."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore, ConcurrentUpdate
from zonebrain.core.errors import InputError
from zonebrain.pipeline import NotAllowed, Origin, Pipeline, ProjectNotFound, Stage

D = dt.datetime
USCC = "91110000600037341L"


def test_the_migration_creates_the_pipeline_tables(store: AppStore) -> None:
    assert {"projects", "project_events"} <= set(store.table_names())
    assert (store.revision() or "") >= "0002"  # later migrations (0003 兑现) build on it
    assert store.migrate() == []


def test_create_keeps_the_fields_and_writes_event_and_audit(
    store: AppStore, pipe: Pipeline, people: People
) -> None:
    created = pipe.create(
        people.wang,
        name="郑州ABC智能科技有限公司",
        park_id="wutong",
        origin="targeting",
        chain_node="ic-design",
        promised_investment_fen=50_000_000_00,
        promised_jobs=120,
        at=D(2026, 1, 5, 9),
    )
    p = created.project
    assert created.warnings == ()
    assert (p.stage, p.owner, p.origin, p.version) == (Stage.LEAD, "wang", Origin.TARGETING, 1)
    assert p.promised_investment_fen == 5_000_000_000 and isinstance(p.promised_investment_fen, int)
    assert p.stage_since == D(2026, 1, 5, 9)
    [ev] = pipe.events(p.id)
    assert (ev.kind, ev.to_stage, ev.username) == ("created", Stage.LEAD, "wang")
    [audit] = store.audit.entries(action="project.create")
    assert audit.username == "wang" and audit.target == f"project:{p.id}"
    assert audit.detail["before"] is None and audit.detail["after"]["name"] == "郑州ABC智能科技有限公司"


def test_update_records_before_and_after_and_bumps_the_version(
    store: AppStore, pipe: Pipeline, people: People
) -> None:
    p = pipe.create(people.wang, name="甲公司", park_id="wutong", origin="event").project
    q = pipe.update(people.wang, p.id, expected_version=p.version, promised_jobs=80, notes="首次接触")
    assert (q.version, q.promised_jobs, q.notes) == (2, 80, "首次接触")
    [audit] = store.audit.entries(action="project.update")
    assert audit.detail["before"] == {"promised_jobs": None, "notes": ""}
    assert audit.detail["after"] == {"promised_jobs": 80, "notes": "首次接触"}
    assert audit.detail["version"] == 2
    # a no-op change writes nothing
    assert pipe.update(people.wang, p.id, expected_version=2, promised_jobs=80).version == 2


def test_a_stale_version_is_refused(store: AppStore, pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.wang, name="乙公司", park_id="wutong", origin="event").project
    pipe.update(people.wang, p.id, expected_version=p.version, promised_jobs=10)
    with pytest.raises(ConcurrentUpdate, match="已被他人修改"):
        pipe.update(people.zhao, p.id, expected_version=p.version, promised_jobs=99)
    with pytest.raises(ConcurrentUpdate):
        pipe.move(people.zhao, p.id, Stage.CONTACT, expected_version=p.version)
    with pytest.raises(ConcurrentUpdate):
        pipe.hand_over(people.zhao, p.id, "zhao", expected_version=p.version)
    assert pipe.get(p.id).promised_jobs == 10
    assert len(store.audit.entries(action="project.update")) == 1


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", " ", "企业名称"),
        ("uscc", "91110000600037341X", "校验"),
        ("origin", "magic", "未知来源"),
        ("promised_tax_fen", 1.5, "整数分"),
        ("promised_tax_fen", -1, "不能为负"),
        ("stage", "签约", "不能直接修改"),
        ("owner_id", 3, "不能直接修改"),
    ],
)
def test_invalid_edits_say_the_fix(
    pipe: Pipeline, people: People, field: str, value: object, fragment: str
) -> None:
    p = pipe.create(people.wang, name="丙公司", park_id="wutong", origin="event").project
    with pytest.raises(InputError, match=fragment):
        pipe.update(people.wang, p.id, expected_version=p.version, **{field: value})


def test_stage_moves_forward_back_and_terminate(store: AppStore, pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.wang, name="丁公司", park_id="wutong", origin="referral", at=D(2026, 1, 1)).project
    p = pipe.move(people.wang, p.id, "考察", expected_version=p.version, at=D(2026, 2, 1))  # skips 接洽
    assert (p.stage, p.stage_since) == (Stage.VISIT, D(2026, 2, 1))
    with pytest.raises(InputError, match="退回"):
        pipe.move(people.wang, p.id, Stage.CONTACT, expected_version=p.version)
    with pytest.raises(InputError, match="早于"):
        pipe.move(people.wang, p.id, Stage.NEGOTIATION, expected_version=p.version, at=D(2026, 1, 15))
    with pytest.raises(InputError, match="已处于"):
        pipe.move(people.wang, p.id, Stage.VISIT, expected_version=p.version)
    p = pipe.move(
        people.wang, p.id, Stage.CONTACT, expected_version=p.version, reason="考察未成行", at=D(2026, 2, 2)
    )
    with pytest.raises(InputError, match="终止项目须说明原因"):
        pipe.move(people.wang, p.id, Stage.TERMINATED, expected_version=p.version)
    p = pipe.move(
        people.wang, p.id, "终止", expected_version=p.version, reason="企业改投他地", at=D(2026, 3, 1)
    )
    assert (p.stage, p.terminated_reason) == (Stage.TERMINATED, "企业改投他地")
    with pytest.raises(InputError, match="重启"):
        pipe.move(people.wang, p.id, Stage.CONTACT, expected_version=p.version)
    p = pipe.move(people.wang, p.id, Stage.CONTACT, expected_version=p.version, reason="企业回心转意")
    assert p.terminated_reason is None
    stages = [(e.from_stage, e.to_stage) for e in pipe.events(p.id) if e.kind == "stage"]
    assert stages == [
        (Stage.LEAD, Stage.VISIT),
        (Stage.VISIT, Stage.CONTACT),
        (Stage.CONTACT, Stage.TERMINATED),
        (Stage.TERMINATED, Stage.CONTACT),
    ]
    audits = store.audit.entries(action="project.stage")
    assert audits[-1].detail["before"] == {"stage": "线索", "terminated_reason": None}
    assert audits[1].detail["after"] == {"stage": "终止", "terminated_reason": "企业改投他地"}


def test_future_times_are_refused(pipe: Pipeline, people: People) -> None:
    with pytest.raises(InputError, match="未来"):
        pipe.create(people.wang, name="戊公司", park_id="wutong", origin="event", at=D(2999, 1, 1))


def test_notes_are_dated_and_leave_the_version_alone(store: AppStore, pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.wang, name="己公司", park_id="wutong", origin="event", at=D(2026, 3, 1)).project
    ev = pipe.add_note(people.wang, p.id, "电话沟通，约下周考察", at=D(2026, 3, 3, 15))
    assert (ev.kind, ev.at, ev.text) == ("note", D(2026, 3, 3, 15), "电话沟通，约下周考察")
    assert pipe.get(p.id).version == p.version
    with pytest.raises(InputError, match="不能为空"):
        pipe.add_note(people.wang, p.id, "  ")
    assert store.audit.entries(action="project.note")[0].username == "wang"


def test_hand_over_keeps_the_history(store: AppStore, pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.wang, name="庚公司", park_id="wutong", origin="agency").project
    q = pipe.hand_over(people.wang, p.id, "li", expected_version=p.version, reason="落地梧桐，园区接手")
    assert (q.owner, q.version) == ("li", 2)
    [ev] = [e for e in pipe.events(p.id) if e.kind == "handover"]
    assert (
        ev.detail == {"before": {"owner": "wang"}, "after": {"owner": "li"}}
        and ev.text == "落地梧桐，园区接手"
    )
    assert store.audit.entries(action="project.handover")[0].detail["after"] == {"owner": "li"}
    with pytest.raises(InputError, match="只负责"):  # a park officer owns own-park projects only
        pipe.hand_over(people.li, p.id, "sun", expected_version=q.version)
    with pytest.raises(InputError, match="不能负责项目"):
        pipe.hand_over(people.li, p.id, "leader", expected_version=q.version)
    with pytest.raises(InputError, match="已由"):
        pipe.hand_over(people.li, p.id, "li", expected_version=q.version)


def test_roles(pipe: Pipeline, people: People) -> None:
    p = pipe.create(people.li, name="辛公司", park_id="wutong", origin="event").project
    assert p.owner == "li"
    for who in (people.sun, people.leader, people.firm):
        with pytest.raises(NotAllowed):
            pipe.update(who, p.id, expected_version=p.version, notes="x")
    with pytest.raises(NotAllowed):
        pipe.create(people.li, name="壬公司", park_id="shifo", origin="event")
    with pytest.raises(NotAllowed):  # a park officer cannot move a project out of the park
        pipe.update(people.li, p.id, expected_version=p.version, park_id="shifo")
    assert pipe.update(people.admin, p.id, expected_version=p.version, notes="ok").notes == "ok"
    with pytest.raises(ProjectNotFound):
        pipe.get(9999)


def test_list_filters(pipe: Pipeline, people: People) -> None:
    a = pipe.create(people.wang, name="A公司", park_id="wutong", origin="targeting").project
    pipe.create(people.zhao, name="B公司", park_id="shifo", origin="event")
    pipe.move(people.wang, a.id, Stage.TERMINATED, expected_version=1, reason="放弃")
    assert [p.name for p in pipe.list(park_id="shifo")] == ["B公司"]
    assert [p.name for p in pipe.list(owner="wang")] == ["A公司"]
    assert [p.name for p in pipe.list(stage="线索")] == ["B公司"]
    assert [p.name for p in pipe.list(origin=Origin.TARGETING)] == ["A公司"]
    assert [p.name for p in pipe.list(include_terminated=False)] == ["B公司"]
    assert pipe.get(a.id).as_dict()["stage"] == "终止"
