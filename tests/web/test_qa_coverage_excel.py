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
