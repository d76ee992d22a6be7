"""`zonebrain policy`: policy rules, runs and traces (政策兑现: 规则、测算、追溯).

Register it in the main CLI with ``main_app.add_typer(app, name="policy")``. Sub-commands:
``list``, ``test``, ``run``, ``explain``, ``lint``, ``check`` (``policy_check_cmd``); the 兑现 workflow
(``zonebrain.disbursement``): ``batch create|list|show|review|publicize|close-publicity|object|
resolve|approve|pay|cancel``, ``publicity``, ``notify``, ``ledger [reverse]``, ``verify list|update``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from zonebrain import disbursement, policy
from zonebrain.cli import _common, policy_analysis, policy_check_cmd, policy_hold_cmd, policy_ledger_cmd
from zonebrain.cli._payout_flow import (
    AppDbOpt,
    SignerOpt,
    UserOpt,
    VersionOpt,
    _flow,
    _park_names,
    _signed_in,
    _user,
)
from zonebrain.core.clock import beijing_text, beijing_today
from zonebrain.core.errors import InputError, out_suffix
from zonebrain.core.money import display_fen
from zonebrain.disbursement._convert import batch_status
from zonebrain.disbursement._exports import list_order
from zonebrain.disbursement._guards import min_publicity_days
from zonebrain.disbursement._model import BATCH_LABELS, ITEM_LABELS, RESOLUTIONS
from zonebrain.disbursement._service import check_policies
from zonebrain.policy._coverage import unseen_note, unseen_registers
from zonebrain.policy._explain import STATUS_ZH, in_library_order
from zonebrain.policy._notes import run_period
from zonebrain.policy._run import zone_notes

app = typer.Typer(
    help="政策兑现：政策规则 (YAML)、测试用例、批量测算、逐条追溯。"
    " Policies: rules as YAML, their test cases, runs over the warehouse, traces per enterprise.",
    add_completion=False,
    no_args_is_help=True,
)

DirOpt = policy_analysis.DirOpt


@app.command("list")
def list_cmd(folder: DirOpt = None) -> None:
    """列出政策及其条款。 List the policies and their clauses."""
    with _common.input_errors():
        lib = policy.load_library(folder)
        t = Table("政策 policy", "条款 clause", "引用 ref", "名称 title", "一次性 once")
        for p in lib.policies.values():
            for c in p.clauses:
                t.add_row(p.id, c.id, c.ref.text(), c.title, "是" if c.once else "")
        _common.console.print(t)


@app.command("test")
def test_cmd(folder: DirOpt = None) -> None:
    """运行政策旁的 YAML 测试用例 (内存仓库, 真实测算)。 Run the YAML test cases beside the policies."""
    with _common.input_errors():
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
        typer.Option(
            "--period",
            min=2000,
            max=2100,
            help="考核年度 (默认上一年)。 Year assessed (default: the year before).",
        ),
    ] = None,
    policies: Annotated[
        list[str] | None,
        typer.Option("--policy", help="只测算这些政策 (可重复)。 Only these policies (repeatable)."),
    ] = None,
    folder: DirOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只测算不写入。 Evaluate without recording.")
    ] = False,
    app_db: Annotated[
        str | None,
        typer.Option(
            "--app-db",
            help="应用库 (支付台账) 地址 / app store with the payment ledger [env ZONEBRAIN_APP_DB; "
            "默认 DATA_DIR/app.sqlite, 不存在则视为无支付记录]",
        ),
    ] = None,
) -> None:
    """批量测算并记录一次运行; 一次性奖励查询支付台账 (已兑现的不再符合)。
    Evaluate every enterprise and record the run; one-time awards consult the payment ledger."""
    with _common.input_errors():
        day = _common.parse_day(as_of)
        if not dry_run:  # a recorded run dated after today would become everyone's latest run
            policy.check_as_of(day)
        elif day > beijing_today():
            _common.err_console.print(
                f"[yellow]注意 / warning:[/yellow] 基准日 {day} 晚于今天 ({beijing_today()}, 北京时间); "
                f"仅预演, 不能记录 (the as-of date is after today: a dry run only, it cannot be recorded)",
                highlight=False,
            )
        lib = policy.load_library(folder).select(policies)
        with policy_analysis.payment_history(app_db) as history, _common.warehouse(read_only=dry_run) as wh:
            r = policy.run_policies(
                wh, lib, day, period=period, history=history, write=not dry_run, keep_traces=False
            )
            years = wh.table("enterprise_years")
            held = wh.to_arrow(years.filter(years.year == r.period).select("uscc").limit(1)).num_rows
            elsewhere = zone_notes(wh, lib)  # the library is another zone's: every firm 不符合
            # a tag or event no firm carries (a misspelt name): its condition never fires (QA)
            elsewhere += [n for n in [unseen_note(unseen_registers(lib, wh))] if n]
    policy_analysis.warn_provisional(day, r.period)  # data for the year still to come
    for note in elsewhere:
        _common.err_console.print(f"[yellow]注意 / warning:[/yellow] {escape(note)}", highlight=False)
    if not held:  # every result would be 待核实 for want of data: say why rather than let it pass
        _common.err_console.print(
            f"[yellow]注意 / warning:[/yellow] 仓库中没有 {r.period} 年度的企业数据 (no enterprise data for "
            f"{r.period}); 结果多为待核实。请检查 --as-of / --period, 或先导入该年度数据 (import finance)",
            highlight=False,
        )
    # the amounts exact to the 分 in 元, as every list and file shows them, and their total
    # on a narrow terminal (or piped: 80 columns) the codes fold and the figures keep every digit
    t = Table()
    for head, width in (("政策\npolicy", 12), ("条款\nclause", 8)):
        t.add_column(head, overflow="fold", min_width=width)
    # a one-time award the ledger shows paid already is not paid again: its firms are 不符合 (or
    # 待核实), and the run says how many, once anything was paid (QA: 符合 fell and nothing said why)
    paid = r.paid_before
    for head in ("符合\neligible", "不符合\nineligible", "待核实\nundetermined", "从高不重复\nsuperseded",
                 *(("其中已兑现\npaid before",) if paid else ()), "金额(元)\namount"):  # fmt: skip
        t.add_column(head, justify="right", no_wrap=True, overflow="fold")
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for row in r.summary.to_pylist():
        d = rows.setdefault(
            (row["policy_id"], row["clause_id"]),
            {"eligible": 0, "ineligible": 0, "undetermined": 0, "superseded": 0, "fen": 0},
        )
        if row["status"] in COUNTED:
            d[row["status"]] = row["rows"]
        if row["status"] == "eligible":
            d["fen"] += row["amount_fen"] or 0
    for key in in_library_order(lib, [{"policy_id": p, "clause_id": c} for p, c in rows]):
        pid, cid = key["policy_id"], key["clause_id"]
        d = rows[pid, cid]
        before = (f"{paid.get((pid, cid), 0):,}",) if paid else ()
        t.add_row(pid, cid, *(f"{d[k]:,}" for k in COUNTED), *before, display_fen(d["fen"], "元"))
    sums = {k: sum(d[k] for d in rows.values()) for k in (*COUNTED, "fen")}
    t.add_section()
    before = (f"{sum(paid.values()):,}",) if paid else ()
    t.add_row("合计 total", "", *(f"{sums[k]:,}" for k in COUNTED), *before, display_fen(sums["fen"], "元"))
    _common.console.print(t)
    state = "未写入 (dry run)" if dry_run else f"运行 run_id {r.run_id}"
    _common.console.print(
        f"{state}; 年度 period {r.period}; policies {r.policies_hash[:12]}; parameters {r.parameters_hash[:12]}; "
        f"{len(r.batch_ids)} 个数据批次 batches",
        highlight=False,
    )


COUNTED = ("eligible", "ineligible", "undetermined", "superseded")
"""The statuses ``policy run`` counts per clause, in its columns' order (QA: 不符合 was missing)."""


def _yuan(v: object) -> str:
    """Fen as 元 with separators (what an officer reads); anything else as it is, — for none."""
    if isinstance(v, int) and not isinstance(v, bool):
        return display_fen(v, "元") + " 元"
    return "—" if v is None else str(v)


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
    uscc = uscc.strip().upper()  # as pasted from Excel: blanks around it, or typed in lower case
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        run_id = run_id or policy_analysis.latest_run(wh)
        lib = policy.load_library(folder)
        policy_analysis.warn_other_library(wh, run_id, lib, folder)
        rows = in_library_order(lib, policy.load_results(wh, run_id, uscc).to_pylist())
        why = ""
        if not rows and run_id is not None:  # say why: unknown, or registered after the period
            period = run_period(wh, run_id)
            why = "" if period is None else f": {policy.absent_reason(wh, uscc, period)}"
    if not rows:
        _common.err_console.print(
            f"该运行中没有企业 {uscc} (no results for this enterprise in the run){why}", highlight=False
        )
        raise typer.Exit(code=1)
    if not as_json:
        _common.console.print(EXPLAIN_LEGEND, highlight=False, markup=False)
    from zonebrain.web._queries.policy import note_text
    from zonebrain.web._queries.whatif_words import zh

    for row in rows:
        if as_json:
            typer.echo(json.dumps(json.loads(row["trace"]), ensure_ascii=False))
            continue
        ex = policy.explain(lib, row["trace"])
        amount = "—" if row["amount_fen"] is None else display_fen(row["amount_fen"], "元") + " 元"
        status = f"{EXPLAIN_STATUS.get(row['status'], '')} {row['status']}".strip()
        _common.console.print(
            f"[bold]{row['policy_id']}/{row['clause_id']}[/bold] ({ex.ref}): {status}  {amount}",
            highlight=False,
        )
        for c in ex.conditions:  # unlabelled when the policy files changed since the run
            # an exclusion that is not the case is no failure: ○, not ✗ (✗: the firm is excluded)
            marks = EXCLUSION_MARKS if c.part == "exclusion" else {True: "✓", False: "✗", None: "?"}
            mark = marks[c.holds]
            label = f"{c.label}: " if c.label else ""
            shown = c.test_text or c.test  # Chinese, money in 元 like the value; --json has the record
            test = f"非 not ({shown})" if c.negated else shown
            value = "" if c.value is None else f"; 取值 value {c.value_text}"
            params = "".join(f"; {k} = {v}" for k, v in c.parameters.items())
            _common.console.print(
                f"   {mark} [{c.ref}] {label}{test}{value}{params}", highlight=False, markup=False
            )
        a = ex.amount
        _common.console.print(
            f"   金额 amount [{a.get('ref')}]: {a.get('rule')}; "
            f"基数 base {_yuan(a.get('base'))} → {_yuan(a.get('fen'))}",
            markup=False,
        )
        for key, name in NOTE_NAMES.items():  # in the trace page's words, not codes (QA)
            if key in ex.extra:
                _common.console.print(f"   {name}: {note_text(key, ex.extra[key], zh)}", markup=False)
        if row["missing_fields"]:
            _common.console.print(
                f"   待核实, 需补充 / missing: {policy.missing_fields_zh(row['missing_fields'])} "
                f"({row['missing_fields']})",
                markup=False,
            )


EXPLAIN_STATUS = STATUS_ZH
"""A result's status as ``explain`` prints it, Chinese first (the code after it)."""
EXCLUSION_MARKS = {True: "✗", False: "○", None: "?"}
"""An exclusion's mark: ✗ it holds (the firm is excluded), ○ it is not the case, ? unknown."""
EXPLAIN_LEGEND = (
    "✓ 条件成立 holds · ✗ 不成立, 或排除情形成立 fails, or an exclusion applies · "
    "○ 排除情形不存在 no exclusion · ? 数据缺失 data missing"
)
NOTE_NAMES = {
    "superseded_by": "被从高替代 superseded by", "kept_over": "从高保留 kept over", "ledger": "支付台账 ledger",
    "enterprise_cap": "企业上限 enterprise cap", "budget": "预算池 budget",
}  # fmt: skip
"""The notes groups, caps, pools and the ledger add to a trace, named as ``explain`` prints them."""


@app.command("lint")
def lint_cmd(folder: DirOpt = None) -> None:
    """公平竞争审查提示: 与纳税挂钩、按来源地或所有制区别对待的条款。
    Fair-competition review: clauses tied to tax paid, or treating firms by origin or ownership."""
    with _common.input_errors():
        findings = policy.lint(policy.load_library(folder))
    heads = ("级别 severity", "规则 rule", "政策/条款 clause", "原因 reason", "依据 basis")
    t = Table(*(Column(h, overflow="fold") for h in heads))  # folded, never cut with … (QA)
    for f in findings:
        t.add_row(f.severity, f.rule, f"{f.policy_id}/{f.clause_id} ({f.ref})", f.reason, f.basis)
    _common.console.print(t)
    errors = sum(f.severity == "error" for f in findings)
    _common.console.print(f"{errors} 错误 errors, {len(findings) - errors} 提示 warnings")
    if errors:
        raise typer.Exit(code=1)


policy_check_cmd.register(app)  # check: the enterprise self-check (cli/policy_check_cmd.py)


# ---------------------------------------------------------------- 兑现 workflow (zonebrain.disbursement)

batch_app = typer.Typer(
    help="兑现批次: 审核 → 公示 → 异议 → 审批 (第二角色) → 支付台账。"
    " Payout batches: review, publicity, objections, approval by a second role, the payment ledger.",
    no_args_is_help=True,
)
verify_app = typer.Typer(
    help="待核实队列 (快申快享): 数据缺失的企业及需补充的材料。"
    " The verification queue: undetermined results and what to ask each enterprise for.",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")
app.add_typer(verify_app, name="verify")


def _print_batch(b: disbursement.Batch) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(b.counts.items())) or "—"
    publicity = f"{b.publicity_start} ~ {b.publicity_end}" if b.publicity_start else "—"
    if b.publicity_closed_at:
        publicity += f" (提前结束 closed by {b.publicity_closed_by or '—'}: {b.publicity_note})"
    _common.console.print(
        f"[bold]批次 batch #{b.id}[/bold] {b.title}: {BATCH_LABELS[b.status]} {b.status.value} "
        f"(version {b.version})\n"
        f"  运行 run {b.run_id}; 年度 period {b.period}; 政策 {', '.join(b.policies)}\n"
        f"  公示期 public notice {publicity}; 金额 total {display_fen(b.total_fen, '元')} 元; 名单 items: {counts}\n"
        f"  制单 {b.created_by}; 审核 {b.reviewed_by or '—'}; 公示 {b.publicized_by or '—'}; "
        f"审批 {b.approved_by or '—'}; 支付 {b.paid_by or '—'}",
        highlight=False,
    )
    if b.cancelled_at is not None:
        _common.console.print(
            f"  作废 cancelled {beijing_text(b.cancelled_at)} (北京时间) by {b.cancelled_by}: {b.cancel_reason}",
            highlight=False,
            markup=False,
        )


AckOpt = Annotated[
    bool,
    typer.Option(
        "--acknowledge-data-changes",
        help="确认已知悉运行之后导入的数据 (写入审计日志; 否则拒绝并列出这些导入)。"
        " Acknowledge data imported since the batch's run (audited; refused otherwise, naming them).",
    ),
]


@batch_app.command("create")
def batch_create(
    user: SignerOpt,
    run_id: Annotated[
        str | None, typer.Option("--run", help="政策运行编号 (默认最新)。 Run id (default: the latest).")
    ] = None,
    policies: Annotated[
        list[str] | None, typer.Option("--policy", help="只含这些政策 (可重复)。 Only these policies.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="批次名称。 Batch title.")] = "",
    older_run_reason: Annotated[
        str,
        typer.Option(
            "--older-run-reason",
            help="同一年度已有更新的运行时, 仍用此运行的原因 (写入审计日志)。"
            " Why this run is paid although a newer run of its period exists (audited).",
        ),
    ] = "",
    folder: DirOpt = None,
    app_db: AppDbOpt = None,
) -> None:
    """由一次已记录的运行建立兑现批次 (草稿); 待核实结果进入核实队列。
    Build a draft batch from a recorded run; undetermined results join the verification queue."""
    with _common.input_errors(), _common.warehouse(read_only=True) as wh:
        run_id = run_id or policy_analysis.latest_run(wh)
        run = disbursement.load_run(wh, run_id, policy.load_library(folder))
        check_policies(run, policies)  # a --policy the run did not evaluate: bad input, exit 2
    with _flow(app_db) as (d, store):
        b = d.create_batch(
            _signed_in(store, user), run, policies=policies, title=title, older_run_reason=older_run_reason
        )
        queued = len(d.verification.list(batch_id=b.id))
    _print_batch(b)
    _common.console.print(f"待核实 queued for verification: {queued}", highlight=False)


@batch_app.command("list")
def batch_list(
    status: Annotated[str | None, typer.Option("--status", help="按状态筛选。 Filter by status.")] = None,
    app_db: AppDbOpt = None,
) -> None:
    """列出兑现批次 (新的在前)。 List the batches, newest first."""
    with _common.input_errors():
        wanted = None if status is None else batch_status(status)
    with _flow(app_db) as (d, _store):
        batches = d.batches(status=wanted)
    t = Table("#", "名称 title", Column("状态 status", no_wrap=True), Column("运行 run", overflow="fold"),
              "年度 period", Column("金额(元) total", justify="right", no_wrap=True), "version")  # fmt: skip
    for b in batches:
        t.add_row(
            str(b.id), b.title, f"{BATCH_LABELS[b.status]} {b.status.value}", b.run_id, str(b.period),
            display_fen(b.total_fen, "元"), str(b.version),
        )  # fmt: skip
    _common.console.print(t)


@batch_app.command("show")
def batch_show(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="逐行 JSON 输出名单。 Items as JSON lines.")
    ] = False,
    app_db: AppDbOpt = None,
) -> None:
    """批次详情、名单与异议。 A batch, its items and objections."""
    with _flow(app_db) as (d, _store):
        b, items, objections = d.batch(batch_id), d.items(batch_id), d.objections(batch_id)
        holds = d.holds(batch_id)
    if as_json:
        for i in items:
            row = {k: getattr(i, k) for k in i.__dataclass_fields__}
            typer.echo(json.dumps({**row, "status": i.status.value}, ensure_ascii=False))
        return
    _print_batch(b)
    t = Table("#", "企业 enterprise", "统一社会信用代码", "政策/条款", "条款 ref", "金额(元)", "状态 status")
    for i in sorted(items, key=list_order):  # the 公示 list's order
        t.add_row(
            str(i.id), i.enterprise_name, i.uscc, f"{i.policy_id}/{i.clause_id}", i.clause_ref,
            display_fen(i.amount_fen, "元"), f"{ITEM_LABELS[i.status]} {i.status.value}",
        )  # fmt: skip
    _common.console.print(t)
    for o in objections:
        state = f"{RESOLUTIONS[o.resolution]} ({o.resolution})" if o.resolution else "待处理 open"
        late = " [逾期提出 late]" if o.late else ""
        _common.console.print(
            f"  异议 objection #{o.id}{late} (item #{o.item_id}, {o.raised_by} {o.raised_by_role}): {o.text} → {state}"
            + (f" ({o.resolution_note})" if o.resolution_note else ""),
            highlight=False,
            markup=False,
        )
    policy_hold_cmd.print_holds(holds)


@batch_app.command("review")
def batch_review(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    version: VersionOpt,
    note: Annotated[str, typer.Option("--note", help="审核意见。 Review note.")] = "",
    app_db: AppDbOpt = None,
) -> None:
    """审核批次 (草稿 → 已审核; 审核人不能是制单人)。 Review a draft batch (not its creator)."""
    with _flow(app_db) as (d, store):
        _print_batch(d.review(_signed_in(store, user), batch_id, expected_version=version, note=note))


@batch_app.command("publicize")
def batch_publicize(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    version: VersionOpt,
    start: Annotated[str | None, typer.Option("--start", help="公示开始日 (默认今天)。 First day.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="公示截止日 (含)。 Last day (inclusive).")] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            max=365,
            help="公示天数 (默认 7, 不少于最短公示期 $ZONEBRAIN_PUBLICITY_MIN_DAYS; 与 --end 二选一)。"
            " Days (default 7, at least the minimum; or --end).",
        ),
    ] = None,
    app_db: AppDbOpt = None,
) -> None:
    """发布公示 (已审核 → 公示中)。 Start the public notice period of a reviewed batch."""
    with _common.input_errors():  # an unreadable date or --end before --start: bad input (exit 2)
        if end is not None and days is not None:
            raise InputError(
                f"--end {end} 与 --days {days} 只能给一个 (give either the last day or the number of days)"
            )
        first = beijing_today() if start is None else _common.parse_day(start)
        default = max(7, min_publicity_days())  # a zone's minimum above a week: its minimum
        last = first + dt.timedelta(days=(days or default) - 1) if end is None else _common.parse_day(end)
        if last < first:
            raise InputError(f"公示截止日 {last} 早于开始日 {first} (--end is before --start)")
    with _flow(app_db) as (d, store):
        b = d.publicize(_signed_in(store, user), batch_id, start=first, end=last, expected_version=version)
        _print_batch(b)


@batch_app.command("close-publicity")
def batch_close_publicity(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    version: VersionOpt,
    reason: Annotated[str, typer.Option("--reason", help="提前结束的原因。 Why it ends early.")],
    app_db: AppDbOpt = None,
) -> None:
    """提前结束公示 (须说明原因)。 Close the public notice before its end date, with a reason."""
    with _flow(app_db) as (d, store):
        _print_batch(
            d.close_publicity(_signed_in(store, user), batch_id, reason=reason, expected_version=version)
        )


@batch_app.command("object")
def batch_object(
    item_id: Annotated[int, typer.Argument(help="名单项编号 (见 batch show)。 Item id.")],
    user: UserOpt,
    text: Annotated[str, typer.Option("--text", help="异议内容。 The objection.")],
    raised_by: Annotated[str, typer.Option("--raised-by", help="提出人 (可写匿名)。 Who raised it.")],
    raised_by_role: Annotated[
        str, typer.Option("--raised-by-role", help="身份: 企业、群众、部门…。 In what capacity.")
    ] = "",
    app_db: AppDbOpt = None,
) -> None:
    """登记公示期异议。 Record an objection raised during the public notice period."""
    with _flow(app_db) as (d, store):
        o = d.object(_user(store, user), item_id, text, raised_by=raised_by, raised_by_role=raised_by_role)
    _common.console.print(f"已登记异议 objection #{o.id} (item #{o.item_id})", highlight=False)


@batch_app.command("resolve")
def batch_resolve(
    objection_id: Annotated[int, typer.Argument(help="异议编号。 Objection id.")],
    user: SignerOpt,
    note: Annotated[str, typer.Option("--note", help="处理理由。 The reason.")],
    upheld: Annotated[
        bool, typer.Option("--upheld", help="异议成立 (撤回该项)。 Upheld: withdraw the item.")
    ] = False,
    dismissed: Annotated[bool, typer.Option("--dismissed", help="异议不成立。 Dismissed.")] = False,
    app_db: AppDbOpt = None,
) -> None:
    """处理异议: 成立则撤回该项 (--upheld 与 --dismissed 二选一)。
    Resolve an objection; upheld withdraws the item (exactly one of --upheld, --dismissed)."""
    if upheld == dismissed:  # both or neither: a decision that withdraws money is never guessed
        raise typer.BadParameter(
            "请在 --upheld (异议成立) 与 --dismissed (不成立) 中恰好选一个 / "
            "give exactly one of --upheld, --dismissed",
            param_hint="--upheld / --dismissed",
        )
    with _flow(app_db) as (d, store):
        o = d.resolve(_signed_in(store, user), objection_id, upheld=upheld, note=note)
    shown = f"{RESOLUTIONS.get(o.resolution or '', '')} {o.resolution}".strip()
    _common.console.print(f"异议 objection #{o.id}: {shown}", highlight=False)


@batch_app.command("approve")
def batch_approve(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    version: VersionOpt,
    note: Annotated[str, typer.Option("--note", help="审批意见。 Approval note.")] = "",
    acknowledge: AckOpt = False,
    app_db: AppDbOpt = None,
) -> None:
    """审批 (管理员或领导, 且非制单人、审核人、提前结束公示的人; 公示期满后)。
    Approve (an admin or leader other than the creator, the reviewer and whoever closed the public
    notice early; after the public notice period)."""
    with _flow(app_db) as (d, store):
        b = d.approve(
            _signed_in(store, user), batch_id, expected_version=version, note=note,
            acknowledge_data_changes=acknowledge,
        )  # fmt: skip
        _print_batch(b)


@batch_app.command("pay")
def batch_pay(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    acknowledge: AckOpt = False,
    app_db: AppDbOpt = None,
) -> None:
    """登记支付, 写入支付台账 (登记人不能是审批人; 重复执行不会重复支付)。
    Record the payment in the ledger (not by its approver; idempotent)."""
    with _flow(app_db) as (d, store):
        r = d.pay(_signed_in(store, user), batch_id, acknowledge_data_changes=acknowledge)
    before = f"本批次此前已兑现 paid by this batch before: {len(r.paid_before)} 项; " if r.paid_before else ""
    _common.console.print(
        f"本次支付 paid now: {len(r.paid)} 项, {display_fen(r.paid_fen, '元')} 元; {before}"
        f"此前已兑现 already paid: {r.paid_elsewhere} 项 (未重复支付 / not paid again)"
        + (f"; 暂缓支付 held: {len(r.held)} 项 (未支付 / not paid)" if r.held else ""),
        highlight=False,
    )
    shown = 20  # a repeat payment of a whole batch would otherwise print every award
    mine = {i.id for i in r.paid_before}
    elsewhere = [i for i in r.already_paid if i.id not in mine]  # this batch's own are not news
    for i in elsewhere[:shown]:
        _common.console.print(
            f"  已兑现 already paid: {i.enterprise_name} {i.uscc} {i.policy_id}/{i.clause_id} ({i.period})",
            highlight=False,
            markup=False,
        )
    if len(elsewhere) > shown:
        _common.console.print(
            f"  … 另有 {len(elsewhere) - shown} 项已兑现 (and {len(elsewhere) - shown} more); "
            f"全部见 / all in: zonebrain policy batch show {batch_id}",
            highlight=False,
        )


@batch_app.command("cancel")
def batch_cancel(
    batch_id: Annotated[int, typer.Argument(help="批次编号。 Batch id.")],
    user: SignerOpt,
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            help="你看到的批次版本号 (可选, 给出则核对)。 The version you read (checked if given).",
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="作废原因 (必填)。 Why it is cancelled (required).")
    ] = "",  # checked by the service, so a missing reason gets its message (what to write)
    app_db: AppDbOpt = None,
) -> None:
    """作废批次 (未兑现的任一状态; 管理员或制单人; 须说明原因)。
    Cancel a batch not yet paid (an admin or its creator; a reason is required)."""
    with _flow(app_db) as (d, store):
        b = d.cancel(_signed_in(store, user), batch_id, reason=reason, expected_version=version)
    _print_batch(b)
    _common.console.print(
        "该运行的奖励可重新建立批次 / the run's awards may go into a new batch: "
        f"zonebrain policy batch create --run {b.run_id} --user {user}",
        highlight=False,
        markup=False,
    )


@app.command("publicity")
def publicity_cmd(
    batch_id: Annotated[int, typer.Option("--batch", help="批次编号。 Batch id.")],
    out: Annotated[Path, typer.Option("--out", help="输出 .xlsx 或 .docx。 Output file.")],
    user: UserOpt,
    app_db: AppDbOpt = None,
) -> None:
    """导出公示名单 (企业名称、脱敏信用代码、政策、条款、金额)。
    Export the public list (name, masked USCC, policy, clause, amount) as Excel or Word."""
    with _common.input_errors():
        out_suffix(out, ".xlsx", ".docx")
    with _flow(app_db) as (d, store):
        # objections go to $ZONEBRAIN_PUBLICITY_CONTACT, else the office of the zone file's zone
        path = d.export_publicity(_user(store, user), batch_id, out, zone_name=_common.zone().zone.name_zh)
    _common.console.print(f"已导出公示名单 (exported) → {path}", highlight=False)


@app.command("notify")
def notify_cmd(
    batch_id: Annotated[int, typer.Option("--batch", help="批次编号。 Batch id.")],
    out: Annotated[Path, typer.Option("--out", help="输出 .xlsx。 Output file.")],
    user: UserOpt,
    app_db: AppDbOpt = None,
) -> None:
    """导出待通知企业名单 (已审批或已兑现)。 Export the enterprises to notify (approved or paid)."""
    with _common.input_errors():
        out_suffix(out, ".xlsx")
    with _flow(app_db) as (d, store):
        path = d.export_notify(_user(store, user), batch_id, out, parks=_park_names())
    _common.console.print(f"已导出通知名单 (exported) → {path}", highlight=False)


policy_hold_cmd.register(batch_app)  # batch hold|release|withdraw (暂缓支付)
policy_ledger_cmd.register(app, verify_app)  # ledger [reverse], verify list|update


policy_analysis.register(app)  # whatif, coverage (cli/policy_analysis.py)
