"""`zonebrain complexity`: economic complexity of a location × activity (× year) file.

Register it in the main CLI with ``main_app.add_typer(app, name="complexity")``; the sub-app has a
single callback (``invoke_without_command=True``), so the usage is exactly
``zonebrain complexity INPUT --location COL --activity COL --value COL [--year COL] ... --out FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from zonebrain.complexity import ComplexityResult, clean, compute
from zonebrain.core.errors import InputError

app = typer.Typer(
    help="经济复杂度与关联度：RCA、ECI/PCI、邻近度、关联密度、COI/COG。"
    " Economic complexity and relatedness: RCA, ECI/PCI, proximity, density, COI/COG.",
    add_completion=False,
    no_args_is_help=True,
    subcommand_metavar="",
    # a group stops reading options at its first argument unless told otherwise
    context_settings={"allow_interspersed_args": True},
)

_LEVELS = ("pairs", "locations", "activities")


def _read_table(path: Path, text_columns: list[str]) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt", ".gz"):
        # keys stay text (product codes such as "0102" keep their leading zero)
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str))
    raise InputError(
        f"无法读取 {path}：请使用 CSV 或 Parquet 文件 (cannot read {path}: use a .csv or .parquet file)"
    )


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    elif suffix in (".csv", ".txt"):
        frame.to_csv(path, index=False)
    else:
        raise InputError(
            f"无法写出 {path}：输出文件请用 .csv 或 .parquet (cannot write {path}: use a .csv or .parquet name)"
        )


def _output(
    result: ComplexityResult, level: str, location: str, activity: str, year: str | None
) -> pd.DataFrame:
    if level == "locations":
        return result.locations
    if level == "activities":
        return result.activities
    by_loc = [location] if year is None else [year, location]
    by_act = [activity] if year is None else [year, activity]
    pairs = result.pairs
    out = pairs.merge(result.locations, on=by_loc, how="left").merge(result.activities, on=by_act, how="left")
    for key in (location, activity):
        out[key] = out[key].astype(pairs[key].cat.categories.dtype)
    return out


@app.callback(invoke_without_command=True)
def complexity(
    input_file: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="输入表（CSV 或 Parquet），每行一个（年份、）地区、活动及数值。"
            " Input table (CSV or Parquet), one row per (year,) location and activity.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    location: Annotated[str, typer.Option(help="地区列名。 Location column (country, city, park).")],
    activity: Annotated[
        str, typer.Option(help="活动列名。 Activity column (product, industry, chain node).")
    ],
    value: Annotated[
        str, typer.Option(help="数值列名（出口额、产值等）。 Value column (exports, output, jobs).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="输出文件（.csv 或 .parquet）。 Output file (.csv or .parquet).",
            dir_okay=False,
        ),
    ],
    year: Annotated[
        str | None,
        typer.Option(help="年份列名（可选，多年一次算完）。 Year column (optional; all years in one run)."),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(
            help="人口表（CSV/Parquet：地区列、可选年份列、population 列），给出则按 RPOP 判定。"
            " Population table (location column, optional year column, 'population'); enables RPOP.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    convention: Annotated[
        str,
        typer.Option(
            help="口径：atlas（默认，同 Stata/Atlas/OEC）或 ecomplexity（同 PyPI 包）。"
            " Convention: atlas (default; Stata, Atlas, OEC) or ecomplexity (the PyPI package).",
        ),
    ] = "atlas",
    threshold: Annotated[float, typer.Option(help="RCA 门槛。 RCA threshold for presence.")] = 1.0,
    presence_test: Annotated[
        str | None,
        typer.Option(
            help="存在性判定：rca、rpop、both（任一满足）或 manual（数值即 0/1）。"
            " Presence test: rca, rpop, both (either) or manual (value is 0/1).",
        ),
    ] = None,
    level: Annotated[
        str,
        typer.Option(
            help="输出粒度：pairs（地区×活动，含 ECI/PCI）、locations 或 activities。"
            " Output level: pairs (location × activity, with ECI/PCI joined), locations or activities.",
        ),
    ] = "pairs",
    clean_data: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="先清洗：去掉人口<100万或总额<10亿的地区、总额<1000万的活动。"
            " Clean first: drop locations with population < 1e6 or total < 1e9, activities with total < 1e7.",
        ),
    ] = False,
    disconnected: Annotated[
        str,
        typer.Option(
            help="网络不连通时：raise（报错）或 largest（只算最大连通部分）。"
            " If the network falls apart: raise, or largest (compute on the largest part).",
        ),
    ] = "raise",
) -> None:
    """计算经济复杂度并写出整洁表。 Compute economic complexity and write a tidy table."""
    console = Console(stderr=True)
    try:
        if level not in _LEVELS:
            raise InputError(
                f"未知输出粒度 --level {level!r}；可选 pairs、locations、activities "
                f"(unknown --level {level!r}; choose pairs, locations or activities)"
            )
        panel = _read_table(input_file, [location, activity])
        pop = _read_table(population, [location]) if population is not None else None
        if clean_data:
            panel = clean(panel, location=location, activity=activity, value=value, year=year, population=pop)
        n_years = panel[year].nunique() if year is not None and year in panel.columns else 1
        with Progress(
            TextColumn("[bold]复杂度 complexity[/bold] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=n_years < 2,
            transient=False,
        ) as progress:
            task = progress.add_task("", total=n_years)

            def tick(done_year: object, done: int, total: int) -> None:
                progress.update(task, completed=done, description=str(done_year))

            result = compute(
                panel,
                location=location,
                activity=activity,
                value=value,
                year=year,
                population=pop,
                convention=convention,
                threshold=threshold,
                presence_test=presence_test,  # type: ignore[arg-type]  # validated by compute
                disconnected=disconnected,  # type: ignore[arg-type]
                progress=tick,
            )
        table = _output(result, level, location, activity, year)
        _write_table(table, out)
    except InputError as err:
        # the messages of zonebrain.complexity are Chinese first, the English in parentheses
        console.print(
            f"[red]错误 Error:[/red] {escape(str(err))}", markup=True, highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None
    issues = result.issues
    if not issues.empty:
        console.print(
            f"注意：{len(issues)} 个地区或活动未参与计算或指标无定义，详见 API 的 result.issues "
            f"(Note: {len(issues)} location(s)/activity(ies) left out or undefined; see the API's "
            "result.issues).",
            highlight=False,
        )
    console.print(f"已写出 Wrote {len(table):,} rows to {out}", highlight=False)
