"""An enterprise's industry code on a self-check form (web, API, CLI --form file) or in a case
file is the 4-digit 小类 registries store: ``C3921`` is read as ``3921``, and a code that names no
class (``Z999``, a division ``39``) is refused on its field, as a registry import refuses it."""

from __future__ import annotations

import pydantic
import pytest

from zonebrain.policy import Form
from zonebrain.web._routes.policy_check_form import parse_form


def _form(industry: str) -> dict[str, object]:
    return {"period": 2024, "firm": {"enterprise": {"industry_code": industry}}}


@pytest.mark.parametrize(("written", "stored"), [("3921", "3921"), ("C3921", "3921"), ("c3921 ", "3921")])
def test_a_class_code_reaches_the_facts_as_registries_store_it(written: str, stored: str) -> None:
    assert Form.model_validate(_form(written)).firm.enterprise.industry_code == stored  # type: ignore[union-attr]
    parsed = parse_form({"period": "2024", "industry_code": written})
    assert not parsed.errors and parsed.firm["enterprise"]["industry_code"] == stored


@pytest.mark.parametrize(
    ("written", "words"), [("Z999", "不在 GB/T 4754-2017 中"), ("39", "大类"), ("A3921", "门类 C")]
)
def test_a_code_that_names_no_class_is_refused_on_its_field(written: str, words: str) -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        Form.model_validate(_form(written))
    assert words in str(exc.value)
    parsed = parse_form({"period": "2024", "industry_code": written})
    assert words in parsed.errors["industry_code"] and parsed.errors["industry_code"].startswith("行业代码")
