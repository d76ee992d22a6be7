"""对标: the zone next to peer regions of the reference registry."""

from __future__ import annotations

import pytest

from zonebrain.core.errors import InputError
from zonebrain.portrait import INDICATORS, benchmark
from zonebrain.storage import Warehouse


def test_indicators_of_zone_and_peers(sample: Warehouse) -> None:
    b = benchmark(sample, ["410100", "410300", "410000"], zone_name="测试区")
    rows = {r["region_code"]: r for r in b.table.to_pylist()}
    assert list(rows) == ["zone", "410100", "410300", "410000"]
    zone = rows["zone"]
    assert zone["region_name"] == "测试区"
    assert zone["firms"] == 11
    # chain firms counted by the chains' GB/T classes on both sides: zone 3983 ×4, 6513 ×2, 3099 ×1
    assert zone["chain_firms"] == 7
    assert zone["high_tech_share"] == pytest.approx(2 / 11)
    zz = rows["410100"]
    assert (zz["region_name"], zz["firms"], zz["chain_firms"]) == ("郑州市", 20, 7)
    assert zz["revenue_per_firm"] == pytest.approx(
        (2 * 10_000_000 + 4 * 5_000_000 + 50_000_000 + 13 * 1_000_000) / 20
    )
    assert zz["high_tech_share"] == pytest.approx(3 / 20)
    assert zz["specialised_share"] == pytest.approx(1 / 20)
    assert zz["new_firm_share"] == pytest.approx(15 / 20)  # registered 2020–2024
    henan = rows["410000"]
    assert henan["firms"] == 30
    assert rows["410300"]["revenue_per_firm"] == pytest.approx((3 * 20_000_000 + 2 * 8_000_000) / 5)
    assert set(INDICATORS) <= set(b.table.column_names)


def test_radar_scales_each_indicator_to_100(sample: Warehouse) -> None:
    b = benchmark(sample, ["410100", "410300"])
    for k in INDICATORS:
        if k == "firms":
            continue
        values = b.radar[k].to_pylist()
        assert max(values) == pytest.approx(100.0)
        assert min(values) >= 0.0


def test_bad_peer_code(sample: Warehouse) -> None:
    with pytest.raises(InputError, match="6-digit"):
        benchmark(sample, ["4101"])
