"""The same jobs on DuckDB, PostgreSQL and Spark: import and zone summary of the 1M-firm registry.

    python benchmarks/engines_bench.py [--firms 1000000] [--engines duckdb,postgres,spark] [--markdown FILE]

Data: the national reference registry of ``zonebrain.demo.generate_reference`` (seed 42). Jobs,
timed one by one on each engine, each engine in its own child process:

* ``import reference``: ``import_file(kind="reference")`` of the whole CSV into an empty warehouse
  (read, validate, merge; reading and validation are the same Python work on every engine);
* ``import zone``: the same firms as *the zone's* registry (each firm put in one of the zone's five
  parks, round robin) plus one year of finance, so ``zone_summary`` has a million firms to sum:
  ``import_file`` of the enterprises and of the finance file;
* ``re-import (no change)``: the enterprises file again under another name: a full merge that
  changes nothing (the idempotency path);
* ``zone summary``: ``zone_summary`` (latest year, per park, per GB/T 4754 section, top classes),
  run twice; the table shows the second (warm) run, the first is in the JSON.

Peak memory is the peak resident set size of the child's process tree (Python, plus the JVM for
Spark), sampled every 50 ms; for PostgreSQL the server's processes are sampled separately.
The throwaway PostgreSQL cluster runs with ``fsync=off``; Spark runs ``local[2]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import multiprocessing as mp
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ZONE_PARKS = ["梧桐街道", "石佛镇", "枫杨街道", "双桥街道", "沟赵乡"]
JOBS = ["import reference", "import zone", "re-import (no change)", "zone summary"]


def zone_files(reference_csv: Path, out: Path) -> tuple[Path, Path, Path]:
    """The reference firms as the zone's registry and a 2024 finance file (standard headers)."""
    ref = pacsv.read_csv(
        reference_csv,
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=False,
            column_types={
                "注册资本(万元)": pa.string(),
                "营业收入(万元)": pa.string(),
                "从业人员": pa.string(),
                "成立日期": pa.string(),
                "行业代码": pa.string(),
                "所在地区代码": pa.string(),
            },
        ),
    )
    n = ref.num_rows
    parks = pa.array([ZONE_PARKS[i % len(ZONE_PARKS)] for i in range(n)])
    ent = pa.table(
        {
            "统一社会信用代码": ref["统一社会信用代码"],
            "企业名称": ref["企业名称"],
            "所属园区": parks,
            "行业代码": ref["行业代码"],
            "注册资本(万元)": ref["注册资本(万元)"],
            "成立日期": ref["成立日期"],
        }
    )
    fin = pa.table(
        {
            "统一社会信用代码": ref["统一社会信用代码"],
            "年度": pa.array(["2024"] * n),
            "营业收入(万元)": ref["营业收入(万元)"],
            "从业人员": ref["从业人员"],
        }
    )
    opts = pacsv.WriteOptions(quoting_style="needed")
    paths = out / "zone_enterprises.csv", out / "zone_finance.csv", out / "zone_enterprises_again.csv"
    pacsv.write_csv(ent, paths[0], opts)
    pacsv.write_csv(fin, paths[1], opts)
    pacsv.write_csv(
        ent.take(pc.array_sort_indices(ent["统一社会信用代码"], order="descending")), paths[2], opts
    )
    return paths


class PeakRSS:
    """Peak resident memory of a process tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(self.pid)
                rss = 0
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        rss += p.memory_info().rss
                self.peak = max(self.peak, rss)
            time.sleep(0.05)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def worker(engine: str, url: str, data_dir: str, files: dict[str, str], queue: Any) -> None:
    """One engine: every job in order, timed; the parent samples memory."""
    from zonebrain.portrait import zone_summary
    from zonebrain.registry import import_file
    from zonebrain.storage import open_warehouse

    times: dict[str, float] = {}
    out: dict[str, Any] = {"engine": engine}
    try:
        t = time.perf_counter()
        wh = open_warehouse(url, data_dir=data_dir)
        wh.migrate()
        times["open + migrate"] = time.perf_counter() - t

        t = time.perf_counter()
        r = import_file(wh, "reference", Path(files["reference"]), accept_partial=True)
        times["import reference"] = time.perf_counter() - t
        out["reference_rows"] = wh.count("reference_enterprises")
        out["reference_rejected"] = r.rows_rejected

        t = time.perf_counter()
        e = import_file(wh, "enterprises", Path(files["zone_enterprises"]), accept_partial=True)
        f = import_file(wh, "finance", Path(files["zone_finance"]), accept_partial=True)
        times["import zone"] = time.perf_counter() - t
        out["zone_inserted"] = (e.inserted, f.inserted)

        t = time.perf_counter()
        again = import_file(wh, "enterprises", Path(files["zone_again"]), accept_partial=True)
        times["re-import (no change)"] = time.perf_counter() - t
        out["reimport"] = (again.inserted, again.updated, again.unchanged)

        t = time.perf_counter()
        zone_summary(wh)
        times["zone summary (cold)"] = time.perf_counter() - t
        t = time.perf_counter()
        summary = zone_summary(wh)
        times["zone summary"] = time.perf_counter() - t
        out["summary"] = {
            "enterprises": summary.enterprises,
            "year": summary.year,
            "revenue_fen": sum(summary.by_park["revenue_fen"].to_pylist()),
            "by_park": summary.by_park.to_pylist(),
        }
        out["checksum_enterprises"] = wh.checksum("enterprises")[0]
        wh.close()
    except Exception as exc:  # reported in the table, the other engines still run
        out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    out["times"] = times
    queue.put(out)


def run_engine(
    engine: str, url: str, data_dir: Path, files: dict[str, str], server_pid: int | None
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=worker, args=(engine, url, str(data_dir), files, queue))
    proc.start()
    assert proc.pid is not None
    client = PeakRSS(proc.pid)
    server = PeakRSS(server_pid) if server_pid else None
    result: dict[str, Any] = queue.get()
    proc.join()
    result["peak_client_mb"] = client.stop()
    result["peak_server_mb"] = server.stop() if server else None
    return result


def markdown(results: list[dict[str, Any]], firms: int, seconds_gen: float) -> str:
    engines = [r["engine"] for r in results]
    lines = [
        "# Engines benchmark: DuckDB, PostgreSQL and Spark side by side",
        "",
        (
            f"Generated by `benchmarks/engines_bench.py` on {platform.platform()}, "
            f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python "
            f"{platform.python_version()}. Data: `generate_reference(seed=42, n_firms={firms:,})` "
            f"(generated in {seconds_gen:.0f} s), the same firms imported as the zone's registry with one year "
            "of finance. Seconds, wall clock; each engine in its own process. See the script's docstring for "
            "what each job does."
        ),
        "",
        "| job | " + " | ".join(engines) + " |",
        "| --- | " + " | ".join("---:" for _ in engines) + " |",
    ]
    for job in ["open + migrate", *JOBS, "zone summary (cold)"]:
        cells = [f"{r['times'][job]:.1f}" if job in r["times"] else "–" for r in results]
        lines.append(f"| {job} | " + " | ".join(cells) + " |")
    lines.append(
        "| peak memory, client process tree (MB) | "
        + " | ".join(f"{r['peak_client_mb']:.0f}" for r in results)
        + " |"
    )
    lines.append(
        "| peak memory, server processes (MB) | "
        + " | ".join(f"{r['peak_server_mb']:.0f}" if r["peak_server_mb"] else "–" for r in results)
        + " |"
    )
    lines.append("")
    for r in results:
        if "error" in r:
            lines.append(f"* **{r['engine']} failed**: `{r['error']}`")
        else:
            s = r["summary"]
            lines.append(
                f"* {r['engine']}: {r['reference_rows']:,} reference rows ({r['reference_rejected']:,} rejected), "
                f"zone: {s['enterprises']:,} active enterprises, revenue {s['revenue_fen']:,} fen in {s['year']}; "
                f"re-import inserted/updated/unchanged = {tuple(r['reimport'])}"
            )
    same = len({json.dumps(r.get("summary"), sort_keys=True) for r in results}) == 1
    lines += ["", f"Zone summaries identical on every engine: **{'yes' if same else 'NO'}**.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--engines", default="duckdb,postgres,spark")
    parser.add_argument("--workdir", type=Path, help="keep generated files and warehouses here")
    parser.add_argument("--markdown", type=Path, help="also write the results table to this file")
    parser.add_argument("--spark-memory", default="6g", help="spark.driver.memory for local[2]")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    with tempfile.TemporaryDirectory(prefix="zonebrain-engines-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        from zonebrain.demo import generate_reference

        t = time.perf_counter()
        ref = Path(work / "reference_enterprises.csv")
        if not ref.exists():
            ref = Path(generate_reference(work, seed=42, n_firms=args.firms).enterprises)
        zone, finance, again = zone_files(ref, work)
        seconds_gen = time.perf_counter() - t
        files = {
            "reference": str(ref),
            "zone_enterprises": str(zone),
            "zone_finance": str(finance),
            "zone_again": str(again),
        }
        print(
            f"data ready in {seconds_gen:.0f} s: {ref.stat().st_size / 1e6:.0f} MB reference CSV", flush=True
        )
        results = []
        cluster = None
        try:
            for engine in engines:
                server_pid = None
                if engine == "duckdb":
                    url = str(work / f"bench-{os.getpid()}.duckdb")
                elif engine == "postgres":
                    from zonebrain.storage._pgcluster import start_cluster

                    cluster = start_cluster()
                    url = cluster.create_database("bench")
                    pidfile = cluster.root / "data" / "postmaster.pid"
                    server_pid = int(pidfile.read_text().split()[0])
                elif engine == "spark":
                    url = (
                        f"spark://local[2]?spark.driver.memory={args.spark_memory}&spark.ui.enabled=false"
                        "&spark.sql.shuffle.partitions=8"
                    )
                else:
                    raise SystemExit(f"unknown engine {engine}")
                print(f"running {engine} …", flush=True)
                result = run_engine(engine, url, work / f"data-{engine}", files, server_pid)
                results.append(result)
                print(json.dumps(result, ensure_ascii=False, default=str)[:3000], flush=True)
        finally:
            if cluster is not None:
                cluster.stop()
    text = markdown(results, args.firms, seconds_gen)
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    csv.field_size_limit(2**31 - 1)
    main()
