"""The national reference registry, its signals and the city x industry panel."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from zonebrain.core.divisions import divisions
from zonebrain.core.industry import gbt4754
from zonebrain.core.money import parse_many
from zonebrain.core.uscc import validate_many
from zonebrain.demo import DemoFiles, ReferenceFiles, generate_reference
from zonebrain.demo._reference import short_city_name
from zonebrain.registry.formats import REFERENCE, SIGNAL_KINDS, SIGNALS, TAGS

REFERENCE_N = 20_000
CLASSES = {i.code for i in gbt4754().level("class")}


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def registry(reference: ReferenceFiles) -> tuple[list[str], list[list[str]]]:
    return read_rows(reference.enterprises)


def test_headers_and_encoding(reference: ReferenceFiles, registry: tuple) -> None:
    assert registry[0] == [c.header for c in REFERENCE.columns]
    assert read_rows(reference.signals)[0] == [c.header for c in SIGNALS.columns]
    assert read_rows(reference.region_activity)[0] == [
        "region_code",
        "activity_code",
        "year",
        "value",
        "measure",
    ]
    for path in (reference.enterprises, reference.signals, reference.region_activity):
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_usccs_valid_unique_and_registered_where_the_firm_is(registry: tuple) -> None:
    _, rows = registry
    assert len(rows) == REFERENCE_N
    codes = [r[0] for r in rows]
    assert not validate_many(codes).any()
    assert len(set(codes)) == len(codes)
    assert all(r[0][2:8] == r[2] for r in rows)


def test_distinct_from_the_zone(registry: tuple, zone: DemoFiles) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(zone.enterprises, read_only=True)
    ws = wb.active
    assert ws is not None
    zone_codes = {str(r[0]) for r in ws.iter_rows(min_row=2, values_only=True)}
    wb.close()
    assert not zone_codes & {r[0] for r in registry[1]}


def test_spread_over_the_prefectures(registry: tuple) -> None:
    carried = {d.code for d in divisions().prefectures()}
    used = Counter(r[2] for r in registry[1])
    assert set(used) <= carried
    assert len(used) >= 0.9 * len(carried)
    # provincial capitals are heavier than the typical city
    capitals = [used[c] for c in carried if c[2:4] == "01" and c[:2] not in ("71", "81", "82")]
    if capitals and len(carried) > 20:
        assert np.median(capitals) > np.median(list(used.values()))


def test_columns_are_well_formed(registry: tuple) -> None:
    header, rows = registry
    assert {r[3] for r in rows} <= CLASSES
    names = [r[1] for r in rows]
    assert len(set(names)) == len(names)
    short = {d.code: short_city_name(d.name) for d in divisions().prefectures()}
    assert all(r[1].startswith(short[r[2]]) and r[1].endswith("公司") for r in rows)
    for column in ("注册资本(万元)", "营业收入(万元)"):
        values = pa.array([r[header.index(column)] or None for r in rows], pa.string())
        _fen, bad = parse_many(values, "万元")
        assert not bad.any()
    assert all(int(r[7]) >= 1 for r in rows)
    for r in rows[:2000]:
        assert dt.date(1990, 1, 1) <= dt.date.fromisoformat(r[5]) <= dt.date(2024, 12, 31)
    tags = Counter(t for r in rows for t in r[8].split(";") if t)
    assert set(tags) <= set(TAGS)
    assert sum(1 for r in rows if r[8]) < 0.5 * len(rows)
    assert tags["高新技术企业"] > 0 and tags["规上工业"] > 0


def test_industry_mix_varies_by_city(registry: tuple) -> None:
    """Location quotients of the 2-digit divisions spread out: cities specialise."""
    rows = registry[1]
    by_city: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        by_city[r[2]][r[3][:2]] += 1
    total = Counter(r[3][:2] for r in rows)
    n = len(rows)
    big = [c for c, cnt in by_city.items() if sum(cnt.values()) >= 100]
    lq = [by_city[c]["39"] / sum(by_city[c].values()) / (total["39"] / n) for c in big]
    assert max(lq) > 2.0 and min(lq) < 0.5


def test_signals(reference: ReferenceFiles, registry: tuple) -> None:
    _, rows = read_rows(reference.signals)
    firms = {r[0]: r for r in registry[1]}
    assert 0.05 * REFERENCE_N <= len({r[0] for r in rows}) <= 0.10 * REFERENCE_N
    assert len({(r[0], r[1], r[2]) for r in rows}) == len(rows)
    for r in rows:
        assert r[0] in firms
        assert r[1] in SIGNAL_KINDS
        day = dt.date.fromisoformat(r[2])
        assert dt.date(2022, 1, 1) <= day <= dt.date(2024, 12, 31)
        assert day >= dt.date.fromisoformat(firms[r[0]][5])
        assert r[3]


def test_region_activity_sums_equal_the_registry(reference: ReferenceFiles, registry: tuple) -> None:
    _header, rows = registry
    firms: Counter[tuple[str, str]] = Counter()
    revenue: Counter[tuple[str, str]] = Counter()
    employees: Counter[tuple[str, str]] = Counter()
    rev_fen, _ = parse_many(pa.array([r[6] or None for r in rows], pa.string()), "万元")
    for r, fen in zip(rows, rev_fen.to_pylist(), strict=True):
        key = (r[2], r[3])
        firms[key] += 1
        revenue[key] += fen or 0
        employees[key] += int(r[7])
    _, panel = read_rows(reference.region_activity)
    got: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for region, activity, year, value, measure in panel:
        assert year == "2024"
        got[measure][(region, activity)] = int(value)
    assert got["firms"] == dict(firms)
    assert got["revenue_fen"] == dict(revenue)
    assert got["employees"] == dict(employees)


def test_reference_is_deterministic(tmp_path: Path) -> None:
    a = generate_reference(tmp_path / "a", seed=3, n_firms=3_000)
    b = generate_reference(tmp_path / "b", seed=3, n_firms=3_000)
    c = generate_reference(tmp_path / "c", seed=4, n_firms=3_000)
    for path in (a.enterprises, a.signals, a.region_activity):
        assert path.read_bytes() == (b.out_dir / path.name).read_bytes()
        assert path.read_bytes() != (c.out_dir / path.name).read_bytes()


_TIMING = """
import resource, sys, time
from pathlib import Path
from zonebrain.demo import generate_reference
t = time.perf_counter()
generate_reference(Path(sys.argv[1]), 42, 1_000_000)
seconds = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
sys.stdout.write(f"{seconds} {peak_mb}")
"""


@pytest.mark.slow
def test_a_million_firms_in_bounded_memory(tmp_path: Path) -> None:
    """Generation streams: a million firms stay under 2 GB (the time is printed by the benchmarks'
    docs, never asserted: the machines are noisy)."""
    out = subprocess.run(
        [sys.executable, "-c", _TIMING, str(tmp_path)], check=True, capture_output=True, text=True
    ).stdout
    _seconds, peak_mb = map(float, out.split())
    assert peak_mb < 2048
    with (tmp_path / "reference_enterprises.csv").open(encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 1_000_001
