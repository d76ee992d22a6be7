"""The portrait's sample zone plus expansion signals and a zone firm that also sits in the reference registry."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tests.portrait._data import LOADED, load_sample, sample_tables, uscc
from zonebrain.storage import Warehouse

AS_OF = dt.date(2025, 1, 1)


def reference_usccs(tables: dict[str, pa.Table], industry: str, prefecture: str) -> list[str]:
    ref = tables["reference_enterprises"].to_pylist()
    return sorted(
        r["uscc"] for r in ref if r["industry_code"] == industry and r["prefecture_code"] == prefecture
    )


def load_targeting_sample(wh: Warehouse) -> dict[str, str]:
    """Load the sample and return named USCCs the tests look at.

    ``fresh`` and ``stale`` are two otherwise identical 3976 firms in 410300: fresh has a 新建厂房 signal
    30 days before AS_OF, stale one 700 days before; ``future`` (a third firm) has one after AS_OF only.
    ``inside`` is a zone firm (uscc 5, class 6513) that the reference registry also lists.
    """
    load_sample(wh)
    tables = sample_tables()
    fresh, stale = reference_usccs(tables, "3976", "410300")
    future = reference_usccs(tables, "6513", "410100")[0]
    signals = [
        (fresh, "新建厂房", AS_OF - dt.timedelta(days=30), "新建厂房约8000平方米"),
        (stale, "新建厂房", AS_OF - dt.timedelta(days=700), "新建厂房约8000平方米"),
        (stale, "中标", AS_OF - dt.timedelta(days=400), "中标道路改造工程"),
        (future, "融资", AS_OF + dt.timedelta(days=10), "完成A轮融资"),
    ]
    sig = pa.table(
        {
            "uscc": [s[0] for s in signals],
            "kind": [s[1] for s in signals],
            "date": pa.array([s[2] for s in signals], pa.date32()),
            "detail": [s[3] for s in signals],
            "source": ["test"] * len(signals),
            "batch_id": ["b1"] * len(signals),
            "loaded_at": pa.array([LOADED] * len(signals), pa.timestamp("us")),
        }
    )
    ref = tables["reference_enterprises"]
    inside = ref.slice(0, 1).to_pylist()[0]
    inside.update(uscc=uscc(5), name="园区内企业", industry_code="6513", prefecture_code="410100")
    ref = pa.concat_tables([ref, pa.Table.from_pylist([inside], schema=ref.schema)])
    with wh.transaction():
        wh.replace("reference_signals", sig)
        wh.replace("reference_enterprises", ref)
    return {"fresh": fresh, "stale": stale, "future": future, "inside": uscc(5)}
