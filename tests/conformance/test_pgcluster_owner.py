"""The throwaway PostgreSQL cluster of the tests stops when the process that started it is killed
(QA: a killed test run left a server holding a port and a temporary folder)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conformance.conftest import selected_engines

pytestmark = [
    pytest.mark.slow,
    pytest.mark.engine_postgres,
    pytest.mark.skipif("postgres" not in selected_engines(), reason="PostgreSQL is not a selected engine"),
]

OWNER = """
from zonebrain.storage._pgcluster import start_cluster
c = start_cluster()
print(c.port, c.root, flush=True)
import time
time.sleep(600)
"""


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_a_killed_owner_takes_its_cluster_with_it() -> None:
    with subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True) as owner:
        assert owner.stdout is not None
        port_text, root_text = owner.stdout.readline().split()
        port, root = int(port_text), Path(root_text)
        assert _listening(port) and root.exists()
        owner.kill()  # SIGKILL: no cleanup of its own runs
    deadline = time.monotonic() + 30
    while (_listening(port) or root.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _listening(port), "the server outlived its owner"
    assert not root.exists(), "the cluster's folder outlived its owner"


def test_a_cluster_stopped_by_its_owner_leaves_no_watchdog() -> None:
    from zonebrain.storage._pgcluster import start_cluster

    c = start_cluster()
    dog = c._watchdog
    assert dog is not None and dog.poll() is None
    c.stop()
    assert dog.poll() is not None and not _listening(c.port) and not c.root.exists()
