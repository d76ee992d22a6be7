"""Import the 1M-firm reference registry: ZoneBrain against the straightforward pandas path.

Both sides read the same CSV, apply the same checks (USCC rules, GB/T 4754 class, division
code, money in fen, dates, duplicates) and insert into a fresh DuckDB file. Each side runs in
its own child process so its peak memory (max RSS) is its own.

    python benchmarks/import_bench.py [--firms 1000000] [--csv PATH] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def zonebrain_side(csv_path: str, db: str, queue: Any) -> None:
    from zonebrain.registry import import_file
    from zonebrain.storage import open_warehouse

    started = time.perf_counter()
    with open_warehouse(db) as wh:
        report = import_file(wh, "reference", Path(csv_path), accept_partial=True)
        rows = wh.count("reference_enterprises")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "peak_mb": peak, "rows": rows, "rejected": report.rows_rejected})


def pandas_side(csv_path: str, db: str, queue: Any) -> None:
    """The path a careful analyst writes: read_csv, validate row by row, insert into DuckDB."""
    import duckdb
    import pandas as pd

    from zonebrain.core.divisions import divisions
    from zonebrain.core.errors import InputError
    from zonebrain.core.industry import gbt4754
    from zonebrain.core.money import parse_amount
    from zonebrain.core.uscc import broken_rule

    started = time.perf_counter()
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    classes = {i.code for i in gbt4754().level("class")}
    known = divisions()
    today = dt.date.today()
    out: dict[str, list[Any]] = {
        k: []
        for k in (
            "uscc",
            "name",
            "division_code",
            "province_code",
            "prefecture_code",
            "industry_code",
            "registered_capital_fen",
            "registered_on",
            "revenue_fen",
            "employees",
            "tags",
        )
    }
    seen: set[str] = set()
    rejected = 0
    for row in df.itertuples(index=False):
        code, name, division, industry, capital, founded, revenue, employees, tags = row
        code = code.strip().upper()
        ok = broken_rule(code) is None and code not in seen and bool(name.strip())
        ok = ok and industry in classes and division.isdigit() and len(division) in (6, 9)
        ok = ok and (division in known or division[:4] + "00" in known or division[:6] in known)
        try:
            capital_fen = parse_amount(capital, "万元", strict_unit=True) if capital else None
            revenue_fen = parse_amount(revenue, "万元", strict_unit=True) if revenue else None
            founded_on = dt.date.fromisoformat(founded)
            staff = int(employees) if employees else None
        except (InputError, ValueError):
            ok = False
        if not ok or founded_on > today or (capital_fen or 0) < 0 or (revenue_fen or 0) < 0:
            rejected += 1
            continue
        seen.add(code)
        out["uscc"].append(code)
        out["name"].append(name)
        out["division_code"].append(division)
        out["province_code"].append(division[:2] + "0000")
        out["prefecture_code"].append(division[:4] + "00")
        out["industry_code"].append(industry)
        out["registered_capital_fen"].append(capital_fen)
        out["registered_on"].append(founded_on)
        out["revenue_fen"].append(revenue_fen)
        out["employees"].append(staff)
        out["tags"].append(tags or None)
    frame = pd.DataFrame(out)
    frame["registered_capital_fen"] = frame["registered_capital_fen"].astype("Int64")
    frame["revenue_fen"] = frame["revenue_fen"].astype("Int64")
    frame["employees"] = frame["employees"].astype("Int64")
    con = duckdb.connect(db)
    con.register("frame", frame)
    con.execute("CREATE TABLE reference_enterprises AS SELECT * FROM frame")
    rows = con.execute("SELECT count(*) FROM reference_enterprises").fetchone()[0]  # type: ignore[index]
    con.close()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "peak_mb": peak, "rows": rows, "rejected": rejected})


def run_child(target: Any, csv_path: Path, db: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(str(csv_path), str(db), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, help="an existing reference CSV (else one is generated)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv_path = args.csv
        if csv_path is None:
            from zonebrain.demo import generate_reference

            t = time.perf_counter()
            files = generate_reference(work, seed=args.seed, n_firms=args.firms)
            csv_path = Path(files.enterprises)
            print(f"generated {args.firms:,} firms in {time.perf_counter() - t:.1f}s: {csv_path}")
        size = csv_path.stat().st_size / 1e6
        print(f"input: {csv_path.name}, {size:.0f} MB")
        zb = run_child(zonebrain_side, csv_path, work / "zb.duckdb")
        pd_ = run_child(pandas_side, csv_path, work / "pd.duckdb")
    print()
    print(f"{'path':<34}{'seconds':>10}{'peak MB':>10}{'rows':>12}{'rejected':>10}")
    print(
        f"{'ZoneBrain (import_file)':<34}{zb['seconds']:>10.1f}{zb['peak_mb']:>10.0f}{zb['rows']:>12,}"
        f"{zb['rejected']:>10,}"
    )
    print(
        f"{'pandas row by row -> DuckDB':<34}{pd_['seconds']:>10.1f}{pd_['peak_mb']:>10.0f}{pd_['rows']:>12,}"
        f"{pd_['rejected']:>10,}"
    )
    print(
        f"\nratio (pandas / ZoneBrain): {pd_['seconds'] / zb['seconds']:.1f}x faster; "
        f"goal >= 3x and peak < 2048 MB: {'MET' if pd_['seconds'] / zb['seconds'] >= 3 and zb['peak_mb'] < 2048 else 'NOT MET'}"
    )
    if zb["rows"] != pd_["rows"]:
        print(f"WARNING: row counts differ ({zb['rows']} vs {pd_['rows']})")


if __name__ == "__main__":
    main()
