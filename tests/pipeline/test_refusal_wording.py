"""Refusals are worded by the domain: the role by its name (园区专员, a park officer), the park by
its short name when the pipeline knows the zone (its id otherwise), Chinese first and English in
parentheses; the codes travel beside the sentence (``codes``), not in it."""

from __future__ import annotations

import re

import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore, Role
from zonebrain.pipeline import NotAllowed, Pipeline
from zonebrain.registry import load_zone

ROLE_CODES = re.compile("|".join(r.value for r in Role))


def _shifo_project(pipe: Pipeline, people: People) -> int:
    return pipe.create(
        people.wang, name="郑州测试科技有限公司", park_id="shifo", origin="referral"
    ).project.id


def test_a_park_officer_is_refused_another_parks_project_by_name(store: AppStore, people: People) -> None:
    pipe = Pipeline(store, zone=load_zone())
    pid = _shifo_project(pipe, people)
    with pytest.raises(NotAllowed) as refused:
        pipe.move(people.li, pid, "接洽", expected_version=1)
    text = str(refused.value)
    assert text == "园区专员无权修改园区 石佛 的项目 (a park officer may not change projects of park 石佛)"
    assert not ROLE_CODES.search(text) and "shifo" not in text
    assert refused.value.codes == {"role": "park_officer", "park_id": "shifo"}  # type: ignore[attr-defined]


def test_without_a_zone_the_park_is_named_by_its_id(store: AppStore, people: People) -> None:
    pipe = Pipeline(store)
    pid = _shifo_project(pipe, people)
    with pytest.raises(NotAllowed, match=r"^园区专员无权修改园区 shifo 的项目 \(a park officer may not "):
        pipe.add_note(people.li, pid, "拜访")


def test_a_role_without_the_right_is_refused_without_a_park(store: AppStore, people: People) -> None:
    pipe = Pipeline(store, zone=load_zone())
    pid = _shifo_project(pipe, people)
    with pytest.raises(NotAllowed) as refused:
        pipe.update(people.leader, pid, expected_version=1, notes="x")
    assert str(refused.value) == "领导无权修改项目 (a leader may not change projects)"
    assert refused.value.codes == {"role": "leader"}  # type: ignore[attr-defined]


def test_roles_are_named_as_the_web_names_them() -> None:
    assert Role.ENTERPRISE_USER.a_label_en == "an enterprise user"
    assert Role.ADMIN.refusal("查看", "see it") == "系统管理员无权查看 (an administrator may not see it)"


def test_owner_messages_name_roles_and_parks(store: AppStore, people: People) -> None:
    pipe = Pipeline(store, zone=load_zone())
    why = pipe.check_owner("leader", "shifo") or ""
    assert why.startswith("用户 'leader' 是领导，不能负责项目") and "(a leader cannot own projects" in why
    why = pipe.check_owner("li", "shifo") or ""
    assert "园区 梧桐" in why and "园区 石佛" in why and not re.search(r"wutong|shifo", why), why
