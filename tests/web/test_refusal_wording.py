"""A 403 of the domain reads as the domain words it, in either language: the role by its name
(园区专员, a park officer) and the park by its name (石佛), Chinese first and English in
parentheses; no role code or park code in the sentence, and no English role label inside the
Chinese part. The codes are in the envelope's ``detail``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.web.test_pipeline import papp, pc  # noqa: F401  (fixtures)
from tests.web.test_pipeline_forms import _edit, _new, _token
from zonebrain.appstore import Role
from zonebrain.web import _errors

Clients = dict[str, TestClient]
LOCALES = Path(_errors.__file__).parent / "locales"
CODES = re.compile(r"\b(?:" + "|".join(r.value for r in Role) + r"|shifo|wutong)\b")
SENTENCE = "园区专员无权修改园区 石佛 的项目 (a park officer may not change projects of park 石佛)"


@contextmanager
def reading(c: TestClient, locale: str) -> Iterator[TestClient]:
    """*c* with the language cookie set to *locale* (removed afterwards)."""
    c.cookies.set("zb_lang", locale)
    try:
        yield c
    finally:
        c.cookies.delete("zb_lang")


def _mixed(message: str) -> bool:
    """Whether an English role label sits in the Chinese part (before the English parenthesis)."""
    chinese = message.split(" (", 1)[0]
    labels = yaml.safe_load((LOCALES / "en.yaml").read_text(encoding="utf-8"))["role"].values()
    return any(label in chinese for label in labels) or "角色" in chinese


def test_the_domain_names_roles_as_the_catalogues_do() -> None:
    zh = yaml.safe_load((LOCALES / "zh-CN.yaml").read_text(encoding="utf-8"))["role"]
    en = yaml.safe_load((LOCALES / "en.yaml").read_text(encoding="utf-8"))["role"]
    for role in Role:
        assert role.label == zh[role.value] and role.label_en == en[role.value].lower()


def test_the_web_no_longer_rewrites_refusals() -> None:
    assert not any(hasattr(_errors, n) for n in ("readable_refusal", "_ROLE_CODE", "_WORD"))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_park_officer_on_another_parks_project_api(pc: Clients, locale: str) -> None:  # noqa: F811
    pid = _new(pc["investor"], f"拒绝措辞测试{locale}公司", "shifo")
    with reading(pc["parkofficer"], locale) as po:
        r = po.post(f"/api/v1/pipeline/projects/{pid}/stage", json={"to": "接洽", "expected_version": 1})
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "forbidden" and error["message"] == SENTENCE
    assert not CODES.search(error["message"]) and not _mixed(error["message"])
    assert error["detail"] == {"role": "park_officer", "park_id": "shifo"}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_park_officer_on_another_parks_project_page(pc: Clients, locale: str) -> None:  # noqa: F811
    pid = _new(pc["investor"], f"拒绝页面测试{locale}公司", "shifo")
    token, version = _token(pc["parkofficer"], pid)
    with reading(pc["parkofficer"], locale) as po:
        r = _edit(po, pid, token, version, promised_jobs="5")
    assert r.status_code == 403  # type: ignore[attr-defined]
    text = html.unescape(r.text)  # type: ignore[attr-defined]
    assert SENTENCE in text
    assert "角色" not in text and "Park officer 无权" not in text and "park_officer" not in text


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_other_refusals_name_the_role(pc: Clients, locale: str) -> None:  # noqa: F811
    pid = _new(pc["investor"], f"领导拒绝测试{locale}公司", "wutong")
    with reading(pc["leader"], locale) as leader:
        r = leader.patch(f"/api/v1/pipeline/projects/{pid}", json={"expected_version": 1, "notes": "x"})
    assert r.status_code == 403 and r.json()["error"]["message"] == (
        "领导无权修改项目 (a leader may not change projects)"
    )
    assert r.json()["error"]["detail"] == {"role": "leader"}
    with reading(pc["investor"], locale) as investor:
        r = investor.get("/api/v1/pipeline/delivery")
    message = r.json()["error"]["message"]
    assert r.status_code == 403 and message.startswith(
        "招商专员无权查看企业实际产值与税收 (an investment officer"
    )
    assert not CODES.search(message) and not _mixed(message)
