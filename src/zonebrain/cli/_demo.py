"""`zonebrain demo` and `demo-data`: build the demo zone, import it, summarise, serve."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa

from zonebrain.cli._common import console, data_dir, progress_bar, state, warehouse, zone
from zonebrain.cli._summary import print_summary
from zonebrain.cli.import_cmd import show
from zonebrain.core import settings
from zonebrain.storage import Warehouse

IMPORT_ORDER = (
    ("enterprises", "enterprises.xlsx"),
    ("finance", "finance.csv"),
    ("monthly", "monthly.csv"),
    ("tags", "tags.csv"),
    ("events", "events.csv"),
    ("reference", "reference_enterprises.csv"),
    ("signals", "reference_signals.csv"),
    ("panel", "region_activity.csv"),
)


def write_demo_data(out: Path, seed: int, n_enterprises: int, n_reference: int) -> None:
    from zonebrain.demo import generate_reference, generate_zone

    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    wanted = {"seed": seed, "enterprises": n_enterprises, "reference": n_reference, "version": 1}
    if (
        manifest.exists()
        and json.loads(manifest.read_text(encoding="utf-8")) == wanted
        and all((out / name).exists() for _, name in IMPORT_ORDER)
    ):
        console.print(f"演示数据已存在 (demo files exist, same seed): {out}")
        return
    manifest.unlink(missing_ok=True)
    with progress_bar() as step:
        generate_zone(out, seed=seed, n_enterprises=n_enterprises, progress=step)
        generate_reference(out, seed=seed, n_firms=n_reference, progress=step)
    manifest.write_text(json.dumps(wanted), encoding="utf-8")
    console.print(f"演示数据已写入 (demo files written): {out}")


def run_demo(*, seed: int, n_enterprises: int, n_reference: int, serve: bool, port: int | None) -> None:
    from zonebrain.registry import import_file

    started = time.perf_counter()
    files = data_dir() / "demo-input"
    write_demo_data(files, seed, n_enterprises, n_reference)
    with warehouse() as wh:
        for kind, name in IMPORT_ORDER:
            with progress_bar(transient=True) as step:
                report = import_file(wh, kind, files / name, zone=zone(), progress=step)
            show(report)
        print_summary(wh)
        _compute(wh)
        _run_policies(wh)
        demo_firm = _first_firm(wh, "wutong")
    _demo_accounts(demo_firm)
    console.print(f"演示园区就绪 (demo zone ready) in {time.perf_counter() - started:.0f}s: {wh.url}")
    if serve:
        serve_web(None, port)


def _compute(wh: Warehouse) -> None:
    """Everything the cockpit shows that is computed, not imported: chain memberships and the diagnosis."""
    from zonebrain.chains import classify_zone
    from zonebrain.cli._common import arrow_table
    from zonebrain.portrait import diagnose

    with progress_bar(transient=True) as step:
        step("产业链分类 classify chains", 0, 2)
        run = classify_zone(wh)
        step("产业链诊断 diagnose chains", 1, 2)
        found = diagnose(wh)
        step("完成 done", 2, 2)
    console.print(f"产业链分类 (chain memberships): {run.rows} 条 / rows, run {run.run_id}")
    classes = ("强", "弱", "延", "缺")
    counts: dict[str, dict[str, int]] = {}
    for row in found.nodes.select(["chain_name", "strength"]).to_pylist():
        per = counts.setdefault(row["chain_name"], dict.fromkeys(classes, 0))
        per[row["strength"]] = per.get(row["strength"], 0) + 1
    table = pa.table({"产业链 chain": list(counts), **{c: [counts[k][c] for k in counts] for c in classes}})
    console.print(arrow_table(f"产业链节点强弱 Chain nodes by strength ({found.reference})", table, money=()))


def _run_policies(wh: Warehouse) -> None:
    """One recorded run of the built-in policies for the last full year of data (the 政策 pages)."""
    import datetime as dt

    import ibis

    from zonebrain import policy
    from zonebrain.appstore import default_app_db_url, open_app_store
    from zonebrain.disbursement import Ledger

    last = wh.to_arrow(wh.table("enterprise_years").aggregate(y=ibis._.year.max()))["y"][0].as_py()
    if last is None:
        return
    as_of = dt.date(int(last) + 1, 3, 31)
    store = open_app_store(default_app_db_url(data_dir(), settings.get("app_db") or None))
    try:
        with progress_bar(transient=True) as step:
            step("政策测算 policy run", 0, 1)
            run = policy.run_policies(
                wh, policy.load_library(), as_of, history=Ledger(store), keep_traces=False, note="demo"
            )
            step("完成 done", 1, 1)
    finally:
        store.close()
    counts = run.counts()
    console.print(
        f"政策测算 (policy run) {run.run_id}: 年度 period {run.period}, "
        f"符合 eligible {counts.get('eligible', 0)}, 待核实 undetermined {counts.get('undetermined', 0)}",
        highlight=False,
    )


def _first_firm(wh: Warehouse, park_id: str) -> str | None:
    ent = wh.table("enterprises")
    rows = wh.to_arrow(ent.filter(ent.park_id == park_id).order_by("uscc").select("uscc").limit(1))
    return rows["uscc"][0].as_py() if rows.num_rows else None


def _demo_accounts(uscc: str | None) -> None:
    """One web account per role, with fresh passwords printed (the park officer is 梧桐's)."""
    from zonebrain.appstore import default_app_db_url, open_app_store
    from zonebrain.cli.users_cmd import ensure_demo_users, print_demo_accounts

    store = open_app_store(default_app_db_url(data_dir(), settings.get("app_db") or None))
    try:
        print_demo_accounts(ensure_demo_users(store, park_id="wutong", uscc=uscc))
    finally:
        store.close()


def serve_web(host: str | None, port: int | None) -> None:
    import uvicorn

    from zonebrain.web import create_app

    h = settings.get("host", host)
    p = int(settings.get("port", str(port) if port else None))
    app = create_app(
        settings.warehouse_url(state.data_dir, state.warehouse),
        app_db_url=settings.get("app_db") or None,
        data_dir=data_dir(),
        zone_file=settings.get("zone_file", state.zone_file) or None,
        warm_up=True,
    )
    console.print(
        f"[bold green]ZoneBrain 网页驾驶舱 (web app): http://{h}:{p}/[/bold green]  (Ctrl+C 退出 quit)"
    )
    uvicorn.run(app, host=h, port=p, log_level="warning")
