"""A what-if scenario in words: the labels of parameters and interpretations, and every change a
scenario makes to the library, for the page, its JSON, both Excel files and the CLI.

The changes are read from the two libraries themselves (the one run and the edited one), not from
the form or the options that made the edit, so a budget pool, a clause threshold, a reading or a
replaced policy file is named wherever it came from (QA: the CLI's workbook listed only ``--set``).
Every change reads ``what: old → new`` (``—``: none on that side), a value equal to the one in
force is no change, and a replaced file is compared field by field: each amount, tier, rate, cap,
condition and parameter that differs is named (QA: "第一条: 条款已修改" said nothing). Amounts are
in the policy texts' words (``1000万元``, ``3亿元``, else exact 元; English: exact yuan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from pydantic import BaseModel

from zonebrain import policy as pol
from zonebrain.core.money import FEN_PER
from zonebrain.policy._edit import COMPARISONS
from zonebrain.policy._explain import ZH, Words, default_label
from zonebrain.policy._format import MONEY_FACTS, Budget, Meta, Ref, _fen, _rate, fact_value, rate_text
from zonebrain.web._i18n import Translator, locale_of
from zonebrain.web._queries.policy_words import EN_WORDS

_WAN: Final = Decimal(FEN_PER["万元"])


def zh(key: str, **params: Any) -> str:
    from zonebrain.web._i18n import translate

    return translate("zh-CN", key, **params)


def param_label(lib: pol.Library, key: str, t: Translator = zh) -> str:
    """``zz-rd-input.rate`` → ``郑州高新区企业研发投入奖励 · 奖励比例`` (the policy's name and the
    parameter's label; a parameter without a label keeps its name)."""
    pid, _, name = key.partition(".")
    p = lib.policies.get(pid)
    return f"{p.meta.name if p else pid} · {param_word(name, t)}"


def param_word(name: str, t: Translator = zh) -> str:
    """A parameter's label (``rate`` → 奖励比例); one without a label keeps its name."""
    label = t(f"whatif.param.{name}")
    return name if label == f"whatif.param.{name}" else label


def interp_label(name: str, value: str | None, t: Translator = zh) -> str:
    """A named interpretation (``multi_threshold``) or one of its values (``highest_only``) in words."""
    key = f"whatif.interp.{name}" if value is None else f"whatif.interp.{name}_{value}"
    text = t(key)
    return (value or name) if text == key else text


def rule_label(rule: str, t: Translator = zh) -> str:
    """A budget rule in words (``ranking`` → 按金额排序分配); an unknown one as it is."""
    text = t(f"whatif.rule_{rule}")
    return rule if text == f"whatif.rule_{rule}" else text


def pct_text(rate: Fraction) -> str:
    """An exact rate as the number of percent (1/40 → ``2.5``); a non-terminating one rounded to 6 places."""
    pct = Decimal(rate.numerator) * 100 / Decimal(rate.denominator)
    return format(pct.quantize(Decimal("0.000001")).normalize(), "f")


def wan_text(fen: int) -> str:
    """Fen as the number of 万元, exactly (50000000 → ``50``)."""
    return format((Decimal(fen) / _WAN).normalize(), "f")


def money_leaves(c: pol.Clause) -> list[tuple[int, str]]:
    """Distinct (fen, text) of the literal money values a clause's comparisons use."""
    out: dict[int, str] = {}
    for leaf in c.when.leaves():
        if leaf.fact in MONEY_FACTS and leaf.op in COMPARISONS and leaf.value is not None:
            out.setdefault(_fen(leaf.value), str(leaf.value))
    return sorted(out.items())


def words(t: Translator) -> Words:
    """How a condition or an amount reads in *t*'s language (the trace's own wording)."""
    return EN_WORDS if locale_of(t) == "en" else ZH


def _was(label: str, old: str, new: str) -> str:
    return f"{label}: {old} → {new}"


def value_text(kind: str, value: int | Fraction | None, w: Words) -> str:
    """A parameter's value: an amount in *w*'s words (``500万元``), a rate as a percentage."""
    if value is None:
        return "—"
    return w.amount(int(value)) if kind == "amount" else rate_text(Fraction(value))


def _param_change(lib: pol.Library, key: str, raw: str, day: dt.date, t: Translator) -> str | None:
    """``policy · 奖励比例: 2% → 3%``; None when *raw* is the value in force on *day* (QA: ``--set
    zz-rd-input.rate=2%`` was listed as a change)."""
    pid, _, name = key.partition(".")
    p = lib.policies.get(pid)
    spec = p.parameters.get(name) if p else None
    if spec is None:
        return f"{param_label(lib, key, t)}: {raw}"
    try:
        new = _fen(raw) if spec.kind == "amount" else _rate(raw)
    except ValueError:
        return _was(param_label(lib, key, t), "—", raw)
    old = spec.value_on(day)
    if new == old:
        return None
    w = words(t)
    return _was(param_label(lib, key, t), value_text(spec.kind, old, w), value_text(spec.kind, new, w))


def pool_words(budget: Budget | None, t: Translator) -> str:
    """A budget pool as money with its rule (``3亿元 (按比例分配)``), or 无."""
    if budget is None:
        return t("whatif.none")
    return f"{words(t).amount(budget.pool)} ({rule_label(budget.rule, t)})"


def _generic(where: str, field: str, t: Translator) -> str:
    """A part with no words of its own (groups, the choices of a reading): named, said edited."""
    label = t(f"whatif.field.{field}")
    return f"{where} {field if label == f'whatif.field.{field}' else label}: {t('whatif.edited')}"


def _moved(a: pol.Condition, b: pol.Condition) -> bool | None:
    """The same comparison of the same fact with another literal value: True (a threshold moved),
    None when the value is only written otherwise (``1000万`` and ``1000万元``: no change)."""
    if a.fact is None or a.op not in COMPARISONS or a.value is None or b.value is None:
        return False
    if a.model_copy(update={"value": b.value, "label": b.label}) != b:
        return False
    if fact_value(a.fact, a.value) != fact_value(a.fact, b.value):
        return True
    return None if a.label == b.label else False  # only its label changed: said as such


def _side_value(c: pol.Condition, w: Words) -> str:
    return w.amount(_fen(c.value)) if c.fact in MONEY_FACTS else str(c.value)


def condition_changes(old: pol.Condition, new: pol.Condition, period: int | None, t: Translator) -> list[str]:
    """Each leaf condition that differs, matched by its place in the tree: the thresholds moved first
    in one line that names every condition it moves (QA: lowering a breakthrough threshold moves
    ``revenue ≥ X`` and ``highest earlier revenue < X``, the line said only ``1000万 → 800万``),
    then each other condition old → new (``—``: added or removed)."""
    w = words(t)
    before = {path: leaf for leaf, path, _ in old.walk()}
    after = {path: leaf for leaf, path, _ in new.walk()}
    moved, out = [], []
    for path in dict.fromkeys([*before, *after]):
        a, b = before.get(path), after.get(path)
        if a == b:
            continue
        said = [("—" if c is None else default_label(c, period, w)) for c in (a, b)]
        if a is None or b is None:
            out.append(_was(t("whatif.condition"), *said))  # added or removed
            continue
        threshold = _moved(a, b)
        if threshold:
            moved.append(f"{said[0]} → {_side_value(b, w)}")
        elif threshold is None:  # the same value written otherwise
            continue
        elif said[0] != said[1]:
            out.append(_was(t("whatif.condition"), *said))
        elif a.label != b.label:
            out.append(_was(f"{t('whatif.condition_label')} ({said[0]})", a.label or "—", b.label or "—"))
        elif a.ref != b.ref:
            refs = [c.ref.text() if c.ref else "—" for c in (a, b)]
            out.append(_was(f"{t('whatif.field.ref')} ({said[0]})", *refs))
    if len(moved) > 1:
        out.insert(0, f"{t('whatif.thresholds_moved', n=len(moved))}: {', '.join(moved)}")
    elif moved:
        out.insert(0, f"{t('whatif.threshold')}: {moved[0]}")
    return out


def _tier_text(tier: pol.Tier, money: bool, w: Words, t: Translator) -> str:
    def bound(v: int) -> str:
        return w.amount(v) if money else str(v)

    span = []
    if tier.lower is not None:
        span.append(f"{'≥' if tier.lower_inclusive else '>'} {bound(tier.lower)}")
    if tier.upper is not None:
        span.append(f"{'≤' if tier.upper_inclusive else '<'} {bound(tier.upper)}")
    pay = (
        w.amount(tier.amount)
        if tier.amount is not None
        else rate_text(tier.rate)
        if tier.rate is not None
        else "—"
    )
    return t("whatif.tier_text", span=t("whatif.span_and").join(span) or "*", pay=pay)


def amount_changes(old: pol.Amount, new: pol.Amount, period: int | None, t: Translator) -> list[str]:
    """Each part of a clause's amount that differs, old → new: the fixed sum, the rate, the cap (or
    the parameters they read), the base and its year, each tier, the tier mode, the rounding."""
    w = words(t)
    money: Callable[[Any], str] = lambda v: "—" if v is None else w.amount(v)  # noqa: E731
    plain: Callable[[Any], str] = lambda v: "—" if v is None else str(v)  # noqa: E731
    rate: Callable[[Any], str] = lambda v: "—" if v is None else rate_text(v)  # noqa: E731

    def base(a: pol.Amount) -> str:
        if a.of is None:
            return "—"
        return w.field(a.of, period + a.year if period is not None else f"{a.year:+d}")

    out = []
    for field, show in (("fixed", money), ("fixed_param", plain), ("rate", rate), ("rate_param", plain),
                        ("cap", money), ("cap_param", plain)):  # fmt: skip
        if getattr(old, field) != getattr(new, field):
            out.append(_was(t(f"whatif.field.{field}"), show(getattr(old, field)), show(getattr(new, field))))
    if (old.of, old.year) != (new.of, new.year):
        out.append(_was(t("whatif.field.of"), base(old), base(new)))
    tiers = (old.tiers or (), new.tiers or ())
    for n in range(max(len(x) for x in tiers)):
        a, b = (x[n] if n < len(x) else None for x in tiers)
        if a != b:
            said = ["—" if x is None else _tier_text(x, (y.of or "") in MONEY_FACTS, w, t)
                    for x, y in ((a, old), (b, new))]  # fmt: skip
            out.append(_was(t("whatif.tier", n=n + 1), *said))
    for field in ("mode", "rounding"):
        a, b = getattr(old, field), getattr(new, field)
        if a != b:
            said = ["—" if v is None else t(f"whatif.{field}_{v}") for v in (a, b)]
            out.append(_was(t(f"whatif.field.{field}"), *said))
    if old.ref != new.ref:
        out.append(_was(t("whatif.field.amount_ref"), old.ref.text(), new.ref.text()))
    return out


def _fields(old: BaseModel, new: BaseModel, done: tuple[str, ...]) -> list[str]:
    """The fields of two models that differ, other than those described elsewhere (*done*)."""
    return [f for f in type(new).model_fields if f not in done and getattr(old, f) != getattr(new, f)]


def meta_changes(old: Meta, new: Meta, where: str, t: Translator) -> list[str]:
    """Each metadata field that differs (``生效日期: 2022-02-25 → 2023-01-01``)."""
    out = []
    for f in _fields(old, new, ()):
        a, b = ("—" if x is None else str(x) for x in (getattr(old, f), getattr(new, f)))
        out.append(_was(f"{where} {t(f'whatif.meta.{f}')}", a, b))
    return out


def _clause_changes(
    name: str, old: pol.Clause, new: pol.Clause, period: int | None, t: Translator
) -> list[str]:
    where = f"{name} {new.ref.text()}"
    out = [f"{where} {x}" for x in condition_changes(old.when, new.when, period, t)]
    out += [f"{where} {x}" for x in amount_changes(old.amount, new.amount, period, t)]
    yes = {True: t("whatif.flag_yes"), False: t("whatif.flag_no")}
    for f in _fields(old, new, ("when", "amount")):
        a, b = getattr(old, f), getattr(new, f)
        said = [yes[x] if isinstance(x, bool) else x.text() if isinstance(x, Ref) else str(x) for x in (a, b)]
        out.append(_was(f"{where} {t(f'whatif.field.{f}')}", *said))
    return out


def _dated(spec: pol.Parameter | None, t: Translator) -> str:
    """A parameter's dated values (``2%``; several: ``2022-01-01 起 2%, 2024-01-01 起 3%``)."""
    if spec is None:
        return "—"
    w = words(t)
    values = sorted(spec.values, key=lambda v: v.since)
    shown = [
        value_text(spec.kind, _fen(v.value) if spec.kind == "amount" else _rate(v.value), w) for v in values
    ]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(
        t("whatif.since", day=v.since.isoformat(), value=x) for v, x in zip(values, shown, strict=True)
    )


def _parameter_changes(p_old: pol.Policy, p: pol.Policy, t: Translator) -> list[str]:
    out = []
    for name in dict.fromkeys([*p_old.parameters, *p.parameters]):
        a, b = p_old.parameters.get(name), p.parameters.get(name)
        if a == b:
            continue
        label = f"{p.meta.name} · {param_word(name, t)}"
        said = (_dated(a, t), _dated(b, t))
        if said[0] != said[1]:
            out.append(_was(label, *said))
        else:  # its reference or kind
            out.append(f"{label}: {t('whatif.edited')}")
    return out


def _policy_changes(p_old: pol.Policy | None, p: pol.Policy, period: int | None, t: Translator) -> list[str]:
    if p_old is None:
        return [f"{p.meta.name}: {t('whatif.policy_added')}"]
    out = [
        _was(f"{p.meta.name} · {interp_label(name, None, t)}", interp_label(name, p_old.interpretations.get(name), t)
             if name in p_old.interpretations else "—", interp_label(name, value, t))
        for name, value in p.interpretations.items()
        if p_old.interpretations.get(name) != value
    ]  # fmt: skip
    out += _parameter_changes(p_old, p, t)
    olds = {c.id: c for c in p_old.clauses}
    for c in p.clauses:
        if c.id not in olds:
            out.append(f"{p.meta.name} {c.ref.text()}: {t('whatif.clause_added')}")
        elif olds[c.id] != c:
            out.extend(_clause_changes(p.meta.name, olds[c.id], c, period, t))
    news = {c.id for c in p.clauses}
    out.extend(
        f"{p.meta.name} {c.ref.text()}: {t('whatif.clause_removed')}"
        for c in p_old.clauses
        if c.id not in news
    )
    out += meta_changes(p_old.meta, p.meta, p.meta.name, t)
    if p_old.family != p.family:
        out.append(_was(f"{p.meta.name} {t('whatif.field.family')}", p_old.family or "—", p.family or "—"))
    done = ("interpretations", "parameters", "clauses", "meta", "family")
    out += [_generic(p.meta.name, f, t) for f in _fields(p_old, p, done)]
    return out


def _family_changes(old: pol.Family, fam: pol.Family, period: int | None, t: Translator) -> list[str]:
    name = fam.meta.name
    out = []
    if old.budget != fam.budget:
        out.append(_was(f"{name} {t('whatif.pool')}", pool_words(old.budget, t), pool_words(fam.budget, t)))
        if (
            old.budget
            and fam.budget
            and old.budget.model_copy(update={"pool": fam.budget.pool, "rule": fam.budget.rule}) != fam.budget
        ):
            out.append(_generic(name, "budget_members", t))
    where = f"{name} {t('whatif.field.eligibility')}"
    out += [f"{where} {x}" for x in condition_changes(old.eligibility, fam.eligibility, period, t)]
    for n in range(max(len(old.exclusions), len(fam.exclusions))):
        a, b = (x[n] if n < len(x) else None for x in (old.exclusions, fam.exclusions))
        if a == b:
            continue
        where = f"{name} {t('whatif.exclusion', n=n + 1)}"
        if a is None or b is None:
            said = [
                "—" if x is None else "; ".join(default_label(c, period, words(t)) for c in x.leaves())
                for x in (a, b)
            ]
            out.append(_was(where, *said))
        else:
            out += [f"{where} {x}" for x in condition_changes(a, b, period, t)]
    caps = [c.amount if c else None for c in (old.enterprise_cap, fam.enterprise_cap)]
    if caps[0] != caps[1]:
        out.append(
            _was(
                f"{name} {t('whatif.field.enterprise_cap')}",
                *("—" if c is None else words(t).amount(c) for c in caps),
            )
        )
    elif old.enterprise_cap != fam.enterprise_cap:
        out.append(_generic(name, "enterprise_cap", t))
    out += meta_changes(old.meta, fam.meta, name, t)
    done = ("budget", "eligibility", "exclusions", "enterprise_cap", "meta")
    out += [_generic(name, f, t) for f in _fields(old, fam, done)]
    return out


def scenario_changes(
    base: pol.Library,
    edited: pol.Library,
    parameters: Mapping[str, str],
    t: Translator = zh,
    period: int | None = None,
) -> list[str]:
    """Every change of the scenario in words, ``what: old → new``, in the library's order: the
    parameter overrides (against the value in force at the end of *period*; one equal to it is no
    change), then per family its budget pool and other edits, then per policy its readings,
    parameters, clause conditions and amounts, metadata; an unchanged scenario gives ``[]``."""
    day = dt.date(period, 12, 31) if period is not None else dt.date.max
    out = [x for k, v in parameters.items() if (x := _param_change(base, k, v, day, t)) is not None]
    for fid, fam in edited.families.items():
        old = base.families.get(fid)
        if old is None:
            out.append(f"{fam.meta.name}: {t('whatif.policy_added')}")
        elif old != fam:
            out += _family_changes(old, fam, period, t)
    for pid, p in edited.policies.items():
        if base.policies.get(pid) != p:
            out.extend(_policy_changes(base.policies.get(pid), p, period, t))
    return out
