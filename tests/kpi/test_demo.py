"""On the demo zone (2,000 enterprises): contributions add up for every park, the forecast beats
its naive baseline in the 2024 backtest, and the Word report is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zonebrain.demo import generate_zone
from zonebrain.kpi import ZONE_ID, backtest, contributions, data_quality, monitor
from zonebrain.registry import import_file, load_zone
from zonebrain.storage import Warehouse, open_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("kpi-demo")
    files = generate_zone(folder / "in", seed=42, n_enterprises=2_000)
    wh = open_warehouse(folder / "wh.duckdb")
    zone = load_zone()
    for kind, path in (
        ("enterprises", files.enterprises),
        ("finance", files.finance),
        ("monthly", files.monthly),
        ("tags", files.tags),
        ("events", files.events),
    ):
        import_file(wh, kind, path, zone=zone)
    yield wh
    wh.close()


def test_contributions_add_up_on_the_demo(demo: Warehouse) -> None:
    mon = {(r["park_id"], r["indicator"]): r for r in monitor(demo, 2024, 6).to_pylist()}
    for park in ("wutong", "shifo", "fengyang", "shuangqiao", "gouzhao"):
        for ind in ("revenue", "industrial_value_added", "hitech_enterprises", "new_registrations"):
            r = mon[(park, ind)]
            t = contributions(demo, park, ind, 2024, 6, top=10)
            assert sum(t["change"].to_pylist()) == r["ytd"] - r["ytd_prev"], (park, ind)
    assert mon[(ZONE_ID, "revenue")]["ytd"] > 0


def test_backtest_beats_the_naive_baseline(demo: Warehouse) -> None:
    t = backtest(demo, 2024)
    overall = next(r for r in t.to_pylist() if r["indicator"] == "_all")
    assert overall["cases"] > 100
    assert overall["mape_model"] < overall["mape_naive"]
    per = {r["indicator"]: r for r in t.to_pylist() if r["month"] == 0}
    assert {"revenue", "tax", "industrial_output", "new_registrations"} <= set(per)
    assert per["revenue"]["mape_model"] < 0.05


def test_demo_data_quality_runs(demo: Warehouse) -> None:
    t = data_quality(demo, 2024, 6)
    assert set(t["issue"].to_pylist()) <= {"not_reported", "missing_month", "unit_jump"}


def test_demo_report(demo: Warehouse, tmp_path: Path) -> None:
    from zonebrain.kpi import build_report

    out = build_report(demo, 2024, 6, tmp_path / "r.docx")
    assert out.stat().st_size > 20_000
