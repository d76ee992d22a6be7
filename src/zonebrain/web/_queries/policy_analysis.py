"""政策模拟 (what-if) and 覆盖率 (coverage) for the web: the form, exact parsing, results as tables.

What-if never writes: :func:`zonebrain.policy.what_if` evaluates both sides without recording
(and without building trace texts) through a read-only warehouse. Form values are text parsed
exactly: rates are percentages (``2.5`` → ``2.5%`` → the fraction 1/40), amounts are 万元
(``500`` → ``500万`` → integer fen); no float ever carries a rate or an amount. A value equal to
the one in force is not an override, so an untouched form is the baseline itself.

Who: admin, leader and policy researcher (:data:`WHATIF_ROLES`). Winners and losers name
enterprises and their amounts, so they are listed only for roles with the finance permission
(all three have it today); any other role would see their counts only.
Coverage is aggregates only (counts and shares), for every role with the aggregates permission.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain import policy as pol
from zonebrain.appstore import Role
from zonebrain.core.clock import beijing_text, utcnow
from zonebrain.core.errors import InputError
from zonebrain.core.money import display_fen
from zonebrain.disbursement import Ledger
from zonebrain.policy._coverage import FACT_SOURCES, field_label_zh, unseen_registers
from zonebrain.policy._explain import clause_names
from zonebrain.policy._format import _fen, _rate, share_text
from zonebrain.policy._notes import run_period
from zonebrain.policy._run import default_period
from zonebrain.policy._whatif import with_paid_note
from zonebrain.reports._excel import cells
from zonebrain.storage import Warehouse
from zonebrain.web._auth import Perm, Principal
from zonebrain.web._errors import Forbidden
from zonebrain.web._i18n import Translator, locale_of, pick, term
from zonebrain.web._queries._common import field_name, field_names
from zonebrain.web._queries.policy import (
    latest_run_id,
    library,
    run_info,
    run_note_text,
    shown_status,
    yuan,
)
from zonebrain.web._queries.whatif_words import (
    interp_label,
    money_leaves,
    param_label,
    pct_text,
    rule_label,
    scenario_changes,
    wan_text,
    zh,
)
from zonebrain.web._tables import FLOAT_PLACES, SHARE_PLACES, share_pct

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

WHATIF_ROLES: Final = frozenset({Role.ADMIN, Role.LEADER, Role.POLICY_RESEARCHER})
BUDGET_RULES: Final = ("pro_rata", "ranking")
TOP: Final = 10
_RATE = re.compile(r"^\d{1,3}(\.\d{1,4})?$")
"""A rate in percent: at most 100 with 4 decimals, so rate × base stays within int64 fen."""


def require_whatif(p: Principal) -> None:
    if p.role not in WHATIF_ROLES:
        raise Forbidden()


_MAX_WAN: Final = 999_999_999
"""The largest amount the form takes, in 万元 (nine digits: rate × amount stays within int64 fen)."""


def _number(text: str, what: str, unit: Literal["%", "万元"] = "万元") -> str:
    """A non-negative number as typed in the form, its unit optional (``3%`` for a rate, ``400万`` or
    ``400万元`` for an amount in 万元); refused with what is wrong: not a number, too many decimals,
    too large (with the limit), or a unit other than the field's."""
    value = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    suffixes = ("%",) if unit == "%" else ("万元", "万")
    for suffix in suffixes:
        if value.endswith(suffix):
            value = value.removesuffix(suffix).strip()
            break
    example = "2.5 或 2.5%" if unit == "%" else "400 或 400万"
    example_en = "2.5 or 2.5%" if unit == "%" else "400 or 400万"
    if unit == "万元" and re.fullmatch(r"[\d.]+\s*(元|亿|亿元|千|千元)", value):
        raise InputError(
            f"{what} '{text[:40]}' 须以万元填写, 如 {example} (write it in 万元, e.g. 400 for 400万元)"
        )
    if not re.fullmatch(r"\d+(\.\d+)?", value):
        raise InputError(
            f"{what} '{text[:40]}' 须为非负数字 ({unit}), 如 {example} "
            f"(a non-negative number in {unit}, e.g. {example_en})"
        )
    whole, _, places = value.partition(".")
    if len(places) > 6:
        raise InputError(f"{what} '{text[:40]}' 最多 6 位小数 (at most 6 decimal places)")
    if unit == "万元" and int(whole) > _MAX_WAN:
        raise InputError(
            f"{what} '{text[:40]}' 过大: 最多 {_MAX_WAN:,} 万元 (too large: at most {_MAX_WAN:,} 万元)"
        )
    if unit == "%" and Decimal(value) > 100:
        raise InputError(f"{what} '{text[:40]}' 过大: 比例须在 0 至 100% 之间 (a rate from 0 to 100%)")
    return value


def _slider(current: float, floor: float) -> tuple[str, str]:
    top = max(floor, current * 3)
    step = 10.0 if top >= 1000 else 1.0 if top >= 50 else 0.1
    return f"{round(top / step) * step:g}", f"{step:g}"


# ---- the form ----------------------------------------------------------------------------------


def form_spec(lib: pol.Library, period: int, t: Translator = zh) -> dict[str, Any]:
    """Every parameter (its value in force at the period end), budget pool, literal threshold and
    named interpretation of *lib*, as the what-if form shows them (with labels in *t*'s language)."""
    day = dt.date(period, 12, 31)
    params, thresholds, interps = [], [], []
    for p in lib.policies.values():
        for name, spec in p.parameters.items():
            v = spec.value_on(day)
            if v is None:
                continue
            if spec.kind == "rate":
                value = pct_text(Fraction(v))
                top, step = _slider(float(Decimal(value)), 10)
                unit = "%"
            else:
                value = wan_text(int(v))
                top, step = _slider(float(Decimal(value)), 100)
                unit = "万元"
            params.append(
                {
                    "field": f"param:{p.id}.{name}",
                    "key": f"{p.id}.{name}",
                    "label": param_label(lib, f"{p.id}.{name}", t),
                    "policy": p.id,
                    "name": name,
                    "ref": spec.ref.text(),
                    "kind": spec.kind,
                    "unit": unit,
                    "value": value,
                    "max": top,
                    "step": step,
                }
            )
        for c in p.clauses:
            for fen, _text in money_leaves(c):
                thresholds.append(
                    {
                        "field": f"th:{p.id}/{c.id}:{fen}",
                        "target": f"{p.id}/{c.id}",
                        "policy_name": p.meta.name,
                        "ref": c.ref.text(),
                        "title": c.title,
                        "value": wan_text(fen),
                    }
                )
        for name, value in p.interpretations.items():
            interps.append(
                {
                    "field": f"interp:{p.id}.{name}",
                    "policy": p.id,
                    "policy_name": p.meta.name,
                    "name": name,
                    "label": interp_label(name, None, t),
                    "value": value,
                    "options": p.interpretation_choices.get(name, (value,)),
                    "option_labels": {
                        o: interp_label(name, o, t) for o in p.interpretation_choices.get(name, (value,))
                    },
                }
            )
    budgets = [
        {
            "field": f"budget:{f.id}",
            "rule_field": f"rule:{f.id}",
            "family": f.id,
            "name": f.meta.name,
            "value": wan_text(f.budget.pool) if f.budget else "",
            "rule": f.budget.rule if f.budget else "pro_rata",
        }
        for f in lib.families.values()
    ]
    return {
        "params": params,
        "thresholds": thresholds,
        "interpretations": interps,
        "budgets": budgets,
        "rules": BUDGET_RULES,
    }


@dataclass
class Scenario:
    """What the form asked for: overrides, the edited library, and each change in words."""

    parameters: dict[str, str] = field(default_factory=dict)
    library: pol.Library | None = None
    changes: list[str] = field(default_factory=list)


def scenario(lib: pol.Library, period: int, form: Mapping[str, str], t: Translator = zh) -> Scenario:
    """Parse the form's fields exactly; unknown fields are ignored, bad values are a 400 whose
    message names the parameter as the form labels it. Each change is described in *t*'s words
    (:func:`~zonebrain.web._queries.whatif_words.scenario_changes`)."""
    day = dt.date(period, 12, 31)
    out = Scenario(library=lib)
    edited = lib
    for key, raw in form.items():
        if not raw.strip():
            continue
        kind, _, rest = key.partition(":")
        if kind == "param":
            pid, _, name = rest.partition(".")
            p = lib.policies.get(pid)
            if p is None or name not in p.parameters:
                raise InputError(f"未知参数 '{rest[:80]}' (unknown parameter)")
            spec = p.parameters[name]
            label = param_label(lib, rest, t)
            number = _number(raw, label, "%" if spec.kind == "rate" else "万元")
            if spec.kind == "rate":
                if not _RATE.fullmatch(number) or Decimal(number) > 100:
                    raise InputError(
                        f"{label} 须在 0 至 100 (%) 之间, 最多 4 位小数 "
                        "(a rate from 0 to 100%, with at most 4 decimal places)"
                    )
                text = f"{number}%"
                changed = _rate(text) != spec.value_on(day)
            else:
                text = f"{number}万"
                changed = _fen(text) != spec.value_on(day)
            if changed:
                out.parameters[rest] = text
        elif kind == "th":
            target, _, old = rest.rpartition(":")
            pid, _, cid = target.partition("/")
            p = lib.policies.get(pid)
            clause = next((c for c in p.clauses if c.id == cid), None) if p else None
            olds = dict(money_leaves(clause)) if clause else {}
            if not old.isdigit() or int(old) not in olds:
                raise InputError(f"未知门槛 '{rest[:80]}' (unknown threshold)")
            where = f"{p.meta.name if p else pid} {clause.ref.text() if clause else cid}"
            text = f"{_number(raw, where)}万"
            if _fen(text) != int(old):
                edited = pol.set_threshold(edited, target, text, old=olds[int(old)])
        elif kind == "interp":
            pid, _, name = rest.partition(".")
            p = lib.policies.get(pid)
            if (
                p is None
                or name not in p.interpretations
                or raw not in p.interpretation_choices.get(name, ())
            ):
                raise InputError(f"未知解释项 '{rest[:80]}={raw[:40]}' (unknown interpretation)")
            if p.interpretations[name] != raw:
                edited = pol.set_interpretation(edited, pid, name, raw)
        elif kind == "budget":
            fam = lib.families.get(rest)
            if fam is None:
                raise InputError(f"未知政策族 '{rest[:80]}' (unknown family)")
            pool = f"{fam.meta.name} {t('whatif.pool')}"
            text = f"{_number(raw, pool)}万"
            rule = _rule(form.get(f"rule:{rest}", "")) or (fam.budget.rule if fam.budget else "pro_rata")
            if fam.budget is None or fam.budget.pool != _fen(text) or fam.budget.rule != rule:
                edited = pol.set_budget(edited, rest, text, rule=rule)
        elif kind == "rule":  # read with its pool; alone (no pool set) it changes nothing, but is checked
            if rest not in lib.families:
                raise InputError(f"未知政策族 '{rest[:80]}' (unknown family)")
            _rule(raw)
    out.library = edited
    out.changes = scenario_changes(lib, edited, out.parameters, t, period)
    return out


def _rule(text: str) -> str:
    """A budget rule field: "" (none chosen) or one of BUDGET_RULES; anything else is a 400, even
    when no pool is set, never a choice silently dropped."""
    if text and text not in BUDGET_RULES:
        raise InputError(
            f"预算分配规则须为按比例分配 (pro_rata) 或按金额排序分配 (ranking), 而不是 '{text[:20]}' "
            "(the budget rule must be pro_rata or ranking)"
        )
    return text


# ---- running and shaping ---------------------------------------------------------------------


def run(ctx: WebContext, as_of: dt.date | None, baseline_run_id: str | None, sc: Scenario) -> pol.WhatIf:
    """The comparison. One-time awards see, on both sides, the payments the baseline run saw (read from
    its traces), or for a fresh baseline today's ledger. Nothing is written."""
    if baseline_run_id:
        run_info(ctx, baseline_run_id)  # 404 for an unknown run
    with ctx.pool.reader() as wh:
        r = pol.what_if(
            wh,
            library(),
            None if baseline_run_id else as_of,
            parameters=sc.parameters,
            library=sc.library,
            baseline_run_id=baseline_run_id or None,
            history=None if baseline_run_id else Ledger(ctx.store),
        )
    return with_paid_note(r, library(), Ledger(ctx.store).live_fen())


def is_share(column: str) -> bool:
    """A fraction of a whole: ``clause_share``, ``share``, ``share_before``: written as the web
    tables write a ``share`` column (:data:`~zonebrain.web._tables.SHARE_PLACES` places, ``0.0%``)."""
    return column == "share" or column.endswith("_share") or column.startswith("share_")


def rounded(table: pa.Table) -> pa.Table:
    """Floats rounded for Excel (the web's files and the CLI's): shares to :data:`SHARE_PLACES`,
    other floats to ``FLOAT_PLACES`` (as the page tables write them), so no cell carries binary
    noise (0.8333333333333334)."""
    for i, (column, kind) in enumerate(zip(table.column_names, table.schema.types, strict=True)):
        if pa.types.is_floating(kind):
            places = SHARE_PLACES if is_share(column) else FLOAT_PLACES
            table = table.set_column(i, column, pc.round(table[column], places))
    return table


def _rows(t: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = t.to_pylist()
    return rows


def _side_text(status: str | None, amount_fen: int | None, t: Translator) -> str:
    """One side of a change in words: ``符合 331,299.00元`` (``—``: no row on that side); an
    eligible award a budget pool or cap cut to 0 ``符合, 未获分配 0.00元`` (not a beneficiary)."""
    text = "—" if status is None else t(f"policy.status_{shown_status(status, amount_fen)}")
    return text if amount_fen is None else f"{text} {yuan(amount_fen)}元"


def detail_text(moves: list[dict[str, Any]] | None, t: Translator, lib: pol.Library | None = None) -> str:
    """What changed for one enterprise in words, from its ``moves`` (see
    :data:`zonebrain.policy.MOVE_FIELDS`): ``郑州高新区企业研发投入奖励 第一条: 符合 331,299.00元 →
    符合 496,949.00元``, clauses joined by ``; ``."""
    lib = lib or library()
    refs = clause_names(lib)
    out = []
    for m in moves or []:
        where = refs.get((m["policy_id"], m["clause_id"]), f"{m['policy_id']}/{m['clause_id']}")
        before = _side_text(m["status_before"], m["amount_before_fen"], t)
        after = _side_text(m["status_after"], m["amount_after_fen"], t)
        out.append(f"{where}: {before} → {after}")
    return "; ".join(out)


def _named(rows: list[dict[str, Any]], parks: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows with the park named as on every other page (the short name in the page's language)."""
    for x in rows:
        if x.get("park_id") in parks:
            x["park_name"] = parks[x["park_id"]]
    return rows


def _clauses_named(rows: list[dict[str, Any]], lib: pol.Library | None = None) -> list[dict[str, Any]]:
    """Per clause rows with the policy's name and the clause's reference (``clause_text``)."""
    lib = lib or library()
    refs = {(p.id, c.id): (p.meta.name, c.ref.text()) for p in lib.policies.values() for c in p.clauses}
    for x in rows:
        x["policy_name"], x["clause_ref"] = refs.get(
            (x["policy_id"], x["clause_id"]), (x["policy_id"], x["clause_id"])
        )
    return rows


def _families_named(rows: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """Each family's name, and 情景新增 for the clause of a pool the scenario added."""
    families = library().families
    for x in rows:
        fam = families.get(x.get("family_id") or "")
        x["family_name"] = fam.meta.name if fam else x.get("family_id")
        x["ref"] = x.get("ref") or t("whatif.scenario_pool")
    return rows


def result_view(
    r: pol.WhatIf, p: Principal, t: Any, parks_named: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The comparison for the page and the API (money in fen); names only with finance. Parks are
    named by *parks_named* (park id → name, as elsewhere in the app); changes are in words."""
    named = parks_named or {}
    totals = _rows(r.totals)[0]
    parks = _named(_rows(r.by_park), named)
    names = p.can(Perm.FINANCE)
    winners, losers = r.winners(), r.losers()

    def people(table: pa.Table) -> list[dict[str, Any]]:
        rows = _named(_rows(table.slice(0, TOP)), named)
        for x in rows:
            x["detail_text"] = detail_text(x.get("moves"), t)
        return rows

    return {
        "as_of": r.as_of.isoformat(),
        "period": r.period,
        "baseline_run_id": r.baseline_run_id,
        "parameters": r.parameters,
        "warnings": r.warnings(),
        "totals": totals,
        "by_park": parks,
        "by_clause": _clauses_named(_rows(r.by_clause)),
        "budget": _families_named(_rows(r.budget), t),
        "winners_count": winners.num_rows,
        "losers_count": losers.num_rows,
        "winners": people(winners) if names else None,
        "losers": people(losers) if names else None,
        "chart": {
            "parks": [x["park_name"] or x["park_id"] or t("whatif.no_park") for x in parks],
            "before_fen": [x["cost_before_fen"] for x in parks],
            "after_fen": [x["cost_after_fen"] for x in parks],
            "labels": {
                "before": t("whatif.before"),
                "after": t("whatif.after"),
                "amount": t("policy.amount_wan"),
            },
        },
    }


def _renamed(
    table: pa.Table, parks: Mapping[str, str], t: Translator, lib: pol.Library | None = None
) -> pa.Table:
    """A sheet with parks named as on the pages and each enterprise's changes in words (the names
    of *lib*'s policies, default the built-in library)."""
    lib = lib or library()
    if "park_name" in table.column_names and "park_id" in table.column_names:
        ids = table["park_id"].to_pylist()
        old = table["park_name"].to_pylist()
        new = [parks.get(i, o) if i is not None else o for i, o in zip(ids, old, strict=True)]
        table = table.set_column(
            table.column_names.index("park_name"), "park_name", pa.array(new, pa.string())
        )
    if {"policy_id", "clause_id"} <= set(table.column_names) and "policy_name" not in table.column_names:
        named = _clauses_named(table.select(["policy_id", "clause_id"]).to_pylist(), lib)  # 按条款
        for at, col in enumerate(("policy_name", "clause_ref")):
            table = table.add_column(at + 2, col, pa.array([x[col] for x in named], pa.string()))
    for col in ("rule_before", "rule_after"):  # the budget sheet: 按比例分配, not pro_rata (QA)
        if col in table.column_names:
            words = [rule_label(x, t) if x else None for x in table[col].to_pylist()]
            table = table.set_column(table.column_names.index(col), col, pa.array(words, pa.string()))
    if {"family_id", "ref", "pool_after_fen"} <= set(table.column_names):  # a pool the scenario added
        refs = [x or t("whatif.scenario_pool") for x in table["ref"].to_pylist()]
        table = table.set_column(table.column_names.index("ref"), "ref", pa.array(refs, pa.string()))
    if "family_id" in table.column_names and "family_name" not in table.column_names:
        names = [
            lib.families[f].meta.name if f in lib.families else f for f in table["family_id"].to_pylist()
        ]
        table = table.add_column(
            table.column_names.index("family_id") + 1, "family_name", pa.array(names, pa.string())
        )
    if "moves" in table.column_names:
        text = [detail_text(m, t, lib) if m else None for m in table["moves"].to_pylist()]
        table = table.set_column(table.column_names.index("detail"), "detail", pa.array(text, pa.string()))
        table = table.drop_columns(["moves"])
    return table


_BASES: Final = ("cost", "firms", "eligible", "undetermined", "pool", "requested", "granted", "share",
                  "amount", "status")  # fmt: skip
"""What a ``<base>_<side>`` column counts (``cost_before_fen`` → 兑现金额 基线)."""
_SIDES: Final = ("before", "after", "delta")
_PLAIN: Final = (
    "uscc", "name", "park_id", "park_name", "policy_id", "clause_id", "policy_name", "clause_ref",
    "family_id", "family_name", "ref", "title", "detail", "item", "declared", "declared_zh", "value",
    "before_fen", "after_fen", "delta_fen", "size", "rule_before", "rule_after", "clauses",
    "clauses_from_data", "clause_share", "decided_share", "firms", "firms_decided", "firms_decided_share",
    "firms_in_scope", "candidates", "candidates_decided_share", "from_data_decided_share",
    "declared_decided_share", "amount_from_data_share", "undetermined_max_fen", "undetermined_unbounded",
    "facts", "from_data", "decisions", "superseded", "decided", "share", "field", "label_zh", "source",
    "decides", "with_others", "needs", "register", "register_kind", "register_name", "read_by", "similar",
    "winners", "losers", "newly_funded", "no_longer_funded",
)  # fmt: skip
"""The columns named in ``policy_xlsx.col`` of the catalogue. Coverage's missing fields: ``decides``
counts the 待核实 cases where the field is the only one missing, ``with_others`` those missing it
among other fields, ``needs`` both (every case missing it)."""
_STATUSES: Final = ("eligible", "ineligible", "undetermined")
"""Counts per result, headed by the status words every page uses (``policy.status_*``: 符合)."""


def _word(part: str, kind: str) -> str:
    """The catalogue key of a column (``kind`` col) or of a column's base: a status by its shared label."""
    return f"policy.status_{part}" if part in _STATUSES else f"policy_xlsx.{kind}.{part}"


def excel_headers(columns: list[str], t: Translator = zh) -> dict[str, str]:
    """Headers for the what-if and coverage sheets in *t*'s language (``cost_before_fen`` →
    ``兑现金额 基线``, ``Amount granted, baseline``; the Excel writer adds the unit of money
    columns). The web writes them in the reader's language; the CLI in Chinese, as its other files."""
    out = {}
    for c in columns:
        if c in _PLAIN or c in _STATUSES:
            out[c] = t(_word(c, "col"))
            continue
        parts = c.removesuffix("_fen").split("_")
        if len(parts) == 2 and parts[0] in _BASES and parts[1] in _SIDES:
            side = t(f"policy_xlsx.side.{parts[1]}")
            out[c] = t("policy_xlsx.pair", base=t(_word(parts[0], "base")), side=side)
    return out


SCENARIO_ITEMS: Final = {
    "as_of": "policy_xlsx.item.as_of",
    "period": "policy_xlsx.item.period",
    "baseline_run_id": "policy_xlsx.item.baseline_run_id",
}
"""The scenario sheet's first rows (the catalogue keys of the 项目 column's words: 基准日, 考核年度,
基线运行), then each change (:data:`CHANGE_ITEM`), then a 注意 row (:data:`NOTE_ITEM`) per
warning: a provisional period, an as-of date after today."""
NOTE_ITEM: Final = "policy_xlsx.item.note"
CHANGE_ITEM: Final = "policy_xlsx.item.change"


def sheets(
    r: pol.WhatIf,
    p: Principal | None,
    parks_named: Mapping[str, str] | None = None,
    t: Translator = zh,
    warnings: list[str] | None = None,
    lib: pol.Library | None = None,
    changes: list[str] | None = None,
) -> dict[str, pa.Table]:
    """The Excel sheets of a scenario, for the web and ``zonebrain policy whatif --out`` alike
    (winners and losers only with the finance permission; *p* None: the CLI's operator, who sees
    everything the warehouse holds). *warnings* default to ``r.warnings()``; policies are named from
    *lib* (default the built-in library; the CLI's ``--dir`` folder). *changes*: the scenario's every
    change in words (:func:`scenario_changes`); by default only its parameter overrides are known.

    The 情景 sheet's values keep their types (:func:`~zonebrain.reports._excel.cells`): the as-of
    date is an Excel date, the period a number, the rest text (QA: both were text)."""
    lib = lib or library()
    out = {k: _renamed(v, parks_named or {}, t, lib) for k, v in r.sheets(moves=True).items()}
    if p is not None and not p.can(Perm.FINANCE):
        out = {k: v for k, v in out.items() if "winners" not in k and "losers" not in k}
    notes = r.warnings() if warnings is None else warnings
    said = changes if changes is not None else scenario_changes(lib, lib, r.parameters, t, r.period)
    items = [*SCENARIO_ITEMS.values(), *(CHANGE_ITEM for _ in said), *(NOTE_ITEM for _ in notes)]
    scenario_sheet = pa.table(
        {
            "item": pa.array([t(key) for key in items], pa.string()),
            "value": cells([r.as_of, r.period, r.baseline_run_id or "", *said, *notes]),
        }
    )
    return {"情景 scenario": scenario_sheet, **out}


def warehouse_park_names(wh: Warehouse, locale: str = "zh-CN") -> dict[str, str]:
    """Park id → the name every page shows (the short name; English in *locale* ``en``), read from
    *wh*: what :func:`~zonebrain.web._queries._common.park_names` gives the pages, for the CLI."""
    got = wh.to_arrow(wh.table("parks").select("park_id", "short_name", "name_zh", "name_en")).to_pylist()
    return {
        str(x["park_id"]): pick(locale, x["short_name"] or x["name_zh"] or x["park_id"], x["name_en"])
        for x in got
    }


def default_baseline(ctx: WebContext) -> str | None:
    return latest_run_id(ctx)


# ---- coverage ----------------------------------------------------------------------------------

DECLARED_FACTS: Final = tuple(sorted(k for k, v in FACT_SOURCES.items() if v.source == "declared"))
"""Facts only the enterprise can give today (the coverage page offers to treat them as data)."""


def coverage(ctx: WebContext, run_id: str | None, data_facts: tuple[str, ...]) -> pol.Coverage:
    """Coverage of the built-in library and of the run *run_id* (default the latest; none: clauses only),
    with the tags and event kinds the library reads that no firm in the warehouse carries.

    Reads only the columns it needs of the run's results, with the family's result of each read in
    the engine (never the traces, :func:`~zonebrain.policy.coverage_rows`); cached per run."""
    run_id = run_id or latest_run_id(ctx)
    sources: dict[str, Any] = {f: "data" for f in data_facts}
    with ctx.pool.reader() as wh:
        unseen = unseen_registers(library(), wh)
    if run_id is None:
        return replace(pol.coverage(library(), sources=sources), unseen=unseen)
    period = run_info(ctx, run_id)["period"]

    def compute(wh: Warehouse) -> pa.Table:
        return pol.coverage_rows(wh, run_id).sort_by(
            [(c, "ascending") for c in ("policy_id", "clause_id", "uscc")]
        )

    results = ctx.cache.get(("policy_coverage_rows", run_id), compute)
    return replace(pol.coverage(library(), results=results, sources=sources, period=period), unseen=unseen)


def unseen_text(c: pol.Coverage, locale: str, t: Translator) -> str | None:
    """The page's warning about the registers no firm carries, in the reader's language (the CLI
    prints :meth:`~zonebrain.policy.Coverage.unseen_note`, Chinese then English)."""
    if c.unseen is None or not c.unseen.num_rows:
        return None
    items = []
    for r in c.unseen.to_pylist():
        kind = t("coverage.register_tag" if r["register"].startswith("tag:") else "coverage.register_event")
        similar = "、".join(term(locale, n) for n in (r["similar"] or "").split("、") if n)
        near = t("coverage.unseen_near", names=similar) if similar else ""
        name = term(locale, r["register_name"])
        items.append(t("coverage.unseen_item", kind=kind, name=name, n=r["read_by"], near=near))
    return t("coverage.unseen_note", n=len(items), items="; ".join(items))


def coverage_about(wh: Warehouse, run_id: str | None, data_facts: tuple[str, ...] = ()) -> pa.Table:
    """The 说明 sheet of a coverage file: which run it counts (its id, as-of date and period), the
    facts treated as held, and when it was exported (QA: the file did not name its run). The as-of
    date is an Excel date and the period a number (:func:`~zonebrain.reports._excel.cells`)."""
    items: list[str] = []
    values: list[dt.date | int | str] = []
    if run_id is None:
        items.append("测算 run")
        values.append("无 (仅条款覆盖) none: clause coverage only")
    else:
        runs = wh.table("policy_runs")
        (row,) = wh.to_arrow(runs.filter(runs.run_id == run_id).select("as_of")).to_pylist()
        period = run_period(wh, run_id) or default_period(row["as_of"])
        items += ["测算 run", "基准日 as-of date", "考核年度 period"]
        values += [run_id, row["as_of"], period]
    items.append("视为已有政府数据 facts treated as held")
    named = (f"{field_label_zh(f)} ({f})" for f in data_facts)
    values.append(
        "、".join(named) if data_facts else "无 (按各事实的登记来源) none: each fact's recorded source"
    )
    items.append("导出时间 (北京时间) exported (Beijing time)")
    values.append(beijing_text(utcnow()))
    return pa.table({"item": pa.array(items, pa.string()), "value": cells(values)})


def coverage_sheets(
    c: pol.Coverage, t: Translator = zh, about: pa.Table | None = None, lib: pol.Library | None = None
) -> dict[str, pa.Table]:
    """Coverage's Excel sheets, for the web and ``zonebrain policy coverage --out`` alike, with the
    codes in words as the page shows them: 来源 ``declared`` → 企业申报, ``data`` → 政府数据, and
    免申即享 是/否 rather than TRUE/FALSE (in *t*'s language), each policy named (from *lib*, default
    the built-in library) next to its code; *about* (:func:`coverage_about`) first. For an English
    reader the facts' names (``label_zh``, ``declared_zh``) are English, as on the page."""
    out = {} if about is None else {"说明 about": about}
    lib = lib or library()
    for name, table in c.sheets().items():
        if "policy_id" in table.column_names and "policy_name" not in table.column_names:
            ids = table["policy_id"].to_pylist()  # QA: the sheets named policies by code only
            names = [lib.policies[x].meta.name if x in lib.policies else x for x in ids]
            at = table.column_names.index("policy_id")
            table = table.add_column(at + 1, "policy_name", pa.array(names, pa.string()))
        if locale_of(t) == "en":  # the Chinese names of facts as the English page names them
            table = _facts_in(table, "field", "label_zh", field_name)
            table = _facts_in(table, "declared", "declared_zh", field_names)
        if "source" in table.column_names:
            words = [None if v is None else t(f"coverage.source_{v}") for v in table["source"].to_pylist()]
            table = table.set_column(
                table.column_names.index("source"), "source", pa.array(words, pa.string())
            )
        if "from_data" in table.column_names:
            yes_no = [
                None if v is None else t("common.yes" if v else "common.no")
                for v in table["from_data"].to_pylist()
            ]
            at = table.column_names.index("from_data")
            table = table.set_column(at, "from_data", pa.array(yes_no, pa.string()))
        out[name] = table
    return out


def _facts_in(table: pa.Table, codes: str, names: str, name: Callable[[str, str], str]) -> pa.Table:
    """*table* with its column *names* (Chinese names of the facts in *codes*) in English."""
    if codes not in table.column_names or names not in table.column_names:
        return table
    words = [None if v is None else name("en", v) for v in table[codes].to_pylist()]
    return table.set_column(table.column_names.index(names), names, pa.array(words, pa.string()))


def coverage_chart(c: pol.Coverage, t: Any) -> dict[str, Any] | None:
    if c.decisions is None:
        return None
    rows = _rows(c.decisions)
    return {
        "policies": [r["policy_id"] for r in rows],
        "decided": [r["decided"] for r in rows],
        "undetermined": [r["undetermined"] for r in rows],
        "labels": {"decided": t("coverage.decided"), "undetermined": t("policy.status_undetermined")},
    }


def coverage_json(c: pol.Coverage, run_id: str | None) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "clause_share": str(c.clause_share),
        "clause_share_pct": share_pct(c.clause_share),
        "decided_share": None if c.decided_share is None else str(c.decided_share),
        "decided_share_pct": None if c.decided_share is None else share_pct(c.decided_share),
        "clause_share_text": share_text(c.clause_share),
        "decided_share_text": share_text(c.decided_share),
        "clauses_from_data": sum(bool(x) for x in c.clauses["from_data"].to_pylist()),
        "firms": c.firms,
        "firms_decided": c.firms_decided,
        "stake": _stake_json(c.stake),
        "clauses": _rows(c.clauses),
        "decisions": None if c.decisions is None else _rows(c.decisions),
        "missing": None if c.missing is None else _rows(c.missing),
        "unseen": None if c.unseen is None else _rows(c.unseen),
        "unseen_note": c.unseen_note(),
    }


def _stake_json(s: pol.Stake | None) -> dict[str, Any] | None:
    """What is at stake (:class:`~zonebrain.policy.Stake`): shares exact (``"2003/2102"``) and as
    the page writes them, money in fen and in 元."""
    if s is None:
        return None
    shares = {
        "candidates_share": s.candidates_share, "from_data_share": s.from_data_share,
        "declared_share": s.declared_share, "amount_from_data_share": s.amount_from_data_share,
    }  # fmt: skip
    out: dict[str, Any] = {
        "firms": s.firms, "firms_in_scope": s.firms_in_scope, "candidates": s.candidates,
        "undetermined": s.undetermined, "undetermined_max_fen": s.undetermined_max_fen,
        "undetermined_max": display_fen(s.undetermined_max_fen, "元"),
        "undetermined_unbounded": s.undetermined_unbounded,
    }  # fmt: skip
    for k, v in shares.items():
        out[k] = None if v is None else str(v)
        out[f"{k}_text"] = share_text(v)
    return out


def warehouse_runs(
    ctx: WebContext, t: Translator, batches: Mapping[str, str] | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Recorded runs for the baseline and coverage pickers, newest first, each with the ``label``
    a picker shows: the run id, its as-of date and its note (考核年度 2024 for the default note),
    so a run of an odd period is told from the others before it is picked, then what *batches*
    (run id → text, :func:`~zonebrain.web._queries.payout.batches_by_run`) says of it."""
    with ctx.pool.reader() as wh:
        tbl = wh.table("policy_runs")
        found = wh.to_arrow(
            tbl.order_by([ibis.desc("created_at"), ibis.desc("run_id")])
            .limit(limit)
            .select("run_id", "as_of", "note")
        )
    rows = _rows(found)
    for r in rows:
        said = ", ".join(
            x for x in (f"{t('policy.col.as_of')} {r['as_of']}", run_note_text(r["note"], t)) if x
        )
        r["label"] = f"{r['run_id']} ({said})"
        if batches and r["run_id"] in batches:
            r["label"] += f" — {batches[r['run_id']]}"
            r["batches"] = batches[r["run_id"]]
    return rows


def count_runs(wh: Warehouse) -> int:
    """Recorded runs (tests: what-if must not add one)."""
    return int(wh.to_arrow(wh.table("policy_runs").aggregate(n=ibis._.run_id.count()))["n"][0].as_py())
