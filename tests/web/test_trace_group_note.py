"""The 从高从优 group a trace names is shown by its members' names, the id after, not as the raw id."""

from __future__ import annotations

from zonebrain.web._i18n import translator
from zonebrain.web._queries import policy as q


def test_a_group_is_named_by_its_members_in_both_languages() -> None:
    zh = q.note_text("group", "tech-innovation", translator("zh-CN"))
    assert (
        zh == "郑州市高新技术企业首次认定奖励、郑州高新区企业研发投入奖励 中只享受最高一项 (tech-innovation)"
    )
    en = q.note_text("group", "revenue-breakthrough-one-per-year", translator("en"))
    assert en.startswith("only the highest of 郑州高新区企业营业收入首次突破奖励")
    assert en.endswith("(revenue-breakthrough-one-per-year)")


def test_an_unknown_group_id_is_shown_as_it_is() -> None:
    assert q.note_text("group", "gone-from-the-library", translator("zh-CN")) == "gone-from-the-library"
