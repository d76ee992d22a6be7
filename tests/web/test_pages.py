"""Every page renders for the roles that may open it; every table exports to Excel exactly."""

from __future__ import annotations

import io
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo

PAGES = {
    "/": "驾驶舱",
    "/portrait": "产业画像",
    "/portrait?park=wutong&chain=intelligent-sensors": "产业画像",
    "/chains": "产业链图谱",
    "/chains?chain=biomedicine": "生物医药",
    "/complexity": "经济复杂度",
    "/enterprises": "企业查询",
    "/enterprises?q=郑州&park=shifo": "企业查询",
    "/imports": "数据导入",
    "/admin/users": "用户管理",
    "/admin/audit": "审计日志",
}


@pytest.mark.parametrize(("path", "text"), list(PAGES.items()))
def test_admin_sees_every_page(clients: dict[str, TestClient], path: str, text: str) -> None:
    r = clients["admin"].get(path)
    assert r.status_code == 200, r.text[:500]
    assert text in r.text
    assert 'data-chart="' in r.text or path.startswith(("/enterprises", "/imports", "/admin"))
    for m in re.finditer(r'<script type="application/json" id="([^"]+)">', r.text):
        assert f'data-source="{m.group(1)}"' in r.text


def test_enterprise_profile_page(clients: dict[str, TestClient], demo: Demo) -> None:
    r = clients["leader"].get(f"/enterprises/{demo.wutong_firm}")
    assert r.status_code == 200
    assert demo.wutong_firm in r.text and 'data-chart="finance-lines"' in r.text and "events-table" in r.text


def test_chain_node_fragment(clients: dict[str, TestClient]) -> None:
    graph = clients["leader"].get("/api/v1/chains/intelligent-sensors").json()
    node = max(graph["nodes"], key=lambda n: n["firms"])
    r = clients["leader"].get(f"/chains/intelligent-sensors/nodes/{node['id']}")
    assert r.status_code == 200 and "<html" not in r.text and "node-firms-table" in r.text
    assert clients["firm"].get(f"/chains/intelligent-sensors/nodes/{node['id']}").status_code == 200
    assert clients["leader"].get("/chains/intelligent-sensors/nodes/no-such-node").status_code == 404


def test_htmx_search_returns_rows_only(clients: dict[str, TestClient]) -> None:
    r = clients["leader"].get("/enterprises?q=科技", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "enterprises-table" in r.text


def test_language_switch(clients: dict[str, TestClient]) -> None:
    c = clients["investor"]
    r = c.get("/lang/en?next=/portrait", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/portrait"
    try:
        page = c.get("/portrait")
        assert (
            'lang="en"' in page.text and "Industry portrait" in page.text and "Export to Excel" in page.text
        )
    finally:
        c.get("/lang/zh-CN")
    assert 'lang="zh-CN"' in c.get("/portrait").text


def test_overview_figures_match_the_warehouse(clients: dict[str, TestClient], demo: Demo) -> None:
    from zonebrain.portrait import zone_summary
    from zonebrain.storage import open_warehouse

    data = clients["leader"].get("/api/v1/overview").json()
    with open_warehouse(demo.warehouse, read_only=True) as wh:
        s = zone_summary(wh)
    assert data["totals"]["enterprises"] == s.enterprises
    assert data["totals"]["revenue_fen"] == sum(r["revenue_fen"] for r in s.by_park.to_pylist())
    assert all(isinstance(p["revenue_fen"], int) for p in data["parks"])  # money stays integer fen
    heat = data["heatmap"]
    assert len(heat["cells"]) == len(heat["parks"]) * len(heat["chains"])


TABLE_ENDPOINTS = [
    "/api/v1/parks",
    "/api/v1/chains/heatmap",
    "/api/v1/portrait/sections",
    "/api/v1/portrait/classes",
    "/api/v1/portrait/trend",
    "/api/v1/portrait/parks?chain=computing-digital",
    "/api/v1/complexity/locations",
    "/api/v1/complexity/industries",
    "/api/v1/complexity/related",
    "/api/v1/enterprises?q=科技",
    "/api/v1/imports",
    "/api/v1/users",
    "/api/v1/audit",
]


@pytest.mark.parametrize("path", TABLE_ENDPOINTS)
def test_every_table_exports_to_excel(clients: dict[str, TestClient], path: str) -> None:
    c = clients["admin"]
    table = c.get(path).json()
    sep = "&" if "?" in path else "?"
    r = c.get(f"{path}{sep}format=xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in r.headers["content-disposition"] and ".xlsx" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == table["title"]
    assert len(rows) - 2 == len(table["rows"]) == table["total"] or path.startswith("/api/v1/enterprises")
    for i, col in enumerate(table["columns"]):
        if col["kind"] == "fen":
            assert "万元" in rows[1][i]
            for xrow, jrow in zip(rows[2:], table["rows"], strict=False):
                if jrow[col["key"]] is not None:
                    assert Decimal(str(xrow[i])) == (Decimal(jrow[col["key"]]) / 1_000_000).quantize(
                        Decimal("0.01"), ROUND_HALF_UP
                    )  # half up, as docs/web.md says (258046.605 → 258046.61)


def test_enterprise_export_holds_every_matching_row(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    total = c.get("/api/v1/enterprises?size=5").json()["total"]
    ws = openpyxl.load_workbook(io.BytesIO(c.get("/api/v1/enterprises?format=xlsx").content)).active
    assert ws is not None and ws.max_row - 2 == total


def test_health_and_docs(clients: dict[str, TestClient]) -> None:
    assert clients["leader"].get("/healthz").json()["status"] == "ok"
    docs = clients["leader"].get("/api/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()


def test_excel_export_keeps_text_as_text() -> None:
    from zonebrain.web._i18n import translator
    from zonebrain.web._tables import Col, DataTable, to_xlsx

    table = DataTable(
        "t",
        "common.no_rows",
        [Col("name", "col.name"), Col("revenue_fen", "col.revenue", "fen")],
        [
            {"name": '=HYPERLINK("http://x","y")', "revenue_fen": 123_456_789},
            {"name": "a\x00b\x1fc", "revenue_fen": None},
        ],
    )
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(table, translator("zh-CN")))).active
    assert ws is not None
    assert ws.cell(3, 1).data_type == "s" and ws.cell(3, 1).value == '=HYPERLINK("http://x","y")'
    assert ws.cell(4, 1).value == "abc"
    assert Decimal(str(ws.cell(3, 2).value)) == Decimal("123.46")
