"""The internal auditor's control findings on the 兑现 workflow (A–G): who may resolve an objection,
the 公示 dates, who may approve after an early close, data imported since the run, a batch of an
older run, the audit rows of objections and resolutions, the 公示 file's heading."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from tests.disbursement._data import AS_OF, A, B, D
from tests.disbursement._flow import publicized
from tests.disbursement.conftest import Clock, People, ZoneFile
from zonebrain import policy
from zonebrain.appstore import AppStore
from zonebrain.core.errors import InputError
from zonebrain.disbursement import Batch, BatchStatus, Disbursement, NotAllowed, RunRows, WrongStep, load_run
from zonebrain.disbursement._exports import publicity_heading
from zonebrain.storage import Warehouse, open_warehouse


def _item(d: Disbursement, batch_id: int, uscc: str) -> int:
    return next(i.id for i in d.items(batch_id) if i.uscc == uscc)


def _reviewed(d: Disbursement, p: People, run: RunRows) -> Batch:
    b = d.create_batch(p.chen, run)
    return d.review(p.liu, b.id, expected_version=b.version)


def _denied(store: AppStore, action: str) -> list[dict[str, object]]:
    return [e.detail for e in store.audit.entries(action=action) if e.outcome == "denied"]


# ---- A: four eyes on objections -------------------------------------------------------------------


def test_the_creator_may_not_resolve_an_objection(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """Audit: the batch's creator dismissed an objection he had recorded himself, and the firm's."""
    b = publicized(d, people, first_run)  # built by chen
    his = d.object(people.chen, _item(d, b.id, A), "金额有误", raised_by="匿名")
    theirs = d.object(people.sun, _item(d, b.id, D), "已迁出", raised_by="丁公司", raised_by_role="企业")
    for o in (his, theirs):
        with pytest.raises(NotAllowed, match=r"^异议处理人不能是本批次的制单人 \(the resolver must not be"):
            d.resolve(people.chen, o.id, upheld=False, note="无误")
    assert [r["reason"] for r in _denied(store, "disbursement.resolve")] == [
        "异议处理人是本批次的制单人 (resolver is the batch's creator)"
    ] * 2
    assert all(o.resolution is None for o in d.objections(b.id))
    assert d.resolve(people.liu, theirs.id, upheld=True, note="属实").resolution == "upheld"


def test_who_recorded_an_objection_may_not_resolve_it(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    o = d.object(people.liu, _item(d, b.id, A), "金额有误", raised_by="张三", raised_by_role="群众")
    with pytest.raises(NotAllowed, match=rf"^异议处理人不能是登记该异议的人 \(异议 #{o.id}"):
        d.resolve(people.liu, o.id, upheld=False, note="无误")
    (denied,) = store.audit.entries(action="disbursement.resolve")
    assert (denied.outcome, denied.target, denied.username) == ("denied", f"objection:{o.id}", "liu")
    assert denied.detail["reason"] == "异议处理人登记了该异议 (the resolver recorded the objection)"
    assert d.resolve(people.wang, o.id, upheld=False, note="金额无误").resolved_by == "wang"


# ---- B: the 公示 dates ------------------------------------------------------------------------------


def test_a_publicity_shorter_than_the_minimum_is_refused(
    d: Disbursement, people: People, first_run: RunRows, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit: a one-day 公示 was accepted. The minimum (5 days by default) is a setting."""
    monkeypatch.delenv("ZONEBRAIN_PUBLICITY_MIN_DAYS", raising=False)
    b = _reviewed(d, people, first_run)
    today = d.today()
    with pytest.raises(InputError, match=r"共 1 天, 短于最短公示期 5 天") as err:
        d.publicize(people.chen, b.id, start=today, end=today, expected_version=b.version)
    said = str(err.value)
    assert "ZONEBRAIN_PUBLICITY_MIN_DAYS" in said and f"{today + dt.timedelta(days=4)} 或之后" in said
    monkeypatch.setenv("ZONEBRAIN_PUBLICITY_MIN_DAYS", "7")  # a zone's 7-day rule
    five = today + dt.timedelta(days=4)
    with pytest.raises(InputError, match="共 5 天, 短于最短公示期 7 天"):
        d.publicize(people.chen, b.id, start=today, end=five, expected_version=b.version)
    monkeypatch.setenv("ZONEBRAIN_PUBLICITY_MIN_DAYS", "a week")
    with pytest.raises(InputError, match="ZONEBRAIN_PUBLICITY_MIN_DAYS='a week' 无效"):
        d.publicize(people.chen, b.id, start=today, end=five, expected_version=b.version)
    monkeypatch.delenv("ZONEBRAIN_PUBLICITY_MIN_DAYS")
    assert d.batch(b.id).status is BatchStatus.REVIEWED
    out = d.publicize(people.chen, b.id, start=today, end=five, expected_version=b.version)
    assert (out.publicity_start, out.publicity_end) == (today, five)


def test_the_minimum_may_be_given_to_the_service(
    store: AppStore, clock: Clock, people: People, first_run: RunRows
) -> None:
    d = Disbursement(store, clock=clock, min_publicity_days=3)
    assert d.min_publicity_days() == 3
    b = _reviewed(d, people, first_run)
    today = d.today()
    end = today + dt.timedelta(days=2)
    assert (
        d.publicize(people.chen, b.id, start=today, end=end, expected_version=b.version).publicity_end == end
    )


def test_a_backdated_start_is_refused(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    """Audit: a start before the batch was created was accepted. Now not before the review's day."""
    b = d.create_batch(people.chen, first_run)  # 2025-04-01
    clock.days(2)
    b = d.review(people.liu, b.id, expected_version=b.version)  # 2025-04-03
    for start in (dt.date(2025, 3, 25), dt.date(2025, 4, 1), dt.date(2025, 4, 2)):
        with pytest.raises(InputError, match=f"公示开始日 {start} 早于本批次的审核日 2025-04-03"):
            d.publicize(
                people.chen, b.id, start=start, end=start + dt.timedelta(days=6), expected_version=b.version
            )
    clock.days(1)  # recorded a day after it went up on the website
    start = dt.date(2025, 4, 3)
    b = d.publicize(
        people.chen, b.id, start=start, end=start + dt.timedelta(days=6), expected_version=b.version
    )
    assert b.publicity_start == start


# ---- C: who closed the 公示 early does not approve --------------------------------------------------


def test_who_closed_the_publicity_early_may_not_approve(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    clock.days(2)
    b = d.close_publicity(people.wang, b.id, reason="管委会决定缩短公示期", expected_version=b.version)
    with pytest.raises(
        NotAllowed, match=r"^审批人不能是提前结束本批次公示的人 \(the approver must not be who"
    ):
        d.approve(people.wang, b.id, expected_version=b.version)
    assert _denied(store, "disbursement.approve") == [
        {"reason": "审批人是提前结束本批次公示的人 (approver is who closed the batch's publicity early)"}
    ]
    assert d.approve(people.zhou, b.id, expected_version=b.version).approved_by == "zhou"


# ---- D and E: the data behind the batch -----------------------------------------------------------


@pytest.fixture
def own_zone(zone_file: ZoneFile, tmp_path: Path) -> Iterator[tuple[Warehouse, str]]:
    """A writable copy of the four-firm warehouse (imports and runs are added to it)."""
    run_id = zone_file.copy_to(tmp_path / "wh.duckdb")
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        yield wh, run_id


def _import(wh: Warehouse, name: str, rows: int, at: dt.datetime, kind: str = "finance") -> None:
    """Record an import as the importer does (its data is not needed here)."""
    row = {
        "batch_id": f"batch-{name}", "kind": kind, "file_name": name, "file_sha256": "0" * 64,
        "source": "财政局", "rows_in": rows, "rows_loaded": rows, "rows_rejected": 0, "inserted": 0,
        "updated": rows, "unchanged": 0, "conflicts": 0, "started_at": at, "finished_at": at,
    }  # fmt: skip
    with wh.transaction():
        wh.append("import_batches", pa.table({k: [v] for k, v in row.items()}))


def test_data_imported_since_the_run_needs_an_acknowledgement(
    own_zone: tuple[Warehouse, str], store: AppStore, people: People, clock: Clock
) -> None:
    """Audit: finance data imported after the run was not mentioned at approval or payment, and a
    stale amount was paid."""
    wh, run_id = own_zone
    d = Disbursement(store, clock=clock, warehouse=lambda: contextlib.nullcontext(wh))
    run = load_run(wh, run_id)
    b = publicized(d, people, run)
    assert d.imports_since(run_id) == ()
    # a monthly figure or a reference registry changes no award: not a data change of the run's
    _import(wh, "2025年3月月报.xlsx", 80, dt.datetime(2025, 4, 1, 2, 30), kind="monthly")
    _import(wh, "全国参照企业.xlsx", 900, dt.datetime(2025, 4, 1, 3, 30), kind="reference")
    assert d.imports_since(run_id) == ()
    _import(wh, "2024财务数据-补报.xlsx", 120, dt.datetime(2025, 4, 2, 2, 30))
    (found,) = d.imports_since(run_id) or ()
    assert (found.file_name, found.rows, found.kind) == ("2024财务数据-补报.xlsx", 120, "finance")
    clock.days(7)
    with pytest.raises(WrongStep, match="之后又导入了 1 批数据") as err:
        d.approve(people.wang, b.id, expected_version=b.version)
    said = str(err.value)
    assert "2024财务数据-补报.xlsx (finance, 2025-04-02 10:30 北京时间, 120 行 rows)" in said
    assert (
        "请重新测算" in said
        and "acknowledge_data_changes: true" in said
        and "--acknowledge-data-changes" in said
    )
    (refused,) = store.audit.entries(action="disbursement.approve")
    assert (refused.outcome, refused.target) == ("refused", f"batch:{b.id}")
    assert refused.detail["imports_after_run"][0]["file"] == "2024财务数据-补报.xlsx"
    assert d.batch(b.id).status is BatchStatus.PUBLICIZED
    b = d.approve(people.wang, b.id, expected_version=b.version, acknowledge_data_changes=True)
    ok = store.audit.entries(action="disbursement.approve")[0]
    assert ok.outcome == "ok" and ok.detail["acknowledge_data_changes"] is True
    assert [i["rows"] for i in ok.detail["imports_after_run"]] == [120]
    with pytest.raises(WrongStep, match="不能直接登记支付"):
        d.pay(people.chen, b.id)
    assert d.ledger.count() == 0
    paid = d.pay(people.chen, b.id, acknowledge_data_changes=True)
    assert paid.paid and store.audit.entries(action="disbursement.pay")[0].detail["acknowledge_data_changes"]
    assert d.pay(people.chen, b.id).paid_before  # paying again writes nothing: nothing to acknowledge


def test_a_batch_of_an_older_run_needs_a_reason(
    own_zone: tuple[Warehouse, str], store: AppStore, people: People, clock: Clock
) -> None:
    """Audit: a batch was built from an older run although a newer run of the period found some of
    its firms ineligible (here: B's R&D award at another rate)."""
    wh, run_id = own_zone
    d = Disbursement(store, clock=clock)
    newer = policy.run_policies(wh, policy.load_library(), AS_OF, parameters={"zz-rd-input.rate": "3%"})
    old = load_run(wh, run_id)
    assert [(n.run_id, n.differs) for n in old.newer] == [(newer.run_id, 1)]
    assert load_run(wh, newer.run_id).newer == ()
    with pytest.raises(
        WrongStep, match=f"运行 {run_id} 不是本年度最新的测算: 之后还有运行 {newer.run_id}"
    ) as err:
        d.create_batch(people.chen, old)
    assert "其中 1 项奖励在新运行中已不符合或金额不同" in str(err.value) and "older_run_reason" in str(
        err.value
    )
    (refused,) = store.audit.entries(action="disbursement.create")
    assert refused.outcome == "refused" and refused.detail["newer_runs"][0]["run_id"] == newer.run_id
    assert d.batches() == []
    b = d.create_batch(people.chen, old, older_run_reason="新运行的参数未经管委会批准")
    created = store.audit.entries(action="disbursement.create")[0]
    assert created.outcome == "ok" and created.detail["older_run_reason"] == "新运行的参数未经管委会批准"
    assert {i.uscc for i in d.items(b.id)} == {A, B, D}


# ---- F: what the audit rows say -------------------------------------------------------------------


def test_the_objection_and_resolution_rows_say_what_and_who(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    o = d.object(people.sun, _item(d, b.id, D), "该企业已迁出", raised_by="张三", raised_by_role="群众")
    row = store.audit.entries(action="disbursement.object")[0].detail
    assert (row["text"], row["raised_by"], row["raised_by_role"]) == ("该企业已迁出", "张三", "群众")
    d.resolve(people.liu, o.id, upheld=True, note="经核实已迁出")
    assert store.audit.entries(action="disbursement.resolve")[0].detail["note"] == "经核实已迁出"


# ---- G: the 公示 file's heading ---------------------------------------------------------------------


def test_the_publicity_heading_separates_the_title(
    d: Disbursement, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    """Audit: "conc zz-revenue-breakthrough 0公示名单", the title glued to the heading."""
    b = d.create_batch(people.chen, first_run, title="conc zz-revenue-breakthrough 0")
    b = d.review(people.liu, b.id, expected_version=b.version)
    path = d.export_publicity(people.chen, b.id, tmp_path / "gs.xlsx")
    notes = [r[0] for r in openpyxl.load_workbook(path)["说明"].iter_rows(values_only=True)]
    assert notes[:2] == ["说明", "conc zz-revenue-breakthrough 0 公示名单"]  # the header, then the heading
    untitled = dataclasses.replace(b, title=" ")
    assert (
        publicity_heading(untitled, "郑州高新技术产业开发区")
        == "郑州高新技术产业开发区2024年度政策兑现公示名单"
    )
    assert (
        publicity_heading(dataclasses.replace(b, title="2024年度 政策兑现")) == "2024年度 政策兑现 公示名单"
    )


def test_an_export_records_the_digest_of_the_file_handed_out(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, tmp_path: Path
) -> None:
    """Audit: a second export of the 公示 list during the 公示 differed from the one published, and
    nothing recorded what had been published. Each export's audit row keeps the file's SHA-256."""
    b = _reviewed(d, people, first_run)
    files = [d.export_publicity(people.chen, b.id, tmp_path / f"gs{i}.xlsx") for i in (1, 2)]
    rows = [e for e in store.audit.entries(action="disbursement.export") if e.outcome == "ok"]
    digests = {e.detail["file"]: e.detail["sha256"] for e in rows}
    for f in files:
        assert digests[f.name] == hashlib.sha256(f.read_bytes()).hexdigest()
