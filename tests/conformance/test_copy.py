"""Copying a whole warehouse between engines keeps every row: duckdb → postgres → spark → duckdb."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.conftest import new_location, selected_engines
from tests.conformance.test_import_summary import E_HEADER, F_HEADER, enterprise_rows, finance_rows
from tests.registry.conftest import write_csv
from zonebrain.core.errors import ConfigError
from zonebrain.registry import import_file
from zonebrain.storage import TABLES, Warehouse
from zonebrain.storage._copy import copy_warehouse


def test_round_trip_through_every_engine(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    chain = ["duckdb", *[e for e in selected_engines() if e != "duckdb"], "duckdb"]
    first = new_location("duckdb", request, tmp_path)()
    rows = enterprise_rows()
    write_csv(tmp_path / "e.csv", rows, header=E_HEADER)
    write_csv(tmp_path / "f.csv", finance_rows(), header=F_HEADER)
    rows[3][1] = "别名有限公司"
    write_csv(tmp_path / "tax.csv", rows, header=E_HEADER)
    import_file(first, "enterprises", tmp_path / "e.csv")
    import_file(first, "finance", tmp_path / "f.csv")
    import_file(first, "enterprises", tmp_path / "tax.csv", source="税务")
    want = {name: first.checksum(name) for name in TABLES if name != "meta"}
    assert want["import_conflicts"][0] == 1 and want["enterprise_years"][0] == 50
    opened: list[Warehouse] = [first]
    for engine in chain[1:]:
        target = new_location(engine, request, tmp_path)()
        opened.append(target)
        copied = copy_warehouse(opened[-2], target)
        assert {c.name: (c.rows, c.digest) for c in copied} == want, f"{chain} at {engine}"
        assert {name: target.checksum(name) for name in want} == want
    with pytest.raises(ConfigError, match="already holds data"):
        copy_warehouse(first, opened[-1])
    for wh in opened:
        wh.close()


def test_copy_command_prints_the_verified_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from zonebrain.cli.warehouse_copy import copy_command
    from zonebrain.storage import open_warehouse

    source = tmp_path / "zone.duckdb"
    write_csv(tmp_path / "e.csv", enterprise_rows(10), header=E_HEADER)
    with open_warehouse(source) as wh:
        import_file(wh, "enterprises", tmp_path / "e.csv")
    copy_command(str(source), str(tmp_path / "copy.duckdb"))
    out = capsys.readouterr().out
    assert "enterprises" in out and "✓" in out
    with open_warehouse(tmp_path / "copy.duckdb") as copy:
        assert copy.count("enterprises") == 10
    with pytest.raises(ConfigError, match="same warehouse"):
        copy_command(str(source), str(source))
