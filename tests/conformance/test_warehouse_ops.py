"""The write interface and the schema, on every engine: one body per operation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
import pytest

from zonebrain.core.errors import ConfigError, StorageError
from zonebrain.storage import SCHEMA_VERSION, TABLES, Warehouse, _base, open_warehouse
from zonebrain.storage._schema import MIGRATIONS, arrow_schema

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


def test_migrate_creates_every_table_once(location: Callable[[], Warehouse]) -> None:
    wh = location()
    assert wh.schema_version() == 0
    assert wh.migrate() == [m.version for m in MIGRATIONS]
    assert wh.migrate() == []
    assert wh.schema_version() == SCHEMA_VERSION
    for name, spec in TABLES.items():
        empty = wh.to_arrow(wh.table(name))
        assert empty.schema.equals(arrow_schema(spec)), name
        assert empty.num_rows == (1 if name == "meta" else 0)
    wh.close()
    again = location()
    assert again.schema_version() == SCHEMA_VERSION
    assert again.migrate() == []
    again.close()


def test_an_old_warehouse_upgrades_in_place(
    location: Callable[[], Warehouse], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse made by version 1 gains the later tables and keeps its rows."""
    wh = location()
    with monkeypatch.context() as m:
        m.setattr(_base, "MIGRATIONS", MIGRATIONS[:1])
        m.setattr(_base, "SCHEMA_VERSION", 1)
        assert wh.migrate() == [1]
        wh.merge("enterprises", firms(), source="s", batch_id="b1", loaded_at=T0)
    assert wh.schema_version() == 1
    before = wh.checksum("enterprises")
    later = [m.version for m in MIGRATIONS[1:]]
    assert later and wh.migrate() == later
    assert wh.schema_version() == SCHEMA_VERSION
    assert wh.checksum("enterprises") == before
    for name, spec in TABLES.items():
        if spec.since > 1:
            assert wh.to_arrow(wh.table(name)).schema.equals(arrow_schema(spec)), name
    wh.close()


def test_refuses_a_newer_schema(wh: Warehouse) -> None:
    wh.replace("meta", pa.table({"key": ["schema_version"], "value": [str(SCHEMA_VERSION + 1)]}))
    with pytest.raises(ConfigError, match="升级"):
        wh.migrate()


def test_every_neutral_type_round_trips(wh: Warehouse) -> None:
    parks = pa.table(
        {
            "park_id": ["p1", "p2"],
            "name_zh": ["梧桐 'quote' \\ back", None],
            "name_en": ["", "x"],
            "short_name": ["a", "b"],
            "division_code": ["410172561", None],
            "is_park": [True, None],
            "zone_code": ["410172", "410172"],
        }
    )
    wh.replace("parks", parks)
    assert wh.to_arrow(wh.table("parks").order_by("park_id")).equals(
        parks.cast(arrow_schema(TABLES["parks"]))
    )
    years = pa.table(
        {
            "uscc": ["A", "B"],
            "year": pa.array([2023, 2024], pa.int32()),
            "revenue_fen": [9_007_199_254_740_993, -1],  # beyond float precision: must stay exact
            "employees": [None, 0],
        }
    )
    wh.merge(
        "enterprise_years",
        years,
        source="统计",
        batch_id="b1",
        loaded_at=dt.datetime(2024, 3, 1, 8, 30, 15, 250),
    )
    got = wh.to_arrow(wh.table("enterprise_years").order_by("uscc"))
    assert got.schema.equals(arrow_schema(TABLES["enterprise_years"]))
    assert got["revenue_fen"].to_pylist() == [9_007_199_254_740_993, -1]
    assert got["year"].to_pylist() == [2023, 2024]
    assert got["employees"].to_pylist() == [None, 0]
    assert got["loaded_at"].to_pylist() == [dt.datetime(2024, 3, 1, 8, 30, 15, 250)] * 2
    wh.merge(
        "enterprises",
        pa.table({"uscc": ["A"], "registered_on": [dt.date(1999, 12, 31)], "registered_capital_fen": [5]}),
        source="s",
        batch_id="b2",
        loaded_at=T0,
    )
    assert rows(wh)["A"]["registered_on"] == dt.date(1999, 12, 31)


def test_merge_insert_then_same_data_changes_nothing(wh: Warehouse) -> None:
    r = wh.merge("enterprises", firms(), source="市场监管", batch_id="b1", loaded_at=T0)
    assert (r.inserted, r.updated, r.unchanged, r.conflicts) == (2, 0, 0, 0)
    before = wh.checksum("enterprises")
    r = wh.merge("enterprises", firms(), source="市场监管", batch_id="b2", loaded_at=T1)
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 2)
    assert wh.checksum("enterprises") == before
    assert rows(wh)["A"]["batch_id"] == "b1"
    assert rows(wh)["A"]["loaded_at"] == T0


def test_same_source_updates_other_source_conflicts(wh: Warehouse) -> None:
    wh.merge("enterprises", firms(), source="市场监管", batch_id="b1", loaded_at=T0)
    r = wh.merge(
        "enterprises", firms(industry_code=["6513", "3984"]), source="市场监管", batch_id="b2", loaded_at=T1
    )
    assert (r.inserted, r.updated, r.unchanged, r.conflicts) == (0, 1, 1, 0)
    assert rows(wh)["B"]["industry_code"] == "3984"
    assert rows(wh)["B"]["batch_id"] == "b2"
    assert rows(wh)["B"]["loaded_at"] == T1
    assert rows(wh)["A"]["batch_id"] == "b1"
    r = wh.merge(
        "enterprises",
        firms(industry_code=["6520", "3984"], uscc=["A", "C"]),
        source="税务",
        batch_id="b3",
        loaded_at=T1,
    )
    assert (r.inserted, r.updated, r.unchanged, r.conflicts) == (1, 0, 1, 1)
    assert rows(wh)["A"]["industry_code"] == "6513"  # not overwritten
    assert rows(wh)["A"]["source"] == "市场监管"
    assert rows(wh)["C"]["source"] == "税务"
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
    assert got["B"]["source"] == "市场监管"  # filling a gap does not change who owns the row
    assert got["B"]["batch_id"] == "b2"
    r = wh.merge("enterprises", firms(address=[None, None]), source="市场监管", batch_id="b3", loaded_at=T1)
    assert (r.updated, r.unchanged) == (0, 2)
    assert rows(wh)["A"]["address"] == "高新区A路1号"


def test_composite_key_and_row_key_text(wh: Warehouse) -> None:
    def years(revenue: list[int]) -> pa.Table:
        return pa.table(
            {"uscc": ["A", "A"], "year": pa.array([2023, 2024], pa.int32()), "revenue_fen": revenue}
        )

    wh.merge("enterprise_years", years([100, 200]), source="统计", batch_id="b1", loaded_at=T0)
    r = wh.merge("enterprise_years", years([100, 250]), source="税务", batch_id="b2", loaded_at=T1)
    assert (r.updated, r.unchanged, r.conflicts) == (0, 2, 1)
    (conflict,) = wh.to_arrow(wh.table("import_conflicts")).to_pylist()
    assert (conflict["row_key"], conflict["kept_value"], conflict["offered_value"]) == (
        "A|2024",
        "200",
        "250",
    )


def test_append_replace_delete(wh: Warehouse) -> None:
    batch = pa.table({"batch_id": ["x", "y", "z"], "kind": ["a", None, "c"], "rows_in": [1, 2, 3]})
    wh.append("import_batches", batch)
    wh.append("import_batches", batch.slice(0, 1))
    assert wh.count("import_batches") == 4
    assert wh.delete_where_in("import_batches", "batch_id", ["x", "nope"]) == 2
    assert wh.delete_where_in("import_batches", "kind", ["a"]) == 0
    assert wh.delete_where_in("import_batches", "batch_id", []) == 0
    assert sorted(wh.to_arrow(wh.table("import_batches"))["batch_id"].to_pylist()) == ["y", "z"]
    wh.replace("import_batches", batch.slice(2, 1))
    assert wh.to_arrow(wh.table("import_batches"))["batch_id"].to_pylist() == ["z"]
    wh.replace("import_batches", batch.slice(0, 0))
    assert wh.count("import_batches") == 0


def test_transaction_rolls_back_everything(wh: Warehouse) -> None:
    wh.merge("enterprises", firms(uscc=["Z", "Y"]), source="s", batch_id="b0", loaded_at=T0)
    before = {t: wh.checksum(t) for t in ("enterprises", "import_batches", "import_conflicts")}
    with pytest.raises(RuntimeError), wh.transaction():
        wh.merge("enterprises", firms(), source="s", batch_id="b1", loaded_at=T0)
        wh.merge(
            "enterprises", firms(uscc=["Z", "Y"], name=["丙", "丁"]), source="t", batch_id="b1", loaded_at=T0
        )
        wh.append("import_batches", pa.table({"batch_id": ["b1"]}))
        assert wh.count("enterprises") == 4  # a transaction reads its own writes
        assert wh.count("import_conflicts") == 2
        raise RuntimeError("boom")
    assert {t: wh.checksum(t) for t in before} == before
    with wh.transaction():
        wh.merge("enterprises", firms(), source="s", batch_id="b1", loaded_at=T0)
    assert wh.count("enterprises") == 4


def test_engine_errors_name_engine_table_and_statement(wh: Warehouse) -> None:
    bad = pa.table({"uscc": ["A"], "year": ["not a year"]})
    with pytest.raises(StorageError) as info:
        wh.merge("enterprise_years", bad, source="s", batch_id="b", loaded_at=T0)
    msg = str(info.value)
    assert f"[{wh.engine}]" in msg and "enterprise_years" in msg and "CAST" in msg
    assert info.value.engine == wh.engine and info.value.table == "enterprise_years"
    assert info.value.original is not None
    assert info.value.__cause__ is info.value.original
    assert wh.count("enterprise_years") == 0


def test_unknown_table_is_a_config_error(wh: Warehouse) -> None:
    with pytest.raises(ConfigError, match="firms"):
        wh.table("firms")


def test_unsupported_url() -> None:
    with pytest.raises(ConfigError, match="unsupported"):
        open_warehouse("mysql://x")
