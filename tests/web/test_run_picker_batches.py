"""The what-if baseline and coverage run pickers mark the run a payout batch was made from, with
the batch's number and status (兑现批次 #N 已兑现), so the published run is told from trial runs;
a role that may not see batches gets the plain labels."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from zonebrain.web._i18n import translate

OPTION = re.compile(r'<option value="([^"]*)"[^>]*>([^<]*)</option>')


def _options(page: str, select_id: str) -> dict[str, str]:
    """run id → label of the picker *select_id* on *page*."""
    start = page.index(f'id="{select_id}"')
    block = page[start : page.index("</select>", start)]
    return {v: html.unescape(label) for v, label in OPTION.findall(block)}


def test_the_pickers_mark_the_batch_run(
    shared_flow: dict[str, Any], shared_flow_users: dict[str, TestClient]
) -> None:
    run_id, bid = shared_flow["run_id"], shared_flow["batch"]
    researcher = shared_flow_users["researcher"]
    status = researcher.get(f"/api/v1/policy/batches/{bid}").json()["batch"]["status"]
    mark = translate(
        "zh-CN", "payout.batch_mark", id=bid, status=translate("zh-CN", f"payout.status_{status}")
    )
    assert mark.startswith(f"兑现批次 #{bid} ")

    whatif = _options(researcher.get("/policy/whatif").text, "whatif-baseline")
    assert whatif[run_id].startswith(run_id) and whatif[run_id].endswith(mark), whatif[run_id]
    others = [label for run, label in whatif.items() if run and run != run_id]
    assert all("兑现批次" not in label for label in others), others  # only the batch's run

    coverage = _options(researcher.get("/policy/coverage").text, "coverage-run")
    assert coverage[run_id].endswith(mark), coverage[run_id]

    # an investment officer reads coverage but not batches: the plain label
    investor = shared_flow_users["investor"]
    page = investor.get("/policy/coverage")
    assert page.status_code == 200
    plain = _options(page.text, "coverage-run")
    assert run_id in plain and "兑现批次" not in plain[run_id], plain[run_id]

    researcher.cookies.set("zb_lang", "en")
    try:
        english = _options(researcher.get("/policy/whatif").text, "whatif-baseline")
    finally:
        researcher.cookies.delete("zb_lang")
    assert f"payout batch #{bid}: " in english[run_id], english[run_id]
