"""达产达效 and the weekly digest over HTTP, on the demo zone: the delivery table holds exactly what
:func:`zonebrain.pipeline.delivery` computes (money in integer fen), the far-behind flags, the chart's
data and the Excel export; who may see firms' actual figures; the digest per officer and per park."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import login
from zonebrain import pipeline as pl

Clients = dict[str, TestClient]


def _firms(app: FastAPI, park: str, n: int) -> list[str]:
    """*n* firms of *park* with yearly figures (output or revenue, tax, employees)."""
    with app.state.zonebrain.pool.reader() as wh:
        ey = wh.table("enterprise_years")
        ent = wh.table("enterprises").filter(lambda t: t.park_id == park)
        got = ey.filter(ey.tax_fen.notnull() & ey.employees.notnull() & ey.revenue_fen.notnull())
        usccs = got.semi_join(ent, "uscc").select("uscc").distinct().order_by("uscc").limit(n)
        return [str(u) for u in wh.to_arrow(usccs)["uscc"].to_pylist()]


def _landed(c: TestClient, name: str, uscc: str, park: str, stage: str, **promises: int) -> int:
    r = c.post(
        "/api/v1/pipeline/projects",
        json={"name": name, "uscc": uscc, "park_id": park, "origin": "targeting", **promises},
    )
    assert r.status_code == 201, r.text
    p = r.json()["project"]
    r = c.post(f"/api/v1/pipeline/projects/{p['id']}/stage", json={"to": stage, "expected_version": 1})
    assert r.status_code == 200, r.text
    return int(p["id"])


def _domain(app: FastAPI) -> dict[int, dict[str, Any]]:
    projects = pl.Pipeline(app.state.zonebrain.store).list()
    with app.state.zonebrain.pool.reader() as wh:
        df = pl.delivery(projects, wh)
    out = {}
    for r in df.to_dict(orient="records"):
        out[int(r["project_id"])] = {
            k: (None if v is None or (not isinstance(v, str) and v != v) or str(v) == "<NA>" else v)
            for k, v in r.items()
        }
    return out


def test_delivery_equals_the_domain_function(app: FastAPI, clients: Clients) -> None:
    admin = clients["admin"]
    wutong, shifo = _firms(app, "wutong", 2), _firms(app, "shifo", 1)
    big = 10**15  # a promise no demo firm reaches: far behind
    far = _landed(
        admin,
        "达产测试甲",
        wutong[0],
        "wutong",
        "投产",
        promised_output_fen=big,
        promised_tax_fen=big,
        promised_jobs=10**6,
    )
    ok = _landed(admin, "达产测试乙", wutong[1], "wutong", "达产", promised_jobs=1, promised_tax_fen=1)
    pending = _landed(admin, "达产测试丙", shifo[0], "shifo", "注册落地", promised_output_fen=100)
    body = admin.get("/api/v1/pipeline/delivery").json()
    rows = {r["project_id"]: r for r in body["rows"]}
    want = _domain(app)
    assert set(rows) == set(want) and {far, ok, pending} <= set(rows)
    for pid, expected in want.items():
        got = rows[pid]
        for key in (
            "uscc",
            "stage",
            "status",
            "year",
            "promised_output_fen",
            "actual_output_fen",
            "promised_tax_fen",
            "actual_tax_fen",
            "promised_jobs",
            "actual_jobs",
            "registered_capital_fen",
        ):
            assert got[key] == expected[key], (pid, key, got[key], expected[key])
            assert got[key] is None or isinstance(got[key], int | str)  # money stays integer fen
        for key in ("output_rate", "tax_rate", "jobs_rate", "delivery_rate", "investment_rate"):
            assert (got[key] is None) == (expected[key] is None), (pid, key)
            if got[key] is not None:  # four places, no float noise
                assert got[key] == round(expected[key], 4), (pid, key)
    assert (rows[far]["status"], rows[ok]["status"], rows[pending]["status"]) == (
        "far_behind",
        "ok",
        "pending",
    )
    assert rows[far]["status_text"].startswith("严重滞后")

    page = clients["leader"].get("/pipeline/delivery")
    assert page.status_code == 200, page.text
    assert 'data-chart="delivery-bars"' in page.text and 'id="delivery-table"' in page.text
    flags = page.text.split('id="delivery-flags"', 1)[1].split("</section>", 1)[0]
    assert f'href="/pipeline/{far}" data-flag="far_behind"' in flags and f"/pipeline/{ok}" not in flags
    data = re.search(r'<script type="application/json" id="pipeline-delivery-data">(.*?)</script>', page.text)
    assert data
    chart = json.loads(data.group(1))
    assert f"#{far} 达产测试甲" in chart["projects"] and chart["behind_pct"] == 80.0
    assert chart["status"][chart["projects"].index(f"#{far} 达产测试甲")] == "far_behind"

    from openpyxl import load_workbook

    x = clients["leader"].get("/api/v1/pipeline/delivery", params={"format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None and ws.max_row == 2 + len(rows)
    assert clients["leader"].get("/api/v1/pipeline/delivery", params={"year": 1800}).status_code == 422
    assert clients["leader"].get("/pipeline/delivery?year=2001").status_code == 200  # no figures that year


def test_who_sees_delivery(app: FastAPI, clients: Clients) -> None:
    # firm-level output and tax: not for investment officers (no finance permission) nor firms
    for role in ("investor", "firm"):
        r = clients[role].get("/api/v1/pipeline/delivery")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", role
        assert clients[role].get("/pipeline/delivery").status_code == 403
    assert 'id="delivery-link"' not in clients["investor"].get("/pipeline").text
    assert 'id="delivery-link"' in clients["leader"].get("/pipeline").text
    assert clients["researcher"].get("/api/v1/pipeline/delivery").status_code == 200
    # a park officer: its park's projects whose firms are its park's
    admin = clients["admin"]
    shifo = _firms(app, "shifo", 3)[-1]
    other = _landed(admin, "达产测试丁", shifo, "wutong", "投产", promised_jobs=5)
    mine = clients["parkofficer"].get("/api/v1/pipeline/delivery").json()["rows"]
    assert mine and all(r["park_id"] == "wutong" for r in mine)
    assert other not in {r["project_id"] for r in mine}
    assert other in {r["project_id"] for r in admin.get("/api/v1/pipeline/delivery").json()["rows"]}


def test_weekly_digest_per_officer_and_park(app: FastAPI, clients: Clients) -> None:
    store = app.state.zonebrain.store
    admin = store.users.get("admin")
    assert admin is not None
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=120)
    red = (
        pl.Pipeline(store)
        .create(admin, name="周报红色预警公司", park_id="wutong", origin="event", owner="parkofficer", at=old)
        .project
    )
    c = clients["investor"]
    moved = c.post(
        "/api/v1/pipeline/projects", json={"name": "周报推进公司", "park_id": "shifo", "origin": "event"}
    )
    pid = moved.json()["project"]["id"]
    assert (
        c.post(
            f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "谈判", "expected_version": 1}
        ).status_code
        == 200
    )

    summary = {r["group"]: r for r in c.get("/api/v1/pipeline/digest?by=owner").json()["rows"]}
    assert summary["parkofficer"]["red"] >= 1 and summary["investor"]["moved"] >= 1
    flagged = c.get("/api/v1/pipeline/digest?by=park&table=flagged").json()["rows"]
    line = next(r for r in flagged if r["project_id"] == red.id)
    assert line["colour"] == "red" and line["days"] >= 119 and line["group"] == line["park"] == "梧桐"
    moves = c.get("/api/v1/pipeline/digest?by=owner&table=moves").json()["rows"]
    assert any(r["project_id"] == pid and r["to_stage"] == "谈判" for r in moves)
    # the numbers are the domain's
    want = {
        d.key: d.counts
        for d in pl.weekly_digest(
            pl.Pipeline(store).list(),
            pl.Pipeline(store).all_events(),
            as_of=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
    }
    assert {k: (v["green"], v["yellow"], v["red"]) for k, v in summary.items()} == {
        k: (v["green"], v["yellow"], v["red"]) for k, v in want.items()
    }

    page = clients["leader"].get("/pipeline/digest?by=park")
    assert page.status_code == 200 and 'id="digest-flagged"' in page.text and "周报红色预警公司" in page.text
    assert 'href="/api/v1/pipeline/digest?by=park&amp;format=xlsx&amp;table=flagged"' in page.text
    x = clients["leader"].get("/api/v1/pipeline/digest?by=park&table=flagged&format=xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert clients["leader"].get("/pipeline/digest?by=nonsense").status_code == 200  # falls back to owner
    assert c.get("/api/v1/pipeline/digest?by=chain").status_code == 422
    en = TestClient(app)
    login(en, "leader")
    en.cookies.set("zb_lang", "en")
    assert "Weekly digest" in en.get("/pipeline/digest").text
    assert "Delivery tracking" in en.get("/pipeline/delivery").text
    en.close()
    assert clients["firm"].get("/pipeline/digest").status_code == 403
    assert clients["firm"].get("/api/v1/pipeline/digest").status_code == 403


def test_delivery_excel_is_exact_and_pages_show_percent(app: FastAPI, clients: Clients) -> None:
    from decimal import Decimal

    from openpyxl import load_workbook

    admin = clients["admin"]
    (firm,) = _firms(app, "wutong", 1)
    pid = _landed(admin, "达产精确测试", firm, "wutong", "投产", promised_output_fen=3_317_518_900)
    rows = {r["project_id"]: r for r in admin.get("/api/v1/pipeline/delivery").json()["rows"]}
    for key in ("output_rate", "tax_rate", "jobs_rate", "delivery_rate", "investment_rate"):
        for r in rows.values():  # four places: no 0.9747443499999999
            assert r[key] is None or Decimal(str(r[key])).as_tuple().exponent >= -4, (key, r[key])
    assert rows[pid]["park_id"] == "wutong" and rows[pid]["park"] == "梧桐"
    x = admin.get("/api/v1/pipeline/delivery", params={"format": "xlsx"})
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    header = [c.value for c in ws[2]]
    line = next(r for r in ws.iter_rows(min_row=3) if r[header.index("编号")].value == pid)
    out = line[next(i for i, h in enumerate(header) if str(h).startswith("承诺产值"))]
    assert out.value == 3317.5189 and out.number_format == "#,##0.00####"  # exact 万元, not 3317.52
    assert line[header.index("园区")].value == "梧桐" and "wutong" not in header
    rate = line[header.index("达产达效率")]
    assert rate.number_format == "0.0%"
    page = clients["leader"].get("/pipeline/delivery").text.split('id="delivery-table"', 1)[1]
    shown = re.findall(r'<td class="pct">([^<]*)</td>', page)
    assert shown and all(re.fullmatch(r"-?[\d,]+\.\d%", s) for s in shown if s), shown[:5]
    assert ">wutong<" not in page
