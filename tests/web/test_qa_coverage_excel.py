"""QA: the coverage workbook writes shares as rounded fractions shown as percentages (83.3%), not
0.8333333333333334, as the other Excel floats are rounded (see zonebrain.web._tables)."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient

from tests.web.conftest import api_ok


def test_coverage_shares_are_rounded_percentages(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    share = float(api_ok(c.get("/api/v1/policy/coverage"))["clause_share_pct"]) / 100
    assert round(share, 4) != share  # the demo's share has binary noise past four places
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/policy/coverage?format=xlsx").content))
    summary = wb["概览 summary"]
    heads = [cell.value for cell in summary[1]]
    cell = summary.cell(row=2, column=heads.index("免申即享占比") + 1)
    assert cell.value == round(share, 4) and cell.number_format == "0.0%", (cell.value, cell.number_format)
    for ws in wb.worksheets:
        heads = [str(h.value) for h in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for h, cell in zip(heads, row, strict=True):
                if isinstance(cell.value, float):
                    assert cell.value == round(cell.value, 4), (ws.title, h, cell.value)
                    if "占比" in h or "比例" in h:
                        assert cell.number_format == "0.0%", (ws.title, h, cell.number_format)


def test_the_coverage_workbook_names_its_run(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    runs = api_ok(c.get("/api/v1/policy/runs"))["rows"]
    if not runs:
        c = clients["researcher"]
        api_ok(c.post("/api/v1/policy/runs", json={"as_of": "2025-03-31"}), 201)
        runs = api_ok(c.get("/api/v1/policy/runs"))["rows"]
    run = runs[0]
    wb = openpyxl.load_workbook(
        io.BytesIO(c.get(f"/api/v1/policy/coverage?format=xlsx&run={run['run_id']}").content)
    )
    assert wb.sheetnames[0] == "说明 about"
    about = {str(r[0]): str(r[1]) for r in wb["说明 about"].iter_rows(min_row=2, values_only=True)}
    assert about["测算 run"] == run["run_id"]
    assert about["基准日 as-of date"][:10] == str(run["as_of"])[:10]  # an Excel date (a datetime when read)
    # QA: the 条款覆盖 and 决定情况 sheets named each policy by its code only
    from zonebrain.web._queries.policy import library

    names = {p.id: p.meta.name for p in library().policies.values()}
    for ws in wb.worksheets[1:]:
        heads = [c.value for c in ws[1]]
        if "政策" in heads:
            assert "政策名称" in heads, ws.title
            at, named = heads.index("政策"), heads.index("政策名称")
            for row in ws.iter_rows(min_row=2, values_only=True):
                assert row[named] == names.get(str(row[at]), row[at]), (ws.title, row)
