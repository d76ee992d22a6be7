"""`zonebrain kpi`: economic operations and targets (经济运行与目标考核).

Register it in the main CLI with ``main_app.add_typer(app, name="kpi")``. Sub-commands:
``indicators``, ``template``, ``import-targets``, ``import-actuals``, ``target set``,
``target history``, ``monitor``, ``warnings``, ``contributions``, ``forecast``, ``backtest``,
``quality``, ``report``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table

from zonebrain import kpi
from zonebrain.cli import _common
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse

app = typer.Typer(
    help="经济运行与目标考核：指标目录、目标导入、月度监测、预警、贡献度、预测、数据质量、分析报告。"
    " Economic operations and targets: indicators, target import, monthly monitoring, warnings,"
    " contributions, forecast, data quality, the monthly Word report.",
    add_completion=False,
    no_args_is_help=True,
)

MonthOpt = Annotated[
    str | None,
    typer.Option(
        "--month",
        help="月份, 如 2024-06 (默认最新有数据的月份)。 Month as YYYY-MM (default: the latest with data).",
    ),
]
FormatOpt = Annotated[
    str,
    typer.Option("--format", help="输出格式 table|csv|json。 Output format (machine-readable: csv, json)."),
]
SuspectOpt = Annotated[
    bool,
    typer.Option(
        "--exclude-suspect",
        help="剔除疑似单位错误的企业月度值。 Leave out enterprise-month values flagged as likely unit errors.",
    ),
]
CatalogueOpt = Annotated[
    Path | None,
    typer.Option(
        "--catalogue", help="指标目录 YAML (默认内置)。 Indicator catalogue YAML (default: built-in)."
    ),
]


UserOpt = Annotated[
    str | None,
    typer.Option("--user", help="修改人 (默认当前系统用户)。 Who makes the change (default: the OS user)."),
]
ZoneNameOpt = Annotated[
    str | None,
    typer.Option(
        "--zone-name",
        help="报告封面的园区名称 (默认为仓库中园区的简称, 取自园区定义文件)。 Zone name on the cover "
        "(default: the short name of the warehouse's zone, from its zone file).",
    ),
]


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): the caller must say who
        raise InputError(
            "无法确定当前用户, 请用 --user 指明修改人 (cannot tell who you are; pass --user)"
        ) from None


def _month(wh: Warehouse, text: str | None) -> tuple[int, int]:
    """The --month asked for (default: the latest with data); a month without monthly data is refused."""
    if text is None:
        got = kpi.latest_month(wh)
        if got is None:
            raise InputError("仓库中没有月度数据 (no monthly data); 请先导入或用 --month 指定")
        return got
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"月份 '{text}' 无效 (bad month); 请写成 2024-06 / write YYYY-MM")
    year, month = int(m.group(1)), int(m.group(2))
    kpi.check_month(wh, year, month)
    return year, month


def _emit(t: pa.Table, fmt: str) -> bool:
    """Print *t* as CSV or JSON lines when asked; False for the human table."""
    if fmt == "table":
        return False
    if fmt == "csv":
        import io

        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(t, buf)
        typer.echo(buf.getvalue().decode("utf-8"), nl=False)
        return True
    if fmt == "json":
        import json

        for row in t.to_pylist():
            typer.echo(json.dumps(row, ensure_ascii=False, default=str))
        return True
    raise InputError(f"未知格式 '{fmt}' (unknown format); 可用 table, csv, json")


def _fmt(v: object, unit: str, display: str) -> str:
    return kpi.display_value(v, unit, display)


def _pct(v: object, pp: bool = False) -> str:
    if v is None or not isinstance(v, float):
        return "—"
    return f"{v:+.1f}" if pp else f"{v:.1%}"


@app.command("indicators")
def indicators_cmd(catalogue: CatalogueOpt = None) -> None:
    """列出指标目录。 List the indicator catalogue."""
    with _common.input_errors():
        cat = kpi.load_catalogue(catalogue)
    t = Table(title="指标目录 / Indicators")
    for h in ("id", "指标", "单位", "类型", "汇总", "方向", "来源", "推算比率"):
        t.add_column(h)
    for i in cat.indicators:
        rate = f"{i.rate.percent.normalize():f}%{' (假设)' if i.rate.assumption else ''}" if i.rate else ""
        t.add_row(i.id, i.name_zh, i.display_unit, i.kind, i.aggregation, i.direction, i.source, rate)
    _common.console.print(t)
    for i in cat.assumptions():
        assert i.rate is not None
        _common.console.print(f"{i.name_zh}: {i.rate.describe()}", markup=False)


@app.command("template")
def template_cmd(
    year: Annotated[int, typer.Option("--year", help="年度。 Target year.")],
    out: Annotated[Path, typer.Option("--out", help="输出 .xlsx。 Output workbook.")] = Path("targets.xlsx"),
    catalogue: CatalogueOpt = None,
) -> None:
    """写出目标责任书模板 (每行园区, 每列指标)。 Write the targets workbook template."""
    with _common.input_errors():
        path = kpi.write_template(out, year, catalogue=kpi.load_catalogue(catalogue), zone=_common.zone())
    _common.console.print(f"已写出 / written: {path}", markup=False)


def _report_import(r: kpi.KpiImport) -> None:
    _common.console.print(
        f"{r.kind}: {r.status}, {r.rows} 行 / rows; 新增 inserted {r.inserted}, 更新 updated {r.updated}, "
        f"未变 unchanged {r.unchanged}, 冲突 conflicts {r.conflicts} (batch {r.batch_id})",
        markup=False,
    )


@app.command("import-targets")
def import_targets_cmd(
    file: Annotated[Path, typer.Argument(help="目标责任书 .xlsx/.csv。 Targets workbook.")],
    year: Annotated[
        int | None, typer.Option("--year", help="无年度列/表名时的年度。 Year if the file has none.")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="来源。 Source name.")] = "目标责任书",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验。 Validate only.")] = False,
    catalogue: CatalogueOpt = None,
    user: UserOpt = None,
) -> None:
    """校验并导入年度目标 (改动记入目标修改历史)。 Validate and import annual targets (all or nothing; changes go to the history)."""
    with _common.input_errors(), _common.warehouse() as wh:
        r = kpi.import_targets(
            wh,
            file,
            source=source,
            year=year,
            catalogue=kpi.load_catalogue(catalogue),
            zone=_common.zone(),
            dry_run=dry_run,
            user=user or _os_user(),
        )
    _report_import(r)


@app.command("import-actuals")
def import_actuals_cmd(
    file: Annotated[
        Path, typer.Argument(help="园区月度报送 .xlsx/.csv (园区, 月份, 指标列)。 Park actuals file.")
    ],
    source: Annotated[str, typer.Option("--source", help="来源。 Source name.")] = "园区报送",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验。 Validate only.")] = False,
    catalogue: CatalogueOpt = None,
) -> None:
    """校验并导入园区月度实绩 (当月值)。 Validate and import park-level monthly actuals (the month's own value)."""
    with _common.input_errors(), _common.warehouse() as wh:
        r = kpi.import_actuals(
            wh,
            file,
            source=source,
            catalogue=kpi.load_catalogue(catalogue),
            zone=_common.zone(),
            dry_run=dry_run,
        )
    _report_import(r)


target_app = typer.Typer(
    help="年度目标: 修改 (留痕) 与修改历史。 Annual targets: change one (with history), list the history.",
    add_completion=False,
    no_args_is_help=True,
)
app.add_typer(target_app, name="target")


@target_app.command("set")
def target_set_cmd(
    park: Annotated[str, typer.Argument(help="园区 id, 如 wutong。 Park id.")],
    indicator: Annotated[str, typer.Argument(help="指标 id 或名称。 Indicator id or name.")],
    year: Annotated[int, typer.Argument(help="年度。 Year.")],
    value: Annotated[
        str,
        typer.Argument(help="目标值, 按指标显示单位 (如 万元、家)。 Target in the indicator's display unit."),
    ],
    reason: Annotated[str, typer.Option("--reason", help="修改原因 (必填)。 Why (required).")],
    user: UserOpt = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit", help="金额单位 元/万元/亿元 (默认指标的显示单位)。 Money unit (default: display unit)."
        ),
    ] = None,
    catalogue: CatalogueOpt = None,
) -> None:
    """修改一个年度目标, 并记入目标修改历史。 Change one annual target and record it in the history."""
    with _common.input_errors(), _common.warehouse() as wh:
        cat = kpi.load_catalogue(catalogue)
        ind = cat.get(indicator)
        amount = kpi.parse_target_value(ind, value, unit)
        change = kpi.set_target(
            wh, park, ind.id, year, amount, user=user or _os_user(), reason=reason, catalogue=cat
        )
    shown = f"{_fmt(change.old, ind.unit, ind.display_unit)} → {_fmt(change.new, ind.unit, ind.display_unit)}"
    status = "已修改 / changed" if change.changed else "未变 / unchanged (nothing written)"
    _common.console.print(
        f"{park} {ind.name_zh} {year} ({ind.display_unit}): {shown}  {status}", markup=False
    )


@target_app.command("history")
def target_history_cmd(
    park: Annotated[str | None, typer.Option("--park", help="园区 id。 Park id.")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", help="指标。 Indicator.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="年度。 Year.")] = None,
    catalogue: CatalogueOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """目标修改历史 (谁、何时、原值 → 新值、原因)。 Target history: who, when, old → new, why."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        cat = kpi.load_catalogue(catalogue)
        t = kpi.target_history(wh, park, indicator, year, catalogue=cat)
        if _emit(t, fmt):
            return
    table = Table(title="目标修改历史 / target history")
    for h in ("时间 (北京时间)", "园区", "指标", "年度", "原值", "新值", "修改人", "来源", "原因"):
        table.add_column(h)
    for r in t.to_pylist():
        try:
            ind = cat.get(r["indicator"])
            unit, display, name = ind.unit, ind.display_unit, f"{ind.name_zh}({ind.display_unit})"
        except InputError:  # an indicator since removed from the catalogue: raw values
            unit, display, name = "count", "", r["indicator"]
        table.add_row(
            beijing_text(r["changed_at"]),
            r["park_id"],
            name,
            str(r["year"]),
            _fmt(r["old_value"], unit, display),
            _fmt(r["new_value"], unit, display),
            r["changed_by"],
            r["source"],
            r["reason"],
        )
    _common.console.print(table)
    if not t.num_rows:
        _common.console.print("无修改记录 / no changes recorded", markup=False)


def _print_monitor(t: pa.Table, title: str) -> None:
    table = Table(title=title)
    for h in ("园区", "指标", "累计", "同比", "目标", "完成率", "序时进度", "超/欠(百分点)", "排名", "状态"):
        table.add_column(h)
    for r in t.to_pylist():
        table.add_row(
            r["park"],
            f"{r['indicator_name']}({r['display_unit']})",
            _fmt(r["ytd"], r["unit"], r["display_unit"]),
            _pct(r["yoy"]),
            _fmt(r["target"], r["unit"], r["display_unit"]),
            _pct(r["completion"]),
            _pct(r["progress"]),
            _pct(r["gap_pp"], pp=True),
            str(r["rank"] or "—"),
            r["status"],
        )
    _common.console.print(table)


@app.command("monitor")
def monitor_cmd(
    month: MonthOpt = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="只看这些指标。 Only these.")
    ] = None,
    working_days: Annotated[
        bool, typer.Option("--working-days", help="序时进度按工作日。 Progress by working days.")
    ] = False,
    catalogue: CatalogueOpt = None,
    fmt: FormatOpt = "table",
    exclude_suspect: SuspectOpt = False,
) -> None:
    """月度监测: 累计、同比、完成率、序时进度、排名。 Monthly monitoring table."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        y, m = _month(wh, month)
        t = kpi.monitor(
            wh,
            y,
            m,
            catalogue=kpi.load_catalogue(catalogue),
            indicators=indicator,
            basis="working_days" if working_days else None,
            exclude_suspect=exclude_suspect,
        )
        if _emit(t, fmt):
            return
        scope = kpi.scope_note(wh, y, m)
    _print_monitor(t, f"{kpi.period_label(y, m)} 经济运行监测 / monitoring\n{scope}")


@app.command("warnings")
def warnings_cmd(month: MonthOpt = None, catalogue: CatalogueOpt = None, fmt: FormatOpt = "table") -> None:
    """预警: 落后序时进度、同比下降。 Warnings: behind schedule, year-on-year declines."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        y, m = _month(wh, month)
        t = kpi.warnings(wh, y, m, catalogue=kpi.load_catalogue(catalogue))
        if _emit(t, fmt):
            return
    for r in t.to_pylist():
        _common.console.print(f"[{r['kind']}] {r['message']}", markup=False)
    if not t.num_rows:
        _common.console.print("无预警 / no warnings", markup=False)


@app.command("contributions")
def contributions_cmd(
    park: Annotated[str, typer.Argument(help="园区 id。 Park id.")],
    indicator: Annotated[str, typer.Argument(help="指标。 Indicator.")],
    month: MonthOpt = None,
    top: Annotated[int, typer.Option("--top", help="列出前 N 家。 Top N.")] = 20,
    exclude_suspect: SuspectOpt = False,
) -> None:
    """企业贡献度 (合计等于园区同比变化)。 Enterprise contributions to a park's change (adds up exactly)."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        y, m = _month(wh, month)
        ind = kpi.load_catalogue().get(indicator)
        t = kpi.contributions(wh, park, ind.id, y, m, top=top, exclude_suspect=exclude_suspect)
    table = Table(
        title=f"{park} {ind.name_zh}({ind.display_unit}) {kpi.period_label(y, m)} 贡献度 / contributions"
    )
    for h in ("排名", "企业", "本年累计", "上年同期", "增减", "贡献率"):
        table.add_column(h)
    for r in t.to_pylist():
        table.add_row(
            str(r["rank"] or ""),
            r["name"] or r["uscc"] or "",
            *(_fmt(r[k], ind.unit, ind.display_unit) for k in ("ytd", "ytd_prev", "change")),
            _pct(r["share"]),
        )
    _common.console.print(table)


@app.command("forecast")
def forecast_cmd(month: MonthOpt = None, fmt: FormatOpt = "table", catalogue: CatalogueOpt = None) -> None:
    """全年预测 (季节占比模型, 区间)。 Year-end forecast with an interval."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        y, m = _month(wh, month)
        cat = kpi.load_catalogue(catalogue)
        t = kpi.forecast(wh, y, m, catalogue=cat)
        if _emit(t, fmt):
            return
        scope = kpi.scope_note(wh, y, m)
    table = Table(title=f"{y} 年全年预测 ({kpi.period_label(y, m)}累计) / year-end forecast\n{scope}")
    for h in ("园区", "指标(单位)", "累计", "全年预测", "下限", "上限", "目标", "预测完成率", "参考年数"):
        table.add_column(h, justify="left" if h in ("园区", "指标(单位)") else "right")
    for r in kpi.forecast_rows(t, cat).to_pylist():
        table.add_row(
            *(r[k] for k in ("park_id", "indicator", "ytd", "forecast", "low", "high", "target")),
            r["forecast_completion"],
            r["years_used"],
        )
    _common.console.print(table)


@app.command("backtest")
def backtest_cmd(
    year: Annotated[int, typer.Option("--year", help="回测年度。 Year to backtest.")] = 2024,
) -> None:
    """预测回测: 模型与朴素基线的 MAPE。 Backtest: MAPE of the model vs the naive baseline."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        t = kpi.backtest(wh, year)
    summary = t.filter(pa.compute.equal(t["month"], 0))
    _common.console.print(
        _common.arrow_table(f"{year} 回测 / backtest (month=0: 1–11 月平均)", summary, money=())
    )


@app.command("quality")
def quality_cmd(month: MonthOpt = None, fmt: FormatOpt = "table") -> None:
    """数据质量: 未报送、缺月、疑似单位错误。 Data quality: not reported, missing months, unit slips."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        y, m = _month(wh, month)
        t = kpi.data_quality(wh, y, m)
        if _emit(t, fmt):
            return
    for r in t.to_pylist():
        _common.console.print(f"[{r['issue']}] {r['message']}", markup=False)
    _common.console.print(f"共 {t.num_rows} 项 / {t.num_rows} issue(s)", markup=False)


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出 .docx。 Output Word file.")],
    month: MonthOpt = None,
    exclude_suspect: SuspectOpt = False,
    zone_name: ZoneNameOpt = None,
) -> None:
    """生成月度经济运行分析 Word 报告。 Write the monthly economic-operations Word report."""
    from zonebrain.cli.report_cmd import report_zone

    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        if out.suffix.lower() != ".docx":
            raise InputError(f"--out 须为 .docx 文件 / --out must end in .docx: {out}")
        y, m = _month(wh, month)
        name = zone_name or report_zone(wh, zone_name).short_name_zh
        path = kpi.build_report(wh, y, m, out, exclude_suspect=exclude_suspect, zone_name=name)
    _common.console.print(f"已写出 / written: {path}", markup=False)
