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
from zonebrain.registry._read import read_table_file
from zonebrain.registry._report import write_reject_report
from zonebrain.registry._validate import Context, Validated, validate
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


def _batch_id(kind: str, data: bytes, mapping: dict[str, str], source: str) -> tuple[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    h = hashlib.sha256(f"{kind}\0{digest}\0{sorted(mapping.items())}\0{source}".encode())
    return h.hexdigest()[:20], digest


def ensure_ready(wh: Warehouse, zone: Zone) -> None:
    """Create or migrate the schema and write the zone's parks (idempotent)."""
    wh.migrate()
    parks = zone.parks_table()
    current = wh.to_arrow(wh.table("parks").order_by("park_id"))
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
    batch_id, sha = _batch_id(kind, path.read_bytes(), mapping, source)
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
    rows = raw.row_numbers()
    mapped, unused = map_headers(raw.table.column_names, fmt, mapping, path)
    step("校验 validate", 1, 4)
    ctx = Context(zone, today=today or dt.date.today())
    # a dry run reads the registry too (it writes nothing), unless the warehouse is still empty
    if fmt.parent and (not dry_run or wh.schema_version() > 0):
        parents = wh.to_arrow(wh.table(fmt.parent).select("uscc"))
        ctx.known_keys[fmt.parent] = parents["uscc"].combine_chunks()
    result = validate(raw.table, mapped, fmt, ctx, rows)
    report = ImportReport(
        kind, path, batch_id, raw.encoding, raw.table.num_rows + len(raw.bad_rows), unused_columns=unused
    )
    report.rows_rejected = int(result.bad.sum()) + len(raw.bad_rows)
    for rule in result.problems.rule:
        report.problems_by_rule[rule] = report.problems_by_rule.get(rule, 0) + 1
    if raw.bad_rows:
        report.problems_by_rule["column_count"] = len(raw.bad_rows)
    if report.rows_rejected:
        report.report_path = write_reject_report(
            (report_dir or path.parent) / f"{path.stem}.rejected.xlsx",
            path,
            raw.table,
            rows,
            result.problems,
            raw.bad_rows,
        )
        if not accept_partial:
            top = sorted(report.problems_by_rule.items(), key=lambda kv: -kv[1])
            first = _first_problems(result, rows, raw.bad_rows, path)
            raise ImportRejected(
                f"{path}: {report.rows_rejected} 行有问题，整批未导入 ({report.rows_rejected} bad rows; nothing was "
                f"imported). 问题类型 (by rule): {dict(top)}.\n{first}\n"
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
        report.report_path = write_reject_report(
            (report_dir or path.parent) / f"{path.stem}.rejected.xlsx",
            path,
            raw.table,
            rows,
            result.problems,
            raw.bad_rows,
            conflicts,
        )
    step("完成 done", 4, 4)
    report.seconds = time.perf_counter() - started
    return report


def _first_problems(result: Validated, rows: np.ndarray, bad_rows: list[tuple[int, str]], path: Path) -> str:
    p = result.problems
    lines = [f"  {path.name} 第 {line} 行 (row {line}): {reason}" for line, reason in bad_rows[:5]]
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
