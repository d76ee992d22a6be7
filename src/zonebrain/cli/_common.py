"""Shared CLI helpers: the global options, the console, progress bars, error exits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from zonebrain.core import clock, settings
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.registry import Zone, load_zone
from zonebrain.storage import Warehouse, open_warehouse

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


class State:
    """Global options given before the sub-command."""

    data_dir: str | None = None
    warehouse: str | None = None
    zone_file: str | None = None


state = State()


@contextmanager
def input_errors() -> Iterator[None]:
    """A refused input (:class:`InputError`) ends the command with its message and exit code 2."""
    try:
        yield
    except InputError as exc:
        err_console.print(f"[red]错误 / error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None


def parse_day(text: str) -> dt.date:
    """A date option written YYYY-MM-DD: every date option of the CLI reads it here, with the
    forms' parser (:func:`zonebrain.core.clock.parse_day`)."""
    return clock.parse_day(text)


def warehouse(read_only: bool = False) -> Warehouse:
    url = settings.warehouse_url(state.data_dir, state.warehouse)
    return open_warehouse(url, read_only=read_only, data_dir=data_dir())


def registry_exists() -> bool:
    """Whether the warehouse has been created (a server's database, or an existing DuckDB file)."""
    url = str(settings.warehouse_url(state.data_dir, state.warehouse)).removeprefix("duckdb://")
    return "://" in url or url == "spark" or Path(url).exists()


def zone() -> Zone:
    path = settings.get("zone_file", state.zone_file)
    return load_zone(Path(path) if path else None)


def data_dir() -> Path:
    return Path(settings.get("data_dir", state.data_dir))


@contextmanager
def progress_bar(transient: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress display; yields a callback ``(step, done, total)``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
    ) as prog:
        tasks: dict[str, TaskID] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = prog.add_task(step, total=total)
            prog.update(tasks[step], completed=done, total=total)

        yield update


def arrow_table(title: str, data: pa.Table, money: tuple[str, ...] = ("revenue_fen",)) -> Table:
    """A rich table of *data*; money columns shown in 万元."""
    t = Table(title=title)
    for name in data.column_names:
        label = name.replace("_fen", "(万元)") if name in money else name
        t.add_column(label, justify="right" if name in money or name == "enterprises" else "left")
    for row in data.to_pylist():
        t.add_row(
            *[display_fen(int(v), "万元") if k in money and v is not None else str(v) for k, v in row.items()]
        )
    return t
