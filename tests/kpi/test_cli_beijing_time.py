"""The KPI and chain CLIs print stored (UTC) times in Beijing time, as the web shows them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.kpi.test_cli import cli  # noqa: F401 - the fixture
from zonebrain.cli import portrait_cmd
from zonebrain.cli.kpi_cmd import app
from zonebrain.core.clock import beijing_text


def test_target_history_prints_beijing_time(cli: CliRunner) -> None:  # noqa: F811
    args = ["target", "set", "wutong", "revenue", "2024", "4500.5", "--user", "张三", "--reason", "年中调整"]
    assert cli.invoke(app, args).exit_code == 0
    r = cli.invoke(app, ["target", "history", "--park", "wutong", "--format", "json"])
    changed_at = dt.datetime.fromisoformat(json.loads(r.output.splitlines()[0])["changed_at"])
    r = cli.invoke(app, ["target", "history", "--park", "wutong"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    assert "北京时间" in r.output and beijing_text(changed_at) in r.output


def test_classify_zone_prints_beijing_time(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import zonebrain.chains

    @contextmanager
    def fake_warehouse() -> Iterator[SimpleNamespace]:
        yield SimpleNamespace(migrate=lambda: None)

    run = SimpleNamespace(
        run_id="r1",
        classified_at=dt.datetime(2026, 11, 29, 21, 30, 7),
        enterprises=3,
        classified=2,
        rows=2,
        overrides=0,
        ignored=[],
    )
    monkeypatch.setattr(portrait_cmd, "warehouse", fake_warehouse)
    monkeypatch.setattr(zonebrain.chains, "classify_zone", lambda wh: run)
    monkeypatch.setenv("COLUMNS", "250")
    portrait_cmd.classify_zone_cmd()
    assert "at 2026-11-30 05:30 (北京时间)" in capsys.readouterr().out
