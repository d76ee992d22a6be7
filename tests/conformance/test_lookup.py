"""``Warehouse.lookup`` on every engine: the rows ``to_arrow`` gives, whatever text the values hold."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from zonebrain.storage import Warehouse

ODD = ["O'Brien", "back\\slash", "100%", 'say "hi"', "'; DROP TABLE enterprises; --", "高新区", "", "?", "$1"]
"""Values that a literal put into SQL text must survive (quotes, escapes, placeholders)."""


def _firms(wh: Warehouse) -> None:
    names = ["甲", "乙", *[f"odd {i}" for i in range(len(ODD))]]
    usccs = ["A", "B", *ODD]
    wh.merge(
        "enterprises",
        pa.table({"uscc": usccs, "name": names, "park_id": ["P1"] * len(usccs)}),
        source="s",
        batch_id="b1",
        loaded_at=dt.datetime(2024, 1, 1, 9, 0),
    )


def _by_uscc_and_park(wh: Warehouse, uscc: str, park: str) -> ir.Table:
    t = wh.table("enterprises")
    return t.filter((t.uscc == uscc) & (t.park_id == park)).select(
        "uscc", "name", "registered_on", "loaded_at"
    )


def _upper(wh: Warehouse, uscc: str) -> ir.Table:
    t = wh.table("enterprises")
    return t.filter(t.uscc == uscc.upper()).select("uscc", "name")  # the value is not read whole


def _memtable(wh: Warehouse, uscc: str) -> ir.Table:
    t = wh.table("enterprises")
    wanted = ibis.memtable(pa.table({"u": [uscc]}))
    return t.filter(t.uscc.isin(wanted.u)).select("uscc", "name")


def test_lookup_gives_what_to_arrow_gives_for_any_text(wh: Warehouse, engine: str) -> None:
    _firms(wh)
    for uscc in ["A", "B", "a", "nobody", *ODD]:
        for park in ("P1", "P2"):
            got = wh.lookup("test.by_uscc_and_park", _by_uscc_and_park, uscc, park)
            want = wh.to_arrow(_by_uscc_and_park(wh, uscc, park))
            assert got.equals(want), (uscc, park)
            assert got.num_rows == (park == "P1" and uscc in ["A", "B", *ODD]), (uscc, park)
    # a value the query changes, or ships in a memtable: compiled every time, the same rows
    assert wh.lookup("test.upper", _upper, "a").to_pylist() == [{"uscc": "A", "name": "甲"}]
    assert wh.lookup("test.upper", _upper, "b").to_pylist() == [{"uscc": "B", "name": "乙"}]
    assert wh.lookup("test.memtable", _memtable, "O'Brien").to_pylist() == [
        {"uscc": "O'Brien", "name": "odd 0"}
    ]
    assert wh.count("enterprises") == len(ODD) + 2  # nothing the values said was run
    # no value at all (a fixed query asked on every request): the same rows, compiled once too
    newest = wh.lookup(
        "test.no_value", lambda w: w.table("enterprises").order_by("uscc").limit(3).select("uscc")
    )
    assert newest["uscc"].to_pylist() == sorted(["A", "B", *ODD])[:3]
    # compiled once where the engine runs SQL text itself (the point of it); never for the other two
    compiled = wh.__dict__.get("_compiled", {})
    assert (compiled.get("test.by_uscc_and_park") is not None) == (engine != "spark")
    assert (compiled.get("test.no_value") is not None) == (engine != "spark")
    assert compiled.get("test.upper") is None and compiled.get("test.memtable") is None
