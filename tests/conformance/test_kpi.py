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
        change = set_target(w, "wutong", "revenue", 2025, 2_000_000_000, user="张三", reason="调整")
        assert change.old == 1_234_560_000
        assert set_target(w, "shifo", "tax", 2025, 7, user="李四", reason="新增").old is None
    volatile = ("loaded_at", "batch_id")

    def targets(w: Warehouse):  # type: ignore[no-untyped-def]
        return w.to_arrow(w.table("kpi_targets").order_by(["park_id", "indicator", "year"]))

    assert_same_table(targets(wh), targets(reference), ignore=volatile)
    history = target_history(wh)
    assert history["source"].to_pylist() == ["import"] * 4 + ["edit"] * 2
    volatile_history = ("change_id", "changed_at", "batch_id")
    assert_same_table(history, target_history(reference), ignore=volatile_history)
    for args in (("wutong", None, None), (None, "revenue", 2025), (None, None, 2024), ("shifo", "tax", 2025)):
        assert_same_table(
            target_history(wh, *args), target_history(reference, *args), ignore=volatile_history
        )
    assert target_history(wh, "wutong", "revenue", 2025)["new_value"].to_pylist() == [
        1_234_560_000,
        2_000_000_000,
    ]
    assert_same_table(
        monitor(wh, 2025, 1, indicators=["revenue"]), monitor(reference, 2025, 1, indicators=["revenue"])
    )


def test_value_added_rate_is_exact_on_every_engine(wh: Warehouse) -> None:
    """A firm-month of output near 2⁵³ fen × a 24.63 % rate: the product passes double precision,
    the derived value must still be floor(output × 2463 / 10000) exactly (kpi._series.apply_rate)."""
    import datetime as dt

    import pyarrow as pa

    from tests.kpi._data import FIRMS, LOADED, with_rate

    build(wh)
    big = 2**53 - 12_345
    row = pa.table(
        {
            "uscc": [FIRMS[0]],
            "month": pa.array([dt.date(2024, 7, 1)], pa.date32()),
            "revenue_fen": pa.array([1], pa.int64()),
            "output_fen": pa.array([big], pa.int64()),
            "tax_fen": pa.array([0], pa.int64()),
            "employees": pa.array([1], pa.int64()),
        }
    )
    wh.merge("enterprise_months", row, source="test", batch_id="big", loaded_at=LOADED)
    cat = with_rate("24.63")
    june = monitor(wh, 2024, 6, catalogue=cat, indicators=["industrial_value_added"])
    july = monitor(wh, 2024, 7, catalogue=cat, indicators=["industrial_value_added"])
    at = {r["park_id"]: r["ytd"] for r in june.to_pylist()}
    got = {r["park_id"]: r["ytd"] for r in july.to_pylist()}
    assert got["wutong"] - at["wutong"] == big * 2463 // 10_000
