"""`zonebrain policy whatif` and `zonebrain policy coverage`: simulation and coverage analytics.

Added to the ``policy`` sub-app by ``policy_analysis.register(app)`` in ``policy_cmd``. Neither
command writes to the warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
import yaml
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Column, Table

from zonebrain import disbursement, policy
from zonebrain.appstore import open_existing_app_store
from zonebrain.cli import _common
from zonebrain.core.errors import InputError, out_suffix
from zonebrain.core.money import display_fen
from zonebrain.policy._edit import check_budget_rule, with_family, with_policy
from zonebrain.policy._format import share_text
from zonebrain.policy._notes import run_period
from zonebrain.policy._run import default_period, policies_hash, zone_notes
from zonebrain.policy._whatif import with_paid_note
from zonebrain.storage import Warehouse

DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="政策目录 (默认内置政策库)。 Policy folder (default: the built-in library)."),
]
RunOpt = Annotated[str | None, typer.Option("--run", help="运行编号。 A recorded run id.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="输出 .xlsx (每部分一页)。 Write an Excel file, one sheet per part."),
]

AppDbOpt = Annotated[
    str | None,
    typer.Option("--app-db", help="应用库地址 / app store URL or SQLite path [env ZONEBRAIN_APP_DB]"),
]


@contextmanager
def payment_history(app_db: str | None) -> Iterator[policy.PaymentHistory]:
    """The app store's payment ledger as the payment history of a run or a fresh what-if.

    An app store named by ``--app-db`` or ``$ZONEBRAIN_APP_DB`` is opened (and must work); the default
    ``DATA_DIR/app.sqlite`` only when it exists (a zone without the web app has paid nothing yet)."""
    store = open_existing_app_store(_common.state.data_dir, app_db)
    if store is None:
        yield policy.NoPayments()
        return
    with store:
        ledger = disbursement.Ledger(store)
        _common.console.print(f"支付台账 payment ledger: {ledger.count()} 笔 entries", highlight=False)
        yield ledger


def warn_provisional(as_of: dt.date, period: int) -> None:
    """On stderr, when the period had not ended on the as-of date (:func:`policy.provisional`, the
    predicate the web and the 兑现 service use): its results are provisional."""
    if policy.provisional(as_of, period):
        _common.err_console.print(
            f"[yellow]注意 / warning:[/yellow] {policy.provisional_text(as_of, period)}", highlight=False
        )


def warn_other_library(wh: Warehouse, run_id: str | None, lib: policy.Library, folder: Path | None) -> None:
    """On stderr, when the run *run_id* was made with other policies than *lib* (its recorded
    ``policies_hash`` differs): the clauses it names may be missing from *lib*, or read otherwise
    (QA: a run made with ``--dir`` was explained with the built-in library, values in raw fen)."""
    if run_id is None:
        return
    runs = wh.table("policy_runs")
    got = wh.to_arrow(runs.filter(runs.run_id == run_id).select("policies_hash")).to_pylist()
    if got and got[0]["policies_hash"] != policies_hash(lib):
        where = f"政策目录 {folder}" if folder else "内置政策库"
        hint = "请用 --dir 指定测算时的政策目录" if folder is None else "请核对 --dir"
        _common.err_console.print(
            f"[yellow]注意 / warning:[/yellow] 测算 {run_id} 所用的政策与{where}不同, {hint} "
            f"(the run was made with other policies than {'--dir ' + str(folder) if folder else 'the built-in library'}: "
            "clauses may be missing or read differently; give the --dir it was run with)",
            highlight=False,
        )


def latest_run(wh: Warehouse) -> str | None:
    """The latest recorded run (None: no run yet), announced on stderr: a command that defaults to
    it says which run it chose, its as-of date and period, and warns when that period had not ended."""
    runs = wh.table("policy_runs")
    got = wh.to_arrow(
        runs.order_by([runs.created_at.desc(), runs.run_id.desc()]).select("run_id", "as_of").limit(1)
    ).to_pylist()
    if not got:
        return None
    run_id, as_of = str(got[0]["run_id"]), got[0]["as_of"]
    recorded = run_period(wh, run_id)
    period = default_period(as_of) if recorded is None else recorded
    _common.err_console.print(
        f"使用最新运行 (latest run) {run_id}; 基准日 as-of {as_of}; 年度 period {period}", highlight=False
    )
    warn_provisional(as_of, period)
    return run_id


def _pair(text: str, what: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise InputError(f"{what} '{text}' 须写成 KEY=VALUE (write KEY=VALUE)")
    return key.strip(), value.strip()


def _pairs(texts: list[str] | None, what: str) -> dict[str, str]:
    """KEY=VALUE options as a mapping; the same key twice is refused (never "the last one wins")."""
    out: dict[str, str] = {}
    for text in texts or []:
        key, value = _pair(text, what)
        if key in out and out[key] != value:
            raise InputError(
                f"{what} {key} 给了两次 ({out[key]} 与 {value}), 请只保留一个 (given twice: keep one)"
            )
        out[key] = value
    return out


def _yuan(fen: Any) -> str:
    """Fen in 元, exact (two places are whole fen): the web's unit, and a delta shown is exactly
    after − before as shown (in 万元 each figure rounded apart could differ by 0.01)."""
    return "" if fen is None else display_fen(int(fen), "元")


def _signed(fen: Any) -> str:
    return ("+" if fen and fen > 0 else "") + _yuan(fen)


def _scenario(
    lib: policy.Library,
    budgets: list[str],
    rule: str | None,
    thresholds: list[str],
    interpretations: list[str],
    files: list[Path],
) -> policy.Library:
    for f in files:
        lib = _edited(lib, f)
    for fam, amount in _pairs(budgets, "--budget").items():
        lib = policy.set_budget(lib, fam, amount, rule=rule)
    if rule and not budgets:
        pools = [fid for fid, fam_model in lib.families.items() if fam_model.budget is not None]
        if not pools:
            raise InputError(
                f"没有预算池可按 --budget-rule {rule} 分配, 请同时给出 --budget FAMILY=AMOUNT "
                "(no family has a budget pool: add one with --budget)"
            )
        for fid in pools:
            lib = policy.set_budget(lib, fid, rule=rule)
    for target, value in _pairs(thresholds, "--threshold").items():
        target, _, fact = target.partition(":")
        lib = policy.set_threshold(lib, target, value, fact=fact or None)
    for key, value in _pairs(interpretations, "--interpret").items():
        pid, _, name = key.partition(".")
        lib = policy.set_interpretation(lib, pid, name, value)
    return lib


def _edited(lib: policy.Library, f: Path) -> policy.Library:
    """*lib* with the policy or family of the user's ``--yaml`` file *f* in place of the one with its
    id, loaded from *f* itself (not from a copy), so that every error names the user's file and line."""
    if not f.is_file():
        raise InputError(f"{'不是文件 (not a file)' if f.exists() else '文件不存在 (file not found)'}: {f}")
    try:
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):  # unreadable, not UTF-8, bad syntax, an impossible date
        return with_policy(lib, policy.load_policy(f))  # refused by the loader, naming the file and line
    if isinstance(data, dict) and "clauses" in data:
        return with_policy(lib, policy.load_policy(f))
    if isinstance(data, dict) and "eligibility" in data:
        return with_family(lib, policy.load_family(f))
    raise policy.PolicyFileError(
        f"{f}: 既不是政策 (clauses) 也不是政策族 (eligibility) (neither a policy nor a family)"
    )


def _park_names(wh: Warehouse) -> dict[str, str]:
    """Park id → the short name the web shows (枫杨, not 枫杨街道)."""
    from zonebrain.web._queries.policy_analysis import warehouse_park_names

    return warehouse_park_names(wh)


def _text(head: str) -> Column:
    """A column of words: folded on a narrow terminal (or piped: 80 columns), never cut with …."""
    return Column(head, overflow="fold")


def _figures(head: str) -> Column:
    """A column of money or counts, kept whole by :func:`_fitted` (its header may wrap)."""
    return Column(head, justify="right", overflow="fold")


def _fitted(t: Table) -> Table:
    """*t* with each column of figures at least as wide as its widest value, so that on a narrow
    terminal (or piped: 80 columns) the words fold and no amount is cut (QA: ``78,647,329…``)."""
    for col in t.columns:
        if col.justify == "right":
            col.min_width = max((cell_len(str(c)) for c in col.cells), default=1)
    return t


def _totals_table(r: policy.WhatIf) -> Table:
    t = Table(
        _text("指标 measure"), _figures("基线\nbefore"), _figures("情景\nafter"), _figures("变化\ndelta"),
        title="总体 totals",
    )  # fmt: skip
    row = r.totals.to_pylist()[0]
    for label, m in (
        ("符合 (企业×条款) eligible", "eligible"),
        ("受益企业 firms", "firms"),
        ("待核实 undetermined", "undetermined"),
    ):
        t.add_row(label, f"{row[f'{m}_before']:,}", f"{row[f'{m}_after']:,}", f"{row[f'{m}_delta']:+,}")
    t.add_row("金额(元) cost", *_costs(row))
    return _fitted(t)


def _costs(row: dict[str, Any]) -> tuple[str, str, str]:
    """A totals, park or clause row's amounts in 元: before, after and the change (from fen: exactly
    after − before as shown)."""
    return _yuan(row["cost_before_fen"]), _yuan(row["cost_after_fen"]), _signed(row["cost_delta_fen"])


def _moved(row: dict[str, Any], measure: str) -> str:
    """``12 → 15``: a count of *row* before and after."""
    return f"{row[f'{measure}_before']:,} → {row[f'{measure}_after']:,}"


def moved_text(row: dict[str, Any]) -> str:
    """Who wins and who loses behind the net change of 受益企业 (a totals or park row of
    :attr:`policy.WhatIf.totals`): QA, a net +79 hid 380 firms newly funded and 301 no longer."""
    d, new, gone = row["firms_delta"], row["newly_funded"], row["no_longer_funded"]
    up, down = row["winners"], row["losers"]
    return (
        f"受益企业净变化 {d:+,} 家 = 新获奖励 {new:,} 家 − 不再获奖励 {gone:,} 家; 金额增加 {up:,} 家, "
        f"金额减少 {down:,} 家 (beneficiaries net {d:+,} = {new:,} newly funded − {gone:,} no longer "
        f"funded; {up:,} firms gain, {down:,} lose)"
    )


def _park_name(row: dict[str, Any], parks: dict[str, str]) -> str:
    return parks.get(row["park_id"]) or row["park_name"] or row["park_id"] or "(未分园区 no park)"


def _park_table(r: policy.WhatIf, parks: dict[str, str]) -> Table:
    """Per park, the cases 待核实 and the amounts (the firms: :func:`_moved_table`)."""
    t = Table(
        _text("园区 park"), _figures("待核实\nundetermined"), _figures("基线(元)\nbefore"),
        _figures("情景(元)\nafter"), _figures("变化(元)\ndelta"), title="按园区 per park",
    )  # fmt: skip
    for row in r.by_park.to_pylist():
        t.add_row(
            _park_name(row, parks),
            _moved(row, "undetermined"),
            *_costs(row),
        )
    return _fitted(t)


def _clause_table(r: policy.WhatIf) -> Table:
    """Per clause, 符合 and 待核实 before → after and the amounts, as the Excel's 按条款 sheet (QA:
    the terminal had totals and parks only)."""
    t = Table(
        _text("政策/条款 clause"), _figures("符合\neligible"), _figures("待核实\nundetermined"),
        _figures("基线(元)\nbefore"), _figures("情景(元)\nafter"), _figures("变化(元)\ndelta"),
        title="按条款 per clause",
    )  # fmt: skip
    for row in r.by_clause.to_pylist():
        t.add_row(
            f"{row['policy_id']}/{row['clause_id']}",
            _moved(row, "eligible"),
            _moved(row, "undetermined"),
            *_costs(row),
        )
    return _fitted(t)


def _moved_table(r: policy.WhatIf, parks: dict[str, str]) -> Table:
    """Per park and in all, the beneficiaries before → after and who moved: the firms whose amount
    rises or falls, and those newly funded or no longer funded (a net 159 → 157 hid 30 and 30)."""
    t = Table(
        _text("园区 park"), _figures("受益企业\nfirms"), _figures("金额增加\nwinners"),
        _figures("金额减少\nlosers"), _figures("新获奖励\nnewly funded"),
        _figures("不再获奖励\nno longer funded"), title="受益与受损企业 (家) winners and losers (firms)",
    )  # fmt: skip
    total = {**r.totals.to_pylist()[0], "park_id": None, "park_name": "合计 total"}
    for i, row in enumerate([*r.by_park.to_pylist(), total]):
        t.add_row(
            _park_name(row, parks) if i < r.by_park.num_rows else "合计 total",
            _moved(row, "firms"),
            *(f"{row[c]:,}" for c in policy.MOVED),
            end_section=i == r.by_park.num_rows - 1,
        )
    return _fitted(t)


def _budget_table(r: policy.WhatIf) -> Table:
    """Per family a row before and a row after (side by side, the amounts would not fit 80 columns)."""
    t = Table(
        _text("政策族 family"), _text("方案 side"), _figures("预算池(元)\npool"),
        _figures("申请(元)\nrequested"), _figures("核定(元)\ngranted"), _figures("比例\nshare"),
        title="预算池 budget pools",
    )  # fmt: skip
    for row in r.budget.to_pylist():
        for side, said in (("before", "基线 before"), ("after", "情景 after")):
            t.add_row(
                f"{row['family_id']}\n({row['ref'] or '情景新增 added by the scenario'})"
                if side == "before"
                else "",
                said,
                _yuan(row[f"pool_{side}_fen"]) or "—",
                _yuan(row[f"requested_{side}_fen"]),
                _yuan(row[f"granted_{side}_fen"]),
                share_text(row[f"share_{side}"]),
                end_section=side == "after",
            )
    return _fitted(t)


def _change_table(title: str, data: pa.Table, parks: dict[str, str], lib: policy.Library) -> Table:
    """Winners or losers; each one's changes in the words of the web and the Excel file (policy
    name, 条款, 符合 331,299.00元 → 符合 496,949.00元), not the codes (QA: statuses in English)."""
    from zonebrain.web._queries.policy_analysis import detail_text
    from zonebrain.web._queries.whatif_words import zh

    heads = (
        "企业\nenterprise",
        "园区\npark",
        "基线(元)\nbefore",
        "情景(元)\nafter",
        "变化(元)\ndelta",
        "条款\nclauses",
    )
    # folded, never cut with …: amounts are exact to the 分 and a USCC is whole (QA)
    t = Table(
        *(Column(h, overflow="fold", no_wrap=h.startswith(("基线", "情景", "变化"))) for h in heads),
        title=title,
    )
    for row in data.to_pylist():
        who = f"{row['name']} ({row['uscc']})" if row["name"] else row["uscc"]
        t.add_row(
            who,
            parks.get(row["park_id"]) or row["park_name"] or row["park_id"] or "",
            _yuan(row["before_fen"]),
            _yuan(row["after_fen"]),
            _signed(row["delta_fen"]),
            detail_text(row["moves"], zh, lib),
        )
    return t


def _money_columns(sheets: dict[str, pa.Table]) -> list[str]:
    return sorted({c for t in sheets.values() for c in t.column_names if c.endswith("_fen")})


def excel_headers(sheets: dict[str, pa.Table]) -> dict[str, str]:
    """Every column's Chinese header, from the one table the web's exports use too
    (``cost_before_fen`` → ``兑现金额 基线``); the Excel writer adds the unit of money columns."""
    from zonebrain.web._queries.policy_analysis import excel_headers as web_headers

    columns = sorted({c for t in sheets.values() for c in t.column_names})
    return {**{c: c for c in columns}, **web_headers(columns)}


def _share_columns(sheets: dict[str, pa.Table]) -> dict[str, str]:
    """The shares (fractions: ``share``, ``…_share``, ``share_before`` …) shown as percentages."""
    from zonebrain.web._queries.policy_analysis import is_share

    names = {c for t in sheets.values() for c in t.column_names}
    return {c: "0.0%" for c in names if is_share(c)}


def _write(sheets: dict[str, pa.Table], out: Path) -> None:
    """The sheets as the web writes them: floats rounded as on the pages (a share to 4 places),
    Chinese headers from the one table both use, money in 元."""
    from zonebrain.reports import export_excel
    from zonebrain.web._queries.policy_analysis import rounded

    sheets = {k: rounded(t) for k, t in sheets.items()}
    headers = excel_headers(sheets)
    path = export_excel(
        sheets,
        out,
        headers=headers,
        money=_money_columns(sheets),
        money_unit="元",
        formats=_share_columns(sheets),
    )
    _common.console.print(f"已写出 / written: {path}", markup=False)


def whatif_cmd(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="测算基准日 YYYY-MM-DD (与 --run 二选一)。 As-of date (or --run)."),
    ] = None,
    period: Annotated[
        int | None,
        typer.Option("--period", min=2000, max=2100, help="考核年度 (默认上一年)。 Year assessed."),
    ] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="参数覆盖 policy.name=VALUE, 如 zz-rd-input.rate=3% (可重复)。 Override a parameter.",
        ),
    ] = None,
    budgets: Annotated[
        list[str] | None,
        typer.Option(
            "--budget", help="预算池 FAMILY=AMOUNT, 如 zz-gxq-2022=1000万 (可重复)。 Set a budget pool."
        ),
    ] = None,
    budget_rule: Annotated[
        str | None,
        typer.Option(
            "--budget-rule",
            help="预算分配: 按比例分配 pro_rata 或 按金额排序分配 ranking。 Pool rule (default: kept / pro_rata).",
        ),
    ] = None,
    thresholds: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            help="条款门槛 policy/clause[:fact]=VALUE, 如 zz-revenue-breakthrough/reach-10m=800万。"
            " Change a clause's literal threshold.",
        ),
    ] = None,
    interpretations: Annotated[
        list[str] | None,
        typer.Option("--interpret", help="解释项 policy.name=VALUE。 Switch an interpretation."),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--yaml", help="修改后的政策或政策族 YAML (替换同 id)。 An edited policy/family file."),
    ] = None,
    run_id: RunOpt = None,
    top: Annotated[int, typer.Option("--top", help="显示受益/受损前 N 家。 Winners/losers shown.")] = 10,
    folder: DirOpt = None,
    out: OutOpt = None,
    app_db: AppDbOpt = None,
) -> None:
    """政策模拟: 改参数或条款, 看覆盖与成本、受益与受损企业、各园区和预算池的变化 (不写入)。
    What-if: change parameters or clauses; see coverage and cost, winners and losers, per park and
    the budget-pool effect. Nothing is recorded."""
    with _common.input_errors():
        if out is not None:
            out_suffix(out, ".xlsx")
        if as_of is not None and run_id is not None:
            raise InputError(
                "--as-of 与 --run 不能同时给出: 基线运行自带基准日 (give --as-of for a fresh baseline, or "
                "--run to compare with a recorded run and use its as-of date; not both)"
            )
        if as_of is None and run_id is None:
            raise InputError(
                "请给出 --as-of 基准日 (重新测算基线) 或 --run 基线运行编号 "
                "(give --as-of YYYY-MM-DD, or --run with a recorded run id)"
            )
        day = None if as_of is None else _common.parse_day(as_of)
        check_budget_rule(budget_rule)
        lib = policy.load_library(folder)
        scenario = _scenario(
            lib, budgets or [], budget_rule, thresholds or [], interpretations or [], files or []
        )
        overrides = _pairs(sets, "--set")
        # one-time awards: against a recorded run, the payments it saw; a fresh baseline, today's
        # ledger; either way the ledger says how much of the cost is already paid (paid_note)
        with payment_history(app_db) as ledger, _common.warehouse(read_only=True) as wh:
            r = policy.what_if(
                wh,
                lib,
                day,
                period=period,
                parameters=overrides,
                library=scenario,
                baseline_run_id=run_id,
                history=None if run_id else ledger,
            )
            parks = _park_names(wh)
            if isinstance(ledger, disbursement.Ledger):
                r = with_paid_note(r, lib, ledger.live_fen())
    base = f"运行 run {r.baseline_run_id}" if r.baseline_run_id else "重新测算 fresh evaluation"
    notes = r.warnings()  # a provisional period, an as-of date after today: as the web says them
    for note in notes:
        _common.err_console.print(f"[yellow]注意 / warning:[/yellow] {note}", highlight=False)
    _common.console.print(
        f"年度 period {r.period}; 基线 baseline: {base}; 未写入仓库 (nothing recorded)", highlight=False
    )
    from zonebrain.web._queries.whatif_words import scenario_changes

    changes = scenario_changes(lib, scenario, r.parameters, period=r.period)
    said = "".join(f"\n  - {escape(x)}" for x in changes) or " 无 (与基线相同) none"
    _common.console.print(f"本次调整 changes:{said}", highlight=False)  # one a line: a file says many
    _common.console.print(_totals_table(r))
    _common.console.print(moved_text(r.totals.to_pylist()[0]), highlight=False)
    _common.console.print(_clause_table(r))
    _common.console.print(_park_table(r, parks))
    _common.console.print(_moved_table(r, parks))
    if r.budget.num_rows:
        _common.console.print(_budget_table(r))
    for kind, en, rows in (("受益", "winners", r.winners(top)), ("受损", "losers", r.losers(top))):
        n = r.totals[en][0].as_py()  # how many in all: the web says 共 N 家 too
        title = f"{kind}前 {top} top {en} (共 {n:,} 家 of {n:,})"
        _common.console.print(_change_table(title, rows, parks, scenario or lib))
    if out is not None:  # the web's sheets: 情景, clauses named, parks and changes in its words
        from zonebrain.web._queries.policy_analysis import sheets

        _write(sheets(r, None, parks, warnings=notes, lib=scenario, changes=changes), out)


_SOURCES = {"declared": "企业申报 declared", "data": "政府数据 data"}


def coverage_cmd(
    run_id: RunOpt = None,
    data_facts: Annotated[
        list[str] | None,
        typer.Option(
            "--data", help="视为已有政府数据的事实 (可重复), 如 rd_expense_fen。 Treat a fact as held."
        ),
    ] = None,
    folder: DirOpt = None,
    out: OutOpt = None,
) -> None:
    """覆盖率分析: 免申即享条款占比、已决定与待核实占比、最值得补的缺失字段。
    Coverage: clauses decidable from data, decided vs undetermined, the missing fields that would
    decide the most cases (from the run --run, default the latest)."""
    with _common.input_errors():
        if out is not None:
            out_suffix(out, ".xlsx")
        lib = policy.load_library(folder)
        sources: dict[str, Any] = {f: "data" for f in data_facts or []}
        from zonebrain.web._queries.policy_analysis import coverage_about, coverage_sheets

        with _common.warehouse(read_only=True) as wh:
            run_id = run_id or latest_run(wh)
            warn_other_library(wh, run_id, lib, folder)
            c = policy.coverage(lib, wh=wh, run_id=run_id, sources=sources)
            about = coverage_about(wh, run_id, tuple(data_facts or ())) if out is not None else None
            elsewhere = zone_notes(wh, lib)  # the library is another zone's (QA)
    t = Table(
        "政策/条款 clause", "引用 ref", "免申即享 from data", "需企业申报 declared", title="条款覆盖 clauses"
    )
    for row in c.clauses.to_pylist():
        t.add_row(
            f"{row['policy_id']}/{row['clause_id']}",
            row["ref"],
            "是 yes" if row["from_data"] else "否 no",
            row["declared"],
        )
    _common.console.print(t)
    n_data = sum(c.clauses["from_data"].to_pylist())
    _common.console.print(
        f"免申即享覆盖率 clauses decidable from data: {n_data}/{c.clauses.num_rows} = {share_text(c.clause_share)}",
        highlight=False,
    )
    if (note := c.unseen_note()) is not None:  # tags and events the clauses read that no firm carries
        _common.err_console.print(f"[yellow]注意 / warning:[/yellow] {note}", highlight=False)
    for note in elsewhere:
        _common.err_console.print(f"[yellow]注意 / warning:[/yellow] {escape(note)}", highlight=False)
    if c.decisions is not None:
        d = Table("政策 policy", "决定数 decisions", "已决定 decided", "待核实 undetermined", "占比 share",
                  title="决定情况 decisions")  # fmt: skip
        for row in c.decisions.to_pylist():
            exact = Fraction(row["decided"], row["decisions"]) if row["decisions"] else None
            d.add_row(
                row["policy_id"], f"{row['decisions']:,}", f"{row['decided']:,}", f"{row['undetermined']:,}",
                share_text(exact),
            )  # fmt: skip
        _common.console.print(d)
        _common.console.print(
            f"已决定 decided: {share_text(c.decided_share)}; 企业全部条款已决定 firms fully decided: {c.firms_decided:,}/{c.firms:,}",
            highlight=False,
        )
    if c.stake is not None:  # what the share of all decisions hides (QA: 99.9 % decided)
        _common.console.print(stake_text(c.stake), highlight=False)
    if c.missing is not None:
        m = Table("字段 field", "名称 label", "来源 source", "仅缺此字段 decides", "与其他字段共缺 with others",
                  "企业数 firms", title="缺失字段 missing fields (补齐后可决定的案例数)")  # fmt: skip
        for row in c.missing.to_pylist():
            m.add_row(
                row["field"], row["label_zh"], _SOURCES.get(row["source"], row["source"]), f"{row['decides']:,}",
                f"{row['with_others']:,}",
                f"{row['firms']:,}",
            )  # fmt: skip
        _common.console.print(m)
    if out is not None:  # the web's sheets: 来源 and 免申即享 in words, the run named first
        _write(coverage_sheets(c, about=about, lib=lib), out)


def stake_text(s: policy.Stake) -> str:
    """The lines ``policy coverage`` prints of what is at stake, Chinese then English."""
    unbounded = (
        f"; 另有 {s.undetermined_unbounded:,} 个无上限条款的待核实未计入 ({s.undetermined_unbounded:,} "
        "more, of clauses with no cap, not counted)"
        if s.undetermined_unbounded
        else ""
    )
    return "\n".join(
        [
            f"符合支持对象且未被排除的企业 firms in the subject, not excluded: {s.firms_in_scope:,}/{s.firms:,}",
            (
                f"可能受益的决定 possible awards (符合、从高不重复、待核实): {s.candidates:,}, 已决定 decided "
                f"{share_text(s.candidates_share)} (免申即享条款 from data {share_text(s.from_data_share)}; "
                f"需企业申报条款 declared {share_text(s.declared_share)})"
            ),
            f"免申即享条款兑现金额占比 awarded money in clauses from data: {share_text(s.amount_from_data_share)}",
            (
                f"待核实 {s.undetermined:,} 个, 最高可能金额 most they could cost: "
                f"{display_fen(s.undetermined_max_fen, '元')} 元{unbounded}"
            ),
        ]
    )


def register(app: typer.Typer) -> None:
    """Add ``whatif`` and ``coverage`` to the ``policy`` sub-app."""
    app.command("whatif")(whatif_cmd)
    app.command("coverage")(coverage_cmd)
