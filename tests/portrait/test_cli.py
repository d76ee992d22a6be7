"""`zonebrain portrait …` and `zonebrain report portrait …` (the sub-apps, as the main CLI mounts them)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.portrait._data import load_sample, uscc
from zonebrain.cli import portrait_cmd, report_cmd
from zonebrain.storage import open_warehouse


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with open_warehouse(tmp_path / "warehouse.duckdb") as wh:
        wh.migrate()
        load_sample(wh, memberships=False)
    monkeypatch.setenv("ZONEBRAIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZONEBRAIN_WAREHOUSE", raising=False)
    return tmp_path


def test_classify_override_show_diagnose_benchmark(data_dir: Path) -> None:
    run = CliRunner().invoke
    r = run(portrait_cmd.app, ["classify-zone"])
    assert r.exit_code == 0, r.output
    assert "12 家企业" in r.output
    r = run(
        portrait_cmd.app, ["override", uscc(8), "biomedicine", "tcm", "--note", "药膳", "--author", "张三"]
    )
    assert r.exit_code == 0, r.output
    r = run(portrait_cmd.app, ["classify-zone"])
    assert "1 条人工调整" in r.output
    r = run(portrait_cmd.app, ["show", "--park", "甲园"])
    assert r.exit_code == 0, r.output
    assert "门类" in r.output
    r = run(portrait_cmd.app, ["show", "--out", str(data_dir / "p.xlsx")])
    assert r.exit_code == 0, r.output
    assert "产业链" in openpyxl.load_workbook(data_dir / "p.xlsx").sheetnames
    r = run(portrait_cmd.app, ["diagnose", "--reference", "province", "--out", str(data_dir / "d.csv")])
    assert r.exit_code == 0, r.output
    assert (data_dir / "d.csv").read_text(encoding="utf-8").startswith('"chain_id"')
    r = run(portrait_cmd.app, ["diagnose", "--strong-lq", "2.5"])
    assert r.exit_code == 0, r.output
    r = run(
        portrait_cmd.app,
        ["benchmark", "--peer", "410100", "--peer", "410300", "--out", str(data_dir / "b.json")],
    )
    assert r.exit_code == 0, r.output
    assert "洛阳市" in (data_dir / "b.json").read_text(encoding="utf-8")


def test_report_command(data_dir: Path) -> None:
    run = CliRunner().invoke
    assert run(portrait_cmd.app, ["classify-zone"]).exit_code == 0
    out = data_dir / "报告.docx"
    r = run(report_cmd.app, ["portrait", "--out", str(out), "--peer", "410100"])
    assert r.exit_code == 0, r.output
    assert out.exists() and out.with_suffix(".xlsx").exists()
    r = run(report_cmd.app, ["portrait", "--park", "beta", "--out", str(data_dir / "x.pdf")])
    assert r.exit_code != 0
