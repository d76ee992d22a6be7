"""The web API under load: 20 concurrent clients on loopback against the demo zone.

Builds (or reuses) a demo data directory, starts ``uvicorn`` in a child process on 127.0.0.1,
logs one session in per client (a mix of roles), warms the caches, then drives the main
``/api/v1`` endpoints for a bounded time and reports p50/p95/p99 latency and errors, overall and
per endpoint. Goal: p95 under 200 ms, zero errors. Traffic never leaves 127.0.0.1.

    python benchmarks/web_bench.py [--data-dir DIR] [--enterprises 20000] [--reference 1000000]
                                   [--clients 20] [--seconds 60] [--out docs/benchmarks-web.md]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1234"
ROLES = ("leader",) * 10 + ("park_officer",) * 4 + ("investment_officer",) * 3 + ("enterprise_user",) * 3


def build_demo(data_dir: Path, enterprises: int, reference: int) -> None:
    if (data_dir / "warehouse.duckdb").exists():
        print(f"reusing the demo warehouse in {data_dir}")
        return
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "zonebrain.cli.main",
            "--data-dir",
            str(data_dir),
            "demo",
            "--no-serve",
            "--enterprises",
            str(enterprises),
            "--reference",
            str(reference),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"demo zone built in {time.perf_counter() - started:.0f} s")


def make_users(data_dir: Path, clients: int) -> dict[str, Any]:
    """One bench account per client; returns the firms the scoped ones may see."""
    from zonebrain.appstore import open_app_store
    from zonebrain.storage import open_warehouse

    with open_warehouse(data_dir / "warehouse.duckdb", read_only=True) as wh:
        ent = wh.table("enterprises")
        wutong = wh.to_arrow(ent.filter(ent.park_id == "wutong").select("uscc").order_by("uscc").limit(5000))
        usccs = wutong["uscc"].to_pylist()
        runs = wh.to_arrow(wh.table("policy_runs").order_by("created_at").select("run_id"))
    run_id = runs["run_id"][-1].as_py() if runs.num_rows else None
    store = open_app_store(data_dir / "app.sqlite")
    accounts = []
    for i in range(clients):
        role = ROLES[i % len(ROLES)]
        name = f"bench{i:02d}"
        scope: dict[str, str] = {}
        if role == "park_officer":
            scope = {"park_id": "wutong"}
        if role == "enterprise_user":
            scope = {"uscc": usccs[i % len(usccs)]}
        if store.users.get(name) is None:
            store.users.add(name, PASSWORD, role, **scope)  # type: ignore[arg-type]
        accounts.append((name, role, scope))
    store.close()
    return {"accounts": accounts, "usccs": usccs, "run_id": run_id}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVE = """
import sys, uvicorn
from zonebrain.web import create_app
app = create_app(sys.argv[1], data_dir=sys.argv[2], warm_up=True)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def endpoints(
    role: str, scope: dict[str, str], usccs: list[str], rng: random.Random, run_id: str | None = None
) -> list[tuple[str, str]]:
    """(label, path) pairs a client of *role* may call."""
    if role == "enterprise_user":
        u = scope["uscc"]
        return [
            ("enterprise", f"/api/v1/enterprises/{u}"),
            ("enterprise finance", f"/api/v1/enterprises/{u}/finance"),
            ("enterprise events", f"/api/v1/enterprises/{u}/events"),
            ("enterprises search", "/api/v1/enterprises"),
            ("me", "/api/v1/me"),
        ]
    firm = "{firm}"  # a different firm of the park for every request (filled in by the client loop)
    out = [
        ("overview", "/api/v1/overview"),
        ("parks", "/api/v1/parks"),
        ("portrait", "/api/v1/portrait"),
        ("portrait classes", "/api/v1/portrait/classes?park=wutong"),
        ("portrait chain", "/api/v1/portrait?chain=intelligent-sensors"),
        ("chains", "/api/v1/chains"),
        ("chain graph", "/api/v1/chains/computing-digital"),
        ("chain node firms", "/api/v1/chains/intelligent-sensors/nodes/smart-instruments/enterprises"),
        ("complexity", "/api/v1/complexity"),
        ("enterprises search", "/api/v1/enterprises?q=科技"),
        ("enterprise", f"/api/v1/enterprises/{firm}"),
        ("enterprise events", f"/api/v1/enterprises/{firm}/events"),
        ("kpi monitor", "/api/v1/kpi/monitor"),
        ("kpi warnings", "/api/v1/kpi/warnings"),
        ("policy runs", "/api/v1/policy/runs"),
        ("pipeline projects", "/api/v1/pipeline/projects"),
    ]
    if role != "investment_officer":
        out.append(("enterprise finance", f"/api/v1/enterprises/{firm}/finance"))
        if run_id is not None:  # results and traces show amounts derived from finance
            out.append(("policy results", f"/api/v1/policy/runs/{run_id}/results?status=eligible"))
            out.append(("policy trace", f"/api/v1/policy/runs/{run_id}/trace/{firm}"))
    return out


async def client_loop(
    base: str,
    account: tuple[str, str, dict[str, str]],
    usccs: list[str],
    run_id: str | None,
    until: float,
    seed: int,
    results: list[tuple[str, float, int]],
) -> None:
    import httpx

    name, role, scope = account
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        r = await c.post("/api/v1/session", json={"username": name, "password": PASSWORD})
        r.raise_for_status()
        paths = endpoints(role, scope, usccs, rng, run_id)
        while time.perf_counter() < until:
            label, path = rng.choice(paths)
            path = path.replace("{firm}", rng.choice(usccs))
            t0 = time.perf_counter()
            try:
                r = await c.get(path)
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            results.append((label, time.perf_counter() - t0, status))


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("uvicorn", "uvloop", "httptools", "fastapi"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"no {name}")
    return ", ".join(parts)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--reference", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--out", type=Path, default=None, help="write the result as Markdown")
    args = ap.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="zonebrain-webbench-"))
    build_demo(data_dir, args.enterprises, args.reference)
    setup = make_users(data_dir, args.clients)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(data_dir / "warehouse.duckdb"), str(data_dir), str(port)],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        # warm: the first call of each endpoint fills the per-data-version caches
        warm_started = time.perf_counter()
        with httpx.Client(base_url=base, timeout=120) as c:
            c.post("/api/v1/session", json={"username": setup["accounts"][0][0], "password": PASSWORD})
            for _, path in endpoints("leader", {}, setup["usccs"], random.Random(0), setup["run_id"]):
                c.get(path.replace("{firm}", setup["usccs"][0]))
        warm_seconds = time.perf_counter() - warm_started
        results: list[tuple[str, float, int]] = []
        until = time.perf_counter() + args.seconds

        async def run_all() -> None:
            await asyncio.gather(
                *(
                    client_loop(base, acc, setup["usccs"], setup["run_id"], until, i, results)
                    for i, acc in enumerate(setup["accounts"])
                )
            )

        started = time.perf_counter()
        asyncio.run(run_all())
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    lat = [r[1] for r in results]
    errors = sum(1 for r in results if not 200 <= r[2] < 300)
    by_label: dict[str, list[float]] = defaultdict(list)
    for label, seconds, _ in results:
        by_label[label].append(seconds)
    lines = [
        "# Web API benchmark / 网页接口压测",
        "",
        (
            f"`python benchmarks/web_bench.py --enterprises {args.enterprises} --reference {args.reference} "
            f"--clients {args.clients} --seconds {args.seconds:g}` on {platform.node() or 'this machine'} "
            f"({os.cpu_count()} cores, Python {platform.python_version()}), "
            f"server and clients on the same machine over 127.0.0.1; one uvicorn worker."
        ),
        "",
        f"- requests: {len(results):,} in {elapsed:.1f} s ({len(results) / elapsed:.0f} req/s)",
        f"- errors (non-2xx or transport): **{errors}**",
        (
            f"- latency: p50 **{pct(lat, 50):.1f} ms**, p95 **{pct(lat, 95):.1f} ms**, p99 **{pct(lat, 99):.1f} ms** "
            f"(goal: p95 < 200 ms, zero errors)"
        ),
        (
            f"- start-up: the first call of every endpoint (chain classification, complexity space) took "
            f"{warm_seconds:.1f} s in all; later calls read the per-data-version cache"
        ),
        "",
        (
            "Workload: 20 clients (10 leaders, 4 park officers, 3 investment officers, 3 enterprise users), each "
            "logged in with its own session, picking endpoints at random among those its role may call; every "
            "request about one firm picks a random firm among up to 5,000 of 梧桐, so most firm lookups are first "
            "lookups (a warehouse query); aggregates come from the per-data-version cache. The client runs on the "
            f"same cores as the server. HTTP stack: {_versions()}."
        ),
        "",
        "| endpoint | requests | p50 ms | p95 ms | p99 ms | mean ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label in sorted(by_label):
        v = by_label[label]
        lines.append(
            f"| {label} | {len(v):,} | {pct(v, 50):.1f} | {pct(v, 95):.1f} | {pct(v, 99):.1f} | "
            f"{statistics.fmean(v) * 1000:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
