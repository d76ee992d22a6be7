"""Deliberately bad enterprise rows, with a machine-readable list of what is wrong in each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from zonebrain.core.uscc import ALPHABET
from zonebrain.registry.formats import ENTERPRISES

from ._io import write_rows_csv

HEADERS = tuple(c.header for c in ENTERPRISES.columns)
EXPECTED_HEADERS = ("row", "column", "rule", "value")
RULES = {
    "check": "第18位校验码错误 / wrong check character (position 18)",
    "org_check": "第17位组织机构代码校验码错误 / wrong organisation-code check digit (position 17)",
    "length": "长度不是18位 / not 18 characters",
    "alphabet": "含字母 O、I 等不允许的字符 / contains a forbidden letter such as O or I",
    "duplicate": "与前面某行信用代码重复 / same USCC as an earlier row",
    "industry_unknown": "行业代码不在 GB/T 4754-2017 中 / not a GB/T 4754-2017 class",
    "industry_leading_zero": "行业代码丢失前导零 / leading zero lost (610 for 0610)",
    "park_unknown": "园区名称无法识别 / park not known",
    "not_a_number": "注册资本不是数字 / capital is not a number",
    "negative": "注册资本为负数 / negative capital",
    "impossible_date": "日期不存在 / date does not exist",
    "unit_mismatch": "注册资本(万元)列中写了元 / the 万元 column holds a value in 元",
    "required": "必填项为空 / required value missing",
}
"""Every rule token used in ``bad_rows_expected.csv``, with what it means."""

_COL = {h: i for i, h in enumerate(HEADERS)}
GBK_ROWS = 20


def _other_char(ch: str) -> str:
    return ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)]


def _set(col: str, value: str) -> Callable[[list[str]], list[str]]:
    def f(row: list[str]) -> list[str]:
        row = list(row)
        row[_COL[col]] = value
        return row

    return f


def write_bad_rows(
    path: Path, expected_path: Path, gbk_path: Path, valid: Sequence[Sequence[str]]
) -> dict[str, int]:
    """Write ``bad_rows.csv`` (UTF-8 with BOM), its expectations and ``bad_rows_gbk.csv``.

    *valid* are complete valid enterprise rows (text) not used elsewhere: the first ones
    are broken one rule at a time, the last :data:`GBK_ROWS` go to the GBK file untouched.
    """
    pool = [list(r) for r in valid]
    uscc_col = "统一社会信用代码"
    u = [r[0] for r in pool]
    cases: list[tuple[str, str, Callable[[list[str]], list[str]] | None]] = [
        ("", "", None),  # a valid row first
        (uscc_col, "check", _set(uscc_col, u[1][:17] + _other_char(u[1][17]))),
        (uscc_col, "org_check", _set(uscc_col, u[2][:16] + ("1" if u[2][16] != "1" else "2") + u[2][17])),
        (uscc_col, "length", _set(uscc_col, u[3][:17])),
        (uscc_col, "alphabet", _set(uscc_col, "9I" + u[4][2:])),
        (uscc_col, "alphabet", _set(uscc_col, u[5][:4] + "O" + u[5][5:])),
        (uscc_col, "duplicate", _set(uscc_col, u[0])),
        ("行业代码", "industry_unknown", _set("行业代码", "9999")),
        ("行业代码", "industry_leading_zero", _set("行业代码", "610")),
        ("所属园区", "park_unknown", _set("所属园区", "火星园区")),
        ("注册资本(万元)", "not_a_number", _set("注册资本(万元)", "一百万")),
        ("注册资本(万元)", "negative", _set("注册资本(万元)", "-50")),
        ("成立日期", "impossible_date", _set("成立日期", "2023-02-30")),
        ("注册资本(万元)", "unit_mismatch", _set("注册资本(万元)", "5000元")),
        ("企业名称", "required", _set("企业名称", "")),
        ("", "", None),  # and a valid row last
    ]
    if len(pool) < len(cases) + GBK_ROWS:
        raise ValueError("write_bad_rows: not enough spare valid rows")
    rows: list[list[str]] = []
    expected: list[list[str]] = []
    for k, (col, rule, breaker) in enumerate(cases):
        row = pool[k] if breaker is None else breaker(pool[k])
        rows.append(row)
        if rule:
            expected.append([str(k + 2), col, rule, row[_COL[col]]])
    write_rows_csv(path, HEADERS, rows, encoding="utf-8-sig")
    write_rows_csv(expected_path, EXPECTED_HEADERS, expected, encoding="utf-8")
    gbk = pool[-GBK_ROWS:]
    write_rows_csv(gbk_path, HEADERS, gbk, encoding="gbk")
    return {"bad_rows": len(rows), "bad_rows_expected": len(expected), "bad_rows_gbk": len(gbk)}
