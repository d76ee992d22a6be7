"""Condition.walk: the one walk over a condition tree that the format's line numbers, the lint's
negation check, leaves() and map_leaves() all rely on."""

from __future__ import annotations

from zonebrain.policy import Condition

TREE = {
    "all": [
        {"fact": "revenue_fen", "op": ">=", "value": "200万", "ref": "第一条"},
        {
            "any": [
                {"tag": "高新技术企业", "ref": "第一条"},
                {"not": {"event": "经营异常", "ref": "第二条"}},
            ]
        },
        {"not": {"not": {"fact": "tax_fen", "op": ">", "param": "min_tax", "ref": "第二条"}}},
    ]
}


def test_walk_gives_each_leaf_its_path_as_written_and_its_negation() -> None:
    walked = [
        (leaf.fact or leaf.tag or leaf.event, path, neg)
        for leaf, path, neg in Condition.model_validate(TREE).walk()
    ]
    assert walked == [
        ("revenue_fen", ("all", 0), False),
        ("高新技术企业", ("all", 1, "any", 0), False),
        ("经营异常", ("all", 1, "any", 1, "not"), True),
        ("tax_fen", ("all", 2, "not", "not"), False),  # two nots cancel
    ]


def test_leaves_and_map_leaves_follow_the_walk() -> None:
    c = Condition.model_validate(TREE)
    assert [x.fact or x.tag or x.event for x in c.leaves()] == [
        "revenue_fen",
        "高新技术企业",
        "经营异常",
        "tax_fen",
    ]
    renamed = c.map_leaves(lambda x: x.model_copy(update={"ref": None}) if x.tag else x)
    assert [(leaf.ref, path) for leaf, path, _ in renamed.walk()][1] == (None, ("all", 1, "any", 0))
    assert [path for _, path, _ in renamed.walk()] == [path for _, path, _ in c.walk()]
    assert c.leaves()[1].ref is not None  # the original is untouched
