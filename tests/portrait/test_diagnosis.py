"""Diagnosis (诊断) of chain nodes on the sample zone: LQ, density, strength classes, 链主 and gaps."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from pydantic import ValidationError

from tests.portrait._data import uscc
from zonebrain.core.errors import InputError
from zonebrain.portrait import StrengthRules, diagnose
from zonebrain.storage import Warehouse

FORCE = ("intelligent-sensors", "force-pressure-sensors")


def _nodes(d: object) -> dict[tuple[str, str], dict[str, object]]:
    return {(r["chain_id"], r["node_id"]): r for r in d.nodes.to_pylist()}  # type: ignore[attr-defined]


def test_location_quotient_against_the_city(sample: Warehouse) -> None:
    d = diagnose(sample)
    assert d.reference == "city 410100 郑州市"
    assert d.reference_year == 2024
    node = _nodes(d)[FORCE]
    # zone: 3 active firms on the node of 11 active firms; 郑州: 2 firms in class 3983 of 20 firms
    assert (node["firms"], node["zone_value"], node["reference_value"]) == (3, 3, 2)
    assert node["lq"] == pytest.approx((3 / 11) / (2 / 20))
    assert node["strength"] == "强"
    assert node["revenue_fen"] == 200_000_000 + 80_000_000 + 4_500_000_000
    assert node["chain_share"] == pytest.approx(4_780_000_000 / 4_787_000_000)


def test_reference_levels_and_measures(sample: Warehouse) -> None:
    province = _nodes(diagnose(sample, reference="province"))[FORCE]
    # 河南: 郑州 2 + 洛阳 3 firms in 3983, of 30
    assert province["reference_value"] == 5
    assert province["lq"] == pytest.approx((3 / 11) / (5 / 30))
    nation = diagnose(sample, reference="nation")
    assert nation.reference.startswith("nation")
    revenue = _nodes(diagnose(sample, measure="revenue_fen"))[FORCE]
    assert revenue["zone_value"] == 4_780_000_000
    assert revenue["reference_value"] == 2 * 10_000_000
    with pytest.raises(InputError):
        diagnose(sample, reference="planet")  # type: ignore[arg-type]


def test_strength_classes_follow_the_rules(sample: Warehouse) -> None:
    d = diagnose(sample)
    nodes = _nodes(d)
    for r in nodes.values():
        lq, firms = r["lq"], r["firms"]
        if r["strength"] == "强":
            assert firms >= 3 and lq is not None and lq >= 1.2  # type: ignore[operator]
        elif r["strength"] == "弱":
            assert firms >= 1
        else:
            assert firms == 0
    assert min(r["density"] for r in nodes.values()) >= 0.0  # type: ignore[type-var]
    assert max(r["density"] for r in nodes.values()) <= 1.0  # type: ignore[type-var]
    absent = [r for r in nodes.values() if r["firms"] == 0]
    assert {r["strength"] for r in absent} <= {"缺", "延"}
    assert any(r["strength"] == "延" for r in absent)
    # stricter rules: nothing is strong any more; a lower LQ bar makes more nodes strong
    strict = diagnose(sample, rules=StrengthRules(strong_lq=5.0))
    assert "强" not in strict.nodes["strength"].to_pylist()
    lax = diagnose(sample, rules=StrengthRules(strong_lq=0.5, strong_min_firms=1))
    assert lax.nodes["strength"].to_pylist().count("强") > d.nodes["strength"].to_pylist().count("强")
    with pytest.raises(ValidationError):
        StrengthRules(strong_lq=0)
    with pytest.raises(ValidationError):
        StrengthRules(unknown=1)  # type: ignore[call-arg]


def test_leaders_ranked_by_revenue_and_flagged(sample: Warehouse) -> None:
    d = diagnose(sample)
    force = d.leaders.filter(pc.equal(d.leaders["node_id"], FORCE[1])).to_pylist()
    assert [r["uscc"] for r in force] == [uscc(3), uscc(1), uscc(2)]
    assert [r["rank"] for r in force] == [1, 2, 3]
    assert [r["is_chain_leader"] for r in force] == [False, True, False]
    one = diagnose(sample, rules=StrengthRules(leaders=1))
    assert one.leaders.filter(pc.equal(one.leaders["node_id"], FORCE[1])).num_rows == 1


def test_gaps_list_edges_with_a_present_end(sample: Warehouse) -> None:
    d = diagnose(sample)
    strength = {(r["chain_id"], r["node_id"]): r["strength"] for r in d.nodes.to_pylist()}
    gaps = d.gaps.to_pylist()
    assert gaps
    for g in gaps:
        a, b = strength[(g["chain_id"], g["from_node"])], strength[(g["chain_id"], g["to_node"])]
        assert (a, b) == (g["from_strength"], g["to_strength"])
        assert {a, b} & {"强", "弱"}
        assert {a, b} & {"弱", "缺", "延"}
    supplier = [g for g in gaps if g["to_node"] == FORCE[1]]
    assert supplier and all(g["from_strength"] != "强" for g in supplier)


def test_park_diagnosis(sample: Warehouse) -> None:
    beta = _nodes(diagnose(sample, park="beta"))
    assert beta[FORCE]["firms"] == 1  # only firm 3 is in 乙园
    assert beta[("cybersecurity", "security-software")]["firms"] == 2


def test_empty_warehouse_and_fallback_panel(sample: Warehouse) -> None:
    from zonebrain.portrait import benchmark
    from zonebrain.storage import open_warehouse

    with open_warehouse(":memory:") as wh:
        wh.migrate()
        d = diagnose(wh)
        assert set(d.nodes["strength"].to_pylist()) == {"缺"}
        assert d.nodes["lq"].null_count == d.nodes.num_rows
        assert d.leaders.num_rows == d.gaps.num_rows == 0
        assert benchmark(wh, ["410100"]).table["firms"].to_pylist() == [0, 0]
    # without the region × class panel, the reference registry is aggregated the same way
    with sample.transaction():
        sample.replace("region_activity", sample.to_arrow(sample.table("region_activity")).slice(0, 0))
    d = diagnose(sample)
    assert d.reference_year is None
    assert _nodes(d)[FORCE]["lq"] == pytest.approx((3 / 11) / (2 / 20))


def test_an_lq_the_reference_cannot_carry_is_flagged(sample: Warehouse) -> None:
    """郑州 has 2 firms in 3983 where the zone (inside 郑州) has 3: the reference misses the zone's
    firms, so the LQ is flagged and the warnings name the node; 河南 has 5, fewer than the minimum."""
    d = diagnose(sample)
    node = _nodes(d)[FORCE]
    assert node["lq_note"] == "参照值小于本区"
    flagged = [r for r in _nodes(d).values() if r["lq_note"] == "参照值小于本区"]
    assert all(r["zone_value"] > r["reference_value"] > 0 for r in flagged)  # type: ignore[operator]
    assert any(w.startswith(f"{len(flagged)} 个节点的区位熵不可靠 (参照值小于本区)") for w in d.warnings)
    province = _nodes(diagnose(sample, reference="province"))[FORCE]
    assert province["lq_note"] == "参照样本少"  # 5 reference firms < 10
    assert (
        _nodes(diagnose(sample, reference="province", rules=StrengthRules(min_reference_firms=5)))[FORCE][
            "lq_note"
        ]
        is None
    )
    nodes_without_lq = [r for r in _nodes(d).values() if r["lq"] is None]
    assert nodes_without_lq and all(r["lq_note"] is None for r in nodes_without_lq)


def test_a_reference_smaller_than_the_zone_is_said_first(sample: Warehouse) -> None:
    """The zone's 11 firms against 郑州's 20 is fine; with 郑州 cut to its 3983 firms (2) the
    reference is smaller than the zone it contains, and the first warning says so with both totals."""
    assert not any("合计值" in w for w in diagnose(sample).warnings)
    panel = sample.to_arrow(sample.table("region_activity"))
    keep = pc.or_(pc.not_equal(panel["region_code"], "410100"), pc.equal(panel["activity_code"], "3983"))
    with sample.transaction():
        sample.replace("region_activity", panel.filter(keep))
    first = diagnose(sample).warnings[0]
    assert first.startswith("参照地区 郑州市 (410100) 的合计值 (2 家) 小于本区 (11 家)")
    assert "the reference 郑州市 (410100) totals 2 firms, less than the zone's 11 firms" in first
