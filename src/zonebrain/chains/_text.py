"""Text preparation for 经营范围: normalisation, boilerplate removal, items, jieba segmentation."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

# Registration boilerplate: a clause containing one of these says nothing about the business.
_BOILERPLATE = (
    "依法须经批准",
    "经相关部门批准",
    "批准后方可",
    "凭营业执照",
    "许可证件为准",
    "批准文件",
    "审批结果为准",
    "不得经营",
    "未获审批",
    "自主开展经营",
    "自主选择经营",
    "禁止和限制",
    "禁止类",
    "限制类",
    "方可经营",
    "取得许可",
)
# Parentheticals with these words are legal qualifications ("(不含危险化学品)"), not business.
_QUALIFIERS = (
    "不含",
    "除",
    "依法",
    "批准",
    "许可",
    "仅限",
    "涉及",
    "须",
    "需",
    "凭",
    "限分支",
    "外)",
    "以外",
)

# Words that, on their own, describe no industry (the generic verbs and boilerplate of scopes).
GENERIC_WORDS = (
    "一般项目",
    "许可项目",
    "一般经营项目",
    "许可经营项目",
    "经营范围",
    "技术服务",
    "技术开发",
    "技术咨询",
    "技术交流",
    "技术转让",
    "技术推广",
    "信息咨询服务",
    "信息咨询",
    "咨询服务",
    "货物进出口",
    "技术进出口",
    "进出口代理",
    "进出口业务",
    "进出口",
    "企业管理咨询",
    "企业管理",
    "市场营销策划",
    "会议及展览服务",
    "技术",
    "服务",
    "开发",
    "咨询",
    "交流",
    "转让",
    "推广",
    "研发",
    "研究",
    "生产",
    "销售",
    "加工",
    "制造",
    "安装",
    "维修",
    "维护",
    "批发",
    "零售",
    "相关",
    "产品",
    "设计",
    "信息",
    "货物",
    "代理",
    "经营",
    "从事",
    "其他",
    "上述",
    "配套",
    "业务",
    "各类",
    "以及",
    "领域",
    "项目",
    "提供",
    "及其",
    "及",
    "和",
    "与",
    "的",
    "等",
    "内",
    "在",
    "为",
    "并",
    "含",
    "兼营",
    "主营",
    "自营",
    "代理各类商品",
    "调试",
    "检测",
    "测试",
    "租赁",
    "施工",
    "运营",
    "管理",
)
_GENERIC_RE = re.compile("|".join(sorted(map(re.escape, GENERIC_WORDS), key=len, reverse=True)))
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_ITEM_SPLIT = re.compile(r"[;。\n\r\t]+|,|:|!|\?|\s{2,}")
_SUB_SPLIT = re.compile(r"[、/|]+")
_ASCII_WORD = re.compile(r"[a-z0-9]")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower-case Latin letters, unify brackets and quotes."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    text = text.replace("“", "").replace("”", "").replace('"', "").replace("'", "")
    return text.lower()


def _strip_qualifiers(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        inner = match.group(1)
        return "" if any(q in inner for q in _QUALIFIERS) else inner

    for _ in range(3):  # nested parentheses
        new = _PAREN_RE.sub(repl, text)
        if new == text:
            break
        text = new
    return text.replace("(", "").replace(")", "")


@dataclass(frozen=True, slots=True)
class Item:
    """One business item of a scope (between ; , or :), split into sub-clauses at 、."""

    text: str
    parts: tuple[str, ...]
    substantive: tuple[bool, ...]


def is_generic(clause: str) -> bool:
    """True when *clause* only contains generic words (技术开发, 销售, ...)."""
    rest = _GENERIC_RE.sub("", clause)
    rest = re.sub(r"[\s\-_.·•…~0-9]+", "", rest)
    return len(rest) < 2


def split_items(text: str) -> list[Item]:
    """Normalise, drop boilerplate, and split a scope into items and sub-clauses."""
    norm = _strip_qualifiers(normalise(text))
    items: list[Item] = []
    for raw in _ITEM_SPLIT.split(norm):
        chunk = raw.strip(" .·")
        if not chunk or any(b in chunk for b in _BOILERPLATE):
            continue
        parts = tuple(p.strip() for p in _SUB_SPLIT.split(chunk) if p.strip())
        if not parts:
            continue
        items.append(Item(chunk, parts, tuple(not is_generic(p) for p in parts)))
    return items


def ascii_boundary_ok(text: str, start: int, end: int) -> bool:
    """An all-Latin term must not be glued to other Latin letters or digits ('ai' inside 'mail')."""
    if start > 0 and _ASCII_WORD.match(text[start - 1]):
        return False
    return not (end < len(text) and _ASCII_WORD.match(text[end]))


@cache
def _jieba() -> Any:
    """Import jieba once, silencing its import-time warnings (pkg_resources, invalid escapes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


class Segmenter:
    """A private jieba tokenizer (the global one is left alone) with a domain dictionary."""

    def __init__(self, words: tuple[str, ...]) -> None:
        jieba = _jieba()
        self._tok = jieba.Tokenizer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", ResourceWarning)
            self._tok.initialize()
        for w in words:
            # A high frequency keeps domain words whole ("MEMS传感器", "等保测评").
            if len(w) >= 2 and " " not in w:
                self._tok.add_word(w, freq=200_000 + 1_000 * len(w))
        self._cache: dict[str, tuple[str, ...]] = {}

    def cut(self, text: str) -> tuple[str, ...]:
        hit = self._cache.get(text)
        if hit is None:
            hit = tuple(t for t in self._tok.lcut(text, HMM=False) if t.strip())
            if len(self._cache) < 200_000:
                self._cache[text] = hit
        return hit


@cache
def segmenter(words: tuple[str, ...]) -> Segmenter:
    """Cached segmenter for one domain dictionary (built once per process and word list)."""
    return Segmenter(words)
