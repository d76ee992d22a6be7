"""Coverage analytics (覆盖率分析) for the policy research centre.

Three views:

* **Clauses decidable from data (免申即享覆盖率).** A clause can be granted without an application
  only when every fact it reads (the family's subject and exclusions, its own conditions, the base
  of its amount) is held by a government department. :data:`FACT_SOURCES` says where each fact
  comes from; a fact only the enterprise can declare (``declared``) makes the clause need an
  application. Tags and events are registers kept by departments (``data``) unless listed.
* **Decisions decided vs undetermined**, from a run's results: per policy, overall, and per
  enterprise (firms with every clause decided).
* **Missing fields ranked** by the undetermined cases they would decide if known: a case is
  decided by field F when F is its *only* missing field (``decides``); ``with_others`` counts the
  cases that need F among other missing fields.
* **What is at stake** (:class:`Stake`, from a recorded run): the firms the family's subject and
  exclusions leave in scope; the decided share among the decisions that are or may be an award
  (QA: 99.9 % of all decisions were decided while 18 % of the firms that could get the R&D award
  were 待核实), split by clauses decidable from data and clauses needing the firm's declaration;
  the share of the awarded money in clauses decidable from data; and the 待核实 cases with the most
  they could cost (the clause's fixed sum, cap or highest tier).

Given the warehouse, it also lists the tags and event kinds the library reads that no firm carries
(:func:`unseen_registers`): decidable from data on paper, but a condition on one gives every firm
the same answer, so the test it stands for never fires (e.g. ``not tag 非独立核算`` when the data
record the positive tag 独立核算 instead).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.errors import InputError
from zonebrain.policy._evaluate import parameter_values
from zonebrain.policy._format import HISTORY_FACTS, Clause, Condition, Policy
from zonebrain.policy._library import Library
from zonebrain.policy._notes import run_period
from zonebrain.policy._run import latest_run_id, load_results, trace_shapes
from zonebrain.policy._store import results_table
from zonebrain.registry import FORMATS
from zonebrain.storage import Warehouse

Source = Literal["data", "declared"]


@dataclass(frozen=True)
class FactSource:
    """Where a fact comes from: ``data`` (a department holds it) or ``declared`` (the enterprise)."""

    source: Source
    holder: str
    """The department (or the enterprise's document) it comes from."""


FACT_SOURCES: dict[str, FactSource] = {
    "revenue_fen": FactSource("data", "统计局 (联网直报) / 税务局 (纳税申报)"),
    "tax_fen": FactSource("data", "税务局 (税收征管)"),
    "rd_expense_fen": FactSource(
        "declared", "企业申报 (研发费用专项审计报告); 税务局加计扣除数据接入后可改为 data"
    ),
    "employees": FactSource("data", "统计局 (从业人员)"),
    "insured_employees": FactSource("data", "人社局 (社保缴纳)"),
    "max_revenue_fen_before": FactSource("data", "统计局 (历年营业收入)"),
    "division_code": FactSource("data", "市场监管局 (登记)"),
    "park_id": FactSource("data", "管委会 (园区归属)"),
    "industry_code": FactSource("data", "市场监管局 / 统计局 (行业代码)"),
    "status": FactSource("data", "市场监管局 (登记状态)"),
    "event:高新技术企业首次认定": FactSource("data", "科技局 (高企认定名单)"),
    "event:迁入": FactSource("data", "市场监管局 (住所变更登记)"),
    "event:重大安全事故": FactSource("data", "应急管理局"),
    "event:劳资纠纷": FactSource("data", "人社局 (劳动保障监察)"),
    "event:严重违法失信": FactSource("data", "信用中国 / 发改委"),
    "event:经营异常": FactSource("data", "市场监管局 (经营异常名录)"),
    "event:一事一议协议": FactSource("data", "管委会 (协议台账)"),
    "tag:高新技术企业": FactSource("data", "科技局 (高企名单)"),
    "tag:非独立核算": FactSource("data", "市场监管局 (分支机构登记)"),
    "tag:产业结构调整限制类": FactSource("data", "发改委 (产业结构调整指导目录)"),
    "tag:产业结构调整淘汰类": FactSource("data", "发改委 (产业结构调整指导目录)"),
}
"""Fact → source. Facts are named as in conditions (``revenue_fen``), tags ``tag:NAME``, events
``event:KIND``; a tag or event not listed is a department's register (``data``). A fact not
listed is ``declared``. Override per call: ``coverage(lib, sources={"rd_expense_fen": "data"})``."""

_EXTRA_LABELS = {"max_revenue_fen_before": "以前各年度最高营业收入", "division_code": "注册地行政区划代码"}


def fact_label_zh(fact: str) -> str:
    """The Chinese name of a fact (the import formats' header, without its unit)."""
    if fact in _EXTRA_LABELS:
        return _EXTRA_LABELS[fact]
    for fmt in FORMATS.values():
        for col in fmt.columns:
            if col.target == fact and fmt.table in ("enterprises", "enterprise_years"):
                return re.sub(r"\(.*\)$", "", col.header)
    return fact


def missing_fields_zh(fields: str | None) -> str:
    """Missing data as people read it, with the year: ``tax_fen[2025],revenue_fen[2025]`` →
    ``2025年纳税总额、2025年营业收入`` (the names the coverage page and the 待核实 queue use)."""
    labels = [field_label_zh(f.strip()) for f in (fields or "").split(",") if f.strip()]
    return "、".join(dict.fromkeys(labels))


def field_label_zh(field: str) -> str:
    """``tax_fen[2024]`` → ``2024年纳税总额``; an enterprise fact → its name; the history fact says
    what it spans (``2024年以前各年度最高营业收入``, as ``explain`` says it); ``tag_since[T]`` → the
    date the firm first held tag T."""
    tag = re.fullmatch(r"tag_since\[(.+)\]", field)
    if tag:  # a tag condition's since_within: when the firm first held it
        return f"首次取得{tag.group(1)}的日期"
    m = re.fullmatch(r"(\w+)\[(\d{4})\]", field)
    if m and m.group(1) in HISTORY_FACTS:
        return f"{m.group(2)}年以前各年度最高营业收入"
    return f"{m.group(2)}年{fact_label_zh(m.group(1))}" if m else fact_label_zh(field)


def _needs(c: Condition) -> list[str]:
    out = []
    for leaf in c.leaves():
        name = leaf.fact or leaf.growth or (f"tag:{leaf.tag}" if leaf.tag else f"event:{leaf.event}")
        if name not in out:
            out.append(name)
    return out


def _source(fact: str, sources: Mapping[str, FactSource]) -> Source:
    if fact in sources:
        return sources[fact].source
    return "data" if fact.startswith(("tag:", "event:")) else "declared"


def unseen_note(unseen: pa.Table | None) -> str | None:
    """The warning for registers no firm carries (:func:`unseen_registers`), Chinese first; None
    when there are none. Coverage, ``policy run`` and the coverage page show it."""
    if unseen is None or not unseen.num_rows:
        return None
    items = []
    for r in unseen.to_pylist():
        near = f", 仓库中有相近的 {r['similar']}" if r["similar"] else ""
        items.append(f"{r['register_kind']} {r['register_name']} ({r['read_by']} 个条款读取{near})")
    return (
        f"政策库读取的 {len(items)} 项标签或事件在仓库中没有任何企业记录, 相关条件对每家企业"
        f"结果相同, 这些检验从未生效, 请核对名称或数据接入: {'; '.join(items)} "
        f"(warning: no firm in the warehouse carries {len(items)} tag(s) or event kind(s) the "
        "library reads; a condition on one gives every firm the same answer, so its test never "
        "fires: check the name or the data feed)"
    )


@dataclass(frozen=True)
class Stake:
    """What a run leaves at stake. A firm the family's subject and exclusions rule out is decided
    for every clause before any clause's own condition is read, and most other decisions are a
    plain 不符合: the decided share over all decisions (99.9 % in the demo) says little. What a
    leader needs is the share decided among the *candidates*, the decisions that are or may be an
    award (符合, 从高不重复 or 待核实), and what the undecided ones could cost."""

    firms: int
    """Enterprises in the run."""
    firms_in_scope: int
    """Enterprises the family's subject and exclusions do not rule out (for some clause)."""
    candidates: int
    """Decisions that are or may be an award: 符合, 从高不重复 or 待核实."""
    candidates_share: Fraction | None
    """Decided (not 待核实) among the candidates."""
    from_data_share: Fraction | None
    """The same among the candidates of clauses decidable from data (免申即享)."""
    declared_share: Fraction | None
    """The same among the candidates of clauses that need a fact the firm declares."""
    amount_from_data_share: Fraction | None
    """The share of the run's awarded money (符合) in clauses decidable from data."""
    undetermined: int
    """待核实 decisions."""
    undetermined_max_fen: int
    """The most those could cost, over the clauses whose award is bounded (fen)."""
    undetermined_unbounded: int
    """待核实 decisions of clauses with no bound (a rate with no cap): not in the sum above."""


def _float(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def max_award(policy: Policy, clause: Clause, period: int) -> int | None:
    """The most one enterprise can be awarded by *clause* in *period* (fen): its fixed sum, the
    highest amount of a single-mode tier table, or its cap (a value or the parameter in force at
    the period's end); None when nothing bounds it (a rate, or rate tiers, with no cap)."""
    a = clause.amount
    params = parameter_values(policy, dt.date(period, 12, 31), {}) if a.cap_param or a.fixed_param else {}
    fixed, _, cap = a.resolved(params)
    top: int | None = None
    if fixed is not None:
        top = int(fixed)
    elif a.tiers is not None and a.mode == "single" and all(t.amount is not None for t in a.tiers):
        top = max(int(t.amount or 0) for t in a.tiers)
    if cap is None:
        return top
    return int(cap) if top is None else min(top, int(cap))


def _family_digit(shape: str) -> int | None:
    """Where a clause's trace keeps the family's subject-and-exclusions result: its place in the
    result digits that begin every stored trace (None: the shape has no such result)."""
    got = json.loads(shape)
    for text, (kind, i) in zip(got["text"], got["fill"], strict=False):
        if kind == "r" and text.endswith('"subject_and_exclusions":'):
            return int(i)
    return None


def coverage_rows(wh: Warehouse, run_id: str) -> pa.Table:
    """What coverage reads of the run *run_id*: uscc, policy_id, clause_id, status, amount_fen,
    missing_fields and ``scope``, the family's result digit of each (``0`` ruled out, ``1`` holds,
    ``2`` unknown, null for a run from before trace shapes), read in the engine from the stored
    trace; never the traces themselves."""
    where = {k: _family_digit(s) for k, s in trace_shapes(wh, run_id).items()}
    t = results_table(wh)
    t = t.filter(t.run_id == run_id)
    picks = [
        ((t.policy_id == p) & (t.clause_id == c), t.trace.substr(i, 1))
        for (p, c), i in where.items()
        if i is not None
    ]
    scope = ibis.cases(*picks, else_=ibis.null("string")) if picks else ibis.null("string")
    cols = ("uscc", "policy_id", "clause_id", "status", "amount_fen", "missing_fields")
    return wh.to_arrow(t.select(*cols, scope=scope))


def stake(lib: Library, results: pa.Table, table: pa.Table, period: int | None) -> Stake:
    """:class:`Stake` of *results* (with ``scope``, see :func:`coverage_rows`) given the clause
    coverage *table* and the run's *period* (for the caps in force)."""
    from_data = [f"{r['policy_id']}/{r['clause_id']}" for r in table.to_pylist() if r["from_data"]]
    keys = pc.binary_join_element_wise(results["policy_id"], results["clause_id"], "/")
    is_data = pc.fill_null(pc.is_in(keys, value_set=pa.array(from_data, pa.string())), False)
    status = results["status"]
    und = pc.equal(status, "undetermined")
    eligible = pc.equal(status, "eligible")
    candidate = pc.not_equal(status, "ineligible")

    def count(mask: pa.Array | pa.ChunkedArray) -> int:
        return int(pc.sum(pc.cast(mask, pa.int64())).as_py() or 0)

    def decided_share(mask: pa.Array | pa.ChunkedArray) -> Fraction | None:
        m = pc.and_(candidate, mask)
        return _share(count(pc.and_(m, pc.invert(und))), count(m))

    def fen(mask: pa.Array | pa.ChunkedArray) -> int:
        return int(pc.sum(pc.filter(results["amount_fen"], mask)).as_py() or 0)

    bounds: dict[str, int | None] = {}
    for p in lib.policies.values():
        for c in p.clauses:
            bounds[f"{p.id}/{c.id}"] = None if period is None else max_award(p, c, period)
    asked = [bounds.get(str(k)) for k in pc.filter(keys, und).to_pylist()]
    in_scope = pc.filter(results["uscc"], pc.fill_null(pc.not_equal(results["scope"], "0"), True))
    return Stake(
        firms=int(pc.count_distinct(results["uscc"]).as_py() or 0),
        firms_in_scope=int(pc.count_distinct(in_scope).as_py() or 0),
        candidates=count(candidate),
        candidates_share=decided_share(pc.equal(candidate, candidate)),
        from_data_share=decided_share(is_data),
        declared_share=decided_share(pc.invert(is_data)),
        amount_from_data_share=_share(fen(pc.and_(eligible, is_data)), fen(eligible)),
        undetermined=count(und),
        undetermined_max_fen=sum(b or 0 for b in asked),
        undetermined_unbounded=sum(1 for b in asked if b is None),
    )


@dataclass(frozen=True)
class Coverage:
    """The three views; the last two are None when no results were given."""

    clauses: pa.Table
    """Per clause: policy_id, clause_id, ref, title, facts, declared (the facts only the
    enterprise can give), declared_zh (their Chinese names), from_data (every fact held by a department)."""
    clause_share: Fraction
    """免申即享覆盖率: clauses decidable from data / all clauses."""
    decisions: pa.Table | None
    """Per policy: decisions, eligible, ineligible, superseded, undetermined, decided, share (display)."""
    decided_share: Fraction | None
    """Decided enterprise × clause decisions / all decisions."""
    firms: int | None
    """Enterprises in the results."""
    firms_decided: int | None
    """Enterprises with every clause decided (no 待核实)."""
    missing: pa.Table | None
    """Per missing field: field, label_zh, source, decides, with_others, needs (= the two
    summed), firms (enterprises with a case needing it); by decides, then needs, descending."""
    unseen: pa.Table | None = None
    """The tags and event kinds the clauses read that no firm in the warehouse carries (see
    :func:`unseen_registers`); None when no warehouse was given."""
    stake: Stake | None = None
    """What is at stake in the run (None: no recorded run was read, or it has no trace shapes)."""

    def unseen_note(self) -> str | None:
        """The warning the CLI and the page show when :attr:`unseen` has rows, Chinese first."""
        return unseen_note(self.unseen)

    def summary(self) -> pa.Table:
        """One row of shares (floats, display only) and counts."""
        share = None if self.decided_share is None else float(self.decided_share)
        firm_share = None if not self.firms else (self.firms_decided or 0) / self.firms
        s = self.stake
        stake = {} if s is None else {
            "firms_in_scope": pa.array([s.firms_in_scope], pa.int64()),
            "candidates": pa.array([s.candidates], pa.int64()),
            "candidates_decided_share": pa.array([_float(s.candidates_share)], pa.float64()),
            "from_data_decided_share": pa.array([_float(s.from_data_share)], pa.float64()),
            "declared_decided_share": pa.array([_float(s.declared_share)], pa.float64()),
            "amount_from_data_share": pa.array([_float(s.amount_from_data_share)], pa.float64()),
            "undetermined": pa.array([s.undetermined], pa.int64()),
            "undetermined_max_fen": pa.array([s.undetermined_max_fen], pa.int64()),
            "undetermined_unbounded": pa.array([s.undetermined_unbounded], pa.int64()),
        }  # fmt: skip
        return pa.table(
            {
                "clauses": pa.array([self.clauses.num_rows], pa.int64()),
                "clauses_from_data": pa.array(
                    [int(pc.sum(self.clauses["from_data"].cast(pa.int64())).as_py() or 0)], pa.int64()
                ),
                "clause_share": pa.array([float(self.clause_share)], pa.float64()),
                "decided_share": pa.array([share], pa.float64()),
                "firms": pa.array([self.firms], pa.int64()),
                "firms_decided": pa.array([self.firms_decided], pa.int64()),
                "firms_decided_share": pa.array([firm_share], pa.float64()),
                **stake,
            }
        )

    def sheets(self) -> dict[str, pa.Table]:
        """The views as named tables (one Excel sheet each)."""
        out = {"概览 summary": self.summary(), "条款覆盖 clauses": self.clauses}
        if self.decisions is not None:
            out["决定情况 decisions"] = self.decisions
        if self.missing is not None:
            out["缺失字段 missing"] = self.missing
        if self.unseen is not None and self.unseen.num_rows:
            out["无企业记录 unseen"] = self.unseen
        return out


def _clause_facts(lib: Library) -> Iterator[tuple[Policy, Clause, list[str]]]:
    """Every clause with the facts it reads: the family's subject and exclusions, its conditions,
    its amount's base (tags as ``tag:NAME``, events as ``event:KIND``), each once, in reading order."""
    for p in lib.policies.values():
        fam = lib.families.get(p.family or "")
        shared = [] if fam is None else [fam.eligibility, *fam.exclusions]
        for c in p.clauses:
            facts: list[str] = []
            for tree in (*shared, c.when):
                facts += [f for f in _needs(tree) if f not in facts]
            if c.amount.of is not None and c.amount.of not in facts:
                facts.append(c.amount.of)
            yield p, c, facts


def clause_coverage(lib: Library, sources: Mapping[str, FactSource]) -> pa.Table:
    cols: dict[str, list[object]] = {
        k: []
        for k in ("policy_id", "clause_id", "ref", "title", "facts", "declared", "declared_zh", "from_data")
    }
    for p, c, facts in _clause_facts(lib):
        declared = [f for f in facts if _source(f, sources) == "declared"]
        for k, v in (
            ("policy_id", p.id), ("clause_id", c.id), ("ref", c.ref.text()), ("title", c.title),
            ("facts", ",".join(facts)), ("declared", ",".join(declared)),
            ("declared_zh", "、".join(fact_label_zh(f) for f in declared)), ("from_data", not declared),
        ):  # fmt: skip
            cols[k].append(v)
    return pa.table(
        cols, schema=pa.schema([*((k, pa.string()) for k in list(cols)[:-1]), ("from_data", pa.bool_())])
    )


_REGISTERS = {"tag": ("enterprise_tags", "tag", "标签"), "event": ("events", "kind", "事件")}
"""Per register kind: the warehouse table, its name column, and the kind in Chinese."""


def unseen_registers(lib: Library, wh: Warehouse) -> pa.Table:
    """The tags and event kinds *lib* reads that no firm in *wh* carries (no row at all, in any
    year): per register, ``register`` (``tag:非独立核算``), ``register_kind`` (标签/事件),
    ``register_name``, ``read_by`` (the clauses reading it, the family's shared conditions counting
    for each of its clauses) and ``similar`` (names on record that contain it, are contained in it
    or are close to it: ``独立核算`` for ``非独立核算``), in the order the library reads them."""
    read_by: dict[str, int] = {}
    for _p, _c, facts in _clause_facts(lib):
        for f in facts:
            if f.partition(":")[0] in _REGISTERS:
                read_by[f] = read_by.get(f, 0) + 1
    held: dict[str, list[str]] = {}
    for kind, (table, column, _zh) in _REGISTERS.items():
        t = wh.table(table)
        held[kind] = [str(n) for n in wh.to_arrow(t.select(column).distinct())[column].to_pylist() if n]
    rows = []
    for f, n in read_by.items():
        kind, _, name = f.partition(":")
        if name in held[kind]:
            continue
        near = [h for h in sorted(held[kind]) if h in name or name in h]
        near += [
            h for h in difflib.get_close_matches(name, sorted(held[kind]), n=3, cutoff=0.8) if h not in near
        ]
        rows.append(
            {
                "register": f,
                "register_kind": _REGISTERS[kind][2],
                "register_name": name,
                "read_by": n,
                "similar": "、".join(near) or None,
            }
        )
    schema = pa.schema(
        [("register", pa.string()), ("register_kind", pa.string()), ("register_name", pa.string()),
         ("read_by", pa.int64()), ("similar", pa.string())]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=schema)


def decisions(results: pa.Table) -> pa.Table:
    """Per policy: how many enterprise × clause decisions of each status, decided and the share."""
    status = results["status"]
    counts = {
        s: pc.equal(status, s).cast(pa.int64())
        for s in ("eligible", "ineligible", "superseded", "undetermined")
    }
    t = pa.table(
        {
            "policy_id": results["policy_id"],
            "decisions": pa.array([1] * results.num_rows, pa.int64()),
            **counts,
        }
    )
    got = t.group_by("policy_id", use_threads=False).aggregate([(c, "sum") for c in t.column_names[1:]])
    got = got.rename_columns([c.removesuffix("_sum") for c in got.column_names])
    decided = pc.subtract(got["decisions"], got["undetermined"])
    got = got.append_column("decided", decided)
    share = pc.divide(decided.cast(pa.float64()), got["decisions"].cast(pa.float64()))
    return got.append_column("share", share).sort_by("policy_id")


def missing_fields(results: pa.Table, sources: Mapping[str, FactSource]) -> pa.Table:
    """The missing fields of the undetermined rows, ranked by the cases each alone would decide."""
    und = results.filter(pc.fill_null(pc.equal(results["status"], "undetermined"), False))
    und = und.filter(pc.is_valid(und["missing_fields"]))
    parts = pc.split_pattern(und["missing_fields"], ",")
    field = pc.list_flatten(parts)
    owner = pc.list_parent_indices(parts)
    alone = pc.equal(pc.take(pc.list_value_length(parts), owner), 1).cast(pa.int64())
    t = pa.table(
        {
            "field": field,
            "decides": alone,
            "with_others": pc.subtract(1, alone),
            "uscc": pc.take(und["uscc"], owner),
        }
    )
    got = t.group_by("field", use_threads=False).aggregate(
        [("decides", "sum"), ("with_others", "sum"), ("uscc", "count_distinct")]
    )
    names = [str(f) for f in got["field"].to_pylist()]
    facts = [re.sub(r"\[\d{4}\]$", "", f) for f in names]
    out = pa.table(
        {
            "field": got["field"],
            "label_zh": pa.array([field_label_zh(f) for f in names], pa.string()),
            "source": pa.array([_source(f, sources) for f in facts], pa.string()),
            "decides": got["decides_sum"],
            "with_others": got["with_others_sum"],
            "needs": pc.add(got["decides_sum"], got["with_others_sum"]),
            "firms": got["uscc_count_distinct"],
        }
    )
    return out.sort_by([("decides", "descending"), ("needs", "descending"), ("field", "ascending")])


def coverage(
    lib: Library,
    results: pa.Table | None = None,
    wh: Warehouse | None = None,
    *,
    run_id: str | None = None,
    sources: Mapping[str, FactSource | Source] | None = None,
    period: int | None = None,
) -> Coverage:
    """Coverage of *lib* and, given *results* (or *wh*: the run *run_id*, default the latest),
    of a run. *sources* overrides :data:`FACT_SOURCES` (a value may be just ``"data"``). Given
    *wh*, :attr:`Coverage.unseen` lists the tags and event kinds no firm in it carries. Results
    as :func:`coverage_rows` gives them (with ``scope`` and ``amount_fen``) also give
    :attr:`Coverage.stake`, the caps read as in force in the run's *period* (read from *wh*)."""
    chosen = dict(FACT_SOURCES)
    for k, v in (sources or {}).items():
        if k not in FACT_SOURCES:
            raise InputError(
                f"未知事实 '{k}' (unknown fact); 可用 / available: {', '.join(sorted(FACT_SOURCES))}"
            )
        if not isinstance(v, FactSource) and v not in ("data", "declared"):
            raise InputError(f"来源 {k}={v!r} 无效 (invalid source); 用 data 或 declared")
        chosen[k] = v if isinstance(v, FactSource) else FactSource(v, "(what-if)")
    table = clause_coverage(lib, chosen)
    n = table.num_rows
    share = Fraction(int(pc.sum(table["from_data"].cast(pa.int64())).as_py() or 0), n) if n else Fraction(0)
    unseen = None if wh is None else unseen_registers(lib, wh)
    if results is None and wh is not None:
        run_id = run_id or latest_run_id(wh)
        results, period = coverage_rows(wh, run_id), run_period(wh, run_id)
        if not results.num_rows:  # no rows: say whether the run itself is unknown
            load_results(wh, run_id, traces=False)
    if results is None:
        return Coverage(table, share, None, None, None, None, None, unseen)
    at_stake = None
    if "scope" in results.column_names and "amount_fen" in results.column_names:
        at_stake = stake(lib, results, table, period)
    per = decisions(results)
    total = int(pc.sum(per["decisions"]).as_py() or 0)
    decided = int(pc.sum(per["decided"]).as_py() or 0)
    und = pc.equal(results["status"], "undetermined").cast(pa.int64())
    by_firm = pa.table({"uscc": results["uscc"], "u": und}).group_by("uscc").aggregate([("u", "sum")])
    firms_decided = int(pc.sum(pc.equal(by_firm["u_sum"], 0).cast(pa.int64())).as_py() or 0)
    return Coverage(
        clauses=table,
        clause_share=share,
        decisions=per,
        decided_share=Fraction(decided, total) if total else None,
        firms=by_firm.num_rows,
        firms_decided=firms_decided,
        missing=missing_fields(results, chosen),
        unseen=unseen,
        stake=at_stake,
    )
