"""The whole 兑现 path on a small zone: run → batch → review → 公示 → objection → approval → payment
→ notification, every step in the audit log; the files open and mask the USCC."""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl

from tests.disbursement._data import NAMES, A, B, C, D
from tests.disbursement._flow import END, START
from tests.disbursement.conftest import Clock, People
from zonebrain.appstore import AppStore
from zonebrain.disbursement import BatchStatus, Disbursement, ItemStatus, RunRows, mask_uscc


def _cells(path: Path, sheet: str) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb[sheet].iter_rows(values_only=True)]


def test_happy_path_with_audit_and_files(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock, tmp_path: Path
) -> None:
    p = people
    b = d.create_batch(p.chen, first_run)
    assert b.status is BatchStatus.DRAFT and b.period == 2024 and b.run_id == first_run.run_id
    items = {(i.uscc, i.policy_id): i for i in d.items(b.id)}
    assert set(items) == {(A, "zz-hitech-first-cert"), (D, "zz-hitech-first-cert"), (B, "zz-rd-input")}
    assert items[A, "zz-hitech-first-cert"].amount_fen == 30_000_000
    assert items[A, "zz-hitech-first-cert"].period == "once"  # one-time award: paid once in any year
    assert items[B, "zz-rd-input"].period == "2024"
    assert items[B, "zz-rd-input"].enterprise_name == NAMES[B]
    assert items[D, "zz-hitech-first-cert"].clause_ref == "第一条"
    assert b.total_fen == 62_000_000 and b.counts == {"listed": 3}

    b = d.review(p.liu, b.id, expected_version=b.version, note="与税务数据核对无误")
    b = d.publicize(p.chen, b.id, start=START, end=END, expected_version=b.version)
    assert b.status is BatchStatus.PUBLICIZED and b.publicity_end == END

    xlsx = d.export_publicity(p.chen, b.id, tmp_path / "公示.xlsx")
    rows = _cells(xlsx, "公示名单")
    assert rows[0] == ["序号", "企业名称", "统一社会信用代码", "政策", "条款", "金额(元)"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name[NAMES[A]][2] == mask_uscc(A) == A[:4] + "*" * 12 + A[-2:]
    assert by_name[NAMES[A]][5] == 300_000 and by_name[NAMES[B]][4] == "第一条"
    assert not any(u in str(rows) for u in (A, B, C, D))  # never the whole code on a public list
    word = d.export_publicity(p.chen, b.id, tmp_path / "公示.docx")
    doc = docx.Document(str(word))
    table = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert table[0] == ["序号", "企业名称", "统一社会信用代码", "政策", "条款", "金额(元)"]
    assert [mask_uscc(A), "300,000.00"] == next(r for r in table if r[1] == NAMES[A])[2::3]
    assert not any(u in docx_text(doc) for u in (A, B, C, D))
    assert "2025-04-01 至 2025-04-07" in docx_text(doc)

    d_item = items[D, "zz-hitech-first-cert"]
    o = d.object(p.sun, d_item.id, "该企业2024年已迁出高新区", raised_by="匿名", raised_by_role="群众")
    d.resolve(p.liu, o.id, upheld=True, note="经核实属实, 撤回")
    clock.days(7)
    b = d.approve(p.wang, b.id, expected_version=d.batch(b.id).version, note="同意兑现")
    assert b.status is BatchStatus.APPROVED and b.approved_by == "wang"
    assert b.counts == {"approved": 2, "withdrawn": 1} and b.total_fen == 42_000_000

    paid = d.pay(p.chen, b.id)
    assert paid.paid_fen == 42_000_000 and len(paid.paid) == 2 and not paid.already_paid
    assert d.batch(b.id).status is BatchStatus.PAID
    assert {i.status for i in d.items(b.id)} == {ItemStatus.PAID, ItemStatus.WITHDRAWN}
    assert d.ledger.count() == 2 and d.ledger.total_fen() == 42_000_000

    notify = d.export_notify(p.chen, b.id, tmp_path / "通知.xlsx")
    people_rows = _cells(notify, "通知企业")
    assert people_rows[0][:2] == ["企业名称", "统一社会信用代码"]
    assert sorted(r[1] for r in people_rows[1:]) == sorted([A, B])  # internal list: whole code
    assert {r[0]: r[4] for r in people_rows[1:]} == {NAMES[A]: 300_000, NAMES[B]: 120_000}

    actions = [e.action for e in reversed(store.audit.entries())]
    assert actions == [
        "disbursement.create",
        "disbursement.review",
        "disbursement.publicize",
        "disbursement.export",
        "disbursement.export",
        "disbursement.object",
        "disbursement.resolve",
        "disbursement.approve",
        "disbursement.pay",
        "disbursement.export",
    ]
    entries = {e.action: e for e in store.audit.entries()}
    assert entries["disbursement.pay"].detail["paid_now"] == 2
    assert entries["disbursement.pay"].target == f"batch:{b.id}"
    assert entries["disbursement.resolve"].detail["item_status"] == "withdrawn"
    assert entries["disbursement.create"].detail["verification_queued"] == 2


def docx_text(doc: docx.document.Document) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_mask_uscc_keeps_first_four_and_last_two() -> None:
    assert mask_uscc("91410100MA44TF5GXA") == "9141************XA"
    assert mask_uscc(" 91410100MA44TF5GXA ") == "9141************XA"
    assert mask_uscc("ABC") == "***"
