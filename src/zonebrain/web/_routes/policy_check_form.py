"""企业自测表 (/policy/check's form, and ``POST /api/v1/policy/check`` as its fields): reading it.

:func:`parse_form` reads the filled-in form exactly (money in 元 or 万元 through the import
formats' parser, never a float; dates that have happened) into one firm in the case format, and
names each value it cannot read beside its field, Chinese first, then English. The routes
(``policy_check``) evaluate it; the year assessed is checked there, once, with the evaluation
(``pol.self_check``), or alone when another field has an error (:func:`check_year`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, partial
from typing import Any, Final

from zonebrain import policy as pol
from zonebrain.core.errors import InputError, MoneyError
from zonebrain.core.industry import class_code
from zonebrain.core.money import FEN_PER, parse_amount, split_unit
from zonebrain.core.xlsx import display_width, safe_text
from zonebrain.web._i18n import Translator, locale_of, term, translate
from zonebrain.web._queries import policy as q
from zonebrain.web._queries._common import field_name
from zonebrain.web._routes._deps import form_day

ENTERPRISE_FACTS: Final = ("division_code", "industry_code", "status", "registered_on")
YEAR_FACTS: Final = ("revenue_fen", "tax_fen", "rd_expense_fen", "employees", "insured_employees")
MONEY: Final = frozenset({"revenue_fen", "tax_fen", "rd_expense_fen"})
SIGNED: Final = frozenset({"tax_fen"})
"""Money that may be negative (tax net of refunds, as the family's 第一条 reads it)."""
STATUS_CHOICES: Final = ("存续", "在业", "注销", "吊销", "迁出")
UNITS: Final = ("万元", "元")
"""The money units of the form's select and of the JSON API's amounts (``split_unit``'s names)."""
MAX_COUNT: Final = 10_000_000


@cache
def presence_facts() -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """The tags the library reads, and the events with whether a condition reads their detail."""
    lib = q.library()
    trees = [c for f in lib.families.values() for c in (f.eligibility, *f.exclusions)]
    trees += [c.when for p in lib.policies.values() for c in p.clauses]
    tags: dict[str, None] = {}
    events: dict[str, bool] = {}
    for leaf in (x for tree in trees for x in tree.leaves()):
        if leaf.tag is not None:
            tags[leaf.tag] = None
        if leaf.event is not None:
            events[leaf.event] = events.get(leaf.event, False) or leaf.detail_excludes is not None
    return tuple(tags), tuple(events.items())


def label_zh(name: str) -> str:
    """The Chinese name of a fact or a missing field (``tax_fen[2024]`` → ``2024年纳税总额``)."""
    return field_name("zh-CN", name)


def both(key: str) -> str:
    """A catalogue entry as a field name in messages: Chinese first, then English."""
    return f"{translate('zh-CN', key)} ({translate('en', key)})"


def field_label(name: str) -> str:
    """The name of a form field for its error message (Chinese first, then English)."""
    tags, events = presence_facts()
    fact, _, suffix = name.rpartition("_")
    if suffix in ("0", "1") and fact in YEAR_FACTS:
        which = f"policy_check.{'year_current' if suffix == '0' else 'year_before'}"
        en = f"{translate('en', f'policy_check.fact.{fact}')}, {translate('en', which)}"
        return f"{translate('zh-CN', which)}{label_zh(fact)} ({en})"
    if fact == "tag_since" and int(suffix) < len(tags):
        return f"{tags[int(suffix)]}{both('policy_check.tag_since')}"
    if fact == "event" and int(suffix) < len(events):
        return f"{events[int(suffix)][0]}{both('policy_check.event_date')}"
    return both(f"policy_check.fact.{name}" if name in ENTERPRISE_FACTS else f"policy_check.{name}")


@dataclass
class Parsed:
    """A filled-in form read: the period, one firm in the case format, and the errors per field."""

    period: int = 0
    firm: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    """Each field read, by its name, as read: fen, a count, a date, a code (for :func:`entered`)."""
    unit: str | None = None
    """The money unit of the page's form (None: the API's, each amount naming its own)."""


def _fen_text(fen: int) -> str:
    return f"{fen}分"  # exact through the case loader's parser (a bare number would be read as 元)


def _ascii(text: str) -> str:
    """Full-width digits as ASCII (２０２４ → 2024), as amounts read them (QA: ２５ people was refused)."""
    return unicodedata.normalize("NFKC", text)


def _year(text: str) -> int:
    plain = _ascii(text).removesuffix("年度").removesuffix("年").strip()
    if not (plain.isascii() and plain.isdigit() and 2000 <= int(plain) <= 2100):
        raise InputError(f"须为 2000 至 2100 之间的年份 (a year from 2000 to 2100), 收到 {text[:10]!r}")
    return int(plain)


def _date(text: str) -> dt.date:
    """A date that has happened: a 认定 or an event in the future is a typing slip, not a fact."""
    day = form_day(_ascii(text), "日期", earliest=dt.date(1950, 1, 1))  # founding dates reach back further
    return pol.not_future(day)  # the rule of pol.Form too: the CLI's --form file says the same


def _money(text: str, unit: str | None, signed: bool) -> int:
    """Exact fen of *text* written in *unit*; *unit* None: the value must name its own unit (the
    JSON API: ``"1200万元"``, ``"35000.50元"``), a bare number is refused rather than guessed."""
    if unit is None:
        unit = split_unit(text)[1]
        if unit is None:
            raise InputError(
                f'须写明单位, 如 "1200万元" 或 "35000.50元" (give the unit: 元 or 万元), 收到 {text[:40]!r}'
            )
        if unit not in UNITS:  # as on the page's form: no 亿元, 千元 or 分 to misread by a factor
            raise InputError(
                f'单位只能是 元 或 万元, 如 "1200万元" 或 "35000.50元" (元 or 万元 only), 收到 {text[:40]!r}'
            )
    try:
        fen = parse_amount(text, unit, strict_unit=True)
    except MoneyError as exc:
        raise InputError(str(exc)) from None
    if fen < 0 and not signed:
        raise InputError(f"金额不能为负 (must not be negative): {text[:40]}")
    return fen


def _count(text: str) -> int:
    plain = _ascii(text).replace(",", "")
    if not (plain.isascii() and plain.isdigit()) or int(plain) > MAX_COUNT:
        raise InputError(f"须为不小于 0 的整数人数 (a whole number of people), 收到 {text[:20]!r}")
    return int(plain)


def _division(text: str) -> str:
    plain = _ascii(text)
    if not (plain.isascii() and plain.isdigit() and 6 <= len(plain) <= 12):
        raise InputError(f"须为 6–12 位数字, 如 410172160 (6 to 12 digits), 收到 {text[:20]!r}")
    return plain


def _industry(text: str) -> str:
    """A GB/T 4754 小类 as registries store it (``3921``; ``C3921`` read as ``3921``)."""
    return class_code(text[:20])


def _status(text: str) -> str:
    if text not in STATUS_CHOICES:
        raise InputError(f"须为 {'/'.join(STATUS_CHOICES)} 之一 (one of the registry statuses)")
    return text


def parse_form(form: Mapping[str, str], *, units_in_values: bool = False) -> Parsed:
    """Read the form; a value that cannot be read is an error on its field (nothing is guessed).
    A blank field is a missing fact: the clauses needing it come out 待核实, naming it.

    The page's form and the JSON API (its body as these fields, :func:`body_fields`) both come
    here. The page's money is in its ``unit`` field's unit (a value may repeat it); with
    *units_in_values* (the API) every amount names its own unit and ``unit`` is not read."""
    out = Parsed()
    errors = out.errors

    def read(name: str, fn: Callable[[str], Any]) -> Any:
        text = form.get(name, "").strip()
        if not text:
            return None
        try:
            out.values[name] = fn(text)
        except InputError as exc:
            errors[name] = f"{field_label(name)}: {exc}"
            return None
        return out.values[name]

    period = read("period", _year)
    if period is None and "period" not in errors:
        errors["period"] = f"{field_label('period')}: 必填 (required)"
    unit: str | None = None if units_in_values else form.get("unit", "").strip() or "万元"
    if unit is not None and unit not in UNITS:
        errors["unit"] = f"{field_label('unit')}: 只能是 元 或 万元 (元 or 万元 only)"
        unit = "万元"
    out.unit = unit
    enterprise = {
        "division_code": read("division_code", _division),
        "industry_code": read("industry_code", _industry),
        "status": read("status", _status),
        "registered_on": read("registered_on", _date),
    }
    founded = enterprise["registered_on"]
    if founded is not None and period is not None and founded.year > period:  # no result: say why
        errors["registered_on"] = (
            f"{field_label('registered_on')}: {founded} 晚于考核年度 {period}, 该年度尚未成立 "
            f"(registered after the year assessed: the firm did not exist in {period})"
        )
    years: dict[int, dict[str, Any]] = {}
    for offset in (0, 1):
        values: dict[str, Any] = {}
        for fact in YEAR_FACTS:
            if fact in MONEY:
                fen = read(f"{fact}_{offset}", partial(_money, unit=unit, signed=fact in SIGNED))
                values[fact] = None if fen is None else _fen_text(fen)
            else:
                values[fact] = read(f"{fact}_{offset}", _count)
        if period is not None and any(v is not None for v in values.values()):
            years[period - offset] = values
    before = read("max_revenue_before", partial(_money, unit=unit, signed=False))
    if before is not None and period is not None:  # the earlier years' maximum, as one earlier year
        years[period - 2] = {"revenue_fen": _fen_text(before)}
    tag_names, event_kinds = presence_facts()
    tags: list[dict[str, Any]] = []
    for i, tag in enumerate(tag_names):
        since = read(f"tag_since_{i}", _date)
        if form.get(f"tag_{i}") or since is not None:
            tags.append({"tag": tag, "since": since})
    events: list[dict[str, Any]] = []
    for i, (kind, _) in enumerate(event_kinds):
        day = read(f"event_{i}", _date)
        if day is not None:
            detail = form.get(f"event_detail_{i}", "").strip()[:200] or None
            events.append({"kind": kind, "date": day, "detail": detail})
    out.period = period or 0
    out.firm = {
        "enterprise": {k: v for k, v in enterprise.items() if v is not None},
        "years": years,
        "tags": tags,
        "events": events,
    }
    return out


def period_refused(parsed: Parsed, exc: pol.PeriodRefused) -> None:
    """*exc* (a year not begun, or before the policies apply) as the error beside the year."""
    parsed.errors["period"] = f"{field_label('period')}: {exc}"


def check_year(parsed: Parsed) -> None:
    """The year of a form that is not evaluated (another field has an error) checked alone, so
    that its refusal is shown with the other errors; an evaluated form's year is checked by
    ``pol.self_check`` itself, once, and its provisional warning comes back with the results."""
    if parsed.period and "period" not in parsed.errors:
        try:
            pol.self_check_period(q.library(), parsed.period)
        except pol.PeriodRefused as exc:
            period_refused(parsed, exc)


# ---- what the form said, for its Excel file ---------------------------------------------------


@dataclass(frozen=True)
class Entered:
    """One fact a filled-in form gave, as its page shows it: the part of the form (``group``), the
    fact's name, the year it is of, its value (a whole number, money as an exact
    :class:`~decimal.Decimal` of ``unit``, a date or a text) and what else the form said of it."""

    group: str
    item: str
    year: int | None
    value: int | Decimal | dt.date | str
    unit: str = ""
    note: str = ""


def entered(parsed: Parsed, t: Translator) -> list[Entered]:
    """Every fact of a form read without errors, in the form's order and *t*'s words, with units
    (QA: the self-check's Excel file did not say what its result was computed from)."""
    locale = locale_of(t)
    unit = parsed.unit or "元"  # the API's amounts name their own unit: shown in 元
    per = Decimal(FEN_PER[unit])
    got = parsed.values
    out = [Entered("", t("policy_check.period"), None, parsed.period)]
    part = t("policy_check.enterprise_facts")
    for name in ENTERPRISE_FACTS:
        if name in got:
            value = term(locale, got[name]) if name == "status" else got[name]
            out.append(Entered(part, t(f"policy_check.fact.{name}"), None, value))
    part = t("policy_check.year_facts")
    for fact in YEAR_FACTS:
        for offset, which in ((0, "year_current"), (1, "year_before")):
            value = got.get(f"{fact}_{offset}")
            if value is None:
                continue
            money = fact in MONEY
            out.append(
                Entered(
                    part,
                    t(f"policy_check.fact.{fact}"),
                    parsed.period - offset,
                    Decimal(value) / per if money else value,
                    term(locale, unit) if money else t("policy_check.unit_people"),
                    t(f"policy_check.{which}"),
                )
            )
    if (before := got.get("max_revenue_before")) is not None:
        name = t("policy_check.fact.max_revenue_fen_before")
        out.append(Entered(part, name, None, Decimal(before) / per, term(locale, unit)))
    since = t("policy_check.xlsx_since")
    for tag in parsed.firm.get("tags", []):
        day = tag["since"]
        value = day if day is not None else t("common.yes")
        out.append(
            Entered(t("policy_check.tags"), term(locale, tag["tag"]), None, value, "", since if day else "")
        )
    for e in parsed.firm.get("events", []):
        out.append(
            Entered(t("policy_check.events"), term(locale, e["kind"]), None, e["date"], "", e["detail"] or "")
        )
    return out


ENTERED_COLUMNS: Final = ("group", "item", "year", "value", "unit", "note")
"""The facts sheet's columns (headers ``policy_check.facts_col.*``)."""


def _format(fact: Entered) -> str | None:
    """The Excel number format of a fact's value: money every digit entered (its unit in a column
    of its own), a date as a date, a count with separators, a year (the period) without."""
    if isinstance(fact.value, Decimal):
        return "#,##0.00####"
    if isinstance(fact.value, dt.date):
        return "yyyy-mm-dd"
    if isinstance(fact.value, int):
        return "#,##0" if fact.unit else "0"
    return None


def _width(value: Any) -> int:
    if isinstance(value, dt.date):
        return 10
    return display_width(f"{value:,}" if isinstance(value, int | Decimal) else str(value))


def write_entered(wb: Any, facts: list[Entered], t: Translator, period: int) -> None:
    """Add to the openpyxl workbook *wb* a sheet of the facts the form gave (:func:`entered`): its
    title, the headers, a row per fact. A year is a number, a date an Excel date, money an exact
    decimal of its unit (no float on the way), every text a text (never a formula)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(t("policy_check.xlsx_facts")[:31])
    bold = Font(bold=True)
    title = t("policy_check.xlsx_facts_title", period=period)
    ws.cell(row=1, column=1, value=safe_text(title)).font = bold
    heads = [t(f"policy_check.facts_col.{c}") for c in ENTERED_COLUMNS]
    widths = [display_width(h) for h in heads]
    for j, head in enumerate(heads, start=1):
        ws.cell(row=2, column=j, value=safe_text(head)).font = bold
    for i, fact in enumerate(facts, start=3):
        row = (fact.group, fact.item, fact.year, fact.value, fact.unit, fact.note)
        for j, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=i, column=j, value=safe_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: never a formula
            elif (fmt := "0" if j == 3 else _format(fact)) is not None:
                cell.number_format = fmt
            widths[j - 1] = max(widths[j - 1], _width(value))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A3"
