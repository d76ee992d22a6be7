"""Traces stored compactly (a shape per run × clause, per row only what varies) read back unchanged.

``data/traces.json`` holds the full trace texts the code produced before traces were stored
compactly (see ``_frozen``); ``evaluate``, a recorded run read with ``load_results`` (written in one
transaction or in chunks) and a run recorded before shapes existed all give those texts byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.policy._frozen import FROZEN, PERIOD, rows, scenarios
from zonebrain.policy import _trace, evaluate, load_results, results_table, run_policies
from zonebrain.policy._evaluate import Evaluation, evaluate_all
from zonebrain.policy._run import expand_traces
from zonebrain.policy._store import _PER_RUN, firm_results, forget
from zonebrain.policy._trace import SEP, SMALL, escape, expand, expand_one, unescape
from zonebrain.storage import Warehouse, open_warehouse

EXPECTED: dict[str, list[list[str]]] = json.loads(FROZEN.read_text(encoding="utf-8"))
AS_OF = dt.date(PERIOD + 1, 3, 31)


def _sorted(got: list[list[str]]) -> list[list[str]]:
    return sorted(got, key=lambda r: (r[0], r[1], r[2]))


@pytest.mark.parametrize("name", [s[0] for s in scenarios()])
def test_traces_are_byte_identical_to_the_frozen_ones(name: str, tmp_path: Path) -> None:
    _, build, library, kwargs = next(s for s in scenarios() if s[0] == name)
    wh = open_warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    build(wh)
    lib = library(tmp_path)
    assert rows(evaluate(wh, lib, PERIOD, **kwargs)) == EXPECTED[name]  # returned: full text, same order
    run_kwargs = {"history": kwargs["history"]} if "history" in kwargs else {}
    run_kwargs |= {"parameters": kwargs["overrides"]} if "overrides" in kwargs else {}
    one = run_policies(wh, lib, AS_OF, period=PERIOD, **run_kwargs)
    assert rows(one.results) == EXPECTED[name]
    chunked = run_policies(wh, lib, AS_OF, period=PERIOD, keep_traces=False, **run_kwargs)
    for run in (one, chunked):
        assert rows(load_results(wh, run.run_id)) == _sorted(EXPECTED[name])  # stored, then expanded
    stored = wh.to_arrow(results_table(wh).filter(lambda t: t.run_id == one.run_id))
    assert stored.num_rows == len(EXPECTED[name])
    full = sum(len(r[3].encode()) for r in EXPECTED[name])
    compact = sum(len(t.encode()) for t in stored["trace"].to_pylist())
    assert 0 < compact * 8 < full  # an order of magnitude fewer bytes per row, even joined back
    # stored per enterprise and per clause (versions 7 and 8): nothing in the table of older runs,
    # each enterprise's values and every clause's result digits once per facts group, and a row
    # only for a result that is not plainly ineligible (no amount, missing field or note)
    assert wh.count("policy_results") == 0
    firms = wh.to_arrow(wh.table("policy_result_firms").filter(lambda t: t.run_id == one.run_id))
    own = wh.to_arrow(wh.table("policy_result_rows").filter(lambda t: t.run_id == one.run_id))
    plain = [
        r["status"] == "ineligible" and r["amount_fen"] is None and r["missing_fields"] is None
        and r["trace"].split(SEP)[-2:] == ["", ""]
        for r in stored.to_pylist()
    ]  # fmt: skip
    assert own.num_rows == plain.count(False) and set(own["digits"].to_pylist()) <= {""}
    no_note = own.filter(pc.and_(pc.is_null(own["notes"]), pc.is_null(own["amount_fen"])))
    assert "ineligible" not in set(
        no_note.filter(pc.is_null(no_note["missing_fields"]))["status"].to_pylist()
    )
    assert firms.num_rows == len({r[0] for r in EXPECTED[name]}) * len(set(firms["grp"].to_pylist()))
    layout = wh.to_arrow(wh.table("policy_result_layout").filter(lambda t: t.run_id == one.run_id))
    widths = {g: 0 for g in firms["grp"].to_pylist()}
    clauses = wh.to_arrow(wh.table("policy_result_clauses").filter(lambda t: t.run_id == one.run_id))
    grp_of = dict(zip(clauses["clause_no"].to_pylist(), clauses["grp"].to_pylist(), strict=True))
    for x in layout.to_pylist():  # each clause's digits right after the previous one's of its group
        assert x["digits_at"] == x["shared"] + widths[grp_of[x["clause_no"]]]
        widths[grp_of[x["clause_no"]]] += x["digits_len"]
    assert layout.num_rows == clauses.num_rows
    per_row = sum(len(n or "") for n in own["notes"].to_pylist())
    assert per_row < compact / 2  # the values read are not repeated per clause
    # one enterprise at a time (the trace page): read narrowly, not through the three-table join,
    # for every enterprise of the scenario, whichever facts groups its clauses read
    for uscc in sorted({r[0] for r in EXPECTED[name]}):
        narrow = firm_results(wh, one.run_id, uscc)
        assert narrow is not None and narrow.num_rows == sum(r[0] == uscc for r in EXPECTED[name])
        assert rows(load_results(wh, one.run_id, uscc)) == _sorted(
            [r for r in EXPECTED[name] if r[0] == uscc]
        )
    assert load_results(wh, one.run_id, "91410100NOSUCHFIRM").num_rows == 0
    wh.close()


def test_a_run_recorded_before_shapes_loads_as_it_was(wh: Warehouse) -> None:
    from tests.policy._data import build
    from zonebrain.policy import load_library

    build(wh)
    run = run_policies(wh, load_library(), AS_OF, period=PERIOD)
    old = load_results(wh, run.run_id)  # full texts
    with wh.transaction():  # what a run written by the earlier code looks like: full traces, no shapes
        wh.delete_where_in("policy_trace_shapes", "run_id", [run.run_id])
        wh.delete_where_in("policy_results", "run_id", [run.run_id])
        wh.delete_where_in("policy_result_clauses", "run_id", [run.run_id])
        wh.delete_where_in("policy_result_firms", "run_id", [run.run_id])
        wh.delete_where_in("policy_result_rows", "run_id", [run.run_id])
        wh.append("policy_results", old)
    forget()  # a recorded run's shapes never change in use, nor does policy_results at version 7
    assert load_results(wh, run.run_id).equals(old)
    assert rows(old) == _sorted(EXPECTED["small"])


def test_rows_without_a_shape_pass_through_beside_expanded_ones(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.policy._data import build
    from zonebrain.policy import load_library

    build(wh)
    ev = evaluate_all(wh, load_library(), PERIOD)
    stored = ev.table(stored=True)
    shapes = {(p, c): s for p, c, s in zip(*(ev.shapes()[k].to_pylist() for k in ("policy_id", "clause_id", "shape")), strict=True)}  # fmt: skip
    first = next(iter(shapes))
    del shapes[first]
    full = ev.table()
    # the whole table and slices of it, vectorised (no row-by-row path) and row by row
    parts = [(0, stored.num_rows)] + [(at, 8) for at in range(0, stored.num_rows, 8)]
    for small in (0, SMALL):
        monkeypatch.setattr(_trace, "SMALL", small)
        for at, n in parts:
            mixed, ref = expand_traces(stored.slice(at, n), shapes), full.slice(at, n)
            is_first = pc.and_(pc.equal(ref["policy_id"], first[0]), pc.equal(ref["clause_id"], first[1]))
            assert mixed["trace"].filter(is_first).equals(stored.slice(at, n)["trace"].filter(is_first))
            rest = pc.invert(is_first)
            assert mixed["trace"].filter(rest).equals(ref["trace"].filter(rest)), (small, at)


def test_text_values_with_separators_and_quotes_round_trip() -> None:
    odd = pa.array(["a\x1fb", "\x1e0", "\x1e\x1f\x1e1", 'q"\\', "", "存续"])
    assert unescape(escape(odd)).equals(odd)
    assert not pc.any(pc.match_substring(escape(odd), SEP)).as_py()
    shape = json.dumps({"format": 1, "fields": 3, "results": 1, "text": ["[", ",", ",", ",", "]"],
                        "fill": [["v", 1], ["r", 0], ["t", 2], ["s", 0]]})  # fmt: skip
    stored = pc.binary_join_element_wise(pa.array(["1", "2", "0"]), escape(pa.array(['"x\x1fy"', "", "7"])),
                                         escape(pa.array(["", "\x1e", "t"])), SEP)  # fmt: skip
    got = expand(shape, stored, pa.array(["s1", "s2", "s3"])).to_pylist()
    assert got == ['["x\x1fy",true,,s1]', "[null,null,\x1e,s2]", "[7,false,t,s3]"]
    # one row at a time, the same text; nothing stored, or no status to show, gives no text
    one = [expand_one(shape, t, st) for t, st in zip(stored.to_pylist(), ["s1", "s2", "s3"], strict=True)]
    assert one == got
    assert expand_one(shape, None, "s") is None and expand_one(shape, stored[0].as_py(), None) is None


def test_text_values_with_quotes_backslashes_and_separators(wh: Warehouse) -> None:
    from tests.policy._data import build
    from zonebrain.policy import load_library

    build(wh)
    odd = 'a"b\\c\x1fd\x1e1'
    ent = wh.to_arrow(wh.table("enterprises").order_by("uscc"))
    i = ent.column_names.index("status")
    ent = ent.set_column(i, "status", pa.array([odd, *ent["status"].to_pylist()[1:]], pa.string()))
    with wh.transaction():
        wh.delete_where_in("enterprises", "uscc", ent["uscc"].to_pylist())
        wh.append("enterprises", ent)
    lib = load_library()
    run = run_policies(wh, lib, AS_OF, period=PERIOD)
    got = load_results(wh, run.run_id)
    assert rows(got) == _sorted(rows(run.results))
    first = json.loads(str(got["trace"][0]), strict=False)  # the control characters are kept raw
    assert [c["value"] for c in first["conditions"] if c["test"].startswith("status")] == [odd]


def test_shapes_of_a_recorded_run_are_read_once(wh: Warehouse) -> None:
    from tests.policy._data import build
    from zonebrain.policy import load_library

    build(wh)
    run = run_policies(wh, load_library(), AS_OF, period=PERIOD, keep_traces=False)
    first = load_results(wh, run.run_id)
    assert (wh.url, run.run_id, "shapes") in _PER_RUN or wh.url.endswith(":memory:")
    assert load_results(wh, run.run_id).equals(first)
    assert rows(first) == _sorted(EXPECTED["small"])


def _write_as_version_7(self: Evaluation, run_id: str) -> None:
    """How a run was written before version 8: every row stored with its own digits, the firms'
    digits the family's alone, no layout."""
    self._wh.append("policy_result_clauses", self.clauses(run_id))
    for f in self._facts:
        self._wh.insert_from("policy_result_firms", f.firms(run_id))
    self._wh.insert_from("policy_result_rows", self._rows(run_id, stored=False).drop("adj_notes"))


@pytest.mark.parametrize("name", [s[0] for s in scenarios()])
def test_a_run_stored_row_by_row_reads_as_one_stored_sparsely(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run recorded at version 7 (every row stored) and one recorded now (plainly ineligible
    rows left out) read back alike: the frozen traces, one enterprise at a time, and the counts."""
    _, build, library, kwargs = next(s for s in scenarios() if s[0] == name)
    wh = open_warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    build(wh)
    lib = library(tmp_path)
    run_kwargs = {"history": kwargs["history"]} if "history" in kwargs else {}
    run_kwargs |= {"parameters": kwargs["overrides"]} if "overrides" in kwargs else {}
    new = run_policies(wh, lib, AS_OF, period=PERIOD, keep_traces=False, **run_kwargs)
    with monkeypatch.context() as m:
        m.setattr(Evaluation, "write", _write_as_version_7)
        old = run_policies(wh, lib, AS_OF, period=PERIOD, keep_traces=False, **run_kwargs)
    r = wh.table("policy_result_rows")
    stored = {run: wh.to_arrow(r.filter(r.run_id == run)).num_rows for run in (old.run_id, new.run_id)}
    assert stored[old.run_id] == len(EXPECTED[name]) > stored[new.run_id]
    assert not wh.to_arrow(wh.table("policy_result_layout").filter(lambda t: t.run_id == old.run_id)).num_rows
    forget()
    for run in (old, new):
        assert rows(load_results(wh, run.run_id)) == _sorted(EXPECTED[name])
        for uscc in sorted({r[0] for r in EXPECTED[name]}):
            assert rows(load_results(wh, run.run_id, uscc)) == _sorted(
                [r for r in EXPECTED[name] if r[0] == uscc]
            )
    assert old.summary.equals(new.summary)
    assert sum(old.summary["rows"].to_pylist()) == len(EXPECTED[name])
    # a warehouse still at version 7 (read before `warehouse migrate`): no layout table at all
    with wh.transaction():
        for table in ("policy_result_clauses", "policy_result_firms", "policy_result_rows", "policy_runs"):
            wh.delete_where_in(table, "run_id", [new.run_id])
        wh.ibis.raw_sql("DROP TABLE policy_result_layout")
        wh.replace("meta", pa.table({"key": ["schema_version"], "value": ["7"]}))
    wh.close()
    forget()
    with open_warehouse(tmp_path / "wh.duckdb", read_only=True) as ro:
        assert ro.schema_version() == 7
        assert rows(load_results(ro, old.run_id)) == _sorted(EXPECTED[name])
        first = EXPECTED[name][0][0]
        assert rows(load_results(ro, old.run_id, first)) == _sorted(
            [r for r in EXPECTED[name] if r[0] == first]
        )
