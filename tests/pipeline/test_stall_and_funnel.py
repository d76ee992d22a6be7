"""Stall colours with a configurable rule, weekly digests, funnel conversion and time in stage."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.pipeline.conftest import People
from zonebrain.core.errors import InputError
from zonebrain.pipeline import (
    Colour,
    Pipeline,
    Stage,
    StallRule,
    add_months,
    funnel,
    stall_colour,
    time_in_stage,
    weekly_digest,
)

D = dt.datetime


@pytest.mark.parametrize(
    ("since", "as_of", "colour"),
    [
        (D(2026, 1, 10), D(2026, 3, 9, 23), Colour.GREEN),
        (D(2026, 1, 10), D(2026, 3, 10), Colour.YELLOW),
        (D(2026, 1, 10), D(2026, 4, 9), Colour.YELLOW),
        (D(2026, 1, 10), D(2026, 4, 10), Colour.RED),
        (D(2025, 12, 31), D(2026, 2, 28), Colour.YELLOW),  # 31 Dec + 2 months = 28 Feb
    ],
)
def test_default_rule_is_two_and_three_months(since: D, as_of: D, colour: Colour) -> None:
    assert StallRule().colour(Stage.NEGOTIATION, since, as_of) is colour


def test_final_stages_never_stall() -> None:
    for stage in (Stage.FULL_PRODUCTION, Stage.TERMINATED):
        assert StallRule().colour(stage, D(2020, 1, 1), D(2026, 1, 1)) is Colour.NONE


def test_the_rule_is_configurable() -> None:
    rule = StallRule.from_mapping({"yellow": 30, "red": 45, "unit": "days", "per_stage": {"谈判": [60, 90]}})
    assert rule.colour(Stage.CONTACT, D(2026, 1, 1), D(2026, 2, 1)) is Colour.YELLOW
    assert rule.colour(Stage.NEGOTIATION, D(2026, 1, 1), D(2026, 2, 1)) is Colour.GREEN
    assert rule.colour(Stage.NEGOTIATION, D(2026, 1, 1), D(2026, 4, 1)) is Colour.RED
    with pytest.raises(InputError, match="0 < 黄 < 红"):
        StallRule(yellow=3, red=2)
    with pytest.raises(InputError, match="unknown keys"):
        StallRule.from_mapping({"orange": 1})
    with pytest.raises(InputError, match="未知阶段"):
        StallRule.from_mapping({"per_stage": {"发呆": [1, 2]}})
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)


def _zone(pipe: Pipeline, people: People) -> dict[str, int]:
    """Five projects with a known history (all times 2026)."""
    ids = {}
    for key, who, park, origin, at in [
        ("a", people.wang, "wutong", "targeting", D(2026, 1, 1)),
        ("b", people.wang, "wutong", "targeting", D(2026, 1, 1)),
        ("c", people.zhao, "shifo", "event", D(2026, 1, 1)),
        ("d", people.zhao, "shifo", "event", D(2026, 5, 25)),
        ("e", people.li, "wutong", "referral", D(2026, 5, 26)),
    ]:
        ids[key] = pipe.create(who, name=f"{key}公司", park_id=park, origin=origin, at=at).project.id

    def move(key: str, who: object, to: Stage, at: D, reason: str = "") -> None:
        v = pipe.get(ids[key]).version
        pipe.move(who, ids[key], to, expected_version=v, at=at, reason=reason)  # type: ignore[arg-type]

    move("a", people.wang, Stage.CONTACT, D(2026, 1, 11))
    move("a", people.wang, Stage.NEGOTIATION, D(2026, 2, 10))  # skips 考察
    move("a", people.wang, Stage.SIGNED, D(2026, 5, 27))
    move("b", people.wang, Stage.CONTACT, D(2026, 1, 21))
    move("c", people.zhao, Stage.CONTACT, D(2026, 1, 31))
    move("c", people.zhao, Stage.TERMINATED, D(2026, 3, 1), reason="外迁")
    return ids


def test_digest_per_officer_and_park(pipe: Pipeline, people: People) -> None:
    ids = _zone(pipe, people)
    as_of = D(2026, 5, 31)
    assert stall_colour(pipe.get(ids["b"]), as_of) is Colour.RED  # 接洽 since 21 Jan
    by_owner = {d.key: d for d in weekly_digest(pipe.list(), pipe.all_events(), as_of=as_of)}
    wang = by_owner["wang"]
    assert wang.counts == {"green": 1, "yellow": 0, "red": 1, "none": 0}
    assert [line.project_id for line in wang.red] == [ids["b"]] and wang.red[0].days_in_stage == 130
    assert [e.to_stage for e in wang.moved] == [Stage.SIGNED]
    zhao = by_owner["zhao"]
    assert zhao.counts["none"] == 1 and zhao.created == (ids["d"],)
    assert "红色预警" in wang.text() and "b公司" in wang.text()
    by_park = {d.key: d for d in weekly_digest(pipe.list(), pipe.all_events(), as_of=as_of, by="park")}
    assert set(by_park) == {"wutong", "shifo"}
    assert sorted(by_park["wutong"].created) == [ids["e"]]
    with pytest.raises(InputError):
        weekly_digest([], [], as_of=as_of, by="chain")


def test_funnel_conversion_per_origin(pipe: Pipeline, people: People) -> None:
    _zone(pipe, people)
    f = funnel(pipe.list(), pipe.all_events(), by="origin").set_index(["group", "stage"])
    assert f.loc[("targeting", "线索"), "reached"] == 2
    assert f.loc[("targeting", "接洽"), "reached"] == 2
    assert f.loc[("targeting", "考察"), "reached"] == 1  # skipped stages count as passed
    assert f.loc[("targeting", "接洽"), "conversion"] == 0.5
    assert f.loc[("targeting", "签约"), "from_lead"] == 0.5
    assert f.loc[("event", "接洽"), "terminated"] == 1
    assert f.loc[("event", "线索"), "conversion"] == 0.5
    assert math.isnan(f.loc[("event", "签约"), "conversion"])
    overall = funnel(pipe.list(), pipe.all_events())
    assert overall["group"].unique().tolist() == ["全部 all"] and len(overall) == 9
    assert overall["reached"].iloc[0] == 5


def test_time_in_stage(pipe: Pipeline, people: People) -> None:
    _zone(pipe, people)
    t = time_in_stage(pipe.list(), pipe.all_events(), as_of=D(2026, 5, 31), by="owner").set_index(
        ["group", "stage"]
    )
    assert t.loc[("wang", "线索"), "n_done"] == 2
    assert t.loc[("wang", "线索"), "median_days"] == 15  # a: 10 days, b: 20 days
    assert t.loc[("wang", "接洽"), "n_open"] == 1 and t.loc[("wang", "接洽"), "open_median_days"] == 130
    assert t.loc[("zhao", "接洽"), "mean_days"] == 29  # 31 Jan → 终止 1 Mar


def test_conversion_summary_adds_up(pipe: Pipeline, people: People) -> None:
    from zonebrain.pipeline import conversion

    _zone(pipe, people)
    projects, events = pipe.list(), pipe.all_events()
    c = conversion(projects, events, by="origin").set_index("group")
    assert c.index.tolist() == ["event", "referral", "targeting", "全部 all"]
    groups = c.drop(index="全部 all")
    # every group's counts add up to the whole, and each project is live, terminated or 达产
    for col in ("projects", "live", "terminated", "reached_contact", "reached_signed"):
        assert groups[col].sum() == c.loc["全部 all", col]
    assert (c["projects"] == c["live"] + c["terminated"]).all()
    assert c.loc["targeting", "reached_signed"] == 1 and c.loc["targeting", "signed_rate"] == 0.5
    assert c.loc["event", "terminated"] == 1 and c.loc["event", "reached_contact"] == 1
    assert c.loc["targeting", "median_days_to_sign"] == (D(2026, 5, 27) - D(2026, 1, 1)).days
    assert math.isnan(c.loc["event", "median_days_to_sign"])
    # the milestones agree with the funnel's reached counts, group by group
    f = funnel(projects, events, by="origin").set_index(["group", "stage"])
    for g in groups.index:
        assert c.loc[g, "reached_contact"] == f.loc[(g, "接洽"), "reached"]
        assert c.loc[g, "reached_signed"] == f.loc[(g, "签约"), "reached"]
        assert c.loc[g, "projects"] == f.loc[(g, "线索"), "reached"]
    by_owner = conversion(projects, events, by="owner").set_index("group")
    assert by_owner.loc["全部 all", "projects"] == 5 and by_owner.loc["wang", "signed_rate"] == 0.5
    assert conversion([], [], by="park").empty
