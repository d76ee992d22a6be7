"""Message catalogues: zh-CN and en hold the same keys; every key the code and templates use exists."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

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
    assert translate("en", "common.rows", n=3) == "3 rows"
    assert translate("en", "no.such.key") == "no.such.key"
