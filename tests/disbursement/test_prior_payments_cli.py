"""`zonebrain policy ledger import FILE`: an admin imports payments made before ZoneBrain; the
command says what was imported, already present and rejected (and where the report is); the next
`policy run` finds the imported one-time award paid; the ledger lists it with its source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.disbursement._data import AS_OF, NAMES, A
from tests.disbursement.conftest import ZoneFile
from tests.disbursement.test_prior_payments import HITECH, hitech_row, write
from zonebrain import policy
from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.storage import open_warehouse

runner = CliRunner()
WIDE = {"COLUMNS": "250", "ZONEBRAIN_PASSWORD": "a-long-password"}


@pytest.fixture
def data_dir(zone_file: ZoneFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    zone_file.copy_to(tmp_path / "wh.duckdb")
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        store.users.add("admin", "a-long-password", Role.ADMIN)
        store.users.add("wang", "a-long-password", Role.LEADER)
    return tmp_path


def test_import_then_the_next_run_finds_the_award_paid(data_dir: Path) -> None:
    path = write(data_dir, [hitech_row(A, ref="郑开管〔2025〕7号")])
    r = runner.invoke(app, ["ledger", "import", str(path), "--user", "admin"], env=WIDE)
    assert r.exit_code == 0, r.output
    assert "已导入 imported" in r.output and "新增 imported 1" in r.output and "already present 0" in r.output
    assert "300,000.00 元" in r.output

    again = runner.invoke(app, ["ledger", "import", str(path), "--user", "admin"], env=WIDE)
    assert again.exit_code == 0, again.output
    assert (
        "未新增" in again.output and "新增 imported 0" in again.output and "already present 1" in again.output
    )
    assert "此文件此前已导入" in again.output

    out = data_dir / "台账.xlsx"
    listed = runner.invoke(app, ["ledger", "--out", str(out)], env=WIDE)
    assert listed.exit_code == 0 and "往年导入 imported #1: 郑开管〔2025〕7号" in listed.output, listed.output
    sheet = list(openpyxl.load_workbook(out)["支付台账"].iter_rows(values_only=True))
    head = list(sheet[0])
    row = dict(zip(head, sheet[1], strict=True))
    assert row["来源"] == "往年导入" and row["往年兑现依据 (文号/批次/凭证号)"] == "郑开管〔2025〕7号"
    assert row["企业名称"] == NAMES[A] and row["批次"] is None and row["计入合计的金额(元)"] == 300_000

    out = runner.invoke(app, ["run", "--as-of", AS_OF.isoformat()], env=WIDE)
    assert out.exit_code == 0, out.output
    run_id = re.search(r"run_id (\S+);", out.output)
    assert run_id, out.output
    with open_warehouse(data_dir / "wh.duckdb", read_only=True) as wh:
        rows = policy.load_results(wh, run_id.group(1), A).to_pylist()
    got = next(x for x in rows if (x["policy_id"], x["clause_id"]) == HITECH)
    assert (
        got["status"] == "ineligible"
        and json.loads(got["trace"])["ledger"] == "already paid (one-time award)"
    )


def test_a_bad_file_is_refused_with_its_rows_and_report(data_dir: Path) -> None:
    path = write(data_dir, [hitech_row(A), hitech_row(A, amount="abc")])  # row 3: not a number
    r = runner.invoke(app, ["ledger", "import", str(path), "--user", "admin", "--dry-run"], env=WIDE)
    assert r.exit_code == 2, r.output
    assert "第 3 行 (row 3), 列 '兑现金额(万元)', 值 'abc'" in r.output and "拒绝 rejected 1" in r.output
    report = data_dir / "往年兑现.rejected.xlsx"
    assert report.exists() and str(report) in r.output.replace("\n", "")
    ok = write(data_dir, [hitech_row(A)], "ok.csv")
    dry = runner.invoke(app, ["ledger", "import", str(ok), "--user", "admin", "--dry-run"], env=WIDE)
    assert dry.exit_code == 0 and "dry run, nothing written" in dry.output, dry.output
    assert "新增 imported 1" in dry.output
    wrong = runner.invoke(
        app, ["ledger", "import", str(ok), "--user", "admin"], env={**WIDE, "ZONEBRAIN_PASSWORD": "nope"}
    )
    assert wrong.exit_code == 1 and "口令不对" in wrong.output, (
        wrong.output
    )  # it decides what is paid: signed
    denied = runner.invoke(app, ["ledger", "import", str(ok), "--user", "wang"], env=WIDE)
    assert denied.exit_code == 1 and "系统管理员" in denied.output, denied.output
    with open_app_store(data_dir / "app.sqlite", password_cost="low", create=False) as store:
        assert store.audit.entries(action="disbursement.import_prior")[0].outcome == "denied"
        from zonebrain.disbursement import Ledger

        assert Ledger(store).count() == 0


def test_the_template_filled_in_imports_and_unfilled_is_refused(data_dir: Path) -> None:
    path = data_dir / "模板.xlsx"
    made = runner.invoke(app, ["ledger", "template", str(path)], env=WIDE)
    assert made.exit_code == 0 and "已写出模板" in made.output, made.output

    blank = runner.invoke(app, ["ledger", "import", str(path), "--user", "admin", "--dry-run"], env=WIDE)
    assert blank.exit_code == 2 and "只有表头" in blank.output, blank.output  # the example is not a row

    wb = openpyxl.load_workbook(path)
    ws = wb["往年兑现"]
    head = [c.value for c in ws[1]]
    values = {
        "统一社会信用代码": A, "政策": "zz-hitech-first-cert", "条款": "award", "年度": "2024",
        "兑现金额(元)": 300000, "兑现日期": "2025-03-20", "凭证号": "郑开管〔2025〕9号",
    }  # fmt: skip
    for i, h in enumerate(head, start=1):
        ws.cell(2, i).value = values.get(str(h))
    wb.save(path)
    r = runner.invoke(app, ["ledger", "import", str(path), "--user", "admin"], env=WIDE)
    assert r.exit_code == 0 and "新增 imported 1" in r.output, r.output
    assert "300,000.00 元" in r.output

    wrong = runner.invoke(app, ["ledger", "template", str(data_dir / "模板.csv")], env=WIDE)
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output, wrong.output
