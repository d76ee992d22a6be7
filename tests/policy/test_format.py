"""The policy format: validation on load with file:line errors, units, dated parameters."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

import zonebrain.policy
from zonebrain.policy import LIBRARY, PolicyFileError, load_library, load_policy

GOOD = (LIBRARY / "zz-rd-input.policy.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.policy.__all__) == sorted(
        [
            "LIBRARY", "RULES", "Finding", "Form", "lint", "self_check", "Amount", "Clause", "Condition", "Family", "Group", "Library", "NoPayments", "Outcome",
            "PaidList", "Parameter", "PaymentHistory", "Policy", "PolicyFileError", "RunResult", "Tier",
            "canonical_hash", "evaluate", "load_family", "load_firms", "load_library", "load_policy",
            "load_results", "run_case_file", "run_cases", "run_policies",
            "WhatIf", "what_if", "MOVE_FIELDS", "MOVED", "Coverage", "coverage", "coverage_rows", "Stake", "FACT_SOURCES", "FactSource", "set_amount",
            "set_tiers", "set_threshold", "set_budget", "set_interpretation", "replace_from_yaml",
            "Explained", "ExplainedCondition", "explain", "RecordedPayments", "missing_fields_zh",
            "absent_reason", "check_as_of", "not_future", "provisional", "provisional_text",
            "registered_after_text", "results_table", "self_check_period", "PeriodRefused",
            "self_check_provisional", "with_outcomes",
        ]
    )  # fmt: skip


def test_library_loads_with_units_and_exact_rates() -> None:
    lib = load_library()
    assert sorted(lib.policies) == ["zz-hitech-first-cert", "zz-rd-input", "zz-revenue-breakthrough"]
    rd = lib.policies["zz-rd-input"]
    assert rd.parameters["threshold"].at(dt.date(2024, 12, 31)) == 500_000_000
    assert rd.parameters["rate"].at(dt.date(2024, 12, 31)) == Fraction(1, 50)
    assert rd.parameters["rate"].value_on(dt.date(2021, 12, 31)) is None  # not yet in force (at() refuses)
    tiers = lib.policies["zz-hitech-first-cert"].clauses[0].amount.tiers
    assert tiers is not None and tiers[1].lower == 200_000_000 and tiers[1].lower_inclusive is True


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        ("value: 2%}]", "value: 0.02}]", 25, "浮点数"),  # a float rate
        ("ref: 第一条\n    title", "ref: article 1\n    title", 32, "条款引用"),  # a bad clause reference
        ("      fact: rd_expense_fen", "      fact: rd_spend", 35, "未知事实"),  # unknown fact
        ("value: 500万元}]", "value: 500}]", 21, "须写单位"),  # an amount without a unit (parameter check)
        ("source_url: null", "source_url: javascript:alert(1)", 16, "source_url"),  # only http(s) links
        ("value: 500万元}]", "value: '5000000'}]", 21, "须写单位"),  # a quoted number is no unit either
        ("value: 50万元}]", "value: -50万元}]", 29, "负数"),  # a negative cap parameter (the value's line)
        ("value: 2%}]", "value: 150%}]", 25, "超过 100%"),  # a rate above 100%
    ],
)
def test_errors_name_the_line(tmp_path: Path, old: str, new: str, line: int, says: str | None) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    text = str(err.value)
    assert f"{path}:{line}:" in text, text
    if says:
        assert says in text


def test_tier_bounds_must_say_inclusive(tmp_path: Path) -> None:
    text = (LIBRARY / "zz-hitech-first-cert.policy.yaml").read_text(encoding="utf-8")
    bad = text.replace(
        "{lower: 1000万, lower_inclusive: true, amount: 30万}", "{lower: 1000万, amount: 30万}"
    )
    with pytest.raises(PolicyFileError, match="lower_inclusive"):
        load_policy(_write(tmp_path, bad))


def test_undeclared_parameter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="undeclared parameters"):
        load_policy(_write(tmp_path, GOOD.replace("cap_param: cap", "cap_param: ceiling")))


def test_every_policy_family_and_group_is_documented() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    lib = load_library()
    names = [*lib.policies, *lib.families]
    names += [g.id for f in lib.families.values() for g in f.groups if not g.applies_if]
    for name in names:
        assert f"**{name}**" in page, f"{name} is not described in docs/policy.md"


def test_events_used_are_known_to_the_importer() -> None:
    from zonebrain.registry.formats import EVENT_KINDS

    lib = load_library()
    trees = [c.when for p in lib.policies.values() for c in p.clauses]
    trees += [t for f in lib.families.values() for t in (f.eligibility, *f.exclusions)]
    used = {leaf.event for t in trees for leaf in t.leaves() if leaf.event}
    assert used <= set(EVENT_KINDS)


def test_tags_used_are_known_to_the_importer() -> None:
    from zonebrain.registry.formats import TAGS

    lib = load_library()
    trees = [c.when for p in lib.policies.values() for c in p.clauses]
    trees += [t for f in lib.families.values() for t in (f.eligibility, *f.exclusions)]
    used = {leaf.tag for t in trees for leaf in t.leaves() if leaf.tag}
    assert used <= set(TAGS), sorted(used - set(TAGS))


@pytest.mark.parametrize(
    ("member", "line"),
    [("zz-rd-input/awrd", 95), ("zz-rdinput/*", 95)],  # a clause typo, a policy id typo
)
def test_a_group_member_naming_no_clause_is_an_error_with_its_line(
    tmp_path: Path, member: str, line: int
) -> None:
    for f in LIBRARY.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    fam = tmp_path / "zz-gxq-2022.family.yaml"
    text = fam.read_text(encoding="utf-8")
    assert "members: [zz-hitech-first-cert/*, zz-rd-input/*]" in text
    fam.write_text(text.replace("zz-rd-input/*]", f"{member}]", 1), encoding="utf-8")
    with pytest.raises(PolicyFileError) as err:
        load_library(tmp_path)
    assert f"zz-gxq-2022.family.yaml:{line}:" in str(err.value) and member in str(err.value)


def test_a_missing_or_empty_policy_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="不存在"):
        load_library(tmp_path / "nowhere")
    with pytest.raises(PolicyFileError, match="没有"):
        load_library(tmp_path)
