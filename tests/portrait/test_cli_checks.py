"""The portrait CLI refuses bad input with a bilingual message (exit 2), labels its workbooks in Chinese
with money in 万元 (scores never), and prints formatted tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.portrait._data import load_sample, uscc
from zonebrain.cli import portrait_cmd
from zonebrain.storage import open_warehouse

run = CliRunner().invoke


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample zone's warehouse after ``portrait classify-zone``, built once per module and
    never opened again: each test works on a copy."""
    folder = tmp_path_factory.mktemp("classified")
    with open_warehouse(folder / "warehouse.duckdb") as wh:
        wh.migrate()
        load_sample(wh, memberships=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZONEBRAIN_DATA_DIR", str(folder))
        mp.delenv("ZONEBRAIN_WAREHOUSE", raising=False)
        assert run(portrait_cmd.app, ["classify-zone"]).exit_code == 0
    return folder / "warehouse.duckdb"


@pytest.fixture
def data_dir(classified: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copyfile(classified, tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("ZONEBRAIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZONEBRAIN_WAREHOUSE", raising=False)
    return tmp_path


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)[name]
    head = [c.value for c in ws[1]]
    return [dict(zip(head, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]


def test_benchmark_workbook_keeps_scores_apart_from_money(data_dir: Path) -> None:
    out = data_dir / "bench.xlsx"
    r = run(portrait_cmd.app, ["benchmark", "--peer", "410100", "--out", str(out)])
    assert r.exit_code == 0, r.output
    radar = _sheet(out, "雷达图")
    assert not any("万元" in str(h) for h in radar[0])
    scores = [v for row in radar for k, v in row.items() if str(k).startswith("户均营收")]
    assert max(scores) == pytest.approx(100.0)  # type: ignore[type-var]
    table = _sheet(out, "对标")
    per_firm = [v for k, v in table[0].items() if str(k).startswith("户均营收")]
    assert per_firm == [pytest.approx(per_firm[0])] and 1 < float(per_firm[0]) < 1e6  # type: ignore[arg-type]
    assert any(str(k).replace(" ", "") == "户均营收(万元)" for k in table[0])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["diagnose", "--strong-lq", "-1"], "--strong-lq"),
        (["diagnose", "--extension-quantile", "2"], "--extension-quantile"),
        (["diagnose", "--min-firms", "0"], "--min-firms"),
        (["benchmark", "--peer", "999999"], "999999"),
        (["override", "123", "biomedicine", "tcm"], "123"),
    ],
)
def test_bad_input_is_refused_with_exit_2(data_dir: Path, args: list[str], says: str) -> None:
    r = run(portrait_cmd.app, args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "错误" in r.output and "error" in r.output
    assert "Traceback" not in r.output and "ValidationError" not in r.output


def test_classify_zone_counts_applied_and_ignored_overrides(data_dir: Path) -> None:
    assert run(portrait_cmd.app, ["override", uscc(8), "biomedicine", "tcm"]).exit_code == 0
    r = run(portrait_cmd.app, ["override", uscc(99), "biomedicine", "tcm"])
    assert r.exit_code == 0 and "不在" in r.output, r.output  # stored, but the firm is not in the registry
    r = run(portrait_cmd.app, ["classify-zone"])
    assert r.exit_code == 0, r.output
    assert "1 条人工调整已应用" in r.output and "1 条未应用" in r.output, r.output
    assert uscc(99) in r.output


def test_show_prints_every_table_of_its_help(data_dir: Path) -> None:
    r = run(portrait_cmd.app, ["show"])
    assert r.exit_code == 0, r.output
    for title in ("总量", "增长", "逐年", "门类", "大类", "产业链", "规模", "集中度", "标签", "进出"):
        assert title in r.output, title
    assert "None" not in r.output and "revenue_fen" not in r.output


def test_diagnose_and_benchmark_tables_are_formatted(data_dir: Path) -> None:
    for args in (["diagnose"], ["benchmark", "--peer", "410100", "--peer", "410300"]):
        r = run(portrait_cmd.app, args)
        assert r.exit_code == 0, r.output
        assert "None" not in r.output
        assert not __import__("re").search(r"\d\.\d{5,}", r.output), r.output
    r = run(portrait_cmd.app, ["diagnose"])
    assert "区位熵" in r.output and "郑州市" in r.output and "city" not in r.output
