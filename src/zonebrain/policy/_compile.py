"""Conditions compiled to one set-based Ibis query per policy (enterprise × clause).

The query joins ``enterprises`` with one aggregation of the yearly panel (every year read), the tags held at
the period end and the events in each leaf's window, and selects for every leaf condition its
value (``v{i}``) and its three-valued result (``c{i}``), and per clause the combined result
(family eligibility AND NOT exclusions AND the clause's own condition). SQL's AND/OR/NOT on NULL
are Kleene's on DuckDB, PostgreSQL and Spark alike, so an unknown fact gives an unknown result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from zonebrain.policy._format import (
    ENTERPRISE_FACTS,
    YEAR_FACTS,
    Condition,
    Family,
    Policy,
    _rate,
    fact_value,
    rate_text,
)
from zonebrain.storage import Warehouse


@dataclass(frozen=True)
class Leaf:
    """A compiled leaf: where its value and result are in the query, and how the trace shows it."""

    index: int
    ref: str
    test: str
    field: str | None
    """The fact it reads (``revenue_fen[2023]``); named in ``missing_fields`` when null."""
    text_value: bool
    label: str | None = None


def fact_column(fact: str, year_offset: int) -> str:
    return f"{fact}_y{'m' if year_offset < 0 else ''}{abs(year_offset)}"


def fact_label(fact: str, year_offset: int, period: int) -> str:
    return f"{fact}[{period + year_offset}]" if fact not in ENTERPRISE_FACTS else fact


def column(kind: str, policy: Policy, clause_id: str) -> str:
    """A clause's column in the facts query (``when``, ``ok``, ``base``)."""
    return f"{kind}__{policy.id}__{clause_id}"


class Compiler:
    """Builds one facts query for policies of one family (their subject and exclusions compiled
    once) at one period year; *params* are each policy's parameter values, by policy id."""

    def __init__(
        self,
        wh: Warehouse,
        policies: list[Policy],
        family: Family | None,
        period: int,
        params: dict[str, dict[str, Any]],
    ) -> None:
        self.wh, self.policies, self.family, self.period = wh, policies, family, period
        self.all_params = params
        self.policy = policies[0]
        self.params = params[self.policy.id]
        self.only: list[str] | None = None
        """Evaluate only these enterprises (the self-check); None: all."""
        self.period_end = dt.date(period, 12, 31)
        self.leaves: list[Leaf] = []
        self._cols: dict[str, ir.Value] = {}
        self._tables: dict[str, ir.Table] = {}

    # ------------------------------------------------------------------ facts
    def _param(self, name: str) -> Any:
        value = self.params[name]
        if value is None:
            from zonebrain.core.errors import InputError

            raise InputError(
                f"政策 {self.policy.id} 的参数 {name} 在 {self.period_end} 无生效值 (no value in force); "
                "请在 values 中补充更早的 since / add an earlier dated value"
            )
        return value

    def _fact(self, base: ir.Table, fact: str, offset: int) -> ir.Value:
        return base[fact] if fact in ENTERPRISE_FACTS else base[fact_column(fact, offset)]

    def _window(self, c: Condition) -> tuple[dt.date, dt.date]:
        """The days an event's ``within`` (a tag's ``since_within``) spans, both included."""
        within = c.since_within if c.since_within is not None else c.within
        end = self.period_end.replace(year=self.period - c.offset_years)
        if within == "period":
            return dt.date(end.year, 1, 1), end
        if "years" in within:
            return end.replace(year=end.year - within["years"]) + dt.timedelta(days=1), end
        return end - dt.timedelta(days=within["days"] - 1), end

    def _leaf(self, base: ir.Table, c: Condition) -> ir.BooleanValue:
        i = len(self.leaves)
        assert c.ref is not None
        if c.fact is not None:
            v = self._fact(base, c.fact, c.year)
            rhs: Any = self._param(c.param) if c.param else fact_value(c.fact, c.value)
            shown = f"{c.param}={rhs}" if c.param else repr(rhs) if isinstance(rhs, str) else str(rhs)
            shown = "" if c.op == "reported" else f" {shown}"
            ops = {
                ">=": lambda: v >= rhs,
                ">": lambda: v > rhs,
                "<=": lambda: v <= rhs,
                "<": lambda: v < rhs,
                "==": lambda: v == rhs,
                "!=": lambda: v != rhs,
                "in": lambda: v.isin(list(rhs)),
                "not in": lambda: ~v.isin(list(rhs)),
                "startswith": lambda: v.startswith(str(rhs)),
                "reported": lambda: ibis.ifelse(v.notnull(), ibis.literal(True), ibis.null("boolean")),
            }
            result = ops[str(c.op)]()
            label = fact_label(c.fact, c.year, self.period)
            self._cols[f"v{i}"] = v
            self.leaves.append(
                Leaf(i, c.ref.text(), f"{label} {c.op}{shown}", label, c.fact in ENTERPRISE_FACTS, c.label)
            )
        elif c.growth is not None:
            result = self._growth(base, c, i)
        elif c.tag is not None and c.since_within is not None:
            result = self._first_held(base, c, i)
        elif c.tag is not None:
            result = base[f"k{i}"].fill_null(0) == 1
            self.leaves.append(
                Leaf(i, c.ref.text(), f"tag {c.tag} @ {self.period_end}", None, False, c.label)
            )
        else:
            start, end = self._window(c)
            result = base[f"k{i}"].fill_null(0) == 1
            extra = f", detail without {c.detail_excludes}" if c.detail_excludes else ""
            test = f"event {c.event} in [{start}, {end}]{extra}"
            self.leaves.append(Leaf(i, c.ref.text(), test, None, False, c.label))
        self._cols[f"c{i}"] = result
        return result

    def _growth(self, base: ir.Table, c: Condition, i: int) -> ir.BooleanValue:
        """A yearly fact's growth over the year before against a rate, in exact integers:
        ``(F[y] − F[y−1]) × d OP n × F[y−1]`` for the rate n/d (decimals: 38 digits hold any
        fen amount times any rate's denominator). Unknown when either year is missing (the base
        year's ``reported`` leaf names it, this leaf its own year); false when the base year is 0
        or less (no growth can be computed from it). The value shown is the leaf's own year."""
        assert c.ref is not None and c.growth is not None
        rate = self._param(c.param) if c.param else _rate(c.value)
        n, d = rate.numerator, rate.denominator
        now, before = base[fact_column(c.growth, c.year)], base[fact_column(c.growth, c.year - 1)]
        up = (now.cast("decimal(38, 0)") - before.cast("decimal(38, 0)")) * d
        bar = before.cast("decimal(38, 0)") * n
        ops = {">=": lambda: up >= bar, ">": lambda: up > bar, "<=": lambda: up <= bar, "<": lambda: up < bar}
        result: Any = ibis.cases(
            (now.isnull() | before.isnull(), ibis.null("boolean")),
            (before <= 0, ibis.literal(False)),
            else_=ops[str(c.op)](),
        )
        label = fact_label(c.growth, c.year, self.period)
        shown = f"{c.param}={rate_text(rate)}" if c.param else rate_text(rate)
        test = f"growth {label} over {fact_label(c.growth, c.year - 1, self.period)} {c.op} {shown}"
        self._cols[f"v{i}"] = now
        self.leaves.append(Leaf(i, c.ref.text(), test, label, False, c.label))
        return result

    def _first_held(self, base: ir.Table, c: Condition, i: int) -> ir.BooleanValue:
        """A tag first held in a window: its earliest ``since`` on record (``f{i}``) falls in it.
        An earlier one makes it false whatever else is on record; otherwise a holding whose
        ``since`` is blank (``u{i}``) makes it unknown, naming ``tag_since[T]``. The value shown is
        that earliest date, or 未持有 when the firm has no such tag."""
        assert c.ref is not None
        start, end = self._window(c)
        first, blank = base[f"f{i}"], base[f"u{i}"].fill_null(0) == 1
        result: Any = ibis.cases(
            (first.notnull() & (first < start), ibis.literal(False)),
            (blank, ibis.null("boolean")),
            else_=first.notnull() & (first <= end),
        )
        held = first.notnull() | blank
        self._cols[f"v{i}"] = ibis.cases(
            (~held, ibis.literal("未持有 (not held)")),
            (result.isnull(), ibis.null("string")),
            else_=first.cast("string"),
        )
        test = f"tag {c.tag} first held in [{start}, {end}]"
        self.leaves.append(Leaf(i, c.ref.text(), test, f"tag_since[{c.tag}]", True, c.label))
        return result

    def _cond(self, base: ir.Table, c: Condition) -> ir.BooleanValue:
        if c.all is not None:
            parts = [self._cond(base, x) for x in c.all]
            out = parts[0]
            for p in parts[1:]:
                out = out & p
            return out
        if c.any is not None:
            parts = [self._cond(base, x) for x in c.any]
            out = parts[0]
            for p in parts[1:]:
                out = out | p
            return out
        if c.not_ is not None:
            return ~self._cond(base, c.not_)
        return self._leaf(base, c)

    # ------------------------------------------------------------------ the query
    def _conditions(self) -> list[Condition]:
        """Every condition tree, in the order the query compiles them (leaf indexes follow it)."""
        fam = [] if self.family is None else [self.family.eligibility, *self.family.exclusions]
        return fam + [c.when for p in self.policies for c in p.clauses]

    def _table(self, name: str) -> ir.Table:
        if name not in self._tables:
            self._tables[name] = self.wh.table(name)
        return self._tables[name]

    def _lookup(self, name: str, flags: dict[int, Condition]) -> ir.Table:
        """One row per uscc with a tag or event, and per leaf ``k{i}`` = 1 when the leaf holds for it.

        All tag leaves (or all event leaves) of a policy share one scan, one aggregation and one join.
        """
        t = self._table(name)
        cols: dict[str, ir.Value] = {}
        for i, c in flags.items():
            if c.tag is not None and c.since_within is not None:
                mine = t.tag == c.tag
                cols[f"f{i}"] = ibis.ifelse(mine, t.since, ibis.null("date")).min()
                cols[f"u{i}"] = ibis.ifelse(mine & t.since.isnull(), 1, 0).max()
                continue
            if c.tag is not None:
                hit = (
                    (t.tag == c.tag)
                    & (t.since.isnull() | (t.since <= self.period_end))
                    & (t.until.isnull() | (t.until >= self.period_end))
                )
            else:
                start, end = self._window(c)
                hit = (t.kind == c.event) & (t.date >= start) & (t.date <= end)
                if c.detail_excludes:
                    hit = hit & (t.detail.isnull() | ~t.detail.contains(c.detail_excludes))
            cols[f"k{i}"] = ibis.ifelse(hit, 1, 0).max()
        key = t.tag if name == "enterprise_tags" else t.kind
        wanted = sorted({str(c.tag if c.tag is not None else c.event) for c in flags.values()})
        return t.filter(key.isin(wanted)).group_by(j=t.uscc).aggregate(**cols)

    def _base(self) -> ir.Table:
        offsets: set[int] = set()
        history: set[int] = set()
        tags: dict[int, Condition] = {}
        events: dict[int, Condition] = {}
        leaves = [leaf for tree in self._conditions() for leaf in tree.leaves()]
        amounts = [(c.amount.of, c.amount.year) for p in self.policies for c in p.clauses if c.amount.of]
        grown = [(x.growth, x.year + back) for x in leaves if x.growth for back in (0, -1)]
        for fact, off in [(x.fact, x.year) for x in leaves if x.fact] + grown + amounts:
            if fact == "max_revenue_fen_before":
                history.add(off)
            elif fact in YEAR_FACTS:
                offsets.add(off)
        for i, leaf in enumerate(leaves):
            if leaf.tag is not None:
                tags[i] = leaf
            elif leaf.event is not None:
                events[i] = leaf
        ent = self._table("enterprises")
        # a firm registered after the period did not exist in it: no result for the period, rather
        # than 待核实 for the period's data it could never have had (an unknown date keeps the firm)
        ent = ent.filter(ent.registered_on.isnull() | (ent.registered_on <= self.period_end))
        if self.only is not None:
            ent = ent.filter(ent.uscc.isin(self.only))
        # each enterprise's number in the run's stored results (``firm_no``): counted here, on the
        # narrow registry rows, rather than after the joins (a window over the wide facts rows
        # costs DuckDB twice the whole query)
        registered = {"registered_year": ent.registered_on.year()} if history else {}
        base = ent.select(
            "uscc", *ENTERPRISE_FACTS, **registered, firm_no=ibis.row_number().over(order_by=ent.uscc)
        )
        if offsets or history:
            base = self._yearly(base, offsets, history)
        for name, flags in (("enterprise_tags", tags), ("events", events)):
            if flags:
                found = self._lookup(name, flags)
                base = base.left_join(found, base.uscc == found.j).drop("j")
        return base

    def _yearly(self, base: ir.Table, offsets: set[int], history: set[int]) -> ir.Table:
        """*base* with the yearly facts the rules read: per offset in *offsets* each of
        ``YEAR_FACTS`` of year period + offset, and per offset in *history* the largest revenue of
        the years before period + offset.

        One scan and one aggregation of the yearly panel serve every year (``max`` filtered to a
        year is the value of that year: a firm has one row per year), where a join per year and
        one for the history scanned the panel once each.

        A firm had no revenue before it was registered: the years before its registration year are
        known to be 0. So the largest earlier revenue is the largest on record; when none is on
        record, it is 0 if no year before the year in question falls on or after the registration
        year (a firm registered in that year or later), and unknown otherwise (a year since
        registration is missing, or the registration date is unknown)."""
        years = self._table("enterprise_years")
        wanted = [self.period + off for off in offsets]
        keep = years.year.isin(wanted) if wanted else ibis.literal(False)
        if history:
            keep = keep | (years.year < self.period + max(history))
        cols: dict[str, ir.Value] = {
            fact_column(f, off): years[f].max(where=years.year == self.period + off)
            for off in sorted(offsets)
            for f in YEAR_FACTS
        }
        for off in sorted(history):
            cols[fact_column("recorded_before", off)] = years.revenue_fen.max(
                where=years.year < self.period + off
            )
        y = years.filter(keep).group_by(j=years.uscc).aggregate(**cols)
        joined = base.left_join(y, base.uscc == y.j).drop("j")
        for off in sorted(history):
            recorded = fact_column("recorded_before", off)
            year = self.period + off
            none_since = ibis.ifelse(
                joined.registered_year >= year, ibis.literal(0, "int64"), ibis.null("int64")
            )
            value = ibis.coalesce(joined[recorded].cast("int64"), none_since)
            joined = joined.mutate(**{fact_column("max_revenue_fen_before", off): value}).drop(recorded)
        return joined

    def query(self) -> tuple[ir.Table, dict[tuple[str, str], list[Leaf]], int]:
        """The query (one row per enterprise), per (policy id, clause id) the leaves its trace
        shows (the family's first), and how many leaves the family has.

        Columns: ``uscc``, ``firm_no`` (the enterprise's number, in uscc order), ``v{i}`` (fact leaves) and ``c{i}`` per leaf, ``fam`` (subject and
        exclusions) and per clause (see :func:`column`): ``when__…`` (its own condition),
        ``ok__…`` (family eligibility AND NOT exclusions AND the clause's condition,
        three-valued) and ``base__…`` (the amount's base fact, if any).
        """
        base = self._base()
        fam_leaves: list[Leaf] = []
        fam: ir.BooleanValue = ibis.literal(True)
        if self.family is not None:
            fam = self._cond(base, self.family.eligibility)
            for x in self.family.exclusions:
                fam = fam & ~self._cond(base, x)
            fam_leaves = list(self.leaves)
        per_clause: dict[tuple[str, str], list[Leaf]] = {}
        out: dict[str, ir.Value] = {}
        for policy in self.policies:
            self.policy, self.params = policy, self.all_params[policy.id]
            for clause in policy.clauses:
                first = len(self.leaves)
                when = self._cond(base, clause.when)
                per_clause[(policy.id, clause.id)] = fam_leaves + self.leaves[first:]
                out[column("when", policy, clause.id)] = when
                out[column("ok", policy, clause.id)] = fam & when
                if clause.amount.of is not None:
                    out[column("base", policy, clause.id)] = self._fact(
                        base, clause.amount.of, clause.amount.year
                    )
        cols = {"uscc": base.uscc, "firm_no": base.firm_no.cast("int32")}
        return base.select(**cols, **self._cols, fam=fam, **out), per_clause, len(fam_leaves)
