"""YAML test cases beside each policy (``*.cases.yaml``), run through the real evaluation.

A case file names the policies it evaluates, the period, a default firm and the cases. Each
case is one firm (the default, deep-merged with the case's ``firm``; ``null`` deletes a fact so
it is missing) and the rows expected for it. All firms of a file go into one in-memory DuckDB
warehouse and are evaluated together, set-based, exactly as a real run. See ``docs/policy.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Protocol, runtime_checkable

import pyarrow as pa
from pydantic import AfterValidator, Field, NonNegativeInt, model_validator

from zonebrain.core.clock import beijing_text, beijing_today
from zonebrain.core.errors import InputError
from zonebrain.core.industry import class_code
from zonebrain.core.money import display_fen, parse_amount
from zonebrain.core.yamlfile import ErrorAt, load_yaml_model
from zonebrain.policy._evaluate import PaidList, PaymentHistory, evaluate
from zonebrain.policy._explain import STATUS_ZH
from zonebrain.policy._format import Fen, Policy, _Model
from zonebrain.policy._library import LIBRARY, Library, PolicyFileError, ledger_period, load_library
from zonebrain.policy._period import not_future, provisional, provisional_text
from zonebrain.storage import Warehouse, open_warehouse


def _not_negative(v: int | None) -> int | None:
    if v is not None and v < 0:
        raise ValueError("不能为负数 (must not be negative)")
    return v


Positive = Annotated[Fen, AfterValidator(_not_negative)]


class YearFacts(_Model):
    """One year of an enterprise's data in a case or a self-check form (money with a unit)."""

    revenue_fen: Positive | None = None
    tax_fen: Fen | None = None
    """May be negative (refunds)."""
    rd_expense_fen: Positive | None = None
    employees: NonNegativeInt | None = None
    insured_employees: NonNegativeInt | None = None


class EnterpriseFacts(_Model):
    division_code: str | None = None
    park_id: str | None = None
    industry_code: Annotated[str, AfterValidator(class_code)] | None = None
    """A GB/T 4754 小类 as registries store it: ``3921`` (``C3921`` is read as ``3921``)."""
    status: str | None = None
    registered_on: dt.date | None = None
    """成立日期: a firm registered in the period or later had no revenue before it, so its first
    year's breakthrough is decided rather than 待核实 (the form's new firm; QA). A firm registered
    after the period has no result for it."""


class TagFacts(_Model):
    tag: str
    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _in_order(self) -> TagFacts:
        """A tag held until before it was granted is a typing error, never a tag held on no day."""
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValueError(
                f"标签“{self.tag}”的有效期至 {self.until} 早于认定日期 {self.since}, 请核对年份 "
                f"(the tag ends on {self.until}, before it was granted on {self.since}: check the years)"
            )
        return self


class EventFacts(_Model):
    kind: str
    date: dt.date
    detail: str | None = None


class FirmFacts(_Model):
    """A firm record: what a case or a form may say, and nothing else (a misspelt key is an error
    with its line, not a value silently dropped)."""

    enterprise: EnterpriseFacts | None = None
    years: dict[int, YearFacts | None] | None = None
    """A year set to null removes that year of the default."""
    tags: tuple[str | TagFacts, ...] | None = None
    events: tuple[EventFacts, ...] | None = None


def _firm_dict(f: FirmFacts) -> dict[str, Any]:
    """The record as given (explicit nulls kept, defaults left out), for merging over a default."""
    out: dict[str, Any] = f.model_dump(exclude_unset=True)
    return out


class Expect(_Model):
    policy: str | None = None
    clause: str
    status: Literal["eligible", "ineligible", "undetermined", "superseded"]
    """A misspelt status is an error at its line when the file loads, not a failing case."""
    amount: Fen | None = None
    missing: str | None = None
    """One of the fields ``missing_fields`` names (``rd_expense_fen[2024]``)."""
    trace: tuple[str, ...] = ()
    """Substrings the trace must contain."""


class Case(_Model):
    name: str
    firm: FirmFacts = Field(default_factory=FirmFacts)
    paid: tuple[str, ...] = ()
    """``policy/clause`` already paid (one-time awards consult this)."""
    expect: tuple[Expect, ...] = Field(min_length=1)


class CaseFile(_Model):
    policies: tuple[str, ...] = Field(min_length=1)
    period: int
    interpretations: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per policy id, interpretations to switch for this file (e.g. ``multi_threshold: cumulative``)."""
    default: FirmFacts = Field(default_factory=FirmFacts)
    cases: tuple[Case, ...] = Field(min_length=1)


@dataclass
class Outcome:
    file: Path
    case: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(a[k], v) if k in a else v
        return out
    return b


def _money(v: Any) -> int | None:
    """Fen: an int is already fen (a validated record); text is parsed with its unit."""
    if v is None or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    return parse_amount(str(v))


def _date(v: Any) -> dt.date | None:
    return v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def _firm_tables(ids: list[str], firms: list[dict[str, Any]]) -> dict[str, pa.Table]:
    ent: dict[str, list[Any]] = {
        k: [] for k in ("uscc", "division_code", "park_id", "industry_code", "status", "registered_on")
    }
    years: dict[str, list[Any]] = {
        k: []
        for k in (
            "uscc",
            "year",
            "revenue_fen",
            "tax_fen",
            "rd_expense_fen",
            "employees",
            "insured_employees",
        )
    }
    tags: dict[str, list[Any]] = {"uscc": [], "tag": [], "since": [], "until": []}
    events: dict[str, list[Any]] = {"uscc": [], "kind": [], "date": [], "detail": []}
    for uscc, f in zip(ids, firms, strict=True):
        e = f.get("enterprise", {})
        ent["uscc"].append(uscc)
        for k in ("division_code", "park_id", "industry_code", "status"):
            ent[k].append(None if e.get(k) is None else str(e[k]))
        ent["registered_on"].append(_date(e.get("registered_on")))
        for year, vals in (f.get("years") or {}).items():
            if vals is None:
                continue
            years["uscc"].append(uscc)
            years["year"].append(int(year))
            for k in ("revenue_fen", "tax_fen", "rd_expense_fen"):
                years[k].append(_money(vals.get(k)))
            for k in ("employees", "insured_employees"):
                years[k].append(vals.get(k))
        for t in f.get("tags") or ():
            t = {"tag": t} if isinstance(t, str) else t
            tags["uscc"].append(uscc)
            tags["tag"].append(t["tag"])
            tags["since"].append(_date(t.get("since")))
            tags["until"].append(_date(t.get("until")))
        for ev in f.get("events") or ():
            events["uscc"].append(uscc)
            events["kind"].append(ev["kind"])
            events["date"].append(_date(ev["date"]))
            events["detail"].append(ev.get("detail"))
    i64 = pa.int64()
    return {
        "enterprises": pa.table(
            ent, schema=pa.schema([(k, pa.date32() if k == "registered_on" else pa.string()) for k in ent])
        ),
        "enterprise_years": pa.table(
            years,
            schema=pa.schema(
                [("uscc", pa.string()), ("year", pa.int32())]
                + [
                    (k, i64)
                    for k in ("revenue_fen", "tax_fen", "rd_expense_fen", "employees", "insured_employees")
                ]
            ),
        ),
        "enterprise_tags": pa.table(
            tags,
            schema=pa.schema(
                [("uscc", pa.string()), ("tag", pa.string()), ("since", pa.date32()), ("until", pa.date32())]
            ),
        ),
        "events": pa.table(
            events,
            schema=pa.schema(
                [("uscc", pa.string()), ("kind", pa.string()), ("date", pa.date32()), ("detail", pa.string())]
            ),
        ),
    }


def load_firms(wh: Warehouse, ids: list[str], firms: list[dict[str, Any]]) -> None:
    """Write firm records (the case format) into a migrated warehouse."""
    with wh.transaction():
        for name, table in _firm_tables(ids, firms).items():
            if table.num_rows:
                wh.append(name, table)


def case_library(lib: Library, spec: CaseFile) -> Library:
    """The library restricted to the file's policies, with its interpretations switched."""
    chosen = lib.select(list(spec.policies))
    for pid, readings in spec.interpretations.items():
        if pid not in chosen.policies:
            raise PolicyFileError(
                f"interpretations: 政策 '{pid}' 不在本文件的 policies 中 (not among the file's policies)"
            )
        for name, value in readings.items():
            try:
                chosen.policies[pid].check_interpretation(name, value)
            except ValueError as exc:
                raise PolicyFileError(f"interpretations: {exc}") from None
    policies = {
        pid: p.model_copy(
            update={"interpretations": {**p.interpretations, **spec.interpretations.get(pid, {})}}
        )
        for pid, p in chosen.policies.items()
    }
    return Library(chosen.families, policies)


def run_case_file(path: Path, lib: Library | None = None, wh: Warehouse | None = None) -> list[Outcome]:
    """Run one case file on a fresh in-memory DuckDB warehouse, or on *wh* (migrated; firms are added
    under ids unique to the file, so several files can share one warehouse on any engine)."""
    spec = load_yaml_model(path, CaseFile, PolicyFileError)
    lib = case_library(lib or load_library(), spec)
    prefix = hashlib.sha256(path.name.encode()).hexdigest()[:6].upper()
    ids = [f"CASE{prefix}{i:04d}" for i in range(len(spec.cases))]
    firms = [_merge(_firm_dict(spec.default), _firm_dict(c.firm)) for c in spec.cases]
    paid = [(uscc, *p.split("/", 1)) for uscc, c in zip(ids, spec.cases, strict=True) for p in c.paid]
    if wh is None:
        with open_warehouse(":memory:") as mem:
            mem.migrate()
            load_firms(mem, ids, firms)
            results = evaluate(mem, lib, spec.period, history=PaidList(paid))  # type: ignore[arg-type]
    else:
        load_firms(wh, ids, firms)
        results = evaluate(wh, lib, spec.period, history=PaidList(paid))  # type: ignore[arg-type]
    rows: dict[tuple[str, str, str], dict[str, Any]] = {
        (r["uscc"], r["policy_id"], r["clause_id"]): r for r in results.to_pylist()
    }
    outcomes = []
    for uscc, case in zip(ids, spec.cases, strict=True):
        out = Outcome(path, case.name)
        for e in case.expect:
            policy = e.policy or spec.policies[0]
            row = rows.get((uscc, policy, e.clause))
            if row is None:
                out.problems.append(
                    f"没有 {policy}/{e.clause} 的结果, 请核对 policy 与 clause (no result for {policy}/{e.clause})"
                )
                continue
            json.loads(row["trace"])  # every trace is valid JSON
            if row["status"] != e.status:
                got, want = (f"{STATUS_ZH.get(x, x)} {x}" for x in (row["status"], e.status))
                out.problems.append(
                    f"{e.clause}: 结果为 {got}, 应为 {want} (status {row['status']} != expected {e.status})"
                )
            if e.amount is not None and row["amount_fen"] != e.amount:
                got = "—" if row["amount_fen"] is None else f"{display_fen(row['amount_fen'], '元')} 元"
                out.problems.append(
                    f"{e.clause}: 金额 {got}, 应为 {display_fen(e.amount, '元')} 元 "
                    f"(amount {row['amount_fen']} fen != expected {e.amount})"
                )
            if e.amount is None and e.status != "eligible" and row["amount_fen"] is not None:
                out.problems.append(f"{e.clause}: amount {row['amount_fen']} but status {row['status']}")
            named = [f for f in (row["missing_fields"] or "").split(",") if f]
            if e.missing is not None and e.missing not in named:  # a field, not a substring (QA:
                # employees[2024] matched insured_employees[2024])
                out.problems.append(
                    f"{e.clause}: 缺失字段为 {'、'.join(named) or '无'}, 其中没有 {e.missing} "
                    f"(missing_fields {row['missing_fields']!r} lacks {e.missing!r})"
                )
            for frag in e.trace:
                if frag not in row["trace"]:
                    out.problems.append(f"{e.clause}: trace lacks {frag!r}: {row['trace']}")
        outcomes.append(out)
    return outcomes


def run_cases(folder: Path | None = None) -> list[Outcome]:
    """Every ``*.cases.yaml`` under *folder* (default: the built-in library), with that folder's policies."""
    folder = folder or LIBRARY
    lib = load_library(folder)
    return [o for path in sorted(folder.rglob("*.cases.yaml")) for o in run_case_file(path, lib)]


class Form(_Model):
    """An enterprise's filled-in self-check form: one firm in the case format (企业自测表)."""

    uscc: str = "SELF"
    period: int
    firm: FirmFacts

    @model_validator(mode="after")
    def _dates_have_passed(self) -> Form:
        """A 认定 (tag since) or an event after today (Beijing) is refused, as on the web form and
        the API (a case file may look ahead; a firm's own form states what has happened)."""
        tags = enumerate(self.firm.tags or ())
        dates: list[tuple[dt.date, tuple[str | int, ...]]] = [
            (t.since, ("tags", i, "since")) for i, t in tags if isinstance(t, TagFacts) and t.since
        ]
        dates += [(e.date, ("events", i, "date")) for i, e in enumerate(self.firm.events or ())]
        if self.firm.enterprise and self.firm.enterprise.registered_on:
            dates.append((self.firm.enterprise.registered_on, ("enterprise", "registered_on")))
        for day, at in dates:
            try:
                not_future(day)
            except ValueError as exc:  # reported at the date's line, not the form's first
                raise ErrorAt(str(exc), "firm", *at) from None
        return self


@runtime_checkable
class AwardOutcomes(Protocol):
    """A payment history that also says what the 兑现 workflow decided for one enterprise's awards
    (``zonebrain.disbursement.Ledger``): per key (``policy_id``, ``clause_id``, ``period``: the
    year, or ``once`` for a one-time award) its ``outcome`` (``paid`` or ``withdrawn``, after an
    upheld objection or a hold), ``entry_id``, ``batch_id``, ``at`` (UTC), ``amount_fen``,
    ``reason`` and ``source`` (a withdrawal's ``objection`` or ``hold``)."""

    def outcomes(self, uscc: str) -> pa.Table: ...


HISTORY_COLUMNS = pa.schema(
    [
        ("history", pa.string()),
        ("history_entry", pa.int64()),
        ("history_batch", pa.int64()),
        ("history_at", pa.timestamp("us")),
        ("history_amount_fen", pa.int64()),
        ("history_reason", pa.string()),
        ("history_text", pa.string()),
    ]
)
"""What :func:`self_check` adds to each result row: the workflow's outcome for the award, if any,
and a sentence saying it (Chinese, then English)."""


def _outcome_text(o: dict[str, Any]) -> str | None:
    """What the workflow did with an award, for people: the ledger entry, time and amount of a
    payment; the batch, time and reason of a withdrawal after an upheld objection or a hold."""
    if not o:
        return None
    at = o["at"]
    when = f"{beijing_text(at)} (北京时间)" if at is not None else "时间不详"
    if o["outcome"] == "paid":
        fen = display_fen(int(o["amount_fen"]), "元")
        if o.get("source") == "import":  # paid before ZoneBrain: a date and a reference, no batch
            day = beijing_text(at)[:10] if at is not None else "日期不详"
            return (
                f"已兑现 (往年导入): 支付台账 #{o['entry_id']}, {day} 支付 {fen} 元, 凭证 {o.get('reference')} "
                f"(already paid before ZoneBrain, imported: ledger entry #{o['entry_id']}, {fen} yuan)"
            )
        return (
            f"已兑现: 支付台账 #{o['entry_id']}, {when} 支付 {fen} 元, 兑现批次 #{o['batch_id']} "
            f"(already paid: ledger entry #{o['entry_id']}, {fen} yuan, batch #{o['batch_id']})"
        )
    reason = o["reason"] or "未记录"
    if o.get("source") == "hold":
        return (
            f"暂缓支付后撤回: 兑现批次 #{o['batch_id']} 中暂缓支付的奖励于 {when} 撤回, 理由: {reason} "
            f"(withdrawn after a hold in batch #{o['batch_id']}; later batches keep it withdrawn)"
        )
    return (
        f"异议成立已撤回: 兑现批次 #{o['batch_id']} 公示异议成立, {when} 撤回, 理由: {reason} "
        f"(withdrawn after an objection was upheld in batch #{o['batch_id']}; later batches keep it withdrawn)"
    )


def with_outcomes(results: pa.Table, lib: Library, period: int, outcomes: pa.Table | None) -> pa.Table:
    """*results* with :data:`HISTORY_COLUMNS`: each row's award as the workflow left it (*outcomes*,
    see :class:`AwardOutcomes`), keyed by the ledger's period (the year, or ``once`` for a one-time
    award, paid once in any year); null where the workflow has not decided it."""
    found = {
        (r["policy_id"], r["clause_id"], r["period"]): r for r in (outcomes.to_pylist() if outcomes else [])
    }
    keyed = ledger_period(lib, period)
    picked = [
        found.get((pid, cid, keyed(pid, cid)), {})
        for pid, cid in zip(results["policy_id"].to_pylist(), results["clause_id"].to_pylist(), strict=True)
    ]
    keys = ("outcome", "entry_id", "batch_id", "at", "amount_fen", "reason")
    for f, key in zip(list(HISTORY_COLUMNS)[:-1], keys, strict=True):  # all but history_text
        results = results.append_column(f, pa.array([o.get(key) for o in picked], f.type))
    text = pa.array([_outcome_text(o) for o in picked], pa.string())
    return results.append_column(HISTORY_COLUMNS.field("history_text"), text)


def applies_from(policy: Policy) -> int:
    """The first year *policy* can be assessed for: the year it takes effect, and each year its
    parameters have a first value in force on 31 December (the day a period's values are read)."""
    years = [policy.meta.effective_from.year]
    years += [p.first_since.year for p in policy.parameters.values()]
    return max(years)


class PeriodRefused(InputError):
    """A year an enterprise may not check (:func:`self_check_period`): not begun, or before every
    policy applies. An :class:`InputError`, so a caller can tell it from other bad input and show
    it beside the year (the web's forms) rather than as a failure of the whole request."""


PROVISIONAL_KEY: Final = b"zonebrain.self_check.provisional"
"""The key of :func:`self_check`'s result schema metadata holding the provisional warning."""


def self_check_period(lib: Library, period: int, today: dt.date | None = None) -> str | None:
    """May an enterprise check *period*? A :class:`PeriodRefused` written for the enterprise (not
    for the policy authors), Chinese first, when the year has not begun (today, Beijing) or is
    before every policy of *lib* applies (:func:`applies_from`); else the provisional warning
    (:func:`provisional_text`, as the run pages show it) when the year is not over yet, or None.

    The current year is allowed, as a run whose period has not ended is: its data are incomplete.
    :func:`self_check` checks its period here and hands the warning back with its results
    (:func:`self_check_provisional`): a caller of :func:`self_check` need not call this too."""
    today = today or beijing_today()
    if period > today.year:
        raise PeriodRefused(
            f"{period} 年度尚未开始 (今天是 {today}, 北京时间), 不能自查; 请选择 {today.year} 年度或更早 "
            f"(the year {period} has not begun: choose {today.year} or an earlier year)"
        )
    first = min((applies_from(p) for p in lib.policies.values()), default=period)
    if period < first:
        raise PeriodRefused(
            f"政策自 {first} 年度起适用, {period} 年度没有可自查的政策; 请选择 {first} 年度及以后 "
            f"(the policies apply from {first}: choose {first} or a later year)"
        )
    return provisional_text(today, period) if provisional(today, period) else None


def self_check_provisional(results: pa.Table) -> str | None:
    """The provisional warning :func:`self_check` gave with *results* (the one
    :func:`self_check_period` returned for its period, Chinese first); None when the year is over.

    It rides in the table's schema metadata, so the table is still the plain result table every
    caller reads; pyarrow keeps it through ``filter``, ``sort_by`` and ``select``."""
    text = (results.schema.metadata or {}).get(PROVISIONAL_KEY)
    return None if text is None else text.decode("utf-8")


def _with_warning(results: pa.Table, warning: str | None) -> pa.Table:
    """*results* carrying *warning* for :func:`self_check_provisional` (unchanged when None)."""
    if warning is None:
        return results
    meta = {**(results.schema.metadata or {}), PROVISIONAL_KEY: warning.encode("utf-8")}
    return results.replace_schema_metadata(meta)


def _in_force(lib: Library, period: int) -> Library:
    """*lib* without the policies that do not apply yet in *period* (their parameters would have no
    value then): the others are still worth checking."""
    live = [pid for pid, p in lib.policies.items() if applies_from(p) <= period]
    return lib if len(live) == len(lib.policies) else lib.select(live)


def self_check(
    wh: Warehouse | None,
    lib: Library,
    period: int,
    uscc: str | None = None,
    form: Path | Form | None = None,
    history: PaymentHistory | None = None,
    *,
    today: dt.date | None = None,
) -> pa.Table:
    """企业自测 / self-check: the results of every policy for one enterprise.

    Either *uscc* (its data in the warehouse *wh*) or *form* (a filled-in :class:`Form`, or its
    YAML file, evaluated in a private in-memory warehouse; *period* then comes from the form). The rows say
    what it qualifies for, the amounts, and ``missing_fields`` for what it should supply. One-time
    awards consult *history* (the payment ledger) for an enterprise of the warehouse; a form is no
    enterprise on record, so nothing counts as paid for it.

    Each row also carries :data:`HISTORY_COLUMNS`: when *history* is also :class:`AwardOutcomes`
    (the ledger), an award of this enterprise already paid for the same policy × clause × period
    (``once`` for a one-time award) is ``history`` ``paid`` with its ledger entry, batch, time and
    amount, annual and one-time awards alike; one withdrawn after an upheld objection (and kept
    withdrawn by later batches) is ``withdrawn`` with the batch and the reason. ``status`` stays
    what the data decide; what to show as still available is the rows without a history.

    The period is checked first, once (:func:`self_check_period`, *today* defaulting to today in
    Beijing): a year not begun yet, or before every policy applies, is a :class:`PeriodRefused`
    saying so; a policy that does not apply yet in the period is left out. For a year not over
    yet the result carries the provisional warning: :func:`self_check_provisional` reads it, so
    a caller shows it without checking the period again.
    """
    if form is not None:
        spec = form if isinstance(form, Form) else load_yaml_model(form, Form, PolicyFileError)
        warning = self_check_period(lib, spec.period, today)
        with open_warehouse(":memory:") as mem:
            mem.migrate()
            load_firms(mem, [spec.uscc], [_firm_dict(spec.firm)])
            results = evaluate(mem, _in_force(lib, spec.period), spec.period)
            return _with_warning(with_outcomes(results, lib, spec.period, None), warning)
    if wh is None or uscc is None:
        raise PolicyFileError("自测需要统一社会信用代码或自测表 (give a USCC with a warehouse, or a form)")
    warning = self_check_period(lib, period, today)
    results = evaluate(wh, _in_force(lib, period), period, only=[uscc], history=history)
    outcomes = history.outcomes(uscc) if isinstance(history, AwardOutcomes) else None
    return _with_warning(with_outcomes(results, lib, period, outcomes), warning)
