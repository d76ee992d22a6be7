"""产业链图谱 coloured by the diagnosis' strength classes, from the stored memberships or the classifier."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import Demo, login, make_app

CLASSES = {"强": "strong", "弱": "weak", "延": "extension", "缺": "missing"}


def _check_graph(graph: dict[str, object], expected: dict[tuple[str, str], str]) -> None:
    nodes = graph["nodes"]
    assert isinstance(nodes, list) and nodes
    for n in nodes:
        assert "presence" not in n
        assert n["strength"] == expected[graph["id"], n["id"]], n
        assert n["strength_key"] == CLASSES[n["strength"]]
        if n["firms"] == 0:
            assert n["strength"] in ("缺", "延")
        else:
            assert n["strength"] in ("强", "弱")


def test_without_stored_memberships_the_classifier_feeds_the_diagnosis(
    clients: dict[str, TestClient], app: FastAPI
) -> None:
    """The small demo has no enterprise_chain_nodes: classes come from the on-the-fly memberships."""
    from zonebrain.web._queries import _common
    from zonebrain.web._queries import chains as q

    ctx = app.state.zonebrain
    assert not _common.memberships_stored(ctx)
    expected = q.strengths(ctx)
    assert set(expected.values()) <= set(CLASSES) and "弱" in expected.values()
    for chain in ("intelligent-sensors", "computing-digital"):
        _check_graph(clients["leader"].get(f"/api/v1/chains/{chain}").json(), expected)
    listed = clients["leader"].get("/api/v1/chains").json()
    for c in listed:
        assert c["strong"] + c["weak"] + c["extension"] + c["missing"] == c["nodes"]
    page = clients["leader"].get("/chains?chain=intelligent-sensors").text
    assert 'id="strength-legend"' in page and "延链机会" in page and '"strength_key"' in page


@pytest.fixture(scope="module")
def classified(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Demo]]:
    """An app over a copy of the demo whose memberships were stored by `chains classify-zone`."""
    from zonebrain.chains import classify_zone
    from zonebrain.storage import open_warehouse

    folder = tmp_path_factory.mktemp("classified")
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    with open_warehouse(copy.warehouse) as wh:
        classify_zone(wh)
    application = make_app(copy, folder)
    with TestClient(application):
        yield application, copy


def test_stored_memberships_give_the_diagnosis_classes(classified: tuple[FastAPI, Demo]) -> None:
    from zonebrain.portrait import diagnose
    from zonebrain.storage import open_warehouse
    from zonebrain.web._queries import _common

    application, copy = classified
    with open_warehouse(copy.warehouse, read_only=True) as wh:
        d = diagnose(wh)
        stored = wh.to_arrow(wh.table("enterprise_chain_nodes"))
    expected = {(r["chain_id"], r["node_id"]): r["strength"] for r in d.nodes.to_pylist()}
    firms = {(r["chain_id"], r["node_id"]): r["firms"] for r in d.nodes.to_pylist()}
    c = TestClient(application)
    login(c, "leader")
    ctx = application.state.zonebrain
    assert _common.memberships_stored(ctx)
    m = _common.memberships(ctx)
    assert 0 < m.num_rows <= stored.num_rows  # the stored rows of active firms
    assert set(m["reason"].to_pylist()) <= set(stored["reason"].to_pylist())
    graph = c.get("/api/v1/chains/intelligent-sensors").json()
    _check_graph(graph, expected)
    for n in graph["nodes"]:
        assert n["firms"] == firms["intelligent-sensors", n["id"]]  # the same firms as the diagnosis
    c.close()


def test_the_page_says_when_the_lqs_behind_the_colours_are_unreliable(
    clients: dict[str, TestClient], app: FastAPI
) -> None:
    """Each of the diagnosis' warnings stands under the legend of the chain page (escaped)."""
    from markupsafe import escape

    from zonebrain.web._queries import chains as q

    warnings = q.lq_warnings(app.state.zonebrain)
    page = clients["leader"].get("/chains?chain=intelligent-sensors").text
    assert page.count('class="warn small lq-warning"') == len(warnings)
    for w in warnings:
        assert str(escape(w)) in page
