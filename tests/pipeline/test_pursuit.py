"""Duplicate-pursuit warnings: same USCC, or the same normalised name while there is no USCC."""

from __future__ import annotations

import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.pipeline import Pipeline, Stage, normalise_name

USCC = "91110000600037341L"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("郑州ABC智能科技有限公司", "ABC智能科技股份有限公司"),
        ("ＡＢＣ智能科技（中国）有限公司", "abc智能科技(中国)有限责任公司"),
        ("河南省华锐光电集团", "华锐光电有限公司"),
        ("郑州市 华锐 光电 有限公司", "华锐光电"),
        ("Foo Tech Co., Ltd.", "FOO TECH LIMITED"),
    ],
)
def test_spellings_of_one_firm_share_a_key(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_different_firms_keep_different_keys() -> None:
    assert normalise_name("华锐光电有限公司") != normalise_name("华锐电子有限公司")
    assert normalise_name("有限公司") != ""  # never an empty key


def test_another_park_pursuing_the_same_uscc_is_warned(
    store: AppStore, pipe: Pipeline, people: People
) -> None:
    first = pipe.create(people.li, name="甲科技有限公司", park_id="wutong", origin="event", uscc=USCC).project
    created = pipe.create(people.sun, name="完全不同的名字", park_id="shifo", origin="referral", uscc=USCC)
    [w] = created.warnings
    assert (w.project_id, w.park_id, w.owner, w.match, w.kind) == (
        first.id,
        "wutong",
        "li",
        "uscc",
        "other_park",
    )
    assert "其他园区" in w.message() and "coordinate" in w.message()
    assert store.audit.entries(action="project.pursuit_warning")[0].outcome == "warned"
    assert [x.project_id for x in pipe.pursuit_warnings(first.id)] == [created.project.id]


def test_same_name_without_uscc_and_another_officer(pipe: Pipeline, people: People) -> None:
    pipe.create(people.wang, name="郑州华锐光电有限公司", park_id="wutong", origin="event")
    [w] = pipe.create(
        people.zhao, name="华锐光电（中国）股份有限公司", park_id="wutong", origin="agency"
    ).warnings
    assert (w.match, w.kind, w.owner) == ("name", "other_officer", "wang")
    [w2] = pipe.create(people.wang, name="华锐光电集团", park_id="wutong", origin="agency").warnings[:1]
    assert w2.kind == "duplicate"


def test_registered_namesakes_and_terminated_projects_are_not_conflicts(
    pipe: Pipeline, people: People
) -> None:
    p = pipe.create(people.wang, name="华锐光电有限公司", park_id="wutong", origin="event", uscc=USCC).project
    other = "91350503MA31DKY80A"
    assert (
        pipe.create(
            people.zhao, name="郑州华锐光电有限公司", park_id="shifo", origin="event", uscc=other
        ).warnings
        == ()
    )
    pipe.move(people.wang, p.id, Stage.TERMINATED, expected_version=p.version, reason="放弃")
    assert pipe.create(people.zhao, name="新公司", park_id="wutong", origin="event", uscc=USCC).warnings == ()
