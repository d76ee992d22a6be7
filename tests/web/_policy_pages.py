"""Helpers of the policy page tests: a form field's error, a 422's details by location, and a run
carried through review and publicity (the step the self-check tests start from)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from zonebrain.disbursement import Batch, Disbursement, load_run
from zonebrain.web._context import WebContext


def field_error(html: str, name: str) -> str:
    """The error a form shows next to its field *name*."""
    found = re.search(
        rf'<span class="error field-error" role="alert" id="error-{name}"[^>]*>(.*?)</span>', html
    )
    assert found, html[:3000]
    return found.group(1)


def detail(r: Any) -> dict[tuple[str, ...], str]:
    """A 422's field errors by location (``("body", "period")``)."""
    return {tuple(d["loc"]): d["msg"] for d in r.json()["error"]["detail"]}


def publicized(ctx: WebContext, run_id: str, start: dt.date | None = None) -> tuple[Disbursement, Batch]:
    """A batch of *run_id* created by ``researcher``, reviewed by ``leader`` and in its publicity
    period (a week from *start*, default today), through the app's own store."""
    researcher, leader = (ctx.store.users.get(n) for n in ("researcher", "leader"))
    assert researcher and leader
    with ctx.pool.reader() as wh:
        run = load_run(wh, run_id)
    d = Disbursement(ctx.store)
    b = d.create_batch(researcher, run)
    b = d.review(leader, b.id, expected_version=b.version)
    start = start or d.today()
    end = start + dt.timedelta(days=6)
    return d, d.publicize(researcher, b.id, start=start, end=end, expected_version=b.version)
