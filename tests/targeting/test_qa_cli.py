"""QA of ``zonebrain opportunities``: the all-zero note is one bilingual line naming what was left
out; bad --top, --format, --zone-code and --min-revenue are refused in both languages; the
subcommands' short help is bilingual."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.portrait._data import load_sample
from zonebrain.storage import Warehouse
from zonebrain.targeting import opportunities

ZERO_CLASS = "1462"


def _with_zero_class(wh: Warehouse) -> Warehouse:
    """The sample zone plus a class every city reports as 0 (the complexity module leaves it out)."""
    load_sample(wh)
    ra = wh.to_arrow(wh.table("region_activity"))
    cities = {(r["region_code"], r["measure"], r["year"]): r for r in ra.to_pylist()}
    zero = [dict(r, activity_code=ZERO_CLASS, value=0) for r in cities.values()]
    with wh.transaction():
        wh.replace("region_activity", pa.concat_tables([ra, pa.Table.from_pylist(zero, schema=ra.schema)]))
    return wh


@pytest.fixture
def zone(wh: Warehouse) -> Warehouse:
    return _with_zero_class(wh)


def test_all_zero_note_is_one_bilingual_line_naming_what(zone: Warehouse) -> None:
    for measure in ("firms", "revenue_fen"):
        result = opportunities(zone, measure=measure)
        if not result.left_out:
            continue
        assert ("activity", ZERO_CLASS) in result.left_out
        zero = [n for n in result.notes if ZERO_CLASS in n]
        assert len(zero) == 1, result.notes
        assert "未参与计算" in zero[0] and "left out" in zero[0] and "酱油、食醋及类似制品制造" in zero[0], (
            zero[0]
        )
        assert not [n for n in result.notes if n == "all values are 0; left out of this year"]
        return
    pytest.fail("the zero class should be left out")


def _run(zone: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    from zonebrain.cli import _common
    from zonebrain.cli.opportunities_cmd import app

    zone.close()  # the CLI opens the same file read-only
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.output


def test_cli_prints_the_note_once(zone: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = _run(zone, tmp_path, monkeypatch, "rank", "--measure", "firms")
    assert code == 0, out
    assert "all values are 0; left out of this year" not in out
    assert out.count(ZERO_CLASS) == 1 and "未参与计算" in out, out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--top", "0"], ("--top", "≥ 1")),
        (["--top", "-3"], ("--top", "≥ 1")),
        (["--format", "xml"], ("--format", "table", "json")),
        (["--zone-code", "999999"], ("999999", "园区代码")),
        (["--zone-code", "41017"], ("41017", "园区代码")),
    ],
)
def test_cli_refuses_bad_options(
    zone: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: tuple[str, ...]
) -> None:
    code, out = _run(zone, tmp_path, monkeypatch, "rank", *args)
    assert code == 2, out
    assert "Traceback" not in out and "Empty DataFrame" not in out
    assert all(w in out for w in words), out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out) and any(ch.isascii() and ch.isalpha() for ch in out)


@pytest.mark.parametrize("cmd", ["backtest", "holdout"])
def test_cli_backtest_refuses_a_bad_format(tmp_path: Path, cmd: str) -> None:
    from zonebrain.cli.opportunities_cmd import app

    panel = tmp_path / "p.csv"
    panel.write_text("loc,act,v\nA,1,1\n", encoding="utf-8")
    args = [cmd, "--start", str(panel), "--end", str(panel)] if cmd == "backtest" else [cmd, str(panel)]
    res = CliRunner().invoke(
        app, [*args, "--location", "loc", "--activity", "act", "--value", "v", "--format", "xml"]
    )
    assert res.exit_code == 2 and "--format" in res.output and "格式" in res.output, res.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--min-revenue", "-5"], ("最低营业收入", "不能为负", "negative")),
        (["--min-employees", "-1"], ("最少从业人员", "不能为负", "negative")),
        (["--zone-code", "999999"], ("999999", "园区代码", "zone")),
    ],
)
def test_candidates_refuse_bad_filters(
    zone: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], words: tuple[str, ...]
) -> None:
    from zonebrain.cli import _common
    from zonebrain.cli.targets_cmd import app

    zone.close()
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    res = CliRunner().invoke(app, ["--class", "3976", "--keep-pipeline", *args])
    assert res.exit_code == 2, res.output
    assert all(w in res.output for w in words), res.output


def test_subcommand_help_is_bilingual() -> None:
    from zonebrain.cli.opportunities_cmd import app

    res = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    lines = [
        ln for ln in res.output.splitlines() if any(f" {c} " in ln for c in ("backtest", "holdout", "rank"))
    ]
    assert len(lines) >= 3, res.output
    for ln in lines:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ln), ln
        assert any(w in ln for w in ("Backtest", "Hold-out", "Opportunity")), ln
