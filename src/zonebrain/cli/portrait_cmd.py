"""`zonebrain portrait`: 产业画像、产业链诊断、对标, and persisting the zone's chain memberships.

Mount with ``app.add_typer(portrait_cmd.app, name="portrait")``; ``classify_zone_cmd`` may also be
registered as ``zonebrain chains classify-zone``. Sub-commands: ``show``, ``diagnose``,
``benchmark``, ``classify-zone``, ``override``.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from zonebrain.cli._common import arrow_table, console, warehouse
from zonebrain.core.clock import beijing_text
from zonebrain.core.errors import InputError

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
MONEY = ("revenue_fen", "output_fen", "tax_fen", "rd_expense_fen", "revenue_per_firm")


class Reference(StrEnum):
    city = "city"
    province = "province"
    nation = "nation"


class LqMeasure(StrEnum):
    firms = "firms"
    revenue_fen = "revenue_fen"
    employees = "employees"


def _write(tables: dict[str, pa.Table], main: str, out: Path) -> None:
    """*out* by suffix: .xlsx gets every table as a sheet; .csv/.json/.parquet the *main* table."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        from zonebrain.reports import export_excel

        export_excel(tables, out, money=MONEY)
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


@app.command("show")
def show_cmd(park: ParkOption = None, out: OutOption = None) -> None:
    """画像: 总量、增长、门类、产业链、规模、集中度、标签、进出 / the portrait tables."""
    from zonebrain.portrait import portrait

    with warehouse() as wh:
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
        _write(tables, "门类", out)
        return
    console.print(f"年份 (year) {p.year}; 园区 (park) {p.park or '全区 zone'}")
    for name in ("总量", "增长", "门类", "产业链", "规模", "集中度", "标签"):
        console.print(arrow_table(name, tables[name], money=MONEY))


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
    from zonebrain.portrait import StrengthRules, diagnose

    rules = StrengthRules(
        strong_lq=strong_lq, strong_min_firms=min_firms, extension_quantile=extension_quantile
    )
    with warehouse() as wh:
        d = diagnose(wh, park=park, reference=reference.value, measure=measure.value, rules=rules)
    tables = {"节点诊断": d.nodes, "链主": d.leaders, "缺口": d.gaps}
    if out is not None:
        _write(tables, "节点诊断", out)
        return
    console.print(f"参照 (reference): {d.reference} {d.reference_year or ''}; 口径 (measure) {d.measure}")
    cols = ["chain_name", "node_name", "stage", "firms", "revenue_fen", "lq", "density", "strength"]
    console.print(arrow_table("节点诊断 / node diagnosis", d.nodes.select(cols), money=MONEY))
    console.print(arrow_table("缺口 / gaps", d.gaps.select(["chain_name", "from_name", "to_name", "gap"])))


@app.command("benchmark")
def benchmark_cmd(
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer", help="对标地区代码, 可重复 (如 410100 郑州市, 420100 武汉市) / peer region code"
        ),
    ] = None,
    park: ParkOption = None,
    out: OutOption = None,
) -> None:
    """对标: 园区与对标地区的同口径指标 / the zone next to peer regions on the same indicators."""
    from zonebrain.portrait import benchmark
    from zonebrain.portrait._report import DEFAULT_PEERS

    with warehouse() as wh:
        b = benchmark(wh, peer or list(DEFAULT_PEERS), park=park)
    if out is not None:
        _write({"对标": b.table, "雷达图": b.radar}, "对标", out)
        return
    console.print(arrow_table("对标 / benchmark", b.table, money=()))


def classify_zone_cmd() -> None:
    """给全区企业分配产业链节点并写入仓库 (保留人工调整) / classify the zone's enterprises onto chain nodes."""
    from zonebrain.chains import classify_zone

    with warehouse() as wh:
        wh.migrate()
        run = classify_zone(wh)
    console.print(
        f"分类完成 (classified) run {run.run_id} at {beijing_text(run.classified_at)} (北京时间): "
        f"{run.enterprises:,} 家企业, {run.classified:,} 家在链上, {run.rows:,} 条节点归属, "
        f"{run.overrides} 条人工调整 (overrides)"
    )


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

    with warehouse() as wh:
        wh.migrate()
        set_override(wh, Override(uscc, chain, node, "remove" if remove else "add", note), author=author)
    console.print("已记录; 运行 classify-zone 使其生效 / recorded; run classify-zone to apply it")
