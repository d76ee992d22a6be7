"""Benchmark: the web's Excel export of a run's results, ZoneBrain's writer against openpyxl.

    .venv/bin/python benchmarks/xlsx_bench.py                # 120,000 rows (20,000 firms x 6 clauses)
    .venv/bin/python benchmarks/xlsx_bench.py --rows 20000   # quick

The table is shaped as the run page's unfiltered results export (``RESULT_COLUMNS``: USCC, name,
park, policy, 条款, title, status, amount in 元, missing data, ledger note, codes), with synthetic
values. Two subprocesses, one after the other, each writing the same rows to an .xlsx in memory:

1. ``openpyxl``: the anchor, openpyxl's write-only workbook with a cell object per value (text
   cells forced to text, amounts as Decimal with ``#,##0.00``): the writer ZoneBrain used before.
2. ``zonebrain``: :func:`zonebrain.web._tables.to_xlsx` (XlsxWriter underneath).

Each worker reports its wall time (median of ``--repeat`` runs) and its peak resident memory
(``ru_maxrss``). The parent reads both files back and checks that they hold the same values, then
prints the times, the ratio and memory. Timing is not a test: the machine is shared.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

PARKS = ("梧桐", "石佛", "枫杨", "双桥")
POLICIES = (
    ("zz-hitech-first-cert", "award", "第一条", "郑州市高新技术企业首次认定奖励"),
    ("zz-rd-input", "award", "第一条", "郑州高新区企业研发投入奖励"),
    ("zz-revenue-breakthrough", "reach-10m", "第一条第一款", "郑州高新区营业收入首次突破奖励"),
)
STATUSES = ("符合", "不符合", "待核实", "从高不重复")


def rows(n: int) -> list[dict[str, Any]]:
    """*n* result rows, deterministic."""
    out = []
    for i in range(n):
        pid, cid, ref, name = POLICIES[i % len(POLICIES)]
        status = STATUSES[(i * 7) % len(STATUSES)]
        out.append(
            {
                "uscc": f"91410172{i:09d}X", "name": f"郑州某某科技有限公司{i}", "park": PARKS[i % 4],
                "policy_name": name, "clause_ref": ref, "clause_title": "按上年度销售收入分档奖励 / tiered",
                "status_text": status, "amount_fen": (i * 1_234_567) % 50_000_000 if status == "符合" else None,
                "missing_text": "2024年研发费用" if status == "待核实" else "", "ledger_text": "",
                "policy_id": pid, "clause_id": cid,
            }
        )  # fmt: skip
    return out


def _table(n: int) -> Any:
    from zonebrain.web._queries.policy import RESULT_COLUMNS
    from zonebrain.web._tables import DataTable

    columns = [c for c in RESULT_COLUMNS if c.xlsx and c.key not in ("status",)]
    return DataTable(
        "policy_results_bench", "policy.results_title", columns, rows(n), title_params={"run": "bench"}
    )


def write_openpyxl(table: Any) -> bytes:
    """The anchor: openpyxl write-only, one cell object per value, as ZoneBrain wrote before."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=table.name[:31])
    ws.append(["results"])
    ws.append([c.key for c in table.columns])
    for r in table.rows:
        out: list[Any] = []
        for c in table.columns:
            v = r.get(c.key)
            if v is not None and c.kind == "fen":
                cell = WriteOnlyCell(
                    ws, value=(Decimal(int(v)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
                )
                cell.number_format = "#,##0.00"
                out.append(cell)
            elif isinstance(v, str):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_zonebrain(table: Any) -> bytes:
    from zonebrain.web._i18n import translator
    from zonebrain.web._tables import to_xlsx

    return to_xlsx(table, translator("zh-CN"))


def worker(kind: str, n: int, repeat: int, out: Path) -> None:
    write = write_openpyxl if kind == "openpyxl" else write_zonebrain
    table = _table(n)  # the rows built and the web's modules imported before the clock starts
    write(_table(10))  # and the writer's own imports
    times = []
    data = b""
    for _ in range(repeat):
        started = time.perf_counter()
        data = write(table)
        times.append(time.perf_counter() - started)
    out.write_bytes(data)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"seconds": statistics.median(times), "all": times, "peak_mb": peak_mb, "bytes": len(data)}
        )
    )


def values(path: Path) -> list[tuple[Any, ...]]:
    """The data rows' values (title and header rows skipped), amounts compared as text to the fen."""
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True).active
    assert ws is not None
    got = []
    for row in ws.iter_rows(min_row=3, values_only=True):
        got.append(
            tuple(f"{v:.2f}" if isinstance(v, float | int) and not isinstance(v, bool) else v for v in row)
        )
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=120_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", choices=("openpyxl", "zonebrain"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.rows, args.repeat, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="zonebrain-xlsx-bench-") as tmp:
        compare(args, Path(tmp))


def compare(args: argparse.Namespace, folder: Path) -> None:
    got: dict[str, dict[str, Any]] = {}
    for kind in ("openpyxl", "zonebrain"):
        path = folder / f"{kind}.xlsx"
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--rows",
            str(args.rows),
            "--repeat",
            str(args.repeat),
        ]
        done = subprocess.run([*cmd, "--out", str(path)], check=True, capture_output=True, text=True)
        got[kind] = json.loads(done.stdout.strip().splitlines()[-1]) | {"path": path}
    same = values(got["openpyxl"]["path"]) == values(got["zonebrain"]["path"])
    a, z = got["openpyxl"], got["zonebrain"]
    print(f"rows: {args.rows:,} x {len(_table(1).columns)} columns; median of {args.repeat}")
    print("| writer | time | peak RSS | file |")
    print("| --- | --- | --- | --- |")
    print(
        f"| openpyxl write-only (anchor) | {a['seconds']:.2f} s | {a['peak_mb']:,.0f} MB | {a['bytes']:,} B |"
    )
    print(
        f"| ZoneBrain to_xlsx (XlsxWriter) | {z['seconds']:.2f} s | {z['peak_mb']:,.0f} MB | {z['bytes']:,} B |"
    )
    print(
        f"ratio openpyxl / ZoneBrain: {a['seconds'] / z['seconds']:.2f}x; same values in both files: {same}"
    )
    if not same:
        raise SystemExit("the two files differ")


if __name__ == "__main__":
    main()
