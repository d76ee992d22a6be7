"""`zonebrain kpi …` (the typer sub-app, run in-process until it is mounted in cli/main.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zonebrain.cli import _common
from zonebrain.cli.kpi_cmd import app


@pytest.fixture
def cli(kpi_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    path = tmp_path / "wh.duckdb"
    shutil.copyfile(kpi_file, path)  # the tiny zone of tests/kpi/_data.py, a copy of its own
    monkeypatch.setattr(_common.state, "warehouse", str(path))
    return CliRunner()


def test_help_is_bilingual(cli: CliRunner) -> None:
    r = cli.invoke(app, ["--help"])
    assert r.exit_code == 0
    assert "经济运行" in r.output and "Economic operations" in r.output
    for command in (
        "template",
        "import-targets",
        "target",
        "monitor",
        "warnings",
        "contributions",
        "forecast",
        "report",
    ):
        assert command in r.output


def test_template_import_monitor(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    r = cli.invoke(app, ["template", "--year", "2025", "--out", str(out)])
    assert r.exit_code == 0 and out.exists()
    r = cli.invoke(app, ["import-targets", str(out)])
    assert r.exit_code == 0, r.output
    assert "imported, 0 行" in r.output  # an empty template is valid and holds no targets
    r = cli.invoke(app, ["monitor", "--month", "2024-06", "--indicator", "revenue", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert '"wutong","梧桐","revenue"' in r.output and "behind" in r.output


def test_bad_input_exits_2_with_the_fix(cli: CliRunner) -> None:
    r = cli.invoke(app, ["monitor", "--month", "2024-6x"])
    assert r.exit_code == 2
    r = cli.invoke(app, ["contributions", "wutong", "GDP", "--month", "2024-06"])
    assert r.exit_code == 2


def test_warnings_contributions_quality_set_target(cli: CliRunner) -> None:
    r = cli.invoke(app, ["warnings", "--month", "2024-06"])
    assert r.exit_code == 0 and "behind_schedule" in r.output
    r = cli.invoke(app, ["contributions", "wutong", "营业收入", "--month", "2024-06", "--top", "2"])
    assert r.exit_code == 0 and "测试0号公司" in r.output
    r = cli.invoke(app, ["quality", "--month", "2024-06"])
    assert r.exit_code == 0 and "unit_jump" in r.output
    r = cli.invoke(
        app,
        ["target", "set", "wutong", "revenue", "2024", "4500.5", "--user", "张三", "--reason", "年中调整"],
    )
    assert r.exit_code == 0, r.output
    assert "4,000.00 → 4,500.50" in r.output and "已修改" in r.output
    r = cli.invoke(app, ["target", "set", "wutong", "revenue", "2024", "4500.5", "--user", "张三"])
    assert r.exit_code == 2  # --reason is required
    r = cli.invoke(
        app, ["target", "set", "wutong", "revenue", "2024", "4500元", "--user", "张", "--reason", "x"]
    )
    assert r.exit_code == 2 and "unit mismatch" in r.output
    r = cli.invoke(app, ["target", "history", "--park", "wutong", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert (
        '"old_value": 4000000000, "new_value": 4500500000' in r.output and '"reason": "年中调整"' in r.output
    )
    r = cli.invoke(app, ["target", "history", "--year", "2024", "--format", "csv"])
    assert r.exit_code == 0 and "年中调整" in r.output and "张三" in r.output


def test_report_writes_a_word_file(cli: CliRunner, tmp_path: Path) -> None:
    import docx

    out = tmp_path / "report.docx"
    r = cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out), "--exclude-suspect"])
    assert r.exit_code == 0, r.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    for heading in (
        "一、总体情况",
        "二、分园区完成情况",
        "四、预警",
        "五、企业贡献",
        "六、全年预测",
        "七、数据质量",
    ):
        assert heading in text
    assert "营业收入累计" in text
    assert (
        "规上工业增加值由企业月报工业总产值乘以工业增加值率 25%（假设值" in text
    )  # the assumption is stated
    assert "已剔除疑似单位错误" in text
