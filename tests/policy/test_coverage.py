"""Coverage analytics (覆盖率分析): clauses decidable from data, decided shares, missing fields."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.policy._whatif_data import build
from zonebrain.core.errors import InputError
from zonebrain.policy import FACT_SOURCES, coverage, evaluate, load_library, run_policies, set_amount
from zonebrain.policy._coverage import field_label_zh
from zonebrain.storage import Warehouse, open_warehouse


def test_clauses_decidable_from_data() -> None:
    lib = load_library()
    c = coverage(lib)
    rows = {(r["policy_id"], r["clause_id"]): r for r in c.clauses.to_pylist()}
    assert len(rows) == 6 and c.decisions is None and c.missing is None
    # only the R&D award needs a fact the enterprise declares (its audited R&D input)
    assert [k for k, r in rows.items() if not r["from_data"]] == [("zz-rd-input", "award")]
    assert rows["zz-rd-input", "award"]["declared"] == "rd_expense_fen"
    assert "event:严重违法失信" in rows["zz-rd-input", "award"]["facts"]
    assert c.clause_share == Fraction(5, 6)
    # once the tax bureau's 加计扣除 data is connected, every clause is 免申即享
    assert coverage(lib, sources={"rd_expense_fen": "data"}).clause_share == 1
    # an amount on a declared base makes the clause need an application too
    assert FACT_SOURCES["tax_fen"].source == "data"
    edited = set_amount(lib, "zz-revenue-breakthrough/reach-10m", {"rate": "1%", "of": "rd_expense_fen"})
    assert coverage(edited).clause_share == Fraction(4, 6)
    with pytest.raises(InputError, match="invalid source"):
        coverage(lib, sources={"tax_fen": "maybe"})  # type: ignore[dict-item]


def test_decided_shares_and_missing_fields_ranked(wh: Warehouse) -> None:
    build(wh)
    c = coverage(load_library(), evaluate(wh, load_library(), 2024))
    # 7 firms × 6 clauses; 待核实: C1 R&D + C1 1000万 (tax), D1 R&D (tax, R&D), E1 1000万 (no earlier year)
    assert c.decided_share == Fraction(38, 42)
    assert (c.firms, c.firms_decided) == (7, 4)
    assert c.decisions is not None and c.missing is not None
    per = {r["policy_id"]: (r["decisions"], r["undetermined"], r["decided"]) for r in c.decisions.to_pylist()}
    assert per == {
        "zz-hitech-first-cert": (7, 0, 7),
        "zz-rd-input": (7, 2, 5),
        "zz-revenue-breakthrough": (28, 2, 26),
    }
    got = [
        (r["field"], r["decides"], r["with_others"], r["needs"], r["firms"]) for r in c.missing.to_pylist()
    ]
    assert got == [
        ("tax_fen[2024]", 2, 1, 3, 2),
        ("max_revenue_fen_before[2024]", 1, 0, 1, 1),
        ("rd_expense_fen[2024]", 0, 1, 1, 1),
    ]
    labels = c.missing["label_zh"].to_pylist()
    assert labels == [
        "2024年纳税总额",
        "2024年以前各年度最高营业收入",
        "2024年研发费用",
    ]  # as explain says it
    assert c.missing["source"].to_pylist() == ["data", "data", "declared"]
    assert c.summary()["firms_decided_share"].to_pylist() == [4 / 7]


def test_labels_come_from_the_import_formats() -> None:
    assert field_label_zh("revenue_fen[2023]") == "2023年营业收入"
    assert field_label_zh("status") == "登记状态"


def test_coverage_command(analysis_cli: typer.Typer, tmp_path: Path) -> None:
    import openpyxl

    r = CliRunner().invoke(analysis_cli, ["coverage"])
    assert r.exit_code == 2 and "no policy run yet" in r.output
    with open_warehouse(tmp_path / "wh.duckdb") as wh:
        run = run_policies(wh, load_library(), dt.date(2025, 3, 31))
    out = tmp_path / "coverage.xlsx"
    r = CliRunner().invoke(
        analysis_cli, ["coverage", "--run", run.run_id, "--out", str(out), "--data", "rd_expense_fen"]
    )
    assert r.exit_code == 0, r.output
    assert "6/6" in r.output and "4/7" in r.output  # the shares (tables wrap at this width)
    for cmd in (["coverage", "--run", run.run_id], ["whatif", "--run", run.run_id]):
        # QA: an Excel file was written under any name (cov.csv, wi.pdf) and the command said so
        wrong = tmp_path / "cov.csv"
        r = CliRunner().invoke(analysis_cli, [*cmd, "--out", str(wrong)])
        assert r.exit_code == 2 and "不支持的文件类型 'cov.csv'" in r.output, r.output
        assert not wrong.exists()
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "说明 about",
        "概览 summary",
        "条款覆盖 clauses",
        "决定情况 decisions",
        "缺失字段 missing",
        "无企业记录 unseen",
    ]  # this zone records no tags or events: every one the library reads is unseen
    about = {str(r[0]): str(r[1]) for r in book["说明 about"].iter_rows(min_row=2, values_only=True)}
    assert about["测算 run"] == run.run_id  # QA: the file did not name its run
    # an Excel date and a number (QA: both were text)
    assert (about["基准日 as-of date"], about["考核年度 period"]) == ("2025-03-31 00:00:00", "2024")
    assert about["视为已有政府数据 facts treated as held"] == "研发费用 (rd_expense_fen)"
    summary = book["概览 summary"]
    shares = {h.value: v for h, v in zip(summary[1], summary[2], strict=True) if "占比" in str(h.value)}
    assert shares and all(c.number_format == "0.0%" for c in shares.values())  # a percentage in Excel
    # the fraction, not a text; rounded to 4 places as the web's file (0.5714, not 0.5714285714285714)
    assert shares["全部条款已决定的企业占比"].value == round(4 / 7, 4)
    decisions = book["决定情况 decisions"]
    assert [c.number_format for c in decisions[2] if c.column == decisions.max_column] == ["0.0%"]
    assert [c.value for c in book["缺失字段 missing"][2]][:4] == [
        "tax_fen[2024]",
        "2024年纳税总额",
        "政府数据",  # in words, as the page says it (not the code "data")
        2,
    ]
    clauses = book["条款覆盖 clauses"]
    heads = [h.value for h in clauses[1]]
    from_data = {row[heads.index("免申即享")].value for row in clauses.iter_rows(min_row=2)}
    assert from_data == {"是"}  # rd_expense_fen treated as data: every clause; not TRUE/FALSE
