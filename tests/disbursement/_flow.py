"""Steps shared by the tests: a batch carried to a given status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.disbursement.conftest import Clock, People
from zonebrain.disbursement import Batch, Disbursement, RunRows

START = dt.date(2025, 4, 1)
END = dt.date(2025, 4, 7)


def publicized(d: Disbursement, p: People, run: RunRows) -> Batch:
    """Built by chen, reviewed by liu, in 公示 for seven days from today (on a fresh clock, from
    2025-04-01 to 2025-04-07)."""
    b = d.create_batch(p.chen, run)
    b = d.review(p.liu, b.id, expected_version=b.version)
    start = d.today()
    end = start + (END - START)
    return d.publicize(p.chen, b.id, start=start, end=end, expected_version=b.version)


def approved(d: Disbursement, p: People, run: RunRows, clock: Clock) -> Batch:
    """Publicized, then (the 公示期 over) approved by the leader wang."""
    b = publicized(d, p, run)
    clock.days(7)  # 2025-04-08 in Beijing: the day after the publicity
    return d.approve(p.wang, b.id, expected_version=b.version)


def money_back(d: Disbursement, evidence: str = "HD20250408-001") -> dict[str, Any]:
    """A 退汇 reversal's proof: the bank's 回单号 and the money back today (the payment's day or later)."""
    return {"kind": "returned", "evidence": evidence, "money_back_on": d.today()}
