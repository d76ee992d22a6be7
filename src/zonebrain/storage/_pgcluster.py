"""A throwaway PostgreSQL cluster in a temporary folder, for the conformance tests and benchmarks.

Uses the server binaries of Debian's ``postgresql`` package (``initdb``, ``pg_ctl``). The
server refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
Durability is switched off (``fsync=off``): the cluster lives for one test run. A watchdog
process stops it and removes its folder when the process that started it dies without stopping
it (killed, or a test run interrupted): a server outliving its owner held a port and a
temporary folder until the machine restarted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from zonebrain.core.errors import ConfigError


def server_bindir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed major version)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    raise ConfigError(
        "找不到 PostgreSQL 服务器程序 initdb (PostgreSQL server binaries not found); "
        "Debian/Ubuntu: apt-get install postgresql"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running local cluster; :meth:`url` names a database in it."""

    root: Path
    port: int
    user: str = "zonebrain"
    _bindir: Path = field(default_factory=server_bindir)
    _watchdog: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def start(self) -> Cluster:
        data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            self._cmd(
                str(self._bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                self.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        subprocess.run(
            self._cmd(
                str(self._bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.root / "server.log"),
                "-o",
                options,
                "-w",
                "start",
            ),
            check=True,
            capture_output=True,
        )
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.root), *self._stop_command()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not in the owner's process group: a ^C to the tests spares it
        )
        return self

    def _stop_command(self) -> list[str]:
        return self._cmd(
            str(self._bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"
        )

    def create_database(self, name: str) -> str:
        """Create database *name* (``CREATE DATABASE``) and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._watchdog is not None:  # stopped by its owner: the watchdog has nothing left to do
            self._watchdog.kill()
            self._watchdog.wait()
            self._watchdog = None
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(self._stop_command(), check=True, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


_WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def alive():
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{owner}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True
while alive():
    time.sleep(0.5)
subprocess.run(stop, capture_output=True)
shutil.rmtree(root, ignore_errors=True)
"""
"""Run by ``python -c`` with the owner's process id, the cluster's folder and the stop command:
waits for the owner to end, then stops the server and removes the folder. An owner is gone when
signalling it raises ``ProcessLookupError`` or it is a zombie (killed, not yet reaped by its
parent); a process of another user (a reused id, ``PermissionError``) counts as alive: a cluster
kept too long, never one stopped under its owner."""


def start_cluster() -> Cluster:
    """Initialise and start a cluster on a free port in a new temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="zonebrain-pg-"))
    os.chmod(root, 0o755)
    cluster = Cluster(root, free_port())
    try:
        return cluster.start()
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = (exc.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
        cluster.stop()
        raise ConfigError(f"无法启动临时 PostgreSQL (cannot start a throwaway PostgreSQL): {detail}") from exc
