"""Every YAML case beside the built-in policies passes through the real evaluation."""

from __future__ import annotations

from pathlib import Path

import pytest

from zonebrain.policy import LIBRARY, PolicyFileError, load_library, run_case_file

FILES = sorted(LIBRARY.rglob("*.cases.yaml"))


def test_every_policy_has_cases() -> None:
    covered = {p for f in FILES for p in f.read_text(encoding="utf-8").split("\n", 5)[3:4]}
    assert covered  # the header line names the policies; the real check is below
    names = " ".join(f.read_text(encoding="utf-8") for f in FILES)
    for pid in load_library().policies:
        assert f"policies: [{pid}" in names or f", {pid}]" in names, f"{pid} has no *.cases.yaml"


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_case_file_passes(path: Path) -> None:
    outcomes = run_case_file(path)
    assert outcomes
    failed = [f"{o.case}: {o.problems}" for o in outcomes if not o.passed]
    assert not failed, "\n".join(failed)


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    text = (LIBRARY / "zz-rd-input.cases.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.cases.yaml"
    bad.write_text(text.replace("amount: 10万, trace", "amount: 11万, trace", 1), encoding="utf-8")
    outcomes = run_case_file(bad)
    failed = [o for o in outcomes if not o.passed]
    assert len(failed) == 1 and "amount 10000000 fen != expected 11000000" in failed[0].problems[0]
    # Chinese first, in 元 as the policy texts write amounts (QA: English only, in 分)
    assert failed[0].problems[0].startswith("award: 金额 100,000.00 元, 应为 110,000.00 元"), failed[
        0
    ].problems


def test_a_misspelt_status_is_an_error_at_its_line(tmp_path: Path) -> None:
    """QA: status: eligble was reported as a failing case, not as a mistake in the file."""
    text = (LIBRARY / "zz-rd-input.cases.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.cases.yaml"
    bad.write_text(text.replace("status: eligible", "status: eligble", 1), encoding="utf-8")
    line = next(i for i, x in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if "eligble" in x)
    with pytest.raises(PolicyFileError) as err:
        run_case_file(bad)
    assert f"{bad}:{line}:" in str(err.value) and "eligble" in str(err.value), str(err.value)
