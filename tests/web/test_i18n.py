"""Message catalogues: zh-CN and en hold the same keys; every key the code and templates use exists."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path
from typing import Final

from zonebrain.appstore import Role
from zonebrain.registry import FORMATS
from zonebrain.web._i18n import LOCALES, catalogue, translate

WEB = Path(str(resources.files("zonebrain.web")))


def test_both_locales_have_the_same_keys() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_used_key_exists() -> None:
    used: set[str] = set()
    for path in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""t\(['"]([a-z_]+\.[A-Za-z_.-]+)['"]""", path.read_text(encoding="utf-8")))
    for path in WEB.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(
            re.findall(
                r'"((?:col|error|overview|portrait|chains|complexity|enterprises|enterprise|imports|'
                r'admin|nav|common|unit)\.[a-z_]+)"',
                text,
            )
        )
    used = {k for k in used if not k.endswith((".html", "_"))}  # file names; prefixes of composed keys
    used |= (
        {f"role.{r.value}" for r in Role}
        | {f"kind.{k}" for k in FORMATS}
        | {f"lang.{loc}" for loc in LOCALES}
    )
    used |= {f"imports.status_{s}" for s in ("dry_run", "imported", "already_imported")}
    from zonebrain.web._errors import _HTTP_CODES, ApiError

    codes = set(_HTTP_CODES.values()) | {
        "internal_error",
        "invalid_input",
        "warehouse_unavailable",
        "conflict",
        "csrf_failed",
        "import_rejected",
        "http_error",
    }
    codes |= {cls.code for cls in ApiError.__subclasses__()}
    used |= {f"error.{c}" for c in codes}
    missing = {k for k in used if k not in catalogue("zh-CN")}
    assert not missing, sorted(missing)


def test_parameters_and_fallback() -> None:
    assert translate("zh-CN", "common.rows", n=3) == "共 3 行"
    assert translate("en", "common.rows", n=3) == "Rows: 3"
    assert translate("en", "no.such.key") == "no.such.key"


ONE_IS_NEVER: Final = {
    "account.help": "the password's minimum length, a setting of at least 10",
    "account.too_short": "the same minimum",
    "coverage.treat_as_data": '"as" is no plural',
}
"""English entries that read "1 …s" with every parameter 1, and why that cannot be shown."""


def test_no_english_count_reads_one_plural() -> None:
    """Counts can be 1: "The form has 1 errors" and "Eligible for 1 clauses" are wrong English.
    The catalogue has no plural forms, so a count is put after its noun ("Errors in the form: 1")."""
    wrong = {}
    for key, text in catalogue("en").items():
        fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        shown = text.format(**dict.fromkeys(fields, 1)) if fields else text
        found = re.findall(r"\b1 [A-Za-z]+s\b", shown)
        if found and key not in ONE_IS_NEVER:
            wrong[key] = found
    assert not wrong, wrong
    assert (
        translate("en", "policy_check.errors", n=1)
        == "Errors in the form: 1; see the message beside each field."
    )
    one = translate("en", "policy_check.summary", eligible=1, amount="1.00", undetermined=1)
    assert "1 clauses" not in one and one.startswith("Eligible clauses: 1,")


def test_a_bilingual_title_reads_in_one_language() -> None:
    """QA: the Chinese self-check and trace pages showed every clause title and condition label in
    both languages ("营业收入首次达到1000万元 / sales first reach 10 million yuan")."""
    from zonebrain.web._i18n import one_language

    title = "营业收入首次达到1000万元 / sales first reach 10 million yuan"
    assert one_language("zh-CN", title) == "营业收入首次达到1000万元"
    assert one_language("en", title) == "sales first reach 10 million yuan"
    for other in ("只有中文", "only English", "A / B", "比例 / 比率", None, ""):
        assert one_language("zh-CN", other) == other and one_language("en", other) == other
