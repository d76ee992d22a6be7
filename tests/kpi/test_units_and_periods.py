"""QA findings: every figure in its own unit, months and parks without data refused, the Word
report's period, stock/flow wording, chart axis and the scope of its enterprise figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.kpi.test_cli import cli  # noqa: F401 - the fixture
from zonebrain.cli.kpi_cmd import app
from zonebrain.storage import Warehouse

WIDE = {"COLUMNS": "250"}


def _docx(path: Path) -> Any:
    import docx

    return docx.Document(str(path))


def _table(doc: Any, header: str) -> list[list[str]]:
    for t in doc.tables:
        rows = [[c.text for c in r.cells] for r in t.rows]
        if any(h.startswith(header) for h in rows[0]):
            return rows
    raise AssertionError(f"no table with a {header} column")


# 1. counts are not money -------------------------------------------------------------------------


def test_forecast_table_shows_counts_as_counts(cli: CliRunner) -> None:  # noqa: F811
    r = cli.invoke(app, ["forecast", "--month", "2024-06"], env=WIDE)
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if "新增注册企业数" in line]
    assert lines, r.output
    for line in lines:
        assert "0.00" not in line and "(家)" in line, line  # one firm registered in 2024, not 0.00 万元
    assert any("营业收入(万元)" in line for line in r.output.splitlines())


def test_report_forecast_table_shows_counts_as_counts(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "r.docx"
    assert cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out)]).exit_code == 0
    rows = _table(_docx(out), "全年预测")
    reg = next(r for r in rows if r[0].startswith("新增注册企业数"))
    assert reg[0] == "新增注册企业数(家)" and reg[1] == "1", reg
    rev = next(r for r in rows if r[0].startswith("营业收入"))
    assert rev[0] == "营业收入(万元)" and rev[1].count(".") == 1, rev


def test_display_value_uses_the_unit_and_separators() -> None:
    from zonebrain.kpi import display_value

    assert display_value(1845, "count", "家") == "1,845"
    assert display_value(2144, "count", "家") == "2,144"
    assert display_value(218_297_002_812_00, "fen", "亿元") == "2,182.97"
    assert display_value(None, "fen", "万元") == "—"


# 2. months, parks and file names that cannot be answered --------------------------------------------


@pytest.mark.parametrize("month", ["2030-01", "2019-05"])
@pytest.mark.parametrize(
    "command",
    [["monitor"], ["warnings"], ["quality"], ["forecast"], ["contributions", "wutong", "营业收入"]],
)
def test_a_month_without_data_is_refused(cli: CliRunner, command: list[str], month: str) -> None:  # noqa: F811
    r = cli.invoke(app, [*command, "--month", month], env=WIDE)
    assert r.exit_code == 2, r.output
    assert "没有月度数据" in r.output and "no monthly data" in r.output
    assert "2023-01 … 2024-06" in r.output  # the months that do have data


def test_report_for_a_month_without_data_writes_nothing(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "f.docx"
    r = cli.invoke(app, ["report", "--month", "2030-01", "--out", str(out)], env=WIDE)
    assert r.exit_code == 2 and "2023-01 … 2024-06" in r.output
    assert not out.exists()


def test_unknown_park_is_refused(cli: CliRunner) -> None:  # noqa: F811
    r = cli.invoke(app, ["contributions", "nowhere", "营业收入", "--month", "2024-06"], env=WIDE)
    assert r.exit_code == 2, r.output
    assert "nowhere" in r.output and "wutong" in r.output and "unknown park" in r.output


def test_report_refuses_another_extension(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "h.txt"
    r = cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out)], env=WIDE)
    assert r.exit_code == 2 and ".docx" in r.output
    assert not out.exists()


# 3. the report's wording and chart ------------------------------------------------------------------


def test_period_label() -> None:
    from zonebrain.kpi import period_label

    assert period_label(2024, 1) == "2024年1月"
    assert period_label(2024, 6) == "2024年1-6月"


def test_january_report_title(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "jan.docx"
    assert cli.invoke(app, ["report", "--month", "2024-01", "--out", str(out)]).exit_code == 0
    doc = _docx(out)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2024年1月经济运行分析" in text and "1-1月" not in text
    assert doc.core_properties.title == "2024年1月经济运行分析"


def test_report_calls_a_stock_期末(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "r.docx"
    assert cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out)]).exit_code == 0
    text = "\n".join(p.text for p in _docx(out).paragraphs)
    assert "高新技术企业数期末 2 家" in text and "高新技术企业数累计" not in text
    assert "营业收入累计" in text


def test_report_trend_axis_has_no_offset_and_separators(
    cli: CliRunner,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        drawn.append(self)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    out = tmp_path / "r.docx"
    assert cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out)]).exit_code == 0
    fig = next(f for f in drawn if f.axes and f.axes[0].get_title().startswith("全区营业收入累计走势"))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ax.yaxis.get_offset_text().get_text() == ""
    big = [t for t in labels if len(t.replace(",", "").split(".")[0].lstrip("−-")) >= 4]
    assert big and all("," in t for t in big), labels


# 4. the scope of the enterprise figures ---------------------------------------------------------------


def test_reporting_enterprises(kwh: Warehouse) -> None:
    from zonebrain.kpi import reporting_enterprises, scope_note

    assert reporting_enterprises(kwh, 2024, 1) == 4  # firm 4 reports from February
    assert reporting_enterprises(kwh, 2024, 6) == 5  # firm 5 closed in 2023
    assert "(5 家)" in scope_note(kwh, 2024, 6)


def test_report_and_monitor_state_the_scope(cli: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "r.docx"
    assert cli.invoke(app, ["report", "--month", "2024-06", "--out", str(out)]).exit_code == 0
    text = "\n".join(p.text for p in _docx(out).paragraphs)
    assert "月报企业口径（5 家）" in text and "全部企业" in text
    r = cli.invoke(app, ["monitor", "--month", "2024-06"], env=WIDE)
    assert r.exit_code == 0 and "月报企业口径 (5 家)" in r.output
