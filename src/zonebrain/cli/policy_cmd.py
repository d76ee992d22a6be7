"""`zonebrain policy`: policy rules, runs and traces (政策兑现: 规则、测算、追溯).

Register it in the main CLI with ``main_app.add_typer(app, name="policy")``. Sub-commands:
``list``, ``test``, ``run``, ``explain``, ``lint``, ``check``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zonebrain import policy
from zonebrain.cli import _common
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen

app = typer.Typer(
    help="政策兑现：政策规则 (YAML)、测试用例、批量测算、逐条追溯。"
    " Policies: rules as YAML, their test cases, runs over the warehouse, traces per enterprise.",
    add_completion=False,
    no_args_is_help=True,
)

DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="政策目录 (默认内置政策库)。 Policy folder (default: the built-in library)."),
]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        _common.err_console.print(f"[red]错误 / error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None


@app.command("list")
def list_cmd(folder: DirOpt = None) -> None:
    """列出政策及其条款。 List the policies and their clauses."""
    with _errors():
        lib = policy.load_library(folder)
        t = Table("政策 policy", "条款 clause", "引用 ref", "名称 title", "一次性 once")
        for p in lib.policies.values():
            for c in p.clauses:
                t.add_row(p.id, c.id, c.ref.text(), c.title, "是" if c.once else "")
        _common.console.print(t)


@app.command("test")
def test_cmd(folder: DirOpt = None) -> None:
    """运行政策旁的 YAML 测试用例 (内存仓库, 真实测算)。 Run the YAML test cases beside the policies."""
    with _errors():
        outcomes = policy.run_cases(folder)
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        _common.console.print(f"[red]FAIL[/red] {o.file.name}: {o.case}", highlight=False)
        for p in o.problems:
            _common.console.print(f"    {p}", highlight=False, markup=False)
    _common.console.print(f"{len(outcomes) - len(failed)} 通过 passed, {len(failed)} 失败 failed")
    if failed or not outcomes:
        raise typer.Exit(code=1)


@app.command("run")
def run_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="测算基准日 YYYY-MM-DD。 As-of date.")],
    period: Annotated[
        int | None,
        typer.Option("--period", help="考核年度 (默认上一年)。 Year assessed (default: the year before)."),
    ] = None,
    policies: Annotated[
        list[str] | None,
        typer.Option("--policy", help="只测算这些政策 (可重复)。 Only these policies (repeatable)."),
    ] = None,
    folder: DirOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只测算不写入。 Evaluate without recording.")
    ] = False,
) -> None:
    """批量测算并记录一次运行。 Evaluate every enterprise and record the run."""
    with _errors():
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise InputError(
                f"日期 '{as_of}' 无效 (bad date); 请写成 2025-03-31 / write YYYY-MM-DD"
            ) from None
        lib = policy.load_library(folder).select(policies)
        with _common.warehouse(read_only=dry_run) as wh:
            r = policy.run_policies(wh, lib, day, period=period, write=not dry_run)
    t = Table("政策 policy", "条款 clause", "符合 eligible", "待核实 undetermined", "金额(万元) amount")
    summary = r.results.group_by(["policy_id", "clause_id", "status"]).aggregate(
        [("uscc", "count"), ("amount_fen", "sum")]
    )
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for row in summary.to_pylist():
        d = rows.setdefault(
            (row["policy_id"], row["clause_id"]), {"eligible": 0, "undetermined": 0, "fen": 0}
        )
        if row["status"] in ("eligible", "undetermined"):
            d[row["status"]] = row["uscc_count"]
        d["fen"] += row["amount_fen_sum"] or 0
    for (pid, cid), d in sorted(rows.items()):
        t.add_row(pid, cid, str(d["eligible"]), str(d["undetermined"]), display_fen(d["fen"], "万元"))
    _common.console.print(t)
    state = "未写入 (dry run)" if dry_run else f"运行 run_id {r.run_id}"
    _common.console.print(
        f"{state}; 年度 period {r.period}; policies {r.policies_hash[:12]}; parameters {r.parameters_hash[:12]}; "
        f"{len(r.batch_ids)} 个数据批次 batches",
        highlight=False,
    )


def _labels(lib: policy.Library) -> dict[tuple[str, str], list[str | None]]:
    """(policy, clause) → the labels of the conditions in trace order (family leaves, then the clause's)."""
    out: dict[tuple[str, str], list[str | None]] = {}
    for p in lib.policies.values():
        fam = lib.families.get(p.family or "")
        shared = [] if fam is None else [x for t in (fam.eligibility, *fam.exclusions) for x in t.leaves()]
        for c in p.clauses:
            out[p.id, c.id] = [x.label for x in (*shared, *c.when.leaves())]
    return out


@app.command("explain")
def explain_cmd(
    uscc: Annotated[str, typer.Argument(help="统一社会信用代码。 The enterprise's USCC.")],
    run_id: Annotated[
        str | None, typer.Option("--run", help="运行编号 (默认最新)。 Run id (default: latest).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出原始追溯 JSON。 Print the raw trace JSON.")
    ] = False,
    folder: DirOpt = None,
) -> None:
    """打印一家企业每条款的结果与追溯。 Print an enterprise's result and trace for every clause."""
    with _errors(), _common.warehouse(read_only=True) as wh:
        rows = policy.load_results(wh, run_id, uscc).to_pylist()
        labels = _labels(policy.load_library(folder))
    if not rows:
        _common.err_console.print(f"该运行中没有企业 {uscc} (no results for this enterprise in the run)")
        raise typer.Exit(code=1)
    for row in rows:
        trace = json.loads(row["trace"])
        if as_json:
            typer.echo(json.dumps(trace, ensure_ascii=False))
            continue
        amount = "—" if row["amount_fen"] is None else display_fen(row["amount_fen"], "元") + " 元"
        _common.console.print(
            f"[bold]{row['policy_id']}/{row['clause_id']}[/bold] ({trace['ref']}): {row['status']}  {amount}",
            highlight=False,
        )
        names = labels.get((row["policy_id"], row["clause_id"]), [])
        if len(names) != len(trace["conditions"]):
            names = [None] * len(trace["conditions"])  # the policy changed since the run: no labels
        for c, name in zip(trace["conditions"], names, strict=True):
            mark = {True: "✓", False: "✗", None: "?"}[c["result"]]
            label = f"  {name}" if name else ""
            value = "" if c["value"] is None else f" = {c['value']}"
            _common.console.print(
                f"   {mark} [{c['ref']}] {c['test']}{value}{label}", highlight=False, markup=False
            )
        a = trace["amount"]
        _common.console.print(
            f"   金额 amount [{a['ref']}]: {a['rule']}; base {a['base']} → {a['fen']}", markup=False
        )
        for key in ("superseded_by", "kept_over", "ledger"):
            if key in trace:
                _common.console.print(f"   {key}: {trace[key]}", markup=False)
        if row["missing_fields"]:
            _common.console.print(f"   待核实, 需补充 / missing: {row['missing_fields']}", markup=False)


@app.command("lint")
def lint_cmd(folder: DirOpt = None) -> None:
    """公平竞争审查提示: 与纳税挂钩、按来源地或所有制区别对待的条款。
    Fair-competition review: clauses tied to tax paid, or treating firms by origin or ownership."""
    with _errors():
        findings = policy.lint(policy.load_library(folder))
    t = Table("级别 severity", "规则 rule", "政策/条款 clause", "原因 reason", "依据 basis")
    for f in findings:
        t.add_row(f.severity, f.rule, f"{f.policy_id}/{f.clause_id} ({f.ref})", f.reason, f.basis)
    _common.console.print(t)
    errors = sum(f.severity == "error" for f in findings)
    _common.console.print(f"{errors} 错误 errors, {len(findings) - errors} 提示 warnings")
    if errors:
        raise typer.Exit(code=1)


@app.command("check")
def check_cmd(
    uscc: Annotated[str | None, typer.Argument(help="统一社会信用代码。 The enterprise's USCC.")] = None,
    form: Annotated[
        Path | None, typer.Option("--form", help="企业自测表 YAML (不读仓库)。 A filled-in self-check form.")
    ] = None,
    period: Annotated[
        int | None, typer.Option("--period", help="考核年度 (默认上一年)。 Year assessed.")
    ] = None,
    folder: DirOpt = None,
) -> None:
    """企业自测: 可享受的政策、金额, 以及其余政策缺少的数据。
    Enterprise self-check: what it qualifies for, the amounts, and the data missing for the rest."""
    with _errors():
        lib = policy.load_library(folder)
        year = period if period is not None else dt.date.today().year - 1
        if form is not None:
            results = policy.self_check(None, lib, year, form=form)
        elif uscc is None:
            raise InputError("请给出统一社会信用代码或 --form 自测表 (give a USCC or --form FILE)")
        else:
            with _common.warehouse(read_only=True) as wh:
                results = policy.self_check(wh, lib, year, uscc=uscc)
    if results.num_rows == 0:
        _common.err_console.print(f"仓库中没有企业 {uscc} (no such enterprise in the warehouse)")
        raise typer.Exit(code=1)
    t = Table("政策/条款 clause", "结果 status", "金额(元) amount", "需补充 missing")
    labels = {
        "eligible": "可享受",
        "ineligible": "不符合",
        "undetermined": "待核实",
        "superseded": "从高不重复",
    }
    for row in results.to_pylist():
        amount = "" if row["amount_fen"] is None else display_fen(row["amount_fen"], "元")
        status = f"{labels.get(row['status'], row['status'])} {row['status']}"
        t.add_row(f"{row['policy_id']}/{row['clause_id']}", status, amount, row["missing_fields"] or "")
    _common.console.print(t)
