"""Status filters after QA (report 2, item 6): a bad status on a run's results (page and API), on the
batch list and on a batch's items is refused naming the statuses, each by its Chinese label with its
code (as the verification queue does), and a label is read as its code."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web._policy_flow import flow, run_id, users  # noqa: F401 (fixtures: the session's shared walk)
from tests.web.conftest import api_error, api_ok

RESULTS = "符合 (eligible)、待核实 (undetermined)、被从高替代 (superseded)、不符合 (ineligible)"
BATCHES = (
    "草稿 (draft)、已审核 (reviewed)、公示中 (publicized)、已审批 (approved)、部分兑现 (part_paid)、已兑现 (paid)、"
    "已作废 (cancelled)"
)


def _refused(c: TestClient, url: str, names: str) -> None:
    msg = api_error(c.get(url), 422, "validation_error")
    assert msg.startswith(f"请求参数不合规：状态 (status) 须为 {names} 之一 (status must be one of "), msg


def test_a_bad_result_status_names_the_statuses(users: dict[str, TestClient], run_id: str) -> None:  # noqa: F811
    c = users["admin"]
    for bad in ("bogus", "Eligible"):
        page = c.get(f"/policy/runs/{run_id}?status={bad}")
        assert page.status_code == 422 and RESULTS in page.text, page.text[:500]
        assert "does not match the expected format" not in page.text
        _refused(c, f"/api/v1/policy/runs/{run_id}/results?status={bad}", RESULTS)
    by_label = api_ok(c.get(f"/api/v1/policy/runs/{run_id}/results", params={"status": "符合", "size": 5}))
    assert by_label["rows"] and {r["status"] for r in by_label["rows"]} == {"eligible"}


def test_a_bad_batch_or_item_status_names_the_statuses(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    c = users["admin"]
    page = c.get("/policy/batches?status=bogus")
    assert page.status_code == 422 and BATCHES in page.text
    assert "does not match the expected format" not in page.text
    _refused(c, "/api/v1/policy/batches?status=bogus", BATCHES)
    page = c.get(f"/policy/batches/{flow['batch']}?status=bogus")
    assert page.status_code == 422 and "列入名单 (listed)" in page.text and "已冲正 (reversed)" in page.text
    msg = api_error(
        c.get(f"/api/v1/policy/batches/{flow['batch']}/items?status=bogus"), 422, "validation_error"
    )
    assert "列入名单 (listed)" in msg and "此前已兑现 (already_paid)" in msg and "暂缓支付 (held)" in msg
