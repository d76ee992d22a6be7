"""`zonebrain chains`: industry-chain definitions and the enterprise → chain-node classifier.

Register it in the main CLI with ``main_app.add_typer(app, name="chains")``. Sub-commands:
``validate``, ``list``, ``classify``, ``evaluate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from zonebrain.chains import (
    Classifier,
    classify_frame,
    evaluate,
    load_chains,
    read_labelled,
    validate_chain_dir,
)
from zonebrain.cli import _common
from zonebrain.core.errors import InputError

app = typer.Typer(
    help="产业链：链定义校验与列表、企业经营范围→产业链节点分类与评估。"
    " Industry chains: validate and list chain definitions, classify business scopes onto chain nodes, evaluate.",
    add_completion=False,
    no_args_is_help=True,
)

console = Console()
err_console = Console(stderr=True)

DEFAULT_LABELLED = Path("tests/chains/data/labelled_scopes.csv")

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="用户产业链目录 (其中所有 *.yaml 与内置链一起加载)。"
        " Folder of user chain files (*.yaml), loaded together with the built-in chains.",
    ),
]


@app.command("validate")
def validate_cmd(chain_dir: DirOption = None) -> None:
    """校验内置链与 --dir 中的链文件, 逐条列出错误 (文件:行)。 Validate chain files; list every error with file and line."""
    with _common.input_errors():
        errors = validate_chain_dir(chain_dir)
    if errors:
        for e in errors:
            err_console.print(str(e), markup=False, highlight=False)
        err_console.print(f"共 {len(errors)} 处错误 / {len(errors)} error(s)", markup=False)
        raise typer.Exit(code=1)
    with _common.input_errors():
        chains = load_chains(chain_dir)
    console.print(f"全部有效 / all valid: {len(chains)} 条产业链 / chains", markup=False)


@app.command("list")
def list_cmd(chain_dir: DirOption = None) -> None:
    """列出产业链及节点数。 List chains with their node and edge counts."""
    with _common.input_errors():
        chains = load_chains(chain_dir)
    table = Table(title="产业链 / Industry chains")
    for col in ("id", "名称", "name", "节点 nodes", "上/中/下游", "供应关系 edges", "文件 file"):
        table.add_column(col, justify="right" if col.startswith(("节点", "供应")) else "left")
    for chain in chains:
        stages = [sum(1 for n in chain.nodes if n.stage.value == s) for s in ("上游", "中游", "下游")]
        table.add_row(
            chain.id,
            chain.name_zh,
            chain.name_en,
            str(len(chain.nodes)),
            "/".join(map(str, stages)),
            str(len(chain.edges)),
            chains.files.get(chain.id, ""),
        )
    console.print(table)


def _read_any(path: Path, text_columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"文件不存在 / file not found: {path}")
    suffix = path.suffix.lower()
    dtypes = dict.fromkeys(text_columns, str)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, dtype=dtypes)
    if suffix in (".csv", ".txt", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        try:
            return pd.read_csv(path, dtype=dtypes, sep=sep, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=dtypes, sep=sep, encoding="gb18030")
    raise InputError(f"无法读取 {path}: 请使用 CSV 或 XLSX / cannot read {path}: use a .csv or .xlsx file")


def _write_any(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame.to_excel(path, index=False)
    elif suffix in (".csv", ".txt"):
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        raise InputError(f"无法写入 {path}: 输出请用 .csv 或 .xlsx / cannot write {path}: use .csv or .xlsx")


@app.command("classify")
def classify_cmd(
    file: Annotated[Path, typer.Argument(help="企业名单 (CSV/XLSX)。 Enterprise list (CSV or XLSX).")],
    text_column: Annotated[
        str, typer.Option("--text-column", help="经营范围列名。 Column with the business scope.")
    ],
    out: Annotated[Path, typer.Option("--out", help="输出文件 (.csv/.xlsx)。 Output file (.csv or .xlsx).")],
    code_column: Annotated[
        str | None, typer.Option("--code-column", help="行业代码列 (GB/T 4754 小类)。 Industry-code column.")
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="标识列 (如统一社会信用代码)。 Id column, e.g. the USCC."),
    ] = None,
    overrides: Annotated[
        Path | None,
        typer.Option(
            "--overrides",
            help="人工调整表 CSV (uscc, chain, node, action=add|remove, note)。 Manual overrides table.",
        ),
    ] = None,
    threshold: Annotated[float, typer.Option(help="置信度阈值。 Confidence threshold.")] = 0.5,
    chain_dir: DirOption = None,
) -> None:
    """按经营范围与行业代码把企业分到产业链节点。 Classify enterprises onto chain nodes by scope text and code."""
    with _common.input_errors():
        text_cols = [c for c in (text_column, code_column, id_column) if c]
        df = _read_any(file, text_cols)
        manual = _read_any(overrides, ["uscc", "chain", "node", "action", "note"]) if overrides else None
        clf = Classifier(load_chains(chain_dir), threshold=threshold)
        result = classify_frame(
            df, text_column, code_col=code_column, id_col=id_column, classifier=clf, overrides=manual
        )
        _write_any(result, out)
    labelled = result.loc[result["chain"] != "(none)", "id"].nunique()
    console.print(
        f"{len(df)} 行 / rows → {labelled} 家有产业链标签 / labelled, {len(result)} 行输出 / output rows → {out}",
        markup=False,
    )


@app.command("evaluate")
def evaluate_cmd(
    labelled: Annotated[
        Path,
        typer.Option(
            "--labelled", help="标注文件 (id, text, chains[, split, industry_code])。 Labelled CSV."
        ),
    ] = DEFAULT_LABELLED,
    split: Annotated[
        str, typer.Option(help="评估子集: dev / heldout / all。 Which rows to score: dev, heldout or all.")
    ] = "all",
    show_errors: Annotated[
        bool, typer.Option("--show-errors", help="列出分错的文本。 List misclassified texts.")
    ] = False,
    chain_dir: DirOption = None,
) -> None:
    """在标注集上计算各链的精确率、召回率、F1 与 micro-F1。 Precision, recall and F1 per chain, plus micro-F1."""
    with _common.input_errors():
        df = read_labelled(labelled)
        report = evaluate(df, chains=load_chains(chain_dir), split=None if split == "all" else split)
    frame = report.to_frame()
    table = Table(title=f"产业链分类评估 / classifier evaluation ({split}, {report.n_texts} 条 texts)")
    for col in ("chain", "name", "support", "tp", "fp", "fn", "precision", "recall", "f1"):
        table.add_column(col, justify="left" if col in ("chain", "name") else "right")
    for row in frame.to_dict("records"):
        table.add_row(*[f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in frame.columns])
    console.print(table)
    console.print(
        f"micro-F1 = {report.micro_f1:.3f}; 无链文本正确 / no-chain texts correct: "
        f"{report.none_correct}/{report.n_none}",
        markup=False,
    )
    if show_errors:
        for e in report.errors:
            console.print(
                f"{e['id']}: 标注 {e['truth'] or '-'} | 预测 {e['predicted'] or '-'} | {e['text']}",
                markup=False,
            )
