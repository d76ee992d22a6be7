"""A command on a local Spark warehouse prints ZoneBrain's Chinese output without Spark's English
start-up warnings (QA: the hostname, native-library and "Setting default log level" lines came
before every command's own message). Run in a child process: the tests' own session is running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.conftest import selected_engines


@pytest.mark.slow
@pytest.mark.parametrize("spark", [e for e in selected_engines() if e == "spark"])
def test_a_spark_command_starts_quietly(spark: str, tmp_path: Path) -> None:
    url = f"spark://local[1]?path={tmp_path / 'wh'}&spark.ui.enabled=false"
    cmd = [
        str(Path(sys.executable).parent / "zonebrain"),
        "--data-dir",
        str(tmp_path),
        "--warehouse",
        url,
        "summary",
    ]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert "仓库中还没有数据" in r.stderr, r.stderr  # it did start Spark and answer
    noise = [line for line in r.stderr.splitlines() if " WARN " in line or "log level" in line]
    assert noise == [], r.stderr
