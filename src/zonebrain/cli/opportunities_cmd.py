"""`zonebrain opportunities`: opportunity ranking (招商机会) and the backtest of the feasibility measure.

Mount it in the main CLI with ``main_app.add_typer(app, name="opportunities")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from zonebrain.core.errors import InputError, ZoneBrainError
from zonebrain.targeting import (
    COMPONENTS,
    BacktestReport,
    backtest,
    export_opportunities,
    holdout_check,
    opportunities,
)

app = typer.Typer(
    help="招商机会：可行性 × 吸引力排名与回测。 Opportunities: feasibility × attractiveness ranking and backtests.",
    add_completion=False,
    no_args_is_help=True,
)
console = Console(soft_wrap=True)


def _read(path: Path, text_columns: list[str]) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"找不到文件 {path} (file not found: {path})")
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix in (".csv", ".txt", ".gz"):
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str))
    raise InputError(
        f"无法读取 {path}：请使用 CSV 或 Parquet 文件 (cannot read {path}: use .csv or .parquet)"
    )


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(
            f"--k 须为逗号分隔的正整数 (--k must be comma-separated positive integers: {text!r})"
        ) from None
    if not ks or min(ks) < 1:
        raise InputError(
            f"--k 须为逗号分隔的正整数 (--k must be comma-separated positive integers: {text!r})"
        )
    return ks


FORMATS = ("table", "csv", "json")


def _format(fmt: str) -> str:
    """The output format, refused (bilingual) unless table, csv or json."""
    if fmt not in FORMATS:
        raise InputError(
            f"--format 输出格式须为 {'|'.join(FORMATS)} (--format must be one of {', '.join(FORMATS)}; got {fmt!r})"
        )
    return fmt


def _show(report: BacktestReport, title: str, fmt: str, out: Path | None) -> None:
    if out is not None:
        if out.suffix.lower() in (".parquet", ".pq"):
            report.pairs.to_parquet(out, index=False)
        else:
            report.pairs.to_csv(out, index=False)
    if fmt == "json":
        payload = {
            "locations": report.n_locations,
            "activities": report.n_activities,
            "candidates": report.n_candidates,
            "positives": report.n_positives,
            "summary": report.summary.to_dict(orient="records"),
        }
        console.print_json(json.dumps(payload, ensure_ascii=False))
        return
    if fmt == "csv":
        console.print(report.summary.to_csv(index=False), end="", highlight=False)
        return
    console.print(
        f"{title}: {report.n_locations} 地区 locations × {report.n_activities} 活动 activities; "
        f"{report.n_candidates:,} 候选 candidates (absent at start), {report.n_positives:,} 进入 entered",
        highlight=False,
    )
    console.print(report.to_markdown(), highlight=False)
    console.print(
        "density = 关联密度 relatedness density (opportunity measure); size = 活动全局规模 global activity size "
        "(baseline)",
        highlight=False,
    )


LocationOpt = Annotated[str, typer.Option("--location", help="地区列 / location column")]
ActivityOpt = Annotated[str, typer.Option("--activity", help="活动列 / activity column")]
ValueOpt = Annotated[str, typer.Option("--value", help="数值列 / value column")]
KOpt = Annotated[str, typer.Option("--k", help="precision@k 的 k（逗号分隔）/ k values, comma-separated")]
FormatOpt = Annotated[str, typer.Option("--format", help="输出格式 / output: table|csv|json")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="写出所有候选对 (.csv/.parquet) / write every candidate pair")
]


@app.command(
    "backtest",
    short_help="回测：用起始期关联密度预测新出现的优势活动。 Backtest the relatedness density against history.",
)
def backtest_cmd(
    start: Annotated[Path, typer.Option("--start", help="起始期面板 / panel at the start date")],
    end: Annotated[Path, typer.Option("--end", help="结束期面板 / panel at the end date")],
    location: LocationOpt,
    activity: ActivityOpt,
    value: ValueOpt,
    k: KOpt = "5,10,20",
    threshold: Annotated[float, typer.Option(help="RCA 门槛 / presence threshold")] = 1.0,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
) -> None:
    """回测：用起始期关联密度预测结束期新出现的优势活动 (Mcp 0→1)，对比全局规模基线。

    Backtest: rank each location's absent activities by relatedness density at the start; report
    ROC-AUC and precision@k for predicting which become present (Mcp = 1) at the end, against
    ranking by global activity size.
    """
    try:
        ks = _ks(k)
        fmt = _format(fmt)
        text = [location, activity]
        report = backtest(
            _read(start, text),
            _read(end, text),
            location=location,
            activity=activity,
            value=value,
            ks=ks,
            threshold=threshold,
        )
        _show(report, "回测 Backtest", fmt, out)
    except (InputError, ZoneBrainError) as err:
        console.print(f"[red]错误 Error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None


@app.command(
    "holdout",
    short_help="截面检验：隐藏部分存在后预测。 Hold-out check: hide some presences and predict them.",
)
def holdout_cmd(
    panel: Annotated[Path, typer.Argument(help="面板文件 / panel file (.csv/.parquet)")],
    location: LocationOpt,
    activity: ActivityOpt,
    value: ValueOpt,
    share: Annotated[float, typer.Option(help="隐藏的存在比例 / share of presences hidden")] = 0.2,
    seed: Annotated[int, typer.Option(help="随机种子 / random seed")] = 0,
    k: KOpt = "5,10,20",
    fmt: FormatOpt = "table",
    out: OutOpt = None,
) -> None:
    """截面检验：随机隐藏部分存在 (Mcp=1)，用其余部分预测。

    Cross-sectional check: hide a random share of the presences and predict them from the rest
    (same report as the backtest).
    """
    try:
        fmt = _format(fmt)
        report = holdout_check(
            _read(panel, [location, activity]),
            location=location,
            activity=activity,
            value=value,
            share=share,
            seed=seed,
            ks=_ks(k),
        )
        _show(report, "截面检验 Hold-out check", fmt, out)
    except (InputError, ZoneBrainError) as err:
        console.print(f"[red]错误 Error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None


def _parse_weights(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise InputError(
                f"--weight 须写成 名称=数值 (write --weight NAME=VALUE, got {item!r}); 名称 / names: "
                f"{', '.join(COMPONENTS)}"
            )
    return out


@app.command(
    "rank",
    short_help="招商机会排名：可行性 × 吸引力 × 链匹配。 Opportunity ranking: feasibility × attractiveness × fit.",
)
def rank_cmd(
    preset: Annotated[
        str, typer.Option(help="权重方案 / preset: 稳妥|均衡|跨越 (safe|balanced|leap)")
    ] = "均衡",
    weight: Annotated[
        list[str] | None, typer.Option("--weight", help="覆盖权重 / override a weight: NAME=VALUE (repeat)")
    ] = None,
    year: Annotated[int, typer.Option(help="面板年度 / panel year")] = 2024,
    measure: Annotated[str, typer.Option(help="指标 / measure: revenue_fen|firms|employees")] = "revenue_fen",
    zone_code: Annotated[
        str | None,
        typer.Option(
            help="园区代码 (默认为仓库中的园区) / zone division code (default: the warehouse's zone)"
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="显示前 N 项 / rows to show")] = 20,
    fmt: FormatOpt = "table",
    out: Annotated[
        Path | None, typer.Option("--out", help="写出 .xlsx/.csv/.parquet / write the ranking")
    ] = None,
) -> None:
    """招商机会排名：园区尚未形成优势的行业小类，按可行性 × 吸引力 × 链匹配排序。

    Opportunity ranking of the GB/T 4754 classes the zone does not yet hold (feasibility ×
    attractiveness × fit), with the preset's weights shown.
    """
    from zonebrain.cli._common import warehouse

    try:
        fmt = _format(fmt)
        if top < 1:
            raise InputError(f"--top 须 ≥ 1 (--top must be ≥ 1, got {top})")
        wh = warehouse(read_only=True)
        try:
            result = opportunities(
                wh,
                year=year,
                measure=measure,
                zone_code=zone_code,
                preset=preset,
                weights=_parse_weights(weight or []),
            )
        finally:
            wh.close()
        if out is not None:
            suffix = out.suffix.lower()
            if suffix == ".xlsx":
                export_opportunities(result, out)
            elif suffix in (".parquet", ".pq"):
                result.table.to_pandas().to_parquet(out, index=False)
            else:
                result.table.to_pandas().to_csv(out, index=False)
        frame = result.table.to_pandas().head(top)
        if fmt == "json":
            console.print_json(frame.to_json(orient="records", force_ascii=False))
        elif fmt == "csv":
            console.print(frame.to_csv(index=False), end="", highlight=False)
        else:
            w = result.weights.to_pandas()
            console.print(f"园区 Zone: {result.zone_code}; 年度 Year: {result.year}", highlight=False)
            console.print(
                "权重 Weights: " + ", ".join(f"{r.component}={r.weight:.2f}" for r in w.itertuples()),
                highlight=False,
            )
            cols = [
                "rank",
                "activity_code",
                "name",
                "score",
                "feasibility",
                "attractiveness",
                "fit",
                "gap_nodes",
            ]
            console.print(
                frame[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"), highlight=False
            )
            for note in result.notes:
                console.print(f"注意 Note: {note}", highlight=False)
    except (InputError, ZoneBrainError) as err:
        console.print(f"[red]错误 Error:[/red] {err}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None
