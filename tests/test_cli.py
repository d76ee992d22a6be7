from __future__ import annotations

import subprocess
import sys
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
    r = zb(*data, "policy", "run", cwd=tmp_path)  # --as-of missing
    assert r.returncode == 2 and "--as-of" in r.stderr and "Traceback" not in r.stderr
    r = zb(*data, "policy", "batch", "show", "abc", cwd=tmp_path)  # not an integer
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = zb(*data, "policy", "lint", "--dir", str(tmp_path / "nowhere"), cwd=tmp_path)  # refused input
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


def test_reading_an_empty_data_dir_says_to_import_first(tmp_path: Path) -> None:
    """A fresh data directory: the reading commands say what to do instead of a traceback."""
    data = ("--data-dir", str(tmp_path / "d"))
    for command in (("summary",), ("kpi", "monitor")):
        r = zb(*data, *command, cwd=tmp_path)
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        assert "仓库中还没有数据" in r.stderr and "zonebrain import" in r.stderr, r.stderr


def test_policy_refusals_through_the_entry_point_exit_2_in_chinese_first(tmp_path: Path) -> None:
    """Bad input to a policy command, as a script sees it: exit 2, the message on stderr, no traceback."""
    data = ("--data-dir", str(tmp_path / "d"))
    r = zb(*data, "policy", "whatif", "--as-of", "2025-03-31", "--budget-rule", "bogus", cwd=tmp_path)
    assert r.returncode == 2 and "按比例分配 (pro_rata)" in r.stderr and "Traceback" not in r.stderr, r.stderr
    form = tmp_path / "form.yaml"
    form.write_text(
        "uscc: 91410100MA00000000\nperiod: 2024\nfirm:\n  events: [{kind: x, date: 2023-02-29}]\n"
    )
    r = zb(*data, "policy", "check", "--form", str(form), cwd=tmp_path)
    assert r.returncode == 2 and "第 4 行" in r.stderr and "不是有效日期" in r.stderr, r.stderr


def test_reading_commands_leave_no_warehouse_file_behind(tmp_path: Path) -> None:
    """A reading command in an empty data directory says the warehouse is empty and creates no
    warehouse file; a writing command (here ``warehouse migrate``) creates it."""
    folder = tmp_path / "d"
    folder.mkdir()
    data = ("--data-dir", str(folder))
    for command in (("summary",), ("kpi", "monitor"), ("portrait", "show"), ("portrait", "diagnose")):
        r = zb(*data, *command, cwd=tmp_path)  # read-only: was "cannot open … close other processes"
        assert r.returncode == 3 and "Traceback" not in r.stderr, (command, r.stderr)
        assert "仓库中还没有数据 (仓库文件" in r.stderr and "zonebrain import" in r.stderr, r.stderr
        assert list(folder.iterdir()) == [], command
    r = zb(*data, "warehouse", "migrate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (folder / "warehouse.duckdb").exists()
