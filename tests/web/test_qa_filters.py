"""QA fixes of paging and filters: a page past the end is the last page; an unknown filter value
is a 400 naming the choices (pages and API alike), never silently ignored or defaulted; a park is
found by its name too. Cosmetic: titles and orders that agree with what the page shows."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


def test_a_page_past_the_end_is_the_last_page(clients: dict[str, TestClient]) -> None:
    first = clients["leader"].get("/enterprises").text
    pages = int(re.search(r"第 1 / (\d+) 页", first).group(1))  # type: ignore[union-attr]
    past = clients["leader"].get(f"/enterprises?page={pages + 1}")
    assert past.status_code == 200
    assert f"第 {pages} / {pages} 页" in past.text and 'class="empty"' not in past.text


@pytest.mark.parametrize(
    "url",
    [
        "/enterprises?chain=x",
        "/enterprises?park=nonexist",
        "/api/v1/enterprises?chain=x",
        "/api/v1/enterprises?park=nonexist",
        "/opportunities?preset=zzz",
        "/api/v1/targeting/opportunities?preset=zzz",
        "/kpi?indicator=zzz",
        "/api/v1/kpi/monitor?indicator=zzz",
        "/kpi/contributions?park=nonexist&indicator=revenue",
        "/pipeline/funnel?by=zzz",
        "/portrait?park=nonexist",
    ],
)
def test_unknown_filter_values_are_refused(clients: dict[str, TestClient], url: str) -> None:
    r = clients["leader"].get(url)
    assert r.status_code in (400, 422), (url, r.status_code)
    text = r.json()["error"]["message"] if url.startswith("/api/") else r.text
    assert "未知" in text or "不合规" in text, text[:500]


def test_parks_are_found_by_name(clients: dict[str, TestClient]) -> None:
    c = clients["leader"]
    by_id = c.get("/api/v1/enterprises?park=wutong").json()["total"]
    assert by_id > 0
    for name in ("梧桐", "梧桐街道", "Wutong"):
        assert c.get("/api/v1/enterprises", params={"park": name}).json()["total"] == by_id, name
    page = c.get("/enterprises", params={"park": "梧桐"}).text
    assert f"共 {by_id:,} 行" in page
    assert c.get("/opportunities?preset=balanced").status_code == 200


def test_investor_list_title_does_not_mention_revenue(clients: dict[str, TestClient]) -> None:
    page = clients["investor"].get("/enterprises").text
    assert "营业收入为" not in page and "企业名单" in page
    assert "营业收入为" in clients["leader"].get("/enterprises").text


def test_heatmap_parks_in_the_park_tables_order(clients: dict[str, TestClient]) -> None:
    body = clients["leader"].get("/api/v1/overview").json()
    table = [r["park"] for r in body["parks"]]
    assert len(table) > 1
    assert body["heatmap"]["parks"] == table
