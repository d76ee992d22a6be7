"""The 工业增加值率 is data: the catalogue's ``rate`` drives the derivation, exactly, and is stated."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from tests.kpi._data import with_rate
from zonebrain.core.errors import InputError
from zonebrain.kpi import Catalogue, Rate, load_catalogue, monitor
from zonebrain.kpi._series import apply_rate, enterprise_values
from zonebrain.storage import Warehouse


def value_added(wh: Warehouse, cat: Catalogue) -> dict[str, int]:
    t = monitor(wh, 2024, 6, catalogue=cat, indicators=["industrial_value_added"])
    return {r["park_id"]: r["ytd"] for r in t.to_pylist() if r["ytd"]}


def expected(wh: Warehouse, n: int, d: int) -> dict[str, int]:
    """Σ over enterprise-months of floor(output × n / d), computed in Python from the same rows."""
    output = load_catalogue().get("industrial_output")
    rows = wh.to_arrow(enterprise_values(wh, output, (2024, 1), (2024, 6))).to_pylist()
    out: dict[str, int] = {}
    for r in rows:
        out[r["park_id"]] = out.get(r["park_id"], 0) + r["value"] * n // d
    out["_zone"] = sum(out.values())
    return out


def test_changing_the_rate_changes_the_derived_value_exactly(kwh: Warehouse) -> None:
    builtin = value_added(kwh, load_catalogue())
    assert builtin == expected(kwh, 1, 4)  # the shipped 25 %
    assert value_added(kwh, with_rate("25")) == builtin
    assert value_added(kwh, with_rate("24.63")) == expected(kwh, 2463, 10_000)
    assert value_added(kwh, with_rate("30")) == expected(kwh, 3, 10)
    assert value_added(kwh, with_rate("24.63")) != builtin


def test_apply_rate_is_exact_beyond_double_precision_of_the_product(kwh: Warehouse) -> None:
    """value × 2463 passes 2⁵³ here; the split in apply_rate keeps the floor exact (and for negatives)."""
    values = [2**53 - 1, 2**52 + 12_345, 9_999_999_999_999, 7, -7, -(2**52) - 1, 0]
    t = ibis.memtable(pa.table({"v": pa.array(values, pa.int64())}))
    rate = Fraction(2463, 10_000)
    got = kwh.to_arrow(t.select(x=apply_rate(t.v, rate)))["x"].to_pylist()
    assert got == [v * 2463 // 10_000 for v in values]


@pytest.mark.parametrize(
    ("percent", "match"),
    [("0", "0–100"), ("101", "0–100"), ("24.625", "two decimals"), ("abc", "not a number"), (True, "number")],
)
def test_bad_rates_are_refused(percent: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Rate(percent=percent, source="x")  # type: ignore[arg-type]


def test_a_rate_in_a_catalogue_file_and_the_legacy_spelling(tmp_path: Path) -> None:
    base = (
        "indicators:\n"
        "  - {id: va, name_zh: 增加值, name_en: VA, unit: fen, display_unit: 万元, source: enterprise_months,"
        " column: output_fen, "
    )
    path = tmp_path / "a.yaml"
    path.write_text(base + "rate: {percent: 24.6, source: 2024年统计公报}}\n", encoding="utf-8")
    rate = load_catalogue(path).get("va").rate
    assert rate is not None and rate.fraction == Fraction(123, 500) and rate.source == "2024年统计公报"
    assert "24.6%" in rate.describe() and "假设值" in rate.describe()
    path.write_text(base + "rate_percent: 25}\n", encoding="utf-8")
    legacy = load_catalogue(path).get("va").rate
    assert legacy is not None and legacy.percent == 25 and "未注明" in legacy.source
    path.write_text(
        base.replace("unit: fen, display_unit: 万元", "unit: count, display_unit: 家")
        + "rate: {percent: 5, source: x}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="rate"):
        load_catalogue(path)
