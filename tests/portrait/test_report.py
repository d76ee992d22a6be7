"""产业画像诊断报告: a Word document with contents, headings, tables and charts, every table in Excel too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from tests.conftest import in_ci
from zonebrain.chains import classify_zone
from zonebrain.portrait import portrait_report
from zonebrain.reports import docx_to_pdf, office_binary
from zonebrain.storage import Warehouse, open_warehouse

HEADINGS = [
    "一、总体概况",
    "二、行业结构",
    "三、产业链画像",
    "四、产业链诊断",
    "五、对标分析",
    "六、方法说明",
]


def test_report_has_contents_headings_tables_charts_and_excel(sample: Warehouse, tmp_path: Path) -> None:
    files = portrait_report(
        sample, tmp_path / "画像.docx", peers=["410100", "410300"], today=dt.date(2025, 1, 2)
    )
    assert files.docx.exists() and files.xlsx == tmp_path / "画像.xlsx"
    doc = Document(str(files.docx))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "产业画像诊断报告"
    assert "目  录" in texts
    headings = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings[1:] == HEADINGS  # the first is the contents list
    assert len(doc.tables) >= 15
    assert len(doc.inline_shapes) >= 5  # trend, flows, sections, chains, radar
    body = "\n".join(texts)
    assert "在营企业 11 家" in body
    # the sample's 郑州 has fewer firms in 3983 than the zone: the diagnosis says its LQs are unreliable
    notes = [t for t in texts if t.startswith("注意: ") and "区位熵不可靠 (参照值小于本区)" in t]
    assert len(notes) == 1
    assert texts.index(notes[0]) > texts.index("四、产业链诊断")
    wb = openpyxl.load_workbook(files.xlsx)
    for sheet in (
        "总量",
        "增长",
        "门类",
        "大类",
        "产业链",
        "产业链节点",
        "节点诊断",
        "链主",
        "缺口",
        "对标",
        "标签",
    ):
        assert sheet in wb.sheetnames
    ws = wb["门类"]
    assert ws.cell(1, 1).value == "门类"
    assert ws.max_row == 1 + 5  # five sections


def test_park_report(sample: Warehouse, tmp_path: Path) -> None:
    files = portrait_report(sample, tmp_path / "park.docx", park="乙园", peers=["410100"])
    doc = Document(str(files.docx))
    assert any("乙园镇" in p.text for p in doc.paragraphs[:3])


@pytest.mark.slow
def test_report_opens_in_libreoffice(sample: Warehouse, tmp_path: Path) -> None:
    if office_binary() is None:
        if in_ci():
            pytest.fail("LibreOffice (soffice) is required in CI: apt-get install libreoffice-writer-nogui")
        pytest.skip("LibreOffice not installed")
    files = portrait_report(sample, tmp_path / "report.docx", peers=["410100"])
    pdf = docx_to_pdf(files.docx, tmp_path / "pdf")
    assert pdf.stat().st_size > 10_000
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.slow
def test_demo_zone_report_at_demo_scale(tmp_path: Path) -> None:
    """The demo zone (2,000 firms, 20,000 reference firms here) classified and reported, every table
    there (its time is in docs/benchmarks.md, never asserted: the machines are noisy)."""
    from zonebrain.demo import generate_reference, generate_zone
    from zonebrain.registry import import_file

    zone = generate_zone(tmp_path / "zone", seed=42, n_enterprises=2_000)
    ref = generate_reference(tmp_path / "ref", seed=42, n_firms=20_000)
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        wh.migrate()
        for kind, path in (
            ("enterprises", zone.enterprises),
            ("finance", zone.finance),
            ("tags", zone.tags),
            ("events", zone.events),
            ("reference", ref.enterprises),
            ("panel", ref.region_activity),
        ):
            import_file(wh, kind, path)
        classify_zone(wh)
        files = portrait_report(wh, tmp_path / "demo.docx")
    assert len(Document(str(files.docx)).tables) >= 25
