"""Benchmark: zonebrain.complexity against the PyPI package ``ecomplexity`` on one synthetic panel.

    .venv/bin/python benchmarks/complexity_bench.py            # 250 locations × 5,000 activities × 10 years
    .venv/bin/python benchmarks/complexity_bench.py --quick    # 50 × 1,000 × 3, a few seconds

Each side runs in its own subprocess that builds the same panel (same seed), computes, and writes its
results to Parquet. Time is wall-clock time of the computation (including building the tidy output
tables, excluding panel generation and writing). Peak memory is the subprocess's own maximum resident
set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read at the end of the worker; it includes
the panel itself, which is the same for both sides and is also reported). The parent then checks
that both results agree (1e-6 relative; entries smaller than 1/1000 of their column's largest
magnitude are compared relative to that floor, because COG sums terms of both signs) and prints times, the ratio and peak memory.
ZoneBrain also materialises the proximity matrix of every year; ``ecomplexity.proximity`` is run only
with ``--quick`` (it builds P² rows per year and does not fit in memory at full size), otherwise one
year's proximity is checked against ``ecomplexity.calc_proximity.calc_discrete_proximity``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COLS = {"time": "year", "loc": "location", "prod": "activity", "val": "value"}


def make_panel(n_loc: int, n_act: int, n_year: int, seed: int = 2024) -> pd.DataFrame:
    """Rectangular panel, about 70% zeros, lognormal values; integer keys."""
    rng = np.random.default_rng(seed)
    n = n_loc * n_act
    value = np.empty(n * n_year, dtype=np.float64)
    for t in range(n_year):
        v = rng.lognormal(mean=10.0, sigma=2.0, size=n)
        v[rng.random(n) < 0.7] = 0.0
        value[t * n : (t + 1) * n] = v
    columns = {
        "year": np.repeat(np.arange(2010, 2010 + n_year, dtype=np.int64), n),
        "location": np.tile(np.repeat(np.arange(n_loc, dtype=np.int64), n_act), n_year),
        "activity": np.tile(np.arange(n_act, dtype=np.int64), n_loc * n_year),
        "value": value,
    }
    return pd.DataFrame(columns, copy=False)


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker(side: str, n_loc: int, n_act: int, n_year: int, out: Path, with_proximity: bool) -> None:
    panel = make_panel(n_loc, n_act, n_year)
    panel_rss = _rss_gb()
    report: dict[str, float | int | str] = {"side": side, "panel_rss_gb": panel_rss}
    if side == "zonebrain":
        from zonebrain.complexity import compute

        start, cpu = time.perf_counter(), _cpu_seconds()
        result = compute(
            panel,
            location="location",
            activity="activity",
            value="value",
            year="year",
            convention="ecomplexity",
        )
        pairs, locs, acts = result.pairs, result.locations, result.activities
        report["seconds"] = time.perf_counter() - start
        report["cpu_seconds"] = _cpu_seconds() - cpu
        start = time.perf_counter()
        checksum = 0.0
        for y in result.years:
            prox = result.proximity(y)
            checksum += float(prox.matrix.sum())
            if y == result.years[0]:
                np.save(out / "zb_proximity_first_year.npy", prox.matrix)
            del prox
        report["proximity_seconds"] = time.perf_counter() - start
        report["proximity_years"] = len(result.years)
        report["peak_rss_gb"] = _rss_gb()
        pairs[["year", "location", "activity", "rca", "M", "density", "cog"]].to_parquet(
            out / "zb_pairs.parquet"
        )
        locs.to_parquet(out / "zb_locations.parquet")
        acts.to_parquet(out / "zb_activities.parquet")
    else:
        from ecomplexity import ecomplexity

        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            start, cpu = time.perf_counter(), _cpu_seconds()
            res = ecomplexity(panel, COLS, verbose=False, check_logsupermodularity=False)
            report["seconds"] = time.perf_counter() - start
            report["cpu_seconds"] = _cpu_seconds() - cpu
            if with_proximity:
                from ecomplexity import proximity

                start = time.perf_counter()
                prox = proximity(panel, COLS)
                report["proximity_seconds"] = time.perf_counter() - start
                first = prox[prox["year"] == prox["year"].min()]
                first.to_parquet(out / "ec_proximity_first_year.parquet")
        report["peak_rss_gb"] = _rss_gb()
        res[["year", "location", "activity", "rca", "mcp", "density", "cog", "eci", "pci", "coi"]].to_parquet(
            out / "ec_output.parquet"
        )
    (out / f"{side}.json").write_text(json.dumps(report))


def _run(side: str, args: argparse.Namespace, out: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", side, "--shape", *map(str, args.shape), "--dir", str(out)]
    if args.quick:
        cmd.append("--quick")
    subprocess.run(cmd, check=True)
    report: dict[str, float] = json.loads((out / f"{side}.json").read_text())
    return report


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference; values below 1/1000 of the column's largest magnitude are compared
    relative to that floor (COG sums terms of both signs, so entries near 0 carry only absolute accuracy)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    floor = max(1e-3 * float(np.max(np.abs(a))), 1e-300)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return float(np.max(np.abs(a - b) / scale))


def compare(out: Path, quick: bool) -> dict[str, float]:
    ec = pd.read_parquet(out / "ec_output.parquet")
    zb = pd.read_parquet(out / "zb_pairs.parquet")
    for frame in (zb,):
        frame["location"] = frame["location"].astype(np.int64)
        frame["activity"] = frame["activity"].astype(np.int64)
    merged = ec.merge(zb, on=["year", "location", "activity"], suffixes=("_ec", ""))
    if len(merged) != len(ec) or len(merged) != len(zb):
        raise SystemExit(
            f"row counts differ: ecomplexity {len(ec)}, zonebrain {len(zb)}, matched {len(merged)}"
        )
    errors = {
        "rca": _max_rel(merged["rca_ec"], merged["rca"]),
        "M": float(np.max(np.abs(merged["mcp"] - merged["M"]))),
        "density": _max_rel(merged["density_ec"], merged["density"]),
        "cog": _max_rel(merged["cog_ec"], merged["cog"]),
    }
    del merged
    locs = pd.read_parquet(out / "zb_locations.parquet")
    acts = pd.read_parquet(out / "zb_activities.parquet")
    ec_loc = ec.groupby(["year", "location"], as_index=False)[["eci", "coi"]].first()
    ec_act = ec.groupby(["year", "activity"], as_index=False)[["pci"]].first()
    ml = ec_loc.merge(locs, on=["year", "location"], suffixes=("_ec", ""))
    ma = ec_act.merge(acts, on=["year", "activity"], suffixes=("_ec", ""))
    errors["eci"] = _max_rel(ml["eci_ec"], ml["eci"])
    errors["coi"] = _max_rel(ml["coi_ec"], ml["coi"])
    errors["pci"] = _max_rel(ma["pci_ec"], ma["pci"])
    zb_prox = np.load(out / "zb_proximity_first_year.npy")
    if quick:
        ep = pd.read_parquet(out / "ec_proximity_first_year.parquet")
        n = int(np.sqrt(len(ep)))
        ep = ep.sort_values(["activity_1", "activity_2"])
        ec_prox = ep["proximity"].to_numpy().reshape(n, n)
    else:
        from ecomplexity.calc_proximity import calc_discrete_proximity

        first = ec[ec["year"] == ec["year"].min()]
        mcp = first.pivot(index="location", columns="activity", values="mcp").sort_index().sort_index(axis=1)
        m = mcp.to_numpy(dtype=np.float64)
        ec_prox = calc_discrete_proximity(m, m.sum(axis=0))
    errors["proximity"] = _max_rel(ec_prox, zb_prox)
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50 locations × 1,000 activities × 3 years")
    parser.add_argument("--shape", nargs=3, type=int, metavar=("LOCATIONS", "ACTIVITIES", "YEARS"))
    parser.add_argument("--worker", choices=["zonebrain", "ecomplexity"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip-ecomplexity", action="store_true", help="time ZoneBrain only")
    args = parser.parse_args()
    if args.shape is None:
        args.shape = [50, 1000, 3] if args.quick else [250, 5000, 10]
    n_loc, n_act, n_year = args.shape
    if args.worker:
        worker(args.worker, n_loc, n_act, n_year, args.dir, with_proximity=args.quick)
        return
    print(
        f"panel: {n_loc} locations × {n_act} activities × {n_year} years "
        f"({n_loc * n_act * n_year:,} rows, ~70% zeros, lognormal values)"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="zb-complexity-bench-") as tmp:
        out = Path(tmp)
        zb = _run("zonebrain", args, out)
        print(
            f"zonebrain   : {zb['seconds']:8.2f} s (CPU {zb['cpu_seconds']:.1f} s)  peak RSS {zb['peak_rss_gb']:.2f} GB "
            f"(panel alone {zb['panel_rss_gb']:.2f} GB); proximity for all {zb['proximity_years']} years "
            f"{zb['proximity_seconds']:.2f} s"
        )
        if args.skip_ecomplexity:
            return
        ec = _run("ecomplexity", args, out)
        extra = (
            f"; ecomplexity.proximity {ec['proximity_seconds']:.2f} s" if "proximity_seconds" in ec else ""
        )
        print(
            f"ecomplexity : {ec['seconds']:8.2f} s (CPU {ec['cpu_seconds']:.1f} s)  peak RSS {ec['peak_rss_gb']:.2f} GB "
            f"(panel alone {ec['panel_rss_gb']:.2f} GB){extra}"
        )
        print(
            f"speed-up    : {ec['seconds'] / zb['seconds']:.1f}× wall, "
            f"{ec['cpu_seconds'] / zb['cpu_seconds']:.1f}× CPU   memory ratio (zonebrain / ecomplexity): "
            f"{zb['peak_rss_gb'] / ec['peak_rss_gb']:.2f}"
        )
        errors = compare(out, args.quick)
        print("max relative difference: " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))
        worst = max(errors.values())
        if worst > 1e-6:
            raise SystemExit(f"results disagree (worst {worst:.2e} > 1e-6)")
        print("results agree to 1e-6 relative")


if __name__ == "__main__":
    main()
