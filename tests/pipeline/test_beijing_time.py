"""People read the pipeline in Beijing time: the Excel export's 阶段开始日期 and the weekly digest's
dates are Beijing time, a date typed in a file or on the command line is a Beijing date, and
stored times stay UTC (a time stored as 2026-11-29 21:32 UTC reads 2026-11-30 05:32)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.cli.pipeline_cmd import _as_of
from zonebrain.pipeline import Pipeline, export_projects, import_projects, weekly_digest

AT = dt.datetime(2026, 11, 29, 21, 32)


def test_export_writes_beijing_time_and_the_import_reads_it_back(
    store: AppStore, people: People, tmp_path: Path
) -> None:
    pipe = Pipeline(store, clock=lambda: AT)
    pipe.create(people.wang, name="郑州甲科技有限公司", park_id="wutong", origin="referral")
    out = export_projects(pipe.list(), tmp_path / "out.xlsx", as_of=AT)
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    cell = ws.cell(2, header.index("阶段开始日期") + 1)  # a real Excel date-time, in Beijing time
    assert cell.value == dt.datetime(2026, 11, 30, 5, 32) and cell.number_format == "yyyy-mm-dd hh:mm:ss"
    again = import_projects(pipe, people.wang, out)  # the firm has its project: nothing changes
    assert again.ok and again.created == [] and [u.row for u in again.unchanged] == [2]
    (p,) = pipe.list()
    pipe.move(people.wang, p.id, "终止", expected_version=p.version, reason="测试")
    back = import_projects(pipe, people.wang, out)  # a 终止 project does not block a new approach
    assert back.ok and back.created[0].project.stage_since == AT


def test_digest_text_shows_the_beijing_week(store: AppStore, people: People) -> None:
    pipe = Pipeline(store, clock=lambda: AT)
    pipe.create(people.wang, name="郑州甲科技有限公司", park_id="wutong", origin="referral")
    (d,) = weekly_digest(pipe.list(), pipe.all_events(), as_of=AT)
    assert "2026-11-23 – 2026-11-30" in d.text()


def test_as_of_is_the_end_of_the_beijing_day() -> None:
    assert _as_of("2026-11-30") == dt.datetime(2026, 11, 30, 15, 59, 59)
