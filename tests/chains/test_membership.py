"""Persisted memberships: classify the zone into enterprise_chain_nodes; manual overrides survive re-runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.portrait._data import load_sample, uscc
from zonebrain.chains import Override, classify_zone, set_override, stored_overrides
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse, open_warehouse

NOW = dt.datetime(2025, 3, 1, 9, 30)


@pytest.fixture
def zone_wh() -> Iterator[Warehouse]:
    with open_warehouse(":memory:") as wh:
        wh.migrate()
        load_sample(wh, memberships=False)
        yield wh


def _labels(wh: Warehouse) -> set[tuple[str, str, str, str]]:
    rows = wh.to_arrow(wh.table("enterprise_chain_nodes")).to_pylist()
    return {(r["uscc"], r["chain_id"], r["node_id"], r["method"]) for r in rows}


def test_classify_zone_writes_memberships(zone_wh: Warehouse) -> None:
    run = classify_zone(zone_wh, run_id="run-1", now=NOW)
    assert (run.run_id, run.enterprises, run.overrides) == ("run-1", 12, 0)
    rows = zone_wh.to_arrow(zone_wh.table("enterprise_chain_nodes")).to_pylist()
    assert len(rows) == run.rows > 0
    assert {r["run_id"] for r in rows} == {"run-1"}
    assert {r["classified_at"] for r in rows} == {NOW}
    chains = {r["uscc"]: r["chain_id"] for r in rows}
    assert chains[uscc(1)] == "intelligent-sensors"
    assert chains[uscc(5)] == "cybersecurity"
    assert chains[uscc(7)] == "superhard-materials"
    assert uscc(8) not in chains  # 餐饮
    assert run.classified == len(chains)
    again = classify_zone(zone_wh, now=NOW)  # a re-run replaces, never duplicates
    assert again.rows == run.rows
    assert zone_wh.count("enterprise_chain_nodes") == run.rows


def test_overrides_survive_reruns(zone_wh: Warehouse) -> None:
    classify_zone(zone_wh)
    set_override(zone_wh, Override(uscc(8), "biomedicine", "tcm", "add", "药膳"), author="officer", now=NOW)
    set_override(zone_wh, Override(uscc(1), "intelligent-sensors", None, "remove"), now=NOW)
    assert len(stored_overrides(zone_wh)) == 2
    for _ in range(2):
        run = classify_zone(zone_wh)
        assert run.overrides == 2
        labels = _labels(zone_wh)
        assert (uscc(8), "biomedicine", "tcm", "override") in labels
        assert not any(u == uscc(1) and c == "intelligent-sensors" for u, c, _, _ in labels)
    # the same target again replaces the earlier correction instead of stacking
    set_override(zone_wh, Override(uscc(8), "biomedicine", "tcm", "remove"), now=NOW)
    assert len(stored_overrides(zone_wh)) == 2
    classify_zone(zone_wh)
    assert not any(u == uscc(8) for u, _, _, _ in _labels(zone_wh))


def test_unknown_chain_or_node_is_refused(zone_wh: Warehouse) -> None:
    with pytest.raises(InputError, match="unknown chain"):
        set_override(zone_wh, Override(uscc(1), "no-such-chain"))
    with pytest.raises((InputError, KeyError)):
        set_override(zone_wh, Override(uscc(1), "biomedicine", "no-such-node"))
    assert stored_overrides(zone_wh) == []


def test_invalid_uscc_is_refused_before_storing(zone_wh: Warehouse) -> None:
    with pytest.raises(InputError, match="123"):
        set_override(zone_wh, Override("123", "biomedicine", "tcm"))
    assert stored_overrides(zone_wh) == []


def test_classify_zone_reports_overrides_it_could_not_apply(zone_wh: Warehouse) -> None:
    set_override(zone_wh, Override(uscc(8), "biomedicine", "tcm"), now=NOW)
    set_override(zone_wh, Override(uscc(99), "biomedicine", "tcm"), now=NOW)  # valid, not in the zone
    run = classify_zone(zone_wh)
    assert run.overrides == 1
    assert [(o.uscc, why) for o, why in run.ignored] == [
        (uscc(99), "企业不在园区企业库 / firm not in the registry")
    ]
