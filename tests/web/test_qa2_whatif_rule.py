"""What-if after QA (report 2, item 8): a budget rule the form did not offer is refused even when no
pool is set (it was dropped silently), in Chinese with the English after; a valid rule alone changes
nothing."""

from __future__ import annotations

import pytest

from zonebrain.core.errors import InputError
from zonebrain.web._queries import policy_analysis as q
from zonebrain.web._queries.policy import library


def _family() -> str:
    return next(iter(library().families))


@pytest.mark.parametrize("pool", ["", "30000"])
def test_an_unknown_rule_is_refused_with_or_without_a_pool(pool: str) -> None:
    fid = _family()
    with pytest.raises(InputError) as exc:
        q.scenario(library(), 2024, {f"budget:{fid}": pool, f"rule:{fid}": "bogus"})
    msg = str(exc.value)
    assert msg.startswith("预算分配规则须为") and "'bogus'" in msg
    assert "(the budget rule must be pro_rata or ranking)" in msg


def test_a_rule_of_an_unknown_family_is_refused() -> None:
    with pytest.raises(InputError, match="unknown family"):
        q.scenario(library(), 2024, {"rule:nope": "ranking"})


def test_a_valid_rule_without_a_pool_changes_nothing() -> None:
    fid = _family()
    for rule in q.BUDGET_RULES:
        sc = q.scenario(library(), 2024, {f"budget:{fid}": "", f"rule:{fid}": rule})
        assert sc.changes == [] and sc.library is library()
