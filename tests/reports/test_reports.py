from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from tests.conftest import in_ci
from zonebrain.reports import WordReport, docx_to_pdf, export_excel, office_binary

PARKS = pa.table(
    {
        "park": ["梧桐", "石佛", "枫杨"],
        "enterprises": [6260, 4690, 3627],
        "revenue_fen": [102510828954, 66435596022, 1],
    }
)


def build(path: Path) -> Path:
    r = WordReport("产业画像诊断报告", "郑州高新区")
    r.toc()
    r.heading("一、总体概况", 1)
    r.paragraph("在营企业 14,577 家。")
    r.table(
        PARKS,
        {"park": "园区", "enterprises": "企业数", "revenue_fen": "营业收入"},
        money=("revenue_fen",),
        caption="各园区概况",
    )
    r.heading("（一）营收结构", 2)
    r.bar_chart(["梧桐", "石佛", "枫杨"], {"营收": [10.25, 6.64, 0.0]}, "各园区营业收入", "亿元")
    r.line_chart(["2022", "2023", "2024"], {"梧桐": [1.0, None, 3.0]}, "营收趋势")
    r.radar_chart(["规模", "增长", "创新"], {"高新区": [0.8, 0.6, 0.9], "对标": [0.5, 0.7, 0.4]}, "对标雷达")
    return r.save(path)


def test_word_report_has_contents_tables_and_charts(tmp_path: Path) -> None:
    path = build(tmp_path / "r.docx")
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        styles = z.read("word/styles.xml").decode("utf-8")
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert "TOC \\o" in xml and "一、总体概况" in xml and "（一）营收结构" in xml
    assert "102,510.83" in xml and "营业收入(万元)" in xml  # money from fen, shown in 万元
    assert 'w:eastAsia="宋体"' in styles and 'w:eastAsia="黑体"' in styles
    assert len(media) == 3


def test_report_opens_in_libreoffice(tmp_path: Path) -> None:
    if office_binary() is None:
        if in_ci():
            pytest.fail("LibreOffice missing; make test installs libreoffice-writer-nogui")
        pytest.skip("LibreOffice not installed")
    pdf = docx_to_pdf(build(tmp_path / "r.docx"), tmp_path / "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert data.count(b"/Type /Page") >= 2 or data.count(b"/Type/Page") >= 2


def test_excel_export_keeps_money_exact(tmp_path: Path) -> None:
    path = export_excel(
        {"园区": PARKS}, tmp_path / "t.xlsx", headers={"park": "园区"}, money=("revenue_fen",)
    )
    ws = openpyxl.load_workbook(path)["园区"]
    assert [c.value for c in ws[1]] == ["园区", "enterprises", "revenue_fen(万元)"]
    assert Decimal(str(ws["C2"].value)) == Decimal("102510.828954")
    assert Decimal(str(ws["C4"].value)) == Decimal("0.000001")
