"""QA findings on the payout pages: a park officer's objection to another park's item says so; the
ledger and batch Excel files name policies in Chinese, with Chinese sheet names and the right
headers; the batch list spells out an early-closed 公示."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from tests.web._policy_flow import flow, run_id, users  # noqa: F401 (fixtures: the session's shared walk)
from tests.web.conftest import api_error, api_ok


def _book(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_a_park_officer_objecting_to_another_parks_item_is_told_so(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    rows = api_ok(users["admin"].get(f"/api/v1/policy/batches/{flow['batch']}/items?size=500"))["rows"]
    other = next(r for r in rows if r["park"] != "梧桐")
    body = {"text": "数据有误", "raised_by": "匿名"}
    msg = api_error(
        users["parkofficer"].post(f"/api/v1/policy/items/{other['id']}/objections", json=body),
        403,
        "forbidden",
    )
    assert msg.startswith("园区专员无权对其他园区的名单项提出异议"), msg
    assert f"名单项 #{other['id']} 不属于您负责的梧桐园区" in msg and "outside your park 梧桐" in msg
    assert "您的角色无权访问此内容" not in msg


def test_ledger_and_batch_files_name_policies_in_chinese(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    c = users["admin"]
    book = _book(c.get("/api/v1/policy/ledger?format=xlsx").content)
    assert book.sheetnames == ["支付台账"]
    head = [cell.value for cell in next(book.active.iter_rows(min_row=2, max_row=2))]
    assert "政策名称" in head and "条款名称" in head and "政策代码" in head
    first = api_ok(c.get("/api/v1/policy/ledger?size=1"))["rows"][0]
    assert first["policy_name"] and first["policy_name"] != first["policy_id"]
    page = c.get("/policy/ledger").text
    assert first["policy_name"] in page
    items = _book(c.get(f"/api/v1/policy/batches/{flow['batch']}/items?format=xlsx").content)
    assert items.sheetnames == [f"批次 {flow['batch']} 名单"]
    head = [cell.value for cell in next(items.active.iter_rows(min_row=2, max_row=2))]
    assert "政策名称" in head and "状态代码" in head and "名称" not in head and "结果代码" not in head
    batches = _book(c.get("/api/v1/policy/batches?format=xlsx").content)
    assert batches.sheetnames == ["兑现批次"]
    assert "✕" not in c.get("/policy/batches").text


def test_the_items_export_sums_to_the_batch_total(
    flow: dict[str, Any],  # noqa: F811
    users: dict[str, TestClient],  # noqa: F811
) -> None:
    """A withdrawn item keeps its amount in the export (what was withdrawn), but its 计入合计的金额
    is 0, so that column sums to the batch's total (QA summed the amount column, withdrawn too)."""
    c = users["admin"]
    batch = api_ok(c.get(f"/api/v1/policy/batches/{flow['batch']}"))["batch"]
    sheet = _book(c.get(f"/api/v1/policy/batches/{flow['batch']}/items?format=xlsx").content).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    head, body = list(rows[0]), rows[1:]
    amount, counted = head.index("金额 (元)"), head.index("计入合计的金额 (元)")
    status = head.index("状态代码")
    withdrawn = [r for r in body if r[status] == "withdrawn"]
    assert withdrawn and all(r[amount] > 0 and r[counted] == 0 for r in withdrawn)
    live = [r for r in body if r[status] != "withdrawn"]
    assert all(
        r[counted] == r[amount] for r in live if r[status] in ("listed", "objected", "approved", "paid")
    )
    total = sum(Decimal(str(r[counted])) for r in body)
    assert total * 100 == batch["total_fen"] and total < sum(Decimal(str(r[amount])) for r in body)
