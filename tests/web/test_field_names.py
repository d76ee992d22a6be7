"""Every fact a policy can read has a name in both languages, and the web's Chinese name is the one
the CLI and the Excel documents give (one rule, in the policy layer)."""

from __future__ import annotations

import re

from zonebrain.policy._coverage import missing_fields_zh
from zonebrain.policy._format import ENTERPRISE_FACTS, HISTORY_FACTS, YEAR_FACTS
from zonebrain.web._queries._common import field_name, field_names

FACTS = (*ENTERPRISE_FACTS, *YEAR_FACTS, *HISTORY_FACTS)


def test_each_fact_is_named_in_both_languages_never_by_its_code() -> None:
    for fact in FACTS:
        zh, en = field_name("zh-CN", f"{fact}[2024]"), field_name("en", f"{fact}[2024]")
        assert zh.startswith("2024年") and not re.search(r"[A-Za-z_]", zh), zh
        assert en.endswith(" (2024)") and "_" not in en and not re.search(r"[\u4e00-\u9fff]", en), en
        assert field_name("zh-CN", fact) == zh.removeprefix("2024年")


def test_the_web_names_missing_data_as_the_cli_and_excel_do() -> None:
    fields = ",".join(f"{fact}[2023]" for fact in FACTS) + ",park_id"
    assert field_names("zh-CN", fields) == missing_fields_zh(fields)
    assert field_names("zh-CN", "tax_fen[2024],tax_fen[2024]") == "2024年纳税总额"  # each once
    assert field_names("en", "tax_fen[2024],revenue_fen[2024]") == "Tax paid (2024), Revenue (2024)"
    assert field_name("en", "no_such_fact") == "no_such_fact" == field_name("zh-CN", "no_such_fact")
