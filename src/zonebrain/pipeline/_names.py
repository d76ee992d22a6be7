"""Firm-name normalisation for duplicate-pursuit warnings when a project has no USCC yet."""

from __future__ import annotations

import re
import unicodedata

_PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
_CITIES = [
    "郑州",
    "开封",
    "洛阳",
    "平顶山",
    "安阳",
    "鹤壁",
    "新乡",
    "焦作",
    "濮阳",
    "许昌",
    "漯河",
    "三门峡",
    "南阳",
    "商丘",
    "信阳",
    "周口",
    "驻马店",
    "济源",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "武汉",
    "成都",
    "西安",
    "合肥",
    "长沙",
    "青岛",
    "厦门",
    "宁波",
    "无锡",
    "东莞",
    "佛山",
    "济南",
    "沈阳",
    "大连",
]
_DISTRICTS = ("郑州高新技术产业开发区", "郑州高新区", "高新技术产业开发区", "高新区", "中原区", "金水区")
_PREFIXES = sorted(
    [p + suffix for p in _PROVINCES for suffix in ("省", "市", "自治区", "")]
    + [c + suffix for c in _CITIES for suffix in ("市", "")]
    + list(_DISTRICTS),
    key=len,
    reverse=True,
)
_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "分公司",
        "总公司",
        "集团",
        "股份",
        "公司",
        "有限合伙",
        "合伙企业",
        "coltd",
        "co",
        "ltd",
        "limited",
        "inc",
        "corp",
        "corporation",
        "group",
        "company",
        "llc",
        "gmbh",
    ],
    key=len,
    reverse=True,
)
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NOISE = re.compile(r"[\s\.,·\-_'\"/&]+")


def normalise_name(name: str) -> str:
    """A key two spellings of one firm share: widths, case, brackets, region prefixes, legal forms.

    >>> normalise_name("郑州ＡＢＣ智能科技有限公司")
    'abc智能科技'
    >>> normalise_name("ABC智能科技（中国）股份有限公司") == normalise_name("河南省abc智能科技集团")
    True
    >>> normalise_name("Foo Tech Co., Ltd.")
    'footech'
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _BRACKETS.sub("", text)  # （中国）(郑州) after NFKC turned full-width brackets into ( )
    text = _NOISE.sub("", text)
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if text.startswith(p) and len(text) > len(p):
                text = text[len(p) :]
                changed = True
                break
        for s in _SUFFIXES:
            if text.endswith(s) and len(text) > len(s):
                text = text[: -len(s)]
                changed = True
                break
    return text or unicodedata.normalize("NFKC", name).casefold().strip()
