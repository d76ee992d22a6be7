"""`zonebrain policy whatif --yaml FILE`: an error in the edited file names that file, as given on
the command line, and its line; never a temporary copy (``/tmp/zonebrain-whatif-…/…``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from zonebrain.policy import LIBRARY

runner = CliRunner()


def _edited(folder: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the built-in *name* with *old* replaced by *new*, and the line *new* starts on."""
    text = (LIBRARY / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    edited = text.replace(old, new)
    path = folder / name
    path.write_text(edited, encoding="utf-8")
    return path, edited[: edited.index(new)].count("\n") + 1


def _whatif(cli: typer.Typer, path: Path) -> str:
    r = runner.invoke(cli, ["whatif", "--as-of", "2025-03-31", "--yaml", str(path)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "zonebrain-whatif-" not in r.output, r.output  # the temporary copy it used to name
    return r.output


def test_a_leaf_without_its_ref_is_named_at_the_users_file_and_line(
    analysis_cli: typer.Typer, tmp_path: Path
) -> None:
    folder = tmp_path / "edit"
    folder.mkdir()
    old = '      fact: rd_expense_fen\n      year: 0\n      op: ">="\n      param: threshold\n      ref: 第一条\n'
    path, line = _edited(folder, "zz-rd-input.policy.yaml", old, old.replace("      ref: 第一条\n", ""))
    out = _whatif(analysis_cli, path)
    assert f"{path}:{line}: clauses.0.when: 每个条件须有条款引用 ref" in out, out


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        # an impossible date: the loader's error at its line (it was an uncaught ValueError)
        ("zz-rd-input.policy.yaml", "{since: 2022-01-01, value: 2%}", "{since: 2022-02-30, value: 2%}"),
        ("zz-gxq-2022.family.yaml", "issued_on: 2022-02-25", "issued_on: 2022-02-30"),
        ("zz-gxq-2022.family.yaml", "  issuer: 郑州", "  issuer: [郑州"),  # a YAML syntax error
    ],
)
def test_every_error_of_an_edited_policy_or_family_names_the_users_file(
    analysis_cli: typer.Typer, tmp_path: Path, name: str, old: str, new: str
) -> None:
    path, _line = _edited(tmp_path, name, old, new)
    out = _whatif(analysis_cli, path)
    assert str(path) in out, out


def test_a_file_that_is_neither_a_policy_nor_a_family_is_named(
    analysis_cli: typer.Typer, tmp_path: Path
) -> None:
    path = tmp_path / "notes.yaml"
    path.write_text("- 一个列表\n- a list\n", encoding="utf-8")
    out = _whatif(analysis_cli, path)
    assert f"{path}: 既不是政策 (clauses) 也不是政策族 (eligibility)" in out, out
    out = _whatif(analysis_cli, tmp_path)  # a folder is not a file
    assert f"不是文件 (not a file): {tmp_path}" in out, out
