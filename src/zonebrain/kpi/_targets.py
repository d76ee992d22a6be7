"""Targets (目标责任书) and park-level actuals: the Excel template, validated import, edits with history.

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
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from zonebrain.core.errors import ImportRejected, InputError, MoneyError
from zonebrain.core.money import parse_amount
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
    wb.save(path)
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
    now = dt.datetime.now().replace(microsecond=0)
    with wh.transaction():
        merged = wh.merge(table_name, data, source=source, batch_id=batch_id, loaded_at=now)
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
            "finished_at": pa.array([dt.datetime.now()], pa.timestamp("us")),
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
) -> KpiImport:
    """Validate a 目标责任书 workbook (or CSV) and merge it into ``kpi_targets`` atomically.

    Raises :class:`ImportRejected` listing every problem (file, sheet, row, column, value, fix);
    nothing is written then. The same file imported twice changes nothing. Under the warehouse's
    merge rules a target edited by a person (another source) is not overwritten by a later file:
    the difference is recorded in ``import_conflicts``.
    """
    return _import(
        wh, path, "targets", source=source, catalogue=catalogue, zone=zone, year=year, dry_run=dry_run
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


def set_target(
    wh: Warehouse,
    park_id: str,
    indicator: str,
    year: int,
    value: int,
    author: str,
    note: str = "",
    *,
    catalogue: Catalogue | None = None,
) -> int | None:
    """Set one target (in the indicator's unit: fen or a count); return the previous value.

    The row's provenance becomes ``source=author``. History is kept as an ``import_batches`` row of
    kind ``kpi_target_edit`` whose ``file_name`` holds JSON ``{park_id, indicator, year, old, new,
    note}`` (until a dedicated history table exists); :func:`target_history` reads it back.
    """
    cat = catalogue or load_catalogue()
    ind = cat.get(indicator)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(
            f"目标值 {value!r} 须为非负整数 ({ind.unit}) (a target is a whole, non-negative number)"
        )
    if not author.strip():
        raise InputError("修改目标须注明修改人 (author is required)")
    known = wh.to_arrow(wh.table("parks").select("park_id"))["park_id"].to_pylist()
    if park_id not in known:
        raise InputError(f"未知园区 '{park_id}' (unknown park); 可用: {', '.join(known)}")
    t = wh.table("kpi_targets")
    current = wh.to_arrow(t)
    mask = [
        not (r["park_id"] == park_id and r["indicator"] == ind.id and r["year"] == year)
        for r in current.select(["park_id", "indicator", "year"]).to_pylist()
    ]
    old_rows = current.filter(pa.array([not m for m in mask])).to_pylist()
    old = int(old_rows[0]["value"]) if old_rows else None
    now = dt.datetime.now().replace(microsecond=0)
    payload = json.dumps(
        {"park_id": park_id, "indicator": ind.id, "year": year, "old": old, "new": value, "note": note},
        ensure_ascii=False,
        sort_keys=True,
    )
    batch_id = (
        "kpi_target_edit-" + hashlib.sha256(f"{payload}|{author}|{now.isoformat()}".encode()).hexdigest()[:16]
    )
    new = pa.Table.from_pylist(
        [
            {
                "park_id": park_id,
                "indicator": ind.id,
                "year": year,
                "value": value,
                "source": author,
                "batch_id": batch_id,
                "loaded_at": now,
            }
        ],
        schema=current.schema,
    )
    with wh.transaction():
        wh.replace("kpi_targets", pa.concat_tables([current.filter(pa.array(mask, pa.bool_())), new]))
        merged = {"inserted": int(old is None), "updated": int(old is not None)}
        wh.append(
            "import_batches",
            _batch_row(batch_id, "kpi_target_edit", payload, "", author, 1, 1, _Counts(**merged), now),
        )
    return old


@dataclass
class _Counts:
    inserted: int
    updated: int


HISTORY_SCHEMA = pa.schema(
    [
        ("at", pa.timestamp("us")),
        ("author", pa.string()),
        ("kind", pa.string()),
        ("park_id", pa.string()),
        ("indicator", pa.string()),
        ("year", pa.int32()),
        ("old", pa.int64()),
        ("new", pa.int64()),
        ("note", pa.string()),
    ]
)


def target_history(
    wh: Warehouse, *, park_id: str | None = None, indicator: str | None = None, year: int | None = None
) -> pa.Table:
    """Every change to targets, oldest first: manual edits (with old and new value) and file imports
    (``kind='kpi_targets'``; the file name in ``note``)."""
    b = wh.table("import_batches")
    rows = wh.to_arrow(
        b.filter(b.kind.isin(["kpi_target_edit", "kpi_targets"])).select(
            "kind", "file_name", "source", "finished_at"
        )
    ).to_pylist()
    out = []
    for r in rows:
        if r["kind"] == "kpi_target_edit":
            d = json.loads(r["file_name"])
            rec = {
                "park_id": d["park_id"],
                "indicator": d["indicator"],
                "year": d["year"],
                "old": d["old"],
                "new": d["new"],
                "note": d["note"],
            }
        else:
            rec = {
                "park_id": None,
                "indicator": None,
                "year": None,
                "old": None,
                "new": None,
                "note": r["file_name"],
            }
        if (park_id and rec["park_id"] not in (None, park_id)) or (
            indicator and rec["indicator"] not in (None, indicator)
        ):
            continue
        if year and rec["year"] not in (None, year):
            continue
        out.append({"at": r["finished_at"], "author": r["source"], "kind": r["kind"], **rec})
    out.sort(key=lambda x: x["at"])  # finished_at keeps microseconds: edits in one second stay in order
    return pa.Table.from_pylist(out, schema=HISTORY_SCHEMA)
