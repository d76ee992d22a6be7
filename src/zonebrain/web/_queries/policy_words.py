"""The English wording of a policy trace on English pages (the policy layer's own is Chinese,
:data:`~zonebrain.policy._explain.ZH`), and the amount rule in the reader's language: display
only, the stored trace keeps its codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from zonebrain import policy as pol
from zonebrain.core.money import display_fen
from zonebrain.policy._explain import Words
from zonebrain.policy._format import HISTORY_FACTS
from zonebrain.web._i18n import one_language, term, translate
from zonebrain.web._queries._common import field_name


def _field_en(fact: str, year: int | str | None) -> str:
    """A fact read for a year in English: ``Revenue (2024)``; ``+0`` / ``-1`` (no period): this
    year's / a year before's."""
    if isinstance(year, str) and year[:1] in "+-":
        name = field_name("en", fact)
        return name if int(year) == 0 else f"{name} ({-int(year)} year(s) before)"
    if fact in HISTORY_FACTS and year is not None:
        return f"highest revenue of the years before {year}"
    return field_name("en", fact if year is None else f"{fact}[{year}]")


def _when_en(kind: str, offset: int, within: Mapping[str, int] | None) -> str:
    if kind == "period":
        return (
            "in the period"
            if offset == 0
            else "in the year before"
            if offset == 1
            else f"{offset} years before"
        )
    unit, n = next(iter((within or {}).items()))
    span = f"within {n} {'year(s)' if unit == 'years' else 'day(s)'}"
    return span if offset == 0 else f"{span}, {offset} year(s) before"


def _amount_en(fen: int) -> str:
    return f"{display_fen(fen, '元')} yuan"


EN_WORDS: Final = Words(
    field=_field_en,
    ops={">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠", "in": "is one of", "not in": "is not one of",
         "startswith": "starts with", "reported": "is reported"},
    starts="starts with “{v}”",
    list_sep=", ",
    param=" (parameter {p})",
    tag_on="holds the tag “{tag}” on {day}",
    event_in="an event “{kind}” from {start} to {end}{without}",
    without=", details without “{v}”",
    term=lambda value: term("en", value),
    money=_amount_en,
    amount=_amount_en,
    reported="is reported",
    label_reported="{subject} is reported",
    label_param="{subject} {op} parameter {p}",
    tag_label="holds the tag “{tag}”",
    event_label="an event “{kind}” {when}{without}",
    label_without=" (details without “{v}”)",
    when=_when_en,
    growth="{subject}: growth over {base} {op} {rate}{param}",
    label_half=1,
)  # fmt: skip
"""The English wording of a trace on English pages (the policy layer's is Chinese, :data:`ZH`)."""


_FIELD_CODE = re.compile(r"\b([a-z][a-z_]*)\[(\d{4})\]")


def _field_code_en(m: re.Match[str]) -> str:
    key = f"policy_check.fact.{m.group(1)}"
    label = translate("en", key)
    if label == key:
        return m.group(0)
    if label[1:2].islower():  # Revenue → revenue; R&D expense stays
        label = label[0].lower() + label[1:]
    return f"{label} {m.group(2)}"


def rule_text(rule: str, locale: str = "zh-CN") -> str:
    """The amount rule as the trace records it (``中文 / English``), Chinese first, the English half
    with its field codes named: ``single tiers on revenue_fen[2023]`` → ``single tiers on revenue
    2023``; on English pages (*locale* ``en``) the English half alone."""
    zh, sep, en = rule.partition(" / ")
    if not sep:
        return rule
    named = _FIELD_CODE.sub(_field_code_en, en)
    return named if locale == "en" else f"{zh} / {named}"


def unmet(lib: pol.Library, trace: str | None, locale: str) -> str:
    """Why a result is 不符合, for the firm reading its self-check: the labels (in its language) of
    the conditions that speak against it, in the part that failed (the subject and exclusions, or
    the clause's own), joined with ``；`` / ``; ``; empty when the trace does not say (QA: an
    ineligible row gave no reason and no link to one)."""
    if not trace:
        return ""
    ex = pol.explain(lib, trace)
    failed = {
        "subject": ex.subject_and_exclusions is False,
        "exclusion": ex.subject_and_exclusions is False,
        "clause": ex.clause_conditions is False,
    }
    said = [
        one_language(locale, c.label) or c.test_text or c.test
        for c in ex.conditions
        if c.favourable is False and c.part is not None and failed[c.part]
    ]
    return ("; " if locale == "en" else "；").join(dict.fromkeys(x for x in said if x))
