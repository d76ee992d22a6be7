"""The cockpit's chain strength heat map: each chain × park cell coloured by the diagnosis' strength
class (the strongest of the chain's nodes in that park) and still showing the park's firms."""

from __future__ import annotations

from fastapi.testclient import TestClient

from zonebrain.web._queries.overview import CLASS_ORDER


def test_cells_carry_class_and_firms(clients: dict[str, TestClient]) -> None:
    heat = clients["leader"].get("/api/v1/overview").json()["heatmap"]
    assert heat["classes"] == list(CLASS_ORDER) == ["strong", "weak", "extension", "missing"]
    assert len(heat["cells"]) == len(heat["parks"]) * len(heat["chains"])
    for pi, ci, cls, firms, per in heat["cells"]:
        assert 0 <= pi < len(heat["parks"]) and 0 <= ci < len(heat["chains"])
        assert set(per) == set(CLASS_ORDER) and sum(per.values()) > 0  # every node of the chain is classed
        assert cls == next(i for i, k in enumerate(CLASS_ORDER) if per[k])  # the strongest class present
        assert (firms > 0) == (per["strong"] + per["weak"] > 0)  # firms on the chain ⇔ a present node
    assert heat["max"] == max(c[3] for c in heat["cells"])
    assert {c[2] for c in heat["cells"]} & {0, 1}  # the demo zone has present chains


def test_the_table_keeps_the_counts(clients: dict[str, TestClient]) -> None:
    heat = clients["leader"].get("/api/v1/overview").json()["heatmap"]
    table = clients["leader"].get("/api/v1/chains/heatmap").json()
    assert sum(v for r in table["rows"] for k, v in r.items() if k != "chain") == sum(
        c[3] for c in heat["cells"]
    )


def test_the_page_explains_the_colours(clients: dict[str, TestClient]) -> None:
    page = clients["leader"].get("/").text
    assert 'data-chart="heatmap"' in page and "强度分级" in page and '"classes"' in page
