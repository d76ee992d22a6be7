"""QA: the monthly 经济运行分析 report's cover said 郑州高新区产业大脑 in a warehouse built for 洛阳高新区.
It now names the warehouse's zone (from the zone file when it is that zone's); --zone-name wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from tests.portrait._other_zone import zone_file
from zonebrain import kpi
from zonebrain.cli import _common
from zonebrain.cli.kpi_cmd import app
from zonebrain.registry import load_zone
from zonebrain.storage import Warehouse, open_warehouse

SUBTITLE = "产业大脑 · 经济运行与目标考核"


def _luoyang(kpi_file: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of the KPI warehouse whose parks (wutong, shifo) are 洛阳高新区's; its zone file."""
    zfile = zone_file(folder, "410371", park_ids=("wutong", "shifo"))
    path = folder / "wh.duckdb"
    shutil.copyfile(kpi_file, path)
    with open_warehouse(path) as wh:
        wh.replace("parks", load_zone(zfile).parks_table())
    return path, zfile


def _cover(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs[:3])


def test_report_names_the_warehouse_zone(kpi_file: Path, tmp_path: Path) -> None:
    path, _ = _luoyang(kpi_file, tmp_path)
    with open_warehouse(path) as wh:
        plain = kpi.build_report(wh, 2024, 6, tmp_path / "a.docx")
        named = kpi.build_report(wh, 2024, 6, tmp_path / "b.docx", zone_name="洛阳高新区")
    cover = _cover(plain)
    assert f"410371 园区{SUBTITLE}" in cover and "郑州" not in cover, cover
    assert f"洛阳高新区{SUBTITLE}" in _cover(named)


def test_report_of_zhengzhou_keeps_its_name(kwh: Warehouse, tmp_path: Path) -> None:
    out = kpi.build_report(kwh, 2024, 6, tmp_path / "z.docx")
    assert f"郑州高新区{SUBTITLE}" in _cover(out)


def test_cli_report_names_the_zone_from_its_zone_file(
    kpi_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, zfile = _luoyang(kpi_file, tmp_path)
    monkeypatch.setattr(_common.state, "warehouse", str(path))
    monkeypatch.setattr(_common.state, "zone_file", str(zfile))
    out = tmp_path / "r.docx"
    r = CliRunner().invoke(app, ["report", "--month", "2024-06", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert f"洛阳高新区{SUBTITLE}" in _cover(out) and "郑州" not in _cover(out)
    r = CliRunner().invoke(
        app, ["report", "--month", "2024-06", "--out", str(out), "--zone-name", "洛阳高新"]
    )
    assert r.exit_code == 0, r.output
    assert f"洛阳高新{SUBTITLE}" in _cover(out)


def test_cli_report_without_the_zone_file_says_so(
    kpi_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = _luoyang(kpi_file, tmp_path)
    monkeypatch.setattr(_common.state, "warehouse", str(path))
    monkeypatch.setattr(_common.state, "zone_file", None)
    monkeypatch.delenv("ZONEBRAIN_ZONE_FILE", raising=False)
    out = tmp_path / "r.docx"
    r = CliRunner().invoke(app, ["report", "--month", "2024-06", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "410371" in _cover(out) and "郑州" not in _cover(out)
    assert "--zone-file" in " ".join(r.output.split()), r.output
