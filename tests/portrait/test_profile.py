"""The portrait (画像) on the hand-checkable sample zone of ``_data.py``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portrait._data import REVENUE
from zonebrain.chains import load_chains
from zonebrain.core.errors import InputError
from zonebrain.portrait import portrait
from zonebrain.storage import Warehouse

ACTIVE = [i for i in REVENUE if i != 11]  # firm 11 is 注销


def test_totals_are_exact_sums_of_the_active_firms(sample: Warehouse) -> None:
    p = portrait(sample)
    assert p.year == 2024
    assert p.first_year == 2022
    t = p.totals.to_pylist()[0]
    assert t["enterprises"] == 11
    assert t["revenue_fen"] == sum(REVENUE[i][2] or 0 for i in ACTIVE) == 5_851_500_000
    assert t["tax_fen"] == sum((REVENUE[i][2] or 0) // 20 for i in ACTIVE)
    assert p.totals.schema.field("revenue_fen").type == "int64"


def test_sections_shares_and_growth(sample: Warehouse) -> None:
    p = portrait(sample)
    rows = {r["section"]: r for r in p.by_section.to_pylist()}
    c = rows["C"]  # firms 1, 2, 3, 4, 7 (manufacturing)
    assert c["enterprises"] == 5
    assert c["revenue_fen"] == 200_000_000 + 80_000_000 + 4_500_000_000 + 7_000_000 + 1_000_000_000
    assert c["revenue_share"] == pytest.approx(c["revenue_fen"] / 5_851_500_000)
    # CAGR over 2022→2024 of every manufacturing firm of the zone (the closed firm 11 is section C too)
    first = 100_000_000 + 50_000_000 + 900_000_000 + 40_000_000
    assert c["revenue_cagr"] == pytest.approx((c["revenue_fen"] / first) ** 0.5 - 1)
    assert rows["L"]["revenue_cagr"] is None  # no 2022 base
    assert sum(r["revenue_share"] for r in rows.values()) == pytest.approx(1.0)
    assert [r["revenue_fen"] for r in p.by_section.to_pylist()] == sorted(
        (r["revenue_fen"] for r in rows.values()), reverse=True
    )
    divisions = {r["division"]: r for r in p.by_division.to_pylist()}
    assert divisions["39"]["enterprises"] == 4
    assert divisions["39"]["division_name"].startswith("计算机、通信")


def test_chains_count_a_firm_once_per_chain(sample: Warehouse) -> None:
    p = portrait(sample)
    chains = {r["chain_id"]: r for r in p.by_chain.to_pylist()}
    sensors = chains["intelligent-sensors"]
    assert sensors["enterprises"] == 3 + 1  # 1, 2, 3 (on two nodes) and 4; 11 is closed
    assert sensors["revenue_fen"] == 200_000_000 + 80_000_000 + 4_500_000_000 + 7_000_000
    nodes = {(r["chain_id"], r["node_id"]): r for r in p.by_node.to_pylist()}
    assert nodes[("intelligent-sensors", "force-pressure-sensors")]["enterprises"] == 3
    assert nodes[("intelligent-sensors", "sensing-materials")]["enterprises"] == 0
    assert p.by_node.num_rows == sum(len(c.nodes) for c in load_chains())  # every node of every chain


def test_growth_concentration_sizes(sample: Warehouse) -> None:
    p = portrait(sample)
    growth = {r["measure"]: r for r in p.growth.to_pylist()}
    rev = growth["revenue_fen"]
    assert (rev["first_year"], rev["last_year"]) == (2022, 2024)
    assert rev["cagr"] == pytest.approx((rev["last_value"] / rev["first_value"]) ** 0.5 - 1)
    conc = {r["measure"]: r for r in p.concentration.to_pylist()}["revenue_fen"]
    values = [REVENUE[i][2] for i in ACTIVE if REVENUE[i][2]]
    total = sum(values)
    assert conc["firms"] == len(values) == 10
    assert conc["hhi"] == pytest.approx(sum((v / total) ** 2 for v in values), rel=1e-12)
    assert conc["top10_share"] == pytest.approx(1.0)
    sizes = {r["size_class"]: r["enterprises"] for r in p.sizes.to_pylist()}
    assert sizes == {"大型": 0, "中型": 1, "小型": 1, "微型": 8, "无数据": 1}


def test_tags_flows_and_park(sample: Warehouse) -> None:
    p = portrait(sample)
    tags = {r["tag"]: r["enterprises"] for r in p.tags.to_pylist()}
    # firm 5's 高新技术企业 expired in 2023; firm 11 is closed
    assert tags == {"高新技术企业": 2, "专精特新中小企业": 1, "链主企业": 1}
    earlier = portrait(sample, as_of=dt.date(2023, 6, 30))
    assert {r["tag"]: r["enterprises"] for r in earlier.tags.to_pylist()}["高新技术企业"] == 3
    flows = {r["year"]: r for r in p.flows.to_pylist()}
    assert flows[2023] == {"year": 2023, "registered": 2, "moved_in": 1, "exits": 0, "net": 3}
    assert flows[2024]["exits"] == 1
    beta = portrait(sample, park="乙园")
    assert beta.park == "beta"
    assert beta.totals["enterprises"][0].as_py() == 6
    alpha = portrait(sample, park="alpha")
    assert alpha.totals["enterprises"][0].as_py() + 6 == 11
    with pytest.raises(InputError, match="unknown park"):
        portrait(sample, park="nowhere")


def test_empty_warehouse_gives_empty_tables() -> None:
    from zonebrain.storage import open_warehouse

    with open_warehouse(":memory:") as wh:
        wh.migrate()
        p = portrait(wh)
        assert p.year is None
        assert p.totals["enterprises"][0].as_py() == 0
        assert p.by_section.num_rows == 0
        assert all(r["cagr"] is None for r in p.growth.to_pylist())
        assert all(r["hhi"] is None for r in p.concentration.to_pylist())
