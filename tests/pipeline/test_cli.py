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
    assert r.exit_code == 1 and "已被他人修改" in r.output and "拒绝 (refused)" in r.output
    out = tmp_path / "out.xlsx"
    assert cli.invoke(app, ["export", str(out)]).exit_code == 0 and out.exists()
    r = cli.invoke(app, ["funnel", "--by", "origin", "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith('"group","stage","stage_order","reached"')
    r = cli.invoke(app, ["digest", "--by", "park"])
    assert r.exit_code == 0 and "招商项目周报" in r.output and "园区 park 梧桐" in r.output
    assert "wutong" not in r.output  # parks by their names
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


def _candidate_file(path: Path) -> Path:
    import pyarrow as pa

    from zonebrain.reports import export_excel
    from zonebrain.targeting._export import CANDIDATE_HEADERS

    rows = pa.table(
        {
            "uscc": ["91110000600037341L", "91350503MA31DKY80A"],
            "name": ["甲光电有限公司", "乙传感有限公司"],
            "industry_code": ["3976", "3976"],
            "gap": ["intelligent-sensors/optical-image-sensors", "3976"],
            "score": [0.61, 0.55],
            "reasons": ["补缺 3976", ""],
            "source": ["zonebrain targeting"] * 2,
        }
    )
    return export_excel({"目标企业": rows, "导入招商项目库": rows}, path, headers=CANDIDATE_HEADERS)


def test_import_candidates_then_funnel_summary(cli: CliRunner, tmp_path: Path) -> None:
    f = _candidate_file(tmp_path / "目标企业.xlsx")
    r = cli.invoke(app, ["import-candidates", str(f), "--as", "wang", "--park", "梧桐", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert cli.invoke(app, ["list", "--format", "json"]).output.strip() == ""
    r = cli.invoke(app, ["import-candidates", str(f), "--as", "wang", "--park", "梧桐"])
    assert r.exit_code == 0, r.output
    assert "新增 2 个线索" in r.output
    rows = [json.loads(line) for line in cli.invoke(app, ["list", "--format", "json"]).output.splitlines()]
    assert {(x["origin"], x["stage"], x["park_id"], x["owner"]) for x in rows} == {
        ("targeting", "线索", "wutong", "wang")
    }
    r = cli.invoke(app, ["import-candidates", str(f), "--as", "wang", "--park", "wutong"])
    assert r.exit_code == 0 and "2 个已在项目库" in r.output
    assert len(cli.invoke(app, ["list", "--format", "json"]).output.splitlines()) == 2
    r = cli.invoke(app, ["funnel", "--by", "origin", "--summary", "--format", "csv"])
    assert r.exit_code == 0 and r.output.startswith('"group","projects","live"')


def test_candidates_leave_out_the_pipeline(cli: CliRunner, tmp_path: Path) -> None:
    from zonebrain.cli import targets_cmd
    from zonebrain.core.errors import ConfigError

    # a mistyped --app-db is an error, not an empty pipeline (which would offer pursued firms again)
    with pytest.raises(ConfigError, match="应用库不存在"):
        targets_cmd._pipeline_usccs(str(tmp_path / "none.sqlite"))
    assert not (tmp_path / "none.sqlite").exists()
    f = _candidate_file(tmp_path / "目标企业.xlsx")
    assert cli.invoke(app, ["import-candidates", str(f), "--as", "wang", "--park", "wutong"]).exit_code == 0
    assert targets_cmd._pipeline_usccs(None) == ["91110000600037341L", "91350503MA31DKY80A"]


def test_linking_import_commands(cli: CliRunner, tmp_path: Path) -> None:
    from zonebrain.cli.pipeline_cmd import linking_app

    template = tmp_path / "资源模板.xlsx"
    r = cli.invoke(linking_app, ["import-resources", str(template), "--template"])
    assert r.exit_code == 0 and template.exists()
    r = cli.invoke(linking_app, ["import-resources", str(template), "--as", "wang"])
    assert r.exit_code == 0 and "新增 1" in r.output, r.output
    r = cli.invoke(linking_app, ["import-resources", str(template), "--as", "wang"])
    assert r.exit_code == 0 and "新增 0" in r.output and "未变 1" in r.output
    bad = tmp_path / "需求.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["统一社会信用代码", "需求类型", "需求标题"])
    ws.append(["91110000600037341L", "火箭", "发射"])
    wb.save(bad)
    r = cli.invoke(linking_app, ["import-demands", str(bad), "--as", "wang"])
    assert isinstance(r.exception, InputError) and "未导入" in str(r.exception)
    assert (tmp_path / "需求.问题清单.xlsx").exists()
    r = cli.invoke(linking_app, ["import-demands", str(bad)])
    assert isinstance(r.exception, InputError) and "--as" in str(r.exception)
