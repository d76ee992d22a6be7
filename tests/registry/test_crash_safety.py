"""SIGKILL an import partway: the warehouse must be exactly as it was before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.registry.conftest import good_rows, write_csv
from zonebrain.core.uscc import build_many
from zonebrain.storage import TABLES, open_warehouse

pytestmark = pytest.mark.slow


def reference_csv(path: Path, n: int) -> Path:
    rng = np.random.default_rng(7)
    alphabet = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
    bodies = np.char.add("M", ["".join(r) for r in rng.choice(alphabet, size=(n, 7))])
    codes = np.unique(build_many(np.full(n, "440300"), bodies))
    lines = ["统一社会信用代码,企业名称,所在地区代码,行业代码,注册资本(万元),成立日期"]
    lines += [f"{c},深圳{i}号有限公司,440300,6513,{i % 997}.25,2015-06-01" for i, c in enumerate(codes)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(db: Path) -> dict[str, tuple[int, str]]:
    with open_warehouse(db, read_only=True) as wh:
        return {name: wh.checksum(name) for name in TABLES}


def start_import(db: Path, data: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "zonebrain.cli.main",
        "--warehouse",
        str(db),
        "import",
        "reference",
        str(data),
    ]
    log = db.with_suffix(".log")
    with open(log, "ab") as err:
        return subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=err)


def test_kill_during_uncommitted_write_leaves_warehouse_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "zonebrain.cli.main",
            "--warehouse",
            str(db),
            "import",
            "enterprises",
            str(write_csv(tmp_path / "e.csv", good_rows(20))),
        ],
        check=True,
        capture_output=True,
    )
    before = snapshot(db)
    assert before["enterprises"][0] == 20
    data = reference_csv(tmp_path / "ref.csv", 60_000)
    marker = tmp_path / "writing"
    proc = start_import(
        db, data, {"ZONEBRAIN_TEST_PAUSE_BEFORE_COMMIT": "60", "ZONEBRAIN_TEST_MARKER": str(marker)}
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, db.with_suffix(".log").read_text(encoding="utf-8")
        assert time.monotonic() < deadline, "import never reached the write"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    # and the warehouse still works: the same import now completes
    done = start_import(db, data, {})
    assert done.wait(300) == 0
    after = snapshot(db)
    assert after["reference_enterprises"][0] == 60_000
    assert after["enterprises"] == before["enterprises"]


def test_kill_at_random_moments_is_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    data = reference_csv(tmp_path / "ref.csv", 40_000)
    with open_warehouse(db) as wh:
        wh.migrate()
    empty = snapshot(db)
    rng = np.random.default_rng(1)
    outcomes = []
    for delay in rng.uniform(0.5, 4.0, size=5):
        proc = start_import(db, data, {})
        time.sleep(float(delay))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        state = snapshot(db)
        loaded = state["reference_enterprises"][0]
        # the batch is there whole, with its bookkeeping row, or not at all
        assert (loaded, state["import_batches"][0]) in ((0, 0), (40_000, 1)), f"partial state at {delay:.2f}s"
        if loaded == 0:
            for table in ("reference_enterprises", "import_batches", "import_conflicts"):
                assert state[table] == empty[table]
        outcomes.append(loaded)
        if loaded:
            break
    assert outcomes, "no attempt ran"
