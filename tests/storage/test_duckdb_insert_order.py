"""DuckDB bulk inserts do not keep the source's row order (so the next checkpoint need not rewrite
them), and every query afterwards gets DuckDB's default back, even after a failed insert."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from zonebrain.core.errors import StorageError
from zonebrain.storage import open_warehouse


def _setting(wh: object) -> object:
    return wh._con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]  # type: ignore[attr-defined]


@ibis.udf.scalar.builtin
def current_setting(name: str) -> str:  # type: ignore[empty-body]
    """DuckDB's own function."""


def _years(n: int, revenue: pa.Array | None = None) -> pa.Table:
    return pa.table(
        {
            "uscc": pa.array([f"91410100{i:010d}" for i in range(n)]),
            "year": pa.array([2024] * n, pa.int32()),
            "revenue_fen": revenue if revenue is not None else pa.array(range(n), pa.int64()),
        }
    )


def test_inserts_drop_the_order_for_their_statement_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = open_warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    assert _setting(wh) is True
    seen: list[tuple[str, object]] = []
    run = wh._run  # type: ignore[attr-defined]

    def spy(sql: str, table: str | None = None) -> None:
        seen.append((sql.split()[0], _setting(wh)))
        run(sql, table)

    monkeypatch.setattr(wh, "_run", spy)
    data = _years(300_000)
    with wh.transaction():
        wh.append("enterprise_years", data)
    # an INSERT … SELECT of a query: the setting as the statement saw it is what gets inserted
    one = ibis.memtable(pa.table({"year": pa.array([2025], pa.int32())}))
    wh.insert_from("enterprise_years", one.mutate(uscc=current_setting("preserve_insertion_order")))
    wh.merge("enterprises", pa.table({"uscc": ["91410100000000001X"], "name": ["甲"]}), source="t",
             batch_id="b1", loaded_at=dt.datetime(2026, 11, 30))  # fmt: skip
    assert [s for s in seen if s[0] == "INSERT"] == [("INSERT", False)] * 2  # append, first import
    assert _setting(wh) is True  # queries keep DuckDB's default
    years = wh.table("enterprise_years")
    assert wh.to_arrow(years.filter(years.year == 2025))["uscc"].to_pylist() == ["false"]
    got = wh.to_arrow(years.filter(years.year == 2024).order_by("uscc"))
    assert got["revenue_fen"].to_pylist() == data["revenue_fen"].to_pylist()  # every row, once
    wh.close()


def test_a_failed_insert_in_a_transaction_still_restores_the_order(tmp_path: Path) -> None:
    wh = open_warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    bad = _years(3, pa.array(["1", "2", "lots"]))  # text that is no integer
    with pytest.raises(StorageError), wh.transaction():
        wh.append("enterprise_years", _years(2))
        wh.append("enterprise_years", bad)
    assert _setting(wh) is True
    assert wh.count("enterprise_years") == 0  # the transaction rolled back
    wh.append("enterprise_years", _years(2))
    assert _setting(wh) is True and wh.count("enterprise_years") == 2
    wh.close()
