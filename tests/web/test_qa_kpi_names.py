"""QA fixes on 经济运行 (/kpi): the 全区 drill-down lists the whole zone's firms, drill-downs and
tables name parks (not codes), indicators follow the language, percentages read 17.7%."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo
from zonebrain.storage import open_warehouse


@pytest.fixture(scope="module")
def month(demo: Demo) -> str:
    from zonebrain import kpi

    with open_warehouse(demo.warehouse, read_only=True) as wh:
        found = kpi.latest_month(wh)
    assert found is not None
    return f"{found[0]}-{found[1]:02d}"


def _rows(html: str) -> int:
    found = re.search(r"共 ([\d,]+) 行", html)
    assert found, html
    return int(found.group(1).replace(",", ""))


def test_zone_drill_down_lists_the_whole_zones_firms(clients: dict[str, TestClient], month: str) -> None:
    c = clients["leader"]
    frag = c.get(f"/kpi/contributions?park=_zone&indicator=revenue&month={month}")
    assert frag.status_code == 200, frag.text
    heading = re.search(r"<h3>(.*?)</h3>", frag.text)
    assert heading and heading.group(1).startswith("全区 · 营业收入"), frag.text[:500]
    assert _rows(frag.text) > 0
    body = c.get(f"/api/v1/kpi/contributions?park=_zone&indicator=revenue&month={month}&top=20").json()
    parks = c.get(f"/api/v1/kpi/monitor?month={month}&indicator=revenue").json()["rows"]
    zone = next(r for r in parks if r["park_id"] == "_zone")
    assert sum(r["change"] for r in body["rows"]) == zone["ytd"] - zone["ytd_prev"]
    # a park officer sees only their own park, never the zone's firms
    assert (
        clients["parkofficer"]
        .get(f"/kpi/contributions?park=_zone&month={month}&indicator=revenue")
        .status_code
        == 403
    )


def test_park_drill_down_is_headed_with_the_park_name(clients: dict[str, TestClient], month: str) -> None:
    frag = clients["leader"].get(f"/kpi/contributions?park=shifo&indicator=revenue&month={month}")
    assert frag.status_code == 200
    assert "石佛 · 营业收入" in frag.text and "shifo · " not in frag.text
    clients["leader"].cookies.set("zb_lang", "en")
    try:
        en = clients["leader"].get(f"/kpi/contributions?park=shifo&indicator=revenue&month={month}")
    finally:
        clients["leader"].cookies.delete("zb_lang")
    assert "Shifo · Operating revenue" in en.text, en.text[:2000]


def test_kpi_tables_show_park_names_not_codes(clients: dict[str, TestClient], month: str) -> None:
    page = clients["leader"].get(f"/kpi?month={month}").text
    assert "园区代码" not in page
    cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", page)
    assert "_zone" not in cells and "fengyang" not in cells, cells[:40]
    assert "全区" in page and "枫杨" in page


def test_percentages_read_with_one_decimal(clients: dict[str, TestClient], month: str) -> None:
    page = clients["leader"].get(f"/kpi?month={month}").text
    monitor = page.split('id="kpi-monitor"', 1)[1].split("</section>", 1)[0]
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", monitor)
    rows = re.findall(r"<tr class=\"status-[^\"]*\">(.*?)</tr>", monitor, re.S)
    assert rows
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]
    row = dict(zip(heads, cells, strict=True))
    assert re.fullmatch(r"-?\d+\.\d%", row["同比 (%)"]), row
    assert row["序时进度 (%)"] == "100.0%", row
    frag = clients["leader"].get(f"/kpi/contributions?park=wutong&indicator=revenue&month={month}").text
    assert re.search(r'<td class="pct">-?\d+\.\d%</td>', frag) and not re.search(r"\d\.\d{3}<", frag)


def test_excel_floats_are_rounded(clients: dict[str, TestClient], month: str) -> None:
    from openpyxl import load_workbook

    for url in (
        "/api/v1/complexity/industries?format=xlsx",
        "/api/v1/complexity/locations?format=xlsx",
        f"/api/v1/kpi/monitor?month={month}&format=xlsx",
    ):
        r = clients["leader"].get(url)
        assert r.status_code == 200, (url, r.text[:300])
        ws = load_workbook(io.BytesIO(r.content)).active
        floats = [c for row in ws.iter_rows(min_row=3) for c in row if isinstance(c.value, float)]
        assert floats, url
        noisy = [c.value for c in floats if c.value != round(c.value, 6)]
        assert not noisy, (url, noisy[:5])
        assert all(c.number_format != "General" for c in floats), url
