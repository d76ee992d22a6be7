"""QA: targeting defaulted to 郑州高新区 (410172) in a warehouse built for another zone. Without
``--zone-code`` the ranking and the candidates now take the warehouse's zone (``parks.zone_code``);
an explicit code still wins; a zone code the division table does not carry (洛阳高新区 410371) is
taken when its city is known."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.portrait._other_zone import load_other_sample, other_zone
from tests.targeting._data import AS_OF
from zonebrain.core.errors import InputError
from zonebrain.storage import Warehouse
from zonebrain.targeting import candidates, opportunities
from zonebrain.targeting._opportunities import check_zone_code


@pytest.fixture
def luoyang(wh: Warehouse, tmp_path: Path) -> Warehouse:
    return load_other_sample(wh, other_zone(tmp_path, "410371"))


@pytest.fixture
def suzhou(wh: Warehouse, tmp_path: Path) -> Warehouse:
    return load_other_sample(wh, other_zone(tmp_path, "320571"))


def test_ranking_defaults_to_the_warehouse_zone(luoyang: Warehouse) -> None:
    assert opportunities(luoyang, measure="firms").zone_code == "410371"
    # an explicit code still wins
    assert opportunities(luoyang, measure="firms", zone_code="410172").zone_code == "410172"


def test_peer_regions_are_those_of_the_zone_province(suzhou: Warehouse) -> None:
    notes = opportunities(suzhou, measure="firms").notes
    assert any("没有代码以 32 开头的同类地区" in n for n in notes), notes


def test_a_zone_code_is_taken_when_its_city_is_known() -> None:
    assert check_zone_code("410371") == "410371"  # 洛阳市 410300 is known, the zone itself is not
    assert check_zone_code("320571") == "320571"
    for bad in ("999999", "41017", "4103x1"):
        with pytest.raises(InputError, match="园区代码"):
            check_zone_code(bad)


def test_candidates_count_the_zone_province_as_the_same(suzhou: Warehouse) -> None:
    found = candidates(suzhou, classes=["3976"], as_of=AS_OF)
    assert found.zone_code == "320571"
    same = {r["prefecture_code"]: r["same_province"] for r in found.table.to_pylist()}
    assert same == {"320500": 1, "410300": 0}
    mine = [r for r in found.table.to_pylist() if r["prefecture_code"] == "320500"]
    assert all("同省" in r["reasons"] for r in mine)
    henan = candidates(suzhou, classes=["3976"], as_of=AS_OF, zone_code="410172").table.to_pylist()
    assert {r["prefecture_code"]: r["same_province"] for r in henan} == {"320500": 0, "410300": 1}


def _cli(wh: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, *args: str) -> str:
    from importlib import import_module

    from zonebrain.cli import _common

    wh.close()  # the CLI opens the same file read-only
    monkeypatch.setattr(_common.state, "warehouse", str(tmp_path / "wh.duckdb"))
    monkeypatch.setattr(_common.state, "zone_file", None)
    monkeypatch.delenv("ZONEBRAIN_ZONE_FILE", raising=False)
    res = CliRunner().invoke(import_module(f"zonebrain.cli.{module}").app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_cli_rank_uses_the_warehouse_zone(
    suzhou: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _cli(suzhou, tmp_path, monkeypatch, "opportunities_cmd", "rank", "--measure", "firms")
    assert "园区 Zone: 320571" in out and "没有代码以 32 开头" in out, out


def test_cli_rank_takes_a_zone_code_outside_the_division_table(
    luoyang: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _cli(luoyang, tmp_path, monkeypatch, "opportunities_cmd", "rank", "--zone-code", "410371")
    assert "园区 Zone: 410371" in out, out


def test_cli_candidates_use_the_warehouse_zone(
    suzhou: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("--class", "3976", "--keep-pipeline", "--as-of", AS_OF.isoformat())
    out = _cli(suzhou, tmp_path, monkeypatch, "targets_cmd", *args)
    assert "园区 zone 320571" in out, out
    mine = [line for line in out.splitlines() if "本省参考" in line]
    assert len(mine) == 2 and all("同省" in line for line in mine), out
