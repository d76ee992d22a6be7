"""Payments made before ZoneBrain (往年已兑现导入): an imported one-time award counts as paid for every
reader of the ledger (the engine's history, a batch and its payment, the self-check's outcomes, the
search), and the database refuses a second payment of its key; importing is idempotent; an entry
imported in error is voided by the reversal. On SQLite and (when selected) PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.disbursement._data import AS_OF, NAMES, A, B, D
from tests.disbursement._flow import approved
from tests.disbursement.conftest import Clock, People, Zone
from zonebrain import policy
from zonebrain.appstore import AppStore
from zonebrain.appstore.disbursement_models import PaymentLedgerRow, PriorPaymentImportRow
from zonebrain.core.errors import StorageError
from zonebrain.disbursement import (
    Disbursement,
    ItemStatus,
    NotAllowed,
    RunRows,
    WrongStep,
    import_prior_payments,
)

HITECH = ("zz-hitech-first-cert", "award")
HEADER = "统一社会信用代码,政策,条款,年度,兑现金额(万元),兑现日期,凭证号\n"


def write(folder: Path, rows: list[str], name: str = "往年兑现.csv", header: str = HEADER) -> Path:
    path = folder / name
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def hitech_row(uscc: str = A, amount: str = "30", ref: str = "郑开管〔2025〕7号") -> str:
    """*uscc*'s 首次认定 award paid in March 2025 for 2024, the policy by its name, the clause by 条款."""
    return f"{uscc},郑州市高新技术企业首次认定奖励,第一条,2024,{amount},2025-03-20,{ref}"


def test_an_imported_one_time_award_is_paid_for_every_reader_of_the_ledger(
    d: Disbursement,
    store: AppStore,
    people: People,
    first_run: RunRows,
    clock: Clock,
    zone: Zone,
    tmp_path: Path,
) -> None:
    r = import_prior_payments(
        store, people.admin, write(tmp_path, [hitech_row()]), warehouse=zone.wh, clock=clock
    )
    assert (r.status, r.imported, r.already_present, r.total_fen) == ("imported", 1, 0, 30 * 1_000_000)
    (entry,) = d.ledger.entries()
    assert entry.imported and entry.batch_id is None and entry.item_id is None and entry.run_id is None
    assert (entry.uscc, entry.policy_id, entry.clause_id, entry.period) == (A, *HITECH, "once")
    assert (
        entry.reference == "郑开管〔2025〕7号" and entry.award_year == 2024 and entry.import_id == r.import_id
    )
    assert (
        entry.paid_by == "admin" and str(entry.paid_at) == "2025-03-19 16:00:00"
    )  # 2025-03-20 00:00 Beijing

    # the engine's history: a re-run finds the award paid (the ledger's note in its trace)
    assert (A, *HITECH) in {tuple(x.values()) for x in d.ledger.paid().to_pylist()}
    rerun = policy.run_policies(zone.wh, policy.load_library(), AS_OF, history=d.ledger)
    got = next(
        x for x in rerun.results.to_pylist() if x["uscc"] == A and (x["policy_id"], x["clause_id"]) == HITECH
    )
    assert (
        got["status"] == "ineligible"
        and json.loads(got["trace"])["ledger"] == "already paid (one-time award)"
    )

    # a batch of the run made before the import lists it as paid already, and its payment does not pay it
    b = approved(d, people, first_run, clock)
    items = {(i.uscc, i.policy_id): i for i in d.items(b.id)}
    assert items[A, HITECH[0]].status is ItemStatus.ALREADY_PAID and items[A, HITECH[0]].ledger_id == entry.id
    paid = d.pay(people.chen, b.id)
    assert A not in {i.uscc for i in paid.paid} and {i.uscc for i in paid.paid} == {B, D}
    assert [e.id for e in d.ledger.entries(uscc=A)] == [entry.id] and d.ledger.count() == 3

    # the self-check's outcomes and the what-if's paid amounts
    outcome = next(x for x in d.ledger.outcomes(A).to_pylist() if (x["policy_id"], x["clause_id"]) == HITECH)
    assert outcome["outcome"] == "paid" and outcome["source"] == "import" and outcome["batch_id"] is None
    assert outcome["entry_id"] == entry.id and outcome["reference"] == "郑开管〔2025〕7号"
    text = policy.with_outcomes(rerun.results.filter(_is(rerun.results, A)), policy.load_library(), 2024,
                                d.ledger.outcomes(A))  # fmt: skip
    notes = [n for n in text["history_text"].to_pylist() if n]
    assert any("往年导入" in n and "郑开管〔2025〕7号" in n and "2025-03-20" in n for n in notes), notes
    assert d.ledger.live_fen([A]) == {(A, *HITECH, "once"): 30 * 1_000_000}

    # the search (ledger page, CLI): its name and park from the registry, found by a park officer's filter
    page = d.ledger.search(park_id="wutong")
    row = next(x for x in page.rows if x[0].id == entry.id)
    assert row[1:] == (NAMES[A], "wutong", "第一条")
    assert entry.id not in {x[0].id for x in d.ledger.search(park_id="shifo").rows}


def _is(results: object, uscc: str) -> object:
    import pyarrow.compute as pc

    return pc.equal(results["uscc"], uscc)  # type: ignore[index]


def test_the_database_refuses_a_second_payment_of_an_imported_key(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    r = import_prior_payments(store, people.admin, write(tmp_path, [hitech_row()]), clock=clock)
    dup = PaymentLedgerRow(
        uscc=A, policy_id=HITECH[0], clause_id=HITECH[1], period="once", amount_fen=1, source="import",
        import_id=r.import_id, reference="x", paid_at=clock.now, paid_by=people.admin.id,
    )  # fmt: skip
    with pytest.raises(StorageError), store.session() as s:
        s.add(dup)
    unnamed = PaymentLedgerRow(
        uscc=B, policy_id="p", clause_id="c", period="2024", amount_fen=1, source="import",
        import_id=r.import_id, reference=None, paid_at=clock.now, paid_by=people.admin.id,
    )  # fmt: skip
    with pytest.raises(StorageError), store.session() as s:  # the CHECK: an import names its reference
        s.add(unnamed)
    assert d.ledger.count() == 1


def test_importing_the_same_file_again_adds_nothing_and_says_so(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    rd = "zz-rd-input,award,2023,8.5,2024-05-06,2024年研发奖励第1批"
    path = write(tmp_path, [hitech_row(), f"{B},{rd}"])
    first = import_prior_payments(store, people.admin, path, clock=clock)
    assert first.imported == 2 and first.seen_before == ()
    again = import_prior_payments(store, people.admin, path, clock=clock)
    assert (again.status, again.imported, again.already_present, again.import_id) == (
        "already_imported",
        0,
        2,
        None,
    )
    assert again.seen_before and again.seen_before[0].startswith(f"#{first.import_id} ")
    assert d.ledger.count() == 2 and d.ledger.total_fen() == 30_000_000 + 8_500_000
    with store.session() as s:
        assert s.query(PriorPaymentImportRow).count() == 1
    audit = store.audit.entries(action="disbursement.import_prior")
    assert [e.outcome for e in audit] == ["already_imported", "ok"]
    assert audit[1].detail["sha256"] == first.sha256 and audit[1].detail["rows"] == 2
    assert audit[1].detail["file"] == path.name and audit[1].username == "admin"
    # a file with one new row and the two known: the new one only
    more = import_prior_payments(
        store,
        people.admin,
        write(tmp_path, [hitech_row(), f"{B},{rd}", hitech_row(D)], "more.csv"),
        clock=clock,
    )
    assert (more.imported, more.already_present) == (1, 2) and d.ledger.count() == 3


def test_a_dry_run_checks_against_the_ledger_and_writes_nothing(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    import_prior_payments(store, people.admin, write(tmp_path, [hitech_row()]), clock=clock)
    path = write(tmp_path, [hitech_row(), hitech_row(D)], "next.csv")
    r = import_prior_payments(store, people.admin, path, clock=clock, dry_run=True)
    assert (r.status, r.imported, r.already_present, r.import_id) == ("dry_run", 1, 1, None)
    assert d.ledger.count() == 1 and len(store.audit.entries(action="disbursement.import_prior")) == 1


def test_only_an_admin_imports_and_a_refusal_is_audited(
    store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    with pytest.raises(NotAllowed, match="系统管理员"):
        import_prior_payments(store, people.wang, write(tmp_path, [hitech_row()]), clock=clock)
    (row,) = store.audit.entries(action="disbursement.import_prior")
    assert (row.outcome, row.username) == ("denied", "wang")


def test_an_entry_imported_in_error_is_voided_and_not_brought_back_by_the_same_file(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    path = write(tmp_path, [hitech_row()])
    r = import_prior_payments(store, people.admin, path, clock=clock)
    with pytest.raises(NotAllowed, match="冲正人不能是登记该笔支付的人"):  # four eyes: not who imported it
        d.reverse(people.admin, r.entries[0], reason="重复登记", kind="error")
    e = d.reverse(people.wang, r.entries[0], reason="该企业当年未获此奖励, 误录", kind="error")
    assert e.reversed and e.imported and d.ledger.count() == 0 and d.ledger.paid().num_rows == 0
    audit = store.audit.entries(action="disbursement.reverse")
    assert (
        audit[0].outcome == "ok" and audit[0].target == f"ledger:{e.id}" and audit[0].detail["batch"] is None
    )
    from zonebrain.disbursement import PriorImportRejected

    with pytest.raises(PriorImportRejected) as caught:  # the old file again must not bring it back
        import_prior_payments(store, people.admin, path, clock=clock)
    (problem,) = caught.value.problems
    assert problem.rule == "voided_before" and f"#{e.id}" in problem.message and problem.row == 2
    assert d.ledger.count() == 0
    # a corrected row (another amount) is a new payment record
    fixed = import_prior_payments(
        store, people.admin, write(tmp_path, [hitech_row(amount="20")], "fixed.csv"), clock=clock
    )
    assert fixed.imported == 1 and d.ledger.total_fen() == 20 * 1_000_000


def test_a_row_names_its_award_by_id_name_or_reference(
    d: Disbursement, store: AppStore, people: People, clock: Clock, tmp_path: Path
) -> None:
    rows = [
        f"{A},zz-revenue-breakthrough,reach-10m,2022,10,2023-04-01,R1",  # ids
        f"{B},郑州高新区企业营业收入首次突破奖励,第1条第2款,2023,20,2024-04-01,R2",  # name, 条款 in digits
        f"{D},ZZ-RD-INPUT,第一条,2024,1.23,2025-02-01,R3",  # an id in capitals; a yearly award
    ]
    r = import_prior_payments(store, people.admin, write(tmp_path, rows), clock=clock)
    assert r.imported == 3
    keys = {(e.uscc, e.policy_id, e.clause_id, e.period, e.amount_fen) for e in d.ledger.entries()}
    assert keys == {
        (A, "zz-revenue-breakthrough", "reach-10m", "once", 10_000_000),
        (B, "zz-revenue-breakthrough", "reach-20m", "once", 20_000_000),
        (D, "zz-rd-input", "award", "2024", 1_230_000),
    }


def test_a_batch_built_after_the_import_lists_the_award_as_paid_already(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock, tmp_path: Path
) -> None:
    import_prior_payments(
        store, people.admin, write(tmp_path, [hitech_row(A), hitech_row(D, "20")]), clock=clock
    )
    rd = f"{B},zz-rd-input,award,2024,12,2025-03-01,R"
    import_prior_payments(store, people.admin, write(tmp_path, [rd], "rd.csv"), clock=clock)
    with pytest.raises(WrongStep, match="此前已兑现 3 项"):  # every award of the run was paid outside
        d.create_batch(people.chen, first_run)


def test_a_row_a_batch_paid_is_already_present_and_an_open_batch_is_named(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows, clock: Clock, tmp_path: Path
) -> None:
    b = approved(d, people, first_run, clock)  # lists A, B and D for payment
    path = write(tmp_path, [hitech_row(A)])
    r = import_prior_payments(store, people.admin, path, clock=clock)
    assert r.imported == 1 and any(f"兑现批次 #{b.id}" in w for w in r.warnings), r.warnings
    paid = d.pay(people.chen, b.id)
    assert {i.uscc for i in paid.paid} == {B, D} and {i.uscc for i in paid.already_paid} == {A}
    rd = next(e for e in d.ledger.entries(uscc=B))
    again = write(
        tmp_path, [hitech_row(A), f"{B},zz-rd-input,award,2024,12,2025-04-01,批次 #{b.id}"], "all.csv"
    )
    r = import_prior_payments(store, people.admin, again, clock=clock)  # B's award: paid by the batch
    assert (r.status, r.imported, r.already_present) == ("already_imported", 0, 2)
    assert [e.id for e in d.ledger.entries(uscc=B)] == [rd.id] and not rd.imported
