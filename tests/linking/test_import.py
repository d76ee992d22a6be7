"""Resources and demands from Excel: the template, a good file, a bad file (the report names file, row,
column, value and the fix, and nothing is written), re-imports that add nothing twice, roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from tests.pipeline.conftest import People
from zonebrain.appstore import AppStore
from zonebrain.core.errors import InputError
from zonebrain.linking import Firm, Linking, NotAllowed, import_file, write_report, write_template
from zonebrain.registry import load_zone

OWN = "91110000600037341L"
OTHER = "91350503MA31DKY80A"
WAN = 1_000_000


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


RESOURCE_HEAD = ["资源类型", "资源名称", "提供方", "关键词", "服务园区", "金额下限(万元)", "金额上限(万元)"]


@pytest.fixture
def links(store: AppStore) -> Linking:
    return Linking(store)


def test_template_has_the_headers_and_imports_as_is(tmp_path: Path, links: Linking, people: People) -> None:
    for kind in ("resources", "demands"):
        path = write_template(kind, tmp_path / f"{kind}.xlsx")
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames[1] == "说明"
        heads = [c.value for c in wb.worksheets[0][1]]
        assert ("资源名称" in heads) if kind == "resources" else ("需求标题" in heads)
    res = import_file(links, people.wang, "resources", tmp_path / "resources.xlsx", zone=load_zone())
    assert res.ok, res.problems
    assert (res.inserted, res.updated, res.unchanged) == (1, 0, 0)
    [r] = links.resources()
    assert (r.name, r.provider, r.min_amount_fen, r.max_amount_fen) == (
        "科技贷",
        "郑州银行高新支行",
        50 * WAN,
        1000 * WAN,
    )


def test_good_resource_file_then_reimport_is_idempotent(
    tmp_path: Path, links: Linking, people: People, store: AppStore
) -> None:
    rows = [
        RESOURCE_HEAD,
        ["银行贷款", "科技贷", "郑州银行", "研发、流动资金", "梧桐", "100", "1000"],
        ["基金", "天使基金", "高新创投", "种子轮", "", "", "5000"],
        ["土地载体", "标准化厂房", "梧桐街道", "厂房", "梧桐,石佛", "", ""],
    ]
    path = _xlsx(tmp_path / "资源.xlsx", rows)
    first = import_file(links, people.wang, "resources", path, zone=load_zone())
    assert first.ok and (first.inserted, first.updated, first.unchanged) == (3, 0, 0)
    loan = {r.name: r for r in links.resources()}["科技贷"]
    assert loan.keywords == ("研发", "流动资金") and loan.parks == ("wutong",)
    assert links.resources(kind="land_building")[0].parks == ("wutong", "shifo")
    again = import_file(links, people.wang, "resources", path, zone=load_zone())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert len(links.resources()) == 3
    rows[1][6] = "2000"  # the loan's ceiling changes: the same resource is updated, not duplicated
    changed = import_file(
        links, people.wang, "resources", _xlsx(tmp_path / "资源2.xlsx", rows), zone=load_zone()
    )
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 2)
    assert {r.name: r for r in links.resources()}["科技贷"].max_amount_fen == 2000 * WAN
    assert len(store.audit.entries(action="resource.add")) == 3
    [update] = store.audit.entries(action="resource.update")
    assert update.detail["before"]["max_amount_fen"] == 1000 * WAN


def test_bad_file_writes_nothing_and_reports_each_problem(
    tmp_path: Path, links: Linking, people: People
) -> None:
    rows = [
        RESOURCE_HEAD,
        ["银行贷款", "科技贷", "郑州银行", "", "", "100", "1000"],  # good
        ["飞船", "太空贷", "", "", "", "", ""],  # unknown kind
        ["基金", "", "创投", "", "", "", ""],  # no name
        ["基金", "成长基金", "创投", "", "月球园区", "abc", ""],  # unknown park, bad amount
        ["基金", "倒挂基金", "创投", "", "", "500", "100"],  # min > max
        ["银行贷款", "科技贷", "郑州银行", "", "", "", ""],  # duplicate key of row 2
    ]
    path = _xlsx(tmp_path / "坏资源.xlsx", rows)
    result = import_file(links, people.wang, "resources", path, zone=load_zone())
    assert not result.ok and links.resources() == []
    where = {(p.row, p.column) for p in result.problems}
    assert {
        (3, "资源类型"),
        (4, "资源名称"),
        (5, "服务园区"),
        (5, "金额下限(万元)"),
        (6, "金额上限(万元)"),
        (7, "资源名称"),  # the duplicate of row 2, in the same pass
    } <= where
    first = next(p for p in result.problems if p.row == 3)
    assert first.file == "坏资源.xlsx" and first.value == "飞船" and "bank_loan" in first.message
    assert "第 3 行" in str(first) and "required" in next(p for p in result.problems if p.row == 4).message
    report = write_report(result, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(report)
    problems = list(wb["问题清单 Problems"].iter_rows(values_only=True))
    assert problems[0] == ("文件 File", "行号 Row", "列 Column", "值 Value", "说明与处理 What to do")
    assert problems[1][:4] == ("坏资源.xlsx", 3, "资源类型", "飞船")
    rejected = list(wb["被拒行 Rejected rows"].iter_rows(values_only=True))
    assert rejected[0][0] == "行号 Row" and [r[0] for r in rejected[1:]] == [3, 4, 5, 6, 7]
    # with every cell good, the duplicate alone
    fixed = [rows[0], rows[1], rows[6]]
    dup = import_file(links, people.wang, "resources", _xlsx(tmp_path / "dup.xlsx", fixed), zone=load_zone())
    assert [(p.row, "第 2 行" in p.message) for p in dup.problems] == [(3, True)] and links.resources() == []
    assert len(write_report(dup, tmp_path / "dup-report.xlsx").read_bytes()) > 0


def test_demands_import_is_idempotent_and_scoped(tmp_path: Path, links: Linking, people: People) -> None:
    head = ["统一社会信用代码", "企业名称", "需求类型", "需求标题", "金额(万元)", "园区", "提交日期"]
    rows = [
        head,
        [OWN, "甲公司", "融资", "研发贷款", "500", "梧桐", "2026-06-01"],
        [OWN, "甲公司", "人才", "招聘工程师", "", "梧桐", ""],
        [OTHER, "乙公司", "用地/载体", "标准厂房", "", "石佛", ""],
    ]
    path = _xlsx(tmp_path / "需求.xlsx", rows)
    result = import_file(links, people.wang, "demands", path, zone=load_zone())
    assert result.ok and result.inserted == 3
    loan = next(d for d in links.demands(people.wang) if d.title == "研发贷款")
    assert (loan.amount_fen, loan.park_id, loan.kind.value, loan.status) == (
        500 * WAN,
        "wutong",
        "financing",
        "open",
    )
    assert loan.submitted_at == dt.datetime(2026, 5, 31, 16)  # 2026-06-01 00:00 Beijing, stored in UTC
    again = import_file(links, people.wang, "demands", path, zone=load_zone())
    assert (again.inserted, again.unchanged) == (0, 3) and len(links.demands(people.wang)) == 3
    # a park officer imports its own park's demands only; a firm its own; a leader none
    li = import_file(links, people.li, "demands", path, zone=load_zone())
    assert not li.ok and [(p.row, p.column) for p in li.problems] == [(4, "园区")]
    firm = import_file(links, people.firm, "demands", path, zone=load_zone())
    assert [(p.row, p.column) for p in firm.problems] == [(4, "统一社会信用代码")]
    with pytest.raises(NotAllowed):
        import_file(links, people.leader, "demands", path)
    with pytest.raises(NotAllowed):
        import_file(links, people.li, "resources", path)


def test_dry_run_and_missing_columns(tmp_path: Path, links: Linking, people: People) -> None:
    path = _xlsx(tmp_path / "r.xlsx", [RESOURCE_HEAD, ["基金", "天使基金", "创投", "", "", "", ""]])
    dry = import_file(links, people.admin, "resources", path, dry_run=True)
    assert dry.ok and dry.inserted == 1 and links.resources() == []
    bad = import_file(links, people.admin, "demands", path)
    assert {p.column for p in bad.problems} == {"统一社会信用代码", "需求类型", "需求标题"} and all(
        p.row == 1 for p in bad.problems
    )


class _Registry:
    """A registry of two firms (a stand-in for the warehouse's ``enterprises``)."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def firms(self, usccs: Iterable[str]) -> dict[str, Firm]:
        codes = sorted(set(usccs))
        self.asked.append(codes)
        known = {OWN: Firm(OWN, "甲公司(登记名)", "wutong"), OTHER: Firm(OTHER, "乙公司(登记名)", "shifo")}
        return {c: known[c] for c in codes if c in known}


def test_imported_demands_take_the_registrys_park(tmp_path: Path, store: AppStore, people: People) -> None:
    registry = _Registry()
    links = Linking(store, firms=registry)
    head = ["统一社会信用代码", "企业名称", "需求类型", "需求标题", "园区"]
    # 梧桐's officer: its own firm without a park (the registry's), then the other park's firm
    # claimed as 梧桐 and without a park: both refused, naming the registry's park
    rows = [
        head,
        [OWN, "", "融资", "研发贷款", ""],
        [OTHER, "", "人才", "招聘", "梧桐"],
        [OTHER, "", "人才", "招聘2", ""],
    ]
    li = import_file(links, people.li, "demands", _xlsx(tmp_path / "li.xlsx", rows), zone=load_zone())
    assert [(p.row, p.column) for p in li.problems] == [(3, "园区"), (4, "园区")]
    assert all("石佛" in p.message and "shifo" not in p.message for p in li.problems) and registry.asked == [
        sorted([OWN, OTHER])
    ]  # one query
    assert links.demands(people.admin) == []  # nothing written
    ok = import_file(links, people.li, "demands", _xlsx(tmp_path / "li2.xlsx", rows[:2]), zone=load_zone())
    assert ok.ok and ok.inserted == 1
    [d] = links.demands(people.li)
    assert (d.park_id, d.firm_name) == ("wutong", "甲公司(登记名)")
    assert links.demands(people.sun) == []  # 石佛's officer does not see it
    # an official may not file a firm under a park the registry contradicts
    bad = import_file(
        links, people.wang, "demands", _xlsx(tmp_path / "w.xlsx", rows[:1] + rows[2:3]), zone=load_zone()
    )
    assert [(p.row, p.column) for p in bad.problems] == [(2, "园区")]


def test_a_submitted_demand_takes_the_registrys_park(store: AppStore, people: People) -> None:
    links = Linking(store, firms=_Registry())
    d = links.submit_demand(people.firm, uscc=OWN, kind="融资", title="贷款", park_id=None)
    assert (d.park_id, d.firm_name) == ("wutong", "甲公司(登记名)")
    with pytest.raises(NotAllowed, match="shifo"):
        links.submit_demand(people.li, uscc=OTHER, kind="人才", title="x", park_id="wutong")
    with pytest.raises(InputError, match="shifo"):
        links.submit_demand(people.wang, uscc=OTHER, kind="人才", title="x", park_id="wutong")
    assert links.submit_demand(people.sun, uscc=OTHER, kind="人才", title="x").park_id == "shifo"


def test_every_problem_of_a_file_in_one_pass_with_the_value_as_written(
    tmp_path: Path, store: AppStore, people: People
) -> None:
    links = Linking(store, firms=_Registry())
    head = ["统一社会信用代码", "企业名称", "需求类型", "需求标题", "金额(万元)", "所属园区", "提交日期"]
    rows = [
        head,
        [OWN, "", "融资", "研发贷款", "abc", "", ""],  # a bad cell
        [OTHER, "", "融资", "园区冲突", "", "梧桐", ""],  # the registry says 石佛
        [OWN, "", "融资", "研发贷款", "200", "", "2099-01-01"],  # a duplicate of row 2, a future date
        [OWN, "", "人才", "招聘", "", "", ""],  # good
    ]
    result = import_file(links, people.wang, "demands", _xlsx(tmp_path / "需求.xlsx", rows), zone=load_zone())
    found = {(p.row, p.column): p for p in result.problems}
    assert set(found) == {(2, "金额(万元)"), (3, "所属园区"), (4, "提交日期"), (4, "需求标题")}, found
    assert found[(3, "所属园区")].value == "梧桐" and "shifo" in found[(3, "所属园区")].message
    assert found[(4, "需求标题")].value == "研发贷款" and "第 2 行" in found[(4, "需求标题")].message
    assert [line for line, _ in sorted(result.rejected_rows, key=lambda r: r[0])] == [2, 3, 4]
    assert links.demands(people.admin) == []
    # resources: an unknown park and a duplicate of a row with a bad amount, together
    res = [
        RESOURCE_HEAD,
        ["银行贷款", "科技贷", "郑州银行", "", "", "abc", ""],
        ["银行贷款", "科技贷", "郑州银行", "", "火星", "", ""],
    ]
    r = import_file(links, people.wang, "resources", _xlsx(tmp_path / "资源.xlsx", res), zone=load_zone())
    assert {(p.row, p.column, p.value) for p in r.problems} == {
        (2, "金额下限(万元)", "abc"),
        (3, "服务园区", "火星"),
        (3, "资源名称", "科技贷"),
    }
