"""A what-if scenario in words: the labels of parameters and interpretations, and every change a
scenario makes to the library, for the page, its JSON, both Excel files and the CLI.

The changes are read from the two libraries themselves (the one run and the edited one), not from
the form or the options that made the edit, so a budget pool, a clause threshold, a reading or a
replaced policy file is named wherever it came from (QA: the CLI's workbook listed only ``--set``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from zonebrain import policy as pol
from zonebrain.core.money import FEN_PER
from zonebrain.policy._edit import COMPARISONS
from zonebrain.policy._format import MONEY_FACTS, _fen
from zonebrain.web._i18n import Translator

_WAN: Final = Decimal(FEN_PER["万元"])


def zh(key: str, **params: Any) -> str:
    from zonebrain.web._i18n import translate

    return translate("zh-CN", key, **params)


def param_label(lib: pol.Library, key: str, t: Translator = zh) -> str:
    """``zz-rd-input.rate`` → ``郑州高新区企业研发投入奖励 · 奖励比例`` (the policy's name and the
    parameter's label; a parameter without a label keeps its name)."""
    pid, _, name = key.partition(".")
    p = lib.policies.get(pid)
    label = t(f"whatif.param.{name}")
    return f"{p.meta.name if p else pid} · {name if label == f'whatif.param.{name}' else label}"


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


def pool_text(fam: pol.Family, t: Translator = zh) -> str:
    """``郑州高新区…措施 预算池 = 35000万 (按金额排序分配)``, or that the family has none."""
    head = f"{fam.meta.name} {t('whatif.pool')}"
    if fam.budget is None:
        return f"{head}: {t('whatif.none')}"
    return f"{head} = {wan_text(fam.budget.pool)}万 ({rule_label(fam.budget.rule, t)})"


def _clause_changes(name: str, old: pol.Clause, new: pol.Clause, t: Translator) -> list[str]:
    where = f"{name} {new.ref.text()}"
    before = dict(money_leaves(old))
    after = dict(money_leaves(new))
    gone = [text for fen, text in before.items() if fen not in after]
    came = [text for fen, text in after.items() if fen not in before]
    if gone or came:
        said = f"{where} {t('whatif.threshold')}: {'、'.join(gone) or '—'} → {'、'.join(came) or '—'}"
        rest_same = old.model_copy(update={"when": new.when}) == new
        return [said] if rest_same else [said, f"{where}: {t('whatif.clause_edited')}"]
    return [f"{where}: {t('whatif.clause_edited')}"]


def _policy_changes(p_old: pol.Policy | None, p: pol.Policy, t: Translator) -> list[str]:
    if p_old is None:
        return [f"{p.meta.name}: {t('whatif.policy_added')}"]
    out = [
        f"{p.meta.name} · {interp_label(name, None, t)} = {interp_label(name, value, t)}"
        for name, value in p.interpretations.items()
        if p_old.interpretations.get(name) != value
    ]
    olds = {c.id: c for c in p_old.clauses}
    for c in p.clauses:
        if c.id not in olds:
            out.append(f"{p.meta.name} {c.ref.text()}: {t('whatif.clause_added')}")
        elif olds[c.id] != c:
            out.extend(_clause_changes(p.meta.name, olds[c.id], c, t))
    news = {c.id for c in p.clauses}
    out.extend(
        f"{p.meta.name} {c.ref.text()}: {t('whatif.clause_removed')}"
        for c in p_old.clauses
        if c.id not in news
    )
    said = p_old.model_copy(update={"interpretations": p.interpretations, "clauses": p.clauses}) == p
    if not said:  # the metadata or the parameters' dated values (a replaced policy file)
        out.append(f"{p.meta.name}: {t('whatif.policy_edited')}")
    return out


def scenario_changes(
    base: pol.Library, edited: pol.Library, parameters: Mapping[str, str], t: Translator = zh
) -> list[str]:
    """Every change of the scenario in words, in the library's order: the parameter overrides
    (``label = value``), then per family its budget pool and other edits, then per policy its
    readings, clause thresholds and other edits; an unchanged scenario gives ``[]``."""
    out = [f"{param_label(base, k, t)} = {v}" for k, v in parameters.items()]
    for fid, fam in edited.families.items():
        old = base.families.get(fid)
        if old == fam:
            continue
        if old is None:
            out.append(f"{fam.meta.name}: {t('whatif.policy_added')}")
            continue
        if old.budget != fam.budget:
            out.append(pool_text(fam, t))
        if old.model_copy(update={"budget": fam.budget}) != fam:
            out.append(f"{fam.meta.name}: {t('whatif.policy_edited')}")
    for pid, p in edited.policies.items():
        if base.policies.get(pid) != p:
            out.extend(_policy_changes(base.policies.get(pid), p, t))
    return out
