"""The 公示 list as the public reads it: 序号 without separators, thresholds in their order, names
not cut off in Excel."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
from docx.shared import Cm

from zonebrain.core.money import display_fen
from zonebrain.core.uscc import USCC
from zonebrain.disbursement import Batch, BatchStatus, Item, ItemStatus
from zonebrain.disbursement._exports import write_publicity

NAME = "郑州高新区某某智能传感科技股份有限公司"


def _items(n: int) -> list[Item]:
    clauses = ["reach-100m", "reach-10m", "reach-20m"]  # as text sorts them
    out = []
    for k in range(n):
        code = USCC.build("9", "1", "410100", f"MA{k:06d}").code
        clause = clauses[k % 3]
        out.append(
            Item(k + 1, 1, code, NAME, "wutong", "zz-revenue-breakthrough", "营业收入首次突破奖励", clause,
                 f"第一条第{'四一二'[k % 3]}款", "", "once", 10_000_000, ItemStatus.LISTED, None)
        )  # fmt: skip
    return out


def _batch() -> Batch:
    now = dt.datetime(2025, 4, 1, 8)
    return Batch(
        1, "run", dt.date(2025, 3, 31), 2024, ("zz-revenue-breakthrough",), "2024年度政策兑现",
        BatchStatus.PUBLICIZED, dt.date(2025, 4, 1), dt.date(2025, 4, 7), None, "", "chen", "liu",
        None, None, now, now, 3, {"listed": 1002}, 1002 * 10_000_000,
    )  # fmt: skip


def test_the_public_list_reads_as_published(tmp_path: Path) -> None:
    items = _items(1002)
    path, rows = write_publicity(_batch(), items, tmp_path / "公示.docx", today=dt.date(2025, 4, 1))
    table = docx.Document(str(path)).tables[0]
    assert rows == 1002 and table.rows[-2].cells[0].text == "1002"  # not "1,002"
    total = sum(i.amount_fen for i in items)
    last = [c.text for c in table.rows[-1].cells]
    assert last[0] == "合计" and last[5] == display_fen(total, "元")
    # printed over many pages, each starts with the header row (QA: only the first page had it)
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader") and not table.rows[1]._tr.xpath(
        "./w:trPr/w:tblHeader"
    )
    # QA: six equal columns on a portrait page wrapped every name over two or three lines, and no
    # page said which page it was. Now: A4 turned, each column as wide as it needs (序号 narrow),
    # and a footer with the page number and count (Word's PAGE and NUMPAGES fields)
    doc = docx.Document(str(path))
    section = doc.sections[0]
    assert section.page_width > section.page_height
    widths = [c.width for c in table.columns]
    room = section.page_width - section.left_margin - section.right_margin
    assert abs(sum(widths) - room) < len(widths) and widths[0] == min(widths) < widths[1]
    assert widths[2] >= Cm(0.22 * 18)  # the masked USCC on one line
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "第 " in section.footer.paragraphs[0].text
    refs = [r.cells[4].text for r in table.rows[1:-1]]
    first = {ref: refs.index(ref) for ref in ("第一条第一款", "第一条第二款", "第一条第四款")}
    assert first["第一条第一款"] < first["第一条第二款"] < first["第一条第四款"]  # 10m, 20m, 100m
    path, _ = write_publicity(_batch(), items, tmp_path / "公示.xlsx", today=dt.date(2025, 4, 1))
    ws = openpyxl.load_workbook(path)["公示名单"]
    assert ws["A1003"].value == 1002 and ws["A1003"].number_format == "General"
    assert ws["B1004"].value == "合计 (1002 项)" and ws["A1004"].value is None
    assert Decimal(str(ws["F1004"].value)) * 100 == total  # 元, to the fen
    assert ws.column_dimensions["B"].width >= 2 * len(NAME)  # the name is not cut off


def test_a_list_exported_after_approval_does_not_call_for_objections(tmp_path: Path) -> None:
    """QA: the record exported after payment still invited objections (请以书面形式实名…反映)."""
    items = _items(3)
    listed = docx.Document(
        str(write_publicity(_batch(), items, tmp_path / "a.docx", today=dt.date(2025, 4, 1))[0])
    )
    text = "\n".join(p.text for p in listed.paragraphs)
    assert "请以书面形式实名" in text and "审批前处理" not in text
    paid = dataclasses.replace(_batch(), status=BatchStatus.PAID)
    record = docx.Document(
        str(write_publicity(paid, items, tmp_path / "b.docx", today=dt.date(2025, 4, 9))[0])
    )
    text = "\n".join(p.text for p in record.paragraphs)
    assert "请以书面形式实名" not in text and "期间提出的异议均已在审批前处理" in text
