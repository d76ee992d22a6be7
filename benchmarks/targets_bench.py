"""Benchmark: candidate scoring for every gap node against a 5,000,000-firm reference registry.

    .venv/bin/python benchmarks/targets_bench.py                 # 5,000,000 firms
    .venv/bin/python benchmarks/targets_bench.py --firms 200000  # quick

Three subprocesses, one after the other:

1. ``generate``: a vectorised synthetic registry (numpy + Arrow, not the demo's CSV writer, which
   needs about 4.5 GB at this size): firms over every prefecture with log-normal class mixes, revenue,
   employees, tags; expansion signals for 7 % of firms; a zone of 30,000 firms whose chain memberships
   cover the first half of every chain's nodes (so the other half are gaps). Written to Parquet.
2. ``duckdb``: loads the Parquet files into a DuckDB warehouse file, closes it and opens it again
   read-only as the app would (timed apart, as loading), then runs ``resolve_target(all_gaps=True)`` +
   ``zonebrain.targeting.candidate_query(..., per_class=100)`` and fetches the result as Arrow: that
   is the timed part (gap classes, query built, compiled by Ibis, run, fetched). Second measurement:
   the same query with no cut (every candidate scored, sorted and fetched).
3. ``pandas``: reads the same Parquet files (timed apart) and scores with a straightforward pandas
   implementation of the same formulas (filters, anti-join, grouped signals, percentile rank, tag
   points, links, sort, best 100 per class).

Both sides parse the chain maps before the timed part, repeat the timed call ``--repeat`` times
(default 5) and compare the medians; CPU seconds (all threads) are printed too, as they move less
than wall time when other jobs share the machine.

Peak memory is each worker's own maximum resident set size (``ru_maxrss`` at its end). The parent
checks that both scorings agree (same firms, scores to 1e-9) and prints times, the ratio and memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

AS_OF = dt.date(2025, 1, 1)
ZONE = "410172"
TAG_CHOICES = (
    ("", 0.85),
    ("高新技术企业", 0.08),
    ("科技型中小企业", 0.04),
    ("高新技术企业;专精特新中小企业", 0.02),
    ("上市企业", 0.005),
    ("链主企业;上市企业", 0.005),
)
SIGNAL_SHARE = 0.07
PER_CLASS = 100
"""The timed result: the best 100 firms of every target class (and, second, every candidate scored)."""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------- data
def generate(folder: Path, n: int, seed: int) -> dict[str, object]:
    from zonebrain.chains import load_chains
    from zonebrain.core.divisions import divisions
    from zonebrain.core.industry import gbt4754

    rng = np.random.default_rng(seed)
    classes = np.array([i.code for i in gbt4754() if len(i.code) == 4 and i.code.isdigit()])
    prefs = np.array(sorted(d.code for d in divisions().prefectures()))
    w_cls = np.exp(rng.standard_normal(classes.size))
    w_cls /= w_cls.sum()
    w_pref = np.exp(0.6 * rng.standard_normal(prefs.size))
    w_pref /= w_pref.sum()
    cls = rng.choice(classes.size, size=n, p=w_cls)
    pref = rng.choice(prefs.size, size=n, p=w_pref)
    idx = pa.array(np.arange(n))
    pref_arr = pa.array(prefs).take(pa.array(pref))
    uscc = pc.binary_join_element_wise("91", pref_arr, pc.utf8_lpad(pc.cast(idx, pa.string()), 10, "0"), "")
    revenue = np.round(np.exp(np.log(150.0) + 1.9 * rng.standard_normal(n)) * 10_000).astype(np.int64) * 100
    has_rev = rng.random(n) >= 0.1
    employees = np.maximum(np.round(revenue / 100 / 10_000 / 50 * np.exp(0.5 * rng.standard_normal(n))), 1)
    tag_text = np.array([t for t, _ in TAG_CHOICES])
    tag_p = np.array([p for _, p in TAG_CHOICES])
    tags = pa.array(tag_text).take(pa.array(rng.choice(tag_text.size, size=n, p=tag_p / tag_p.sum())))
    tags = pc.if_else(pc.equal(tags, ""), pa.scalar(None, pa.string()), tags)
    day0 = (np.datetime64("1990-01-01") - np.datetime64("1970-01-01")).astype(int)
    founded = day0 + rng.integers(0, 35 * 365, size=n)
    ref = pa.table(
        {
            "uscc": uscc,
            "name": pc.binary_join_element_wise("参考企业", pc.cast(idx, pa.string()), ""),
            "division_code": pref_arr,
            "province_code": pc.binary_join_element_wise(pc.utf8_slice_codeunits(pref_arr, 0, 2), "0000", ""),
            "prefecture_code": pref_arr,
            "industry_code": pa.array(classes).take(pa.array(cls)),
            "registered_capital_fen": pa.array(rng.integers(1, 10_000, size=n) * 1_000_000),
            "registered_on": pa.array(founded.astype("datetime64[D]")),
            "revenue_fen": pa.array(revenue, mask=~has_rev),
            "employees": pa.array(employees.astype(np.int64)),
            "tags": tags,
        }
    )
    pq.write_table(ref, folder / "reference_enterprises.parquet")
    firms = np.flatnonzero(rng.random(n) < SIGNAL_SHARE)
    kinds = np.array(["新设分支机构", "融资", "新建厂房", "中标", "增资"])
    sig_day = (np.datetime64("2022-01-01") - np.datetime64("1970-01-01")).astype(int) + rng.integers(
        0, 3 * 365 + 30, size=firms.size
    )
    sig = pa.table(
        {
            "uscc": uscc.take(pa.array(firms)),
            "kind": pa.array(kinds).take(pa.array(rng.integers(0, kinds.size, size=firms.size))),
            "date": pa.array(sig_day.astype("datetime64[D]")),
            "detail": pa.array(["扩张"] * firms.size),
        }
    )
    pq.write_table(sig, folder / "reference_signals.parquet")
    # the zone: 30,000 firms; half of them are also in the registry (they must be excluded)
    nz = 30_000
    inside = rng.choice(n, size=nz // 2, replace=False)
    zone_uscc = pa.concat_arrays(
        [
            uscc.take(pa.array(inside)),
            pc.binary_join_element_wise(
                "91", ZONE, pc.utf8_lpad(pc.cast(pa.array(np.arange(nz // 2)), pa.string()), 10, "0"), ""
            ),
        ]
    )
    ent = pa.table(
        {
            "uscc": zone_uscc,
            "name": pc.binary_join_element_wise(
                "园区企业", pc.cast(pa.array(np.arange(nz)), pa.string()), ""
            ),
            "industry_code": pa.array(classes).take(pa.array(rng.choice(classes.size, size=nz))),
            "status": pa.array(["存续"] * nz),
        }
    )
    pq.write_table(ent, folder / "enterprises.parquet")
    members: list[tuple[str, str, str]] = []
    for chain in load_chains():
        for node in chain.nodes[: len(chain.nodes) // 2]:
            members.append((str(zone_uscc[len(members) % nz]), chain.id, node.id))
    ecn = pa.table(
        {
            "uscc": [m[0] for m in members],
            "chain_id": [m[1] for m in members],
            "node_id": [m[2] for m in members],
            "confidence": [1.0] * len(members),
            "method": ["bench"] * len(members),
        }
    )
    pq.write_table(ecn, folder / "enterprise_chain_nodes.parquet")
    return {"firms": n, "signals": int(firms.size), "zone_firms": nz, "peak_mb": _peak_mb()}


# -------------------------------------------------------------------------------------------- duckdb
def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def run_duckdb(folder: Path, repeat: int) -> dict[str, object]:
    import ibis

    from zonebrain.chains import load_chains
    from zonebrain.storage import TABLES, open_warehouse
    from zonebrain.targeting import DEFAULT_WEIGHTS, candidate_query, resolve_target
    from zonebrain.targeting._candidates import _linked_classes

    t0 = time.perf_counter()
    wh = open_warehouse(folder / "bench.duckdb")
    wh.migrate()
    loaded_at = dt.datetime(2025, 1, 1)
    for name in ("reference_enterprises", "reference_signals", "enterprises", "enterprise_chain_nodes"):
        data = pq.read_table(folder / f"{name}.parquet")
        n = data.num_rows
        if "source" in TABLES[name].column_names:
            data = data.append_column("source", pa.array(["bench"] * n)).append_column(
                "batch_id", pa.array(["b"] * n)
            )
            data = data.append_column("loaded_at", pa.array([loaded_at] * n, pa.timestamp("us")))
        wh.replace(name, data)
        del data
    # imports and queries are different processes in use (CLI import, web app): close the file
    # (DuckDB checkpoints it) and open it again, as the app would
    wh.close()
    wh = open_warehouse(folder / "bench.duckdb", read_only=True)
    load_s = time.perf_counter() - t0
    chains = load_chains()  # parsed outside the timed part, as on the pandas side

    def score(per_class: int | None) -> tuple[float, float, pa.Table, int, float]:
        """One timed call: gap classes, query built, compiled, run and fetched (and the compile alone)."""
        t1, c1 = time.perf_counter(), time.process_time()
        target = resolve_target(wh, all_gaps=True, chains=chains)
        linked = _linked_classes(wh, chains)
        expr = candidate_query(
            wh, target, zone_code=ZONE, as_of=AS_OF, weights=dict(DEFAULT_WEIGHTS), linked=linked,
            limit=None, per_class=per_class,
        )  # fmt: skip
        table = wh.to_arrow(expr)
        elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
        t2 = time.perf_counter()
        ibis.to_sql(expr, dialect="duckdb")  # untimed above: how much of a call is Ibis → SQL
        return elapsed, time.perf_counter() - t2, table, len(target.classes), cpu

    runs = [score(PER_CLASS) for _ in range(repeat)]
    table, gap_classes = runs[0][2], runs[0][3]
    table.select(["uscc", "score"]).to_pandas().to_parquet(folder / "duckdb_result.parquet")
    every = [score(None) for _ in range(repeat)]
    wh.close()
    return {
        "load_s": load_s,
        "score_s": _median([r[0] for r in runs]),
        "score_runs": [r[0] for r in runs],
        "score_cpu_s": _median([r[4] for r in runs]),
        "compile_s": _median([r[1] for r in runs]),
        "rows": table.num_rows,
        "all_s": _median([r[0] for r in every]),
        "all_rows": every[0][2].num_rows,
        "gap_classes": gap_classes,
        "peak_mb": _peak_mb(),
    }


# -------------------------------------------------------------------------------------------- pandas
def run_pandas(folder: Path, repeat: int) -> dict[str, object]:
    import pandas as pd

    from zonebrain.chains import load_chains
    from zonebrain.targeting import DEFAULT_WEIGHTS, HALF_LIFE_DAYS, SIGNAL_WEIGHTS, TAG_POINTS

    t0 = time.perf_counter()
    ref = pd.read_parquet(folder / "reference_enterprises.parquet")
    sig = pd.read_parquet(folder / "reference_signals.parquet")
    ent = pd.read_parquet(folder / "enterprises.parquet")
    ecn = pd.read_parquet(folder / "enterprise_chain_nodes.parquet")
    load_s = time.perf_counter() - t0
    chains = load_chains()  # parsed outside the timed part, as on the DuckDB side

    def score() -> tuple[float, float, pd.DataFrame, int, float]:
        """One timed call: gap classes, every candidate scored and sorted, then the best per class."""
        t1, c1 = time.perf_counter(), time.process_time()
        present = set(zip(ecn["chain_id"], ecn["node_id"], strict=True))
        zone_chains = {c for c, _ in present}
        target: dict[str, str] = {}
        linked: set[str] = set()
        for chain in chains:
            for node in chain.nodes:
                if chain.id in zone_chains and (chain.id, node.id) not in present:
                    for c in node.classes:
                        target.setdefault(c, f"{chain.id}/{node.id}")
            for edge in chain.edges:
                for here, there in ((edge.source, edge.target), (edge.target, edge.source)):
                    if (chain.id, here) in present:
                        linked.update(chains.node(chain.id, there).classes)
        codes = sorted(target)
        groups = {c[:3]: target[c] for c in reversed(codes)}
        exact = ref["industry_code"].isin(codes)
        related = ref["industry_code"].str[:3].isin(set(groups))
        cand = ref[(exact | related) & ~ref["uscc"].isin(ent["uscc"])].copy()
        cand["gap"] = cand["industry_code"].map(target).fillna(cand["industry_code"].str[:3].map(groups))
        dates = pd.to_datetime(sig["date"])  # not in place: every repeat starts from the same input
        fresh = sig.assign(date=dates)[dates <= pd.Timestamp(AS_OF)].copy()
        age = (pd.Timestamp(AS_OF) - pd.to_datetime(fresh["date"])).dt.days.astype(float)
        fresh["w"] = fresh["kind"].map(SIGNAL_WEIGHTS).fillna(0.0) * 0.5 ** (age / HALF_LIFE_DAYS)
        per = fresh.groupby("uscc").agg(n_signals=("w", "size"), signal_strength=("w", "sum"))
        cand = cand.join(per, on="uscc")
        cand["signal_strength"] = cand["signal_strength"].fillna(0.0)
        cand["fit"] = np.where(cand["industry_code"].isin(codes), 1.0, 0.5)
        rev = cand["revenue_fen"].fillna(0)
        cand["size_pct"] = (rev.rank(method="min") - 1) / max(len(cand) - 1, 1)
        text = cand["tags"].fillna("")
        points = np.zeros(len(cand))
        for tag, pts in TAG_POINTS.items():
            points += np.where(text.str.contains(tag, regex=False), pts, 0.0)
        cand["tag_points"] = np.minimum(points, 1.0)
        cand["quality"] = 0.6 * cand["size_pct"] + 0.4 * cand["tag_points"]
        cand["signals"] = 1.0 - np.exp(-cand["signal_strength"])
        same = (cand["province_code"] == ZONE[:2] + "0000").astype(float)
        link = cand["industry_code"].isin(linked).astype(float)
        cand["links"] = 0.5 * same + 0.5 * link
        w = DEFAULT_WEIGHTS
        cand["score"] = (
            w["fit"] * cand["fit"] + w["quality"] * cand["quality"] + w["signals"] * cand["signals"]
            + w["links"] * cand["links"]
        )  # fmt: skip
        cand = cand.sort_values(["score", "uscc"], ascending=[False, True])
        all_s = time.perf_counter() - t1
        best = cand.groupby("industry_code", sort=False).head(PER_CLASS)
        return time.perf_counter() - t1, all_s, best, len(cand), time.process_time() - c1

    runs = [score() for _ in range(repeat)]
    best, all_rows = runs[0][2], runs[0][3]
    best[["uscc", "score"]].to_parquet(folder / "pandas_result.parquet")
    return {
        "load_s": load_s,
        "score_s": _median([r[0] for r in runs]),
        "score_runs": [r[0] for r in runs],
        "score_cpu_s": _median([r[4] for r in runs]),
        "rows": len(best),
        "all_s": _median([r[1] for r in runs]),
        "all_rows": all_rows,
        "peak_mb": _peak_mb(),
    }


# -------------------------------------------------------------------------------------------- parent
def _child(step: str, folder: Path, n: int, seed: int, repeat: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--worker", step, "--folder", str(folder), "--firms", str(n)]
    cmd += ["--seed", str(seed), "--repeat", str(repeat)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"worker {step} failed (exit {out.returncode})")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _runs(values: object) -> str:
    return ", ".join(f"{v:.2f}" for v in values)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--firms", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per side; the median is compared")
    parser.add_argument("--worker", choices=("generate", "duckdb", "pandas"))
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.worker:
        if args.worker == "generate":
            result = generate(args.folder, args.firms, args.seed)
        elif args.worker == "duckdb":
            result = run_duckdb(args.folder, args.repeat)
        else:
            result = run_pandas(args.folder, args.repeat)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    import pandas as pd

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="targets-bench-") as tmp:
        folder = Path(tmp)
        gen = _child("generate", folder, args.firms, args.seed, args.repeat)
        duck = _child("duckdb", folder, args.firms, args.seed, args.repeat)
        pand = _child("pandas", folder, args.firms, args.seed, args.repeat)
        a = pd.read_parquet(folder / "duckdb_result.parquet")
        b = pd.read_parquet(folder / "pandas_result.parquet")
        same_rows = len(a) == len(b) and set(a["uscc"]) == set(b["uscc"])
        merged = a.merge(b, on="uscc", suffixes=("_duckdb", "_pandas"))
        max_diff = (
            float((merged["score_duckdb"] - merged["score_pandas"]).abs().max()) if len(merged) else 0.0
        )
    load_after = os.getloadavg()
    ratio = float(pand["score_s"]) / float(duck["score_s"])  # type: ignore[arg-type]
    ratio_all = float(pand["all_s"]) / float(duck["all_s"])  # type: ignore[arg-type]
    pandas_e2e = float(pand["score_s"]) + float(pand["load_s"])  # type: ignore[arg-type]
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        (
            f"load average (1 min) before / after the run: {load_before[0]:.1f} / {load_after[0]:.1f} "
            "(other jobs share the cores when it is above 0)"
        ),
        (
            f"registry: {gen['firms']:,} firms, {gen['signals']:,} signals, zone {gen['zone_firms']:,} firms "
            f"(generation peak {gen['peak_mb']:,.0f} MB)"
        ),
        (
            f"gap classes: {duck['gap_classes']}, candidates scored: {duck['all_rows']:,} (pandas "
            f"{pand['all_rows']:,}); best {PER_CLASS} per class kept: {duck['rows']:,} (pandas {pand['rows']:,})"
        ),
        (
            f"DuckDB: score {duck['score_s']:.2f} s (median of {_runs(duck['score_runs'])}; of a call, Ibis → SQL "
            f"about {duck['compile_s']:.2f} s; load into the warehouse {duck['load_s']:.1f} s), "
            f"peak RSS {duck['peak_mb']:,.0f} MB"
        ),
        (
            f"pandas: score {pand['score_s']:.2f} s (median of {_runs(pand['score_runs'])}; read Parquet "
            f"{pand['load_s']:.1f} s), peak RSS {pand['peak_mb']:,.0f} MB"
        ),
        f"ratio pandas / DuckDB (scoring, best {PER_CLASS} per class): {ratio:.1f}x",
        (
            f"CPU seconds of a call (all threads; steadier than wall time when other jobs load the machine): "
            f"DuckDB {duck['score_cpu_s']:.2f}, pandas {pand['score_cpu_s']:.2f}, "
            f"ratio {float(pand['score_cpu_s']) / float(duck['score_cpu_s']):.1f}x"  # type: ignore[arg-type]
        ),
        (
            f"pandas including reading its input (the registry lives in the warehouse, so DuckDB reads "
            f"nothing first): {pandas_e2e:.2f} s, ratio {pandas_e2e / float(duck['score_s']):.1f}x"  # type: ignore[arg-type]
        ),
        (
            f"every candidate scored and sorted, fetched whole: DuckDB {duck['all_s']:.2f} s, "
            f"pandas {pand['all_s']:.2f} s, ratio {ratio_all:.1f}x"
        ),
        f"same candidates: {same_rows}; largest |score difference|: {max_diff:.2e}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
