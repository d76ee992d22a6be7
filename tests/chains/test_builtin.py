"""The packaged chains: the zone's six industries, at least 12 nodes each, valid codes and edges."""

from __future__ import annotations

from zonebrain.chains import ChainSet, validate_chain_dir
from zonebrain.core.industry import gbt4754

EXPECTED = {
    "intelligent-sensors",
    "cybersecurity",
    "beidou-navigation",
    "computing-digital",
    "superhard-materials",
    "biomedicine",
}


def test_builtins_validate() -> None:
    assert validate_chain_dir() == []


def test_expected_chains(chains: ChainSet) -> None:
    assert set(chains.ids) >= EXPECTED


def test_each_chain_has_enough_nodes_and_valid_codes(chains: ChainSet) -> None:
    classification = gbt4754()
    for chain in chains:
        assert len(chain.nodes) >= 12, chain.id
        assert {n.stage.value for n in chain.nodes} == {"上游", "中游", "下游"}, chain.id
        ids = set(chain.node_ids)
        assert len(ids) == len(chain.nodes)
        for node in chain.nodes:
            assert node.classes, (chain.id, node.id)
            for code in node.classes:
                assert classification.get(code).level == "class", (chain.id, node.id, code)
            assert node.keywords
        for edge in chain.edges:
            assert edge.source in ids and edge.target in ids
        assert chain.source


def test_computing_chain_covers_requested_parts(chains: ChainSet) -> None:
    names = " ".join(n.name_zh for n in chains["computing-digital"].nodes)
    for part in ("芯片", "服务器", "数据中心", "云计算", "人工智能", "数据"):
        assert part in names
