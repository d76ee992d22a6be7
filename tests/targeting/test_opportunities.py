"""Opportunity ranking on the sample zone: only absent classes, visible weights, presets, chain gaps."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from tests.portrait._data import load_sample
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse
from zonebrain.targeting import PRESETS, export_opportunities, opportunities, resolve_weights


@pytest.fixture
def zone(wh: Warehouse) -> Warehouse:
    return load_sample(wh)


def test_presets_are_visible_and_sum_to_one() -> None:
    for name, weights in PRESETS.items():
        assert math.isclose(sum(weights.values()), 1.0), name
    assert PRESETS["稳妥"]["density"] > PRESETS["均衡"]["density"] > PRESETS["跨越"]["density"]
    assert PRESETS["跨越"]["pci"] > PRESETS["均衡"]["pci"] > PRESETS["稳妥"]["pci"]
    assert resolve_weights("leap") == resolve_weights("跨越")
    only = resolve_weights(None, {"density": 2.0})
    assert only["density"] == 1.0 and sum(only.values()) == 1.0
    with pytest.raises(InputError, match="unknown preset"):
        resolve_weights("激进")
    with pytest.raises(InputError, match="unknown weight"):
        resolve_weights("均衡", {"luck": 1.0})


@pytest.mark.parametrize("measure", ["firms", "revenue_fen"])
def test_ranking_holds_only_absent_classes_in_score_order(zone: Warehouse, measure: str) -> None:
    result = opportunities(zone, measure=measure)
    rows = result.table.to_pylist()
    assert rows, "the sample zone has classes it does not hold"
    assert all(r["rca"] <= 1.0 for r in rows)  # atlas presence is RCA > 1
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:
        for key in ("score", "feasibility", "attractiveness", "fit", "density", "peer_presence"):
            assert 0.0 <= r[key] <= 1.0, (key, r)
    weights = {r["component"]: r["weight"] for r in result.weights.to_pylist()}
    assert weights == pytest.approx(dict(PRESETS["均衡"]))
    assert result.scatter.column_names == [
        "activity_code", "name", "feasibility", "attractiveness", "score", "chain_gap",
    ]  # fmt: skip
    assert result.scatter.num_rows == result.table.num_rows
    assert any("proxied" in n for n in result.notes)


def test_chain_gap_and_fit(zone: Warehouse) -> None:
    rows = {r["activity_code"]: r for r in opportunities(zone, measure="firms").table.to_pylist()}
    # 3976 光电子器件 maps to intelligent-sensors/optical-image-sensors: a zone chain, no zone member
    assert rows["3976"]["chain_gap"] == 1.0
    assert "intelligent-sensors/optical-image-sensors" in rows["3976"]["gap_nodes"]
    assert rows["3976"]["strategic_fit"] == 1.0
    # 6210 正餐服务 is on no chain
    assert rows["6210"]["chain_gap"] == 0.0 and rows["6210"]["strategic_fit"] == 0.0
    assert rows["6210"]["name"] == "正餐服务"


def test_user_weights_rank_by_the_chosen_component(zone: Warehouse) -> None:
    rows = opportunities(zone, measure="firms", preset=None, weights={"peer_presence": 1.0}).table.to_pylist()
    peer = [r["peer_presence"] for r in rows]
    assert peer == sorted(peer, reverse=True)
    assert [r["score"] for r in rows] == pytest.approx(peer)


def test_errors_say_what_to_do(zone: Warehouse, wh: Warehouse) -> None:
    with pytest.raises(InputError, match="no region_activity rows"):
        opportunities(zone, year=1999)
    with pytest.raises(InputError, match="unknown measure"):
        opportunities(zone, measure="profit_fen")


def test_excel_export(zone: Warehouse, tmp_path: Path) -> None:
    result = opportunities(zone, measure="firms")
    path = export_opportunities(result, tmp_path / "opp.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["招商机会", "散点", "权重"]
    assert book["招商机会"].max_row == result.table.num_rows + 1


def test_cli_rank(zone: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from zonebrain.cli import _common
    from zonebrain.cli.opportunities_cmd import app

    zone.close()  # the CLI opens the same file read-only
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "rank",
            "--preset",
            "跨越",
            "--weight",
            "pci=0.5",
            "--measure",
            "firms",
            "--out",
            str(tmp_path / "o.xlsx"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "权重 Weights:" in res.output and "3976" in res.output
    assert (tmp_path / "o.xlsx").exists()
    res = runner.invoke(app, ["rank", "--weight", "pci"])
    assert res.exit_code == 2 and "NAME=VALUE" in res.output
    res = runner.invoke(app, ["rank", "--preset", "激进"])
    assert res.exit_code == 2 and "unknown preset" in res.output
