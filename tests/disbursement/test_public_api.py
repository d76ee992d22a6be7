"""The public surface of zonebrain.disbursement is pinned (the web pages build on it)."""

from __future__ import annotations

import zonebrain.disbursement


def test_public_names_are_pinned() -> None:
    assert sorted(zonebrain.disbursement.__all__) == sorted(
        [
            "APPROVERS", "CREATORS", "ONCE", "REVERSERS", "REVIEWERS", "Batch", "BatchStatus", "Disbursement",
            "Item", "ItemStatus", "Ledger", "LedgerEntry", "LedgerPage", "NotAllowed", "NotFound", "Objection",
            "PayResult", "RunRows", "VerificationQueue", "VerificationRequest", "VerificationStatus", "WrongStep",
            "ask_for", "load_run", "mask_uscc", "notify_tables", "publicity_table", "verification_tables",
        ]
    )  # fmt: skip
