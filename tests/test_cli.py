from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.registry.conftest import good_rows, write_csv


def zb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zonebrain.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def zb_each(*commands: Sequence[str], cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """Run independent commands (none writes anything another reads) at once, each in its own
    process as ``zb`` does; their results in the order given. Each costs seconds of start-up."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: zb(*args, cwd=cwd), commands))


def test_import_exit_codes_and_summary(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "e.csv", good_rows(4))
    r = zb("--data-dir", str(tmp_path / "d"), "import", "enterprises", str(good), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "新增 4" in r.stdout
    r = zb("--data-dir", str(tmp_path / "d"), "import", "enterprises", str(good), cwd=tmp_path)
    assert r.returncode == 0 and "already imported" in r.stdout
    rows = good_rows(4)
    rows[1][3] = "9999"
    bad = write_csv(tmp_path / "bad.csv", rows)
    r = zb("--data-dir", str(tmp_path / "d"), "import", "enterprises", str(bad), cwd=tmp_path)
    assert r.returncode == 1
    assert "第 3 行" in r.stderr and "9999" in r.stderr and "Traceback" not in r.stderr
    r = zb("--data-dir", str(tmp_path / "d"), "summary", cwd=tmp_path)
    assert r.returncode == 0 and "梧桐" in r.stdout and "应用软件开发" in r.stdout


def test_help_is_bilingual_and_lists_every_import_kind(tmp_path: Path) -> None:
    r = zb("import", "--help", cwd=tmp_path)
    assert r.returncode == 0
    for kind in ("enterprises", "finance", "monthly", "events", "tags", "reference", "signals", "panel"):
        assert kind in r.stdout
    assert "导入" in r.stdout and "import" in r.stdout


def test_unsupported_warehouse_exits_3(tmp_path: Path) -> None:
    r = zb("--warehouse", "mysql://nowhere", "warehouse", "info", cwd=tmp_path)
    assert r.returncode == 3 and "unsupported" in r.stderr


def test_errors_end_with_a_nonzero_code_and_no_traceback(tmp_path: Path) -> None:
    """What a script or a scheduled job sees: a usage error and a refused input both fail."""
    data = ("--data-dir", str(tmp_path / "d"))
    no_as_of, not_an_integer, refused = zb_each(
        (*data, "policy", "run"),  # --as-of missing
        (*data, "policy", "batch", "show", "abc"),  # not an integer
        (*data, "policy", "lint", "--dir", str(tmp_path / "nowhere")),  # refused input
        cwd=tmp_path,
    )
    assert "--as-of" in no_as_of.stderr
    for r in (no_as_of, not_an_integer, refused):
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    # the parser's English comes after the same in Chinese (QA: typer's errors were English only)
    assert "用法错误 (usage error): 缺少选项 --as-of; 用法见 " in no_as_of.stderr  # … policy run --help
    assert "的值无效: 须为整数; 用法见 " in not_an_integer.stderr, not_an_integer.stderr
    assert no_as_of.stderr.index("用法错误") < no_as_of.stderr.index("Missing option")


def test_usage_errors_read_in_chinese_first() -> None:
    """Each kind of parser error, worded from the exception's fields (no subprocess needed)."""
    from zonebrain.cli._usage import chinese
    from zonebrain.cli.main import app

    def said(*args: str) -> str:
        try:
            app(list(args), standalone_mode=False, prog_name="zonebrain")
        except Exception as exc:  # the parser's own exception classes
            return chinese(exc)
        raise AssertionError(f"{args} parsed")

    assert said("policy", "run", "--as-o", "2025-01-01") == (
        "没有选项 --as-o; 相近的选项: --as-of; 用法见 zonebrain policy run --help"
    )
    assert said("policy", "nosuch") == "没有命令 'nosuch'; 用法见 zonebrain policy --help"
    assert said("policy", "lint", "--data-dir", "x").startswith(
        "没有选项 --data-dir; 相近的选项: --dir; --data-dir 是全局选项, 须写在子命令之前"
    )
    assert said("policy", "explain") == "缺少参数 uscc; 用法见 zonebrain policy explain --help"
    assert (
        said("policy", "run", "--period", "abc")
        == "--period 的值无效: 须为整数; 用法见 zonebrain policy run --help"
    )
    assert said("policy", "run", "--as-of").startswith("选项 --as-of 需要一个值")
    assert said("policy", "run", "--as-of", "2025-03-31", "extra").startswith("多余的参数: extra")
    assert said("policy", "run", "--as-of", "2025-03-31", "--period", "1999").startswith(
        "--period 的值无效: 超出允许的范围"
    )  # QA: it said 无法读取 where the English says the value is out of range
    # a check of ours already words its reason in Chinese: that reason, not a general one
    assert said("policy", "batch", "resolve", "1", "--user", "x", "--note", "y").startswith(
        "--upheld / --dismissed 的值无效: 请在 --upheld (异议成立) 与 --dismissed (不成立) 中恰好选一个"
    )
    assert said("policy", "run", "--as-of").endswith("用法见该命令的 --help")  # no command path known


def test_a_usage_error_quoting_markup_prints_it_plainly(tmp_path: Path) -> None:
    """QA: a ``[`` in a wrong command line was read as rich markup, and the message crashed."""
    (r,) = zb_each(("--data-dir", str(tmp_path / "d"), "policy", "bad[/]"), cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "没有命令 'bad[/]'" in r.stderr


def test_reading_an_empty_data_dir_says_to_import_first(tmp_path: Path) -> None:
    """A fresh data directory: the reading commands say what to do instead of a traceback."""
    data = ("--data-dir", str(tmp_path / "d"))
    for r in zb_each((*data, "summary"), (*data, "kpi", "monitor"), cwd=tmp_path):
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        assert "仓库中还没有数据" in r.stderr and "zonebrain import" in r.stderr, r.stderr


def test_policy_refusals_through_the_entry_point_exit_2_in_chinese_first(tmp_path: Path) -> None:
    """Bad input to a policy command, as a script sees it: exit 2, the message on stderr, no traceback."""
    data = ("--data-dir", str(tmp_path / "d"))
    form = tmp_path / "form.yaml"
    form.write_text(
        "uscc: 91410100MA00000000\nperiod: 2024\nfirm:\n  events: [{kind: x, date: 2023-02-29}]\n"
    )
    whatif, check = zb_each(
        (*data, "policy", "whatif", "--as-of", "2025-03-31", "--budget-rule", "bogus"),
        (*data, "policy", "check", "--form", str(form)),
        cwd=tmp_path,
    )
    assert whatif.returncode == 2 and "按比例分配 (pro_rata)" in whatif.stderr, whatif.stderr
    assert "Traceback" not in whatif.stderr, whatif.stderr
    assert check.returncode == 2 and "第 4 行" in check.stderr and "不是有效日期" in check.stderr, (
        check.stderr
    )


def test_reading_commands_leave_no_warehouse_file_behind(tmp_path: Path) -> None:
    """A reading command in an empty data directory says the warehouse is empty and creates no
    warehouse file; a writing command (here ``warehouse migrate``) creates it."""
    commands = (("summary",), ("kpi", "monitor"), ("portrait", "show"), ("portrait", "diagnose"))
    folders = [tmp_path / f"d{i}" for i in range(len(commands))]  # each its own empty data directory
    for f in folders:
        f.mkdir()
    results = zb_each(
        *(("--data-dir", str(f), *c) for f, c in zip(folders, commands, strict=True)), cwd=tmp_path
    )
    for command, f, r in zip(commands, folders, results, strict=True):
        # read-only: was "cannot open … close other processes"
        assert r.returncode == 3 and "Traceback" not in r.stderr, (command, r.stderr)
        assert "仓库中还没有数据 (仓库文件" in r.stderr and "zonebrain import" in r.stderr, r.stderr
        assert list(f.iterdir()) == [], command
    folder = tmp_path / "d"
    folder.mkdir()
    data = ("--data-dir", str(folder))
    r = zb(*data, "warehouse", "migrate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (folder / "warehouse.duckdb").exists()


def test_a_command_loads_only_its_group() -> None:
    """`zonebrain import …` does not import the other groups' domains (scipy for targeting,
    SQLAlchemy's app-store models for the payout commands): the command starts sooner. `--help`
    and the module's `app` register every group, listed in one order."""
    probe = (
        "import sys\n"
        "from zonebrain.cli import main\n"
        "sys.argv = ['zonebrain', '--data-dir', 'x', 'import', '--help']\n"
        "try:\n    main.main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('scipy.stats', 'zonebrain.appstore', 'zonebrain.policy', 'zonebrain.targeting')"
        " if m in sys.modules)\n"
        "groups = [g.name for g in main._root.registered_groups]\n"
        "print(heavy, groups, file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "导入" in r.stdout  # the group's own help was shown
    assert r.stderr.strip().splitlines()[-1] == "[] ['import']", r.stderr

    from zonebrain.cli import main

    assert main.command_name(["--data-dir", "d", "--warehouse=x", "policy", "run"]) == "policy"
    assert main.command_name(["--zone-file", "z.yaml", "--version"]) is None
    whole = [g.name for g in main.app.registered_groups]
    assert whole == list(main.GROUPS)
