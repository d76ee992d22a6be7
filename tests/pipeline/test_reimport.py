"""What a QA pass found in the pipeline's own imports and exports: re-importing changes nothing, an
export imports back, duplicates inside one hand-off are reported one per input, a park move keeps an
owner who may own the project, errors name the column and value in Beijing time, CLI refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.pipeline.conftest import People
from tests.pipeline.test_excel import _xlsx as sheet
from zonebrain.appstore import AppStore, Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.pipeline_cmd import app
from zonebrain.core.errors import InputError
from zonebrain.pipeline import Lead, Pipeline, add_candidates, export_projects, import_projects
from zonebrain.registry import load_zone

NOW = dt.datetime(2026, 11, 29, 6, 26, 47, 662837)  # naive UTC, with microseconds as the store keeps them
HEADERS = ["企业名称", "统一社会信用代码", "园区", "来源", "阶段", "阶段开始日期", "承诺投资(万元)"]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    return sheet(path, rows, HEADERS)


@pytest.fixture
def zpipe(store: AppStore) -> Pipeline:
    return Pipeline(store, zone=load_zone(), clock=lambda: NOW)


GOOD = [
    ["郑州甲科技有限公司", "91110000600037341L", "梧桐", "目标清单", "谈判", "2026-03-01", "1,250.5"],
    ["乙新材料有限公司", None, "shifo", "event", None, None, "1.2亿"],
    ["河南丙智能装备股份有限公司", None, "梧桐", "推荐", "签约", "2026-05-02 09:30", None],
]


def test_importing_the_same_file_twice_adds_nothing_the_second_time(
    store: AppStore, zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    f = _xlsx(tmp_path / "good.xlsx", GOOD)
    first = import_projects(zpipe, people.wang, f)
    assert first.ok and len(first.created) == 3 and first.unchanged == []
    again = import_projects(zpipe, people.wang, f)
    assert again.ok and again.created == []
    assert [(u.row, u.project_id) for u in again.unchanged] == [
        (2, first.created[0].project.id),
        (3, first.created[1].project.id),
        (4, first.created[2].project.id),
    ]
    assert len(zpipe.list()) == 3 and len(store.audit.entries(action="project.create")) == 3
    assert "未变 3" in again.summary()
    # the natural key is the firm: the USCC, else the normalised name (郑州市…有限公司 = …)
    renamed = _xlsx(tmp_path / "renamed.xlsx", [["乙新材料", None, "石佛", "活动", None, None, None]])
    assert [u.project_id for u in import_projects(zpipe, people.wang, renamed).unchanged] == [
        first.created[1].project.id
    ]


def test_a_firm_twice_in_one_file_is_a_problem_naming_the_first_row(
    zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    f = _xlsx(
        tmp_path / "twice.xlsx", [GOOD[1], ["郑州乙新材料有限公司", None, "梧桐", "活动", None, None, None]]
    )
    result = import_projects(zpipe, people.wang, f)
    assert not result.ok and zpipe.list() == []
    (problem,) = result.problems
    assert (problem.row, problem.column) == (3, "企业名称") and "第 2 行" in problem.message


def test_an_export_imports_back_and_changes_nothing(
    store: AppStore, zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    import_projects(zpipe, people.wang, _xlsx(tmp_path / "good.xlsx", GOOD))
    c = zpipe.list()[-1]
    zpipe.move(people.wang, c.id, "终止", expected_version=c.version, reason="外迁")
    names = {p.id: p.short_name for p in load_zone().parks}
    out = export_projects(zpipe.list(), tmp_path / "exp.xlsx", as_of=NOW, park_names=names)
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    header = [x.value for x in ws[1]]
    row = dict(zip(header, [x.value for x in ws[2]], strict=True))
    assert (row["园区"], row["来源"], row["阶段"]) == ("梧桐", "目标清单", "谈判")
    # a real Excel date in Beijing time: 2026-03-01 was typed, 2026-02-28 16:00 UTC is stored
    assert row["阶段开始日期"] == dt.datetime(2026, 3, 1)
    terminated = dict(zip(header, [x.value for x in ws[4]], strict=True))
    assert terminated["阶段开始日期"] == dt.datetime(2026, 11, 29, 14, 26, 47)  # to the second
    before = [(p.id, p.version, p.stage) for p in zpipe.list()]
    audit = len(store.audit.entries())
    again = import_projects(zpipe, people.wang, out)
    assert again.ok, [str(p) for p in again.problems]
    assert again.created == [] and len(again.unchanged) == 3
    assert [(p.id, p.version, p.stage) for p in zpipe.list()] == before
    assert len(store.audit.entries()) == audit


def test_a_future_date_names_the_column_and_the_value_in_beijing_time(
    zpipe: Pipeline, people: People, tmp_path: Path
) -> None:
    f = _xlsx(tmp_path / "future.xlsx", [["丁公司", None, "梧桐", "活动", None, "2027-10-01", None]])
    (problem,) = import_projects(zpipe, people.wang, f).problems
    assert (problem.column, problem.value) == ("阶段开始日期", "2027-10-01")
    assert "2027-10-01 00:00" in problem.message and "北京时间" in problem.message
    assert "2027-09-30 16:00" not in str(problem)


def test_same_firm_twice_in_one_hand_off_gets_one_outcome_each(zpipe: Pipeline, people: People) -> None:
    leads = [
        Lead("甲光电有限公司", "91110000600037341L"),
        Lead("甲光电有限公司", "91110000600037341L"),
        Lead("郑州乙传感有限公司"),
        Lead("乙传感有限公司"),
    ]
    result = add_candidates(zpipe, people.wang, leads, park_id="wutong")
    assert [o.status for o in result.outcomes] == ["created", "already", "created", "needs_confirm"]
    first = result.outcomes[0].project
    assert first is not None and result.outcomes[1].existing_id == first.id
    assert "第 1 项" in result.outcomes[1].message and "第 3 项" in result.outcomes[3].message
    assert len(zpipe.list()) == 2
    confirmed = add_candidates(
        zpipe, people.wang, [Lead("丙公司"), Lead("丙公司")], park_id="wutong", confirm=True
    )
    assert [o.status for o in confirmed.outcomes] == ["created", "created"]
    assert confirmed.outcomes[1].warnings  # the name match is still said


def test_moving_a_park_officers_project_to_another_park_needs_a_hand_over_first(
    zpipe: Pipeline, people: People
) -> None:
    p = zpipe.create(people.li, name="戊公司", park_id="wutong", origin="event").project
    assert p.owner == "li"
    with pytest.raises(InputError, match="请先交接"):
        zpipe.update(people.wang, p.id, expected_version=p.version, park_id="石佛")
    assert zpipe.get(p.id).park_id == "wutong"
    p = zpipe.hand_over(people.wang, p.id, "wang", expected_version=p.version, reason="转石佛")
    moved = zpipe.update(people.wang, p.id, expected_version=p.version, park_id="石佛")
    assert (moved.park_id, moved.owner) == ("shifo", "wang")


def test_park_ids_are_read_in_any_case(zpipe: Pipeline) -> None:
    assert zpipe.park_id("WUTONG") == zpipe.park_id("梧桐") == "wutong"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        store.users.add("wang", "a-long-password", Role.INVESTMENT_OFFICER)
        store.users.add("li", "a-long-password", Role.PARK_OFFICER, park_id="wutong")
    return CliRunner()


def test_cli_reimport_export_round_trip_and_refusals(cli: CliRunner, tmp_path: Path) -> None:
    f = _xlsx(tmp_path / "good.xlsx", [GOOD[0], GOOD[1]])
    assert cli.invoke(app, ["import", str(f), "--as", "wang"]).exit_code == 0
    r = cli.invoke(app, ["import", str(f), "--as", "wang"])
    assert r.exit_code == 0 and "新增 0" in r.output and "未变 2" in r.output, r.output
    out = tmp_path / "exp.xlsx"
    assert cli.invoke(app, ["export", str(out), "--park", "WUTONG"]).exit_code == 0
    r = cli.invoke(app, ["import", str(out), "--as", "wang"])
    assert r.exit_code == 0 and "新增 0" in r.output and "未变 1" in r.output, r.output
    # refusals: exit 1 with the reason, not a warehouse/config error (exit 3)
    r = cli.invoke(app, ["move", "2", "接洽", "--as", "li", "--version", "1"])  # 石佛's project
    assert r.exit_code == 1 and "拒绝 (refused)" in r.output and "仓库或配置错误" not in r.output
    r = cli.invoke(app, ["move", "99", "接洽", "--as", "wang", "--version", "1"])
    assert r.exit_code == 1 and "没有项目 #99" in r.output
