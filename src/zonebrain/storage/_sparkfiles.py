"""The few file operations the Spark warehouse needs, on a local disk or on Hadoop file systems.

A local path (or ``file:`` URI) is handled with the standard library; any other URI
(``hdfs://``, ``s3a://``, ``abfss://``…) through the cluster's Hadoop ``FileSystem`` via the
classic (Py4J) session. Spark Connect has no client-side file system API, so with ``sc://``
the warehouse path must be a local path that client and server share (a network mount).
"""

from __future__ import annotations

import abc
import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


class Files(abc.ABC):
    """Paths are strings joined with ``/``; :meth:`join` builds them."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    def join(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    @abc.abstractmethod
    def mkdirs(self, path: str) -> None: ...

    @abc.abstractmethod
    def listdir(self, path: str) -> list[str]:
        """Names directly under *path* (empty when it does not exist)."""

    @abc.abstractmethod
    def read_text(self, path: str) -> str: ...

    @abc.abstractmethod
    def publish(self, path: str, text: str) -> bool:
        """Write *text* to a new file *path* at once (temp file, then rename); False if it exists."""

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Remove a file or a folder tree; a missing path is fine."""


class LocalFiles(Files):
    def __init__(self, root: str) -> None:
        super().__init__(str(Path(root.removeprefix("file://")).absolute()))

    def mkdirs(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def listdir(self, path: str) -> list[str]:
        p = Path(path)
        return sorted(x.name for x in p.iterdir()) if p.is_dir() else []

    def read_text(self, path: str) -> str:
        return Path(path).read_text(encoding="utf-8")

    def publish(self, path: str, text: str) -> bool:
        target = Path(path)
        tmp = target.with_name(f".tmp-{uuid.uuid4().hex}")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, target)  # atomic, and fails if another writer got there first
        except FileExistsError:
            return False
        finally:
            tmp.unlink()
        return True

    def delete(self, path: str) -> None:
        p = Path(path)
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


class HadoopFiles(Files):
    """Through the JVM's ``org.apache.hadoop.fs.FileSystem`` (classic sessions only)."""

    def __init__(self, root: str, session: Any) -> None:
        super().__init__(root)
        jvm = session._jvm
        if jvm is None:  # pragma: no cover - Spark Connect
            from zonebrain.core.errors import ConfigError

            raise ConfigError(
                f"Spark Connect 无法管理 {root} 上的文件 (Spark Connect cannot manage files on {root}); "
                "请用 spark://HOST:7077 连接集群，或使用共享的本地路径 / use a classic spark:// master "
                "or a path mounted on both client and server"
            )
        self._path = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path(self.root).getFileSystem(session._jsc.hadoopConfiguration())

    def mkdirs(self, path: str) -> None:
        self._fs.mkdirs(self._path(path))

    def listdir(self, path: str) -> list[str]:
        p = self._path(path)
        if not self._fs.exists(p):
            return []
        return sorted(str(s.getPath().getName()) for s in self._fs.listStatus(p))

    def read_text(self, path: str) -> str:
        stream = self._fs.open(self._path(path))
        try:
            return bytes(stream.readAllBytes()).decode("utf-8")
        finally:
            stream.close()

    def publish(self, path: str, text: str) -> bool:
        target = self._path(path)
        tmp = self._path(path.rsplit("/", 1)[0] + f"/.tmp-{uuid.uuid4().hex}")
        out = self._fs.create(tmp, False)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
        if self._fs.exists(target) or not self._fs.rename(tmp, target):
            self._fs.delete(tmp, False)
            return False
        return True

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), True)


def files_for(root: str, session: Any) -> Files:
    scheme = root.split("://", 1)[0] if "://" in root else ""
    if scheme in ("", "file"):
        return LocalFiles(root)
    return HadoopFiles(root, session)
