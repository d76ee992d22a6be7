from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from zonebrain.core.errors import ConfigError, StorageError
from zonebrain.storage import SCHEMA_VERSION, TABLES, Warehouse, open_warehouse

T0 = dt.datetime(2024, 1, 1, 9, 0)
T1 = dt.datetime(2024, 2, 1, 9, 0)


def firms(**cols: list[object]) -> pa.Table:
    base: dict[str, list[object]] = {
        "uscc": ["A", "B"],
        "name": ["甲", "乙"],
        "industry_code": ["6513", "3983"],
    }
    base.update(cols)
    return pa.table(base)


def rows(wh: Warehouse, table: str = "enterprises") -> dict[str, dict[str, object]]:
    return {r["uscc"]: r for r in wh.to_arrow(wh.table(table)).to_pylist()}


def test_migrate_creates_every_table_once(tmp_path: Path) -> None:
    wh = open_warehouse(tmp_path / "w.duckdb")
    assert wh.schema_version() == 0
    assert wh.migrate() == [1]
    assert wh.migrate() == []
    assert wh.schema_version() == SCHEMA_VERSION
    for name in TABLES:
        assert wh.count(name) >= 0
    wh.close()
    again = open_warehouse(tmp_path / "w.duckdb")
    assert again.schema_version() == SCHEMA_VERSION
    again.close()


def test_refuses_a_newer_schema(wh: Warehouse) -> None:
    wh.replace("meta", pa.table({"key": ["schema_version"], "value": [str(SCHEMA_VERSION + 1)]}))
    with pytest.raises(ConfigError, match="升级"):
        wh.migrate()


def test_merge_insert_then_same_data_changes_nothing(wh: Warehouse) -> None:
    r = wh.merge("enterprises", firms(), source="市场监管", batch_id="b1", loaded_at=T0)
    assert (r.inserted, r.updated, r.unchanged, r.conflicts) == (2, 0, 0, 0)
    before = wh.checksum("enterprises")
    r = wh.merge("enterprises", firms(), source="市场监管", batch_id="b2", loaded_at=T1)
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 2)
    assert wh.checksum("enterprises") == before
    assert rows(wh)["A"]["batch_id"] == "b1"


def test_same_source_updates_other_source_conflicts(wh: Warehouse) -> None:
    wh.merge("enterprises", firms(), source="市场监管", batch_id="b1", loaded_at=T0)
    r = wh.merge(
        "enterprises", firms(industry_code=["6513", "3984"]), source="市场监管", batch_id="b2", loaded_at=T1
    )
    assert (r.updated, r.conflicts) == (1, 0)
    assert rows(wh)["B"]["industry_code"] == "3984"
    assert rows(wh)["B"]["batch_id"] == "b2"
    r = wh.merge(
        "enterprises", firms(industry_code=["6520", "3984"]), source="税务", batch_id="b3", loaded_at=T1
    )
    assert (r.updated, r.conflicts) == (0, 1)
    assert rows(wh)["A"]["industry_code"] == "6513"  # not overwritten
    conflicts = wh.to_arrow(wh.table("import_conflicts")).to_pylist()
    assert conflicts == [
        {
            "batch_id": "b3",
            "table_name": "enterprises",
            "row_key": "A",
            "field": "industry_code",
            "kept_value": "6513",
            "kept_source": "市场监管",
            "offered_value": "6520",
            "offered_source": "税务",
        }
    ]


def test_other_source_fills_empty_fields_and_empty_offer_keeps_value(wh: Warehouse) -> None:
    wh.merge(
        "enterprises", firms(address=["高新区A路1号", None]), source="市场监管", batch_id="b1", loaded_at=T0
    )
    r = wh.merge(
        "enterprises", firms(address=[None, "高新区B路2号"]), source="税务", batch_id="b2", loaded_at=T1
    )
    assert (r.updated, r.conflicts) == (1, 0)
    got = rows(wh)
    assert got["A"]["address"] == "高新区A路1号"
    assert got["B"]["address"] == "高新区B路2号"


def test_transaction_rolls_back_everything(wh: Warehouse) -> None:
    with pytest.raises(RuntimeError), wh.transaction():
        wh.merge("enterprises", firms(), source="s", batch_id="b1", loaded_at=T0)
        assert wh.count("enterprises") == 2
        raise RuntimeError("boom")
    assert wh.count("enterprises") == 0


def test_engine_errors_name_engine_table_and_statement(wh: Warehouse) -> None:
    bad = pa.table({"uscc": ["A"], "year": ["not a year"]})
    with pytest.raises(StorageError) as info:
        wh.merge("enterprise_years", bad, source="s", batch_id="b", loaded_at=T0)
    msg = str(info.value)
    assert "[duckdb]" in msg and "enterprise_years" in msg and "CAST" in msg
    assert info.value.original is not None
    assert info.value.__cause__ is info.value.original


def test_unknown_table_is_a_config_error(wh: Warehouse) -> None:
    with pytest.raises(ConfigError, match="firms"):
        wh.table("firms")


def test_unsupported_url() -> None:
    with pytest.raises(ConfigError, match="unsupported"):
        open_warehouse("mysql://x")
