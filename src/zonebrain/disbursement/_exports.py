"""The files the workflow hands out: the 公示 list (Excel, Word), the notification list, the 待核实 queue.

The public list masks the USCC (:func:`mask_uscc`); the internal lists (notification, 待核实) keep
it whole, since officers call the enterprises. Money is shown from integer fen in 元: Excel cells
hold exact decimals (they sum), Word cells the text of :func:`zonebrain.core.money.display_fen`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa

from zonebrain import policy
from zonebrain.core import settings
from zonebrain.core.clock import beijing
from zonebrain.core.errors import out_suffix
from zonebrain.core.money import display_fen
from zonebrain.disbursement._model import (
    ITEM_LABELS,
    REVERSAL_LABELS,
    SOURCE_LABELS,
    Batch,
    BatchStatus,
    Item,
    ItemStatus,
    LedgerEntry,
    ReversalKind,
    VerificationRequest,
    VerificationStatus,
    batch_label,
    mask_uscc,
)
from zonebrain.policy import missing_fields_zh
from zonebrain.reports import WordReport, export_excel

PUBLIC = (ItemStatus.LISTED, ItemStatus.OBJECTED, ItemStatus.APPROVED, ItemStatus.PAID)
"""Items on the 公示 list (withdrawn, held and previously paid awards are not)."""
NOTIFY = (ItemStatus.APPROVED, ItemStatus.PAID)
"""Items whose enterprises are told of their award (a held one is not: it may yet be withdrawn)."""

PUBLIC_HEADERS = {
    "no": "序号",
    "enterprise_name": "企业名称",
    "uscc_masked": "统一社会信用代码",
    "policy_name": "政策",
    "clause_ref": "条款",
    "amount_fen": "金额",
}


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """A sort key reading the numbers in *text* as numbers (reach-10m before reach-100m)."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text))


def list_order(item: Item) -> tuple[object, ...]:
    """The order of a batch's items wherever they are listed (the 公示 Excel and Word, the batch page):
    by policy, clause (the thresholds in their order), enterprise name, USCC, so an officer can
    compare the page with the file line by line."""
    return (item.policy_id, _natural(item.clause_id), item.enterprise_name or "", item.uscc, item.id)


def publicity_table(items: Sequence[Item]) -> pa.Table:
    """序号, 企业名称, masked USCC, 政策, 条款, amount_fen — the public columns only, in
    :func:`list_order`."""
    rows = sorted((i for i in items if i.status in PUBLIC), key=list_order)
    return pa.table(
        {
            "no": pa.array(range(1, len(rows) + 1), pa.int64()),
            "enterprise_name": pa.array([i.enterprise_name or "—" for i in rows], pa.string()),
            "uscc_masked": pa.array([mask_uscc(i.uscc) for i in rows], pa.string()),
            "policy_name": pa.array([i.policy_name for i in rows], pa.string()),
            "clause_ref": pa.array([i.clause_ref for i in rows], pa.string()),
            "amount_fen": pa.array([i.amount_fen for i in rows], pa.int64()),
        }
    )


def publicity_contact(contact: str | None = None, zone_name: str | None = None) -> str:
    """Where to raise an objection to a 公示 list (printed in its 说明 and Word text): *contact*, else
    the ``publicity_contact`` setting (``$ZONEBRAIN_PUBLICITY_CONTACT``), else the 兑现 office of
    the administration (管委会) of the zone named *zone_name* (its full name, from the zone file),
    which runs the 公示 whatever body issued each policy (QA: another zone's list named Zhengzhou's)."""
    return (
        (contact or "").strip()
        or settings.get("publicity_contact").strip()
        or f"{(zone_name or '').strip() or '园区'}{ZONE_OFFICE}"
    )


ZONE_OFFICE = "管理委员会政策兑现工作专班"
"""The default contact after the zone's full name: 郑州高新技术产业开发区管理委员会政策兑现工作专班."""


def _publicity_text(batch: Batch, table: pa.Table, contact: str, today: dt.date) -> list[str]:
    """The notice above the list. A file exported after the 公示 says what happened since: the
    early close (when, why), its end, the approval or payment, so a re-export does not read as a
    list still proposed or still open to objections for a period that in fact ended. The run's
    internal id is not in the public text (QA); the batch number is, to find its record."""
    total = sum(table["amount_fen"].to_pylist())
    start = batch.publicity_start or "____"
    end = batch.publicity_end or "____"
    source = f"根据{batch.period}年度政策兑现测算, "
    amount = f"{table.num_rows} 项奖励, 合计 {display_fen(total, '元')} 元"
    over = batch.publicity_over(today)
    if batch.status is BatchStatus.PAID:
        intro = f"{source}经审核、公示和审批, 已兑现以下 {amount}。本名单为公示结束后导出的记录。"
    elif batch.status in (BatchStatus.APPROVED, BatchStatus.PART_PAID):
        intro = f"{source}经审核、公示, 已审批兑现以下 {amount}。本名单为公示结束后导出的记录。"
    elif over:
        intro = f"{source}经审核, 拟兑现以下 {amount}, 已予公示, 待审批。本名单为公示结束后导出的记录。"
    else:
        intro = f"{source}经审核, 拟兑现以下 {amount}, 现予公示。"
    period = f"公示期: {start} 至 {end}。"
    if batch.publicity_closed_at is not None:  # closed: said with its day and reason
        day = beijing(batch.publicity_closed_at).date()
        note = f" (原因: {batch.publicity_note})" if batch.publicity_note else ""
        period = f"公示期: {start} 至 {end}, 已于 {day} 提前结束{note}。"
    if batch.status in _DECIDED:  # a record: no call for objections
        objections = (
            f"公示已结束, 期间提出的异议均已在审批前处理 (见兑现批次 #{batch.id} 的记录); "
            f"对兑现结果有疑问的, 请向{contact}反映。"
        )
    elif over:
        objections = (
            f"公示已结束, 期间提出的异议将在审批前处理 (见兑现批次 #{batch.id} 的记录); "
            f"对名单有疑问的, 请向{contact}反映。"
        )
    else:
        objections = f"公示期内对名单有异议的, 请以书面形式实名向{contact}反映。"
    return [intro, period, objections, *_held_note(batch)]


_DECIDED = (BatchStatus.APPROVED, BatchStatus.PART_PAID, BatchStatus.PAID)
"""Batch statuses whose lists are a record of what was approved (no call for objections)."""


def _held_note(batch: Batch) -> list[str]:
    """A line saying how many awards are on hold (暂缓支付) and so left off a list that would
    otherwise read as approved or paid (no firm is told it was paid while its award is held)."""
    held = batch.counts.get(ItemStatus.HELD.value, 0)
    if not held:
        return []
    return [f"另有 {held} 项奖励暂缓支付, 未列入本名单 (见兑现批次 #{batch.id} 的记录)。"]


def publicity_heading(batch: Batch, zone_name: str | None = None) -> str:
    """The public list's heading: the batch's title, a space, 公示名单 (QA: the title glued to it read
    "conc zz-revenue-breakthrough 0公示名单"); with no title, the zone's standard wording,
    ``<zone>2024年度政策兑现公示名单``."""
    title = " ".join(batch.title.split())
    if not title:
        return f"{(zone_name or '').strip()}{batch.period}年度政策兑现公示名单"
    return f"{title} 公示名单"


def write_publicity(
    batch: Batch,
    items: Sequence[Item],
    path: Path | str,
    *,
    today: dt.date,
    contact: str | None = None,
    zone_name: str | None = None,
) -> tuple[Path, int]:
    """The 公示 list as .xlsx or .docx (by *path*'s suffix), the Word notice dated *today* (a Beijing
    date: the service's :meth:`~Disbursement.today`, never the machine's UTC date); objections go
    to *contact* (:func:`publicity_contact`, by default the office of the zone *zone_name*);
    returns the path and the row count."""
    contact = publicity_contact(contact, zone_name)
    path = Path(path)
    suffix = out_suffix(path, ".xlsx", ".docx")
    table = publicity_table(items)
    title = publicity_heading(batch, zone_name)
    if suffix == ".xlsx":
        notes = pa.table({"说明": [title, *_publicity_text(batch, table, contact, today)]})
        export_excel(
            {"公示名单": _with_total(table), "说明": notes}, path, PUBLIC_HEADERS, ("amount_fen",), "元"
        )
    else:
        doc = WordReport(title, f"兑现批次 #{batch.id}", date=today, landscape=True)
        for line in _publicity_text(batch, table, contact, today):
            doc.paragraph(line)
        doc.table(
            table,
            PUBLIC_HEADERS,
            money=("amount_fen",),
            money_unit="元",
            max_rows=max(table.num_rows, 1),
            plain=("no",),
            total="合计",
        )
        doc.save(path)
    return path, table.num_rows


def _with_total(table: pa.Table) -> pa.Table:
    """The public list with a last row 合计: no number, the awards' count in the name column's
    stead, and the exact sum in fen (as the notice above it states it)."""
    total = pa.table(
        {
            "no": pa.nulls(1, pa.int64()),
            "enterprise_name": [f"合计 ({table.num_rows} 项)"],
            "uscc_masked": pa.nulls(1, pa.string()),
            "policy_name": pa.nulls(1, pa.string()),
            "clause_ref": pa.nulls(1, pa.string()),
            "amount_fen": pa.array([sum(table["amount_fen"].to_pylist())], pa.int64()),
        }
    )
    return pa.concat_tables([table, total.cast(table.schema)])


ParkNames = Mapping[str, str]
"""Park id → the name people use (from the warehouse's ``parks``); an id not in it is shown as it is."""


def notify_tables(items: Sequence[Item], parks: ParkNames | None = None) -> tuple[pa.Table, pa.Table]:
    """(per enterprise: name, uscc, park, awards, total; the awards one per row) for approved or paid items."""
    parks = parks or {}
    rows = [i for i in items if i.status in NOTIFY]
    per: dict[str, list[Item]] = {}
    for i in rows:
        per.setdefault(i.uscc, []).append(i)
    summary = pa.table(
        {
            "enterprise_name": pa.array([v[0].enterprise_name for v in per.values()], pa.string()),
            "uscc": pa.array(list(per), pa.string()),
            "park_id": pa.array([_park(v[0].park_id, parks) for v in per.values()], pa.string()),
            "awards": pa.array(
                ["；".join(f"{i.policy_name} {i.clause_ref}" for i in v) for v in per.values()]
            ),
            "amount_fen": pa.array([sum(i.amount_fen for i in v) for v in per.values()], pa.int64()),
        }
    )
    detail = pa.table(
        {
            "enterprise_name": pa.array([i.enterprise_name for i in rows], pa.string()),
            "uscc": pa.array([i.uscc for i in rows], pa.string()),
            "policy_name": pa.array([i.policy_name for i in rows], pa.string()),
            "clause_ref": pa.array([i.clause_ref for i in rows], pa.string()),
            "amount_fen": pa.array([i.amount_fen for i in rows], pa.int64()),
            "status": pa.array([ITEM_LABELS[i.status] for i in rows], pa.string()),
        }
    )
    return summary, detail


NOTIFY_HEADERS = {
    "enterprise_name": "企业名称",
    "uscc": "统一社会信用代码",
    "park_id": "园区",
    "awards": "兑现事项",
    "policy_name": "政策",
    "clause_ref": "条款",
    "amount_fen": "金额",
    "status": "状态",
}


def write_notify(
    items: Sequence[Item], path: Path | str, parks: ParkNames | None = None, batch: Batch | None = None
) -> tuple[Path, int]:
    """The enterprises to notify (.xlsx): one sheet per enterprise, one per award, and (given the
    *batch*) a 说明 sheet saying which batch, year and run the list is of."""
    path = Path(path)
    out_suffix(path, ".xlsx")
    summary, detail = notify_tables(items, parks)
    sheets = {"通知企业": summary, "兑现明细": detail}
    if batch is not None:
        total = sum(summary["amount_fen"].to_pylist())
        notes = [
            f"{' '.join(batch.title.split())} 通知名单 (兑现批次 #{batch.id}, {batch_label(batch.status.value)})",
            f"考核年度 {batch.period}; 测算运行 {batch.run_id}",
            f"{summary.num_rows} 家企业, {detail.num_rows} 项奖励, 合计 {display_fen(total, '元')} 元",
            *_held_note(batch),
        ]
        sheets["说明"] = pa.table({"说明": notes})
    export_excel(sheets, path, NOTIFY_HEADERS, ("amount_fen",), "元")
    return path, summary.num_rows


LEDGER_HEADERS = {
    "id": "台账号", "enterprise_name": "企业名称", "uscc": "统一社会信用代码", "park": "园区",
    "policy_name": "政策", "policy_id": "政策代码", "clause_ref": "条款", "clause_title": "条款名称",
    "clause_id": "条款代码", "period": "年度", "amount_fen": "金额", "live_fen": "计入合计的金额",
    "source": "来源", "reference": "往年兑现依据 (文号/批次/凭证号)",
    "batch_id": "批次", "run_id": "测算运行", "paid_at": "支付时间 (北京时间)", "paid_by": "经办",
    "state": "状态", "reversed_at": "冲正时间 (北京时间)", "reversed_by": "冲正人", "reversal_reason": "冲正原因",
    "reversal_kind": "冲正类型", "reversal_evidence": "凭证号", "money_back_on": "款项退回日期",
}  # fmt: skip


def _excel_time(at: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC) time as Excel shows it: Beijing's wall clock to the second, no zone."""
    return None if at is None else beijing(at).replace(tzinfo=None, microsecond=0)


def entry_state(e: LedgerEntry) -> str:
    """有效, 已冲正, or 有效 (待追回) for a live entry whose payment is to be recovered."""
    if e.reversed:
        return "已冲正"
    return "有效 (待追回)" if e.reversal_kind == ReversalKind.UNRECOVERED.value else "有效"


def kind_label(kind: str | None) -> str:
    """A reversal kind as people read it (退汇 …); "" for none, the code for one this code lacks."""
    if not kind:
        return ""
    try:
        return REVERSAL_LABELS[ReversalKind(kind)]
    except ValueError:
        return kind


LedgerRow = tuple[LedgerEntry, str, str | None, str]
"""An entry with its enterprise's name, park and 条款, as :meth:`Ledger.search` gives it."""


def write_ledger(
    rows: Sequence[LedgerRow],
    path: Path | str,
    parks: ParkNames | None = None,
    lib: policy.Library | None = None,
) -> tuple[Path, int]:
    """The payment ledger (.xlsx), one row per entry in the order given, as the web's export has
    it: the enterprise's name, park, policy and clause named (from *lib*, default the built-in
    library), amounts exact in 元, times in Beijing as Excel times; reversed entries kept and
    marked, with 计入合计的金额 0 (they pay nothing), so that column sums to the live total (QA:
    the CLI's file had codes only, times as text, and a sum that counted a reversed payment)."""
    path = Path(path)
    out_suffix(path, ".xlsx")
    parks = parks or {}
    lib = lib or policy.load_library()
    names = clause_names(lib)
    entries = [r[0] for r in rows]

    cols: dict[str, pa.Array] = {
        "id": pa.array([e.id for e in entries], pa.int64()),
        "enterprise_name": pa.array([r[1] for r in rows], pa.string()),
        "uscc": pa.array([e.uscc for e in entries], pa.string()),
        "park": pa.array([_park(r[2], parks) for r in rows], pa.string()),
        "policy_name": pa.array(
            [
                lib.policies[e.policy_id].meta.name if e.policy_id in lib.policies else e.policy_id
                for e in entries
            ],
            pa.string(),
        ),
        "policy_id": pa.array([e.policy_id for e in entries], pa.string()),
        "clause_ref": pa.array([r[3] for r in rows], pa.string()),
        "clause_title": pa.array(
            [clause_title(names, e.policy_id, e.clause_id) for e in entries], pa.string()
        ),
        "clause_id": pa.array([e.clause_id for e in entries], pa.string()),
        "period": pa.array(["一次性" if e.period == "once" else e.period for e in entries], pa.string()),
        "amount_fen": pa.array([e.amount_fen for e in entries], pa.int64()),
        "live_fen": pa.array([0 if e.reversed else e.amount_fen for e in entries], pa.int64()),
        "source": pa.array([SOURCE_LABELS.get(e.source, e.source) for e in entries], pa.string()),
        "reference": pa.array([e.reference or None for e in entries], pa.string()),  # 往年导入's
        "batch_id": pa.array([e.batch_id for e in entries], pa.int64()),
        "run_id": pa.array([e.run_id for e in entries], pa.string()),
        "paid_at": pa.array([_excel_time(e.paid_at) for e in entries], pa.timestamp("s")),
        "paid_by": pa.array([e.paid_by for e in entries], pa.string()),
        "state": pa.array([entry_state(e) for e in entries], pa.string()),
        "reversed_at": pa.array([_excel_time(e.reversed_at) for e in entries], pa.timestamp("s")),
        "reversed_by": pa.array([e.reversed_by for e in entries], pa.string()),
        "reversal_reason": pa.array([e.reversal_reason or None for e in entries], pa.string()),
        "reversal_kind": pa.array([kind_label(e.reversal_kind) or None for e in entries], pa.string()),
        "reversal_evidence": pa.array([e.reversal_evidence or None for e in entries], pa.string()),
        "money_back_on": pa.array([e.money_back_on for e in entries], pa.date32()),
    }
    times = dict.fromkeys(("paid_at", "reversed_at"), "yyyy-mm-dd hh:mm:ss")
    export_excel(
        {"支付台账": pa.table(cols)}, path, LEDGER_HEADERS, ("amount_fen", "live_fen"), "元", formats=times
    )
    return path, len(entries)


VERIFY_HEADERS = {
    "id": "事项号",
    "enterprise_name": "企业名称",
    "uscc": "统一社会信用代码",
    "park_id": "园区",
    "policy_name": "政策",
    "policy_id": "政策代码",
    "clause_ref": "条款",
    "clause_title": "条款名称",
    "clause_id": "条款代码",
    "ask": "需企业提供",
    "missing_fields": "缺失数据项",
    "status": "状态",
    "statuses": "办理状态",
    "items": "涉及政策条款",
    "period": "考核年度",
    "batch_id": "批次",
    "updated_at": "更新时间 (北京时间)",
}
VERIFY_LABELS = {"open": "待联系", "requested": "已通知", "answered": "已提交", "closed": "已办结"}
ASKING = (VerificationStatus.OPEN, VerificationStatus.REQUESTED)
"""Requests whose asks are still open: the enterprise has not provided what they ask for yet (an
answered request has it, a closed one is done)."""
NOTHING_TO_ASK = "无 (所列事项均已提交或办结)"


ClauseNames = Mapping[tuple[str, str], tuple[str, str]]
"""(policy id, clause id) → (条款 reference, title), from the policy library (:func:`clause_names`)."""
NOT_IN_LIBRARY = "政策库中已无此条款 (no longer in the policy library)"


def clause_names(lib: policy.Library | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """Every clause of *lib* (default: the built-in library, read now) by (policy id, clause id):
    its 条款 reference and its title. A request stores neither title nor library version, so an
    export looks them up when it is made."""
    lib = lib or policy.load_library()
    return {(p.id, c.id): (c.ref.text(), c.title) for p in lib.policies.values() for c in p.clauses}


def clause_title(names: ClauseNames, policy_id: str, clause_id: str) -> str:
    """The clause's title; for a clause no longer in the library its id and a note saying so."""
    found = names.get((policy_id, clause_id))
    return found[1] if found else f"{clause_id} — {NOT_IN_LIBRARY}"


def clause_ref(names: ClauseNames, r: VerificationRequest) -> str:
    """The 条款 (第一条第一款) the request was made on; the library's when the request has none."""
    return r.clause_ref or names.get((r.policy_id, r.clause_id), ("", ""))[0]


def _still_asked(requests: Sequence[VerificationRequest]) -> str:
    """What the enterprise still has to provide: the lines of its requests still open, each once."""
    lines = (line for r in requests if r.status in ASKING for line in r.ask.splitlines())
    return "\n".join(dict.fromkeys(lines)) or NOTHING_TO_ASK


def _status_counts(requests: Sequence[VerificationRequest]) -> str:
    """``待联系 1 项、已办结 1 项``: the enterprise's requests by status, in the queue's order."""
    n = {s: sum(r.status is s for r in requests) for s in VerificationStatus}
    return "、".join(f"{VERIFY_LABELS[s.value]} {k} 项" for s, k in n.items() if k)


def verification_tables(
    requests: Sequence[VerificationRequest],
    parks: ParkNames | None = None,
    clauses: ClauseNames | None = None,
) -> tuple[pa.Table, pa.Table]:
    """(per enterprise: what it still has to provide, merged over its requests still open, its
    requests by status, and each request with its clause's title and status; every request one
    per row, with its policy and clause codes); missing data by their Chinese names with the
    year, parks by name, clause titles from *clauses* (default: the built-in library's, looked up
    now; one no longer in it is named by its id, :data:`NOT_IN_LIBRARY`). What an enterprise has
    already provided (a request answered or closed) is never asked for again."""
    parks = parks or {}
    names = clause_names() if clauses is None else clauses

    def clause(r: VerificationRequest) -> str:
        return " ".join(x for x in (clause_ref(names, r), clause_title(names, r.policy_id, r.clause_id)) if x)

    per: dict[str, list[VerificationRequest]] = {}
    for r in requests:
        per.setdefault(r.uscc, []).append(r)
    summary = pa.table(
        {
            "enterprise_name": pa.array([v[0].enterprise_name for v in per.values()], pa.string()),
            "uscc": pa.array(list(per), pa.string()),
            "park_id": pa.array([_park(v[0].park_id, parks) for v in per.values()], pa.string()),
            "ask": pa.array([_still_asked(v) for v in per.values()], pa.string()),
            "statuses": pa.array([_status_counts(v) for v in per.values()], pa.string()),
            "items": pa.array(
                [
                    "；".join(f"{r.policy_name} {clause(r)} ({VERIFY_LABELS[r.status.value]})" for r in v)
                    for v in per.values()
                ],
                pa.string(),
            ),
        }
    )
    detail = pa.table(
        {
            "id": pa.array([r.id for r in requests], pa.int64()),  # what `policy verify update` takes
            "enterprise_name": pa.array([r.enterprise_name for r in requests], pa.string()),
            "uscc": pa.array([r.uscc for r in requests], pa.string()),
            "policy_name": pa.array([r.policy_name for r in requests], pa.string()),
            "policy_id": pa.array([r.policy_id for r in requests], pa.string()),
            "clause_ref": pa.array([clause_ref(names, r) for r in requests], pa.string()),
            "clause_title": pa.array(
                [clause_title(names, r.policy_id, r.clause_id) for r in requests], pa.string()
            ),
            "clause_id": pa.array([r.clause_id for r in requests], pa.string()),
            "missing_fields": pa.array([missing_fields_zh(r.missing_fields) for r in requests], pa.string()),
            "ask": pa.array([r.ask for r in requests], pa.string()),
            "status": pa.array([VERIFY_LABELS[r.status.value] for r in requests], pa.string()),
            "period": pa.array([r.period for r in requests], pa.int64()),
            "batch_id": pa.array([r.batch_id for r in requests], pa.int64()),
            "updated_at": pa.array([_excel_time(r.updated_at) for r in requests], pa.timestamp("s")),
        }
    )
    return summary, detail


def write_verification(
    requests: Sequence[VerificationRequest],
    path: Path | str,
    parks: ParkNames | None = None,
    clauses: ClauseNames | None = None,
) -> tuple[Path, int]:
    """The 待核实 queue (.xlsx): per enterprise what it still has to provide and its requests'
    statuses, then every request with its clause's title (:func:`verification_tables`)."""
    path = Path(path)
    out_suffix(path, ".xlsx")
    summary, detail = verification_tables(requests, parks, clauses)
    when = {"updated_at": "yyyy-mm-dd hh:mm:ss", "period": "0", "id": "0"}
    export_excel({"待核实企业": summary, "待核实明细": detail}, path, VERIFY_HEADERS, formats=when)
    return path, summary.num_rows


def _park(park_id: str | None, parks: ParkNames) -> str | None:
    return None if park_id is None else parks.get(park_id, park_id)
