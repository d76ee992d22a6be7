"""Import a user's file into the warehouse: read, map, validate, report, merge — atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.clock import utcnow
from zonebrain.core.errors import ImportRejected, InputError
from zonebrain.registry._headers import load_mapping, map_headers
from zonebrain.registry._read import BadRow, read_table_file
from zonebrain.registry._report import conflict_rows, write_reject_report
from zonebrain.registry._validate import Context, Validated, validate
from zonebrain.registry._xlsx import first_sheet
from zonebrain.registry._zone import Zone, load_zone
from zonebrain.registry.formats import FORMATS
from zonebrain.storage import Warehouse

Progress = Callable[[str, int, int], None]

DEFAULT_SOURCES = {
    "enterprises": "市场监管",
    "finance": "统计",
    "monthly": "统计",
    "events": "市场监管",
    "tags": "科技",
    "reference": "参考库",
    "signals": "参考库",
    "panel": "参考库",
}
"""The source recorded when none is given: the department that usually supplies each kind."""


@dataclass
class ImportReport:
    kind: str
    file: Path
    batch_id: str
    encoding: str
    rows_in: int
    rows_rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    status: str = "imported"
    """``imported``, ``already_imported`` (same file seen before: nothing changed), ``dry_run``."""
    report_path: Path | None = None
    unused_columns: list[str] = field(default_factory=list)
    problems_by_rule: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    sheet: str | None = None
    """The sheet read (xlsx only)."""
    warnings: list[str] = field(default_factory=list)
    """Not errors, but the user should see them: other sheets left unread, a title row or blank rows skipped."""


def _batch_id(
    kind: str,
    data: bytes,
    mapping: dict[str, str],
    source: str,
    *,
    sheet: str | None = None,
    accept_partial: bool = False,
) -> tuple[str, str]:
    """The identity of an import: what was read (file, sheet) and how (kind, mapping, source, partial).

    *sheet* is the sheet read when it is not the workbook's first (the default): the sheet and
    ``--accept-partial`` are appended only when they apply, so a plain import (a CSV, or an
    xlsx's first sheet, named or not) keeps the batch id it had before they were part of it.
    """
    digest = hashlib.sha256(data).hexdigest()
    identity = f"{kind}\0{digest}\0{sorted(mapping.items())}\0{source}"
    if sheet is not None:
        identity += f"\0sheet={sheet}"
    if accept_partial:
        identity += "\0accept_partial"
    return hashlib.sha256(identity.encode()).hexdigest()[:20], digest


def _sheet_identity(path: Path, sheet: str | None) -> str | None:
    """*sheet* when it names a sheet other than the first of an .xlsx, else None (see ``_batch_id``)."""
    if sheet is None or path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    return None if sheet == first_sheet(path) else sheet


def ensure_ready(wh: Warehouse, zone: Zone) -> None:
    """Create or migrate the schema and write the zone's parks (idempotent). A warehouse holds one
    zone: a zone file for another zone is refused, naming both, before anything is written (QA: an
    import without ``--zone-file`` replaced a Luoyang zone's parks with Zhengzhou's and filed its
    firms under 梧桐); the same zone's file with parks added or renamed replaces them."""
    wh.migrate()
    parks = zone.parks_table()
    current = wh.to_arrow(wh.table("parks").order_by("park_id"))
    held = sorted({str(c) for c in current["zone_code"].to_pylist() if c})
    if held and held != [zone.zone.code]:
        names = "、".join(str(n) for n in current["short_name"].to_pylist()[:6] if n)
        raise InputError(
            f"仓库已属于园区 {'、'.join(held)} (园区: {names}), 而本次的园区定义文件是 {zone.zone.code} "
            f"{zone.zone.name_zh}; 请用 --zone-file (或环境变量 ZONEBRAIN_ZONE_FILE) 指定该仓库的园区定义文件, "
            f"或为另一园区使用另一个数据目录 (the warehouse holds zone {'、'.join(held)}; this command's zone "
            f"file is {zone.zone.code}: give the warehouse's zone file with --zone-file, or use another "
            "data directory for another zone)"
        )
    if (
        current.select(parks.column_names).sort_by("park_id").to_pylist()
        != parks.sort_by("park_id").to_pylist()
    ):
        wh.replace("parks", parks)


def import_file(
    wh: Warehouse,
    kind: str,
    path: Path,
    *,
    zone: Zone | None = None,
    source: str | None = None,
    mapping_file: Path | None = None,
    sheet: str | None = None,
    accept_partial: bool = False,
    dry_run: bool = False,
    report_dir: Path | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Import one file of *kind* (see :data:`zonebrain.registry.formats.FORMATS`).

    All or nothing: a file with any bad row is rejected whole (a report names every
    problem) unless *accept_partial*, which imports the good rows and still reports the
    bad. Importing the same file again changes nothing. *dry_run* validates and writes
    only the report.
    """
    started = time.perf_counter()
    step = progress or (lambda name, done, total: None)
    if kind not in FORMATS:
        raise InputError(
            f"未知导入类型 '{kind}' (unknown import kind); 可用 / use one of: {', '.join(FORMATS)}"
        )
    fmt = FORMATS[kind]
    zone = zone or load_zone()
    path = Path(path)
    source = source or DEFAULT_SOURCES[kind]
    mapping = load_mapping(mapping_file)
    step("读取 read", 0, 4)
    if not path.exists():
        raise InputError(f"文件不存在 (file not found): {path}")
    batch_id, sha = _batch_id(
        kind,
        path.read_bytes(),
        mapping,
        source,
        sheet=_sheet_identity(path, sheet),
        accept_partial=accept_partial,
    )
    if not dry_run:
        ensure_ready(wh, zone)
        seen = wh.to_arrow(wh.table("import_batches").filter(wh.table("import_batches").batch_id == batch_id))
        if seen.num_rows:
            return ImportReport(
                kind,
                path,
                batch_id,
                "",
                int(seen["rows_in"][0].as_py()),
                status="already_imported",
                seconds=time.perf_counter() - started,
            )
    raw = read_table_file(path, sheet)
    if raw.table.num_rows == 0 and not raw.bad_rows:  # QA: it "imported" 0 rows and recorded a batch
        where = f" (工作表 {raw.sheet})" if raw.sheet else ""
        raise InputError(
            f"{path}{where}: 只有表头, 没有数据行 (headers only, no data rows); 请确认导出的是正确的文件或"
            "工作表 / check that the right file or sheet was exported"
        )
    rows = raw.row_numbers()
    mapped, unused = map_headers(raw.table.column_names, fmt, mapping, path)
    step("校验 validate", 1, 4)
    ctx = Context(zone, today=today or dt.date.today())
    # a dry run reads the registry too (it writes nothing), unless the warehouse is still empty
    if fmt.parent and (not dry_run or wh.schema_version() > 0):
        parents = wh.to_arrow(wh.table(fmt.parent).select("uscc"))
        ctx.known_keys[fmt.parent] = parents["uscc"].combine_chunks()
    result = validate(raw.table, mapped, fmt, ctx, rows, booleans=raw.booleans)
    report = ImportReport(
        kind,
        path,
        batch_id,
        raw.encoding,
        raw.table.num_rows + len(raw.bad_rows),
        unused_columns=unused,
        sheet=raw.sheet,
        warnings=list(raw.warnings),
    )
    report.rows_rejected = int(result.bad.sum()) + len(raw.bad_rows)
    for rule in result.problems.rule:
        report.problems_by_rule[rule] = report.problems_by_rule.get(rule, 0) + 1
    if raw.bad_rows:
        report.problems_by_rule["column_count"] = len(raw.bad_rows)
    report_file = (report_dir or path.parent) / f"{path.stem}.rejected.xlsx"
    if report.rows_rejected:
        report.report_path = write_reject_report(
            report_file, path, raw.table, rows, result.problems, raw.rejected_lines(), sheet=raw.sheet
        )
        if not accept_partial:
            top = sorted(report.problems_by_rule.items(), key=lambda kv: -kv[1])
            first = _first_problems(result, rows, raw.rejected_lines(), path)
            notes = "".join(f"注意 (note): {w}\n" for w in report.warnings)
            raise ImportRejected(
                f"{path}: {report.rows_rejected} 行有问题，整批未导入 ({report.rows_rejected} bad rows; nothing was "
                f"imported). 问题类型 (by rule): {dict(top)}.\n{first}\n{notes}"
                f"完整清单见 (full list in): {report.report_path}\n"
                "请修改后重新导入，或加 --accept-partial 只导入无问题的行 / fix and re-import, or pass --accept-partial",
                rejected=report.rows_rejected,
                report_path=str(report.report_path),
            )
    if dry_run:
        report.status = "dry_run"
        report.seconds = time.perf_counter() - started
        return report
    step("写入 write", 2, 4)
    good = ~result.bad
    data = pa.table({k: v.filter(pa.array(good)) for k, v in result.typed.items()})
    data = _derive(kind, data, zone)
    now = utcnow().replace(microsecond=0)
    with wh.transaction():
        merged = wh.merge(fmt.table, data, source=source, batch_id=batch_id, loaded_at=now)
        _fault_point()
        wh.append(
            "import_batches",
            pa.table(
                {
                    "batch_id": [batch_id],
                    "kind": [kind],
                    "file_name": [path.name],
                    "file_sha256": [sha],
                    "source": [source],
                    "rows_in": [report.rows_in],
                    "rows_loaded": [data.num_rows],
                    "rows_rejected": [report.rows_rejected],
                    "inserted": [merged.inserted],
                    "updated": [merged.updated],
                    "unchanged": [merged.unchanged],
                    "conflicts": [merged.conflicts],
                    "started_at": [now],
                    "finished_at": [utcnow().replace(microsecond=0)],
                }
            ),
        )
    report.inserted, report.updated, report.unchanged, report.conflicts = (
        merged.inserted,
        merged.updated,
        merged.unchanged,
        merged.conflicts,
    )
    if merged.conflicts:
        conflicts = wh.to_arrow(
            wh.table("import_conflicts").filter(wh.table("import_conflicts").batch_id == batch_id)
        )
        shown = conflict_rows(conflicts, fmt, mapped, raw.table, result.typed, good, rows, zone)
        report.report_path = write_reject_report(
            report_file,
            path,
            raw.table,
            rows,
            result.problems,
            raw.rejected_lines(),
            shown,
            sheet=raw.sheet,
        )
    step("完成 done", 4, 4)
    report.seconds = time.perf_counter() - started
    return report


def _first_problems(result: Validated, rows: np.ndarray, bad_rows: list[BadRow], path: Path) -> str:
    p = result.problems
    lines = [
        f"  {path.name} 第 {b.line} 行 (row {b.line}): {b.reason}; 原文 (as written): {b.text!r}"
        for b in bad_rows[:5]
    ]
    order = sorted(range(len(p)), key=lambda k: (rows[p.index[k]], p.column[k]))
    for k in order[: max(0, 10 - len(lines))]:
        lines.append(
            f"  {path.name} 第 {rows[p.index[k]]} 行 (row {rows[p.index[k]]}), 列 '{p.column[k]}', "
            f"值 {p.value[k]!r}: {p.message[k]}"
        )
    return "\n".join(lines)


def _derive(kind: str, data: pa.Table, zone: Zone) -> pa.Table:
    """Columns computed from others: a park's division code, a firm's province and city."""
    if kind == "enterprises":
        ids = pa.array([p.id for p in zone.parks])
        codes = pa.array([p.division_code for p in zone.parks])
        data = data.append_column(
            "division_code", pc.take(codes, pc.index_in(data["park_id"], value_set=ids))
        )
    if kind == "reference":
        codes = data["division_code"]
        data = data.append_column(
            "province_code", pc.binary_join_element_wise(pc.utf8_slice_codeunits(codes, 0, 2), "0000", "")
        )
        data = data.append_column(
            "prefecture_code", pc.binary_join_element_wise(pc.utf8_slice_codeunits(codes, 0, 4), "00", "")
        )
    return data


def _fault_point() -> None:
    """Crash-safety tests set ZONEBRAIN_TEST_PAUSE_BEFORE_COMMIT to hold an import open here."""
    pause = os.environ.get("ZONEBRAIN_TEST_PAUSE_BEFORE_COMMIT")
    if pause:
        marker = os.environ.get("ZONEBRAIN_TEST_MARKER")
        if marker:
            Path(marker).write_text("writing", encoding="utf-8")
        time.sleep(float(pause))
