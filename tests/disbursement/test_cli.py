"""`zonebrain policy batch|publicity|notify|ledger|verify …` end to end on files in a data directory."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.disbursement._data import A
from tests.disbursement.conftest import ZoneFile
from zonebrain.appstore import Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.core.clock import beijing_today
from zonebrain.core.money import display_fen

runner = CliRunner()


@pytest.fixture
def run_id(zone_file: ZoneFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setenv("ZONEBRAIN_PASSWORD", "a-long-password")  # the steps that move money check it
    rid = zone_file.copy_to(tmp_path / "wh.duckdb")  # the four-firm warehouse with one run
    with open_app_store(tmp_path / "app.sqlite", password_cost="low") as store:
        store.users.add("chen", "a-long-password", Role.POLICY_RESEARCHER)
        store.users.add("liu", "a-long-password", Role.POLICY_RESEARCHER)
        store.users.add("wang", "a-long-password", Role.LEADER)
        store.users.add("zhou", "a-long-password", Role.LEADER)  # approves what wang closed early
    return rid


def _ok(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    return r.output


def _version(out: str) -> str:
    m = re.search(r"version (\d+)", out)
    assert m, out
    return m.group(1)


def test_the_workflow_from_the_shell(run_id: str, tmp_path: Path) -> None:
    out = _ok(["batch", "create", "--run", run_id, "--user", "chen"])
    assert "草稿" in out and "待核实 queued for verification: 2" in out
    items = [json.loads(x) for x in _ok(["batch", "show", "1", "--json"]).splitlines()]
    assert {i["status"] for i in items} == {"listed"} and len(items) == 3
    out = _ok(["batch", "review", "1", "--user", "liu", "--version", _version(out)])
    r = runner.invoke(  # a start before the review is a backdated 公示
        app, ["batch", "publicize", "1", "--as", "chen", "--version", "2", "--start", "2020-01-01"]
    )
    assert r.exit_code == 1 and "公示开始日 2020-01-01 早于本批次的审核日" in r.output
    assert "实际发布公示的日期" in r.output
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()  # the review's day, in Beijing
    both = ["--start", start.isoformat(), "--days", "3", "--end", start.isoformat()]  # QA: --days ignored
    r = runner.invoke(app, ["batch", "publicize", "1", "--as", "chen", "--version", "2", *both])
    assert r.exit_code == 2 and "只能给一个" in r.output, r.output
    out = _ok(["batch", "publicize", "1", "--as", "chen", "--version", "2", "--start", start.isoformat()])
    assert f"{start} ~ {start + dt.timedelta(days=6)}" in out  # seven days by default
    _ok(["publicity", "--batch", "1", "--out", str(tmp_path / "gs.docx"), "--user", "chen"])
    _ok(["publicity", "--batch", "1", "--out", str(tmp_path / "gs.xlsx"), "--user", "chen"])
    rows = list(openpyxl.load_workbook(tmp_path / "gs.xlsx")["公示名单"].iter_rows(values_only=True))
    assert len(rows) == 5 and A not in str(rows) and A[:4] + "*" * 12 + A[-2:] in str(rows)
    assert rows[-1][1] == "合计 (3 项)"  # header, three awards, the total

    target = next(i for i in items if i["uscc"] == A)
    _ok(["batch", "object", str(target["id"]), "--user", "chen", "--text", "金额有误", "--raised-by", "匿名"])
    for flags in (["--upheld", "--dismissed"], []):  # both, or neither: refused, nothing resolved
        r = runner.invoke(app, ["batch", "resolve", "1", "--user", "liu", *flags, "--note", "无误"])
        assert r.exit_code == 2 and "--upheld" in r.output and "--dismissed" in r.output, r.output
    assert "异议 objection #1: 不成立 dismissed" in _ok(
        ["batch", "resolve", "1", "--user", "liu", "--dismissed", "--note", "无误"]
    )
    assert "公示中 publicized" in _ok(["batch", "list"])  # Chinese first, the code after it
    out = _ok(["batch", "close-publicity", "1", "--user", "wang", "--version", "5", "--reason", "会议决定"])
    assert "提前结束 closed by wang: 会议决定" in out and "审核 liu; 公示 chen; 审批" in out
    _ok(["batch", "object", str(target["id"]), "--user", "chen", "--text", "再核", "--raised-by", "匿名"])
    _ok(["batch", "resolve", "2", "--user", "liu", "--dismissed", "--note", "无误"])
    r = runner.invoke(
        app, ["batch", "close-publicity", "1", "--user", "wang", "--version", "8", "--reason", "again"]
    )
    assert (
        r.exit_code == 1
        and "公示已于" in r.output
        and "提前结束 (the publicity was already closed)" in r.output
    )
    assert "提前结束 closed by wang: 会议决定" in _ok(["batch", "show", "1"])  # the first record stands
    r = runner.invoke(app, ["batch", "approve", "1", "--user", "chen", "--version", "8"])
    assert r.exit_code == 1 and "制单人" in r.output
    r = runner.invoke(app, ["batch", "approve", "1", "--user", "wang", "--version", "8"])
    assert r.exit_code == 1 and "审批人不能是提前结束本批次公示的人" in r.output  # wang closed it
    r = runner.invoke(app, ["batch", "approve", "1", "--user", "zhou", "--version", "7"])
    assert r.exit_code == 1 and "已被他人修改" in r.output
    r = runner.invoke(app, ["batch", "approve", "1", "--user", "zhou", "--version", "12"])
    assert r.exit_code == 1 and "版本号不对: 当前为 8" in r.output and "已被他人修改" not in r.output
    assert "已审批" in _ok(["batch", "approve", "1", "--user", "zhou", "--version", "8"])

    assert "本次支付 paid now: 3 项, 620,000.00 元" in _ok(["batch", "pay", "1", "--user", "chen"])
    again = _ok(["batch", "pay", "1", "--user", "chen"])
    assert (
        "paid now: 0 项" in again
        and "paid by this batch before: 3 项" in again
        and "already paid: 0 项" in again
    )
    ledger = _ok(["ledger"])
    assert "3 笔 entries, 620,000.00 元" in ledger
    assert "一次性" in ledger and "2024" in ledger  # the period: the year, or 一次性 for a one-time award
    # a what-if's cost is the policies': it says how much of it the ledger already holds (QA)
    out = _ok(["whatif", "--run", run_id])
    said = "含 2024 年度已兑现的奖励: 模拟前其中 3 项已兑现 (台账金额 620,000.00 元), 模拟后其中 3 项已兑现"
    assert said in out, out
    assert "已兑现 paid" in _ok(["batch", "show", "1"])  # the items' status by its Chinese label first
    _ok(["notify", "--batch", "1", "--out", str(tmp_path / "tz.xlsx"), "--user", "chen"])
    assert openpyxl.load_workbook(tmp_path / "tz.xlsx")["通知企业"].max_row == 4

    assert "完税证明" in _ok(["verify", "list"])
    _ok(["verify", "list", "--out", str(tmp_path / "hs.xlsx"), "--user", "chen"])
    assert (tmp_path / "hs.xlsx").exists()
    assert "已通知 requested" in _ok(
        ["verify", "update", "1", "--user", "chen", "--status", "requested", "--version", "1"]
    )
    assert "已通知 requested" in _ok(["verify", "list"])
    assert "已兑现" in _ok(["batch", "list"])


def test_errors_name_the_fix(run_id: str) -> None:
    r = runner.invoke(app, ["batch", "create", "--run", run_id, "--user", "nobody"])
    assert r.exit_code == 1 and "zonebrain users list" in r.output
    r = runner.invoke(app, ["batch", "show", "9"])
    assert r.exit_code == 1 and "没有兑现批次 #9" in r.output
    r = runner.invoke(app, ["batch", "create", "--run", "no-such-run", "--user", "chen"])
    assert r.exit_code == 2 and "no-such-run" in r.output


def test_cancel_a_batch_and_reverse_a_payment_from_the_shell(run_id: str, tmp_path: Path) -> None:
    out = _ok(["batch", "create", "--run", run_id, "--user", "chen"])
    r = runner.invoke(app, ["batch", "cancel", "1", "--user", "chen"])
    assert r.exit_code == 1 and "须说明原因" in r.output and "请填写原因" in r.output
    r = runner.invoke(app, ["batch", "cancel", "1", "--user", "liu", "--reason", "重算"])
    assert r.exit_code == 1 and "制单人" in r.output
    r = runner.invoke(app, ["batch", "cancel", "1", "--user", "chen", "--reason", "重算", "--version", "9"])
    assert r.exit_code == 1 and "版本号不对: 当前为 1, 你填的是 9 (wrong version" in r.output
    out = _ok(["batch", "cancel", "1", "--user", "chen", "--reason", "参数有误", "--version", _version(out)])
    assert "已作废 cancelled" in out and "参数有误" in out and f"batch create --run {run_id}" in out
    assert "已作废" in _ok(["batch", "list"])
    r = runner.invoke(app, ["batch", "cancel", "1", "--user", "chen", "--reason", "再来"])
    assert r.exit_code == 1 and "已于" in r.output and "作废" in r.output

    # a new batch of the same run, carried to payment; then one payment reversed
    out = _ok(["batch", "create", "--run", run_id, "--user", "chen"])
    assert "batch #2" in out and "listed 3" in out
    out = _ok(["batch", "review", "2", "--user", "liu", "--version", _version(out)])
    out = _ok(["batch", "publicize", "2", "--user", "chen", "--version", _version(out)])
    out = _ok(
        ["batch", "close-publicity", "2", "--user", "wang", "--version", _version(out), "--reason", "测试"]
    )
    _ok(["batch", "approve", "2", "--user", "zhou", "--version", _version(out)])
    assert "已作废" in _ok(
        ["batch", "cancel", "2", "--user", "chen", "--reason", "x"]
    )  # approved: not paid yet
    out = _ok(["batch", "create", "--run", run_id, "--user", "chen"])
    out = _ok(["batch", "review", "3", "--user", "liu", "--version", _version(out)])
    out = _ok(["batch", "publicize", "3", "--user", "chen", "--version", _version(out)])
    out = _ok(
        ["batch", "close-publicity", "3", "--user", "wang", "--version", _version(out), "--reason", "测试"]
    )
    _ok(["batch", "approve", "3", "--user", "zhou", "--version", _version(out)])
    assert "paid now: 3 项" in _ok(["batch", "pay", "3", "--user", "chen"])
    r = runner.invoke(app, ["batch", "cancel", "3", "--user", "chen", "--reason", "x"])
    assert r.exit_code == 1 and "冲正" in r.output

    r = runner.invoke(app, ["ledger", "reverse", "1", "--user", "chen", "--reason", "银行退回"])
    assert (
        r.exit_code == 1 and "政策研究员无权冲正台账记录" in r.output
    )  # a policy researcher may not reverse
    r = runner.invoke(app, ["ledger", "reverse", "1", "--user", "wang"])
    assert r.exit_code == 1 and "冲正须说明原因" in r.output
    r = runner.invoke(app, ["ledger", "reverse", "99", "--user", "wang", "--reason", "银行退回"])
    assert r.exit_code == 1 and "没有台账记录 #99" in r.output
    back = ["--kind", "returned", "--evidence", "HD-0412", "--money-back-on", beijing_today().isoformat()]
    out = _ok(["ledger", "reverse", "1", "--user", "wang", "--reason", "银行退回", *back])
    assert "已冲正 reversed (退汇 returned, 凭证号 evidence HD-0412" in out and "entry #1" in out
    assert "银行退回" in out
    r = runner.invoke(app, ["ledger", "reverse", "1", "--user", "wang", "--reason", "又退回"])
    assert r.exit_code == 1 and "台账记录 #1 已于" in r.output and "不能重复冲正" in r.output
    listing = _ok(["ledger"])
    assert "已冲正" in listing and "另有已冲正 1 笔" in listing
    # a clean copy of the record (QA: only a table cut at 80 columns): every entry, reversed marked
    _ok(["ledger", "--out", str(tmp_path / "ledger.xlsx")])
    sheet = list(openpyxl.load_workbook(tmp_path / "ledger.xlsx")["支付台账"].iter_rows(values_only=True))
    rows = [dict(zip(sheet[0], r, strict=True)) for r in sheet[1:]]
    assert sheet[0][:5] == ("台账号", "企业名称", "统一社会信用代码", "园区", "政策") and len(rows) == 3
    (done,) = [r for r in rows if r["状态"] == "已冲正"]  # with what it rests on
    assert (done["冲正类型"], done["凭证号"], done["款项退回日期"].date()) == (
        "退汇",
        "HD-0412",
        beijing_today(),
    )
    assert [r["状态"] for r in rows].count("已冲正") == 1 and all(
        len(r["统一社会信用代码"]) == 18 for r in rows
    )
    # QA: codes only, times as text, and the amount column summed a reversed payment; the web's
    # export names the firm, the policy and the clause, and so does the CLI's now
    assert all(r["企业名称"] and r["政策"] != r["政策代码"] and r["条款"].startswith("第") for r in rows)
    assert all(isinstance(r["支付时间 (北京时间)"], dt.datetime) for r in rows)
    live = sum(r["计入合计的金额(元)"] for r in rows)
    assert live == sum(r["金额(元)"] for r in rows if r["状态"] == "有效") < sum(r["金额(元)"] for r in rows)
    assert f"{display_fen(int(live * 100), '元')} 元" in listing
    r = runner.invoke(app, ["ledger", "--out", str(tmp_path / "ledger.csv")])
    assert r.exit_code == 2 and "不支持的文件类型" in r.output
    assert re.search(r"2 笔 entries, [0-9,.]+ 元", listing)
    assert "620,000.00" not in listing.splitlines()[-1]  # the reversed amount is not counted
