"""Candidate firms: exclusions, recency-weighted signals, filters, reasons, export, CLI."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from tests.targeting._data import AS_OF, load_targeting_sample
from zonebrain.chains import load_chains
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse
from zonebrain.targeting import candidates, export_candidates


@pytest.fixture
def firms(wh: Warehouse) -> dict[str, str]:
    return load_targeting_sample(wh)


def test_zone_firms_and_pipeline_are_excluded(wh: Warehouse, firms: dict[str, str]) -> None:
    got = candidates(wh, classes=["3976", "6513"], as_of=AS_OF, limit=None)
    usccs = set(got.table["uscc"].to_pylist())
    assert firms["inside"] not in usccs
    assert {firms["fresh"], firms["stale"], firms["future"]} <= usccs
    got = candidates(wh, classes=["3976", "6513"], as_of=AS_OF, exclude=[firms["fresh"]], limit=None)
    assert firms["fresh"] not in set(got.table["uscc"].to_pylist())


def test_newer_signals_count_more_and_future_ones_not_at_all(wh: Warehouse, firms: dict[str, str]) -> None:
    rows = {
        r["uscc"]: r
        for r in candidates(wh, classes=["3976", "6513"], as_of=AS_OF, limit=None).table.to_pylist()
    }
    fresh, stale, future = rows[firms["fresh"]], rows[firms["stale"]], rows[firms["future"]]
    assert fresh["signal_strength"] == pytest.approx(0.5 ** (30 / 180))
    assert stale["signal_strength"] == pytest.approx(0.5 ** (700 / 180) + 0.3 * 0.5 ** (400 / 180))
    assert fresh["signals"] == pytest.approx(1 - 2.718281828459045 ** -fresh["signal_strength"])
    assert fresh["score"] > stale["score"]
    assert fresh["rank"] == 1
    assert future["n_signals"] == 0 and future["signals"] == 0.0
    assert fresh["last_signal_on"] == AS_OF - dt.timedelta(days=30)
    half = {
        r["uscc"]: r
        for r in candidates(wh, classes=["3976"], as_of=AS_OF, half_life_days=30).table.to_pylist()
    }
    assert half[firms["fresh"]]["signal_strength"] == pytest.approx(0.5)


def test_reasons_carry_numbers(wh: Warehouse, firms: dict[str, str]) -> None:
    top = candidates(wh, classes=["3976"], as_of=AS_OF).table.to_pylist()[0]
    reasons = top["reasons"].split("；")
    assert 1 <= len(reasons) <= 3
    assert reasons[0].startswith("补缺 3976")
    assert "扩张信号 1 条" in top["reasons"] and "2024-12-02" in top["reasons"]
    assert all(re.search(r"（\+\d\.\d{3}）$", r) for r in reasons)


def test_filters(wh: Warehouse, firms: dict[str, str]) -> None:
    def usccs(**kw: object) -> set[str]:
        return set(
            candidates(wh, classes=["3976", "6513"], as_of=AS_OF, limit=None, **kw).table["uscc"].to_pylist()
        )

    everyone = usccs()
    henan = usccs(provinces=["41"])
    assert henan and henan < everyone and all(u[2:4] == "41" for u in henan)
    big = usccs(min_revenue_fen=7_500_000)
    assert big == {firms["fresh"], firms["stale"]}
    tagged = usccs(tags=["高新技术企业"])
    assert firms["future"] not in tagged and firms["fresh"] in tagged
    assert usccs(min_employees=13) == {u for u in everyone if u.startswith("91420100")}


def test_related_classes_and_targets(wh: Warehouse, firms: dict[str, str]) -> None:
    # 3971 shares its 中类 397 with 3976, which gets the related fit 0.5
    rows = candidates(wh, classes=["3971", "3983"], as_of=AS_OF, limit=None).table.to_pylist()
    fits = {r["industry_code"]: r["fit"] for r in rows}
    assert fits == {"3983": 1.0, "3976": 0.5}
    assert {r["gap"] for r in rows if r["industry_code"] == "3976"} == {"3971"}
    exact = candidates(wh, classes=["3971", "3983"], as_of=AS_OF, related=False, limit=None).table
    assert set(exact["industry_code"].to_pylist()) == {"3983"}
    with pytest.raises(InputError, match="3999"):
        candidates(wh, classes=["3999"], as_of=AS_OF)
    node = candidates(wh, node="intelligent-sensors/optical-image-sensors", as_of=AS_OF)
    assert "3976" in node.target.classes
    gaps = candidates(wh, all_gaps=True, as_of=AS_OF)
    assert gaps.target.classes["3976"] == "intelligent-sensors/optical-image-sensors"
    # every gap node is searched, also one whose classes an earlier gap node has too (3983)
    present = {
        tuple(r.values())
        for r in wh.to_arrow(wh.table("enterprise_chain_nodes").select("chain_id", "node_id")).to_pylist()
    }
    expected = {
        f"{c.id}/{n.id}"
        for c in load_chains()
        if c.id in {p[0] for p in present}
        for n in c.nodes
        if (c.id, n.id) not in present
    }
    named = {f"{chain}/{i}" for label in gaps.target.classes.values() for part in label.split("；")
             for chain, _, ids in [part.partition("/")] for i in ids.split("、")}  # fmt: skip
    assert "intelligent-sensors/inertial-magnetic-sensors" in expected and named == expected
    with pytest.raises(InputError, match="exactly one"):
        candidates(wh, as_of=AS_OF)
    with pytest.raises(InputError, match="half_life"):
        candidates(wh, classes=["3976"], as_of=AS_OF, half_life_days=0)


def test_excel_export_with_pipeline_sheet(wh: Warehouse, firms: dict[str, str], tmp_path: Path) -> None:
    result = candidates(wh, classes=["3976", "6513"], as_of=AS_OF)
    book = openpyxl.load_workbook(export_candidates(result, tmp_path / "c.xlsx"), read_only=True)
    assert book.sheetnames == ["目标企业", "权重", "导入招商项目库"]
    header = [c.value for c in next(book["目标企业"].iter_rows(max_row=1))]
    assert "统一社会信用代码" in header and "营业收入(万元)" in header and "推荐理由" in header
    pipe = list(book["导入招商项目库"].iter_rows(values_only=True))
    assert pipe[0] == ("统一社会信用代码", "企业名称", "行业代码", "补缺环节", "综合得分", "推荐理由", "来源")
    assert pipe[1][0] == firms["fresh"]


def test_cli(wh: Warehouse, firms: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zonebrain.cli import _common
    from zonebrain.cli.targets_cmd import app

    path = tmp_path / "wh.duckdb"
    wh.close()  # the CLI opens the same file read-only
    monkeypatch.setattr(_common.state, "warehouse", str(path))
    (tmp_path / "pipeline.txt").write_text(firms["fresh"] + "\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["--class", "3976", "--as-of", "2025-01-01", "--exclude", str(tmp_path / "pipeline.txt"),
         "--out", str(tmp_path / "out.xlsx")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert firms["stale"] in res.output and firms["fresh"] not in res.output
    assert (tmp_path / "out.xlsx").exists()
    res = runner.invoke(app, ["--class", "3976", "--as-of", "someday"])
    assert res.exit_code == 2


def _crowded_registry(wh: Warehouse) -> None:
    """Add 3,000 firms in 3976/3971/6513 with few distinct revenues and tags, so scores tie a lot."""
    ref = wh.to_arrow(wh.table("reference_enterprises"))
    rows = []
    for i in range(3000):
        code = ("3976", "3971", "6513")[i % 3] if i < 2990 else "3983"  # 3983: fewer firms than the cut
        rows.append(
            {
                "uscc": f"91{'410100' if i % 4 else '420100'}X{i:09d}",
                "name": f"拥挤企业{i}",
                "division_code": "410100",
                "province_code": "410000" if i % 4 else "420000",
                "prefecture_code": "410100" if i % 4 else "420100",
                "industry_code": code,
                "registered_capital_fen": 1_000_000,
                "registered_on": dt.date(2015, 1, 1),
                "revenue_fen": None if i % 11 == 0 else (i % 7) * 1_000_000,
                "employees": 10,
                "tags": (None, "高新技术企业", "上市企业;高新技术企业")[i % 5 % 3],
            }
        )
    extra = pa.Table.from_pylist(rows, schema=ref.select(list(rows[0])).schema)
    for name in ("source", "batch_id", "loaded_at"):
        extra = extra.append_column(name, pa.repeat(ref[name][0], extra.num_rows))
    with wh.transaction():
        wh.replace("reference_enterprises", pa.concat_tables([ref, extra.select(ref.column_names)]))


@pytest.mark.parametrize("per_class", [1, 7, 60, 5000])
def test_per_class_cut_is_exact(wh: Warehouse, firms: dict[str, str], per_class: int) -> None:
    """The best N per class (score, then uscc) equal a brute-force cut of the full ranking, ties included."""
    _crowded_registry(wh)
    kw: dict[str, object] = {"classes": ["3976", "3983", "6513"], "as_of": AS_OF, "limit": None}
    everyone = candidates(wh, **kw).table.to_pylist()  # type: ignore[arg-type]
    assert len({r["score"] for r in everyone}) < len(everyone) / 10  # many ties
    seen: dict[str, int] = {}
    want = []
    for r in everyone:  # already ordered by score descending, then uscc
        seen[r["industry_code"]] = seen.get(r["industry_code"], 0) + 1
        if seen[r["industry_code"]] <= per_class:
            want.append(r)
    got = candidates(wh, per_class=per_class, **kw).table.to_pylist()  # type: ignore[arg-type]
    assert [r["uscc"] for r in got] == [r["uscc"] for r in want]
    assert [r["score"] for r in got] == [r["score"] for r in want]
    assert [r["reasons"] for r in got] == [r["reasons"] for r in want]
    assert got[0]["rank"] == 1
    with pytest.raises(InputError, match="per_class"):
        candidates(wh, per_class=0, **kw)  # type: ignore[arg-type]
