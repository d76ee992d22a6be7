"""The packaged 行政区划代码 (NBS 统计用区划代码 2023)."""

from __future__ import annotations

import re
from collections import Counter
from importlib import resources

import pytest

from zonebrain.core.divisions import Division, divisions
from zonebrain.core.errors import CodeError

# 341 prefecture-level rows = 333 prefecture-level divisions (293 地级市 + 7 地区 + 30 自治州 + 3 盟)
# + 4 municipalities (110100, 120100, 310100, 500100) + 3 for 台湾/香港/澳门 (710100, 810100, 820100)
# + 济源市 (419001, a province-administered county-level city carried at prefecture level).
PREFECTURE_ROWS = 341

HENAN_PREFECTURES = {
    "410100": "郑州市",
    "410200": "开封市",
    "410300": "洛阳市",
    "410400": "平顶山市",
    "410500": "安阳市",
    "410600": "鹤壁市",
    "410700": "新乡市",
    "410800": "焦作市",
    "410900": "濮阳市",
    "411000": "许昌市",
    "411100": "漯河市",
    "411200": "三门峡市",
    "411300": "南阳市",
    "411400": "商丘市",
    "411500": "信阳市",
    "411600": "周口市",
    "411700": "驻马店市",
    "419001": "济源市",
}

ZHENGZHOU_COUNTIES = {
    "410102": "中原区",
    "410103": "二七区",
    "410104": "管城回族区",
    "410105": "金水区",
    "410106": "上街区",
    "410108": "惠济区",
    "410122": "中牟县",
    "410171": "郑州经济技术开发区",
    "410172": "郑州高新技术产业开发区",
    "410173": "郑州航空港经济综合实验区",
    "410181": "巩义市",
    "410182": "荥阳市",
    "410183": "新密市",
    "410184": "新郑市",
    "410185": "登封市",
}

HIGH_TECH_ZONE = [
    Division("410172", "郑州高新技术产业开发区", "county"),
    Division("410172160", "石佛镇", "township"),
    Division("410172360", "沟赵乡", "township"),
    Division("410172560", "枫杨街道", "township"),
    Division("410172561", "梧桐街道", "township"),
    Division("410172562", "双桥街道", "township"),
]


def test_levels_are_known() -> None:
    assert {d.level for d in divisions()} == {"province", "prefecture", "county", "township"}


def test_exactly_34_provinces() -> None:
    provinces = divisions().provinces()
    assert len(provinces) == 34
    assert all(re.fullmatch(r"\d{2}0000", p.code) for p in provinces)
    names = {p.name for p in provinces}
    assert {"北京市", "新疆维吾尔自治区", "台湾省", "香港特别行政区", "澳门特别行政区"} <= names


def test_codes_unique_and_well_formed() -> None:
    reg = divisions()
    codes = [d.code for d in reg]
    assert len(codes) == len(set(codes)) == len(reg)
    assert all(re.fullmatch(r"\d{6}|\d{9}", c) for c in codes)
    assert all(len(d.code) == (9 if d.level == "township" else 6) for d in reg)
    assert all(d.name and d.name == d.name.strip() for d in reg)


def test_data_file_has_no_duplicate_codes() -> None:
    # The registry is a dict, so duplicates in the file would be silently collapsed.
    text = resources.files("zonebrain.core").joinpath("data/divisions.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert all(len(row) == 3 for row in rows)
    assert [c for c, n in Counter(row[0] for row in rows).items() if n > 1] == []


def test_prefecture_count() -> None:
    assert len(divisions().prefectures()) == PREFECTURE_ROWS


def test_every_prefecture_belongs_to_a_carried_province() -> None:
    province_prefixes = {p.code[:2] for p in divisions().provinces()}
    for pref in divisions().prefectures():
        assert pref.code[:2] in province_prefixes, pref
        assert pref.code.endswith("00") or pref.code == "419001", pref


def test_every_province_has_a_prefecture() -> None:
    reg = divisions()
    for prov in reg.provinces():
        assert reg.prefectures(prov.code), prov
        assert reg.prefectures(prov.code[:2]) == reg.prefectures(prov.code)


def test_henan_prefectures_exact() -> None:
    got = {d.code: d.name for d in divisions().prefectures("41")}
    assert got == HENAN_PREFECTURES


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("110100", "北京市"),
        ("310100", "上海市"),
        ("500100", "重庆市"),
        ("130100", "石家庄市"),
        ("210200", "大连市"),
        ("230100", "哈尔滨市"),
        ("320500", "苏州市"),
        ("330100", "杭州市"),
        ("350200", "厦门市"),
        ("370200", "青岛市"),
        ("420100", "武汉市"),
        ("420600", "襄阳市"),
        ("440100", "广州市"),
        ("440300", "深圳市"),
        ("441900", "东莞市"),
        ("460300", "三沙市"),
        ("460400", "儋州市"),
        ("510100", "成都市"),
        ("610100", "西安市"),
        ("652900", "阿克苏地区"),
        ("654000", "伊犁哈萨克自治州"),
        ("152900", "阿拉善盟"),
        ("222400", "延边朝鲜族自治州"),
        ("232700", "大兴安岭地区"),
    ],
)
def test_well_known_prefectures(code: str, name: str) -> None:
    d = divisions().get(code)
    assert (d.name, d.level) == (name, "prefecture")


def test_municipality_and_sar_rows_have_no_extra_prefectures() -> None:
    reg = divisions()
    assert "500200" not in reg  # 重庆's 县 group is not a prefecture
    for prov in ("110000", "120000", "310000", "500000", "710000", "810000", "820000"):
        (only,) = reg.prefectures(prov)
        assert only.code == prov[:2] + "0100"
        assert only.name == reg.get(prov).name


def test_zhengzhou_counties_exact() -> None:
    got = {d.code: d.name for d in divisions().of_level("county") if d.code.startswith("4101")}
    assert got == ZHENGZHOU_COUNTIES


def test_high_tech_zone_units_exact() -> None:
    got = sorted((d for d in divisions() if d.code.startswith("410172")), key=lambda d: d.code)
    assert got == HIGH_TECH_ZONE
    assert [d.code for d in divisions().of_level("township")] == [d.code for d in HIGH_TECH_ZONE[1:]]


def test_province_and_prefecture_of_township() -> None:
    reg = divisions()
    assert reg.prefecture_of("410172561").name == "郑州市"
    assert reg.province_of("410172561").name == "河南省"
    assert reg.prefecture_of("410172").code == "410100"
    assert reg.prefecture_of("110101").name == "北京市"


def test_jiyuan_is_its_own_prefecture() -> None:
    reg = divisions()
    assert reg.prefecture_of("419001").name == "济源市"
    assert reg.prefecture_of("419001001").name == "济源市"
    assert reg.province_of("419001").name == "河南省"


@pytest.mark.parametrize("code", ["999999", "410199", "410172999", "abc"])
def test_unknown_code_raises_code_error(code: str) -> None:
    with pytest.raises(CodeError, match=re.escape(code)):
        divisions().get(code)


def test_unknown_parent_error_names_the_asked_code() -> None:
    with pytest.raises(CodeError, match="999901"):
        divisions().prefecture_of("999901")
    with pytest.raises(CodeError, match="990101"):
        divisions().province_of("990101")
