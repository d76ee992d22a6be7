"""Projects to and from Excel: an export officials can edit and hand back, an import that checks
every cell first (file, row, column, value, fix) and then adds all rows in one transaction or none.

Money columns are 万元 (exact decimals; a cell may also carry its own unit, ``500万元``, ``1.2亿``);
the app store keeps integer fen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from zonebrain.appstore import User, UserRow
from zonebrain.core.clock import beijing, from_beijing, utcnow
from zonebrain.core.errors import InputError
from zonebrain.core.money import FEN_PER, parse_amount
from zonebrain.core.uscc import USCC
from zonebrain.core.xlsx import save_workbook
from zonebrain.pipeline._model import Created, NotAllowed, Project
from zonebrain.pipeline._names import normalise_name
from zonebrain.pipeline._projects import NewProject, Pipeline
from zonebrain.pipeline._stages import ORIGIN_ZH, Stage, parse_origin, parse_stage
from zonebrain.pipeline._stall import Colour, StallRule
from zonebrain.registry import match_headers, parse_datetime, read_table_file

MONEY_UNIT = "万元"


@dataclass(frozen=True)
class _Col:
    field: str
    header: str
    """The Chinese header written on export (with the unit, if any)."""
    aliases: tuple[str, ...] = ()
    required: bool = False


IMPORT_COLUMNS: tuple[_Col, ...] = (
    _Col("name", "企业名称", ("项目名称", "企业", "name", "firm"), required=True),
    _Col("uscc", "统一社会信用代码", ("信用代码", "uscc")),
    _Col("park_id", "园区", ("所属园区", "park", "park_id"), required=True),
    _Col("origin", "来源", ("线索来源", "origin"), required=True),
    _Col("owner", "负责人", ("招商专员", "owner")),
    _Col("stage", "阶段", ("项目阶段", "stage")),
    _Col("at", "阶段开始日期", ("日期", "since", "stage_since")),
    _Col("chain_node", "产业链节点", ("链节点", "chain_node")),
    _Col("promised_investment_fen", f"承诺投资({MONEY_UNIT})", ("承诺投资", "promised_investment")),
    _Col("promised_output_fen", f"承诺产值({MONEY_UNIT})", ("承诺产值", "promised_output")),
    _Col("promised_tax_fen", f"承诺税收({MONEY_UNIT})", ("承诺税收", "promised_tax")),
    _Col("promised_jobs", "承诺就业(人)", ("承诺就业", "promised_jobs")),
    _Col("notes", "备注", ("notes",)),
)
EXPORT_ONLY = ("项目编号", "版本", "停滞预警", "终止原因", "更新时间")
"""Columns the export adds; the import ignores them."""


@dataclass(frozen=True)
class RowProblem:
    file: str
    row: int
    """The Excel row number (the header is row 1)."""
    column: str
    value: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file} 第 {self.row} 行 (row), 列 (column) '{self.column}', 值 (value) {self.value!r}: {self.message}"


@dataclass(frozen=True)
class AlreadyThere:
    """A row whose firm already has a project: left as it is (the import is idempotent)."""

    row: int
    name: str
    project_id: int


@dataclass
class ImportResult:
    file: str
    rows: int
    problems: list[RowProblem] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)
    unchanged: list[AlreadyThere] = field(default_factory=list)
    """Rows not added because the firm already has a project (see :meth:`Pipeline.existing`)."""
    checked: int = 0
    """Rows that would be added (a dry run adds none)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{self.rows} 行 rows: 新增 {len(self.created) or self.checked} (added), "
            f"已在项目库未变 {len(self.unchanged)} (already in the pipeline, unchanged)"
        )

    def problems_table(self) -> pa.Table:
        return pa.Table.from_pylist(
            [p.__dict__ for p in self.problems],
            schema=pa.schema(
                [
                    ("file", pa.string()),
                    ("row", pa.int64()),
                    ("column", pa.string()),
                    ("value", pa.string()),
                    ("message", pa.string()),
                ]
            ),
        )


def _beijing_cell(at: dt.datetime) -> tuple[dt.datetime, str]:
    """A stored time as the export writes it: an Excel date-time in Beijing time, to the second
    (the date alone at midnight), and its number format."""
    local = beijing(at).replace(microsecond=0)
    return local, ("yyyy-mm-dd" if local.time() == dt.time() else "yyyy-mm-dd hh:mm:ss")


_FRACTION = re.compile(r"^(.*\d:\d{2}:\d{2})\.\d+$")


def _header_map(headers: Iterable[str]) -> dict[str, str]:
    """file header → field."""
    return match_headers(headers, {c.field: (c.header, c.field, *c.aliases) for c in IMPORT_COLUMNS})


def _parse_jobs(text: str) -> int:
    t = text.strip().replace(",", "").removesuffix("人")
    if not re.fullmatch(r"\d+(\.0+)?", t):
        raise InputError("就业人数须为非负整数 (jobs must be a whole number); 如 120 / e.g. 120")
    return int(Decimal(t))


def _cell(field_name: str, text: str, pipe: Pipeline) -> Any:
    """One cell as the value NewProject wants; InputError (with the fix) when it cannot be read."""
    if field_name in ("promised_investment_fen", "promised_output_fen", "promised_tax_fen"):
        fen = parse_amount(text, MONEY_UNIT)
        if fen < 0:
            raise InputError("金额不能为负 (must not be negative); 请核对 / check the figure")
        return fen
    if field_name == "promised_jobs":
        return _parse_jobs(text)
    if field_name == "at":  # typed in Beijing time, stored in UTC; never in the future
        return pipe.check_time(from_beijing(parse_datetime(_FRACTION.sub(r"\1", text.strip()))))
    if field_name == "stage":
        return parse_stage(text)
    if field_name == "origin":
        return parse_origin(text)
    if field_name == "uscc":
        return USCC.parse(text.strip()).code
    if field_name == "park_id":
        return pipe.park_id(text)
    return text.strip()


def import_projects(
    pipe: Pipeline,
    actor: User,
    path: Path | str,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    ip: str = "",
) -> ImportResult:
    """Check every row of an .xlsx/.csv of projects; when all are good (and not *dry_run*), add them all.

    Nothing is written when any row has a problem: fix the rows the result lists and import again.
    """
    path = Path(path)
    raw = read_table_file(path, sheet)
    name = path.name
    result = ImportResult(file=name, rows=raw.table.num_rows)
    for line, problem in raw.bad_rows:
        result.problems.append(RowProblem(name, line, "", None, problem))
    mapping = _header_map(raw.table.column_names)
    for col in IMPORT_COLUMNS:
        if col.required and col.field not in mapping.values():
            result.problems.append(
                RowProblem(
                    name,
                    1,
                    col.header,
                    None,
                    f"缺少必填列 (missing column); 请添加表头 '{col.header}' / add it",
                )
            )
    if not result.ok:
        return result
    rows = raw.table.to_pylist()
    numbers = raw.row_numbers()
    # The natural-key lookups and the inserts are one transaction, which (unless a dry run) holds
    # the write lock from before the first lookup: two imports of the same file at once add its
    # firms once, the second finding them already there.
    with pipe._store.session() as s:
        if not dry_run:
            _lock_for_import(s)
        ready = _check_rows(pipe, actor, s, result, mapping, rows, numbers)
        if result.ok:
            result.checked = len(ready)
            if not dry_run:
                result.created = [pipe._insert(s, actor, *row, ip) for row in ready]
    return result


def _lock_for_import(s: Session) -> None:
    """Make *s* the only transaction adding projects until it commits, before it looks any firm up.

    SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock now (the driver would begin only at
    the first INSERT, after the lookups). PostgreSQL: a lock on ``projects`` that conflicts with
    itself and with writers of projects, not with readers.
    """
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        s.execute(sql_text("LOCK TABLE projects IN SHARE ROW EXCLUSIVE MODE"))


_Ready = tuple[dict[str, Any], Stage, dt.datetime, UserRow]
"""A row to add, as :meth:`Pipeline._insert` takes it: clean values, first stage, since, owner."""


def _check_rows(
    pipe: Pipeline,
    actor: User,
    s: Session,
    result: ImportResult,
    mapping: dict[str, str],
    rows: list[dict[str, Any]],
    numbers: Iterable[int],
) -> list[_Ready]:
    """Check every row in the import's transaction *s*; problems and rows already in the pipeline
    go to *result*, the rows to add are returned."""
    name = result.file
    ready: list[_Ready] = []
    header_of = {f: h for h, f in mapping.items()}
    new_firms: list[tuple[str | None, str, int]] = []  # USCC, normalised name, row of rows to add
    for row, line in zip(rows, numbers, strict=True):
        values: dict[str, Any] = {}
        bad = False
        for header, field_name in mapping.items():
            text = row.get(header)
            if text is None or not str(text).strip():
                continue
            try:
                values[field_name] = _cell(field_name, str(text), pipe)
            except InputError as exc:
                result.problems.append(RowProblem(name, int(line), header, str(text), str(exc)))
                bad = True
        for col in IMPORT_COLUMNS:
            if (
                col.required
                and col.field not in values
                and not any(
                    p.row == int(line) and mapping.get(p.column) == col.field for p in result.problems
                )
            ):
                header = next((h for h, f in mapping.items() if f == col.field), col.header)
                result.problems.append(
                    RowProblem(name, int(line), header, None, "必填项为空 (required); 请填写 / fill it in")
                )
                bad = True
        stage = values.get("stage", Stage.LEAD)
        found = (
            pipe.existing(
                name=values["name"],
                uscc=values.get("uscc"),
                include_terminated=stage is Stage.TERMINATED,
                session=s,
            )
            if "name" in values
            else None
        )
        if found is None and stage is Stage.TERMINATED:
            bad = True
            result.problems.append(
                RowProblem(
                    name,
                    int(line),
                    header_of.get("stage", "阶段"),
                    str(row.get(header_of.get("stage", ""))),
                    "导入的新项目不能处于终止阶段 (an imported project cannot start terminated); "
                    "请改为实际阶段或删去此行 / give its stage or remove the row",
                )
            )
        if bad:
            continue
        if found is not None:  # the natural key: this firm already has a project
            result.unchanged.append(AlreadyThere(int(line), values["name"], found))
            continue
        twin = _same_firm(new_firms, values.get("uscc"), normalise_name(values["name"]))
        if twin is not None:
            result.problems.append(
                RowProblem(
                    name,
                    int(line),
                    header_of.get("uscc" if values.get("uscc") else "name", "企业名称"),
                    str(values.get("uscc") or values["name"]),
                    f"与第 {twin} 行是同一企业 (the same firm as row {twin}); 请删去重复的一行 / remove one",
                )
            )
            continue
        new_firms.append((values.get("uscc"), normalise_name(values["name"]), int(line)))
        try:
            _, clean, first, when = pipe._prepare(actor, NewProject(**values))  # roles, parks, dates
        except NotAllowed as exc:
            header = next((h for h, f in mapping.items() if f == "park_id"), "园区")
            result.problems.append(RowProblem(name, int(line), header, values["park_id"], str(exc)))
            continue
        except InputError as exc:
            result.problems.append(RowProblem(name, int(line), "", None, str(exc)))
            continue
        owner = values.get("owner") or actor.username
        try:
            owner_row = pipe._owner(s, owner, clean["park_id"])
        except InputError as exc:
            header = next((h for h, f in mapping.items() if f == "owner"), "负责人")
            result.problems.append(RowProblem(name, int(line), header, owner, str(exc)))
            continue
        ready.append((clean, first, when, owner_row))
    return ready


def _same_firm(seen: list[tuple[str | None, str, int]], uscc: str | None, key: str) -> int | None:
    """The row of an earlier row of the file for the same firm (the import's natural key)."""
    for other_uscc, other_key, line in seen:
        if uscc and other_uscc == uscc:
            return line
        if (not uscc or not other_uscc) and key == other_key:
            return line
    return None


def projects_table(
    projects: Iterable[Project], *, as_of: dt.datetime | None = None, rule: StallRule | None = None
) -> pa.Table:
    """Projects as an Arrow table (money as integer fen), with the stall colour at *as_of*."""
    rule = rule or StallRule()
    when = as_of or utcnow()
    rows = []
    for p in projects:
        d = p.as_dict()
        d["stage_since"] = p.stage_since
        d["created_at"], d["updated_at"] = p.created_at, p.updated_at
        d["stall"] = rule.colour(p.stage, p.stage_since, when).value
        rows.append(d)
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("uscc", pa.string()),
            ("stage", pa.string()),
            ("stall", pa.string()),
            ("terminated_reason", pa.string()),
            ("owner_id", pa.int64()),
            ("owner", pa.string()),
            ("park_id", pa.string()),
            ("chain_node", pa.string()),
            ("origin", pa.string()),
            ("promised_investment_fen", pa.int64()),
            ("promised_output_fen", pa.int64()),
            ("promised_tax_fen", pa.int64()),
            ("promised_jobs", pa.int64()),
            ("notes", pa.string()),
            ("stage_since", pa.timestamp("s")),
            ("created_at", pa.timestamp("s")),
            ("updated_at", pa.timestamp("s")),
            ("version", pa.int64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def export_projects(
    projects: Iterable[Project],
    path: Path | str,
    *,
    as_of: dt.datetime | None = None,
    rule: StallRule | None = None,
    park_names: Mapping[str, str] | None = None,
) -> Path:
    """Write the projects to .xlsx with the import's headers (it can be edited and imported again),
    plus 项目编号, 版本, 停滞预警, 终止原因. Amounts in exact 万元; 阶段开始日期 an Excel date-time in
    Beijing time; parks by their names (*park_names*: id → name, e.g. 梧桐) and origins in Chinese
    (目标清单…), as the import template writes them; text never becomes a formula.

    Importing the file again changes nothing: every row's firm already has its project."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rule = rule or StallRule()
    when = as_of or utcnow()
    colour_zh = {Colour.GREEN: "绿", Colour.YELLOW: "黄", Colour.RED: "红", Colour.NONE: ""}
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "项目库"
    headers = ["项目编号", *(c.header for c in IMPORT_COLUMNS), "版本", "停滞预警", "终止原因"]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    per = FEN_PER[MONEY_UNIT]
    parks = park_names or {}
    for r, p in enumerate(projects, start=2):
        since, since_format = _beijing_cell(p.stage_since)
        values: list[Any] = [
            p.id,
            p.name,
            p.uscc,
            parks.get(p.park_id, p.park_id),
            ORIGIN_ZH[p.origin],
            p.owner,
            p.stage.value,
            since,
            p.chain_node,
            *(
                None if v is None else Decimal(v) / per
                for v in (p.promised_investment_fen, p.promised_output_fen, p.promised_tax_fen)
            ),
            p.promised_jobs,
            p.notes,
            p.version,
            colour_zh[rule.colour(p.stage, p.stage_since, when)],
            p.terminated_reason,
        ]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            if isinstance(v, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", v)
                cell.data_type = "s"  # a name starting with '=' stays text
            else:
                cell.value = v
            if isinstance(v, Decimal):
                cell.number_format = "#,##0.00####"
            elif v is since:
                cell.number_format = since_format
    ws.freeze_panes = "A2"
    save_workbook(wb, path)
    return path
