"""`zonebrain pipeline …` (the typer sub-app, run in-process until it is mounted in cli/main.py)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.pipeline_cmd import app
from zonebrain.core.errors import InputError


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        store.users.add("wang", "a-long-password", Role.INVESTMENT_OFFICER)
    return CliRunner()


def _file(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["企业名称", "园区", "来源", "阶段开始日期"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_import_list_move_export_funnel_digest(cli: CliRunner, tmp_path: Path) -> None:
    f = _file(
        tmp_path / "p.xlsx", [["甲公司", "梧桐", "目标清单", "2026-01-05"], ["乙公司", "石佛", "活动", None]]
    )
    r = cli.invoke(app, ["import", str(f), "--as", "wang"])
    assert r.exit_code == 0, r.output
    assert "已导入" in r.output
    r = cli.invoke(app, ["list", "--format", "json", "--as-of", "2026-04-10"])
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [(x["name"], x["park_id"], x["stage"]) for x in rows] == [
        ("甲公司", "wutong", "线索"),
        ("乙公司", "shifo", "线索"),
    ]
    assert rows[0]["stall"] == "red"
    r = cli.invoke(app, ["move", "1", "接洽", "--as", "wang", "--version", "1"])
    assert r.exit_code == 0 and "接洽" in r.output
    r = cli.invoke(app, ["move", "1", "考察", "--as", "wang", "--version", "1"])
    assert r.exit_code != 0 and "已被他人修改" in str(r.exception)
    out = tmp_path / "out.xlsx"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0 and out.exists()
    r = cli.invoke(app, ["funnel", "--by", "origin", "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith('"group","stage","stage_order","reached"')
    r = cli.invoke(app, ["digest", "--by", "park"])
    assert r.exit_code == 0 and "招商项目周报" in r.output and "wutong" in r.output
    r = cli.invoke(app, ["list"])
    assert r.exit_code == 0 and "甲公司" in r.output


def test_a_bad_file_lists_the_problems_and_imports_nothing(cli: CliRunner, tmp_path: Path) -> None:
    f = _file(tmp_path / "bad.xlsx", [["甲公司", "火星", "活动", None]])
    r = cli.invoke(app, ["import", str(f), "--as", "wang"])
    assert r.exit_code != 0 and isinstance(r.exception, InputError)
    assert "未导入" in str(r.exception)
    r = cli.invoke(app, ["list", "--format", "json"])
    assert r.output.strip() == ""


def test_unknown_actor(cli: CliRunner, tmp_path: Path) -> None:
    f = _file(tmp_path / "p.xlsx", [["甲公司", "梧桐", "活动", None]])
    r = cli.invoke(app, ["import", str(f), "--as", "ghost"])
    assert isinstance(r.exception, InputError) and "ghost" in str(r.exception)
