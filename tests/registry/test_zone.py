from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.conftest import code, write_csv
from zonebrain.core.errors import InputError, ZoneFileError
from zonebrain.registry import import_file, load_zone
from zonebrain.storage import Warehouse


def test_builtin_zone_recognises_every_spelling() -> None:
    z = load_zone()
    assert z.zone.code == "410172"
    cases = {
        "梧桐": "wutong",
        "梧桐街道": "wutong",
        "梧桐园区": "wutong",
        "410172561": "wutong",
        "石佛": "shifo",
        "石佛镇": "shifo",
        "410172160": "shifo",
        "枫杨": "fengyang",
        "410172560": "fengyang",
        "双桥街道": "shuangqiao",
        "410172562": "shuangqiao",
        "沟赵乡": "gouzhao",
        "410172360": "gouzhao",
        " 梧桐 ": "wutong",
        "Wutong": "wutong",
    }
    for text, park in cases.items():
        found = z.resolve(text)
        assert found is not None and found.id == park, text
    assert z.resolve("火星") is None
    assert [p.is_park for p in z.parks].count(True) == 4


OTHER_ZONE = """\
zone:
  code: "320571"
  name_zh: 苏州工业园区
  short_name_zh: 苏州园区
  name_en: Suzhou Industrial Park
  prefecture_code: "320500"
parks:
  - id: hudong
    short_name: 湖东
    names: [湖东片区]
    name_en: Hudong
    division_code: "320571001"
"""


def test_another_zone_writes_its_own_file(tmp_path: Path, wh: Warehouse) -> None:
    zfile = tmp_path / "zone.yaml"
    zfile.write_text(OTHER_ZONE, encoding="utf-8")
    zone = load_zone(zfile)
    rows = [[code(1, "320571"), "苏州甲公司", "湖东片区", "6513", "10", "2020-01-01", "软件"]]
    r = import_file(wh, "enterprises", write_csv(tmp_path / "e.csv", rows), zone=zone)
    assert r.inserted == 1
    parks = wh.to_arrow(wh.table("parks")).to_pylist()
    assert [(p["park_id"], p["zone_code"]) for p in parks] == [("hudong", "320571")]
    # QA: the next import without the zone file (the built-in Zhengzhou zone) replaced these parks
    # with Zhengzhou's and filed a firm under 梧桐; it is refused, naming both zones, and changes nothing
    before = {t: wh.checksum(t) for t in ("parks", "enterprises")}
    zz = [[code(2, "410172"), "郑州乙公司", "梧桐", "6513", "10", "2020-01-01", "软件"]]
    with pytest.raises(InputError) as refused:
        import_file(wh, "enterprises", write_csv(tmp_path / "zz.csv", zz))
    assert "仓库已属于园区 320571 (园区: 湖东), 而本次的园区定义文件是 410172" in str(refused.value)
    assert {t: wh.checksum(t) for t in before} == before
    # the same zone's file with a park added is taken
    more = OTHER_ZONE + (
        '  - id: xinghu\n    short_name: 星湖\n    name_en: Xinghu\n    division_code: "320571002"\n'
    )
    zfile.write_text(more, encoding="utf-8")
    rows = [[code(3, "320571"), "苏州丙公司", "星湖", "6513", "10", "2020-01-01", "软件"]]
    assert (
        import_file(wh, "enterprises", write_csv(tmp_path / "x.csv", rows), zone=load_zone(zfile)).inserted
        == 1
    )
    assert sorted(p["park_id"] for p in wh.to_arrow(wh.table("parks")).to_pylist()) == ["hudong", "xinghu"]


def test_zone_file_errors_name_every_line(tmp_path: Path) -> None:
    bad = OTHER_ZONE.replace('division_code: "320571001"', 'division_code: "410172561"').replace(
        'prefecture_code: "320500"', 'prefecture_code: "3205"'
    )
    bad += "    colour: red\n"
    zfile = tmp_path / "zone.yaml"
    zfile.write_text(bad, encoding="utf-8")
    with pytest.raises(ZoneFileError) as info:
        load_zone(zfile)
    msg = str(info.value)
    assert f"{zfile}:6:" in msg and "prefecture_code" in msg
    assert f"{zfile}:13:" in msg and "colour" in msg


def test_ambiguous_park_names_are_refused(tmp_path: Path) -> None:
    text = (
        OTHER_ZONE
        + """\
  - id: huxi
    short_name: 湖西
    names: [湖东片区]
    name_en: Huxi
    division_code: "320571002"
"""
    )
    zfile = tmp_path / "zone.yaml"
    zfile.write_text(text, encoding="utf-8")
    with pytest.raises(ZoneFileError, match="湖东片区"):
        load_zone(zfile)


def test_yaml_syntax_error_gives_line(tmp_path: Path) -> None:
    zfile = tmp_path / "zone.yaml"
    zfile.write_text("zone:\n  code: [unclosed\n", encoding="utf-8")
    with pytest.raises(ZoneFileError, match="YAML"):
        load_zone(zfile)
