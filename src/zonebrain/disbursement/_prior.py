"""Payments made before ZoneBrain (往年已兑现导入): importing them into the payment ledger, so that
one-time awards (首次认定, 首次突破, 一次性: ledger period ``once``) are never paid twice.

A zone adopting ZoneBrain paid awards for years before it, in its own records (Excel). The
policy engine's payment history is the ledger, so without those payments a firm paid its 首次认定
award in 2022 would be found eligible and paid again::

    from zonebrain.disbursement import import_prior_payments

    r = import_prior_payments(store, admin, "往年兑现.xlsx", warehouse=wh)   # an admin; all or nothing
    r.imported, r.already_present, r.total_fen                         # a second import adds 0
    d.reverse(leader, entry_id, reason="重复登记")                       # void one imported in error

**Storage** (ADR 0013): an imported payment is a row of the one ledger, ``payment_ledger``, of
``source`` ``import``: no batch, item or run, but its import (``prior_payment_imports``: file,
SHA-256, sheet, rows, who, when), its ``reference`` (文号/批次/凭证号, required so an auditor can trace
it), the award's year, and the enterprise's name and park as the registry gave them. ``paid_at`` is
the payment date (00:00 Beijing), ``paid_by`` who imported it. Being ledger rows, imported payments
are counted by every reader of the ledger without a second code path (the policy engine's history,
the pay step's key check, the self-check's outcomes, the what-if's paid counts, the totals, the
ledger page and CLI), and the database's live-key unique index refuses a second payment of their
key, whoever tries. A CHECK constraint says what each source must name.

**The file** (.xlsx or .csv, :data:`~._prior_read.PRIOR_FORMAT`): 统一社会信用代码, 政策 (id, 文号
or name), 条款 (id or 第一条第一款), 年度, 兑现金额 with its unit in the header (``兑现金额(元)`` or
``(万元)``: a header without a unit is refused), 兑现日期, 凭证号 (文号/批次/凭证号); 企业名称 optional.

**Rules.** Only an admin imports (refusals audited ``denied``). The import is atomic: a file with
any bad row writes nothing, and every problem (file, row, column, value, what to do) is in an
Excel report (the registry's reject report) beside the file. It is idempotent: a row whose award
a live ledger entry already holds at the same amount is *already present* and adds nothing, so
importing the same file again adds 0 and says so; at another amount it is a rejection naming the
entry. A row identical to an imported entry voided since is rejected too (importing an old file
again must not bring back what was voided). Each import is an audit-log entry
(``disbursement.import_prior``: file, SHA-256, sheet, rows, user; outcome ``ok``,
``already_imported`` when nothing was new, ``refused`` for a rejected file). An entry imported in
error is voided by the reversal (``Disbursement.reverse``, 冲正: a second person, with a reason,
audited); it stays in the ledger, flagged, and no longer holds its key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zonebrain import policy
from zonebrain.appstore import AuditRow, Role, User, UserRow, utcnow
from zonebrain.appstore.disbursement_models import PaymentLedgerRow, PriorPaymentImportRow
from zonebrain.appstore.pipeline_models import audit_row
from zonebrain.core.clock import beijing, beijing_text, from_beijing
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.core.money import format_fen
from zonebrain.disbursement._model import IMPORTED, NotAllowed
from zonebrain.disbursement._prior_read import Key, PriorFile, PriorRow, read_prior
from zonebrain.disbursement._steps import _acting, _in_open_batches, _lock_for_batch
from zonebrain.registry._report import write_reject_report
from zonebrain.storage import Warehouse

if TYPE_CHECKING:
    from zonebrain.appstore import AppStore

IMPORTERS = frozenset({Role.ADMIN})
"""Who imports payments made before ZoneBrain: an administrator."""
ACTION = "disbursement.import_prior"
"""The audit-log action of an import."""
_ATTEMPTS = 3
_CHUNK = 500
_FIRST = 10
"""Problems the refusal's message lists (the report has them all)."""


@dataclass(frozen=True)
class PriorProblem:
    """One problem of a rejected file, where the user finds it."""

    file: str
    row: int
    column: str
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file} 第 {self.row} 行 (row {self.row}), 列 '{self.column}', 值 {self.value!r}: {self.message}"


class PriorImportRejected(ImportRejected):
    """A file of payments made before ZoneBrain had bad rows: nothing was imported. :attr:`problems`
    lists each (file, row, column, value, rule, message), as the report does."""

    def __init__(
        self, message: str, *, rejected: int, report_path: str | None, problems: Sequence[PriorProblem]
    ) -> None:
        super().__init__(message, rejected=rejected, report_path=report_path)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class PriorImport:
    """What one import did (or, with ``dry_run``, would do)."""

    file: Path
    sha256: str
    sheet: str | None
    status: str
    """``imported``; ``already_imported`` (every row already in the ledger: nothing added);
    ``dry_run`` (checked, nothing written)."""
    rows_in: int
    imported: int
    """Rows written to the ledger (with ``dry_run``: that would be)."""
    already_present: int
    """Rows whose award a live entry already held at the same amount (nothing written)."""
    total_fen: int
    """The amount of the rows imported."""
    import_id: int | None
    entries: tuple[int, ...]
    """The ledger entries written."""
    warnings: tuple[str, ...] = ()
    seen_before: tuple[str, ...] = ()
    """Earlier imports of the same file (its SHA-256): ``#id 时间 用户``."""


def import_prior_payments(
    store: AppStore,
    actor: User,
    path: Path | str,
    *,
    lib: policy.Library | None = None,
    warehouse: Warehouse | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    report_dir: Path | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    ip: str = "",
) -> PriorImport:
    """Import the payments of *path* (.xlsx, or .csv) into the ledger, all rows or none (see the
    module's docstring). *lib* is the policy library the rows name (default: the built-in one);
    *warehouse*, when given, names each enterprise and its park from the registry (a USCC it does
    not hold is imported all the same, with a warning). *dry_run* checks everything, the ledger
    included, and writes nothing. Raises :class:`PriorImportRejected` (with the report's path) when
    any row is bad, :class:`NotAllowed` for a user other than an admin."""
    path = Path(path)
    with store.session() as s:
        try:
            _acting(s, actor, IMPORTERS, "导入往年已兑现记录", "import payments made before ZoneBrain")
        except NotAllowed as exc:
            refused: Exception | None = exc
        else:
            refused = None
    if refused is not None:
        _audit_outside(store, actor, "denied", ip, {"file": path.name, "reason": str(refused)})
        raise refused
    today = beijing(clock()).date()
    try:
        found = read_prior(path, sheet=sheet, lib=lib, today=today)
    except InputError as exc:
        if not dry_run:
            _audit_outside(store, actor, "refused", ip, {"file": path.name, "reason": str(exc)})
        raise
    names = _registry(warehouse, [r.uscc for r in found.good()], found)
    for _attempt in range(_ATTEMPTS):
        try:
            return _once(store, actor, found, names, dry_run, report_dir, clock, ip)
        except _Race:
            continue  # another payment of one of the keys committed: the next attempt sees it
    raise InputError(
        "支付台账正被同时写入 (the ledger is being written concurrently); 请稍后重新导入 / import again shortly"
    )


class _Race(Exception):
    """Another transaction wrote one of the file's keys between the check and the insert."""


def _once(
    store: AppStore,
    actor: User,
    f: PriorFile,
    names: dict[str, tuple[str, str | None]],
    dry_run: bool,
    report_dir: Path | None,
    clock: Callable[[], dt.datetime],
    ip: str,
) -> PriorImport:
    with store.session() as s:
        _lock_for_batch(s)  # imports and batch creations one at a time: the check and the inserts hold
        _acting(s, actor, IMPORTERS, "导入往年已兑现记录", "import payments made before ZoneBrain")
        present, conflicts = _against_ledger(s, f)
        seen = _seen_before(s, f.sha256)
        if f.rejected():
            pass  # nothing is written: the refusal below is audited after this transaction
        else:
            listed = _listed(s, [r.key for r in f.good() if r.index not in present])
            if dry_run:
                return _result(f, "dry_run", present, None, (), seen, listed)
            return _write(s, actor, f, names, present, seen, clock(), ip, listed)
    report = _report(f, conflicts, report_dir)
    problems = _problems(f)
    if not dry_run:
        by_rule = {r: f.problems.rule.count(r) for r in sorted(set(f.problems.rule))}
        detail = {
            "file": f.path.name, "sha256": f.sha256, "sheet": f.raw.sheet, "rows": _rows_in(f),
            "rejected": f.rejected(), "by_rule": by_rule, "report": report.name,
        }  # fmt: skip
        _audit_outside(store, actor, "refused", ip, detail)
    raise _rejection(f, problems, report)


def _write(
    s: Session,
    actor: User,
    f: PriorFile,
    names: dict[str, tuple[str, str | None]],
    present: dict[int, int],
    seen: tuple[str, ...],
    now: dt.datetime,
    ip: str,
    listed: tuple[str, ...],
) -> PriorImport:
    fresh = [r for r in f.good() if r.index not in present]
    detail: dict[str, Any] = {
        "file": f.path.name, "sha256": f.sha256, "sheet": f.raw.sheet, "rows": _rows_in(f),
        "imported": len(fresh), "already_present": len(present),
        "total_fen": sum(r.amount_fen for r in fresh),
    }  # fmt: skip
    if not fresh:  # the same file again, or rows all paid already: says so, adds nothing
        s.add(_audit(actor, "prior_import", "already_imported", ip, {**detail, "seen_before": list(seen)}))
        return _result(f, "already_imported", present, None, (), seen, listed)
    imp = PriorPaymentImportRow(
        file_name=f.path.name[:256], file_sha256=f.sha256, sheet=f.raw.sheet, rows_in=_rows_in(f),
        rows_imported=len(fresh), rows_present=len(present), total_fen=detail["total_fen"],
        imported_by=actor.id, imported_at=now,
    )  # fmt: skip
    s.add(imp)
    s.flush()
    rows = [_ledger_row(r, imp.id, actor.id, names.get(r.uscc)) for r in fresh]
    s.add_all(rows)
    try:
        s.flush()
    except IntegrityError as exc:  # a payment of one of the keys committed since the check
        raise _Race() from exc
    detail |= {"import_id": imp.id, "entries": [rows[0].id, rows[-1].id], "seen_before": list(seen)}
    s.add(_audit(actor, f"prior_import:{imp.id}", "ok", ip, detail))
    return _result(f, "imported", present, imp.id, tuple(r.id for r in rows), seen, listed)


def _ledger_row(
    r: PriorRow, import_id: int, user_id: int, known: tuple[str, str | None] | None
) -> PaymentLedgerRow:
    name, park = known if known is not None else (r.enterprise_name, None)
    return PaymentLedgerRow(
        uscc=r.uscc, policy_id=r.policy_id, clause_id=r.clause_id, period=r.period,
        amount_fen=r.amount_fen, batch_id=None, item_id=None, run_id=None,
        paid_at=from_beijing(dt.datetime.combine(r.paid_on, dt.time())), paid_by=user_id,
        source=IMPORTED, import_id=import_id, reference=r.reference, award_year=r.year,
        enterprise_name=(name or r.enterprise_name or None), park_id=park,
    )  # fmt: skip


def _against_ledger(s: Session, f: PriorFile) -> tuple[dict[int, int], list[list[Any]]]:
    """The good rows against the ledger: those whose award a live entry holds at the same amount
    (row index → entry id: already present); a problem for each held at another amount, or the
    same as an imported entry voided since. Returns the present rows and the report's conflicts."""
    rows = f.good()
    live, voided = _held(s, [r.key for r in rows])
    present: dict[int, int] = {}
    conflicts: list[list[Any]] = []
    unit = f.unit()
    for r in rows:
        e = live.get(r.key)
        if e is not None and e.amount_fen == r.amount_fen:
            present[r.index] = e.id
        elif e is not None:
            where = _where(e)
            f.add(r.index, "amount_fen", "ledger_conflict", (
                f"该奖励已在支付台账中: 台账记录 #{e.id} ({where}, 金额 {format_fen(e.amount_fen, unit)} {unit}), "
                f"与本行金额不同 (the ledger already holds this award at another amount: entry #{e.id}); "
                "请核对哪一笔属实: 台账记录有误请先冲正该记录再导入, 否则删除本行 / check which is right: "
                "reverse the entry first, or delete this row"
            ))  # fmt: skip
            conflicts.append([
                r.line, "/".join(r.key), f.header("amount_fen"), format_fen(e.amount_fen, unit),
                f"支付台账 #{e.id} ({where})", f.cell(r.index, "amount_fen"), f.path.name,
            ])  # fmt: skip
        else:
            gone = next((v for v in voided.get(r.key, []) if _same(v, r)), None)
            if gone is not None:
                f.add(r.index, "reference", "voided_before", (
                    f"与已作废的往年导入记录 #{gone.id} 相同 ({beijing_text(gone.reversed_at)} 作废, 原因: "
                    f"{gone.reversal_reason}) (the same as an imported entry voided since); 请删除本行; "
                    "如确已兑现, 请核实后改正本行再导入 / delete the row, or correct it once checked"
                ))  # fmt: skip
    return present, conflicts


def _same(v: PaymentLedgerRow, r: PriorRow) -> bool:
    return v.amount_fen == r.amount_fen and (v.reference or "") == r.reference


def _where(e: PaymentLedgerRow) -> str:
    paid = beijing(e.paid_at).date().isoformat()
    if e.source == IMPORTED:
        return f"往年导入 #{e.import_id}, 凭证 {e.reference}, {paid} 支付"
    return f"兑现批次 #{e.batch_id}, {paid} 支付"


def _held(
    s: Session, keys: Sequence[Key]
) -> tuple[dict[Key, PaymentLedgerRow], dict[Key, list[PaymentLedgerRow]]]:
    """Of *keys*: the live entry holding each, and the imported entries voided (reversed) since."""
    wanted = set(keys)
    usccs = sorted({k[0] for k in wanted})
    live: dict[Key, PaymentLedgerRow] = {}
    voided: dict[Key, list[PaymentLedgerRow]] = {}
    for i in range(0, len(usccs), _CHUNK):
        q = select(PaymentLedgerRow).where(PaymentLedgerRow.uscc.in_(usccs[i : i + _CHUNK]))
        for e in s.scalars(q.order_by(PaymentLedgerRow.id)):
            k = (e.uscc, e.policy_id, e.clause_id, e.period)
            if k not in wanted:
                continue
            if e.reversed_at is None:
                live[k] = e
            elif e.source == IMPORTED:
                voided.setdefault(k, []).append(e)
    return live, voided


def _seen_before(s: Session, sha: str) -> tuple[str, ...]:
    q = (
        select(PriorPaymentImportRow.id, PriorPaymentImportRow.imported_at, UserRow.username)
        .join(UserRow, UserRow.id == PriorPaymentImportRow.imported_by)
        .where(PriorPaymentImportRow.file_sha256 == sha)
        .order_by(PriorPaymentImportRow.id)
    )
    return tuple(f"#{i} {beijing_text(at)} {who}" for i, at, who in s.execute(q))


def _registry(wh: Warehouse | None, usccs: list[str], f: PriorFile) -> dict[str, tuple[str, str | None]]:
    """USCC → (name, park) as the registry holds them; a warning names the USCCs it does not hold
    (imported all the same: a firm that has left the zone was still paid)."""
    if wh is None or not usccs or wh.schema_version() == 0:
        return {}
    ent = wh.table("enterprises")
    wanted = sorted(set(usccs))
    got = wh.to_arrow(ent.filter(ent.uscc.isin(wanted)).select("uscc", "name", "park_id")).to_pylist()
    found = {str(r["uscc"]): (str(r["name"] or ""), r["park_id"]) for r in got}
    missing = [u for u in wanted if u not in found]
    if missing:
        shown = "、".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        f.warnings.append(
            f"{len(missing)} 家企业不在企业名录中, 照常导入 (not in the enterprise registry; imported all the "
            f"same): {shown}"
        )
    return found


def _rows_in(f: PriorFile) -> int:
    return int(f.raw.table.num_rows) + len(f.raw.bad_rows)


def _result(
    f: PriorFile, status: str, present: dict[int, int], import_id: int | None, entries: tuple[int, ...],
    seen: tuple[str, ...], listed: tuple[str, ...] = (),
) -> PriorImport:  # fmt: skip
    fresh = [r for r in f.good() if r.index not in present]
    return PriorImport(
        f.path, f.sha256, f.raw.sheet, status, _rows_in(f), len(fresh), len(present),
        sum(r.amount_fen for r in fresh), import_id, entries, (*f.warnings, *listed), seen,
    )  # fmt: skip


def _listed(s: Session, keys: list[Key]) -> tuple[str, ...]:
    """A warning when awards the file adds are listed for payment in an open batch: that batch will
    not pay them (already paid), and its 公示 list named them."""
    held = _in_open_batches(s, keys)
    if not held:
        return ()
    ids = ", ".join(f"#{i}" for i in sorted(set(held.values())))
    note = (
        f"{len(held)} 项奖励已列入未完成的兑现批次 {ids}; 导入后该批次支付时按此前已兑现处理, 不会再付 "
        f"({len(held)} of these awards are listed in open batch {ids}: its payment will find them "
        "already paid)"
    )
    return (note,)


def _problems(f: PriorFile) -> list[PriorProblem]:
    numbers = f.raw.row_numbers()
    p = f.problems
    out = [PriorProblem(f.path.name, b.line, "(整行 whole row)", b.text, "column_count", b.reason)
           for b in f.raw.rejected_lines()]  # fmt: skip
    out += [
        PriorProblem(f.path.name, int(numbers[p.index[k]]), p.column[k], p.value[k], p.rule[k], p.message[k])
        for k in range(len(p))
    ]
    place = {h: k for k, h in enumerate(f.raw.table.column_names)}
    return sorted(out, key=lambda x: (x.row, place.get(x.column, -1)))  # as the file reads, left to right


def _report(f: PriorFile, conflicts: list[list[Any]], report_dir: Path | None) -> Path:
    """The registry's reject report (问题清单, 被拒行, 来源冲突) beside the file, or in *report_dir*."""
    path = (report_dir or f.path.parent) / f"{f.path.stem}.rejected.xlsx"
    return write_reject_report(
        path, f.path, f.raw.table, f.raw.row_numbers(), f.problems, f.raw.rejected_lines(), conflicts,
        sheet=f.raw.sheet,
    )  # fmt: skip


def _rejection(f: PriorFile, problems: list[PriorProblem], report: Path) -> PriorImportRejected:
    by_rule: dict[str, int] = {}
    for x in problems:
        by_rule[x.rule] = by_rule.get(x.rule, 0) + 1
    first = "\n".join(f"  {x}" for x in problems[:_FIRST])
    more = f"\n  … 另有 {len(problems) - _FIRST} 个问题 (more problems)" if len(problems) > _FIRST else ""
    n = f.rejected()
    return PriorImportRejected(
        f"{f.path}: {n} 行有问题, 整个文件未导入 ({n} bad rows; nothing was imported). "
        f"问题类型 (by rule): {by_rule}.\n{first}{more}\n完整清单见 (full list in): {report}\n"
        "请修改后重新导入 / fix the rows and import the file again",
        rejected=n,
        report_path=str(report),
        problems=problems,
    )


def _audit(actor: User, target: str, outcome: str, ip: str, detail: dict[str, Any]) -> AuditRow:
    return audit_row(
        ACTION, user_id=actor.id, username=actor.username, role=actor.role.value, target=target,
        detail=detail, ip=ip, outcome=outcome,
    )  # fmt: skip


def _audit_outside(store: AppStore, actor: User, outcome: str, ip: str, detail: dict[str, Any]) -> None:
    """An audit row of its own transaction: a refusal, after the refused one rolled back."""
    store.audit.record(ACTION, user=actor, target="prior_import", outcome=outcome, ip=ip, detail=detail)
