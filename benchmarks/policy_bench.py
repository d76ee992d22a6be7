"""Benchmark: every encoded policy for 1,000,000 enterprises, ZoneBrain on DuckDB against OpenFisca.

    .venv/bin/python benchmarks/policy_bench.py              # 1,000,000 enterprises
    .venv/bin/python benchmarks/policy_bench.py --n 100000   # quick

Six child processes, one after the other, each with its own peak memory (max RSS):

1. ``generate``: deterministic synthetic firms (numpy, seed 11) with every fact the policies read:
   ``enterprises`` (division, park, industry, status), ``enterprise_years`` 2021-2024 (revenue,
   tax, R&D input, employees, insured employees; rows and single values missing on purpose, so
   three-valued logic matters), ``enterprise_tags`` (高新技术企业 with since/until, 非独立核算,
   产业结构调整限制类/淘汰类) and ``events`` (the exclusions, 高新技术企业首次认定, 迁入 with the city
   in the detail, 一事一议协议 over eight years). Amounts sit on and one fen beside every threshold
   and tier bound. Written to Parquet.
2. ``zonebrain``: **load** = read the Parquet files and append them to a fresh DuckDB warehouse
   file (``open_warehouse`` + ``migrate`` + ``append``, one transaction); **evaluate** and
   **write** = ``run_policies(wh, library, as_of, write=True, keep_traces=False)`` (its
   ``seconds``). *evaluate*: the query is built, each family's facts are materialised once (a
   temporary table: the joins, the family's result digits and each fact's stored text), and
   groups, caps and pools are applied to the eligible rows of the clauses they name; *write*:
   ``INSERT … SELECT`` statements in which DuckDB computes every clause's status, amount, missing
   fields and stored trace for every firm and inserts them per firm (every clause's result
   digits and the values the traces show, once; ADR 0009) and per firm × clause when the result
   is not plainly ineligible (amount, missing fields, notes; ADR 0011),
   with the clause numbers, the trace shapes and the ``policy_runs`` row in the same
   transaction; the checkpoint when the warehouse is closed counts as write. After the timed
   steps, the stored bytes are summed, one enterprise's traces are read back with
   ``load_results`` and the first 100,000 rows are expanded to full text (timed, and their full
   size measured).
   ``zonebrain-in-place`` (printed on its own line, not in the table): a prototype of ADR 0008
   step 1, not what ZoneBrain does: the same ``run_policies`` on a warehouse whose four registry
   tables are views over the Parquet files, so nothing is copied or checkpointed but the results.
3. ``openfisca``: the same rules as an ``openfisca_core`` TaxBenefitSystem built in code (one
   entity, the enterprise; variables with formulas for the family's subject and exclusions, each
   clause's conditions and amount, the tier tables, the rate with its cap, the breakthrough
   thresholds and both 从高从优 groups; parameters in a ParameterNode with the same values).
   **load** = read the same Parquet files, turn the yearly, tag and event tables into per-firm
   input arrays (OpenFisca has one array per variable and entity) and ``set_input`` them;
   **evaluate** = ``calculate`` every award; **write** = per-firm amounts to Parquet (OpenFisca
   has no per-result trace to write).
4. ``openfisca-traced``: the same with OpenFisca's tracer on (``simulation.trace = True``) and what
   it recorded written as well: per firm the value of every variable and period computed (one
   Parquet column each) and, once, the dependency graph and parameter values. That is OpenFisca's
   own explanation of each result, so both sides then write results with traces.
5. ``floor``: raw DuckDB SQL without ZoneBrain or any rule (:func:`run_floor`): the same Parquet
   files loaded into a DuckDB file, the facts the rules read gathered per firm, and 10 result rows
   per firm written with no evaluation and no trace: what any design keeping its data and results
   in a DuckDB file spends on this machine before it evaluates anything.

OpenFisca has no missing values, so each fact comes with a ``*_known`` input and conditions are
three-valued integers (1 true, 0 unknown, -1 false: AND = min, OR = max, NOT = minus), which
reproduces ZoneBrain's Kleene logic. OpenFisca's money is ``float`` (numpy float32) in 元; the
parent compares the two per firm and per clause (statuses and eligible sets, amounts in fen) and
prints both totals in fen and by how much OpenFisca's differ.

The library is the built-in one (6 clauses under the zz-gxq-2022 family: 第一条 subject,
第二条 exclusions, two 从高从优 groups) plus 4 clauses of a **benchmark-only** policy
``bench-variants`` (see :data:`VARIANTS`: the R&D award on the prior year, the high-tech tier table
on the period's sales, a marginal tier table with a cap, a fixed employment award by park), so
that at least 10 clauses are evaluated.
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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

AS_OF = dt.date(2025, 3, 31)
SAMPLE = 100_000
"""Stored result rows expanded to full trace text after the run (read-back speed, full-text size)."""
PERIOD = 2024
YEARS = (2021, 2022, 2023, 2024)
SEED = 11
PARKS = ("P01", "P02", "P03", "P04", "P05")
JOB_PARKS = ("P01", "P02")

VARIANTS = """\
# BENCHMARK ONLY - not a real policy. Four clauses built from the real ones' shapes, so the
# benchmark evaluates at least ten clauses (benchmarks/policy_bench.py).
id: bench-variants
family: zz-gxq-2022
meta:
  name: 基准测试专用条款 (非真实政策) / benchmark-only variants
  issuer: benchmark
  effective_from: 2022-01-01
parameters:
  threshold: {ref: 第九条, kind: amount, values: [{since: 2022-01-01, value: 500万元}]}
  rate: {ref: 第九条, kind: rate, values: [{since: 2022-01-01, value: 2%}]}
  cap: {ref: 第九条, kind: amount, values: [{since: 2022-01-01, value: 50万元}]}
clauses:
  - id: rd-input-prior-year
    ref: 第九条第一款
    title: zz-rd-input's award on the year before the period
    when: {fact: rd_expense_fen, year: -1, op: ">=", param: threshold, ref: 第九条第一款}
    amount: {ref: 第九条第一款, rate_param: rate, of: rd_expense_fen, year: -1, cap_param: cap,
             rounding: yuan_down}
  - id: hitech-tiers-period
    ref: 第九条第二款
    title: zz-hitech-first-cert's tier table on the period's sales, for firms holding the tag
    when: {tag: 高新技术企业, ref: 第九条第二款}
    amount:
      ref: 第九条第二款
      of: revenue_fen
      year: 0
      mode: single
      tiers:
        - {lower: 1000万, lower_inclusive: true, amount: 30万}
        - {lower: 200万, lower_inclusive: true, upper: 1000万, upper_inclusive: false, amount: 20万}
        - {upper: 200万, upper_inclusive: false, amount: 10万}
  - id: revenue-marginal
    ref: 第九条第三款
    title: marginal tiers on the period's sales (1% to 1000万, 0.5% above), capped at 20万
    when: {fact: revenue_fen, op: ">=", value: 200万, ref: 第九条第三款}
    amount:
      ref: 第九条第三款
      of: revenue_fen
      mode: marginal
      cap: 20万
      tiers:
        - {upper: 1000万, upper_inclusive: true, rate: 1%}
        - {lower: 1000万, lower_inclusive: false, rate: 0.5%}
  - id: jobs
    ref: 第九条第四款
    title: a fixed award for at least 50 insured employees in two parks
    when:
      all:
        - {fact: insured_employees, op: ">=", value: 50, ref: 第九条第四款}
        - {fact: park_id, op: in, value: [P01, P02], ref: 第九条第四款}
    amount: {ref: 第九条第四款, fixed: 5万}
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def library(folder: Path) -> Any:
    """The built-in library plus the benchmark-only variants (written beside the data)."""
    from zonebrain.policy import Library, load_library, load_policy

    lib = load_library()
    path = folder / "bench-variants.policy.yaml"
    path.write_text(VARIANTS, encoding="utf-8")
    variants = load_policy(path)
    return Library(lib.families, {**lib.policies, variants.id: variants})


# ---------------------------------------------------------------------------------------------- data
def _days(iso: str) -> int:
    return int((np.datetime64(iso) - np.datetime64("1970-01-01")).astype(int))


def _near(rng: np.random.Generator, n: int, values: list[int], share: float, base: np.ndarray) -> np.ndarray:
    """*base* with a *share* of rows moved onto a threshold or one fen beside it (boundary cases)."""
    hit = rng.random(n) < share
    point = np.array(values, dtype=np.int64)[rng.integers(0, len(values), n)]
    return np.where(hit, point + rng.integers(-1, 2, n), base)


def generate(folder: Path, n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    idx = pa.array(np.arange(n))
    uscc = pc.binary_join_element_wise("91410100", pc.utf8_lpad(pc.cast(idx, pa.string()), 10, "0"), "")
    inside = rng.random(n) < 0.92
    division = np.where(inside, "410172", "410105")
    division = pc.binary_join_element_wise(
        pa.array(division), pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 999, n)), pa.string()), 3, "0"), ""
    )
    division = pc.if_else(pa.array(rng.random(n) < 0.003), pa.scalar(None, pa.string()), division)
    status_choices = np.array(["存续", "在业", "注销", "吊销", ""])
    status = status_choices[rng.choice(5, n, p=[0.70, 0.25, 0.025, 0.015, 0.01])]
    park = np.array(PARKS)[rng.integers(0, len(PARKS), n)]
    industry = np.char.add("C", rng.integers(1300, 4399, n).astype(str))
    ent = pa.table(
        {
            "uscc": uscc,
            "name": pc.binary_join_element_wise("基准企业", pc.cast(idx, pa.string()), ""),
            "park_id": pa.array(park),
            "division_code": division,
            "industry_code": pa.array(industry),
            "status": pc.if_else(pc.equal(status, ""), pa.scalar(None, pa.string()), pa.array(status)),
        }
    )
    pq.write_table(ent, folder / "enterprises.parquet")

    # yearly panel: revenue grows year on year; new firms lack the earlier years; values go missing
    wan = 1_000_000  # fen in 1万元
    revenue = np.exp(np.log(600.0) + 1.6 * rng.standard_normal(n)) * wan
    founded = rng.choice(np.array(YEARS), n, p=[0.70, 0.12, 0.10, 0.08])
    thresholds = [1000 * wan, 2000 * wan, 5000 * wan, 10000 * wan, 200 * wan]
    parts = []
    for year in YEARS:
        growth = np.exp(0.25 * rng.standard_normal(n) + 0.05)
        revenue = revenue * growth
        rev = _near(rng, n, thresholds, 0.03, np.round(revenue).astype(np.int64))
        rev = np.where(rng.random(n) < 0.01, 0, rev)
        tax = np.round(rev * rng.uniform(0.0, 0.06, n)).astype(np.int64)
        tax = np.where(rng.random(n) < 0.01, 0, tax)
        rd = np.round(rev * np.exp(np.log(0.05) + 0.8 * rng.standard_normal(n))).astype(np.int64)
        rd = _near(rng, n, [500 * wan, 2500 * wan], 0.02, rd)
        employees = np.maximum(1, np.round(rev / wan / 40 * np.exp(0.5 * rng.standard_normal(n)))).astype(
            np.int64
        )
        insured = np.floor(employees * rng.uniform(0.6, 1.0, n)).astype(np.int64)
        insured = _near(rng, n, [50], 0.03, insured)
        insured = np.where(rng.random(n) < 0.01, 0, insured)
        keep = (founded <= year) & (rng.random(n) >= 0.03)
        rows = np.flatnonzero(keep)
        m = rows.size

        def col(values: np.ndarray, missing: float, rows: np.ndarray = rows, m: int = m) -> pa.Array:
            return pa.array(values[rows], mask=rng.random(m) < missing)

        parts.append(
            pa.table(
                {
                    "uscc": uscc.take(pa.array(rows)),
                    "year": pa.array(np.full(m, year, dtype=np.int32)),
                    "revenue_fen": col(rev, 0.02),
                    "tax_fen": col(tax, 0.03),
                    "rd_expense_fen": col(rd, 0.08),
                    "employees": col(employees, 0.02),
                    "insured_employees": col(insured, 0.04),
                }
            )
        )
    years = pa.concat_tables(parts)
    pq.write_table(years, folder / "enterprise_years.parquet")

    # tags: (tag, share, since window, share with an until before the period end)
    tag_specs = (
        ("高新技术企业", 0.18, ("2019-01-01", "2025-06-30"), 0.1),
        ("非独立核算", 0.03, ("2015-01-01", "2024-12-31"), 0.0),
        ("产业结构调整限制类", 0.01, ("2015-01-01", "2025-06-30"), 0.2),
        ("产业结构调整淘汰类", 0.005, ("2015-01-01", "2025-06-30"), 0.2),
    )
    tag_parts = []
    for tag, share, (lo, hi), ended in tag_specs:
        rows = np.flatnonzero(rng.random(n) < share)
        m = rows.size
        since = rng.integers(_days(lo), _days(hi) + 1, m)
        until = since + rng.integers(200, 1500, m)
        has_until = rng.random(m) < ended
        tag_parts.append(
            pa.table(
                {
                    "uscc": uscc.take(pa.array(rows)),
                    "tag": pa.array([tag] * m),
                    "since": pa.array(since.astype("datetime64[D]")),
                    "until": pa.array(until.astype("datetime64[D]"), mask=~has_until),
                }
            )
        )
    pq.write_table(pa.concat_tables(tag_parts), folder / "enterprise_tags.parquet")

    # events: at most one per kind and firm (the key is uscc, kind, date)
    event_specs = (
        ("重大安全事故", 0.006, "2022-06-01", "2025-03-31"),
        ("劳资纠纷", 0.01, "2022-06-01", "2025-03-31"),
        ("严重违法失信", 0.006, "2022-06-01", "2025-03-31"),
        ("经营异常", 0.02, "2022-06-01", "2025-03-31"),
        ("一事一议协议", 0.012, "2017-01-01", "2025-03-31"),
        ("高新技术企业首次认定", 0.06, "2023-01-01", "2025-03-31"),
        ("迁入", 0.05, "2021-06-01", "2025-03-31"),
    )
    origins = np.array(
        ["自郑州市金水区迁入", "自北京市海淀区迁入", "自上海市浦东新区迁入", "自郑州市中原区迁入"]
    )
    ev_parts = []
    for kind, share, lo, hi in event_specs:
        rows = np.flatnonzero(rng.random(n) < share)
        m = rows.size
        day = rng.integers(_days(lo), _days(hi) + 1, m)
        detail = origins[rng.integers(0, origins.size, m)] if kind == "迁入" else np.array(["基准"] * m)
        ev_parts.append(
            pa.table(
                {
                    "uscc": uscc.take(pa.array(rows)),
                    "kind": pa.array([kind] * m),
                    "date": pa.array(day.astype("datetime64[D]")),
                    "detail": pa.array(detail, mask=rng.random(m) < 0.05),
                }
            )
        )
    events = pa.concat_tables(ev_parts)
    pq.write_table(events, folder / "events.parquet")
    return {
        "firms": n,
        "year_rows": years.num_rows,
        "tag_rows": sum(t.num_rows for t in tag_parts),
        "event_rows": events.num_rows,
        "peak_mb": _peak_mb(),
    }


# ----------------------------------------------------------------------------------------- zonebrain
TABLES = ("enterprises", "enterprise_years", "enterprise_tags", "events")


def run_zonebrain(folder: Path, memory: str) -> dict[str, Any]:
    from zonebrain.policy import load_results, results_table, run_policies
    from zonebrain.policy._run import expand_traces, trace_shapes
    from zonebrain.storage import open_warehouse

    lib = library(folder)
    t0 = time.perf_counter()
    wh = open_warehouse(folder / "bench.duckdb")
    if memory:
        wh.ibis.raw_sql(f"SET memory_limit = '{memory}'")  # DuckDB's buffer pool (a shared machine)
    wh.migrate()
    with wh.transaction():
        for name in TABLES:
            wh.append(name, pq.read_table(folder / f"{name}.parquet"))
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    run = run_policies(wh, lib, AS_OF, write=True, keep_traces=False)
    run_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    wh.close()  # the checkpoint: the committed rows move from the write-ahead log into the file
    close_s = time.perf_counter() - t2
    peak = _peak_mb()
    with open_warehouse(folder / "bench.duckdb", read_only=True) as ro:
        r = load_results(ro, run.run_id, traces=False)  # the rows as written, for the comparison
        pq.write_table(
            r.select(["uscc", "policy_id", "clause_id", "status", "amount_fen"]), folder / "zb.parquet"
        )
        written = r.num_rows  # results, stored or not: a plainly ineligible one has no row (ADR 0011)
        kept = ro.count("policy_result_rows")
        # the stored traces in UTF-8 bytes (DuckDB's strlen), outside the timed steps: per row its
        # own digits, amount and notes, per enterprise the values read, plus one shape per clause
        trace_bytes = ro.ibis.raw_sql(
            "SELECT (SELECT sum(strlen(digits) + strlen(coalesce(notes, '')) + 8) FROM policy_result_rows)"
            " + (SELECT sum(strlen(digits) + strlen(fields)) FROM policy_result_firms)"
        ).fetchall()[0][0]
        shape_bytes = ro.ibis.raw_sql("SELECT sum(strlen(shape)) FROM policy_trace_shapes").fetchall()[0][0]
        # reading back: one enterprise's traces (the trace page), and SAMPLE rows expanded to full text
        firm = str(r["uscc"][0].as_py())
        t3 = time.perf_counter()
        load_results(ro, run.run_id, firm)
        firm_s = time.perf_counter() - t3
        sample = ro.to_arrow(results_table(ro).limit(SAMPLE))
        t4 = time.perf_counter()
        full = expand_traces(sample, trace_shapes(ro, run.run_id))
        expand_s = time.perf_counter() - t4
        full_bytes = int(pc.sum(pc.binary_length(full["trace"])).as_py() or 0)
    return {
        "load_s": load_s,
        "eval_s": run.seconds["evaluate"],
        "write_s": run_s - run.seconds["evaluate"] + close_s,
        "close_s": close_s,
        "rows": r.num_rows,
        "written": written,
        "kept": kept,
        "trace_gb": trace_bytes / 1e9,
        "shape_kb": shape_bytes / 1e3,
        "stored_per_row": trace_bytes / max(written, 1),
        "full_per_row": full_bytes / max(sample.num_rows, 1),
        "firm_s": firm_s,
        "expand_rows": sample.num_rows,
        "expand_s": expand_s,
        "clauses": sum(len(p.clauses) for p in lib.policies.values()),
        "total_fen": int(pc.sum(r["amount_fen"]).as_py() or 0),
        "db_gb": os.path.getsize(folder / "bench.duckdb") / 1e9,
        "peak_mb": peak,
    }


def run_zonebrain_in_place(folder: Path, memory: str) -> dict[str, Any]:
    """A prototype of ADR 0008 step 1, not what ZoneBrain does: the same ``run_policies`` on a
    warehouse whose four registry tables are views over the Parquet files (typed as the tables
    are, provenance columns null), so there is no copy to load or checkpoint. Its total must equal
    the copied run's (the parent prints both)."""
    from zonebrain.policy import run_policies
    from zonebrain.storage import TABLES as SPECS
    from zonebrain.storage import open_warehouse
    from zonebrain.storage._sql import DUCKDB

    lib = library(folder)
    t0 = time.perf_counter()
    wh = open_warehouse(folder / "in-place.duckdb")
    if memory:
        wh.ibis.raw_sql(f"SET memory_limit = '{memory}'")
    wh.migrate()
    for name in TABLES:
        have = set(pq.read_schema(folder / f"{name}.parquet").names)
        cols = ", ".join(
            f"CAST({DUCKDB.q(c) if c in have else 'NULL'} AS {DUCKDB.types[t]}) AS {DUCKDB.q(c)}"
            for c, t in SPECS[name].columns
        )
        wh.ibis.raw_sql(f"DROP TABLE {DUCKDB.q(name)}")
        wh.ibis.raw_sql(
            f"CREATE VIEW {DUCKDB.q(name)} AS SELECT {cols} FROM read_parquet('{folder / name}.parquet')"
        )
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    run = run_policies(wh, lib, AS_OF, write=True, keep_traces=False)
    run_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    wh.close()
    close_s = time.perf_counter() - t2
    peak = _peak_mb()
    with open_warehouse(folder / "in-place.duckdb", read_only=True) as ro:
        total = ro.ibis.raw_sql("SELECT sum(amount_fen) FROM policy_result_rows").fetchall()[0][0]
    return {
        "load_s": load_s,
        "eval_s": run.seconds["evaluate"],
        "write_s": run_s - run.seconds["evaluate"] + close_s,
        "total_fen": int(total or 0),
        "peak_mb": peak,
    }


# ----------------------------------------------------------------------------------------- floor
def run_floor(folder: Path, memory: str) -> dict[str, Any]:
    """What any design that keeps the data in a DuckDB file must spend, with no rule evaluated.

    Raw DuckDB SQL, no ZoneBrain code, on the same input and memory limit: **load** the four Parquet
    files into a fresh DuckDB file (``CREATE TABLE … AS SELECT * FROM read_parquet``, one
    transaction); **facts**: one query gathering per enterprise what the rules read (the period's
    and the year before's values, the largest earlier revenue, a flag per tag held at the period
    end and per event kind in its window), the least an evaluation in SQL must do; then two
    **writes** of results with no evaluation (every row ``ineligible``, no amount, no
    ``missing_fields``, no trace), each committed and checkpointed:

    * ``rows``: one row per enterprise × clause as ``policy_results`` stores them (run id, USCC,
      policy id, clause id, status, amount);
    * ``normalised``: one row per enterprise (run id, number, USCC) and one integer row per
      enterprise × clause (run id, number, clause number, status code, amount): the narrowest a
      result table can be.

    load + facts + a write is a lower bound for ZoneBrain's end to end on this machine when the data
    are first copied into the warehouse file, as ``zonebrain import`` does. A third measurement,
    **in place**, drops that copy: the same facts query reads the Parquet files through views (DuckDB
    scans them where they lie) and the normalised write goes to a fresh file. It bounds a design
    that evaluates a registry snapshot without importing it (not what ZoneBrain does today).
    """
    import duckdb

    clauses = 10
    path = folder / "floor.duckdb"
    con = duckdb.connect(str(path))
    if memory:
        con.execute(f"SET memory_limit = '{memory}'")
    # as ZoneBrain's inserts do: kept in order, a parallel insert is rewritten at the checkpoint
    con.execute("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for name in TABLES:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    load_s = time.perf_counter() - t0
    end = f"DATE '{PERIOD}-12-31'"
    start = f"DATE '{PERIOD}-01-01'"
    held = [
        f"max(CASE WHEN tag = '{tag}' AND (since IS NULL OR since <= {end}) "
        f"AND (until IS NULL OR until >= {end}) THEN 1 ELSE 0 END) AS t_{short}"
        for tag, short in TAGS.items()
    ]
    since = {"one_off_deal": f"DATE '{PERIOD - 4}-01-01'", "moved_in": f"DATE '{PERIOD - 1}-01-01'"}
    happened = [
        f"max(CASE WHEN kind = '{kind}' AND date BETWEEN {since.get(short, start)} AND {end} "
        f"THEN 1 ELSE 0 END) AS e_{short}"
        for kind, short in EVENTS.items()
    ]
    year_cols = ", ".join(f"y.{c} AS {c}_0, p.{c} AS {c}_1" for c in YEAR_INPUTS)
    t1 = time.perf_counter()
    facts = f"""CREATE TEMP TABLE facts AS
        SELECT e.uscc, e.division_code, e.park_id, e.status, {year_cols}, h.before, tg.*, ev.*
        FROM enterprises e
        LEFT JOIN (SELECT * FROM enterprise_years WHERE year = {PERIOD}) y ON y.uscc = e.uscc
        LEFT JOIN (SELECT * FROM enterprise_years WHERE year = {PERIOD - 1}) p ON p.uscc = e.uscc
        LEFT JOIN (SELECT uscc AS hu, max(revenue_fen) AS before FROM enterprise_years
                   WHERE year < {PERIOD} GROUP BY uscc) h ON h.hu = e.uscc
        LEFT JOIN (SELECT uscc AS tu, {", ".join(held)} FROM enterprise_tags GROUP BY uscc) tg
               ON tg.tu = e.uscc
        LEFT JOIN (SELECT uscc AS eu, {", ".join(happened)} FROM events GROUP BY uscc) ev
               ON ev.eu = e.uscc"""
    con.execute(facts)
    facts_s = time.perf_counter() - t1
    n = int(con.execute("SELECT count(*) FROM facts").fetchone()[0])  # type: ignore[index]
    con.execute(
        "CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY uscc) AS firm_no, uscc FROM facts"
    )
    per_row = (
        "CREATE TABLE results AS SELECT 'run' AS run_id, f.uscc, 'policy-' || (c.i // 4) AS policy_id, "
        "'clause-' || c.i AS clause_id, 'ineligible' AS status, CAST(NULL AS BIGINT) AS amount_fen "
        f"FROM numbered f CROSS JOIN range({clauses}) c(i)"
    )
    firms = "CREATE TABLE run_firms AS SELECT 'run' AS run_id, firm_no, uscc FROM numbered"
    narrow = (
        "CREATE TABLE run_results AS SELECT 'run' AS run_id, CAST(f.firm_no AS INTEGER) AS firm_no, "
        "CAST(c.i AS SMALLINT) AS clause_no, CAST(0 AS TINYINT) AS status, "
        f"CAST(NULL AS BIGINT) AS amount_fen FROM numbered f CROSS JOIN range({clauses}) c(i)"
    )
    writes = {}
    for kind, tables in (("rows", [per_row]), ("normalised", [firms, narrow])):
        t2 = time.perf_counter()
        con.execute("BEGIN")
        for sql in tables:
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        writes[kind] = time.perf_counter() - t2
    con.close()
    # in place: no copy; the facts read the Parquet files through views, then the normalised write
    con = duckdb.connect(str(folder / "floor-in-place.duckdb"))
    if memory:
        con.execute(f"SET memory_limit = '{memory}'")
    con.execute("SET preserve_insertion_order = false")
    t3 = time.perf_counter()
    for name in TABLES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
    con.execute(facts)
    con.execute(
        "CREATE TEMP TABLE numbered AS SELECT row_number() OVER (ORDER BY uscc) AS firm_no, uscc FROM facts"
    )
    con.execute("BEGIN")
    con.execute(firms)
    con.execute(narrow)
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    in_place_s = time.perf_counter() - t3
    con.close()
    return {"load_s": load_s, "facts_s": facts_s, "rows_s": writes["rows"], "normalised_s": writes["normalised"],
            "in_place_s": in_place_s, "firms": n, "results": n * clauses, "peak_mb": _peak_mb()}  # fmt: skip


# ----------------------------------------------------------------------------------------- openfisca
TAGS = {
    "高新技术企业": "hitech",
    "非独立核算": "branch",
    "产业结构调整限制类": "restricted",
    "产业结构调整淘汰类": "eliminated",
}
EVENTS = {
    "重大安全事故": "accident",
    "劳资纠纷": "labour_dispute",
    "严重违法失信": "dishonesty",
    "经营异常": "abnormal",
    "一事一议协议": "one_off_deal",
    "高新技术企业首次认定": "hitech_first_cert",
    "迁入": "moved_in",
}
YEAR_INPUTS = {
    "revenue_fen": "revenue",
    "tax_fen": "tax",
    "rd_expense_fen": "rd",
    "insured_employees": "insured",
}
CLAUSES = (
    ("zz-hitech-first-cert", "award", "hitech_award"),
    ("zz-rd-input", "award", "rd_award"),
    ("zz-revenue-breakthrough", "reach-10m", "reach_10m"),
    ("zz-revenue-breakthrough", "reach-20m", "reach_20m"),
    ("zz-revenue-breakthrough", "reach-50m", "reach_50m"),
    ("zz-revenue-breakthrough", "reach-100m", "reach_100m"),
    ("bench-variants", "rd-input-prior-year", "rd_prior"),
    ("bench-variants", "hitech-tiers-period", "hitech_tiers"),
    ("bench-variants", "revenue-marginal", "revenue_marginal"),
    ("bench-variants", "jobs", "jobs"),
)
STATUS = {0: "ineligible", 1: "eligible", 2: "undetermined", 3: "superseded"}


def _values(since: str, value: float) -> dict[str, Any]:
    return {"values": {since: {"value": value}}}


def _scale(kind: str, brackets: list[tuple[float, float]]) -> dict[str, Any]:
    key = "amount" if kind == "single_amount" else "rate"
    return {
        "metadata": {"type": kind} if kind == "single_amount" else {},
        "brackets": [
            {"threshold": _values("2022-01-01", t), key: _values("2022-01-01", v)} for t, v in brackets
        ],
    }


# The parameters in 元 (OpenFisca's money is float), the same values as the YAML library.
OF_PARAMETERS: dict[str, Any] = {
    "hitech": {"tiers": _scale("single_amount", [(0, 100_000), (2_000_000, 200_000), (10_000_000, 300_000)])},
    "rd": {
        "threshold": _values("2022-01-01", 5_000_000),
        "rate": _values("2022-01-01", 0.02),
        "cap": _values("2022-01-01", 500_000),
    },
    "breakthrough": {
        f"reach_{m}m": {"threshold": _values("2022-02-25", m * 1_000_000), "amount": _values("2022-02-25", a)}
        for m, a in ((10, 100_000), (20, 200_000), (50, 500_000), (100, 1_000_000))
    },
    "variants": {
        "marginal": _scale("marginal_rate", [(0, 0.01), (10_000_000, 0.005)]),
        "marginal_floor": _values("2022-01-01", 2_000_000),
        "marginal_cap": _values("2022-01-01", 200_000),
        "jobs_insured": _values("2022-01-01", 50),
        "jobs_amount": _values("2022-01-01", 50_000),
    },
}


def tax_benefit_system() -> Any:
    """The policies as an OpenFisca TaxBenefitSystem: one entity, variables with formulas."""
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    enterprise = build_entity("enterprise", "enterprises", "企业 / an enterprise", is_person=True)
    year, eternity = DateUnit.YEAR, DateUnit.ETERNITY
    variables: list[type] = []

    def var(name: str, value_type: type, period: Any, formula: Any = None, default: Any = None) -> None:
        attrs: dict[str, Any] = {
            "value_type": value_type,
            "entity": enterprise,
            "definition_period": period,
            "label": name,
        }
        if default is not None:
            attrs["default_value"] = default
        if formula is not None:
            attrs["formula"] = formula
        variables.append(type(name, (Variable,), attrs))

    # --- inputs
    for name in ("division_code", "park_id", "status"):
        var(name, str, eternity)  # "" = missing
    for short in YEAR_INPUTS.values():
        var(short, int if short == "insured" else float, year)
        var(f"{short}_known", bool, year)
    for short in TAGS.values():
        var(f"tag_{short}", bool, eternity)
        var(f"tag_{short}_since", dt.date, eternity)
        var(f"tag_{short}_until", dt.date, eternity, default=dt.date(9999, 12, 31))
    for short in EVENTS.values():
        var(f"event_{short}", bool, eternity)
        var(f"event_{short}_date", dt.date, eternity)
    var("moved_in_detail_mentions_zhengzhou", bool, eternity)

    # --- three-valued helpers: 1 true, 0 unknown, -1 false
    def tri(value: np.ndarray, known: np.ndarray) -> np.ndarray:
        return np.where(known, np.where(value, 1, -1), 0).astype(np.int32)

    def end_of(period: Any) -> np.datetime64:
        return np.datetime64(f"{period.start.year}-12-31")

    def tag_held(e: Any, period: Any, short: str) -> np.ndarray:
        end = end_of(period)
        return (
            e(f"tag_{short}", period)
            & (e(f"tag_{short}_since", period) <= end)
            & (e(f"tag_{short}_until", period) >= end)
        )

    def event_in(e: Any, short: str, start: np.datetime64, end: np.datetime64, period: Any) -> np.ndarray:
        when = e(f"event_{short}_date", period)
        return e(f"event_{short}", period) & (when >= start) & (when <= end)

    def in_period(short: str) -> Any:
        def formula(e: Any, period: Any, parameters: Any) -> np.ndarray:
            y = period.start.year
            hit = event_in(e, short, np.datetime64(f"{y}-01-01"), np.datetime64(f"{y}-12-31"), period)
            return np.where(hit, 1, -1).astype(np.int32)

        return formula

    # --- 第一条 subject
    def subject(e: Any, period: Any, parameters: Any) -> np.ndarray:
        division = e("division_code", period).astype(str)
        status = e("status", period).astype(str)
        in_zone = tri(np.char.startswith(division, "410172"), division != "")
        operating = tri(np.isin(status, ["存续", "在业"]), status != "")
        tax_reported = np.where(e("tax_known", period), 1, 0)
        revenue_reported = np.where(e("revenue_known", period), 1, 0)
        own_accounts = np.where(tag_held(e, period, "branch"), -1, 1)
        return np.minimum.reduce([in_zone, tax_reported, revenue_reported, operating, own_accounts])

    var("subject", int, year, subject)
    # --- 第二条 exclusions (1 = excluded)
    for kind in ("accident", "labour_dispute", "dishonesty", "abnormal"):
        var(f"excluded_{kind}", int, year, in_period(kind))

    def no_activity(e: Any, period: Any, parameters: Any) -> np.ndarray:
        parts = [
            tri(e(f"{short}", period) == 0, e(f"{short}_known", period))
            for short in ("revenue", "tax", "insured")
        ]
        return np.maximum.reduce(parts)

    var("excluded_no_activity", int, year, no_activity)

    def one_off_deal(e: Any, period: Any, parameters: Any) -> np.ndarray:
        y = period.start.year
        hit = event_in(
            e, "one_off_deal", np.datetime64(f"{y - 4}-01-01"), np.datetime64(f"{y}-12-31"), period
        )
        return np.where(hit, 1, -1).astype(np.int32)

    var("excluded_one_off_deal", int, year, one_off_deal)

    def restructuring(e: Any, period: Any, parameters: Any) -> np.ndarray:
        held = tag_held(e, period, "restricted") | tag_held(e, period, "eliminated")
        return np.where(held, 1, -1).astype(np.int32)

    var("excluded_restructuring", int, year, restructuring)

    exclusions = ("accident", "labour_dispute", "dishonesty", "abnormal", "no_activity", "one_off_deal",
                  "restructuring")  # fmt: skip

    def family(e: Any, period: Any, parameters: Any) -> np.ndarray:
        return np.minimum.reduce([e("subject", period)] + [-e(f"excluded_{x}", period) for x in exclusions])

    var("family", int, year, family)

    def max_revenue_before(e: Any, period: Any, parameters: Any) -> np.ndarray:
        best = np.full(e.count, -np.inf, dtype=np.float32)
        for y in range(YEARS[0], period.start.year):
            known = e("revenue_known", str(y))
            best = np.where(known, np.maximum(best, e("revenue", str(y))), best)
        return best  # -inf: no earlier revenue on record (unknown)

    var("max_revenue_before", float, year, max_revenue_before)

    # --- clauses: *_when (own condition), *_base / *_base_known, *_amount, *_status, then groups
    def clause(short: str, when: Any, amount: Any, base: tuple[str, int] | None) -> None:
        var(f"{short}_when", int, year, when)

        def status(e: Any, period: Any, parameters: Any) -> np.ndarray:
            ok = np.minimum(e("family", period), e(f"{short}_when", period))
            known = np.ones(e.count, bool) if base is None else e(f"{base[0]}_known", period.offset(base[1]))
            return np.where(ok == 1, np.where(known, 1, 2), np.where(ok == 0, 2, 0)).astype(np.int32)

        var(f"{short}_status", int, year, status)

        def gross(e: Any, period: Any, parameters: Any) -> np.ndarray:
            value = amount(e, period, parameters(period))
            return np.where(e(f"{short}_status", period) == 1, value, 0).astype(np.float32)

        var(f"{short}_amount", float, year, gross)

    def hitech_when(e: Any, period: Any, parameters: Any) -> np.ndarray:
        y = period.start.year
        first = event_in(
            e, "hitech_first_cert", np.datetime64(f"{y}-01-01"), np.datetime64(f"{y}-12-31"), period
        )
        moved = event_in(
            e, "moved_in", np.datetime64(f"{y - 1}-01-01"), np.datetime64(f"{y - 1}-12-31"), period
        )
        moved &= ~e("moved_in_detail_mentions_zhengzhou", period)
        return np.where(first | (tag_held(e, period, "hitech") & moved), 1, -1).astype(np.int32)

    clause(
        "hitech_award",
        hitech_when,
        lambda e, period, p: p.hitech.tiers.calc(np.maximum(e("revenue", period.last_year), 0)),
        ("revenue", -1),
    )

    def rd_when(offset: int) -> Any:
        def formula(e: Any, period: Any, parameters: Any) -> np.ndarray:
            at = period.offset(offset)
            return tri(e("rd", at) >= parameters(period).rd.threshold, e("rd_known", at))

        return formula

    def rd_amount(offset: int) -> Any:
        def formula(e: Any, period: Any, p: Any) -> np.ndarray:
            rd = np.maximum(e("rd", period.offset(offset)), 0)
            return np.minimum(np.floor(rd * p.rd.rate), p.rd.cap)  # 向下取整到元, then the cap

        return formula

    clause("rd_award", rd_when(0), rd_amount(0), ("rd", 0))
    for m in (10, 20, 50, 100):

        def reach_when(e: Any, period: Any, parameters: Any, m: int = m) -> np.ndarray:
            t = parameters(period).breakthrough[f"reach_{m}m"].threshold
            now = tri(e("revenue", period) >= t, e("revenue_known", period))
            before = e("max_revenue_before", period)
            first = tri(before < t, before > -np.inf)
            return np.minimum(now, first)

        clause(
            f"reach_{m}m",
            reach_when,
            lambda e, period, p, m=m: np.full(e.count, p.breakthrough[f"reach_{m}m"].amount, np.float32),
            None,
        )
    clause("rd_prior", rd_when(-1), rd_amount(-1), ("rd", -1))
    clause(
        "hitech_tiers",
        lambda e, period, parameters: np.where(tag_held(e, period, "hitech"), 1, -1).astype(np.int32),
        lambda e, period, p: p.hitech.tiers.calc(np.maximum(e("revenue", period), 0)),
        ("revenue", 0),
    )
    clause(
        "revenue_marginal",
        lambda e, period, parameters: tri(
            e("revenue", period) >= parameters(period).variants.marginal_floor, e("revenue_known", period)
        ),
        lambda e, period, p: np.minimum(
            np.round(p.variants.marginal.calc(np.maximum(e("revenue", period), 0)), 2),
            p.variants.marginal_cap,
        ),
        ("revenue", 0),
    )
    clause(
        "jobs",
        lambda e, period, parameters: np.minimum(
            tri(e("insured", period) >= parameters(period).variants.jobs_insured, e("insured_known", period)),
            tri(
                np.isin(e("park_id", period).astype(str), list(JOB_PARKS)),
                e("park_id", period).astype(str) != "",
            ),
        ),
        lambda e, period, p: np.full(e.count, p.variants.jobs_amount, np.float32),
        None,
    )

    # --- 从高从优: keep each firm's highest eligible award of a group (ties: the member listed first)
    def group(members: tuple[str, ...]) -> None:
        for i, short in enumerate(members):

            def superseded(
                e: Any, period: Any, parameters: Any, i: int = i, short: str = short
            ) -> np.ndarray:
                mine = e(f"{short}_amount", period)
                live = e(f"{short}_status", period) == 1
                beaten = np.zeros(e.count, bool)
                for j, other in enumerate(members):
                    if j == i:
                        continue
                    theirs = e(f"{other}_amount", period)
                    other_live = e(f"{other}_status", period) == 1
                    better = (theirs > mine) | ((theirs == mine) & (j < i))
                    beaten |= other_live & better
                return live & beaten

            var(f"{short}_superseded", bool, year, superseded)

    group(("hitech_award", "rd_award"))
    group(("reach_10m", "reach_20m", "reach_50m", "reach_100m"))
    grouped = {"hitech_award", "rd_award", "reach_10m", "reach_20m", "reach_50m", "reach_100m"}
    for _, _, short in CLAUSES:

        def final_status(e: Any, period: Any, parameters: Any, short: str = short) -> np.ndarray:
            status = e(f"{short}_status", period)
            if short in grouped:
                status = np.where(e(f"{short}_superseded", period), 3, status)
            return status

        def award(e: Any, period: Any, parameters: Any, short: str = short) -> np.ndarray:
            return np.where(e(f"{short}_final_status", period) == 1, e(f"{short}_amount", period), 0)

        var(f"{short}_final_status", int, year, final_status)
        var(f"{short}_award", float, year, award)

    tbs = TaxBenefitSystem([enterprise])
    tbs.add_variables(*variables)
    tbs.parameters = ParameterNode("", data=OF_PARAMETERS)
    return tbs


def _index(keys: pa.ChunkedArray, firms: pa.Array) -> np.ndarray:
    return np.asarray(pc.index_in(keys, value_set=firms).to_numpy(zero_copy_only=False), dtype=np.int64)


def _dates(col: pa.ChunkedArray, fill: str) -> np.ndarray:
    days = pc.fill_null(col.cast(pa.date32()), pa.scalar(dt.date.fromisoformat(fill), pa.date32()))
    return np.asarray(days.cast(pa.int32()).to_numpy(zero_copy_only=False)).astype("datetime64[D]")


def run_openfisca(folder: Path, traced: bool = False) -> dict[str, Any]:
    """*traced*: OpenFisca's own tracer is on while calculating, and what it recorded is written
    too: per firm (row) the value of every variable and period it computed (one column each), with
    the dependency graph and the parameter values once in the file's metadata: OpenFisca's
    explanation of each firm's result, as ZoneBrain's trace is (a shape once, values per row)."""
    from openfisca_core.simulations import SimulationBuilder

    tbs = tax_benefit_system()
    t0 = time.perf_counter()
    ent = pq.read_table(folder / "enterprises.parquet")
    n = ent.num_rows
    firms = ent["uscc"].combine_chunks()
    sim = SimulationBuilder().build_default_simulation(tbs, count=n)
    for col in ("division_code", "park_id", "status"):
        sim.set_input(
            col,
            "ETERNITY",
            np.asarray(pc.fill_null(ent[col], "").to_numpy(zero_copy_only=False), dtype=object),
        )
    years = pq.read_table(folder / "enterprise_years.parquet")
    at = _index(years["uscc"], firms)
    year_of = np.asarray(years["year"].to_numpy())
    for y in YEARS:
        rows = np.flatnonzero(year_of == y)
        for col, short in YEAR_INPUTS.items():
            values = years[col].take(pa.array(rows))
            known_rows = np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            filled = np.asarray(pc.fill_null(values, 0).to_numpy(zero_copy_only=False))
            arr = np.zeros(n, np.int32 if short == "insured" else np.float32)
            arr[at[rows]] = filled if short == "insured" else filled / 100  # fen → 元
            known = np.zeros(n, bool)
            known[at[rows]] = known_rows
            sim.set_input(short, str(y), arr)
            sim.set_input(f"{short}_known", str(y), known)
    tags = pq.read_table(folder / "enterprise_tags.parquet")
    for tag, short in TAGS.items():
        t = tags.filter(pc.equal(tags["tag"], tag))
        at = _index(t["uscc"], firms)
        has = np.zeros(n, bool)
        has[at] = True
        since = np.full(n, np.datetime64("1970-01-01"), "datetime64[D]")
        since[at] = _dates(t["since"], "0001-01-01")
        until = np.full(n, np.datetime64("9999-12-31"), "datetime64[D]")
        until[at] = _dates(t["until"], "9999-12-31")
        sim.set_input(f"tag_{short}", "ETERNITY", has)
        sim.set_input(f"tag_{short}_since", "ETERNITY", since)
        sim.set_input(f"tag_{short}_until", "ETERNITY", until)
    events = pq.read_table(folder / "events.parquet")
    for kind, short in EVENTS.items():
        ev = events.filter(pc.equal(events["kind"], kind))
        at = _index(ev["uscc"], firms)
        has = np.zeros(n, bool)
        has[at] = True
        when = np.full(n, np.datetime64("1970-01-01"), "datetime64[D]")
        when[at] = _dates(ev["date"], "1970-01-01")
        sim.set_input(f"event_{short}", "ETERNITY", has)
        sim.set_input(f"event_{short}_date", "ETERNITY", when)
        if short == "moved_in":
            mention = np.zeros(n, bool)
            mention[at] = np.asarray(
                pc.fill_null(pc.match_substring(ev["detail"], "郑州"), False).to_numpy(zero_copy_only=False),
                bool,
            )
            sim.set_input("moved_in_detail_mentions_zhengzhou", "ETERNITY", mention)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sim.trace = traced
    out: dict[str, Any] = {"uscc": firms}
    for _, _, short in CLAUSES:
        out[f"{short}__status"] = sim.calculate(f"{short}_final_status", str(PERIOD)).astype(np.int8)
        out[f"{short}__award"] = sim.calculate(f"{short}_award", str(PERIOD))
    eval_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    pq.write_table(pa.table(out), folder / "openfisca_results.parquet")
    trace_columns = 0
    if traced:
        flat = sim.tracer.get_flat_trace()
        columns = {"uscc": firms}
        graph = {}
        for key, node in flat.items():
            value = node["value"]
            if isinstance(value, np.ndarray) and value.shape == (n,):
                columns[key] = pa.array(value)
            graph[key] = {
                "dependencies": node["dependencies"],
                "parameters": {k: np.asarray(v).tolist() for k, v in node["parameters"].items()},
            }
        table = pa.table(columns).replace_schema_metadata({"openfisca_trace": json.dumps(graph, default=str)})
        pq.write_table(table, folder / "openfisca_trace.parquet")
        trace_columns = len(columns) - 1
    write_s = time.perf_counter() - t2
    awards = [out[f"{short}__award"] for _, _, short in CLAUSES]
    total = np.float32(0)
    for a in awards:
        total = np.float32(total + a.sum())  # OpenFisca's float32: each award summed, then added
    return {
        "load_s": load_s,
        "eval_s": eval_s,
        "write_s": write_s,
        "variables": len(tbs.variables),
        "trace_columns": trace_columns,
        "trace_mb": os.path.getsize(folder / "openfisca_trace.parquet") / 1e6 if traced else 0.0,
        "total_yuan_f32": float(total),
        "peak_mb": _peak_mb(),
    }


# -------------------------------------------------------------------------------------------- parent
THRESHOLDS_FEN = (2_000_000_00, 5_000_000_00, 10_000_000_00, 20_000_000_00, 50_000_000_00, 100_000_000_00)
"""Every money threshold of the rules (fen): 200万 and the tier/breakthrough bounds, 500万 (R&D)."""


def _float_boundary_firms(folder: Path, firms: pa.Array) -> np.ndarray:
    """Firms with a revenue or R&D value that float32 元 compares to some threshold differently from
    the exact fen (e.g. 9,999,999.99 元 is 10,000,000.0 in float32)."""
    years = pq.read_table(folder / "enterprise_years.parquet")
    at = _index(years["uscc"], firms)
    flagged = np.zeros(len(firms), bool)
    for col in ("revenue_fen", "rd_expense_fen"):
        v = np.asarray(pc.fill_null(years[col], 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        f32 = (v / 100).astype(np.float32)
        for t in THRESHOLDS_FEN:
            flip = (f32 >= np.float32(t / 100)) != (v >= t)
            flagged[at[flip]] = True
    return flagged


def compare(folder: Path) -> dict[str, Any]:
    """Per clause: statuses and amounts of both sides; totals in fen; float32 effects explained."""
    zb = pq.read_table(folder / "zb.parquet")
    of = pq.read_table(folder / "openfisca_results.parquet")
    firms = of["uscc"].combine_chunks()
    boundary = _float_boundary_firms(folder, firms)
    rows = []
    for policy, clause, short in CLAUSES:
        mine = zb.filter(pc.and_(pc.equal(zb["policy_id"], policy), pc.equal(zb["clause_id"], clause)))
        mine = mine.take(pc.sort_indices(mine["uscc"]))
        assert mine["uscc"].combine_chunks().equals(firms), "the same firms, in uscc order"
        z_status = np.asarray(mine["status"].to_numpy(zero_copy_only=False)).astype(str)
        o_status = np.array([STATUS[i] for i in range(4)])[np.asarray(of[f"{short}__status"])]
        z_fen = np.asarray(pc.fill_null(mine["amount_fen"], 0).to_numpy(), dtype=np.int64)
        award = np.asarray(of[f"{short}__award"].to_numpy(), dtype=np.float32)
        o_fen = np.round(award.astype(np.float64) * 100).astype(np.int64)
        differ = z_status != o_status
        both = (z_status == "eligible") & (o_status == "eligible")
        off = both & (z_fen != o_fen)
        rows.append(
            {
                "clause": f"{policy}/{clause}",
                "eligible": int((z_status == "eligible").sum()),
                "undetermined": int((z_status == "undetermined").sum()),
                "superseded": int((z_status == "superseded").sum()),
                "status_mismatch": int(differ.sum()),
                "unexplained_mismatch": int((differ & ~boundary).sum()),
                "amount_off_rows": int(off.sum()),
                "amount_off_max_fen": int(np.abs(z_fen - o_fen)[off].max()) if off.any() else 0,
                "zb_fen": int(z_fen.sum()),
                "of_fen_exact_sum": int(o_fen.sum()),
                "of_f32_sum_fen": round(float(np.float32(award.sum())) * 100),
            }
        )
    return {"clauses": rows, "boundary_firms": int(boundary.sum())}


def _child(step: str, folder: Path, n: int, seed: int, memory: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", step, "--folder", str(folder), "--n", str(n), "--seed", str(seed),
           "--duckdb-memory", memory]  # fmt: skip
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"worker {step} failed (exit {out.returncode})")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def report(
    n: int,
    gen: dict[str, Any],
    zb: dict[str, Any],
    of: dict[str, Any],
    cmp: dict[str, Any],
    floor: dict[str, Any],
    oft: dict[str, Any],
    zbp: dict[str, Any],
) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(width=220)
    zb_total_s = zb["load_s"] + zb["eval_s"] + zb["write_s"]
    of_total_s = of["load_s"] + of["eval_s"] + of["write_s"]
    oft_total_s = oft["load_s"] + oft["eval_s"] + oft["write_s"]
    console.print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average before/after: {gen['loadavg']} / {_load_average()}"
    )
    console.print(
        f"input: {n:,} enterprises, {gen['year_rows']:,} enterprise-years, {gen['tag_rows']:,} tags, "
        f"{gen['event_rows']:,} events; {zb['clauses']} clauses (6 encoded + 4 benchmark-only), "
        f"{zb['rows']:,} results; OpenFisca: {of['variables']} variables"
    )
    t = Table(box=box.MARKDOWN, title=None)
    t.add_column("step")
    t.add_column("ZoneBrain (DuckDB)", justify="right")
    t.add_column("OpenFisca 46", justify="right")
    t.add_column("OpenFisca 46, tracer on", justify="right")
    for label, key in (
        ("load (Parquet → warehouse / simulation)", "load_s"),
        ("evaluate (every clause, groups)", "eval_s"),
    ):
        t.add_row(label, f"{zb[key]:.2f} s", f"{of[key]:.2f} s", f"{oft[key]:.2f} s")
    t.add_row(
        "write results (ZoneBrain: with traces, committed + checkpoint)",
        f"{zb['write_s']:.2f} s",
        f"{of['write_s']:.2f} s (amounts to Parquet, no traces)",
        f"{oft['write_s']:.2f} s (amounts and the tracer's values to Parquet)",
    )
    t.add_row("end to end", f"{zb_total_s:.2f} s", f"{of_total_s:.2f} s", f"{oft_total_s:.2f} s")
    t.add_row("peak RSS", f"{zb['peak_mb']:,.0f} MB", f"{of['peak_mb']:,.0f} MB", f"{oft['peak_mb']:,.0f} MB")
    t.add_row(
        "written",
        f"{zb['written']:,} results ({zb['kept']:,} rows), traces {zb['trace_gb']:.2f} GB, file {zb['db_gb']:.2f} GB",
        "amounts",
        f"amounts; trace: {oft['trace_columns']} values per firm, {oft['trace_mb']:.0f} MB",
    )
    console.print(t)
    console.print(
        f"traces stored: {zb['stored_per_row']:.0f} bytes per row + {zb['shape_kb']:.0f} KB of shapes "
        f"(full text when read back: {zb['full_per_row']:.0f} bytes per row); read back: one enterprise's "
        f"traces (load_results) {zb['firm_s'] * 1000:.0f} ms, {zb['expand_rows']:,} rows expanded to full "
        f"text in {zb['expand_s']:.2f} s"
    )
    ratio = of_total_s / zb_total_s
    console.print(
        f"ratio OpenFisca / ZoneBrain end to end: {ratio:.2f}x "
        f"({'ZoneBrain faster' if ratio >= 1 else 'OpenFisca faster'}); goal >= 2x: "
        f"{'MET' if ratio >= 2 else 'NOT MET'}; evaluate only: {of['eval_s'] / zb['eval_s']:.2f}x; "
        f"without the traces' write: {of_total_s / (zb['load_s'] + zb['eval_s']):.2f}x; against OpenFisca with its "
        f"tracer on and written: {oft_total_s / zb_total_s:.2f}x"
    )
    rows_floor = floor["load_s"] + floor["facts_s"] + floor["rows_s"]
    norm_floor = floor["load_s"] + floor["facts_s"] + floor["normalised_s"]
    budget = of_total_s / 2
    budget_traced = oft_total_s / 2
    console.print(
        f"floor (raw DuckDB SQL, no rule evaluated, no trace, {floor['results']:,} results; peak RSS "
        f"{floor['peak_mb']:,.0f} MB): load {floor['load_s']:.2f} s + facts {floor['facts_s']:.2f} s + write "
        f"{floor['rows_s']:.2f} s (one row per firm x clause) = {rows_floor:.2f} s, or + write "
        f"{floor['normalised_s']:.2f} s (normalised integer rows) = {norm_floor:.2f} s; the 2x goal allows "
        f"{budget:.2f} s ({budget_traced:.2f} s against the traced OpenFisca); ZoneBrain takes "
        f"{zb_total_s / rows_floor:.1f}x the per-row floor; in place (the Parquet files scanned where they "
        f"lie, no load; facts + normalised write): {floor['in_place_s']:.2f} s"
    )
    zbp_total_s = zbp["load_s"] + zbp["eval_s"] + zbp["write_s"]
    console.print(
        f"ZoneBrain in place (a prototype of ADR 0008 step 1: the same run on views over the Parquet files; "
        f"peak RSS {zbp['peak_mb']:,.0f} MB): views {zbp['load_s']:.2f} s + evaluate {zbp['eval_s']:.2f} s + write "
        f"{zbp['write_s']:.2f} s = {zbp_total_s:.2f} s; ratio {of_total_s / zbp_total_s:.2f}x "
        f"({oft_total_s / zbp_total_s:.2f}x traced); same total as the copied run: "
        f"{'yes' if zbp['total_fen'] == zb['total_fen'] else 'NO'} ({zbp['total_fen']:,} fen)"
    )
    c = Table(box=box.MARKDOWN)
    for col in ("clause", "eligible", "undet.", "superseded", "status ≠", "≠ not float32", "amount ≠ (max fen)",
                "ZoneBrain fen", "OpenFisca fen (float32 sum)", "difference fen"):  # fmt: skip
        c.add_column(col, justify="left" if col == "clause" else "right")
    zb_fen = of_fen = 0
    for r in cmp["clauses"]:
        zb_fen += r["zb_fen"]
        of_fen += r["of_f32_sum_fen"]
        c.add_row(
            r["clause"], f"{r['eligible']:,}", f"{r['undetermined']:,}", f"{r['superseded']:,}",
            f"{r['status_mismatch']:,}", f"{r['unexplained_mismatch']:,}",
            f"{r['amount_off_rows']:,} ({r['amount_off_max_fen']:,})", f"{r['zb_fen']:,}",
            f"{r['of_f32_sum_fen']:,}", f"{r['of_f32_sum_fen'] - r['zb_fen']:+,}",
        )  # fmt: skip
    console.print(c)
    of_total_fen = round(float(of["total_yuan_f32"]) * 100)
    exact_of = sum(r["of_fen_exact_sum"] for r in cmp["clauses"])
    mismatches = sum(r["status_mismatch"] for r in cmp["clauses"])
    unexplained = sum(r["unexplained_mismatch"] for r in cmp["clauses"])
    console.print(
        f"total ZoneBrain (exact int64 fen):      {zb['total_fen']:>22,} fen\n"
        f"total OpenFisca (float32 sums, in fen): {of_total_fen:>22,} fen  "
        f"difference {of_total_fen - zb['total_fen']:+,} fen ({(of_total_fen - zb['total_fen']) / 100:+,.2f} 元)\n"
        f"  of which per-firm float32 amounts:    {exact_of - zb['total_fen']:+,} fen "
        f"(each OpenFisca award converted exactly, then summed), float32 summation: {of_total_fen - exact_of:+,} fen\n"
        f"status mismatches: {mismatches:,} (firm x clause), of which not on a float32 boundary firm: "
        f"{unexplained:,}; {cmp['boundary_firms']:,} firms have revenue or R&D input that float32 元 puts "
        "on the other side of a threshold"
    )
    assert zb["total_fen"] == zb_fen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="enterprises (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--folder", type=Path, help="where the temporary work folder goes (default: the system's)"
    )
    parser.add_argument(
        "--duckdb-memory",
        default="4GB",
        help="DuckDB memory_limit for the ZoneBrain side ('' = DuckDB's 80%% of RAM)",
    )
    parser.add_argument(
        "--worker",
        choices=("generate", "zonebrain", "zonebrain-in-place", "openfisca", "openfisca-traced", "floor"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    if args.worker:
        work = {"generate": lambda: generate(args.folder, args.n, args.seed), "zonebrain": lambda: run_zonebrain(args.folder, args.duckdb_memory),
                "zonebrain-in-place": lambda: run_zonebrain_in_place(args.folder, args.duckdb_memory),
                "openfisca": lambda: run_openfisca(args.folder),
                "openfisca-traced": lambda: run_openfisca(args.folder, traced=True), "floor": lambda: run_floor(args.folder, args.duckdb_memory)}  # fmt: skip
        sys.stdout.write(json.dumps(work[args.worker]()) + "\n")
        return
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)  # a folder named but not there yet: made
    with tempfile.TemporaryDirectory(prefix="policy-bench-", dir=args.folder) as tmp:
        folder = Path(tmp)
        loadavg = _load_average()
        gen = {**_child("generate", folder, args.n, args.seed, args.duckdb_memory), "loadavg": loadavg}
        zb = _child("zonebrain", folder, args.n, args.seed, args.duckdb_memory)
        zbp = _child("zonebrain-in-place", folder, args.n, args.seed, args.duckdb_memory)
        of = _child("openfisca", folder, args.n, args.seed, args.duckdb_memory)
        oft = _child("openfisca-traced", folder, args.n, args.seed, args.duckdb_memory)
        floor = _child("floor", folder, args.n, args.seed, args.duckdb_memory)
        cmp = compare(folder)
    report(args.n, gen, zb, of, cmp, floor, oft, zbp)


if __name__ == "__main__":
    main()
