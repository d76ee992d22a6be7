"""The shared table writer's money and share formats: exact 万元 in Excel for ``Col(exact=True)``,
``kind="share"`` as a fraction formatted ``0.0%`` in Excel and ``72.5%`` on pages, and JSON as it
was (integer fen, the fraction, a ``float`` column). Over HTTP: 达产达效 (delivery), the funnel's
conversion rates and the policy coverage workbook."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, api_ok, login, private_app, run_now
from zonebrain.web._i18n import translator
from zonebrain.web._tables import (
    NUMBER_FORMATS,
    SHARE_PLACES,
    Col,
    DataTable,
    cell_text,
    share_pct,
    to_json,
    to_xlsx,
)

ZH = translator("zh-CN")
WAN = Decimal(1_000_000)


def _table() -> DataTable:
    return DataTable(
        name="formats",
        title="pipeline.delivery_table",
        columns=[
            Col("id", "pipeline.col.id", "id"),
            Col("exact_fen", "pipeline.col.promised_output", "fen", exact=True),
            Col("rounded_fen", "pipeline.col.actual_output", "fen"),
            Col("yuan_fen", "pipeline.col.promised_tax", "fen", unit="元", exact=True),
            Col("rate", "pipeline.col.output_rate", "share"),
            Col("plain", "pipeline.col.signed_rate", "float"),
        ],
        rows=[
            {"id": 1, "exact_fen": 3_317_518_900, "rounded_fen": 3_317_518_900, "yuan_fen": 12_345,
             "rate": 0.725, "plain": 0.725},
            {"id": 2, "exact_fen": 1, "rounded_fen": 1, "yuan_fen": 1, "rate": 5 / 6, "plain": 5 / 6},
            {"id": 3, "exact_fen": None, "rounded_fen": 0, "yuan_fen": None, "rate": 1.5, "plain": None},
            {"id": 4, "exact_fen": 100_000_000, "rounded_fen": None, "yuan_fen": 0, "rate": None,
             "plain": 0.0},
        ],
    )  # fmt: skip


def _sheet(content: bytes) -> tuple[list[str], list[list[Any]]]:
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert ws is not None
    rows = list(ws.iter_rows(min_row=2))  # row 1: the title
    return [str(c.value) for c in rows[0]], [list(r) for r in rows[1:]]


def test_xlsx_writes_exact_money_and_shares() -> None:
    heads, rows = _sheet(to_xlsx(_table(), ZH))
    assert heads[1] == "承诺产值 (万元)" and heads[3] == "承诺税收 (元)"
    exact = [r[1] for r in rows]
    assert [c.value for c in exact] == [3317.5189, 0.000001, None, 100]  # never 3317.52 or 0
    assert {c.number_format for c in exact if c.value is not None} == {"#,##0.00####"}
    rounded = [r[2] for r in rows]
    assert [c.value for c in rounded] == [3317.52, 0, 0, None]
    assert {c.number_format for c in rounded if c.value is not None} == {"#,##0.00"}
    assert [r[3].value for r in rows] == [123.45, 0.01, None, 0]  # 元: two places are every digit
    share = [r[4] for r in rows]
    assert [c.value for c in share] == [0.725, round(5 / 6, SHARE_PLACES), 1.5, None]
    assert {c.number_format for c in share if c.value is not None} == {"0.0%"}
    plain = [r[5] for r in rows]  # a float column keeps its own format
    assert [c.number_format for c in plain if c.value is not None] == ["0.000"] * 3
    assert NUMBER_FORMATS["share"] == "0.0%" and NUMBER_FORMATS["exact"] == "#,##0.00####"


def test_xlsx_text_is_text_and_money_is_its_exact_decimal() -> None:
    """A name starting with ``=`` stays text (no formula injection), control characters Excel
    cannot hold are dropped, an over-long text is cut with a note, and the sheet's XML holds each
    amount's exact decimal text (written from a Decimal, never a float)."""
    table = DataTable(
        name="safety",
        title="pipeline.delivery_table",
        columns=[Col("name", "col.name"), Col("fen", "pipeline.col.promised_tax", "fen", unit="元")],
        rows=[
            {"name": '=HYPERLINK("http://x","点我")', "fen": 1_234_567_890_123_456},
            {"name": "甲\x01乙\t丙", "fen": 10},
            {"name": "长" * 40_000, "fen": None},
        ],
    )
    content = to_xlsx(table, ZH)
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert ws is not None
    names = [ws.cell(row, 1) for row in (3, 4, 5)]
    assert names[0].value == '=HYPERLINK("http://x","点我")' and names[0].data_type == "s"
    assert names[1].value == "甲乙\t丙"
    assert len(str(names[2].value)) <= 32_767 and "已截断" in str(names[2].value)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>12345678901234.56</v>" in xml and "<v>0.10</v>" in xml, xml[:2000]
    assert "<f>" not in xml


def test_json_keeps_fen_and_fractions() -> None:
    body = to_json(_table(), ZH)
    kinds = {c["key"]: c["kind"] for c in body["columns"]}
    assert kinds["rate"] == "float" and kinds["exact_fen"] == "fen"  # the API's kinds as before
    assert [r["rate"] for r in body["rows"]] == [0.725, 5 / 6, 1.5, None]
    assert [r["exact_fen"] for r in body["rows"]] == [3_317_518_900, 1, None, 100_000_000]


def test_page_text_of_shares_and_money() -> None:
    from zonebrain.web._render import _templates

    html = _templates().env.get_template("_macros.html").module.data_table(_table(), ZH)
    cells = re.findall(r'<td class="([a-z]+)">([^<]*)</td>', str(html))
    assert [v for k, v in cells if k == "pct"] == ["72.5%", "83.3%", "150.0%", ""]
    assert [v for k, v in cells if k == "fen"][:3] == ["3,317.52", "3,317.52", "123.45"]
    assert '<th class="pct">' in str(html) and 'class="share"' not in str(html)
    assert cell_text(0.0, "share") == "0.0%" and cell_text(None, "share") == ""
    assert share_pct(Fraction(5, 6)) == 83.33 and share_pct(0.99996) == 100.0


# ---- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formats_app(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with private_app(demo, tmp_path_factory, "formats") as application:
        yield application


@pytest.fixture(scope="module")
def admin(formats_app: FastAPI) -> Iterator[TestClient]:
    c = TestClient(formats_app)
    login(c, "admin")
    yield c
    c.close()


def _firm(app: FastAPI) -> str:
    with app.state.zonebrain.pool.reader() as wh:
        ey = wh.table("enterprise_years")
        ent = wh.table("enterprises").filter(lambda t: t.park_id == "wutong")
        got = ey.filter(ey.tax_fen.notnull() & ey.employees.notnull() & ey.revenue_fen.notnull())
        usccs = got.semi_join(ent, "uscc").select("uscc").distinct().order_by("uscc").limit(1)
        return str(wh.to_arrow(usccs)["uscc"][0].as_py())


RATES = ("delivery_rate", "output_rate", "tax_rate", "jobs_rate", "investment_rate")
MONEY = ("promised_output_fen", "actual_output_fen", "promised_tax_fen", "actual_tax_fen")


def test_delivery_excel_page_and_json_agree(formats_app: FastAPI, admin: TestClient) -> None:
    promises = {"promised_output_fen": 3_317_518_900, "promised_tax_fen": 12_345_678, "promised_jobs": 7}
    r = admin.post(
        "/api/v1/pipeline/projects",
        json={
            "name": "格式测试",
            "uscc": _firm(formats_app),
            "park_id": "wutong",
            "origin": "targeting",
            **promises,
        },
    )
    pid = api_ok(r, 201)["project"]["id"]
    api_ok(admin.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "投产", "expected_version": 1}))
    body = api_ok(admin.get("/api/v1/pipeline/delivery"))
    kinds = {c["key"]: c["kind"] for c in body["columns"]}
    assert {kinds[k] for k in RATES} == {"float"} and {kinds[k] for k in MONEY} == {"fen"}
    row = next(x for x in body["rows"] if x["project_id"] == pid)
    assert row["promised_output_fen"] == 3_317_518_900 and 0 < row["output_rate"] < 1

    x = admin.get("/api/v1/pipeline/delivery", params={"format": "xlsx"})
    assert x.status_code == 200 and "pipeline-delivery.xlsx" in x.headers["content-disposition"]
    heads, rows = _sheet(x.content)
    line = next(r for r in rows if r[heads.index("编号")].value == pid)
    labels = {c["key"]: c["label"] for c in body["columns"]}
    for key in MONEY:
        cell = line[next(i for i, h in enumerate(heads) if h.startswith(labels[key]))]
        assert Decimal(str(cell.value)) == Decimal(row[key]) / WAN, (key, cell.value)  # every digit
        assert cell.number_format == "#,##0.00####", key
    assert line[heads.index("承诺产值 (万元)")].value == 3317.5189
    for key in RATES:
        cell = line[heads.index(labels[key])]
        assert cell.value == row[key], (key, cell.value)  # the JSON fraction, not a percent
        assert row[key] is None or cell.number_format == "0.0%", key

    page = admin.get("/pipeline/delivery").text.split('id="delivery-table"', 1)[1]
    tr = next(t for t in page.split("<tr>") if f'<td class="id">{pid}</td>' in t)
    pct = re.findall(r'<td class="pct">([^<]*)</td>', tr)
    assert pct == [f"{round(row[k] * 100, 2):.1f}%" if row[k] is not None else "" for k in RATES]
    assert '<td class="fen">3,317.52</td>' in tr  # pages keep two decimals


def test_funnel_rates_are_shares(admin: TestClient) -> None:
    body = api_ok(admin.get("/api/v1/pipeline/funnel/conversion"))
    assert {c["kind"] for c in body["columns"] if c["key"].endswith("_rate")} == {"float"}
    heads, rows = _sheet(admin.get("/api/v1/pipeline/funnel/conversion?format=xlsx").content)
    signed = [r[heads.index("签约率")] for r in rows]
    assert signed and all(c.number_format == "0.0%" for c in signed if c.value is not None)
    assert [c.value for c in signed] == [
        None if r["signed_rate"] is None else round(r["signed_rate"], SHARE_PLACES) for r in body["rows"]
    ]
    page = admin.get("/pipeline/funnel").text.split('id="conversion-table"', 1)[1]
    shown = re.findall(r'<td class="pct">([^<]*)</td>', page)
    want = [
        "" if v is None else f"{round(v * 100, 2):.1f}%"
        for r in body["rows"]
        for v in (r["signed_rate"], r["landed_rate"])
    ]
    assert shown == want


def test_coverage_shares(admin: TestClient) -> None:
    run_now(admin)
    body = api_ok(admin.get("/api/v1/policy/coverage"))
    clause, decided = Fraction(body["clause_share"]), Fraction(body["decided_share"])
    assert body["clause_share_pct"] == round(float(clause) * 100, 2) == share_pct(clause)
    assert body["decided_share_pct"] == share_pct(decided)
    wb = openpyxl.load_workbook(io.BytesIO(admin.get("/api/v1/policy/coverage?format=xlsx").content))
    summary = wb["概览 summary"]
    heads = [c.value for c in summary[1]]
    for head, share in (("免申即享占比", clause), ("已决定占比", decided)):
        cell = summary.cell(row=2, column=heads.index(head) + 1)
        assert cell.value == round(float(share), SHARE_PLACES) and cell.number_format == "0.0%", head
    decisions = wb["决定情况 decisions"]
    heads = [c.value for c in decisions[1]]
    column = [r[heads.index("已决定占比")] for r in decisions.iter_rows(min_row=2)]
    assert column and all(c.number_format == "0.0%" for c in column if c.value is not None)
    page = admin.get("/policy/coverage").text
    assert f'<strong id="coverage-clause-share">{body["clause_share_text"]}</strong>' in page


def test_xlsx_wraps_text_of_several_lines_and_sizes_columns_by_their_widest_line() -> None:
    """QA: the self-check's 需提供的材料 (one line per missing datum) ran together in one line."""
    table = DataTable(
        name="lines",
        title="pipeline.delivery_table",
        columns=[Col("id", "pipeline.col.id", "id"), Col("text", "policy_check.col.ask")],
        rows=[{"id": 1, "text": "第一行材料\n第二行, 更长一些的材料说明"}, {"id": 2, "text": "一行"}],
    )
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(table, ZH))).active
    assert ws is not None and ws.freeze_panes == "A3"
    several, one = ws["B3"], ws["B4"]
    assert several.alignment.wrap_text and not one.alignment.wrap_text
    width = next(d.width for d in ws.column_dimensions.values() if d.min <= 2 <= d.max)
    assert (
        2 * len("第二行, 更长一些的材料说明") - 2 <= width < 2 * len(several.value)
    )  # the line, not the text
