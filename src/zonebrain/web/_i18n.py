"""Message catalogues: one YAML file per locale in ``locales/``, loaded once, looked up with ``t()``.

Keys are dotted paths into the nested YAML (``nav.overview``). zh-CN is the default and the
reference: every key must exist in every locale (a test checks it). Parameters use
``str.format`` fields: ``t("common.rows", n=3)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

LOCALES: Final = ("zh-CN", "en")
DEFAULT_LOCALE: Final = "zh-CN"
COOKIE: Final = "zb_lang"

Translator = Callable[..., str]


def _flatten(prefix: str, node: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            _flatten(path, value, out)
        else:
            out[path] = str(value)


@cache
def catalogue(locale: str) -> dict[str, str]:
    """The flat key → text mapping of *locale*."""
    if locale not in LOCALES:
        raise KeyError(f"unknown locale {locale!r}; known: {LOCALES}")
    text = (resources.files("zonebrain.web") / "locales" / f"{locale}.yaml").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    _flatten("", yaml.safe_load(text) or {}, out)
    return out


def translate(locale: str, key: str, **params: Any) -> str:
    """The text of *key* in *locale* (falling back to zh-CN, then to the key itself)."""
    text = catalogue(locale).get(key) or catalogue(DEFAULT_LOCALE).get(key) or key
    return text.format(**params) if params else text


def translator(locale: str) -> Translator:
    def t(key: str, **params: Any) -> str:
        return translate(locale, key, **params)

    setattr(t, "locale", locale)  # noqa: B010 (a function's attribute: Translator stays a callable)
    return t


def locale_of(t: Translator) -> str:
    """The locale a :func:`translator` speaks (zh-CN for any other callable)."""
    return str(getattr(t, "locale", DEFAULT_LOCALE))


def term(locale: str, value: str) -> str:
    """A data value the app knows (a registry status, event kind, tag, unit, import source: the
    ``terms`` of the catalogue) in *locale*; any other value as it is."""
    return catalogue(locale).get(f"terms.{value}", value)


def negotiate(cookie: str | None) -> str:
    """The locale of a request: the language cookie when valid, else zh-CN (Chinese first)."""
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


def one_language(locale: str, text: str | None) -> str | None:
    """A bilingual text written ``中文 / English`` (a clause's title, a condition's label in the
    policy files) in the reader's language alone; any other text as it is (QA: the Chinese pages
    showed every title and label in both languages)."""
    if not text or " / " not in text:
        return text
    zh, _, en = text.partition(" / ")
    if not re.search(r"[\u4e00-\u9fff]", zh) or not re.search(r"[A-Za-z]", en):
        return text
    return en.strip() if locale == "en" else zh.strip()


def pick(locale: str, zh: str, en: str | None) -> str:
    """A name that exists in two languages (parks, chains): the one for *locale*."""
    return en if locale == "en" and en else zh
