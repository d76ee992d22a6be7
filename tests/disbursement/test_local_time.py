"""What QA found in the 兑现 workflow's dates, times and messages: the 公示 notice dated in Beijing,
times shown in Beijing time, status codes in messages under their Chinese labels, one list order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
import yaml

from tests.disbursement._flow import publicized
from tests.disbursement.conftest import Clock, People
from zonebrain.core.clock import beijing_text
from zonebrain.disbursement import BatchStatus, Disbursement, RunRows, WrongStep, publicity_table
from zonebrain.disbursement._exports import list_order
from zonebrain.disbursement._model import BATCH_LABELS

LOCALES = Path(__file__).parents[2] / "src" / "zonebrain" / "web" / "locales"


def test_the_word_notice_is_dated_in_beijing(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock, tmp_path: Path
) -> None:
    b = publicized(d, people, first_run)  # 公示期 2025-04-01 … 04-07
    clock.now = dt.datetime(2025, 3, 31, 20, 30)  # 2025-04-01 04:30 in Beijing, still 03-31 in UTC
    doc = docx.Document(str(d.export_publicity(people.chen, b.id, tmp_path / "公示.docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2025年04月01日" in text and "2025年03月31日" not in text


def test_stored_times_read_in_beijing() -> None:
    assert beijing_text(dt.datetime(2026, 11, 29, 20, 36)) == "2026-11-30 04:36"
    assert beijing_text(dt.datetime(2026, 11, 29, 20, 36, tzinfo=dt.UTC)) == "2026-11-30 04:36"
    assert beijing_text(None) == ""


def test_the_already_cancelled_message_is_in_beijing_time(
    d: Disbursement, people: People, first_run: RunRows, clock: Clock
) -> None:
    b = d.create_batch(people.chen, first_run)
    clock.now = dt.datetime(2025, 4, 1, 20, 36)
    d.cancel(people.chen, b.id, reason="重新测算")
    with pytest.raises(WrongStep, match="已于 2025-04-02 04:36 作废"):
        d.cancel(people.chen, b.id, reason="再作废一次")


def test_messages_name_statuses_in_chinese(d: Disbursement, people: People, first_run: RunRows) -> None:
    b = d.create_batch(people.chen, first_run)
    d.cancel(people.chen, b.id, reason="重新测算")
    with pytest.raises(WrongStep) as e:
        d.review(people.liu, b.id, expected_version=b.version + 1)
    assert "当前为已作废 (cancelled), 只有草稿 (draft) 状态才能审核" in str(e.value)
    b = publicized(d, people, first_run)
    item = d.items(b.id)[0]
    o = d.object(people.li, item.id, "有异议", raised_by="匿名")
    d.resolve(people.liu, o.id, upheld=True, note="属实")
    with pytest.raises(WrongStep) as e:
        d.resolve(people.liu, o.id, upheld=False, note="再议")
    assert "已处理为成立 (upheld)" in str(e.value) and "为 upheld" not in str(e.value)


def test_batch_labels_are_the_web_labels() -> None:
    catalogue = yaml.safe_load((LOCALES / "zh-CN.yaml").read_text(encoding="utf-8"))["payout"]
    assert {s.value: BATCH_LABELS[s] for s in BatchStatus} == {
        s.value: catalogue[f"status_{s.value}"] for s in BatchStatus
    }


def test_the_public_list_is_in_list_order(d: Disbursement, people: People, first_run: RunRows) -> None:
    b = publicized(d, people, first_run)
    items = d.items(b.id)
    names = publicity_table(list(reversed(items)))["enterprise_name"].to_pylist()
    assert names == [i.enterprise_name for i in sorted(items, key=list_order)]
