"""The ‹ previous / next › links of the paged pages (results, enterprises, ledger, 待核实 queue,
batch items): their filters URL-encoded and no ``?&page=``; a page past the last shows the last
page, not an empty table under "第 9 页 / 共 3 页"."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, logged_in, private_app, run_now


@pytest.fixture(scope="module")
def users(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, TestClient]]:
    with private_app(demo, tmp_path_factory, "pager") as a, logged_in(a, ["researcher", "admin"]) as out:
        yield out


def _pager(page: str) -> tuple[tuple[int, int], list[str]]:
    """(shown page, page count) and the pager's link targets."""
    nav = re.search(r'<nav class="pager">(.*?)</nav>', page, re.S)
    assert nav, "no pager on the page"
    shown = re.search(r"第 (\d+) / (\d+) 页|Page (\d+) of (\d+)", nav.group(1))
    assert shown, nav.group(1)
    numbers = [int(x) for x in shown.groups() if x]
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', nav.group(1))]
    return (numbers[0], numbers[1]), links


def test_results_pages_link_with_encoded_filters_and_stop_at_the_last(users: dict[str, TestClient]) -> None:
    c = users["researcher"]
    run_id = run_now(c)["run_id"]
    first = c.get(f"/policy/runs/{run_id}")
    assert first.status_code == 200
    (page, pages), links = _pager(first.text)
    assert page == 1 and pages > 1 and links
    assert all("?&" not in link and "&&" not in link for link in links)
    assert parse_qs(urlsplit(links[-1]).query) == {"page": ["2"]}
    # a filter by a park's Chinese name travels encoded and comes back as the same filter
    parked = c.get(f"/policy/runs/{run_id}", params={"park": "梧桐"})
    if "pager" in parked.text:
        (_, _), links = _pager(parked.text)
        assert parse_qs(urlsplit(links[-1]).query)["park"] == ["wutong"]
    # past the end: the last page, with its rows
    past = c.get(f"/policy/runs/{run_id}", params={"page": pages + 7})
    assert past.status_code == 200
    (page, again), links = _pager(past.text)
    assert (page, again) == (pages, pages) and "<tbody>\n</tbody>" not in past.text
    assert parse_qs(urlsplit(links[0]).query) == {"page": [str(pages - 1)]}


def test_enterprise_pages_stop_at_the_last(users: dict[str, TestClient]) -> None:
    c = users["admin"]
    (page, pages), links = _pager(c.get("/enterprises").text)
    assert page == 1 and pages > 1 and links == ["/enterprises?page=2"]
    past = c.get("/enterprises", params={"page": 10_000})
    assert _pager(past.text)[0] == (pages, pages)


def test_the_pager_encodes_each_filter_and_leaves_empty_ones_out() -> None:
    from zonebrain.web._i18n import translator
    from zonebrain.web._render import _templates

    macro = _templates().env.from_string(
        '{% from "_macros.html" import pager %}{{ pager("/enterprises", params, 2, 3, t) }}'
    )
    page = macro.render(params={"q": "a&b=c 梧桐", "park": "", "chain": None}, t=translator("zh-CN"))
    (shown, links) = _pager(page)
    assert shown == (2, 3) and len(links) == 2
    for link, to in zip(links, ("1", "3"), strict=True):
        assert parse_qs(urlsplit(link).query) == {"q": ["a&b=c 梧桐"], "page": [to]}
