"""The coverage page, its JSON and its workbook say what a run leaves at stake (QA: 99.9 % decided
read as "done" while 18 % of the possible R&D awards were 待核实): the same figures as the CLI's
:class:`~zonebrain.policy.Stake`."""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction

import openpyxl
from fastapi.testclient import TestClient

from tests.web.conftest import api_ok


def _run(clients: dict[str, TestClient]) -> str:
    c = clients["leader"]
    runs = api_ok(c.get("/api/v1/policy/runs"))["rows"]
    if not runs:
        api_ok(clients["researcher"].post("/api/v1/policy/runs", json={"as_of": "2025-03-31"}), 201)
        runs = api_ok(c.get("/api/v1/policy/runs"))["rows"]
    return str(runs[0]["run_id"])


def test_the_page_the_json_and_the_workbook_say_what_is_at_stake(clients: dict[str, TestClient]) -> None:
    run = _run(clients)
    c = clients["leader"]
    body = api_ok(c.get(f"/api/v1/policy/coverage?run={run}"))
    s = body["stake"]
    decisions = body["decisions"]
    assert s["candidates"] == sum(d["eligible"] + d["superseded"] + d["undetermined"] for d in decisions)
    assert s["undetermined"] == sum(d["undetermined"] for d in decisions) > 0
    share = Fraction(s["candidates_share"])
    assert share == Fraction(s["candidates"] - s["undetermined"], s["candidates"])
    assert share < Fraction(body["decided_share"])  # the share of all decisions overstates it
    assert s["firms_in_scope"] < s["firms"]  # the demo has firms the subject rules out
    page = c.get(f"/policy/coverage?run={run}").text
    assert 'id="coverage-at-stake"' in page and s["undetermined_max"] in page
    assert s["candidates_share_text"] in page.split('id="coverage-candidates"', 1)[1]
    wb = openpyxl.load_workbook(io.BytesIO(c.get(f"/api/v1/policy/coverage?run={run}&format=xlsx").content))
    summary = wb["概览 summary"]
    heads = [cell.value for cell in summary[1]]
    most = summary.cell(row=2, column=heads.index("待核实最高可能金额(元)") + 1).value
    assert Decimal(str(most)) * 100 == s["undetermined_max_fen"]
    assert "可能受益的决定中已决定占比" in heads
