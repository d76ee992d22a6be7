"""The public surface of zonebrain.disbursement is pinned (the web pages build on it)."""

from __future__ import annotations

import zonebrain.disbursement


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.disbursement.__all__) == sorted(
        [
            "APPROVERS", "CREATORS", "ONCE", "REVERSERS", "REVIEWERS", "Batch", "BatchStatus", "Disbursement",
            "Hold", "Item", "ItemStatus", "Ledger", "LedgerEntry", "LedgerPage", "NotAllowed", "NotFound", "Objection",
            "PayResult", "ReversalKind", "RunRows", "Standing", "VerificationQueue", "VerificationRequest", "VerificationStatus", "WrongStep",
            "PriorImport", "PriorImportRejected", "import_prior_payments",  # 往年已兑现导入
            "ask_for", "load_run", "mask_uscc", "notify_tables", "publicity_table", "verification_tables",
        ]
    )  # fmt: skip
