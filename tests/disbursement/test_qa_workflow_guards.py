"""QA findings on the 兑现 workflow: 公示 dates decades ahead, objections before the 公示 starts or
twice, a second click on 审核/审批/支付, a batch with nothing to pay, an objection to another park's
or firm's item, the 公示 file after an early close (and where to object), two batches built at once."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy import event

from tests.disbursement._data import A, B
from tests.disbursement._flow import approved, publicized
from tests.disbursement.conftest import Clock, People
from zonebrain.appstore import AppStore, User
from zonebrain.core.errors import InputError
from zonebrain.core.settings import BY_NAME
from zonebrain.disbursement import Batch, Disbursement, NotAllowed, RunRows, WrongStep
from zonebrain.disbursement._exports import publicity_contact


def _reviewed(d: Disbursement, p: People, run: RunRows) -> Batch:
    b = d.create_batch(p.chen, run)
    return d.review(p.liu, b.id, expected_version=b.version)


def _item(d: Disbursement, batch_id: int, uscc: str) -> int:
    return next(i.id for i in d.items(batch_id) if i.uscc == uscc)


# ---- 公示 dates (QA 4) ----------------------------------------------------------------------------


def test_a_publicity_decades_ahead_is_refused(d: Disbursement, people: People, first_run: RunRows) -> None:
    b = _reviewed(d, people, first_run)
    with pytest.raises(InputError, match=r"公示开始日 2099-11-01 晚于今天 \(2025-04-01\) 起 90 天") as err:
        d.publicize(
            people.chen,
            b.id,
            start=dt.date(2099, 11, 1),
            end=dt.date(2099, 12, 7),
            expected_version=b.version,
        )
    assert "the public notice would start more than 90 days from today" in str(err.value)
    with pytest.raises(
        InputError, match="公示截止日 2099-12-07"
    ):  # a start today does not let the end run on
        d.publicize(people.chen, b.id, start=d.today(), end=dt.date(2099, 12, 7), expected_version=b.version)
    last = d.today() + dt.timedelta(days=90)  # the limit itself is accepted
    first = last - dt.timedelta(days=4)  # the shortest 公示: five days
    out = d.publicize(people.chen, b.id, start=first, end=last, expected_version=b.version)
    assert (out.publicity_start, out.publicity_end) == (first, last)


def test_an_objection_before_the_publicity_starts_is_refused(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = _reviewed(d, people, first_run)
    start = d.today() + dt.timedelta(days=10)
    b = d.publicize(
        people.chen, b.id, start=start, end=start + dt.timedelta(days=6), expected_version=b.version
    )
    item = _item(d, b.id, A)
    with pytest.raises(WrongStep, match=f"公示自 {start} 开始.*尚未开始.*starts on {start}"):
        d.object(people.li, item, "该企业已迁出", raised_by="匿名")
    clock.days(10)  # the first day of the 公示
    assert d.object(people.li, item, "该企业已迁出", raised_by="匿名").late is False


# ---- double submissions (QA 10) ------------------------------------------------------------------


def test_the_same_objection_twice_is_refused_naming_the_first(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    item = _item(d, b.id, A)
    first = d.object(people.li, item, "该企业已迁出", raised_by="张三")
    with pytest.raises(WrongStep, match=rf"同一异议已登记为异议 #{first.id} \(li, .*待处理\)"):
        d.object(people.li, item, " 该企业已迁出 ", raised_by="张三")
    assert len(d.objections(b.id)) == 1
    other = d.object(people.li, item, "该企业已迁出", raised_by="李四")  # someone else's is its own
    assert other.id != first.id


def test_a_second_review_says_it_was_done(d: Disbursement, people: People, first_run: RunRows) -> None:
    b = d.create_batch(people.chen, first_run)
    d.review(people.liu, b.id, expected_version=b.version)
    with pytest.raises(
        WrongStep, match=rf"兑现批次 #{b.id} 已审核 \(liu, 2025-04-01 10:00\).*already reviewed by liu"
    ):
        d.review(people.liu, b.id, expected_version=b.version)  # the same click again, the old version


def test_a_second_publicize_says_it_was_done(d: Disbursement, people: People, first_run: RunRows) -> None:
    """QA: sending 公示 twice said 已被他人修改 (changed by someone else) to the officer who had sent it."""
    b = d.create_batch(people.chen, first_run)
    b = d.review(people.liu, b.id, expected_version=b.version)
    start = d.today()
    end = start + dt.timedelta(days=4)
    d.publicize(people.chen, b.id, start=start, end=end, expected_version=b.version)
    with pytest.raises(WrongStep, match=rf"兑现批次 #{b.id} 已公示 \(chen, .*already publicized by chen"):
        d.publicize(people.chen, b.id, start=start, end=end, expected_version=b.version)


def test_a_second_approval_says_it_was_done(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = publicized(d, people, first_run)
    clock.days(7)
    d.approve(people.wang, b.id, expected_version=b.version)
    with pytest.raises(WrongStep, match=rf"兑现批次 #{b.id} 已审批 \(wang, .*already approved by wang"):
        d.approve(people.wang, b.id, expected_version=b.version)


def test_paying_a_paid_batch_again_reports_its_own_payments(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = approved(d, people, first_run, clock)
    first = d.pay(people.chen, b.id)
    again = d.pay(people.chen, b.id)
    assert not again.paid and len(again.already_paid) == 3 and again.paid_elsewhere == 0
    assert sorted(i.id for i in again.paid_before) == sorted(i.id for i in first.paid)


# ---- nothing to pay (QA 11) ----------------------------------------------------------------------


def test_a_batch_with_nothing_to_pay_is_refused(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    d.pay(people.chen, approved(d, people, first_run, clock).id)
    with pytest.raises(
        WrongStep, match=r"本次测算没有待兑现的奖励: .* 3 项奖励中, 此前已兑现 3 项, 已撤回 0 项"
    ) as err:
        d.create_batch(people.chen, first_run)
    assert "reverse its ledger entry first" in str(err.value)
    assert len(d.batches()) == 1


# ---- another firm's item (QA 8; another park's: below, and tests/web/test_qa_payout_pages.py) --------------------------------------------------------


def test_an_objection_to_another_firms_item_says_so(
    d: Disbursement, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    other = _item(d, b.id, B)  # firm_c is C's user
    with pytest.raises(NotAllowed, match="企业用户无权对其他企业的名单项提出异议"):
        d.object(people.firm_c, other, "数据有误", raised_by="丙公司")


def test_an_objection_to_another_parks_item_is_refused_as_the_web_refuses_it(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """QA (thirteenth session): the CLI let the 梧桐 officer record an objection to a 石佛 firm's
    award, which the web refuses; the service now refuses it for every caller, and audits it."""
    b = publicized(d, people, first_run)
    shifo_item = _item(d, b.id, B)
    with pytest.raises(
        NotAllowed, match=f"园区专员无权对其他园区的名单项提出异议: 名单项 #{shifo_item} 不属于本园区"
    ):
        d.object(people.li, shifo_item, "数据有误", raised_by="匿名")
    (denied,) = [e for e in store.audit.entries(action="disbursement.object") if e.outcome == "denied"]
    assert (denied.username, denied.target) == ("li", f"item:{shifo_item}")
    assert not d.objections(b.id)
    assert d.object(people.sun, shifo_item, "数据有误", raised_by="匿名").raised_by == "匿名"


# ---- the 公示 file after an early close (QA 15) ---------------------------------------------------


def _notes(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path)["说明"]
    return [str(r[0]) for r in ws.iter_rows(values_only=True) if r[0]]


def test_the_publicity_file_records_the_early_close_and_where_to_object(
    d: Disbursement,
    people: People,
    first_run: RunRows,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    b = publicized(d, people, first_run)
    monkeypatch.delenv("ZONEBRAIN_PUBLICITY_CONTACT", raising=False)
    zone = "郑州高新技术产业开发区"  # the zone file's full name: its 管委会 office takes objections
    text = "\n".join(_notes(d.export_publicity(people.chen, b.id, tmp_path / "a.xlsx", zone_name=zone)))
    assert "现予公示" in text and "郑州高新技术产业开发区管理委员会政策兑现工作专班" in text
    assert b.run_id not in text  # the run's internal id is not public text (QA)
    clock.days(2)
    b = d.close_publicity(people.wang, b.id, reason="管委会决定缩短公示期", expected_version=b.version)
    # QA: closed but not yet approved, the notice still said 现予公示 and called for objections
    text = "\n".join(_notes(d.export_publicity(people.chen, b.id, tmp_path / "c.xlsx")))
    assert "已予公示, 待审批" in text and "现予公示" not in text and "公示期内对名单有异议" not in text
    assert f"期间提出的异议将在审批前处理 (见兑现批次 #{b.id} 的记录)" in text
    b = d.approve(people.zhou, b.id, expected_version=b.version)
    d.pay(people.chen, b.id)
    monkeypatch.setenv("ZONEBRAIN_PUBLICITY_CONTACT", "政策兑现工作专班 (电话 0371-12345678)")
    text = "\n".join(_notes(d.export_publicity(people.chen, b.id, tmp_path / "b.xlsx")))
    assert "已于 2025-04-03 提前结束 (原因: 管委会决定缩短公示期)" in text
    assert "已兑现以下" in text and "现予公示" not in text
    assert "政策兑现工作专班 (电话 0371-12345678)" in text
    word = d.export_publicity(people.chen, b.id, tmp_path / "b.docx", contact="高新区财政金融局")
    paras = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
    assert "提前结束" in paras and "向高新区财政金融局反映" in paras


def test_the_contact_defaults_to_the_zones_office(monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: another zone's 公示 named Zhengzhou's office; the default follows the zone's name."""
    monkeypatch.setenv("ZONEBRAIN_PUBLICITY_CONTACT", "  ")
    assert not BY_NAME["publicity_contact"].default  # no zone's office written into the settings
    luoyang = "洛阳高新技术产业开发区"
    assert publicity_contact(zone_name=luoyang) == "洛阳高新技术产业开发区管理委员会政策兑现工作专班"
    assert publicity_contact() == "园区管理委员会政策兑现工作专班"  # no zone named: no city guessed
    assert publicity_contact(" 专班 ", luoyang) == "专班"
    monkeypatch.setenv("ZONEBRAIN_PUBLICITY_CONTACT", "洛阳高新区财政金融局")
    assert publicity_contact(zone_name=luoyang) == "洛阳高新区财政金融局"


# ---- two batches built at once (QA 5) ------------------------------------------------------------


def test_two_batches_built_at_once_list_each_award_once(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    """At its first INSERT of a batch, each creation waits (3 s at most) for the other to get there
    too: two creations that check before locking would both find no open batch, then both insert.
    One that holds the lock gets there alone; the other waits for it, then finds the open batch."""
    both_checked = threading.Barrier(2, timeout=3)
    seen = threading.local()

    def wait_for_the_other(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PAYOUT_BATCHES") and not getattr(
            seen, "it", False
        ):
            seen.it = True
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait()

    built: list[Batch] = []
    errors: list[BaseException] = []

    def officer(user: User) -> None:
        try:
            built.append(d.create_batch(user, first_run))
        except BaseException as exc:  # looked at below, in the test thread
            errors.append(exc)

    event.listen(store.engine, "before_cursor_execute", wait_for_the_other)
    try:
        threads = [threading.Thread(target=officer, args=(u,)) for u in (people.chen, people.liu)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(store.engine, "before_cursor_execute", wait_for_the_other)
    assert len(built) == 1, (built, errors)
    assert len(errors) == 1 and isinstance(errors[0], WrongStep), errors
    assert f"已在未完成的兑现批次 #{built[0].id} 中" in str(errors[0])
    assert [b.id for b in d.batches()] == [built[0].id]
