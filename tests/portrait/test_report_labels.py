"""What officials read in the report: labels say what a column holds, units appear once, no English
tokens or raw codes in Chinese text, and the files carry proper document properties."""

from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest
from docx import Document

from tests.portrait._data import load_sample
from zonebrain.core.clock import utcnow
from zonebrain.portrait import ReportFiles, portrait_report
from zonebrain.storage import open_warehouse

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The sample zone's report, written once per module (every test here only reads its files)."""
    folder = tmp_path_factory.mktemp("labels")
    with open_warehouse(folder / "sample.duckdb") as wh:
        wh.migrate()
        load_sample(wh)
        return portrait_report(
            wh, folder / "画像.docx", peers=["410100", "410300"], today=dt.date(2025, 1, 2)
        )


def _table_with(doc: object, header: str) -> list[list[str]]:
    for t in doc.tables:  # type: ignore[attr-defined]
        rows = [[c.text for c in r.cells] for r in t.rows]
        if any(header in h for h in rows[0]):
            return rows
    raise AssertionError(f"no table with a header containing {header!r}")


def test_hhi_shows_four_decimals_and_says_its_scale(files: ReportFiles) -> None:
    rows = _table_with(Document(str(files.docx)), "HHI")
    col = next(i for i, h in enumerate(rows[0]) if "HHI" in h)
    assert "0–1" in rows[0][col]
    values = [r[col] for r in rows[1:] if r[col] != "—"]
    assert values and all(re.fullmatch(r"\d\.\d{4}", v) for v in values), values


def test_diagnosis_text_names_the_reference_in_chinese(files: ReportFiles) -> None:
    body = "\n".join(p.text for p in Document(str(files.docx)).paragraphs)
    assert "以郑州市 (410100) 为参照" in body
    assert "city" not in body and "province" not in body


def test_node_tables_label_the_revenue_share_of_the_chain(files: ReportFiles) -> None:
    doc = Document(str(files.docx))
    nodes = _table_with(doc, "区位熵")
    assert any("占链营收" in h for h in nodes[0]) and not any("链上企业占比" in h for h in nodes[0])
    bench = _table_with(doc, "户均营收")
    assert any("链上企业占比" in h for h in bench[0])


def test_method_follows_the_basis_used(files: ReportFiles) -> None:
    body = "\n".join(p.text for p in Document(str(files.docx)).paragraphs)
    method = body[body.rindex("六、方法说明") :]
    assert "园区节点值取已存储的产业链归属" in method
    assert "园区与参照区域的节点值均为该节点国民经济行业小类之和" not in method


def test_document_properties(files: ReportFiles) -> None:
    props = Document(str(files.docx)).core_properties
    assert props.author == "ZoneBrain 产业大脑"
    assert props.title == "产业画像诊断报告"
    assert props.created is not None and props.modified is not None
    made = props.created.replace(tzinfo=None)
    assert abs((made - utcnow()).total_seconds()) < 600
    assert props.modified.replace(tzinfo=None) == made


def test_workbook_headers_are_chinese_with_units_once(files: ReportFiles) -> None:
    wb = openpyxl.load_workbook(files.xlsx)
    for ws in wb.worksheets:
        headers = [c.value for c in ws[1]]
        for h in headers:
            assert isinstance(h, str) and CJK.search(h), (ws.title, h)
            assert "(万元)(万元)" not in h.replace(" ", ""), (ws.title, h)
    growth = wb["增长"]
    head = [c.value for c in growth[1]]
    rows = [dict(zip(head, (c.value for c in r), strict=True)) for r in growth.iter_rows(min_row=2)]
    names = [r["指标"] for r in rows]
    assert "营业收入 (万元)" in names and not any("_fen" in n for n in names)
    revenue = next(r for r in rows if r["指标"] == "营业收入 (万元)")
    assert revenue["末期值"] < 1e6  # 万元, not fen (the sample's revenue is a few hundred 万元)
    leaders = wb["链主"]
    head = [c.value for c in leaders[1]]
    flags = {r[head.index("链主企业")].value for r in leaders.iter_rows(min_row=2)}
    assert flags <= {"是", "否"} and flags
