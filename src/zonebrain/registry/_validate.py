"""Validate a file's text columns into typed, warehouse-ready columns; collect every problem.

Each check is vectorised over the whole column; only rows that fail are looked at one by
one, to write their message. A row with any problem is rejected whole.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core import uscc as uscc_rules
from zonebrain.core.divisions import divisions
from zonebrain.core.errors import InputError
from zonebrain.core.industry import class_code, gbt4754
from zonebrain.core.money import parse_amount, parse_many
from zonebrain.registry._excel_values import scientific, scientific_problem, serial_problem
from zonebrain.registry._headers import Mapped
from zonebrain.registry._zone import Zone
from zonebrain.registry.formats import Column, FileFormat

_RULE_FIX = {
    "required": "必填项为空 (required value is empty); 请补全 / fill it in",
    "not_an_integer": (
        "应为非负整数 (must be a whole number); 请去掉小数或文字，千分位逗号须每三位一个，如 1,234 "
        "/ remove decimals and text; a thousands comma must group three digits, as in 1,234"
    ),
    "negative": "不能为负数 (must not be negative); 请核对数据 / check the figure",
    "bad_date": "日期无效 (not a valid date); 请写成 2024-06-30 / write it as 2024-06-30",
    "future_date": "日期晚于今天 (date is in the future); 请核对 / check it",
    "bad_year": "年度无效 (not a valid year); 请写4位年份, 如 2024 / write a 4-digit year",
    "bad_month": "月份无效 (not a valid month); 请写成 2024-06 / write it as 2024-06",
}


@dataclass
class Problems:
    """Problems found, column-wise: index into the file's data rows, header, value, rule, message."""

    index: list[int] = field(default_factory=list)
    column: list[str] = field(default_factory=list)
    value: list[str | None] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    message: list[str] = field(default_factory=list)

    def add(self, index: int, column: str, value: str | None, rule: str, message: str) -> None:
        self.index.append(index)
        self.column.append(column)
        self.value.append(value)
        self.rule.append(rule)
        self.message.append(message)

    def __len__(self) -> int:
        return len(self.index)


@dataclass
class Context:
    """What validation needs to know beyond the file."""

    zone: Zone
    known_keys: dict[str, pa.Array] = field(default_factory=dict)
    """For referential checks: ``{"enterprises": uscc array, ...}``."""
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Validated:
    typed: dict[str, pa.Array]
    """Warehouse columns for *all* rows (bad cells null); filter with ``~bad``."""
    bad: np.ndarray
    problems: Problems


def _half_width(text: pa.Array) -> pa.Array:
    """Full-width digits and signs (２０２４－０６－０１, ２５) as ASCII (NFKC), as amounts already read
    them (QA: ８００ was an amount, ２０２１ not a year and ２５ not a head count); other characters
    (年, 月, 日) are unchanged. Problems are still reported with the cell as written."""
    return pc.utf8_normalize(text, form="NFKC")


def _bad_indices(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask)


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


class _Checker:
    def __init__(self, raw: pa.Table, ctx: Context, problems: Problems) -> None:
        self.raw = raw
        self.ctx = ctx
        self.problems = problems
        self.n = raw.num_rows

    def report(self, mask: np.ndarray, m: Mapped, rule: str, message: Callable[[str | None], str]) -> None:
        self.report_each(mask, m, lambda v: (rule, message(v)))

    def report_each(
        self, mask: np.ndarray, m: Mapped, problem: Callable[[str | None], tuple[str, str]]
    ) -> None:
        """Report each masked cell with the (rule, message) *problem* gives for its value as written."""
        col = self.raw.column(m.header)
        for i in _bad_indices(mask):
            value = col[int(i)].as_py()
            rule, message = problem(value)
            self.problems.add(int(i), m.header, value, rule, message)

    # one method per column kind; each returns the typed array (nulls where bad)
    def uscc(self, m: Mapped, text: pa.Array) -> pa.Array:
        upper = pc.utf8_upper(text)
        present = _np_bool(pc.is_valid(upper))
        rules = uscc_rules.validate_many(upper)
        bad = (rules != 0) & present
        for i in _bad_indices(bad):
            value = text[int(i)].as_py()
            rule, message = _uscc_problem(upper[int(i)].as_py())
            self.problems.add(int(i), m.header, value, rule, message)
        return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), upper)

    def text(self, m: Mapped, text: pa.Array) -> pa.Array:
        return text

    def industry(self, m: Mapped, text: pa.Array) -> pa.Array:
        classes = pa.array([i.code for i in gbt4754().level("class")])
        bad = ~_np_bool(pc.is_in(text, value_set=classes)) & _np_bool(pc.is_valid(text))

        def message(value: str | None) -> str:
            assert value is not None
            try:
                code = class_code(value)  # a section, division or group code, or an unknown one
            except InputError as exc:
                return str(exc)
            # 'C3921': a class with its section letter, which registries do not store
            return f"行业代码 '{value}' 请写作 '{code}', 不带门类字母 (write '{code}', without the section letter)"

        self.report(bad, m, "unknown_industry", message)
        return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)

    def park(self, m: Mapped, text: pa.Array) -> pa.Array:
        zone = self.ctx.zone
        uniques = pc.unique(text).to_pylist()
        lookup = {u: (p.id if (p := zone.resolve(u)) else None) for u in uniques if u is not None}
        keys = pa.array(list(lookup))
        vals = pa.array(list(lookup.values()), pa.string())
        ids = pc.take(vals, pc.index_in(text, value_set=keys)) if len(keys) else pa.nulls(self.n, pa.string())
        bad = _np_bool(pc.is_valid(text)) & ~_np_bool(pc.is_valid(ids))
        self.report(
            bad,
            m,
            "unknown_park",
            lambda v: (
                f"园区 '{v}' 不属于{zone.zone.short_name_zh} (not a park of the zone); "
                f"可填 / use one of: {zone.spellings_hint()}，或在区域文件中添加 / or add it to the zone file"
            ),
        )
        return ids

    def division(self, m: Mapped, text: pa.Array) -> pa.Array:
        known = divisions()
        uniques = [u for u in pc.unique(text).to_pylist() if u is not None]
        ok = {
            u
            for u in uniques
            if u.isdigit() and len(u) in (6, 9) and (u in known or u[:4] + "00" in known or u[:6] in known)
        }
        bad = _np_bool(pc.is_valid(text)) & ~_np_bool(
            pc.is_in(text, value_set=pa.array(sorted(ok), pa.string()))
        )
        self.report(
            bad,
            m,
            "unknown_division",
            lambda v: (
                f"区划代码 '{v}' 无效 (not a known division code); 请填写6位县级以上统计用区划代码 "
                "/ write a 6-digit NBS division code"
            ),
        )
        return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)

    def money(self, m: Mapped, text: pa.Array) -> pa.Array:
        unit = m.unit or m.column.unit or "元"
        fen, slow = parse_many(text, unit)
        values = fen.to_pylist()
        bad = np.zeros(self.n, dtype=bool)
        for i in _bad_indices(slow):
            raw = text[int(i)].as_py()
            try:
                values[i] = parse_amount(raw, unit, strict_unit=True)
            except InputError as exc:
                notation = scientific_problem(raw, unit)
                msg = f"金额 {notation}" if notation else str(exc)
                rule = "scientific_notation" if notation else _money_rule(msg)
                self.problems.add(int(i), m.header, raw, rule, msg)
                values[i] = None
                bad[i] = True
        out = pa.array(values, pa.int64())
        if not m.column.signed:
            negative = _np_bool(pc.less(out, 0))
            self.report(negative, m, "negative", lambda v: f"金额 '{v}' {_RULE_FIX['negative']}")
            out = pc.if_else(pa.array(negative), pa.scalar(None, pa.int64()), out)
        return out

    def count(self, m: Mapped, text: pa.Array) -> pa.Array:
        text = _half_width(text)
        # a comma only as a thousands separator (1,234,567), the rule money follows too
        grouped = _np_bool(pc.match_substring_regex(text, r"^-?\d{1,3}(,\d{3})+$"))
        stripped = pc.if_else(pa.array(grouped), pc.replace_substring(text, ",", ""), text)
        pattern = r"^-?\d{1,18}$" if m.column.signed else r"^\d{1,18}$"
        ok = _np_bool(pc.match_substring_regex(stripped, pattern))
        present = _np_bool(pc.is_valid(text))
        negative = _np_bool(pc.match_substring_regex(stripped, r"^-\d+$")) & ~ok
        self.report(negative & present, m, "negative", lambda v: f"'{v}' {_RULE_FIX['negative']}")
        other = present & ~ok & ~negative
        self.report_each(other, m, _count_problem)
        good = pc.if_else(pa.array(ok), stripped, pa.scalar(None, pa.string()))
        return pc.cast(good, pa.int64())

    def _dates(self, m: Mapped, text: pa.Array, day: bool) -> pa.Array:
        text = _half_width(text)
        if day:
            patterns = (
                r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?(?:[ T]00:00:00)?$",
                r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
            )
            fmt, rule = "%Y-%m-%d", "bad_date"
        else:
            patterns = (r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?(?:[-/.]0?1)?$", r"^(?P<y>\d{4})(?P<m>\d{2})$")
            fmt, rule = "%Y-%m", "bad_month"
        # most files already write the canonical form; only the other rows go through the patterns
        canonical = _np_bool(
            pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$" if day else r"^\d{4}-\d{2}$")
        )
        norm = text
        if not canonical.all():
            others = text.filter(pa.array(~canonical))
            fixed = pa.nulls(len(others), pa.string())
            for pattern in patterns:
                parts = pc.extract_regex(others, pattern)
                pieces = [pc.struct_field(parts, "y"), pc.utf8_lpad(pc.struct_field(parts, "m"), 2, "0")]
                if day:
                    pieces.append(pc.utf8_lpad(pc.struct_field(parts, "d"), 2, "0"))
                fixed = pc.coalesce(fixed, pc.binary_join_element_wise(*pieces, "-"))
            norm = pc.replace_with_mask(text, pa.array(~canonical), fixed)
        parsed = pc.strptime(
            pc.binary_join_element_wise(norm, "" if day else "-01", ""),
            format="%Y-%m-%d",
            unit="s",
            error_is_null=True,
        )
        # round trip: Arrow rolls 2023-02-30 over to 2023-03-02; a date that does not print back is invalid
        back = pc.strftime(parsed, format=fmt)
        ok = _np_bool(pc.equal(back, norm))
        present = _np_bool(pc.is_valid(text))
        self.report_each(present & ~ok, m, lambda v: _date_problem(v, rule, day))
        dates = pc.cast(pc.if_else(pa.array(ok), parsed, pa.scalar(None, parsed.type)), pa.date32())
        future = _np_bool(pc.greater(dates, pa.scalar(self.ctx.today, pa.date32())))
        if m.column.future:
            future[:] = False
        early = _np_bool(pc.less(dates, pa.scalar(dt.date(1900, 1, 1), pa.date32())))
        self.report(future, m, "future_date", lambda v: f"'{v}' {_RULE_FIX['future_date']}")
        self.report(early, m, rule, lambda v: f"'{v}' 早于1900年 (before 1900); 请核对 / check it")
        return pc.if_else(pa.array(future | early), pa.scalar(None, pa.date32()), dates)

    def date(self, m: Mapped, text: pa.Array) -> pa.Array:
        return self._dates(m, text, day=True)

    def month(self, m: Mapped, text: pa.Array) -> pa.Array:
        return self._dates(m, text, day=False)

    def year(self, m: Mapped, text: pa.Array) -> pa.Array:
        text = _half_width(text)  # ２０２４ and 2024年 read as 2024, as money reads full-width digits
        digits = pc.replace_substring_regex(text, r"^(\d{4})\s*年(度)?$", r"\1")
        ok = _np_bool(pc.match_substring_regex(digits, r"^\d{4}$"))
        years = pc.cast(pc.if_else(pa.array(ok), digits, pa.scalar(None, pa.string())), pa.int32())
        in_range = _np_bool(pc.and_(pc.greater_equal(years, 1949), pc.less_equal(years, self.ctx.today.year)))
        present = _np_bool(pc.is_valid(text))
        self.report(present & ~in_range, m, "bad_year", lambda v: f"'{v}' {_RULE_FIX['bad_year']}")
        return pc.if_else(pa.array(in_range), years, pa.scalar(None, pa.int32()))

    def choice(self, m: Mapped, text: pa.Array) -> pa.Array:
        allowed = pa.array(list(m.column.choices), pa.string())
        bad = _np_bool(pc.is_valid(text)) & ~_np_bool(pc.is_in(text, value_set=allowed))
        self.report(
            bad,
            m,
            "bad_choice",
            lambda v: (
                f"'{v}' 不是可选值 (not an allowed value); 可选 / allowed: {'、'.join(m.column.choices)}"
            ),
        )
        return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)


def _count_problem(value: str | None) -> tuple[str, str]:
    """(rule, message) for a count that is not a whole number: scientific notation named as such."""
    notation = scientific_problem(value or "")
    if notation:
        return "scientific_notation", notation
    return "not_an_integer", f"'{value}' {_RULE_FIX['not_an_integer']}"


def _date_problem(value: str | None, rule: str, day: bool) -> tuple[str, str]:
    """(rule, message) for a date or month that does not parse: an Excel date serial named as such."""
    serial = serial_problem(value or "", day)
    if serial:
        return "date_serial", serial
    return rule, f"'{value}' {_RULE_FIX[rule]}"


def _uscc_problem(code: str) -> tuple[str, str]:
    """(rule, message) for a USCC that fails; the rule is the one the message explains."""
    if scientific(code) is not None:  # a code Excel turned into a number: 9.14101726990786E+17
        return "uscc_number", (
            f"统一社会信用代码 '{code}' 被 Excel 存成了数字，末几位已丢失 (the code was stored as a number "
            "and lost its last digits); 请把该列设为'文本'格式后重新录入代码 "
            "/ set the column's format to Text and type the codes again"
        )
    wide = sorted({c for c in code if unicodedata.normalize("NFKC", c) != c})
    if wide:
        return "uscc_fullwidth", (
            f"统一社会信用代码 '{code}' 含全角字符 {''.join(wide)!r} (full-width characters); "
            "请切换到半角（英文）输入法重新输入 / retype it in half-width characters"
        )
    broken = uscc_rules.broken_rule(code)
    if broken is None:  # pragma: no cover - validate_many and broken_rule agree on every code seen
        return (
            "uscc_alphabet",
            f"统一社会信用代码 '{code}' 无效 (not a valid USCC); 请核对原始证照 / check the licence",
        )
    return f"uscc_{broken[0]}", uscc_rules.describe_problem(code)


def _money_rule(message: str) -> str:
    """The rule a money error breaks, from the message ``core.money`` wrote (checked in this order)."""
    if "超出可存储范围" in message:
        return "out_of_range"
    if "分以下" in message:
        return "finer_than_fen"
    if "单位" in message:
        return "unit_mismatch"
    return "not_a_number"


def _constant(message: str) -> Callable[[str | None], str]:
    return lambda _value: message


_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""Invisible control characters (tab, line feed and carriage return are allowed)."""


def _yes_no(col: Column) -> bool:
    return col.kind == "choice" and {"是", "否"} <= set(col.choices)


def _check_cells(
    raw: pa.Table, mapped: list[Mapped], checker: _Checker, booleans: dict[str, list[int]]
) -> dict[str, pa.Array]:
    """Problems any cell can have whatever its column: TRUE/FALSE cells, control characters.

    Returns the text to validate per header (a yes/no column reads TRUE/FALSE as 是/否).
    """
    texts: dict[str, pa.Array] = {}
    for m in mapped:
        text = raw.column(m.header).combine_chunks()
        flagged = booleans.get(m.header, [])
        if flagged and _yes_no(m.column):
            text = pc.replace_substring_regex(
                pc.replace_substring_regex(text, "^TRUE$", "是"), "^FALSE$", "否"
            )
        elif flagged:
            mask = np.zeros(raw.num_rows, dtype=bool)
            mask[np.asarray(flagged, dtype=np.int64)] = True
            checker.report(
                mask,
                m,
                "boolean_cell",
                lambda v: (
                    f"单元格是逻辑值 {v} 而不是文本 (a TRUE/FALSE cell, not text); 该列不是'是/否'列，"
                    "请把单元格设为文本格式并填写实际内容 / set the cell to Text and type the real value"
                ),
            )
        if m.column.kind != "text":  # every other kind parses its cells strictly and refuses one
            texts[m.header] = text
            continue
        control = _np_bool(pc.match_substring_regex(text, _CONTROL))
        checker.report(
            control,
            m,
            "control_char",
            lambda v: (
                "含不可见的控制字符 "
                + ", ".join(sorted({f"\\x{ord(c):02x}" for c in re.findall(_CONTROL, v or "")}))
                + " (an invisible control character, often pasted from a web page or another system); "
                "请删除该字符后重新导入 / delete it and import again"
            ),
        )
        texts[m.header] = text
    return texts


def validate(
    raw: pa.Table,
    mapped: list[Mapped],
    fmt: FileFormat,
    ctx: Context,
    row_numbers: np.ndarray,
    *,
    booleans: dict[str, list[int]] | None = None,
) -> Validated:
    """Check every mapped column of *raw* against *fmt*; return typed columns and problems.

    *booleans* names the cells that were TRUE/FALSE cells in a workbook (header → row indices).
    """
    problems = Problems()
    checker = _Checker(raw, ctx, problems)
    typed: dict[str, pa.Array] = {}
    texts = _check_cells(raw, mapped, checker, booleans or {})
    for m in mapped:
        text = texts[m.header]
        col: Column = m.column
        if col.required:
            missing = ~_np_bool(pc.is_valid(text))
            checker.report(missing, m, "required", _constant(f"'{col.header}' {_RULE_FIX['required']}"))
        typed[col.target] = getattr(checker, col.kind)(m, text)
    _check_date_order(typed, mapped, checker)
    _check_duplicates(typed, fmt, raw, mapped, problems, row_numbers)
    _check_references(typed, fmt, raw, mapped, ctx, problems)
    bad = np.zeros(raw.num_rows, dtype=bool)
    if len(problems):
        bad[np.asarray(problems.index, dtype=np.int64)] = True
    return Validated(typed, bad, problems)


def _check_date_order(typed: dict[str, pa.Array], mapped: list[Mapped], checker: _Checker) -> None:
    """A date that must not precede another (有效期至 ≥ 认定日期): name both in the message."""
    by_target = {m.column.target: m for m in mapped}
    for m in mapped:
        first = by_target.get(m.column.after or "")
        if first is None:
            continue
        early = _np_bool(pc.less(typed[m.column.target], typed[first.column.target]))
        other = checker.raw.column(first.header)
        for i in _bad_indices(early):
            value = checker.raw.column(m.header)[int(i)].as_py()
            checker.problems.add(
                int(i),
                m.header,
                value,
                "date_order",
                f"'{m.header}' {value} 早于 '{first.header}' {other[int(i)].as_py()} "
                f"({m.header} is before {first.header}); 请核对两个日期 / check both dates",
            )


def _check_duplicates(
    typed: dict[str, pa.Array],
    fmt: FileFormat,
    raw: pa.Table,
    mapped: list[Mapped],
    problems: Problems,
    row_numbers: np.ndarray,
) -> None:
    keys = [typed[k] for k in fmt.key if k in typed]
    if len(keys) != len(fmt.key):
        return
    joined = pc.binary_join_element_wise(*[pc.cast(k, pa.string()) for k in keys], "\x1f")
    present = _np_bool(pc.is_valid(joined))
    idx = np.flatnonzero(present)
    if not len(idx):
        return
    # hash the keys once (Arrow), then find repeats among the small integer codes
    codes = np.asarray(joined.filter(pa.array(present)).dictionary_encode().indices, dtype=np.int64)
    _, first, inverse, counts = np.unique(codes, return_index=True, return_inverse=True, return_counts=True)
    dup = counts[inverse] > 1
    is_first = np.zeros(len(idx), dtype=bool)
    is_first[first] = True
    header = next(m.header for m in mapped if m.column.target == fmt.key[0])
    key_names = "+".join(fmt.column(k).header for k in fmt.key)
    for j in np.flatnonzero(dup & ~is_first):
        i = int(idx[j])
        first_row = int(row_numbers[idx[first[inverse[j]]]])
        problems.add(
            i,
            header,
            raw.column(header)[i].as_py(),
            "duplicate_key",
            f"{key_names} 与第 {first_row} 行重复 (duplicates row {first_row}); 请合并或删除重复行 / merge or delete one",
        )


def _check_references(
    typed: dict[str, pa.Array],
    fmt: FileFormat,
    raw: pa.Table,
    mapped: list[Mapped],
    ctx: Context,
    problems: Problems,
) -> None:
    parent = fmt.parent
    if parent is None or "uscc" not in typed:
        return
    known = ctx.known_keys.get(parent, pa.array([], pa.string()))
    codes = typed["uscc"]
    unknown = _np_bool(pc.is_valid(codes)) & ~_np_bool(pc.is_in(codes, value_set=known))
    header = next(m.header for m in mapped if m.column.target == "uscc")
    where = "企业名录" if parent == "enterprises" else "参考企业库"
    for i in np.flatnonzero(unknown):
        problems.add(
            int(i),
            header,
            raw.column(header)[int(i)].as_py(),
            "unknown_enterprise",
            f"该企业不在{where}中 (not in the {parent} registry); 请先导入{where} / import the registry first",
        )
