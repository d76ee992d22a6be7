"""The KPI queries on every engine, compared with the DuckDB reference (exact ints, 1e-9 floats).

Few tests on purpose (a Spark warehouse is slow to fill): one for every read query over the tiny
zone of tests/kpi/_data.py, one for the writes (target import and an edit with history).
"""

from __future__ import annotations

from pathlib import Path

from tests.conformance._compare import assert_same_table
from tests.kpi._data import build
from tests.registry.conftest import write_csv
from zonebrain.kpi import (
    contributions,
    data_quality,
    forecast,
    import_targets,
    monitor,
    set_target,
    target_history,
    trend,
    warnings,
)
from zonebrain.storage import Warehouse


def test_kpi_queries_agree(wh: Warehouse, reference: Warehouse) -> None:
    build(wh)
    build(reference)
    for month in (2, 6):
        assert_same_table(monitor(wh, 2024, month), monitor(reference, 2024, month))
    assert_same_table(
        monitor(wh, 2024, 6, basis="working_days", indicators=["revenue"]),
        monitor(reference, 2024, 6, basis="working_days", indicators=["revenue"]),
    )
    assert_same_table(monitor(wh, 2024, 12), monitor(reference, 2024, 12))
    assert_same_table(
        monitor(wh, 2024, 6, exclude_suspect=True, indicators=["revenue", "tax"]),
        monitor(reference, 2024, 6, exclude_suspect=True, indicators=["revenue", "tax"]),
    )
    assert_same_table(warnings(wh, 2024, 6), warnings(reference, 2024, 6))
    assert_same_table(trend(wh, "tax", 2024, last_month=6), trend(reference, "tax", 2024, last_month=6))
    for park, ind in (
        ("wutong", "revenue"),
        ("shifo", "hitech_enterprises"),
        ("wutong", "new_registrations"),
    ):
        assert_same_table(contributions(wh, park, ind, 2024, 6), contributions(reference, park, ind, 2024, 6))
    assert_same_table(
        contributions(wh, "wutong", "rd_expense", 2024, 12),
        contributions(reference, "wutong", "rd_expense", 2024, 12),
    )
    assert_same_table(forecast(wh, 2024, 6), forecast(reference, 2024, 6))
    got = data_quality(wh, 2024, 6)
    assert got.num_rows == 5
    assert_same_table(got, data_quality(reference, 2024, 6))


def test_kpi_writes_agree(wh: Warehouse, reference: Warehouse, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [["梧桐", "2025", "1234.56", "35"], ["石佛", "2025", "800", "12"]],
        header=["园区", "年度", "营业收入(万元)", "高新技术企业数(家)"],
    )
    for w in (wh, reference):
        build(w)
        assert import_targets(w, path).inserted == 4
        assert set_target(w, "wutong", "revenue", 2025, 2_000_000_000, "张三", "调整") == 1_234_560_000
    volatile = ("loaded_at", "batch_id")

    def targets(w: Warehouse):  # type: ignore[no-untyped-def]
        return w.to_arrow(w.table("kpi_targets").order_by(["park_id", "indicator", "year"]))

    assert_same_table(targets(wh), targets(reference), ignore=volatile)
    history = target_history(wh)
    assert history["kind"].to_pylist() == ["kpi_targets", "kpi_target_edit"]
    assert_same_table(history, target_history(reference), ignore=("at",))
    assert_same_table(
        monitor(wh, 2025, 1, indicators=["revenue"]), monitor(reference, 2025, 1, indicators=["revenue"])
    )
