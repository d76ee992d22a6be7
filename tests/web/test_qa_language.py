"""QA fixes of the languages: English pages without Chinese labels of codes (indicators, presets,
pipeline stages, import sources, the self-check's options, the header), Chinese pages without
English or raw codes (the opportunity weights, missing nodes, notes, parks, refusals)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, login, private_app

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def en(english: dict[str, TestClient]) -> dict[str, TestClient]:
    """The role clients reading English (tests.web.conftest.english)."""
    return english


def _section(page: str, marker: str, end: str = "</section>") -> str:
    assert marker in page, page[:1500]
    return page.split(marker, 1)[1].split(end, 1)[0]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_english_kpi_titles_name_the_indicator_in_english(en: dict[str, TestClient]) -> None:
    page = en["leader"].get("/kpi?indicator=revenue").text
    assert "Operating revenue · " in page and "营业收入" not in _text(_section(page, 'id="kpi-monitor"'))
    assert "Operating revenue · year-end forecast" in page
    monitor = en["leader"].get("/api/v1/kpi/monitor?indicator=revenue").json()
    assert monitor["title"].startswith("Operating revenue")


def test_english_header_names_the_app_once(en: dict[str, TestClient]) -> None:
    page = en["leader"].get("/kpi").text
    brand = _text(_section(page, 'class="brand" href="/">', "</a>"))
    # the zone (its zone file's English name), then the app, named once
    assert " ".join(brand.split()) == "Zhengzhou High-tech Industrial Development Zone ZoneBrain", brand


def test_english_opportunities_title_and_weights(en: dict[str, TestClient]) -> None:
    page = en["leader"].get("/opportunities?preset=均衡").text
    assert "Opportunity ranking (Balanced)" in page and "(均衡)" not in page
    weights = _text(_section(page, 'id="weights"'))
    assert not CJK.search(weights), weights
    assert "Relatedness density" in weights and "peer_presence" not in weights


def test_english_imports_sources(en: dict[str, TestClient]) -> None:
    page = en["admin"].get("/imports").text
    batches = _text(page.split("<table", 1)[1]) if "<table" in page else page
    for zh in ("参考库", "市场监管", "统计"):
        assert zh not in batches, zh
    assert "Reference data" in batches and "Market regulation" in batches


def test_english_policy_check_options(en: dict[str, TestClient]) -> None:
    page = en["researcher"].get("/policy/check").text
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert options and not [o for o in options if CJK.search(o)], options
    tags = _text(_section(page, 'id="form-tags"', "</div>"))
    events = _text(_section(page, 'id="form-events"', "</table>"))
    assert not CJK.search(tags) and not CJK.search(events), (tags, events)
    assert "High-tech enterprise" in tags


def test_pipeline_stages_follow_the_language(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> None:
    with private_app(demo, tmp_path_factory, "qa-stages") as app, TestClient(app) as c:
        login(c, "investor")
        r = c.post(
            "/api/v1/pipeline/projects", json={"name": "测试项目甲", "park_id": "wutong", "origin": "event"}
        )
        assert r.status_code == 201, r.text
        pid = r.json()["project"]["id"]
        assert c.get(f"/pipeline/{pid}").text.count('id="project-stage">线索<') == 1
        c.cookies.set("zb_lang", "en")
        detail = c.get(f"/pipeline/{pid}").text
        assert 'id="project-stage">Lead<' in detail
        board = c.get("/pipeline").text
        table = _text(_section(board, 'id="projects-table"'))
        assert "Lead" in table and "线索" not in table
        assert c.get("/api/v1/pipeline/projects").json()["rows"][0]["stage"] == "线索"  # JSON keeps the value


def test_chinese_opportunities_have_no_raw_keys_or_slugs(clients: dict[str, TestClient]) -> None:
    page = clients["leader"].get("/opportunities?preset=均衡").text
    weights = _text(_section(page, 'id="weights"'))
    for raw in ("density", "feasibility", "peer_presence", "attractiveness", "strategic_fit"):
        assert raw not in weights, raw
    assert "关联密度" in weights and "可行性" in weights
    table = _section(page, 'id="opportunities-table"')
    assert not re.search(r"[a-z-]+/[a-z-]+", _text(table)), "node slugs shown"
    assert "all values are 0" not in page


def test_users_page_names_the_park(clients: dict[str, TestClient]) -> None:
    page = clients["admin"].get("/admin/users").text
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert "wutong" not in cells and "梧桐" in cells, cells


def test_refusals_name_roles_and_parks(
    clients: dict[str, TestClient], demo: Demo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    r = clients["investor"].get("/api/v1/pipeline/delivery")
    assert r.status_code == 403
    message = r.json()["error"]["message"]
    assert "investment_officer" not in message and message.startswith("招商专员"), message
    with (
        private_app(demo, tmp_path_factory, "qa-refusal") as app,
        TestClient(app) as c,
        TestClient(app) as po,
    ):
        login(c, "investor")
        login(po, "parkofficer")
        pid = c.post(
            "/api/v1/pipeline/projects", json={"name": "测试项目乙", "park_id": "shifo", "origin": "event"}
        )
        r = po.post(
            f"/api/v1/pipeline/projects/{pid.json()['project']['id']}/stage",
            json={"to": "接洽", "expected_version": 1},
        )
        assert r.status_code == 403
        message = r.json()["error"]["message"]
        assert "park_officer" not in message and "shifo" not in message, message
        assert "园区专员" in message and "石佛" in message


def test_validation_message_names_the_field_in_chinese(clients: dict[str, TestClient]) -> None:
    r = clients["leader"].get("/api/v1/enterprises?page=abc")
    assert r.status_code == 422
    error = r.json()["error"]
    assert (
        error["message"].startswith("请求参数不合规")
        and "page" in error["message"]
        and "整数" in error["message"]
    )
    assert error["detail"][0]["loc"] == ["query", "page"] and error["detail"][0]["type"] == "int_parsing"
    clients["leader"].cookies.set("zb_lang", "en")
    try:
        en = clients["leader"].get("/api/v1/enterprises?page=abc").json()["error"]["message"]
    finally:
        clients["leader"].cookies.delete("zb_lang")
    assert en == "Some request parameters are invalid: page must be an integer.", en


def test_a_choice_reads_as_a_chinese_list() -> None:
    from zonebrain.web._errors import validation_message

    err = {"type": "literal_error", "loc": ("body", "status"), "msg": "Input should be …",
           "ctx": {"expected": "'requested', 'answered' or 'closed'"}}  # fmt: skip
    zh = validation_message("zh-CN", [err])
    chinese, english = zh.split(" (status must", 1)  # the English half follows the Chinese one
    assert "status" in chinese and "'answered'、'closed'" in chinese and " or " not in chinese, zh
    assert " or " in english, zh
    assert " or " in validation_message("en", [err])
