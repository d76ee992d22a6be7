"""QA: the portrait report defaulted to 郑州高新区 (its cover) and to 郑州高新区's peers (郑州市, 河南省,
武汉市, 西安市, 合肥市) in a warehouse built for 洛阳高新区. Without options the report now takes the
warehouse's zone, named from the zone file when it is that zone's, and the zone's own city and
province as peers; an explicit --zone-name / --peer still wins."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from docx import Document
from typer.testing import CliRunner

from tests.portrait._other_zone import load_other_sample, other_zone, zone_file
from zonebrain.cli import _common, portrait_cmd, report_cmd
from zonebrain.core.errors import InputError
from zonebrain.portrait import default_peers, portrait_report
from zonebrain.portrait._diagnosis import zone_code
from zonebrain.portrait._report import DEFAULT_PEERS
from zonebrain.registry import load_zone
from zonebrain.storage import Warehouse, open_warehouse


@pytest.fixture
def luoyang(wh: Warehouse, tmp_path: Path) -> Warehouse:
    return load_other_sample(wh, other_zone(tmp_path, "410371"))


def test_default_peers_are_the_zone_city_and_province() -> None:
    assert default_peers("410371") == ("410300", "410000")  # 洛阳市, 河南省
    assert default_peers("320571") == ("320500", "320000")  # 苏州市, 江苏省
    assert default_peers("110108") == ("110100",)  # 北京市 once: the municipality is its own province
    assert default_peers("410172") == DEFAULT_PEERS  # 郑州高新区 keeps its chosen peers
    assert default_peers("990001") == ()  # a city the division table does not know: no peers


def test_zone_code_is_the_warehouse_zone(luoyang: Warehouse, wh: Warehouse) -> None:
    assert zone_code(luoyang) == "410371"
    parks = wh.table("parks")
    rows = wh.to_arrow(parks).to_pylist()
    extra = dict(rows[0], park_id="gamma", division_code="410172561", zone_code="410172")
    wh.replace("parks", pa.Table.from_pylist([*rows, extra], schema=wh.to_arrow(parks).schema))
    with pytest.raises(InputError, match="410172、410371"):
        zone_code(wh)  # a warehouse holds one zone: two are refused, not the first taken
    wh.replace("parks", wh.to_arrow(parks).slice(0, 0))
    assert zone_code(wh) == load_zone().zone.code  # no zone loaded at all: the built-in one


def _cover(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs[:3])


def _peers(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path.with_suffix(".xlsx"))["对标"]
    return [str(row[0]) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_report_defaults_to_the_warehouse_zone(luoyang: Warehouse, tmp_path: Path) -> None:
    files = portrait_report(luoyang, tmp_path / "r.docx")
    cover = _cover(files.docx)
    assert "郑州" not in cover and "410371" in cover, cover  # no zone file given here: named by its code
    assert _peers(files.docx)[1:] == ["410300", "410000"]
    named = portrait_report(luoyang, tmp_path / "n.docx", zone_name="洛阳高新区", peers=["420100"])
    assert "洛阳高新区" in _cover(named.docx) and _peers(named.docx)[1:] == ["420100"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with open_warehouse(tmp_path / "warehouse.duckdb") as wh:
        wh.migrate()
        load_other_sample(wh, other_zone(tmp_path, "410371"))
    monkeypatch.setenv("ZONEBRAIN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ZONEBRAIN_WAREHOUSE", raising=False)
    monkeypatch.delenv("ZONEBRAIN_ZONE_FILE", raising=False)
    monkeypatch.setattr(_common.state, "zone_file", None)
    monkeypatch.setattr(_common.state, "warehouse", None)
    monkeypatch.setattr(_common.state, "data_dir", None)
    return tmp_path


def test_report_command_names_the_zone_from_its_zone_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = CliRunner().invoke
    monkeypatch.setattr(_common.state, "zone_file", str(zone_file(data_dir, "410371")))
    out = data_dir / "报告.docx"
    r = run(report_cmd.app, ["portrait", "--out", str(out)])
    assert r.exit_code == 0, r.output
    cover = _cover(out)
    assert "洛阳高新区" in cover and "郑州" not in cover, cover
    assert _peers(out)[1:] == ["410300", "410000"]
    r = run(
        report_cmd.app, ["portrait", "--out", str(out), "--zone-name", "洛阳市高新区", "--peer", "410100"]
    )
    assert r.exit_code == 0, r.output
    assert "洛阳市高新区" in _cover(out) and _peers(out)[1:] == ["410100"]


def test_report_command_without_the_zone_file_says_so(data_dir: Path) -> None:
    out = data_dir / "报告.docx"
    r = CliRunner().invoke(report_cmd.app, ["portrait", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "410371" in _cover(out) and "郑州" not in _cover(out)
    words = " ".join(r.output.split())
    assert "--zone-file" in words and "410371" in words and "410172" in words, r.output


def test_benchmark_command_defaults_to_the_zone_peers(data_dir: Path) -> None:
    r = CliRunner().invoke(portrait_cmd.app, ["benchmark", "--out", str(data_dir / "b.json")])
    assert r.exit_code == 0, r.output
    text = (data_dir / "b.json").read_text(encoding="utf-8")
    assert "洛阳市" in text and "河南省" in text and "武汉市" not in text, text
