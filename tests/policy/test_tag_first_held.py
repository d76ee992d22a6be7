"""A tag first held in the period (``since_within``): QA's policy author could not write 首次认定
from a register of tags (a condition read only whether a tag was held at the period end). The
case file covers every boundary; a blank ``since`` is 待核实 naming the date to ask for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy._tag_first import POLICY, library_with_tag_first
from zonebrain.policy import PolicyFileError, load_policy
from zonebrain.policy._cases import run_cases
from zonebrain.policy._coverage import field_label_zh
from zonebrain.web._queries._common import field_name


def test_every_boundary_case_passes(tmp_path: Path) -> None:
    outcomes = run_cases(library_with_tag_first(tmp_path / "lib"))
    assert len(outcomes) == 9
    assert [(o.case, o.problems) for o in outcomes if o.problems] == []


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    folder = library_with_tag_first(tmp_path / "lib")
    cases = folder / "zz-tag-first.cases.yaml"
    text = cases.read_text(encoding="utf-8")
    wrong = "firm: {tags: [{tag: 专精特新中小企业, since: 2023-12-31}]}\n    expect: [{clause: award, status: eligible"
    cases.write_text(
        text.replace("firm: {tags: [{tag: 专精特新中小企业, since: 2023-12-31}]}\n    expect: [{clause: award, status: ineligible", wrong),
        encoding="utf-8",
    )  # fmt: skip
    failed = [o for o in run_cases(folder) if o.problems]
    assert [o.case for o in failed] == ["上年已取得 (just before) → 无"]


def test_the_missing_date_is_named_for_people() -> None:
    assert field_label_zh("tag_since[专精特新中小企业]") == "首次取得专精特新中小企业的日期"
    assert field_name("en", "tag_since[专精特新中小企业]") == "date first holding 专精特新中小企业"


def test_since_within_belongs_to_a_tag(tmp_path: Path) -> None:
    path = tmp_path / "x.policy.yaml"
    written = "{event: 专精特新中小企业认定, since_within: period, ref: 第一条, label: 本期首次认定}"
    path.write_text(
        POLICY.replace(
            "{tag: 专精特新中小企业, since_within: period, ref: 第一条, label: 本期首次认定}", written
        ),
        encoding="utf-8",
    )
    with pytest.raises(PolicyFileError) as err:
        load_policy(path)
    line = next(n for n, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "since_within" in text)
    assert "since_within 只用于 tag 条件" in str(err.value) and f"{path}:{line}:" in str(err.value)
