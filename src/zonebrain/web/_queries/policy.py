"""政策 queries: the policy library, the recorded runs, a run's results (scoped), one firm's traces.

Results and traces hold firm-level figures (the values read, the amounts derived from revenue or
tax), so they are scoped like finance: the join with ``enterprises`` goes through
:meth:`Principal.scope_enterprises`, which keeps a park officer to their park and an enterprise
user to their own USCC. A run's results never change, so they are cached by run id; the list of
runs is read fresh (a run recorded by the CLI shows at once).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import ibis
import ibis.expr.types as ir

from zonebrain import policy as pol
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.policy._explain import (
    Explained,
    clause_order,
    explain,
    in_library_order,
    parameter_text,
)
from zonebrain.policy._library import ledger_period
from zonebrain.policy._notes import run_period
from zonebrain.policy._run import default_period
from zonebrain.policy._store import results_table, run_summary
from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal, scope_key
from zonebrain.web._errors import NotFound
from zonebrain.web._queries._common import field_names, park_names, resolve_park
from zonebrain.web._queries.enterprises import _one as enterprise_row
from zonebrain.web._queries.policy_words import EN_WORDS, rule_text
from zonebrain.web._queries.whatif_words import rule_label
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

STATUSES: Final = ("eligible", "undetermined", "superseded", "ineligible")
"""Result statuses, in the order a results list shows them (what is payable first)."""
MAX_PAGE: Final = 500
RESULT_COLUMNS: Final = [
    Col("uscc", "col.uscc", "link"),
    Col("name", "col.name"),
    Col("park", "col.park"),
    Col("policy_name", "policy.col.policy_name"),
    Col("clause_ref", "policy.col.ref"),
    Col("clause_title", "policy.col.clause_title"),
    Col("status_text", "policy.col.status"),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    Col("missing_text", "policy.col.missing"),
    Col("ledger_text", "policy.col.ledger"),
    Col("policy_id", "policy.col.policy_id"),  # the codes last: names first (Chinese), then ids
    Col("clause_id", "policy.col.clause_id"),
    Col("missing_fields", "policy.col.missing_code", page=False, xlsx=False),
    Col("status", "policy.col.status_code", page=False),
]
RUN_COLUMNS: Final = [
    Col("run_id", "policy.col.run_id", "link"),
    Col("as_of", "policy.col.as_of", "date"),
    Col("note_text", "policy.col.note"),
    Col("kind_text", "policy.col.kind"),
    Col("note", "policy.col.note_code", page=False, xlsx=False),
    Col("kind", "policy.col.kind_code", page=False, xlsx=False),
    Col("policies_hash", "policy.col.policies_hash"),
    Col("parameters_hash", "policy.col.parameters_hash"),
    Col("batches", "policy.col.batches", "int"),
    Col("created_at", "policy.col.created_at", "date"),
]
SUMMARY_COLUMNS: Final = [
    Col("policy_name", "policy.col.policy_name"),
    Col("clause_ref", "policy.col.ref"),
    Col("title", "policy.col.clause_title"),
    Col("eligible", "policy.status_eligible", "int"),
    Col("undetermined", "policy.status_undetermined", "int"),
    Col("superseded", "policy.status_superseded", "int"),
    Col("amount_fen", "policy.col.amount", "fen", unit="元"),
    Col("paid", "policy.col.paid_count", "int"),
    Col("policy_id", "policy.col.policy_id"),
    Col("clause_id", "policy.col.clause_id"),
]


@cache
def library() -> pol.Library:
    """The built-in policy library (loaded once per process)."""
    return pol.load_library()


def yuan(fen: int | None) -> str:
    """An amount in 元 for a page (exact, from integer fen)."""
    return "" if fen is None else display_fen(int(fen), "元")


RUN_KINDS: Final = {
    "run": "policy.kind_run",
    "whatif": "policy.kind_whatif",
    "simulation": "policy.kind_whatif",
}
_PERIOD_NOTE = re.compile(r"^period=(\d{4})$")


def run_kind_text(kind: str, t: Any) -> str:
    """``run`` → 测算, a simulation → 模拟; another kind as it is."""
    return t(RUN_KINDS[kind]) if kind in RUN_KINDS else kind


def run_note_text(note: str | None, t: Any) -> str:
    """The default note ``period=2024`` → 考核年度 2024; a note someone wrote as it is."""
    m = _PERIOD_NOTE.match(note or "")
    return t("policy.note_period", year=m.group(1)) if m else (note or "")


def default_as_of(ctx: WebContext) -> dt.date:
    """The as-of date a form starts from: the latest recorded run's (so its period has data; the
    what-if page and 立即测算 share it), or today when nothing has been run yet."""
    with ctx.pool.reader() as wh:
        t = wh.table("policy_runs")
        found = wh.to_arrow(
            t.order_by([ibis.desc("created_at"), ibis.desc("run_id")]).limit(1).select("as_of")
        )
    if not found.num_rows:
        return dt.date.today()
    day = found["as_of"][0].as_py()
    return day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])


def clause_refs(lib: pol.Library) -> dict[tuple[str, str], tuple[str, str]]:
    """(policy, clause) → (条款 reference, title)."""
    return {(p.id, c.id): (c.ref.text(), c.title) for p in lib.policies.values() for c in p.clauses}


def policy_names(lib: pol.Library) -> dict[str, str]:
    """Policy id → its Chinese name (``zz-hitech-first-cert`` → 郑州市高新技术企业首次认定奖励)."""
    return {pid: p.meta.name for pid, p in lib.policies.items()}


def clause_name(lib: pol.Library, name: str, *, code: bool = True) -> str:
    """``policy/clause`` as people read it: the policy's name and the clause's 条款, the code after
    (``郑州高新区企业研发投入奖励 第一条 (zz-rd-input/award)``; ``code=False``: without it); an
    unknown code as it is."""
    pid, _, cid = name.partition("/")
    p = lib.policies.get(pid)
    ref = clause_refs(lib).get((pid, cid))
    if p is None or ref is None:
        return name
    return f"{p.meta.name} {ref[0]} ({name})" if code else f"{p.meta.name} {ref[0]}"


def no_such_run(run_id: str) -> NotFound:
    """The 404 for a run id that names no recorded run: the id, and where the runs are listed,
    Chinese first (``raise no_such_run(run_id)``; the what-if baseline, coverage and batch pages
    may use it too)."""
    return NotFound(
        f"没有测算记录 '{run_id[:64]}' (no such policy run); "
        "请在政策页的“测算记录”中选择 (pick one of the runs listed on the 政策 page, /policy)"
    )


def no_such_firm(uscc: str) -> NotFound:
    """The 404 for a USCC no firm of the registry has (for who may see every firm only: a scoped
    user is refused with 403 before, learning nothing about firms outside the scope)."""
    return NotFound(
        f"没有统一社会信用代码为 {uscc[:18]} 的企业 (no such enterprise); "
        "请核对代码，或在企业名单中查找 (check the code, or search the enterprise list)"
    )


def resolve_policy(text: str | None) -> str | None:
    """A policy filter: its id (``zz-rd-input``, case aside) or its Chinese name → the id; empty →
    None. Anything else is refused (400 ``invalid_input``) naming the policies, never read as a
    filter no result matches."""
    text = (text or "").strip()
    if not text:
        return None
    lib = library()
    for pid, p in lib.policies.items():
        if text.casefold() in (pid.casefold(), p.meta.name.casefold()):
            return pid
    choices = "; ".join(f"{p.meta.name} ({pid})" for pid, p in lib.policies.items())
    raise InputError(f"未知政策 '{text[:64]}' (unknown policy); 可选 / choose: {choices}")


def result_filters(ctx: WebContext, park: str | None, policy: str | None) -> tuple[str | None, str | None]:
    """The park and policy filters of a run's results as codes: a park by code or name (梧桐,
    Wutong), a policy by id or name; an unknown value is a 400 naming the choices."""
    return resolve_park(ctx, park), resolve_policy(policy)


# ---- the library -----------------------------------------------------------------------------


def library_view(lib: pol.Library, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every policy: metadata, clauses (ref, once-only, amount ref) and dated parameters."""
    day = today or dt.date.today()
    out = []
    for p in lib.policies.values():
        params = []
        for name, spec in p.parameters.items():
            values = sorted(spec.values, key=lambda v: v.since)
            params.append(
                {
                    "name": name,
                    "ref": spec.ref.text(),
                    "kind": spec.kind,
                    "current": parameter_text(spec.kind, spec.value_on(day)),
                    "values": [
                        {
                            "since": v.since.isoformat(),
                            "value": parameter_text(spec.kind, spec.value_on(v.since)),
                            "raw": str(v.value),
                        }
                        for v in values
                    ],
                }
            )
        out.append(
            {
                "id": p.id,
                "name": p.meta.name,
                "number": p.meta.number,
                "issuer": p.meta.issuer,
                "document": p.meta.document,
                "issued_on": p.meta.issued_on.isoformat() if p.meta.issued_on else None,
                "source_url": p.meta.source_url,
                "family": p.family,
                "effective_from": p.meta.effective_from.isoformat(),
                "effective_to": p.meta.effective_to.isoformat() if p.meta.effective_to else None,
                "clauses": [
                    {
                        "id": c.id,
                        "ref": c.ref.text(),
                        "title": c.title,
                        "once": c.once,
                        "amount_ref": c.amount.ref.text(),
                    }
                    for c in p.clauses
                ],
                "parameters": params,
            }
        )
    return out


CLAUSE_COLUMNS: Final = [
    Col("policy_id", "policy.col.policy"),
    Col("name", "policy.col.title"),
    Col("clause_id", "policy.col.clause"),
    Col("clause_ref", "policy.col.ref"),
    Col("title", "policy.col.clause_title"),
    Col("once", "policy.col.once"),
    Col("amount_ref", "policy.col.amount_ref"),
    Col("parameters", "policy.parameters"),
]


def clauses_table(lib: pol.Library, t: Any, today: dt.date | None = None) -> DataTable:
    """Every clause of the library with its policy and the policy's parameters in force (one table)."""
    rows = []
    for p in library_view(lib, today):
        params = "; ".join(f"{x['name']} = {x['current']} ({x['ref']})" for x in p["parameters"])
        for c in p["clauses"]:
            rows.append(
                {
                    "policy_id": p["id"],
                    "name": p["name"],
                    "clause_id": c["id"],
                    "clause_ref": c["ref"],
                    "title": c["title"],
                    "once": t("policy.once") if c["once"] else "",
                    "amount_ref": c["amount_ref"],
                    "parameters": params,
                }
            )
    return DataTable("policy_clauses", "policy.clauses_title", list(CLAUSE_COLUMNS), rows)


# ---- runs ------------------------------------------------------------------------------------


def runs(ctx: WebContext, t: Any, *, short: bool = False, limit: int = 200) -> DataTable:
    """The recorded runs, newest first (hashes shortened to 12 characters with *short*)."""

    def newest(wh: Warehouse) -> ir.Table:
        return wh.table("policy_runs").order_by([ibis.desc("created_at"), ibis.desc("run_id")]).limit(limit)

    with ctx.pool.reader() as wh:
        found = wh.lookup(f"web.policy_runs.{limit}", newest).to_pylist()
    rows = []
    for r in found:
        rows.append(
            {
                "run_id": r["run_id"],
                "as_of": r["as_of"],
                "note": r["note"],
                "note_text": run_note_text(r["note"], t),
                "kind": r["kind"],
                "kind_text": run_kind_text(r["kind"], t),
                "policies_hash": r["policies_hash"][:12] if short else r["policies_hash"],
                "parameters_hash": r["parameters_hash"][:12] if short else r["parameters_hash"],
                "batches": len([b for b in (r["batch_ids"] or "").split(",") if b]),
                "created_at": r["created_at"],
            }
        )
    return DataTable("policy_runs", "policy.runs_title", list(RUN_COLUMNS), rows)


def _run_row(wh: Warehouse, run_id: str) -> ir.Table:
    t = wh.table("policy_runs")
    return t.filter(t.run_id == run_id)


def run_info(ctx: WebContext, run_id: str) -> dict[str, Any]:
    """One recorded run, or 404; with the ``period`` it assessed and whether it is ``provisional``
    (the period had not ended on its as-of date: the pages warn, and no batch is made from it)."""
    with ctx.pool.reader() as wh:
        found = wh.lookup("web.policy_run", _run_row, run_id).to_pylist()
        if not found:
            raise no_such_run(run_id)
        row: dict[str, Any] = dict(found[0])
        m = _PERIOD_NOTE.match(row["note"] or "")  # the default note; else the traces say
        period = int(m.group(1)) if m else run_period(wh, run_id)
    row["batch_ids"] = [b for b in (row["batch_ids"] or "").split(",") if b]
    row["period"] = default_period(row["as_of"]) if period is None else period
    row["provisional"] = pol.provisional(row["as_of"], row["period"])
    return row


def provisional_note(run: dict[str, Any]) -> str | None:
    """The warning a page shows for a provisional run (Chinese first, then English), else None."""
    return pol.provisional_text(run["as_of"], run["period"]) if run["provisional"] else None


def clause_rank(t: ir.Table, lib: pol.Library) -> ir.IntegerValue:
    """The library position of each row's clause as an engine expression (a CASE), so a paged
    query orders ``reach-10m`` before ``reach-100m`` in the engine; an unknown clause goes last."""
    place = clause_order(lib)
    cases = [((t.policy_id == pid) & (t.clause_id == cid), i) for (pid, cid), i in place.items()]
    return ibis.cases(*cases, else_=len(place)) if cases else ibis.literal(0)


def latest_run_id(ctx: WebContext) -> str | None:
    with ctx.pool.reader() as wh:
        t = wh.table("policy_runs")
        found = wh.to_arrow(
            t.order_by([ibis.desc("created_at"), ibis.desc("run_id")]).limit(1).select("run_id")
        )
    return str(found["run_id"][0].as_py()) if found.num_rows else None


def summary(ctx: WebContext, run_id: str, p: Principal | None = None) -> DataTable:
    """Per clause of a run: eligible, undetermined and superseded firms, eligible amount: zone
    totals, or for a park officer those of the park, counted on the results *p* may see, as its
    results page lists them (enterprise users see no summary: the route refuses them)."""
    scoped = p is not None and p.park_scope is not None

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        if scoped:
            assert p is not None
            j = _scoped(wh, p, run_id)
            g = j.group_by(["policy_id", "clause_id", "status"]).aggregate(
                n=j.count(), fen=j.amount_fen.sum().fill_null(0).cast("int64")
            )
        else:
            t = run_summary(wh, run_id)  # counted on the run's rows, no enterprise joined
            g = t.select(
                "policy_id", "clause_id", "status", n=t.rows, fen=t.amount_fen.fill_null(0).cast("int64")
            )
        rows: list[dict[str, Any]] = wh.to_arrow(g).to_pylist()
        return rows

    refs, names = clause_refs(library()), policy_names(library())
    out: dict[tuple[str, str], dict[str, Any]] = {}
    cached = ("policy_summary", run_id, scope_key(p) if scoped and p is not None else None)
    for r in ctx.cache.get(cached, compute):
        key = (r["policy_id"], r["clause_id"])
        ref, title = refs.get(key, ("", ""))
        d = out.setdefault(
            key,
            {
                "policy_name": names.get(key[0], key[0]),
                "policy_id": key[0],
                "clause_id": key[1],
                "clause_ref": ref,
                "title": title,
                "eligible": 0,
                "undetermined": 0,
                "superseded": 0,
                "amount_fen": 0,
            },
        )
        if r["status"] in ("eligible", "undetermined", "superseded"):
            d[r["status"]] = int(r["n"])
        if r["status"] == "eligible":
            d["amount_fen"] += int(r["fen"] or 0)
    paid = _paid_counts(ctx, run_id, p if scoped else None)
    for key, d in out.items():
        d["paid"] = paid.get(key, 0)
    rows = in_library_order(library(), [out[k] for k in sorted(out)])  # reach-10m before reach-100m
    title = "policy.summary_title_scoped" if scoped else "policy.summary_title"
    return DataTable(
        f"policy_summary_{_safe(run_id)}", title, list(SUMMARY_COLUMNS), rows, title_params={"run": run_id}
    )


def _paid_counts(ctx: WebContext, run_id: str, p: Principal | None) -> dict[tuple[str, str], int]:
    """Per clause, how many of the run's eligible awards (of the firms *p* may see; None: all) the
    payment ledger holds (live, by its key, see :func:`_paid_keys`): the summary's 其中已兑现 (QA: the
    results said 已兑现 per row, the summary not at all). The run's eligible rows are kept per run
    and scope; the ledger is read on every request (it changes as batches are paid)."""

    def compute(wh: Warehouse) -> list[dict[str, Any]]:
        res = _scoped(wh, p, run_id) if p is not None else results_table(wh).filter(ibis._.run_id == run_id)
        got = res.filter((res.status == "eligible") & (res.amount_fen > 0))
        rows: list[dict[str, Any]] = wh.to_arrow(got.select("uscc", "policy_id", "clause_id")).to_pylist()
        return rows

    rows = ctx.cache.get(("policy_eligible", run_id, scope_key(p) if p is not None else None), compute)
    paid = _paid_keys(ctx, run_id, rows)
    return dict(Counter((r["policy_id"], r["clause_id"]) for r in rows if paid(r)))


def shown_status(status: str | None, amount_fen: int | None) -> str:
    """The status a page shows: an eligible award a budget pool or a cap cut to 0 fen is
    ``unfunded`` (符合, 未获分配: not a beneficiary, never paid), as the what-if calls it."""
    return "unfunded" if status == "eligible" and amount_fen == 0 else str(status)


def chart(table: DataTable, t: Any) -> dict[str, Any]:
    """The summary as the bar chart's data: counts per clause (named by policy and 条款, as the
    table beside it) and amounts in fen."""
    return {
        "clauses": [f"{r['policy_name']} {r['clause_ref']}".strip() for r in table.rows],
        "eligible": [r["eligible"] for r in table.rows],
        "undetermined": [r["undetermined"] for r in table.rows],
        "amount_fen": [r["amount_fen"] for r in table.rows],
        "labels": {
            "eligible": t("policy.status_eligible"),
            "undetermined": t("policy.status_undetermined"),
            "firms": t("policy.firms"),
            "amount": t("policy.amount_wan"),
        },
    }


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64]


# ---- results ---------------------------------------------------------------------------------


def _scoped(wh: Warehouse, p: Principal, run_id: str) -> ir.Table:
    """The run's results joined with the firms *p* may see (uscc, name, park_id)."""
    ent = p.scope_enterprises(wh.table("enterprises")).select("uscc", "name", "park_id")
    res = results_table(wh)
    res = res.filter(res.run_id == run_id)
    return res.join(ent, "uscc")


def results(
    ctx: WebContext,
    p: Principal,
    locale: str,
    t: Any,
    run_id: str,
    *,
    park: str | None = None,
    policy_id: str | None = None,
    status: str | None = None,
    uscc: str | None = None,
    page: int = 1,
    size: int | None = 100,
) -> DataTable:
    """A run's results that *p* may see, payable first; one page of *size* (None: every row)."""
    p.require(Perm.FINANCE)
    park, policy_id = result_filters(ctx, park, policy_id)  # 梧桐 → wutong; unknown → 400
    page = max(1, page)
    if size is not None:
        size = max(1, min(size, MAX_PAGE))
    order = ibis.cases(*((ibis._.status == s, i) for i, s in enumerate(STATUSES)), else_=len(STATUSES))

    def compute(wh: Warehouse) -> tuple[int, list[dict[str, Any]]]:
        j = _scoped(wh, p, run_id)
        if park:
            j = j.filter(j.park_id == park)
        if policy_id:
            j = j.filter(j.policy_id == policy_id)
        if status:
            j = j.filter(j.status == status)
        if uscc:
            j = j.filter(j.uscc == uscc)
        total = int(wh.to_arrow(j.aggregate(n=ibis._.uscc.count()))["n"][0].as_py())
        cols = ["uscc", "name", "park_id", "policy_id", "clause_id", "status", "amount_fen", "missing_fields"]
        expr = j.select(*cols)
        expr = expr.mutate(rank=order, place=clause_rank(expr, library()))  # clauses in library order
        expr = expr.order_by(["rank", ibis.desc("amount_fen"), "uscc", "policy_id", "place", "clause_id"])
        if size is not None:
            expr = expr.limit(size, offset=(page - 1) * size)
        return total, wh.to_arrow(expr.drop("rank", "place")).to_pylist()

    key = ("policy_results", run_id, scope_key(p), park, policy_id, status, uscc, page, size)
    total, cached = ctx.cache.get(key, compute)
    names, policies = park_names(ctx, locale), policy_names(library())
    refs = clause_refs(library())
    paid = _paid_keys(ctx, run_id, cached)
    rows = []
    for r in cached:
        row = dict(r)
        row["park"] = names.get(row["park_id"], row["park_id"])
        row["policy_name"] = policies.get(row["policy_id"], row["policy_id"])
        row["clause_ref"], row["clause_title"] = refs.get((row["policy_id"], row["clause_id"]), ("", ""))
        row["status_text"] = t(f"policy.status_{shown_status(row['status'], row['amount_fen'])}")
        row["missing_text"] = field_names(locale, row["missing_fields"])
        row["ledger_text"] = t("policy.ledger_in") if paid(row) else ""
        rows.append(row)
    return DataTable(
        f"policy_results_{_safe(run_id)}",
        "policy.results_title",
        list(RESULT_COLUMNS),
        rows,
        total=total,
        title_params={"run": run_id},
    )


def _paid_keys(ctx: WebContext, run_id: str, rows: list[dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    """Whether a result row's award is in the payment ledger (live), by the ledger's key: the run's
    period, or ``once`` for a one-time award paid in any year. The results of a run stay what the
    data decided; this says what the 兑现 workflow did since (QA: 424 annual awards paid for the
    year still read only 符合, and a paid one-time award only 不符合)."""
    from zonebrain.disbursement import Ledger

    if not rows:
        return lambda row: False
    keyed = ledger_period(library(), run_info(ctx, run_id)["period"])
    usccs = {r["uscc"] for r in rows}
    keys = Ledger(ctx.store).live_keys(None if len(usccs) > _ALL_KEYS_FROM else usccs)

    def paid(row: dict[str, Any]) -> bool:
        pid, cid = row["policy_id"], row["clause_id"]
        return (row["uscc"], pid, cid, keyed(pid, cid)) in keys

    return paid


_ALL_KEYS_FROM = 2_000
"""From this many enterprises (an export), the whole ledger's keys are read instead of a list."""


def enterprise_policies(ctx: WebContext, p: Principal, uscc: str, locale: str = "zh-CN") -> dict[str, Any]:
    """The latest run's results of one firm (403 outside the scope, 404 for an unknown firm): each
    clause by its policy's name and 条款, the run's provisional warning, and what the 兑现 workflow
    did since (``history``: ``paid`` from the payment ledger, or ``withdrawn`` by an upheld
    objection), as the self-check shows it, so an award paid after the run is not offered again."""
    from zonebrain.disbursement import Ledger

    p.require(Perm.FINANCE)
    firm = enterprise_row(ctx, p, uscc)
    run_id = latest_run_id(ctx)
    if run_id is None:
        return {"run_id": None, "firm": firm, "rows": [], "absent": None, "provisional": None}
    run = run_info(ctx, run_id)
    lib = library()
    with ctx.pool.reader() as wh:
        got = pol.load_results(wh, run_id, firm["uscc"], traces=False)
    cols = ["policy_id", "clause_id", "status", "amount_fen", "missing_fields"]
    # the ledger's key per row (the year, or once for a one-time award), as the self-check reads it
    got = pol.with_outcomes(got.select(cols), lib, run["period"], Ledger(ctx.store).outcomes(firm["uscc"]))
    found = in_library_order(lib, got.select([*cols, "history"]).to_pylist())
    refs, names = clause_refs(lib), policy_names(lib)
    for r in found:
        r["clause_ref"], r["title"] = refs.get((r["policy_id"], r["clause_id"]), ("", ""))
        r["policy_name"] = names.get(r["policy_id"], r["policy_id"])
        r["missing_text"] = field_names(locale, r["missing_fields"])
        r["shown_status"] = shown_status(r["status"], r["amount_fen"])
    absent = None if found else pol.registered_after_text(firm.get("registered_on"), run["period"])
    return {
        "run_id": run_id,
        "firm": firm,
        "rows": found,
        "absent": absent,
        "provisional": provisional_note(run),
    }


def traces(ctx: WebContext, p: Principal, run_id: str, uscc: str, locale: str = "zh-CN") -> dict[str, Any]:
    """Every clause of one firm in one run with its trace explained (403/404 as for the firm), its
    labels and tests worded in *locale*."""
    p.require(Perm.FINANCE)
    run = run_info(ctx, run_id)  # an unknown run is named first (404)
    try:
        firm = enterprise_row(ctx, p, uscc)  # out of scope: 403
    except NotFound:
        raise no_such_firm(uscc) from None
    with ctx.pool.reader() as wh:
        found = pol.load_results(wh, run_id, firm["uscc"]).to_pylist()  # traces expanded to full text
    lib = library()
    found = in_library_order(lib, found)  # reach-10m before reach-100m, as the CLI's explain
    items: list[dict[str, Any]] = []
    for r in found:
        ex: Explained = explain(lib, r["trace"], EN_WORDS if locale == "en" else None)
        items.append(
            {
                "policy_id": r["policy_id"],
                "clause_id": r["clause_id"],
                "status": r["status"],
                "amount_fen": r["amount_fen"],
                "missing_fields": r["missing_fields"],
                "explained": ex,
                "rule_text": rule_text(str(ex.amount.get("rule") or ""), locale),
            }
        )
    absent = None if items else pol.registered_after_text(firm.get("registered_on"), run["period"])  # say why
    return {"run": run, "firm": firm, "items": items, "absent": absent}


def trace_json(item: dict[str, Any]) -> dict[str, Any]:
    ex: Explained = item["explained"]
    return {
        "policy_id": item["policy_id"],
        "clause_id": item["clause_id"],
        "clause_ref": ex.ref,
        "title": ex.title,
        "period": ex.period,
        "status": item["status"],
        "amount_fen": item["amount_fen"],
        "missing_fields": item["missing_fields"],
        "labelled": ex.labelled,
        "subject_and_exclusions": ex.subject_and_exclusions,
        "clause_conditions": ex.clause_conditions,
        "conditions": [
            {
                "label": c.label,
                "part": c.part,
                "negated": c.negated,
                "favourable": c.favourable,
                "ref": c.ref,
                "test": c.test,
                "test_text": c.test_text,
                "label_generated": c.label_generated,
                "value": c.value,
                "value_text": c.value_text,
                "parameters": c.parameters,
                "result": c.result,
                "holds": c.holds,
            }
            for c in ex.conditions
        ],
        "amount": ex.amount,
        "extra": ex.extra,
    }


# ---- a trace read for people (display only: the stored trace keeps its codes) ------------------

LEDGER_PAID: Final = "already paid (one-time award)"
"""The ledger note a run writes into the trace of a one-time award paid before (see run_now)."""
NOTE_KEYS: Final = ("group", "group_ref", "superseded_by", "kept_over", "ledger", "enterprise_cap", "budget")


def group_text(lib: pol.Library, group_id: str, t: Any) -> str:
    """A 从高从优 group as people read it: its members (policies, or clauses when it names them),
    the id after (``郑州市高新技术企业首次认定奖励、郑州高新区企业研发投入奖励 中只享受最高一项
    (tech-innovation)``); an id no family of the library has, as it is."""
    group = next((g for f in lib.families.values() for g in f.groups if g.id == group_id), None)
    if group is None:
        return group_id
    policies = policy_names(lib)
    names = [
        policies.get(m[:-2], m) if m.endswith("/*") else clause_name(lib, m, code=False)
        for m in group.members
    ]
    return str(t("policy.group_note", members="、".join(names), id=group_id))


def note_text(key: str, value: Any, t: Any) -> str:
    """One note of a trace (the group, the ledger, a cap or a budget pool) in the reader's words."""
    lib = library()
    if key == "ledger" and value == LEDGER_PAID:
        return str(t("policy.ledger_paid"))
    if key in ("superseded_by", "kept_over") and isinstance(value, str):
        return "、".join(clause_name(lib, x) for x in value.split(",") if x)
    if key == "group" and isinstance(value, str):
        return group_text(lib, value, t)
    if key == "enterprise_cap" and isinstance(value, dict):
        return str(
            t(
                "policy.cap_note",
                ref=value.get("ref", ""),
                cap=yuan(value.get("cap")),
                requested=yuan(value.get("requested")),
                granted=yuan(value.get("granted")),
            )
        )
    if key == "budget" and isinstance(value, dict):
        rule = str(value.get("rule", ""))
        return str(
            t(
                "policy.budget_note",
                ref=value.get("ref") or t("whatif.scenario_pool"),
                pool=yuan(value.get("pool")),
                rule=rule_label(rule, t),
                requested=yuan(value.get("requested")),
                granted=yuan(value.get("granted")),
            )
        )
    return str(value)


def trace_notes(ex: Explained, t: Any) -> list[tuple[str, str]]:
    """The notes of a trace beyond its conditions, as (label, text) for the trace page."""
    return [
        (t(f"policy.extra_{k}") if k in NOTE_KEYS else k, note_text(k, v, t))
        for k, v in ex.extra.items()
        if k != "status"
    ]


# ---- running ---------------------------------------------------------------------------------


def run_now(ctx: WebContext, as_of: dt.date, period: int | None) -> pol.RunResult:
    """Evaluate every policy of the library and record the run (the warehouse read-write, alone).

    One-time awards consult the app store's payment ledger: an award already paid is ineligible,
    its trace saying ``"ledger":"already paid (one-time award)"``."""
    from zonebrain.disbursement import Ledger

    lib = library()
    with ctx.pool.writer() as wh:
        return pol.run_policies(wh, lib, as_of, period=period, history=Ledger(ctx.store), keep_traces=False)
