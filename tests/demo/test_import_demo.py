"""The demo files go through the real importer: good files load whole, bad rows are caught one by one."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from pathlib import Path

import ibis
import openpyxl
import pytest

from zonebrain.core.errors import ImportRejected
from zonebrain.demo import DemoFiles, ReferenceFiles
from zonebrain.policy import results_table
from zonebrain.portrait import zone_summary
from zonebrain.registry import import_file
from zonebrain.storage import Warehouse, open_warehouse

# the generator's rule tokens → the importer's rule names
RULES = {
    "check": "uscc_check",
    "org_check": "uscc_org_check",
    "length": "uscc_length",
    "alphabet": "uscc_alphabet",
    "duplicate": "duplicate_key",
    "industry_unknown": "unknown_industry",
    "industry_leading_zero": "unknown_industry",
    "park_unknown": "unknown_park",
    "not_a_number": "not_a_number",
    "negative": "negative",
    "impossible_date": "bad_date",
    "unit_mismatch": "unit_mismatch",
    "required": "required",
}


def test_every_demo_file_imports_cleanly(wh: Warehouse, zone: DemoFiles, reference: ReferenceFiles) -> None:
    order = [
        ("enterprises", zone.enterprises),
        ("finance", zone.finance),
        ("monthly", zone.monthly),
        ("tags", zone.tags),
        ("events", zone.events),
        ("reference", reference.enterprises),
        ("signals", reference.signals),
        ("panel", reference.region_activity),
    ]
    for kind, path in order:
        report = import_file(wh, kind, path)
        assert report.rows_rejected == 0, (kind, report.problems_by_rule)
        assert report.inserted == report.rows_in == zone.rows.get(path.name, report.rows_in)
    assert wh.count("enterprises") == 2_000
    assert wh.count("reference_enterprises") == reference.n_firms
    summary = zone_summary(wh)
    assert summary.year == 2024
    assert sum(r["enterprises"] for r in summary.by_park.to_pylist()) == summary.enterprises
    # money stays exact: the panel's revenue equals the registry's, fen for fen
    ref = wh.to_arrow(
        wh.table("reference_enterprises").aggregate(s=wh.table("reference_enterprises").revenue_fen.sum())
    )
    panel = wh.table("region_activity")
    pan = wh.to_arrow(panel.filter(panel.measure == "revenue_fen").aggregate(s=panel.value.sum()))
    assert ref["s"][0].as_py() == pan["s"][0].as_py()


def test_bad_rows_are_each_named(wh: Warehouse, zone: DemoFiles, tmp_path: Path) -> None:
    with open(zone.bad_rows_expected, encoding="utf-8-sig") as f:
        expected = {(int(r["row"]), r["column"], RULES[r["rule"]]) for r in csv.DictReader(f)}
    with pytest.raises(ImportRejected) as info:
        import_file(wh, "enterprises", zone.bad_rows, report_dir=tmp_path)
    assert wh.count("enterprises") == 0
    book = openpyxl.load_workbook(info.value.report_path)
    found = {(r[1], r[2], r[4]) for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert expected <= found
    assert {row for row, _, _ in found} == {row for row, _, _ in expected}
    report = import_file(wh, "enterprises", zone.bad_rows, accept_partial=True, report_dir=tmp_path)
    assert report.inserted == report.rows_in - len({row for row, _, _ in expected})


def test_gbk_file_is_detected(wh: Warehouse, zone: DemoFiles) -> None:
    report = import_file(wh, "enterprises", zone.bad_rows_gbk)
    assert report.encoding == "gbk" and report.rows_rejected == 0 and report.inserted > 0


@pytest.mark.slow
def test_demo_command_builds_imports_and_summarises(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "zonebrain.cli.main",
        "--data-dir",
        str(tmp_path),
        "demo",
        "--no-serve",
        "--enterprises",
        "1500",
        "--reference",
        "20000",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    for text in ("园区概况", "梧桐", "制造业", "企业数前十小类", "政策测算 (policy run)", "demo zone ready"):
        assert text in r.stdout
    with open_warehouse(tmp_path / "warehouse.duckdb", read_only=True) as wh:
        runs = wh.to_arrow(wh.table("policy_runs"))
        assert runs.num_rows == 1 and runs["as_of"][0].as_py() == dt.date(2025, 3, 31)
        eligible = results_table(wh).filter(ibis._.status == "eligible")
        assert wh.to_arrow(eligible.aggregate(n=ibis._.count()))["n"][0].as_py() > 0
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count("already imported") == 8
