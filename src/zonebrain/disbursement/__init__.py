"""disbursement/: the policy 兑现 workflow (审核、公示、异议、审批、支付台账、待核实) over the app store.

``zonebrain.policy`` decides, per enterprise × clause, eligibility and amount in a recorded
warehouse run. This package carries the eligible awards of one run to payment, one step at a time,
each step in the app store's audit log in the same transaction as the change::

    from zonebrain.disbursement import Disbursement, load_run

    d = Disbursement(store)                          # store: zonebrain.appstore.AppStore
    run = load_run(wh, run_id)                       # a recorded run (zonebrain policy run)
    b = d.create_batch(researcher, run)              # draft; 待核实 results join the queue
    b = d.review(colleague, b.id, expected_version=b.version)   # not the creator (四眼)
    b = d.publicize(researcher, b.id, start=day, end=day + 6, expected_version=b.version)  # ≥ 5 days
    d.export_publicity(researcher, b.id, "公示.docx") # or .xlsx: masked USCC, 政策, 条款, 金额(元)
    o = d.object(officer, item_id, "该企业已迁出", raised_by="匿名", raised_by_role="群众")
    d.resolve(researcher, o.id, upheld=True, note="核实属实")   # upheld → the item is withdrawn
    b = d.approve(leader, b.id, expected_version=d.batch(b.id).version)   # after the 公示期
    d.hold(leader, b.id, item_id, reason="企业列入失信名单, 待核实")  # 暂缓支付 one approved item
    paid = d.pay(researcher, b.id)                   # not the approver; again → everything already_paid
    d.release(admin, b.id, item_id, reason="经核实未列入")   # not the holder; or d.withdraw_held(…)
    d.reverse(admin, entry_id, reason="银行退回", kind="returned", evidence="HD-001",
              money_back_on=day)                     # 冲正 with its proof: the award may be paid again
    d.cancel(researcher, other.id, reason="重新测算")   # 作废 a batch not yet paid (admin or its creator)
    d.export_notify(researcher, b.id, "通知.xlsx")
    d.export_verification(researcher, "待核实.xlsx")

Rules the service enforces:

* Statuses move draft → reviewed → publicized (公示中) → approved → paid (through part_paid,
  部分兑现, while items are on hold), never back; each step
  checks the batch version the officer read (``ConcurrentUpdate`` when someone wrote since).
  Until it is paid, an admin or the batch's creator may cancel it (作废, with a reason); a
  cancelled batch is final and its awards may go into a new batch.
* Four eyes (四眼原则): the reviewer is not the batch's creator; the approver is an admin or
  leader who neither created nor reviewed it nor closed its 公示 early; the payer is not its approver
  (who approves the money does not record its payment; the creator may); an objection is resolved
  by neither the batch's creator nor its recorder. Two accounts count as one person when one
  created the other or gave it its role, and an account a user of the app made or granted takes no
  step but an objection for ``new_account_hold_hours`` (default 24). Each refusal is audited
  ``denied``. The approver approves only after the 公示期's last day, or after it was closed early
  with a reason, and once every objection is resolved. An upheld objection withdraws its item.
* The 公示 starts no earlier than the day of the review and lasts at least the
  ``publicity_min_days`` setting (default 5 days). A batch of a run with a newer run of its period
  needs a reason; with ``warehouse=``, approval and payment need an acknowledgement of data
  imported since the run. Both refusals are audited ``refused``.
* Paying writes the ledger in one transaction. Its key, enterprise × policy × clause × period
  (``period`` = the year, or ``once`` for one-time awards), is UNIQUE in the database. Paying
  again, or paying a batch built from a re-run of the same period, reports those awards as
  ``already_paid`` and never writes them twice.
* Between approval and payment an admin or leader may hold one approved item (暂缓支付, with a
  reason); ``pay`` pays the rest and leaves it unpaid, the batch then 部分兑现 (``part_paid``) until
  someone other than who held it releases it (paid by the next ``pay``) or withdraws it, each with a
  reason (:mod:`._holds`). Held items are on neither the re-exported 公示 list nor the notify list.
* A ledger entry whose money came back (退汇: the bank returned the transfer; 追回: recovered from
  the firm; each with its evidence reference and the day it came back), or that was booked in error
  with no money moved (误记), is reversed (冲正) with a reason by an admin or leader other than the
  payer. It stays in the ledger, flagged, and no longer holds its key (the UNIQUE index covers live
  entries only), so a new batch may pay the award again, once. A payment still to recover (待追回)
  is recorded on the entry, which keeps its key until a 追回 reversal (:mod:`._reversal`).
* :class:`Ledger` implements :class:`zonebrain.policy.PaymentHistory`: pass
  ``history=d.ledger`` to ``run_policies`` so one-time awards see what was paid (and not reversed).
  Its ``outcomes(uscc)`` also tells ``zonebrain.policy.self_check`` which of an enterprise's awards
  were paid (ledger entry, time) or withdrawn after an upheld objection (batch, reason), so the
  self-check does not offer them as available.
* Payments made before ZoneBrain (往年已兑现导入) are imported from the zone's records by an admin
  (:func:`import_prior_payments`, all rows or none, idempotent, each import audited): ledger
  entries of ``source`` ``import``, which every reader of the ledger counts and whose key the
  database guards like any other, so a one-time award paid outside ZoneBrain is never paid again
  (:mod:`._prior`, ADR 0013). One imported in error is voided by ``reverse`` (误记).
* Undetermined results go to the 待核实 queue (:class:`VerificationQueue`) with what to ask each
  enterprise for (快申快享), derived from the run's ``missing_fields``.

Roles: building and publishing a batch needs an admin or policy researcher; review and resolving
objections also a leader; approval, holds and reversals an admin or leader; paying any of these but
the approver. Park officers record objections
and work their own park's 待核实 queue; an enterprise user may object to its own items only.
"""

from zonebrain.disbursement._asks import ask_for
from zonebrain.disbursement._corrections import APPROVERS, CREATORS, REVERSERS
from zonebrain.disbursement._exports import notify_tables, publicity_table, verification_tables
from zonebrain.disbursement._ledger import Ledger, LedgerPage
from zonebrain.disbursement._model import (
    Batch,
    BatchStatus,
    Hold,
    Item,
    ItemStatus,
    LedgerEntry,
    NotAllowed,
    NotFound,
    Objection,
    PayResult,
    ReversalKind,
    VerificationRequest,
    VerificationStatus,
    WrongStep,
    mask_uscc,
)
from zonebrain.disbursement._prior import PriorImport, PriorImportRejected, import_prior_payments
from zonebrain.disbursement._separation import Standing
from zonebrain.disbursement._service import REVIEWERS, Disbursement
from zonebrain.disbursement._source import ONCE, RunRows, load_run
from zonebrain.disbursement._verify import VerificationQueue

__all__ = [
    "APPROVERS",
    "CREATORS",
    "ONCE",
    "REVERSERS",
    "REVIEWERS",
    "Batch",
    "BatchStatus",
    "Disbursement",
    "Hold",
    "Item",
    "ItemStatus",
    "Ledger",
    "LedgerEntry",
    "LedgerPage",
    "NotAllowed",
    "NotFound",
    "Objection",
    "PayResult",
    "PriorImport",
    "PriorImportRejected",
    "ReversalKind",
    "RunRows",
    "Standing",
    "VerificationQueue",
    "VerificationRequest",
    "VerificationStatus",
    "WrongStep",
    "ask_for",
    "import_prior_payments",
    "load_run",
    "mask_uscc",
    "notify_tables",
    "publicity_table",
    "verification_tables",
]
