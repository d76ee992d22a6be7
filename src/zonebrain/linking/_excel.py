"""Resources and demands from Excel: Chinese headers, a template to fill, every cell checked first.

An import is all or nothing: when any row has a problem nothing is written, and the problems
(file, row, column, value, what to do) go to an Excel report beside the rejected rows as written.
It is idempotent: a row whose natural key is already in the app store is not added again —

* resources: 资源名称 + 提供方 (a changed field updates the resource, audited ``resource.update``);
* demands: 统一社会信用代码 + 需求类型 + 需求标题 (a demand already there is left as it is: its
  handling belongs to the officers, not to a re-import).

Amount columns are 万元 (exact; a cell may carry its own unit, ``500万元``, ``1.2亿``); the app
store keeps integer fen.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from zonebrain.appstore import Role, User
from zonebrain.appstore.linking_models import DemandRow, ResourceRow
from zonebrain.core.clock import beijing_today, from_beijing
from zonebrain.core.errors import InputError
from zonebrain.core.money import parse_amount
from zonebrain.core.uscc import USCC
from zonebrain.core.xlsx import save_workbook
from zonebrain.linking._firms import Firm, demand_park, park_aliases, resolve_parks
from zonebrain.linking._kinds import DEMAND_ZH, RESOURCE_ZH, parse_demand_kind, parse_resource_kind
from zonebrain.linking._model import NotAllowed
from zonebrain.linking._service import CATALOGUE_EDITORS, OFFICERS, Linking, _join
from zonebrain.registry import Zone, match_headers, parse_datetime, read_table_file
from zonebrain.registry._read import RawFile

UNIT = "万元"
KINDS = ("resources", "demands")


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help: str = ""


RESOURCE_COLUMNS: tuple[Column, ...] = (
    Column("kind", "资源类型", ("类型", "kind"), True, "银行贷款",
           "、".join(f"{v} ({k.value})" for k, v in RESOURCE_ZH.items())),
    Column("name", "资源名称", ("名称", "产品名称", "name"), True, "科技贷", "产品或资源的名称"),
    Column("provider", "提供方", ("机构", "提供机构", "provider"), False, "郑州银行高新支行",
           "与资源名称一起识别同一资源 (with the name, the key that makes re-imports safe)"),
    Column("description", "说明", ("描述", "description"), False, "面向科技型中小企业的信用贷款"),
    Column("keywords", "关键词", ("keywords",), False, "研发,流动资金", "逗号或顿号分隔"),
    Column("chain_nodes", "产业链节点", ("链节点", "chain_nodes"), False, "", "chain/node，逗号分隔；空表示不限"),
    Column("parks", "服务园区", ("园区", "parks"), False, "", "园区名称或代码，逗号分隔；空表示全区"),
    Column("min_amount_fen", f"金额下限({UNIT})", ("金额下限", "min_amount"), False, "50"),
    Column("max_amount_fen", f"金额上限({UNIT})", ("金额上限", "max_amount"), False, "1000"),
    Column("contact", "联系方式", ("联系人", "contact"), False, "张经理 0371-00000000"),
    Column("active", "是否启用", ("启用", "active"), False, "是", "是/否，空为是"),
)  # fmt: skip
DEMAND_COLUMNS: tuple[Column, ...] = (
    Column("uscc", "统一社会信用代码", ("信用代码", "uscc"), True, "91410100MA00000000",
           "提出需求的企业 (GB 32100)"),
    Column("firm_name", "企业名称", ("企业", "firm_name"), False, "郑州某某科技有限公司"),
    Column("kind", "需求类型", ("类型", "kind"), True, "融资", "、".join(DEMAND_ZH.values())),
    Column("title", "需求标题", ("需求", "标题", "title"), True, "500万元研发流动资金贷款",
           "与信用代码、需求类型一起识别同一需求 (the key that makes re-imports safe)"),
    Column("detail", "需求详情", ("详情", "detail"), False, ""),
    Column("amount_fen", f"金额({UNIT})", ("金额", "amount"), False, "500"),
    Column("park_id", "园区", ("所属园区", "park", "park_id"), False, "梧桐", "园区名称或代码"),
    Column("chain_node", "产业链节点", ("链节点", "chain_node"), False, ""),
    Column("at", "提交日期", ("日期", "submitted_at"), False, "2026-06-30", "空为导入当天"),
)  # fmt: skip
COLUMNS = {"resources": RESOURCE_COLUMNS, "demands": DEMAND_COLUMNS}
SHEET = {"resources": "资源目录", "demands": "企业需求"}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    """The Excel row number (the header is row 1)."""
    column: str
    value: str | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file} 第 {self.row} 行 (row), 列 (column) '{self.column}', "
            f"值 (value) {self.value!r}: {self.message}"
        )


@dataclass
class LinkImport:
    kind: str
    """``resources`` or ``demands``."""
    file: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(Excel row, the row as written) of every row with a problem."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            return (
                f"{self.file}: {len(self.problems)} 处问题, 未导入 (nothing imported); "
                "请按问题清单修改后重新导入 / fix the listed rows and import again"
            )
        return (
            f"{self.file}: {self.rows} 行 rows — 新增 {self.inserted} (added), 更新 {self.updated} (updated), "
            f"未变 {self.unchanged} (already there)"
        )


def _park(text: str, parks: Mapping[str, str]) -> str:
    return resolve_parks([text], parks)[0] if text else text


def _amount(text: str) -> int:
    fen = parse_amount(text, UNIT)
    if fen < 0:
        raise InputError("金额不能为负 (must not be negative); 请核对 / check the figure")
    return fen


def _bool(text: str) -> bool:
    t = text.strip().casefold()
    if t in ("是", "y", "yes", "true", "1", "启用"):
        return True
    if t in ("否", "n", "no", "false", "0", "停用"):
        return False
    raise InputError("请填写 是 或 否 (write 是 or 否)")


def _cell(kind: str, name: str, text: str, parks: Mapping[str, str]) -> Any:
    if name == "kind":
        return (parse_resource_kind if kind == "resources" else parse_demand_kind)(text.strip()).value
    if name.endswith("_fen"):
        return _amount(text)
    if name == "uscc":
        return USCC.parse(text.strip()).code
    if name == "park_id":
        return _park(text.strip(), parks)
    if name == "parks":
        return _join([_park(p, parks) for p in re.split(r"[,，、;；]", text) if p.strip()])
    if name in ("keywords", "chain_nodes"):
        return _join(re.split(r"[,，、;；]", text))
    if name == "active":
        return _bool(text)
    if name == "at":  # a Beijing date or time, as people write it; stored in UTC
        when = parse_datetime(text)
        if when.date() > beijing_today():
            raise InputError("提交日期在未来 (in the future); 请填写实际提交日期 / write the real date")
        return from_beijing(when)
    limit = 256 if name in ("name", "provider", "title", "firm_name", "contact") else 10_000
    value = text.strip()
    if len(value) > limit:
        raise InputError(f"超过 {limit} 个字符 (longer than {limit} characters); 请删减 / shorten it")
    return value


def _read_file(path: Path, sheet: str | None) -> RawFile:
    """The file as text columns; a damaged or mislabelled file is an InputError naming the fix."""
    try:
        return read_table_file(path, sheet)
    except InputError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            f"{path.name}: 无法读取 (cannot be read: {exc}); 请在 Excel 中另存为 .xlsx 后重试 / save it again as .xlsx"
        ) from None


Rows = list[tuple[int, dict[str, Any], dict[str, Any]]]
"""(Excel row, the values of its good cells, the row as written)."""


def _read(
    kind: str, path: Path, parks: Mapping[str, str], sheet: str | None
) -> tuple[LinkImport, Rows, dict[str, str]]:
    """Every cell checked: the result with the cells' problems, every non-empty row (its good cells
    parsed), and each field's header as the file writes it. Checks across rows come later."""
    if kind not in COLUMNS:
        raise InputError(f"未知导入类型 '{kind}' (unknown kind); 可用 / use: {', '.join(KINDS)}")
    columns = COLUMNS[kind]
    raw = _read_file(path, sheet)
    result = LinkImport(kind, path.name, rows=raw.table.num_rows)
    for line, problem in raw.bad_rows:
        result.problems.append(Problem(path.name, line, "", None, problem))
    mapping = match_headers(
        raw.table.column_names, {c.field: (c.header, c.field, *c.aliases) for c in columns}
    )
    header_of = {f: h for h, f in mapping.items()}
    for col in columns:
        if col.required and col.field not in header_of:
            result.problems.append(
                Problem(path.name, 1, col.header, None,
                        f"缺少必填列 (missing column); 请添加表头 '{col.header}' / add it, "
                        f"或用模板 / or start from the template: --template")
            )  # fmt: skip
    if not result.ok:
        return result, [], header_of
    rows: Rows = []
    for row, line in zip(raw.table.to_pylist(), raw.row_numbers(), strict=True):
        line = int(line)
        if not any(v is not None and str(v).strip() for v in row.values()):
            continue
        values: dict[str, Any] = {}
        before = len(result.problems)
        for header, name in mapping.items():
            text = row.get(header)
            if text is None or not str(text).strip():
                continue
            try:
                values[name] = _cell(kind, name, str(text), parks)
            except InputError as exc:
                result.problems.append(Problem(path.name, line, header, str(text), str(exc)))
        for col in columns:
            if (
                col.required
                and col.field not in values
                and header_of[col.field] not in {p.column for p in result.problems[before:]}
            ):
                result.problems.append(
                    Problem(path.name, line, header_of[col.field], None,
                            f"必填项为空 (required); 请填写{col.header} / fill it in")
                )  # fmt: skip
        lo, hi = values.get("min_amount_fen"), values.get("max_amount_fen")
        if lo is not None and hi is not None and lo > hi:
            result.problems.append(
                Problem(path.name, line, header_of["max_amount_fen"], str(row.get(header_of["max_amount_fen"])),
                        "金额上限小于下限 (max below min); 请核对金额范围 / check the range")
            )  # fmt: skip
        rows.append((line, values, row))
    return result, rows, header_of


def _key(kind: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    if kind == "resources":
        return (values["name"], values.get("provider", ""))
    return (values["uscc"], values["kind"], values["title"])


def import_file(
    links: Linking,
    actor: User,
    kind: str,
    path: Path | str,
    *,
    zone: Zone | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    ip: str = "",
) -> LinkImport:
    """Check every row of an .xlsx/.csv of ``resources`` or ``demands``; when all are good (and not
    *dry_run*) write them all in one transaction. Rows already there (same natural key) are not added
    again. :class:`NotAllowed` when *actor* may not import this kind at all."""
    path = Path(path)
    if kind == "resources":
        links._require(actor, CATALOGUE_EDITORS, "维护资源目录", "maintain the resource catalogue")
    elif actor.role is not Role.ENTERPRISE_USER:
        links._require(actor, OFFICERS, "导入企业需求", "import demands")
    parks = park_aliases(zone)
    result, rows, header_of = _read(kind, path, parks, sheet)
    if not rows:
        return result
    _check_rows(links, actor, kind, result, rows, header_of, parks.names)
    if not result.ok:
        bad = {p.row for p in result.problems}
        result.rejected_rows = [(line, raw) for line, _, raw in rows if line in bad]
        return result
    if kind == "resources":
        _write_resources(links, actor, result, [v for _, v, _ in rows], dry_run, ip)
    else:
        _write_demands(links, actor, result, [v for _, v, _ in rows], dry_run, ip)
    return result


def _check_rows(
    links: Linking,
    actor: User,
    kind: str,
    result: LinkImport,
    rows: Rows,
    header_of: Mapping[str, str],
    names: Mapping[str, str],
) -> None:
    """The checks across cells and rows, on every row whose cells they need are good (so that one
    pass reports a file's problems): a demand's firm and park against the registry and *actor*'s
    scope, and rows repeating the natural key. A value is reported as the file wrote it."""
    name = result.file
    bad_cells = {(p.row, p.column) for p in result.problems}

    def good(line: int, *fields: str) -> bool:
        return all((line, header_of[f]) not in bad_cells for f in fields if f in header_of)

    seen: dict[tuple[str, ...], int] = {}
    usccs = [v["uscc"] for _, v, _ in rows if "uscc" in v]
    known = links.firms.firms(usccs) if kind == "demands" and links.firms and usccs else {}
    key_fields = ("name", "provider") if kind == "resources" else ("uscc", "kind", "title")
    for line, values, raw in rows:
        if kind == "demands" and "uscc" in values and good(line, "park_id"):
            why = _demand_scope(actor, values, known.get(values["uscc"]), names)
            if why:
                column, message = why
                header = header_of.get(column, column)
                written = raw.get(header) if header in raw else values.get(column)
                result.problems.append(Problem(name, line, header, _text(written), message))
        if not all(f in values for f in key_fields if f != "provider") or not good(line, *key_fields):
            continue
        key = _key(kind, values)
        if key in seen:
            header = header_of["name" if kind == "resources" else "title"]
            result.problems.append(
                Problem(name, line, header, _text(raw.get(header)),
                        f"与第 {seen[key]} 行重复 (duplicate of row {seen[key]}); 请删除其中一行 / remove one")
            )  # fmt: skip
            continue
        seen[key] = line


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _demand_scope(
    actor: User, values: dict[str, Any], known: Firm | None, names: Mapping[str, str]
) -> tuple[str, str] | None:
    """Why the row may not be imported by *actor* (column, message), or None; the row's park and
    firm name are then set from the registry (*known*) as :func:`demand_park` decides."""
    if actor.role is Role.ENTERPRISE_USER and values["uscc"] != actor.uscc:
        return "uscc", actor.role.refusal("导入其他企业的需求", "import other firms' demands")
    try:
        values["park_id"] = demand_park(actor, values["uscc"], values.get("park_id"), known, names=names)
    except (InputError, NotAllowed) as exc:
        return "park_id", str(exc)
    if known is not None and not values.get("firm_name"):
        values["firm_name"] = known.name
    return None


_RESOURCE_DEFAULTS: dict[str, Any] = {
    "provider": "", "description": "", "keywords": "", "chain_nodes": "", "parks": "",
    "min_amount_fen": None, "max_amount_fen": None, "contact": "", "active": True,
}  # fmt: skip


def _write_resources(
    links: Linking, actor: User, result: LinkImport, rows: list[dict[str, Any]], dry_run: bool, ip: str
) -> None:
    now = links._clock()
    with links._store.session() as s:
        existing = {(r.name, r.provider): r for r in s.scalars(select(ResourceRow))}
        for values in rows:
            full = {**_RESOURCE_DEFAULTS, **values}
            row = existing.get((full["name"], full["provider"]))
            if row is None:
                result.inserted += 1
                if dry_run:
                    continue
                row = ResourceRow(**full, created_at=now, updated_at=now)
                s.add(row)
                s.flush()
                existing[(row.name, row.provider)] = row
                after = {k: full[k] for k in ("kind", "name", "provider")}
                s.add(links._audit(actor, "resource.add", f"resource:{row.id}", row.version, None, after, ip))
                continue
            before = {k: getattr(row, k) for k in full if getattr(row, k) != full[k]}
            if not before:
                result.unchanged += 1
                continue
            result.updated += 1
            if dry_run:
                continue
            after = {k: full[k] for k in before}
            for k, v in after.items():
                setattr(row, k, v)
            row.updated_at = now
            s.flush()
            s.add(
                links._audit(actor, "resource.update", f"resource:{row.id}", row.version, before, after, ip)
            )


def _write_demands(
    links: Linking, actor: User, result: LinkImport, rows: list[dict[str, Any]], dry_run: bool, ip: str
) -> None:
    now = links._clock()
    with links._store.session() as s:
        keys: set[tuple[str, ...]] = {(r.uscc, r.kind, r.title) for r in s.scalars(select(DemandRow))}
        for values in rows:
            if _key("demands", values) in keys:
                result.unchanged += 1
                continue
            keys.add(_key("demands", values))
            result.inserted += 1
            if dry_run:
                continue
            when = values.get("at") or now
            park = values.get("park_id") or None  # settled by _demand_scope
            row = DemandRow(
                uscc=values["uscc"],
                firm_name=values.get("firm_name", ""),
                park_id=park,
                chain_node=values.get("chain_node") or None,
                kind=values["kind"],
                title=values["title"],
                detail=values.get("detail", ""),
                amount_fen=values.get("amount_fen"),
                status="open",
                submitted_by=actor.id,
                submitted_at=when,
                due_at=when + dt.timedelta(days=links.response_days),
                resolution="",
                rating_comment="",
                updated_at=now,
            )
            s.add(row)
            s.flush()
            after = {"uscc": row.uscc, "kind": row.kind, "title": row.title, "amount_fen": row.amount_fen,
                     "source": "import"}  # fmt: skip
            s.add(links._audit(actor, "demand.submit", f"demand:{row.id}", row.version, None, after, ip))


def write_template(kind: str, path: Path | str) -> Path:
    """An .xlsx to fill: the headers, one example row, and a sheet 说明 explaining each column."""
    import openpyxl
    from openpyxl.styles import Font

    if kind not in COLUMNS:
        raise InputError(f"未知导入类型 '{kind}' (unknown kind); 可用 / use: {', '.join(KINDS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = COLUMNS[kind]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET[kind]
    ws.append([c.header for c in columns])
    ws.append([c.example for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[2]:
        cell.data_type = "s"
    ws.freeze_panes = "A2"
    info = wb.create_sheet("说明")
    info.append(["列 Column", "必填 Required", "说明 Meaning"])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for c in columns:
        info.append([c.header, "是" if c.required else "", c.help])
    info.append([])
    info.append(["示例行可删除或覆盖；同一文件可重复导入，不会重复新增 (re-importing adds nothing twice)."])
    save_workbook(wb, path)
    return path


def write_report(result: LinkImport, path: Path | str) -> Path:
    """The problems (one line each: file, row, column, value, what to do) and the rejected rows."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def text(v: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "问题清单 Problems"
    ws.append(["文件 File", "行号 Row", "列 Column", "值 Value", "说明与处理 What to do"])
    for p in sorted(result.problems, key=lambda p: (p.row, p.column)):
        ws.append([p.file, p.row, text(p.column), text(p.value), text(p.message)])
    rows = sorted(result.rejected_rows, key=lambda r: r[0])
    ws2 = wb.create_sheet("被拒行 Rejected rows")
    headers = list(rows[0][1]) if rows else []
    ws2.append(["行号 Row", *headers, "问题 Problems"])
    by_row: dict[int, list[str]] = {}
    for p in result.problems:
        by_row.setdefault(p.row, []).append(f"{p.column}: {p.message}")
    for line, row in rows:
        ws2.append([line, *(text(row.get(h)) for h in headers), text("; ".join(by_row.get(line, [])))])
    for sheet in (ws, ws2):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in sheet.iter_rows(min_row=2):
            for cell in r:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a value starting with '=' stays text
    save_workbook(wb, path)
    return path


__all__ = [
    "DEMAND_COLUMNS",
    "KINDS",
    "RESOURCE_COLUMNS",
    "LinkImport",
    "NotAllowed",
    "Problem",
    "import_file",
    "park_aliases",
    "write_report",
    "write_template",
]
