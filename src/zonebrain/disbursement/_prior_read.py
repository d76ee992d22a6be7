"""Reading a file of payments made before ZoneBrain (往年已兑现导入): its columns, its cells, and
each row's award in the policy library.

The file is read as the registry's imports read theirs (``zonebrain.registry``): .xlsx or .csv
(UTF-8, GBK …) as text, headers matched with their aliases, the amount's unit taken from its header
(``兑现金额(元)``, ``兑现金额(万元)``) and a header without one refused (元 and 万元 differ 10,000-fold:
the unit is never guessed), every cell checked (USCC per GB 32100, amounts exactly in fen, dates,
years), each problem kept with its row, column and value as written. Then each row's policy and
clause are found in the library: the policy by its id, 文号 or name, the clause by its id or 条款
reference (第一条第一款, or 第1条第1款), each only when it names one; the ledger period follows
(``ledger_period``: the year, or ``once`` for a one-time award). Two rows of one award (the same
ledger key) are one payment too many.

Nothing is coerced: a row with any problem is rejected whole, and the import writes nothing while
any row is (:mod:`._prior`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from zonebrain import policy
from zonebrain.core.errors import InputError
from zonebrain.policy._library import ledger_period
from zonebrain.registry import load_zone, read_table_file
from zonebrain.registry._headers import Mapped, map_headers
from zonebrain.registry._read import RawFile
from zonebrain.registry._validate import Context, Problems, validate
from zonebrain.registry.formats import USCC, Column, FileFormat

Key = tuple[str, str, str, str]

PRIOR_FORMAT = FileFormat(
    "prior_payments",
    "payment_ledger",
    ("uscc", "policy", "clause", "year"),
    (
        USCC,
        Column(
            "政策", "policy", "text", True, en="policy: its id, 文号 or name",
            aliases=("政策代码", "政策名称", "政策文号", "政策文件", "policy", "policy_id"),
        ),
        Column(
            "条款", "clause", "text", True, en="clause: its id or 条款 reference (第一条第一款)",
            aliases=("条款代码", "条款号", "clause", "clause_id"),
        ),
        Column(
            "年度", "year", "year", True, en="the award's period (year)",
            aliases=("奖励年度", "考核年度", "所属年度", "year", "period"),
        ),
        Column(
            "兑现金额(元)", "amount_fen", "money", True, unit="元", en="amount paid",
            aliases=("金额(元)", "奖励金额(元)", "支付金额(元)", "amount"),
        ),
        Column(
            "兑现日期", "paid_on", "date", True, en="payment date",
            aliases=("支付日期", "拨付日期", "到账日期", "paid_on"),
        ),
        Column(
            "凭证号", "reference", "text", True, en="reference: 文号, 批次 or 凭证号",
            aliases=("文号", "兑现文号", "批次", "兑现批次", "批次号", "凭证", "reference"),
        ),
        Column("企业名称", "enterprise_name", "text", False, aliases=("企业", "name"), en="enterprise name"),
    ),
    title_zh="往年已兑现导入",
)  # fmt: skip
"""The columns of a file of payments made before ZoneBrain (``*`` required: all but 企业名称)."""
MAX_NAME = 256
"""The longest enterprise name stored (the ledger's column)."""


@dataclass(frozen=True)
class PriorRow:
    """One row of the file that passed every check of the file itself."""

    index: int
    """Its index among the file's data rows."""
    line: int
    """Its row number as the user sees it (Excel's, or the CSV's record number)."""
    uscc: str
    policy_id: str
    clause_id: str
    period: str
    """The ledger period: the year, or ``once`` for a one-time award."""
    year: int
    amount_fen: int
    paid_on: dt.date
    reference: str
    enterprise_name: str

    @property
    def key(self) -> Key:
        return (self.uscc, self.policy_id, self.clause_id, self.period)


@dataclass
class PriorFile:
    """A file read and checked: its good rows and every problem (with the report's inputs)."""

    path: Path
    sha256: str
    raw: RawFile
    mapped: list[Mapped]
    unused: list[str]
    rows: list[PriorRow]
    problems: Problems
    warnings: list[str] = field(default_factory=list)

    def header(self, target: str) -> str:
        """The file's header of the format column *target* (as the user wrote it)."""
        return next(m.header for m in self.mapped if m.column.target == target)

    def unit(self) -> str:
        """The unit the file's amounts are written in (from their header)."""
        m = next(m for m in self.mapped if m.column.target == "amount_fen")
        return m.unit or "元"

    def cell(self, index: int, target: str) -> str | None:
        """The cell of data row *index* in the column of *target*, as written."""
        value = self.raw.table.column(self.header(target))[index].as_py()
        return None if value is None else str(value)

    def add(self, index: int, target: str, rule: str, message: str) -> None:
        """A problem with a cell of *target*, found after reading (the library, the ledger)."""
        self.problems.add(index, self.header(target), self.cell(index, target), rule, message)

    def rejected(self) -> int:
        """Rows rejected: those with a problem, and those that could not be split into columns."""
        return len(set(self.problems.index)) + len(self.raw.bad_rows)

    def good(self) -> list[PriorRow]:
        """The rows with no problem (after every check so far)."""
        bad = set(self.problems.index)
        return [r for r in self.rows if r.index not in bad]


def read_prior(
    path: Path | str, *, sheet: str | None = None, lib: policy.Library | None = None, today: dt.date
) -> PriorFile:
    """Read and check *path* (.xlsx or .csv) against :data:`PRIOR_FORMAT` and the policy library
    *lib* (default: the built-in one). A file that cannot be read as a whole (missing columns, an
    amount header without its unit, headers only) raises an :class:`~zonebrain.core.errors.InputError`
    naming the file; problems of rows are collected in :attr:`PriorFile.problems`, every one a row
    has (its award is looked up whenever its policy, clause and year cells are sound)."""
    path = Path(path)
    lib = lib or policy.load_library()
    raw = read_table_file(path, sheet)
    if raw.table.num_rows == 0 and not raw.bad_rows:
        where = f" (工作表 {raw.sheet})" if raw.sheet else ""
        raise InputError(
            f"{path}{where}: 只有表头, 没有数据行 (headers only, no data rows); 请确认导出的是正确的文件或"
            "工作表 / check that the right file or sheet was exported"
        )
    numbers = raw.row_numbers()
    mapped, unused = map_headers(raw.table.column_names, PRIOR_FORMAT, {}, path)
    checked = validate(raw.table, mapped, PRIOR_FORMAT, Context(load_zone(), today=today), numbers)
    f = PriorFile(
        path, hashlib.sha256(path.read_bytes()).hexdigest(), raw, mapped, unused, [], checked.problems,
        list(raw.warnings),
    )  # fmt: skip
    n = raw.table.num_rows
    typed = {k: v.to_pylist() for k, v in checked.typed.items()}
    names = typed.get("enterprise_name") or [None] * n
    unsound = {(i, c) for i, c in zip(checked.problems.index, checked.problems.column, strict=True)}
    looked_up = [f.header(x) for x in ("policy", "clause", "year")]
    seen: dict[tuple[str, str], Found] = {}
    awards = {
        i: _award(f, i, int(typed["year"][i]), lib, seen)
        for i in range(n)
        if not any((i, h) in unsound for h in looked_up)
    }
    _check_cells(f, typed, names)
    bad = set(f.problems.index)
    for i in range(n):
        award = awards.get(i)
        if i in bad or award is None:
            continue
        row = PriorRow(
            i, int(numbers[i]), str(typed["uscc"][i]), *award, int(typed["year"][i]),
            int(typed["amount_fen"][i]), typed["paid_on"][i], str(typed["reference"][i]), str(names[i] or ""),
        )  # fmt: skip
        f.rows.append(row)
    _check_duplicates(f)
    return f


Found = tuple[str, str] | tuple[str, str, str]
"""(policy_id, clause_id) a row's texts name, or (column, rule, message): why they name none."""


def _award(
    f: PriorFile, i: int, year: int, lib: policy.Library, seen: dict[tuple[str, str], Found]
) -> tuple[str, str, str] | None:
    """(policy_id, clause_id, ledger period) of data row *i* in *lib*; None, with a problem, when the
    row's policy or clause names none, or more than one (*seen*: the texts resolved so far)."""
    texts = (f.cell(i, "policy") or "", f.cell(i, "clause") or "")
    if texts not in seen:
        seen[texts] = _resolve(lib, *texts)
    found = seen[texts]
    if len(found) == 3:
        column, rule, message = found
        f.add(i, column, rule, message)
        return None
    policy_id, clause_id = found[0], found[1]
    return policy_id, clause_id, ledger_period(lib, year)(policy_id, clause_id)


def _resolve(lib: policy.Library, text: str, clause_text: str) -> Found:
    policies = _policies(lib, text)
    if not policies:
        shown = "、".join(f"{p.id} ({p.meta.name})" for p in list(lib.policies.values())[:8])
        return (
            "policy",
            "unknown_policy",
            (
                f"政策 '{text}' 不在政策库中 (no such policy in the library); 请填政策代码、文号或名称, "
                f"如 / use a policy id, 文号 or name, e.g.: {shown}"
            ),
        )
    pairs = [(p, c) for p in policies for c in p.clauses if _clause_matches(c, clause_text)]
    if not pairs:  # 第一条 for a policy whose article has paragraphs: each of them (ambiguous if several)
        pairs = [(p, c) for p in policies for c in p.clauses if _clause_matches(c, clause_text, prefix=True)]
    if len(pairs) == 1:
        return pairs[0][0].id, pairs[0][1].id
    if len(policies) > 1:
        ids = "、".join(f"{p.id} ({p.meta.name})" for p in policies)
        return (
            "policy",
            "ambiguous_policy",
            (f"'{text}' 对应多项政策 {ids} (names several policies); 请改填政策代码 / write the policy id"),
        )
    p = policies[0]
    clauses = "、".join(f"{c.id} ({c.ref.text()})" for c in p.clauses)
    if not pairs:
        return (
            "clause",
            "unknown_clause",
            (
                f"政策 {p.id} 没有条款 '{clause_text}' (no such clause of the policy); 请填条款代码或条款号, "
                f"可用 / use one of: {clauses}"
            ),
        )
    return (
        "clause",
        "ambiguous_clause",
        (
            f"条款 '{clause_text}' 对应政策 {p.id} 的多个条款 (names several clauses); 请写明款项或改填条款代码 / "
            f"name the paragraph, or write the clause id: {clauses}"
        ),
    )


def _check_cells(f: PriorFile, typed: dict[str, list[Any]], names: list[Any]) -> None:
    """What a row may not say whatever the ledger holds: nothing paid (0), a payment before the
    year it rewards, a name too long to keep."""
    for i, (fen, year, paid_on, name) in enumerate(
        zip(typed["amount_fen"], typed["year"], typed["paid_on"], names, strict=True)
    ):
        if fen == 0:
            f.add(i, "amount_fen", "zero_amount", (
                "金额为 0 (nothing was paid); 请删除该行或填写实际兑现金额 / delete the row or write the amount paid"
            ))  # fmt: skip
        if paid_on is not None and year is not None and paid_on.year < year:
            f.add(i, "paid_on", "date_order", (
                f"兑现日期 {paid_on} 早于奖励年度 {year} (paid before the year it rewards began); "
                "请核对年度与兑现日期 / check the year and the payment date"
            ))  # fmt: skip
        if name is not None and len(str(name)) > MAX_NAME:
            f.add(i, "enterprise_name", "too_long", (
                f"企业名称超过 {MAX_NAME} 个字符 (longer than {MAX_NAME} characters); 请核对 / check it"
            ))  # fmt: skip


def _check_duplicates(f: PriorFile) -> None:
    """Two good rows of one award (one ledger key: a one-time award in any two years)."""
    first: dict[Key, PriorRow] = {}
    for row in f.good():
        if row.key not in first:
            first[row.key] = row
            continue
        once = "一次性奖励只兑现一次, " if row.period == "once" else ""
        line = first[row.key].line
        f.add(row.index, "uscc", "duplicate_award", (
            f"与第 {line} 行是同一笔奖励 ({once}企业 × 政策 × 条款 × {_period_zh(row.period)}) "
            f"(the same award as row {line}); 请合并或删除重复行 / merge or delete one"
        ))  # fmt: skip


def _period_zh(period: str) -> str:
    return "一次性 once" if period == "once" else f"年度 {period}"


_BRACKETS = re.compile(r"[\s\[\]()（）〔〕［］【】{}<>《》〈〉]+")


def _loose(text: str) -> str:
    """*text* for matching: half-width, without spaces or brackets (〔2022〕 = [2022] = 2022), case-folded."""
    return _BRACKETS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def _policies(lib: policy.Library, text: str) -> list[policy.Policy]:
    """The policies *text* names: by id; else by 文号, name or document title (all that match)."""
    want = _loose(text)
    if not want:
        return []
    by_id = [p for p in lib.policies.values() if _loose(p.id) == want]
    if by_id:
        return by_id
    return [
        p
        for p in lib.policies.values()
        if want in {_loose(x) for x in (p.meta.number, p.meta.name, p.meta.document) if x}
    ]


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_PART = re.compile(r"第([一二三四五六七八九十百零〇两0-9]+)([条款项])")


def _number(text: str) -> int | None:
    """``十二`` → 12, ``二十`` → 20, ``12`` → 12 (up to 999)."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in ("十", "百"):
            total += (digit or 1) * (10 if ch == "十" else 100)
            digit = 0
        else:
            return None
    return total + digit


def _ref_parts(text: str) -> tuple[tuple[int | None, str], ...] | None:
    """A 条款 reference as numbers: 第一条第二款 and 第1条第2款 both → ((1, 条), (2, 款))."""
    t = _loose(text)
    parts = _PART.findall(t)
    if not parts or "".join(f"第{n}{k}" for n, k in parts) != t:
        return None
    return tuple((_number(n), k) for n, k in parts)


def _clause_matches(clause: policy.Clause, text: str, *, prefix: bool = False) -> bool:
    """Does *text* name *clause*: its id, or its 条款 reference (with *prefix*, the start of it:
    第一条 for 第一条第二款)?"""
    if not prefix and _loose(text) == _loose(clause.id):
        return True
    mine, theirs = _ref_parts(text), _ref_parts(clause.ref.text())
    if mine is None or theirs is None:
        return False
    return theirs[: len(mine)] == mine if prefix else theirs == mine


@cache
def clause_refs() -> dict[tuple[str, str], str]:
    """(policy_id, clause_id) → 条款 reference in the built-in library (for entries with no batch item)."""
    lib = policy.load_library()
    return {(p.id, c.id): c.ref.text() for p in lib.policies.values() for c in p.clauses}
