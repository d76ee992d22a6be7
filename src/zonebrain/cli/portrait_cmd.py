"""`zonebrain portrait`: 产业画像、产业链诊断、对标, and persisting the zone's chain memberships.

Mount with ``app.add_typer(portrait_cmd.app, name="portrait")``; ``classify_zone_cmd`` may also be
registered as ``zonebrain chains classify-zone``. Sub-commands: ``show``, ``diagnose``,
``benchmark``, ``classify-zone``, ``override``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from zonebrain.cli._common import console, input_errors, warehouse
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError
from zonebrain.core.uscc import USCC

if TYPE_CHECKING:
    from zonebrain.portrait import StrengthRules

app = typer.Typer(
    help="产业画像与诊断 / portrait, chain-node diagnosis and benchmarking of the zone or a park",
    no_args_is_help=True,
)

ParkOption = Annotated[
    str | None, typer.Option("--park", help="园区 (代码或简称, 如 石佛) / park id or name; default the zone")
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="写出文件 (.xlsx 为全部表; .csv/.json/.parquet 为主表) / output file"),
]
SHOWN_ROWS = 20
"""Rows of a long table printed on screen (``--out`` writes them all)."""


class Reference(StrEnum):
    city = "city"
    province = "province"
    nation = "nation"


class LqMeasure(StrEnum):
    firms = "firms"
    revenue_fen = "revenue_fen"
    employees = "employees"


def _write(tables: dict[str, pa.Table], main: str, out: Path) -> None:
    """*out* by suffix: .xlsx gets every table as a sheet (Chinese headers, money in 万元);
    .csv/.json/.parquet the *main* table as data (codes, fen, fractions)."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from zonebrain.portrait._labels import write_workbook

        write_workbook(tables, out)
    elif suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(tables[main], out)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(tables[main], out)
    elif suffix == ".json":
        out.write_text(
            json.dumps(tables[main].to_pylist(), ensure_ascii=False, default=str, indent=1), "utf-8"
        )
    else:
        raise InputError(
            f"不支持的输出格式 '{out.suffix}' / unsupported output; use .xlsx, .csv, .json or .parquet"
        )
    console.print(f"已写出 (written): {out}")


def _table(title: str, data: pa.Table, columns: list[str] | None = None, limit: int | None = None) -> Table:
    """A rich table with Chinese headers and formatted cells (万元, %, LQ 2 decimals, — for none)."""
    from zonebrain.portrait._labels import MONEY_COLUMNS, MONEY_UNIT, display_value, header

    names = [c for c in (columns or data.column_names) if c in data.column_names]
    rows = data.select(names).to_pylist()
    if limit is not None and len(rows) > limit:
        title += f" (前 {limit} 行, 共 {len(rows)} 行 / first {limit} of {len(rows)}; --out 写出全部)"
        rows = rows[:limit]
    t = Table(title=title)
    for name in names:
        label = header(name) + (f" ({MONEY_UNIT})" if name in MONEY_COLUMNS else "")
        numeric = pa.types.is_integer(data.schema.field(name).type) or pa.types.is_floating(
            data.schema.field(name).type
        )
        t.add_column(label, justify="right" if numeric else "left")
    for row in rows:
        t.add_row(*[display_value(k, v) for k, v in row.items()])
    return t


@app.command("show")
def show_cmd(park: ParkOption = None, out: OutOption = None) -> None:
    """画像: 总量、增长、逐年、门类、大类、产业链、节点、规模、集中度、标签、进出 / the portrait tables."""
    from zonebrain.portrait import portrait

    with input_errors(), warehouse(read_only=True) as wh:
        p = portrait(wh, park=park)
    tables = {
        "总量": p.totals,
        "增长": p.growth,
        "逐年": p.trend,
        "门类": p.by_section,
        "大类": p.by_division,
        "产业链": p.by_chain,
        "产业链节点": p.by_node,
        "规模": p.sizes,
        "集中度": p.concentration,
        "标签": p.tags,
        "进出": p.flows,
    }
    if out is not None:
        with input_errors():
            _write(tables, "门类", out)
        return
    console.print(f"年份 (year) {p.year or '—'}; 园区 (park) {p.park or '全区 zone'}")
    shown = {
        "总量": None,
        "增长": ["measure", "first_year", "last_year", "first_value", "last_value", "cagr"],
        "逐年": None,
        "门类": None,
        "大类": ["division", "division_name", "enterprises", "revenue_fen", "tax_fen", "revenue_share"],
        "产业链": ["chain_name", "enterprises", "revenue_fen", "tax_fen", "employees", "revenue_cagr"],
        "产业链节点": ["chain_name", "node_name", "stage", "enterprises", "revenue_fen", "employees"],
        "规模": None,
        "集中度": None,
        "标签": None,
        "进出": None,
    }
    for name, columns in shown.items():
        data = tables[name]
        if name == "增长":
            data = _growth_shown(data)
        elif name == "进出":  # the latest years
            data = data.slice(max(0, data.num_rows - SHOWN_ROWS))
        console.print(_table(name, data, columns, SHOWN_ROWS))


def _growth_shown(growth: pa.Table) -> pa.Table:
    """The growth table with its first and last values as text in each measure's unit (万元 for money)."""
    from zonebrain.portrait._labels import MONEY_COLUMNS, display_value

    out = growth
    for col in ("first_value", "last_value"):
        values = [
            display_value("revenue_fen" if m in MONEY_COLUMNS else col, v)
            for m, v in zip(growth["measure"].to_pylist(), growth[col].to_pylist(), strict=True)
        ]
        out = out.set_column(out.column_names.index(col), col, pa.array(values, pa.string()))
    return out


@app.command("diagnose")
def diagnose_cmd(
    park: ParkOption = None,
    reference: Annotated[Reference, typer.Option(help="区位熵参照 / LQ reference economy")] = Reference.city,
    measure: Annotated[LqMeasure, typer.Option(help="区位熵口径 / LQ measure")] = LqMeasure.firms,
    strong_lq: Annotated[float, typer.Option(help="强: 区位熵下限 / LQ for strong")] = 1.2,
    min_firms: Annotated[int, typer.Option(help="强: 企业数下限 / firms for strong")] = 3,
    extension_quantile: Annotated[float, typer.Option(help="延: 关联密度分位数 / density quantile")] = 0.5,
    out: OutOption = None,
) -> None:
    """产业链节点诊断: 企业数、区位熵、关联密度、强/弱/缺/延、链主与缺口 / diagnose every chain node."""
    from zonebrain.portrait import diagnose
    from zonebrain.portrait._labels import node_table

    with input_errors():
        rules = _rules(strong_lq, min_firms, extension_quantile)
        with warehouse(read_only=True) as wh:
            d = diagnose(wh, park=park, reference=reference.value, measure=measure.value, rules=rules)
        tables = {"节点诊断": node_table(d.nodes), "链主": d.leaders, "缺口": d.gaps}
        if out is not None:
            _write(tables, "节点诊断", out)
            return
    console.print(
        f"参照 (reference): {d.reference_zh} {d.reference_year or ''}年; "
        f"口径 (measure) {LQ_MEASURES[d.measure]} ({d.measure})"
    )
    for w in d.warnings:
        console.print(f"[yellow]注意 (note): {escape(w)}[/yellow]")
    cols = [
        "chain_name",
        "node_name",
        "stage",
        "firms",
        "revenue_fen",
        "lq",
        "lq_note",
        "density",
        "strength",
    ]
    console.print(_table("节点诊断 / node diagnosis", tables["节点诊断"], cols))
    console.print(_table("缺口 / gaps", d.gaps, ["chain_name", "from_name", "to_name", "gap"]))


LQ_MEASURES = {"firms": "企业数", "revenue_fen": "营业收入", "employees": "从业人员"}
RULE_OPTIONS = {
    "strong_lq": ("--strong-lq", "须大于 0 / must be greater than 0"),
    "strong_min_firms": ("--min-firms", "须为不小于 1 的整数 / must be an integer of at least 1"),
    "extension_quantile": ("--extension-quantile", "须在 0 到 1 之间 / must be between 0 and 1"),
}


def _rules(strong_lq: float, min_firms: int, extension_quantile: float) -> StrengthRules:
    """The strength rules from the options; a value out of range is an InputError naming the option."""
    from pydantic import ValidationError

    from zonebrain.portrait import StrengthRules

    values: dict[str, float] = {
        "strong_lq": strong_lq,
        "strong_min_firms": min_firms,
        "extension_quantile": extension_quantile,
    }
    try:
        return StrengthRules(
            strong_lq=strong_lq, strong_min_firms=min_firms, extension_quantile=extension_quantile
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        option, rule = RULE_OPTIONS.get(field, (field, str(exc.errors()[0]["msg"])))
        raise InputError(f"{option} {values.get(field)} 无效 (invalid): {rule}") from None


@app.command("benchmark")
def benchmark_cmd(
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer",
            help="对标地区代码, 可重复 (如 410100 郑州市; 默认为园区所在地级市与省) / peer region code, "
            "repeatable (default: the zone's city and province)",
        ),
    ] = None,
    park: ParkOption = None,
    out: OutOption = None,
) -> None:
    """对标: 园区与对标地区的同口径指标 / the zone next to peer regions on the same indicators."""
    from zonebrain.portrait import benchmark, default_peers
    from zonebrain.portrait._diagnosis import zone_code
    from zonebrain.portrait._labels import radar_table

    with input_errors():
        with warehouse(read_only=True) as wh:
            b = benchmark(wh, peer or default_peers(zone_code(wh)), park=park)
        if out is not None:
            _write({"对标": b.table, "雷达图": radar_table(b.radar)}, "对标", out)
            return
    console.print(
        _table("对标 / benchmark", b.table, [c for c in b.table.column_names if c != "region_code"])
    )


def classify_zone_cmd() -> None:
    """给全区企业分配产业链节点并写入仓库 (保留人工调整) / classify the zone's enterprises onto chain nodes."""
    from zonebrain.chains import classify_zone

    with input_errors(), warehouse() as wh:
        wh.migrate()
        run = classify_zone(wh)
    console.print(
        f"分类完成 (classified) run {run.run_id} at {beijing_text(run.classified_at)} (北京时间): "
        f"{run.enterprises:,} 家企业, {run.classified:,} 家在链上, {run.rows:,} 条节点归属, "
        f"{run.overrides} 条人工调整已应用 (overrides applied)"
        + (f", {len(run.ignored)} 条未应用 (not applied):" if run.ignored else ""),
        highlight=False,
    )
    for ov, why in run.ignored:
        target = f"{ov.chain}/{ov.node}" if ov.node else ov.chain
        console.print(f"  {ov.uscc} {ov.action} {target}: {why}", highlight=False, markup=False)


app.command("classify-zone")(classify_zone_cmd)


@app.command("override")
def override_cmd(
    uscc: Annotated[str, typer.Argument(help="统一社会信用代码 / USCC")],
    chain: Annotated[str, typer.Argument(help="产业链 id / chain id")],
    node: Annotated[str | None, typer.Argument(help="节点 id (remove 时可省略) / node id")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="移除而非添加 / remove instead of add")] = False,
    note: Annotated[str, typer.Option(help="说明 / note")] = "",
    author: Annotated[str, typer.Option(help="调整人 / author")] = "",
) -> None:
    """人工调整产业链归属 (下次 classify-zone 起生效且一直保留) / record a manual membership correction."""
    from zonebrain.chains import Override, set_override

    with input_errors(), warehouse() as wh:
        wh.migrate()
        code = USCC.parse(uscc).code
        set_override(wh, Override(code, chain, node, "remove" if remove else "add", note), author=author)
        ent = wh.table("enterprises")
        known = wh.to_arrow(ent.filter(ent.uscc == code).aggregate(n=ent.uscc.count()))["n"][0].as_py()
    console.print("已记录; 运行 classify-zone 使其生效 / recorded; run classify-zone to apply it")
    if not known:
        console.print(
            f"注意: {code} 不在园区企业库中, 导入该企业后才会生效 / "
            "note: the firm is not in the registry; the override applies once it is imported",
            highlight=False,
        )
