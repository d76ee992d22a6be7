"""``zonebrain warehouse copy --from URL --to URL``: move a whole warehouse to another engine."""

from __future__ import annotations

from rich.table import Table

from zonebrain.cli._common import console, data_dir, err_console, progress_bar
from zonebrain.core.errors import ConfigError
from zonebrain.storage import open_warehouse
from zonebrain.storage._copy import copy_warehouse


def copy_command(from_url: str, to_url: str) -> None:
    """复制整个仓库到另一个引擎并按行数与校验和核对 / copy a whole warehouse to another engine, verified.

    *from_url* and *to_url* are warehouse URLs as for ``--warehouse`` (a DuckDB path,
    ``postgresql://…``, ``spark…``); Spark keeps its Parquet under the data directory (``--data-dir``).
    The target must be empty. Raises :class:`zonebrain.core.errors.ZoneBrainError` on failure.
    """
    if from_url == to_url:
        raise ConfigError(
            "源与目标相同 (source and target are the same warehouse); 请指定另一个目标 / name another target"
        )
    folder = data_dir()
    with (
        open_warehouse(from_url, read_only=True, data_dir=folder) as source,
        open_warehouse(to_url, data_dir=folder) as target,
    ):
        with progress_bar(transient=True) as step:
            copied = copy_warehouse(source, target, progress=step)
        t = Table(title=f"{source.engine} {source.url} → {target.engine} {target.url}")
        t.add_column("表 table")
        t.add_column("行数 rows", justify="right")
        t.add_column("校验和 checksum")
        t.add_column("核对 verified")
        for c in copied:
            t.add_row(c.name, f"{c.rows:,}", c.digest, "✓")
        console.print(t)
        err_console.print(
            f"[green]复制完成并已核对 (copied and verified): {sum(c.rows for c in copied):,} 行 rows"
        )
