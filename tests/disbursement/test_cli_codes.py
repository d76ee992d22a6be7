"""The 兑现 commands' exit codes as docs/policy.md's table gives them: bad input (an unreadable or
impossible date, an unknown status, an ``--out`` file of another type, ``--end`` before
``--start``, a missing ``--user``, a ``--policy`` the run did not evaluate) exits 2 before anything
is opened; a refusal by role or state keeps 1 and is audited. Every refused step is in the audit
log (an enterprise user objecting to another firm's item too), and a refused cancel says who may."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.disbursement._data import A, C
from tests.disbursement._flow import publicized
from tests.disbursement.conftest import People, ZoneFile
from zonebrain.appstore import AppStore, Role, open_app_store
from zonebrain.cli import _common
from zonebrain.cli.policy_cmd import app
from zonebrain.disbursement import BatchStatus, Disbursement, NotAllowed, RunRows

runner = CliRunner()
PASSWORD = "a-long-password"


@pytest.fixture
def shell(zone_file: ZoneFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with the four-firm warehouse, one recorded run and batch #1 built by chen
    and reviewed by liu (version 2); its app store's path is returned."""
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.delenv("ZONEBRAIN_APP_DB", raising=False)
    monkeypatch.setenv("ZONEBRAIN_PASSWORD", PASSWORD)  # the steps that move money check it
    monkeypatch.chdir(tmp_path)  # any file a command would write lands here
    run_id = zone_file.copy_to(tmp_path / "wh.duckdb")  # the four-firm warehouse with one run
    app_db = tmp_path / "app.sqlite"
    with open_app_store(app_db, password_cost="low") as store:
        store.users.add("chen", PASSWORD, Role.POLICY_RESEARCHER)
        store.users.add("liu", PASSWORD, Role.POLICY_RESEARCHER)
        store.users.add("wang", PASSWORD, Role.LEADER)
        store.users.add("firm_c", PASSWORD, Role.ENTERPRISE_USER, uscc=C)
    for args in (["batch", "create", "--run", run_id, "--user", "chen"], ["batch", "review", "1"]):
        extra = ["--user", "liu", "--version", "1"] if args[1] == "review" else []
        r = runner.invoke(app, [*args, *extra])
        assert r.exit_code == 0, r.output
    return app_db


def _audit(app_db: Path) -> list[tuple[str, str, str, str]]:
    with open_app_store(app_db, create=False) as store:
        return [(e.action, e.target, e.username, e.outcome) for e in store.audit.entries()]


def _status(app_db: Path) -> BatchStatus:
    with open_app_store(app_db, create=False) as store:
        return Disbursement(store).batch(1).status


PUBLICIZE = ["batch", "publicize", "1", "--user", "chen", "--version", "2"]


BAD_INPUT = [
    ([*PUBLICIZE, "--start", "2026/12/01"], "日期 '2026/12/01' 无效 (bad date)"),
    ([*PUBLICIZE, "--start", "2026-02-30"], "日期 '2026-02-30' 不存在 (no such day"),
    ([*PUBLICIZE, "--end", "2026-13-01"], "日期 '2026-13-01' 不存在 (no such day"),
    (
        [*PUBLICIZE, "--start", "2030-01-10", "--end", "2030-01-01"],
        "公示截止日 2030-01-01 早于开始日 2030-01-10",
    ),
    (["publicity", "--batch", "1", "--out", "x.pdf", "--user", "chen"], "不支持的文件类型 'x.pdf'"),
    (["publicity", "--batch", "1", "--out", "x.pdf", "--user", "firm_c"], "不支持的文件类型 'x.pdf'"),
    (["notify", "--batch", "1", "--out", "x.docx", "--user", "chen"], "不支持的文件类型 'x.docx'"),
    (["verify", "update", "1", "--status", "done", "--version", "1", "--user", "chen"], "未知状态 'done'"),
    (["verify", "list", "--status", "done"], "未知状态 'done'"),
    (["verify", "list", "--out", "hs.xlsx"], "导出须给出操作人 --user"),
    (["verify", "list", "--out", "hs.csv", "--user", "chen"], "不支持的文件类型 'hs.csv'"),
    (["batch", "list", "--status", "done"], "未知批次状态 'done'"),
    (["batch", "create", "--user", "chen", "--policy", "no-such-policy"], "没有测算政策 no-such-policy"),
]
"""Commands given input they cannot read, and what they say (one data directory for all: none
of them may change it)."""


def test_bad_input_exits_2_and_changes_nothing(shell: Path) -> None:
    before = _audit(shell)
    for args, said in BAD_INPUT:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exception)
        assert said in r.output, (args, r.output)
    assert _audit(shell) == before  # nothing refused, nothing done: the input was not understood
    assert _status(shell) is BatchStatus.REVIEWED
    assert not [p for p in shell.parent.iterdir() if p.suffix in (".pdf", ".docx", ".xlsx", ".csv")]


def test_refusals_by_role_or_state_keep_exit_1(shell: Path) -> None:
    r = runner.invoke(app, ["batch", "publicize", "1", "--user", "wang", "--version", "2"])
    assert r.exit_code == 1 and "领导无权发布公示" in r.output, r.output  # the role
    r = runner.invoke(app, [*PUBLICIZE, "--start", "2020-01-01"])  # starts before the review
    assert r.exit_code == 1 and "早于本批次的审核日" in r.output, r.output
    r = runner.invoke(app, ["verify", "update", "1", "--status", "open", "--version", "1", "--user", "chen"])
    assert r.exit_code == 1, r.output  # a known status, but not a step forward
    r = runner.invoke(app, ["publicity", "--batch", "1", "--out", "gs.xlsx", "--user", "firm_c"])
    assert r.exit_code == 1 and "企业用户无权导出兑现名单" in r.output, r.output
    assert ("disbursement.export", "batch:1", "firm_c", "denied") in _audit(shell)


def test_an_impossible_as_of_date_is_said_not_to_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common.state, "data_dir", str(tmp_path))  # read before anything is opened
    r = runner.invoke(app, ["run", "--as-of", "2025-02-30"])
    assert r.exit_code == 2, r.output
    assert "日期 '2025-02-30' 不存在 (no such day: day is out of range for month)" in r.output, r.output
    assert "write YYYY-MM-DD" not in r.output  # it was written so
    r = runner.invoke(app, ["run", "--as-of", "2025/03/31"])
    assert r.exit_code == 2 and "请写成 2025-03-31 / write YYYY-MM-DD" in r.output, r.output


def test_all_cli_date_options_share_one_parser() -> None:
    """No module of the command line or the web routes reads a date on its own: the CLI's options
    (``_common.parse_day``) and the forms (``_deps.form_day``) both go through
    ``zonebrain.core.clock.parse_day``."""
    from zonebrain.core import clock
    from zonebrain.web._routes import _deps

    readers = [
        f"{p.parent.name}/{p.name}:{n}"
        for folder in (Path(_common.__file__).parent, Path(_deps.__file__).parent)
        for p in sorted(folder.glob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "fromisoformat(" in line or "strptime(" in line
    ]
    assert readers == [], readers
    assert "clock.parse_day(" in Path(_common.__file__).read_text(encoding="utf-8")
    assert "parse_day(text, what, earliest)" in Path(_deps.__file__).read_text(encoding="utf-8")
    assert "fromisoformat(" in Path(clock.__file__).read_text(encoding="utf-8")


def test_an_objection_to_another_firms_item_is_refused_and_audited_from_the_shell(shell: Path) -> None:
    r = runner.invoke(app, ["batch", "publicize", "1", "--user", "chen", "--version", "2"])
    assert r.exit_code == 0, r.output
    items = [json.loads(x) for x in runner.invoke(app, ["batch", "show", "1", "--json"]).output.splitlines()]
    other = next(i for i in items if i["uscc"] == A)
    r = runner.invoke(
        app,
        ["batch", "object", str(other["id"]), "--user", "firm_c", "--text", "不该拿", "--raised-by", "丙"],
    )
    assert r.exit_code == 1 and "企业用户无权对其他企业的名单项提出异议" in r.output, r.output
    assert ("disbursement.object", f"item:{other['id']}", "firm_c", "denied") in _audit(shell)


def test_every_refused_objection_and_export_is_audited(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = publicized(d, people, first_run)
    other = next(i for i in d.items(b.id) if i.uscc != C)
    with pytest.raises(NotAllowed, match="对其他企业的名单项提出异议"):
        d.object(people.firm_c, other.id, "不该拿", raised_by="丙")
    (e,) = store.audit.entries(action="disbursement.object")
    assert (e.username, e.target, e.outcome) == ("firm_c", f"item:{other.id}", "denied")
    assert e.detail["reason"] == (  # the item named, as the web names it (QA)
        f"企业用户无权对其他企业的名单项提出异议: 名单项 #{other.id} 不是本企业的 (an enterprise user may not "
        f"object to other firms' items: item #{other.id} is not your enterprise's)"
    )
    no_uscc = dataclasses.replace(people.firm_c, uscc=None)  # an enterprise account bound to no firm
    with pytest.raises(NotAllowed, match="未绑定统一社会信用代码"):
        d.export_verification(no_uscc, "待核实.xlsx")
    (e,) = store.audit.entries(action="disbursement.export")
    assert (e.username, e.target, e.outcome) == ("firm_c", "verification", "denied")
    assert not d.objections(b.id)


def test_a_cancel_refused_by_role_says_only_an_admin_or_the_creating_researcher_may(
    d: Disbursement, store: AppStore, people: People, first_run: RunRows
) -> None:
    b = d.create_batch(people.chen, first_run)
    for who in (people.wang, people.li, people.firm_c):
        with pytest.raises(NotAllowed) as refused:
            d.cancel(who, b.id, reason="我不同意")
        said = str(refused.value)
        assert "无权作废兑现批次；须为系统管理员或创建本批次的政策研究员" in said, said
        assert "that needs an administrator or the policy researcher who created it" in said, said
        assert "须为系统管理员或政策研究员" not in said  # any researcher may not: only its creator
    reasons = {e.detail["reason"] for e in store.audit.entries(action="disbursement.cancel")}
    assert all("创建本批次的政策研究员" in r for r in reasons) and len(reasons) == 3
    assert d.batch(b.id).status is BatchStatus.DRAFT
