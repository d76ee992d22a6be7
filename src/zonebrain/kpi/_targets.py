"""Targets (目标责任书) and park-level actuals: the Excel template, validated import, edits with history.

Every change of a target — an edit (:func:`set_target`) or a value an import set — is a row of
``kpi_target_history`` written in the same transaction as the target itself.

Layout of a 目标责任书 workbook: one sheet per year (named ``2025`` or ``2025年``), or a ``年度``
column; rows are parks (``园区``), columns are indicators with their unit in the header
(``营业收入(万元)``, ``高新技术企业数(家)``). Park-level actuals (``kpi_actuals``) use the same
columns with a ``月份`` column (``2024-06``) instead of the year; values are the month's own
amount (当月值). Every problem is reported with file, sheet, row, column, value and the fix, and
nothing is written unless the whole file is clean; a clean file is merged in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from zonebrain.core.clock import utcnow
from zonebrain.core.errors import ImportRejected, InputError, MoneyError
from zonebrain.core.money import parse_amount
from zonebrain.core.xlsx import save_workbook
from zonebrain.kpi._catalogue import Catalogue, Indicator, load_catalogue
from zonebrain.registry import Zone, ensure_ready, load_zone, read_table_file
from zonebrain.storage import Warehouse

PARK_HEADERS = ("园区", "园区名称", "单位", "责任单位", "park")
YEAR_HEADERS = ("年度", "年份", "year")
MONTH_HEADERS = ("月份", "月度", "month")
MONEY_UNITS = ("元", "万元", "亿元")
_HEADER = re.compile(r"^\s*(.+?)\s*[（(]\s*([^()（）]+?)\s*[)）]\s*$")
_YEAR_SHEET = re.compile(r"^\s*(\d{4})\s*年?(度)?\s*$")
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(-01)?\s*$")
_MAX_SHOWN = 50


@dataclass
class KpiImport:
    """What an import of targets or actuals did."""

    kind: str
    batch_id: str
    rows: int
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    status: str = "imported"
    """``imported``, ``already_imported`` (the same file was imported before) or ``dry_run``."""


def write_template(
    path: Path, year: int, *, catalogue: Catalogue | None = None, zone: Zone | None = None
) -> Path:
    """Write an empty 目标责任书 workbook for *year*: one row per park, one column per indicator."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    cat, zn = catalogue or load_catalogue(), zone or load_zone()
    wb = openpyxl.Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = str(year)
    ws.append(["园区", *(f"{i.name_zh}({i.display_unit})" for i in cat.indicators)])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for p in zn.parks:
        ws.append([p.short_name])
    ws.column_dimensions["A"].width = 10
    for col in range(2, len(cat.indicators) + 2):
        ws.column_dimensions[get_column_letter(col)].width = 18
    notes = wb.create_sheet("说明")
    for line in (
        "目标责任书模板 (targets template). 每个年度一张工作表, 表名为年份 (one sheet per year, named by the year).",
        "每行一个园区, 每列一个指标, 表头括号内为单位; 金额可写小数, 精确到分 (money exact to the fen).",
        "留空表示该园区无此项目标 (leave empty for no target). 导入: zonebrain kpi import-targets 文件.xlsx",
    ):
        notes.append([line])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path)
    return path


def _sheets(path: Path) -> list[str | None]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return [None]
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file; the reader words it
        read_table_file(path)
        raise InputError(f"{path}: 无法打开 (cannot open): {exc}") from exc
    names = list(wb.sheetnames)
    wb.close()
    years = [n for n in names if _YEAR_SHEET.match(n)]
    return list(years) if years else [names[0]]


def _unit_ok(ind: Indicator, unit: str | None) -> str | None:
    """None when *unit* fits the indicator, else the problem."""
    if ind.unit == "fen":
        if unit not in MONEY_UNITS:
            return (
                f"指标 {ind.name_zh} 是金额, 表头须注明单位 元/万元/亿元 (a money column needs its unit in the "
                f"header), 如 '{ind.name_zh}({ind.display_unit})'"
            )
    elif unit in MONEY_UNITS:
        return f"指标 {ind.name_zh} 是个数, 不能用金额单位 {unit} (unit mismatch: a count); 请写 '{ind.name_zh}({ind.display_unit})'"
    return None


def _read(
    path: Path, kind: str, cat: Catalogue, zn: Zone, year: int | None
) -> tuple[pa.Table, list[str], int]:
    """Validated rows (park_id, indicator, year|month, value) from every sheet; problems; rows read."""
    problems: list[str] = []
    out: dict[str, list[object]] = {"park_id": [], "indicator": [], "when": [], "value": []}
    seen: dict[tuple[str, str, object], str] = {}
    rows_in = 0
    for sheet in _sheets(path):
        raw = read_table_file(path, sheet)
        where = f"{path.name}" + (f" 工作表 '{sheet}'" if sheet else "")
        headers = raw.table.column_names
        park_col = next((h for h in headers if h in PARK_HEADERS), None)
        if park_col is None:
            problems.append(f"{where}: 缺少 '园区' 列 (no park column); 请把第一列表头写成 园区")
            continue
        when_col = next(
            (h for h in headers if h in (MONTH_HEADERS if kind == "actuals" else YEAR_HEADERS)), None
        )
        sheet_year = None
        if sheet and (m := _YEAR_SHEET.match(sheet)):
            sheet_year = int(m.group(1))
        if kind == "targets" and when_col is None and sheet_year is None and year is None:
            problems.append(
                f"{where}: 不知道年度 (no year): 请把工作表命名为年份 (如 2025), 或加 '年度' 列, 或用 --year"
            )
            continue
        if kind == "actuals" and when_col is None:
            problems.append(f"{where}: 缺少 '月份' 列 (no month column); 请加一列 月份, 写成 2024-06")
            continue
        columns: list[tuple[str, Indicator, str | None]] = []
        for h in headers:
            if h in (park_col, when_col):
                continue
            m = _HEADER.match(h)
            name, unit = (m.group(1), m.group(2)) if m else (h.strip(), None)
            try:
                ind = cat.get(name)
            except InputError:
                problems.append(
                    f"{where} 第 1 行 列 '{h}': 未知指标 '{name}' (unknown indicator); 可用: "
                    + "、".join(i.name_zh for i in cat.indicators)
                )
                continue
            if (bad := _unit_ok(ind, unit)) is not None:
                problems.append(f"{where} 第 1 行 列 '{h}': {bad}")
                continue
            columns.append((h, ind, unit))
        numbers = raw.row_numbers()
        data = {h: raw.table[h].to_pylist() for h in headers}
        for i in range(raw.table.num_rows):
            rows_in += 1
            line = int(numbers[i])
            at = f"{where} 第 {line} 行"
            park_text = data[park_col][i]
            park = zn.resolve(park_text) if park_text else None
            if park is None:
                problems.append(
                    f"{at} 列 '{park_col}' 值 '{park_text}': 未知园区 (unknown park); 可用: {zn.spellings_hint()}"
                )
                continue
            when: object
            if kind == "actuals":
                text = data[when_col][i] if when_col else None
                mm = _MONTH.match(text or "")
                if not mm or not 1 <= int(mm.group(2)) <= 12:
                    problems.append(f"{at} 列 '{when_col}' 值 '{text}': 月份无效 (bad month); 请写成 2024-06")
                    continue
                when = dt.date(int(mm.group(1)), int(mm.group(2)), 1)
            elif when_col is not None:
                text = data[when_col][i]
                if not text or not re.fullmatch(r"\d{4}", text.strip()):
                    problems.append(
                        f"{at} 列 '{when_col}' 值 '{text}': 年度无效 (bad year); 请写4位年份, 如 2025"
                    )
                    continue
                when = int(text)
            else:
                when = sheet_year if sheet_year is not None else year
            for h, ind, unit in columns:
                text = data[h][i]
                if text is None:
                    continue
                try:
                    value = _parse(text, ind, unit)
                except InputError as exc:
                    problems.append(f"{at} 列 '{h}' 值 '{text}': {exc}")
                    continue
                key = (park.id, ind.id, when)
                if key in seen:
                    problems.append(
                        f"{at} 列 '{h}': {park.short_name} {ind.name_zh} {when} 重复, 已见于 {seen[key]} "
                        "(duplicate); 请只保留一行 / keep one row"
                    )
                    continue
                seen[key] = at
                for k, v in zip(
                    ("park_id", "indicator", "when", "value"), (park.id, ind.id, when, value), strict=True
                ):
                    out[k].append(v)
    when_name = "year" if kind == "targets" else "month"
    table = pa.table(
        {
            "park_id": pa.array(out["park_id"], pa.string()),
            "indicator": pa.array(out["indicator"], pa.string()),
            when_name: pa.array(out["when"], pa.int32() if kind == "targets" else pa.date32()),
            "value": pa.array(out["value"], pa.int64()),
        }
    )
    return table, problems, rows_in


def _parse(text: str, ind: Indicator, unit: str | None) -> int:
    if ind.unit == "fen":
        try:
            value = parse_amount(text, unit or "元", strict_unit=True)
        except MoneyError:
            raise
    else:
        t = text.strip().replace(",", "")
        if not re.fullmatch(r"-?\d+(\.0+)?", t):
            raise InputError("应为整数 (must be a whole number); 请去掉小数或文字 / remove decimals and text")
        value = int(float(t)) if "." in t else int(t)
    if value < 0:
        raise InputError("不能为负数 (must not be negative); 请核对数据 / check the figure")
    return value


def _import(
    wh: Warehouse,
    path: Path,
    kind: str,
    *,
    source: str,
    catalogue: Catalogue | None,
    zone: Zone | None,
    year: int | None = None,
    dry_run: bool = False,
    user: str | None = None,
) -> KpiImport:
    cat, zn = catalogue or load_catalogue(), zone or load_zone()
    path = Path(path)
    if not path.exists():
        raise InputError(f"文件不存在 (file not found): {path}")
    table_name = "kpi_targets" if kind == "targets" else "kpi_actuals"
    digest = hashlib.sha256(path.read_bytes() + f"|{kind}|{source}|{year}".encode()).hexdigest()
    batch_id = f"{table_name}-{digest[:16]}"
    data, problems, rows_in = _read(path, kind, cat, zn, year)
    if problems:
        shown = "\n".join(f"  {p}" for p in problems[:_MAX_SHOWN])
        more = f"\n  … 另有 {len(problems) - _MAX_SHOWN} 处 (more)" if len(problems) > _MAX_SHOWN else ""
        raise ImportRejected(
            f"{path}: {len(problems)} 处错误, 未导入任何数据 ({len(problems)} problems; nothing was imported). "
            f"请逐条修改后重新导入 / fix each and import again:\n{shown}{more}",
            rejected=len(problems),
            report_path=None,
        )
    if dry_run:
        return KpiImport(kind, batch_id, data.num_rows, status="dry_run")
    ensure_ready(wh, zn)
    batches = wh.table("import_batches")
    if wh.to_arrow(batches.filter(batches.batch_id == batch_id)).num_rows:
        return KpiImport(kind, batch_id, data.num_rows, status="already_imported")
    now = utcnow().replace(microsecond=0)
    years = sorted(set(data["year"].to_pylist())) if kind == "targets" else []
    with wh.transaction():
        before = _target_values(wh, years) if years else {}
        merged = wh.merge(table_name, data, source=source, batch_id=batch_id, loaded_at=now)
        if years:
            changes = _import_changes(
                before,
                _target_values(wh, years),
                by=(user or "").strip() or source,
                batch_id=batch_id,
                file_name=path.name,
                at=utcnow(),
            )
            if changes:
                wh.append("kpi_target_history", _history_rows(changes))
        wh.append(
            "import_batches",
            _batch_row(batch_id, table_name, path.name, digest, source, rows_in, data.num_rows, merged, now),
        )
    return KpiImport(
        kind, batch_id, data.num_rows, merged.inserted, merged.updated, merged.unchanged, merged.conflicts
    )


def _batch_row(
    batch_id: str,
    kind: str,
    file_name: str,
    sha: str,
    source: str,
    rows_in: int,
    loaded: int,
    merged: object,
    now: dt.datetime,
) -> pa.Table:
    return pa.table(
        {
            "batch_id": [batch_id],
            "kind": [kind],
            "file_name": [file_name],
            "file_sha256": [sha],
            "source": [source],
            "rows_in": pa.array([rows_in], pa.int64()),
            "rows_loaded": pa.array([loaded], pa.int64()),
            "rows_rejected": pa.array([0], pa.int64()),
            "inserted": pa.array([getattr(merged, "inserted", 0)], pa.int64()),
            "updated": pa.array([getattr(merged, "updated", 0)], pa.int64()),
            "unchanged": pa.array([getattr(merged, "unchanged", 0)], pa.int64()),
            "conflicts": pa.array([getattr(merged, "conflicts", 0)], pa.int64()),
            "started_at": pa.array([now], pa.timestamp("us")),
            "finished_at": pa.array([utcnow()], pa.timestamp("us")),
        }
    )


def import_targets(
    wh: Warehouse,
    path: Path,
    *,
    source: str = "目标责任书",
    year: int | None = None,
    catalogue: Catalogue | None = None,
    zone: Zone | None = None,
    dry_run: bool = False,
    user: str | None = None,
) -> KpiImport:
    """Validate a 目标责任书 workbook (or CSV) and merge it into ``kpi_targets`` atomically.

    Raises :class:`ImportRejected` listing every problem (file, sheet, row, column, value, fix);
    nothing is written then. The same file imported twice changes nothing. Under the warehouse's
    merge rules a target edited by a person (another source) is not overwritten by a later file:
    the difference is recorded in ``import_conflicts``. Every target the file set or changed gets a
    ``kpi_target_history`` row (``source='import'``, ``changed_by`` = *user*, else *source*) in the
    same transaction.
    """
    return _import(
        wh,
        path,
        "targets",
        source=source,
        catalogue=catalogue,
        zone=zone,
        year=year,
        dry_run=dry_run,
        user=user,
    )


def import_actuals(
    wh: Warehouse,
    path: Path,
    *,
    source: str = "园区报送",
    catalogue: Catalogue | None = None,
    zone: Zone | None = None,
    dry_run: bool = False,
) -> KpiImport:
    """Validate park-level monthly actuals (当月值; columns 园区, 月份, indicators) into ``kpi_actuals``."""
    return _import(wh, path, "actuals", source=source, catalogue=catalogue, zone=zone, dry_run=dry_run)


class TargetError(InputError):
    """A target edit was refused; ``field`` names the argument that is wrong (``park_id``,
    ``indicator``, ``year``, ``value``, ``user`` or ``reason``), the message says the fix."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TargetChange:
    """One change of one target, as written to ``kpi_target_history``."""

    change_id: str
    park_id: str
    indicator: str
    year: int
    old: int | None
    """The value before (fen or a count); None when there was no target."""
    new: int
    changed_by: str
    changed_at: dt.datetime
    reason: str
    source: str = "edit"
    """``edit`` (a person, CLI or web) or ``import`` (a 目标责任书 file)."""
    batch_id: str | None = None

    @property
    def changed(self) -> bool:
        """False when the value was already the one asked for (then nothing was written)."""
        return self.old != self.new


MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_VALUE = 2**63 - 1
MAX_REASON = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_target_value(ind: Indicator, text: str | int, unit: str | None = None) -> int:
    """A target as people write it → the stored integer: money in *unit* (default the indicator's
    display unit, e.g. 万元) read exactly as fen, a count as a whole number. Raises
    :class:`TargetError` (field ``value``) with the fix."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise TargetError(
            f'目标值 {text!r} 须为文本或整数 (send the value as text, e.g. "4500.5", or an integer)',
            field="value",
        )
    if ind.unit == "fen":
        shown = unit or ind.display_unit
        try:
            value = parse_amount(text, shown, strict_unit=True)
        except MoneyError as exc:
            raise TargetError(f"{ind.name_zh} 目标值 ({shown}): {exc}", field="value") from exc
    else:
        if unit not in (None, "", ind.display_unit):
            raise TargetError(
                f"{ind.name_zh} 是个数, 单位为 {ind.display_unit}, 不能用 '{unit}' (a count; drop the unit)",
                field="value",
            )
        raw = str(text).strip().replace(",", "")
        if raw.endswith(ind.display_unit):
            raw = raw[: -len(ind.display_unit)].strip()
        if not re.fullmatch(r"\d+", raw):
            raise TargetError(
                f"{ind.name_zh} 目标值 '{text}' 应为非负整数 ({ind.display_unit}) (a whole number); "
                "请去掉小数或文字 / remove decimals and text",
                field="value",
            )
        value = int(raw)
    if value < 0:
        raise TargetError(f"{ind.name_zh} 目标值不能为负数 (must not be negative): {text}", field="value")
    if value > MAX_VALUE:
        raise TargetError(
            f"{ind.name_zh} 目标值 {text} 过大 (too large); 请核对单位 / check the unit", field="value"
        )
    return value


def _check_text(value: str, field: str, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise TargetError(f"修改目标须填写{what} ({field} is required)", field=field)
    if len(text) > MAX_REASON:
        raise TargetError(
            f"{what}过长, 最多 {MAX_REASON} 字 ({field}: at most {MAX_REASON} characters)", field=field
        )
    if _CONTROL.search(text):
        raise TargetError(f"{what}含控制字符, 请删去 ({field} contains control characters)", field=field)
    return text


def set_target(
    wh: Warehouse,
    park: str,
    indicator: str,
    year: int,
    value: int,
    *,
    user: str,
    reason: str,
    catalogue: Catalogue | None = None,
    at: dt.datetime | None = None,
) -> TargetChange:
    """Set one annual target (*value* in the indicator's unit: integer fen or a count) and record
    the change in ``kpi_target_history`` — both in one warehouse transaction.

    The target row's provenance becomes ``source=user`` (a person's value: a later 目标责任书 import
    offering another value records a conflict instead of overwriting it). Setting the value a target
    already has writes nothing (``TargetChange.changed`` is False). Raises :class:`TargetError`
    naming the wrong field.
    """
    cat = catalogue or load_catalogue()
    try:
        ind = cat.get(indicator)
    except InputError as exc:
        raise TargetError(str(exc), field="indicator") from exc
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise TargetError(f"年度 {year!r} 无效 (year must be {MIN_YEAR}–{MAX_YEAR})", field="year")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        raise TargetError(
            f"目标值 {value!r} 须为非负整数 ({'分 fen' if ind.unit == 'fen' else ind.display_unit}) "
            "(a target is a whole, non-negative number in the indicator's unit)",
            field="value",
        )
    who = _check_text(user, "user", "修改人")
    why = _check_text(reason, "reason", "修改原因")
    wh.migrate()
    known = wh.to_arrow(wh.table("parks").select("park_id"))["park_id"].to_pylist()
    if park not in known:
        raise TargetError(
            f"未知园区 '{park}' (unknown park); 可用 / use one of: {', '.join(sorted(known))}",
            field="park_id",
        )
    now = at or utcnow()
    change_id = "edit-" + uuid.uuid4().hex[:20]
    with wh.transaction():
        current = wh.to_arrow(wh.table("kpi_targets"))
        key = [
            (r["park_id"], r["indicator"], r["year"]) == (park, ind.id, year)
            for r in current.select(["park_id", "indicator", "year"]).to_pylist()
        ]
        hit = current.filter(pa.array(key, pa.bool_())).to_pylist()
        old = None if not hit or hit[0]["value"] is None else int(hit[0]["value"])
        change = TargetChange(change_id, park, ind.id, year, old, value, who, now, why, "edit")
        if not change.changed:
            return change
        row = pa.Table.from_pylist(
            [
                {
                    "park_id": park,
                    "indicator": ind.id,
                    "year": year,
                    "value": value,
                    "source": who,
                    "batch_id": change_id,
                    "loaded_at": now.replace(microsecond=0),
                }
            ],
            schema=current.schema,
        )
        kept = current.filter(pa.array([not k for k in key], pa.bool_()))
        wh.replace("kpi_targets", pa.concat_tables([kept, row]))
        wh.append("kpi_target_history", _history_rows([change]))
    return change


def _history_rows(changes: list[TargetChange]) -> pa.Table:
    return pa.table(
        {
            "change_id": pa.array([c.change_id for c in changes], pa.string()),
            "park_id": pa.array([c.park_id for c in changes], pa.string()),
            "indicator": pa.array([c.indicator for c in changes], pa.string()),
            "year": pa.array([c.year for c in changes], pa.int32()),
            "old_value": pa.array([c.old for c in changes], pa.int64()),
            "new_value": pa.array([c.new for c in changes], pa.int64()),
            "changed_by": pa.array([c.changed_by for c in changes], pa.string()),
            "changed_at": pa.array([c.changed_at for c in changes], pa.timestamp("us")),
            "reason": pa.array([c.reason for c in changes], pa.string()),
            "source": pa.array([c.source for c in changes], pa.string()),
            "batch_id": pa.array([c.batch_id for c in changes], pa.string()),
        }
    )


def _target_values(wh: Warehouse, years: list[int]) -> dict[tuple[str, str, int], int | None]:
    t = wh.table("kpi_targets")
    rows = wh.to_arrow(t.filter(t.year.isin(years)).select("park_id", "indicator", "year", "value"))
    return {(r["park_id"], r["indicator"], r["year"]): r["value"] for r in rows.to_pylist()}


def _import_changes(
    before: dict[tuple[str, str, int], int | None],
    after: dict[tuple[str, str, int], int | None],
    *,
    by: str,
    batch_id: str,
    file_name: str,
    at: dt.datetime,
) -> list[TargetChange]:
    """The targets an import changed (new or different values; a conflict kept the old one)."""
    out = []
    for key in sorted(after):
        new = after[key]
        if new is None or before.get(key) == new:
            continue
        park, ind, year = key
        out.append(
            TargetChange(
                f"{batch_id}:{park}:{ind}:{year}",
                park,
                ind,
                year,
                before.get(key),
                int(new),
                by,
                at,
                f"导入 {file_name} (import)",
                "import",
                batch_id,
            )
        )
    return out


HISTORY_COLUMNS = (
    "change_id",
    "park_id",
    "indicator",
    "year",
    "old_value",
    "new_value",
    "changed_by",
    "changed_at",
    "reason",
    "source",
    "batch_id",
)


def target_history(
    wh: Warehouse,
    park: str | None = None,
    indicator: str | None = None,
    year: int | None = None,
    *,
    catalogue: Catalogue | None = None,
) -> pa.Table:
    """Every change of a target (``kpi_target_history``), oldest first: edits by people and the
    values a 目标责任书 import set or changed. *indicator* is an id or a Chinese name.

    Columns: ``change_id, park_id, indicator, year, old_value, new_value`` (the indicator's unit:
    fen or a count; ``old_value`` null for a new target), ``changed_by, changed_at, reason,
    source`` (``edit`` or ``import``) and ``batch_id`` (the import batch; null for edits).
    """
    t = wh.table("kpi_target_history")
    if park is not None:
        t = t.filter(t.park_id == park)
    if indicator is not None:
        t = t.filter(t.indicator == (catalogue or load_catalogue()).get(indicator).id)
    if year is not None:
        t = t.filter(t.year == year)
    return wh.to_arrow(t.select(*HISTORY_COLUMNS).order_by(["changed_at", "change_id"]))
