"""The demo zone: enterprises of 郑州高新区 with five years of finance, monthly data, tags and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from zonebrain.core.uscc import build_many
from zonebrain.registry.formats import ENTERPRISES, FINANCE, MONTHLY, TAGS_FORMAT

from ._bad import write_bad_rows
from ._common import (
    class_table,
    distinct_integers,
    legacy_bodies,
    ma_bodies,
    nice_capital_fen,
    stream,
    syllable_pairs,
    unique_names,
)
from ._events import write_events
from ._io import (
    FEN_PER_WAN,
    Progress,
    days_of,
    iso_day,
    month_of,
    report,
    wan_str,
    wan_text,
    write_csv,
    write_rows_csv,
    write_xlsx,
    year_of,
)
from ._vocab import (
    BUILDINGS,
    GROUPS,
    PARK_SPELLINGS,
    PARKS,
    ROADS,
    SCOPE_END,
    STATUS_NAMES,
    STATUS_WEIGHTS,
    SYLLABLES,
    TAIL_SHARE,
    ZONE_DIVISION,
    check_vocabulary,
)

YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
MONTH_YEARS: tuple[int, ...] = (2023, 2024)
YEAR_EFFECT = np.array([-0.06, 0.05, -0.03, 0.02, 0.0])
"""Common log shock per year (2020 epidemic dip, 2021 rebound, 2022 soft year)."""
SEASON = np.array([0.062, 0.052, 0.082, 0.080, 0.082, 0.086, 0.080, 0.079, 0.086, 0.083, 0.090, 0.118])
"""Monthly shares of a year's revenue: Spring Festival low in January-February, year-end high."""
RESERVED = 40
"""Extra firms drawn beyond ``n_enterprises`` for bad_rows.csv and bad_rows_gbk.csv."""
SIZE_SIGMA = 1.4
SIZE_SCALE = 1.5
"""Multiplies every group's ``size_mu`` (mature-firm median) to put the zone median at a few hundred 万元."""
SME_SHARE = 0.25
TAIL_SHARE_OF_FIRMS = 0.01
TAIL_MIN = 15_000.0
"""万元: the smallest mature revenue in the Pareto tail."""
TAIL_ALPHA = 1.3
TAIL_CAP = float(np.log(60.0))
"""The tail is truncated at 60 x TAIL_MIN (90亿元) before growth and shocks."""
WAN = FEN_PER_WAN
BRANCH_SHARE = 0.6
"""Of the firms without the tag 独立核算, the share registered as branches (非独立核算); the rest
simply have no record either way."""
ADJUSTED_DIVISIONS = ("17", "19", "22", "25", "26", "28", "30", "31", "32")
"""GB/T 4754 divisions (textiles, leather, paper, coking, chemicals, fibres, non-metallic minerals,
ferrous and non-ferrous smelting) where the 产业结构调整指导目录 lists most of its restricted and
eliminated lines."""
RESTRICTED_SHARE = 0.04
ELIMINATED_SHARE = 0.008
"""Of the firms in those divisions, the shares tagged 产业结构调整限制类 and 产业结构调整淘汰类."""
CATALOGUE_SINCE = "2024-02-01"
"""The day the 2024 edition of the catalogue took effect."""

# Thresholds in 万元 for the scale tags (规上工业 / 规上服务业 / 限上商贸), by class prefix or section.
SERVICE_THRESHOLD = {
    "G": 0,
    "I": 2000,
    "N": 2000,
    "L": 1000,
    "M": 1000,
    "P": 1000,
    "K": 1000,
    "O": 500,
    "Q": 500,
    "R": 500,
}
TRADE_THRESHOLD = {"51": 2000, "52": 500, "61": 200, "62": 200}


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the files :func:`generate_zone` wrote, with their data-row counts."""

    out_dir: Path
    enterprises: Path
    enterprises_sample: Path
    finance: Path
    monthly: Path
    tags: Path
    events: Path
    bad_rows: Path
    bad_rows_expected: Path
    bad_rows_gbk: Path
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class _Firms:
    n: int
    group: npt.NDArray[np.int64]
    cls: npt.NDArray[np.int64]
    park: npt.NDArray[np.int64]
    park_text: list[str]
    founded: npt.NDArray[np.int64]
    status: npt.NDArray[np.int64]
    exit_day: npt.NDArray[np.int64]
    uscc: npt.NDArray[np.str_]
    name: list[str]
    capital_fen: npt.NDArray[np.int64]
    scope: list[str]
    address: list[str]

    def enterprise_row(self, i: int) -> list[Any]:
        ct = class_table()
        cap = int(self.capital_fen[i])
        capital: int | float = cap // WAN if cap % WAN == 0 else cap / WAN
        return [
            str(self.uscc[i]),
            self.name[i],
            self.park_text[i],
            ct.codes[int(self.cls[i])],
            capital,
            str(np.datetime64(int(self.founded[i]), "D")),
            STATUS_NAMES[int(self.status[i])],
            self.scope[i],
            self.address[i],
        ]

    def enterprise_text_row(self, i: int) -> list[str]:
        row = self.enterprise_row(i)
        row[4] = wan_str(int(self.capital_fen[i]))
        return [str(v) for v in row]


ALIVE = (STATUS_NAMES.index("存续"), STATUS_NAMES.index("在业"))


def generate_zone(
    out_dir: Path, seed: int = 42, n_enterprises: int = 20_000, progress: Progress | None = None
) -> DemoFiles:
    """Write the demo zone's import files into *out_dir*; the same seed gives byte-identical files.

    Files: ``enterprises.xlsx``, ``enterprises_sample.csv``, ``finance.csv``, ``monthly.csv``,
    ``tags.csv``, ``events.csv``, ``bad_rows.csv`` with ``bad_rows_expected.csv``, and
    ``bad_rows_gbk.csv``. *progress* is called as ``progress(step, done, total)``.
    """
    if n_enterprises < 1:
        raise ValueError("n_enterprises must be at least 1")
    check_vocabulary()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = 7
    report(progress, "zone: firms", 0, steps)
    firms = _draw_firms(seed, n_enterprises + RESERVED)
    n = n_enterprises
    report(progress, "zone: firms", 1, steps)
    panel = _finance(seed, firms, n)
    report(progress, "zone: firms", 2, steps)

    files = DemoFiles(
        out_dir=out_dir,
        enterprises=out_dir / "enterprises.xlsx",
        enterprises_sample=out_dir / "enterprises_sample.csv",
        finance=out_dir / "finance.csv",
        monthly=out_dir / "monthly.csv",
        tags=out_dir / "tags.csv",
        events=out_dir / "events.csv",
        bad_rows=out_dir / "bad_rows.csv",
        bad_rows_expected=out_dir / "bad_rows_expected.csv",
        bad_rows_gbk=out_dir / "bad_rows_gbk.csv",
    )
    rows = files.rows

    def on_rows(done: int) -> None:
        report(progress, "zone: enterprises.xlsx", done, n)

    write_xlsx(
        files.enterprises,
        "企业名录",
        [c.header for c in ENTERPRISES.columns],
        [firms.enterprise_row(i) for i in range(n)],
        text_columns=(0, 3, 5),
        widths={0: 22, 1: 34, 2: 12, 3: 10, 4: 14, 5: 12, 6: 8, 7: 60, 8: 40},
        on_rows=on_rows,
    )
    report(progress, "zone: enterprises.xlsx", n, n)
    rows["enterprises"] = n
    write_rows_csv(
        files.enterprises_sample,
        [c.header for c in ENTERPRISES.columns],
        [firms.enterprise_text_row(i) for i in range(min(200, n))],
        encoding="utf-8-sig",
    )
    rows["enterprises_sample"] = min(200, n)
    report(progress, "zone: files", 3, steps)

    rows["finance"] = _write_finance(files.finance, firms, panel, n)
    report(progress, "zone: files", 4, steps)
    tags = _tags(seed, firms, panel, n)
    rows["monthly"] = _write_monthly(files.monthly, seed, firms, panel, tags, n)
    report(progress, "zone: files", 5, steps)
    rows["tags"] = _write_tags(files.tags, firms, tags)
    rows["events"] = write_events(files.events, seed, firms, tags, panel, n)
    report(progress, "zone: files", 6, steps)
    valid_rows = [firms.enterprise_text_row(i) for i in range(n, n + RESERVED)]
    rows.update(write_bad_rows(files.bad_rows, files.bad_rows_expected, files.bad_rows_gbk, valid_rows))
    report(progress, "zone: files", steps, steps)
    return files


# ---------------------------------------------------------------- enterprises


def _draw_firms(seed: int, n: int) -> _Firms:
    rng = stream(seed, "zone.firms")
    ct = class_table()
    shares = np.array([g.share for g in GROUPS])
    group = rng.choice(len(GROUPS), size=n, p=shares / shares.sum())
    cls = np.zeros(n, dtype=np.int64)
    tail_pool = np.array([i for i, s in enumerate(ct.sections) if "C" <= s <= "R"], dtype=np.int64)
    for gi, g in enumerate(GROUPS):
        members = np.flatnonzero(group == gi)
        idx = np.array([ct.index[c] for c, _ in g.codes], dtype=np.int64)
        w = np.array([w for _, w in g.codes], dtype=np.float64)
        cls[members] = idx[rng.choice(idx.size, size=members.size, p=w / w.sum())]
        if g.key == "other":
            tail = members[rng.random(members.size) < TAIL_SHARE]
            cls[tail] = tail_pool[rng.integers(0, tail_pool.size, size=tail.size)]

    pw = np.array([p.weight for p in PARKS])
    park = rng.choice(len(PARKS), size=n, p=pw / pw.sum())
    sw = np.array([w for _, w in PARK_SPELLINGS])
    spelling = rng.choice(len(PARK_SPELLINGS), size=n, p=sw / sw.sum())
    park_text = [
        getattr(PARKS[p], PARK_SPELLINGS[s][0]) for p, s in zip(park.tolist(), spelling.tolist(), strict=True)
    ]

    years = np.arange(1995, 2025)
    yw = np.exp(0.11 * (years - 1995))
    fy = rng.choice(years, size=n, p=yw / yw.sum())
    start = (fy - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    length = (fy - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) - start
    founded = start + np.floor(rng.random(n) * length).astype(np.int64)

    stw = np.array([w for _, w in STATUS_WEIGHTS])
    status = rng.choice(len(STATUS_NAMES), size=n, p=stw / stw.sum())
    lo = np.maximum(founded + 365, days_of(2016))
    hi = days_of(2024, 12, 31)
    exit_day = np.where(lo < hi, lo + np.floor(rng.random(n) * np.maximum(hi - lo, 1)).astype(np.int64), -1)
    exited = ~np.isin(status, ALIVE)
    cannot = exited & (exit_day < 0)
    status[cannot] = STATUS_NAMES.index("存续")
    exit_day[~exited | cannot] = -1

    legacy = (founded < days_of(2015, 10, 1)) & (rng.random(n) < 0.85)
    bodies = np.empty(n, dtype="U8")
    bodies[~legacy] = ma_bodies(distinct_integers(rng, int((~legacy).sum()), 31**6))
    bodies[legacy] = legacy_bodies(distinct_integers(rng, int(legacy.sum()), 10**8 - 3 * 10**7) + 3 * 10**7)
    uscc = build_many(np.full(n, ZONE_DIVISION), bodies)

    a, b = syllable_pairs(rng, n)
    syl = pa.array(list(SYLLABLES))
    words: list[str] = []
    suffixes: list[str] = []
    for gi in group.tolist():
        g = GROUPS[gi]
        words.append(g.words[int(rng.integers(0, len(g.words)))])
        suffix = g.suffixes[int(rng.integers(0, len(g.suffixes)))]
        if rng.random() < 0.03:
            suffix = "股份有限公司"
        suffixes.append(suffix)
    # a word ending in 科技 or 技术 takes a plain suffix (no "医疗科技科技有限公司")
    suffixes = [
        s[2:] if w[-2:] in ("科技", "技术") and s[:2] in ("科技", "技术") else s
        for w, s in zip(words, suffixes, strict=True)
    ]
    parts = [
        pa.array(["郑州"] * n),
        pc_take(syl, a),
        pc_take(syl, b),
        pa.array(words),
        pa.array(suffixes),
    ]
    names = unique_names(rng, parts, 2).to_pylist()

    cap_wan = np.exp(np.log(100.0) + 1.3 * rng.standard_normal(n))
    tech = np.array([GROUPS[g].tech for g in group.tolist()])
    cap_wan = np.where(tech, cap_wan * 2.0, cap_wan)
    capital_fen = nice_capital_fen(rng, np.clip(cap_wan, 1.0, 200_000.0))

    scope = [_scope(rng, GROUPS[g], ct.names[c]) for g, c in zip(group.tolist(), cls.tolist(), strict=True)]
    road = rng.integers(0, len(ROADS), size=n)
    number = 1 + np.floor(rng.pareto(1.2, size=n) * 20).astype(np.int64) % 300
    building = rng.integers(0, len(BUILDINGS), size=n)
    floor_ = rng.integers(1, 25, size=n)
    room = rng.integers(1, 30, size=n)
    address = []
    for i in range(n):
        text = f"郑州高新技术产业开发区{ROADS[road[i]]}{number[i]}号"
        if BUILDINGS[building[i]]:
            text += (
                f"{BUILDINGS[building[i]]}{1 + int(room[i]) % 9}号楼{floor_[i]}层{floor_[i]}{room[i]:02d}室"
            )
        address.append(text)
    return _Firms(
        n, group, cls, park, park_text, founded, status, exit_day, uscc, names, capital_fen, scope, address
    )


def pc_take(values: pa.Array, idx: npt.NDArray[np.int64]) -> pa.Array:
    return values.take(pa.array(idx))


def _scope(rng: np.random.Generator, g: Any, class_name: str) -> str:
    phrases: list[str] = []
    if not g.phrases or rng.random() < 0.5:
        phrases.append(class_name)
    if g.phrases:
        k = int(rng.integers(1, 4))
        for j in rng.choice(len(g.phrases), size=min(k, len(g.phrases)), replace=False).tolist():
            phrases.append(g.phrases[j])
    k = int(rng.integers(2, 5))
    for j in sorted(rng.choice(len(g.generic), size=min(k, len(g.generic)), replace=False).tolist()):
        phrases.append(g.generic[j])
    seen: list[str] = []
    for p in phrases:
        if p not in seen:
            seen.append(p)
    return "；".join(seen) + SCOPE_END


# ---------------------------------------------------------------- yearly finance


@dataclass
class _Panel:
    present: npt.NDArray[np.bool_]  # (n, years)
    revenue: npt.NDArray[np.int64]  # fen
    output: npt.NDArray[np.int64]
    tax: npt.NDArray[np.int64]
    rd: npt.NDArray[np.int64]
    profit: npt.NDArray[np.int64]
    export: npt.NDArray[np.int64]
    employees: npt.NDArray[np.int64]
    insured: npt.NDArray[np.int64]
    patents: npt.NDArray[np.int64]
    inventions: npt.NDArray[np.int64]
    manufacturing: npt.NDArray[np.bool_]
    rd_share: npt.NDArray[np.float64]
    rd_reported: npt.NDArray[np.bool_]  # (n, years): False where the R&D figure was not reported


UNREPORTED_RD = 0.01
"""Share of the firms whose latest R&D figure is left blank when they have R&D (研发费用未报送)."""


def _yuan_fen(wan: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """万元 (float) → fen rounded to whole 元, so the text has at most 4 decimals."""
    return np.round(wan * 10_000).astype(np.int64) * 100


def _finance(seed: int, f: _Firms, n_main: int) -> _Panel:
    rng = stream(seed, "zone.finance")
    ct = class_table()
    n = f.n
    ny = len(YEARS)
    years = np.array(YEARS)
    g = f.group
    size_mu = np.array([GROUPS[k].size_mu for k in g])
    growth_mu = np.array([GROUPS[k].growth for k in g])
    rph = np.array([GROUPS[k].revenue_per_head for k in g])
    rd_lo = np.array([GROUPS[k].rd[0] for k in g])
    rd_hi = np.array([GROUPS[k].rd[1] for k in g])
    tech = np.array([GROUPS[k].tech for k in g])
    manufacturing = np.array([ct.sections[c] == "C" for c in f.cls.tolist()])

    level = np.log(size_mu * SIZE_SCALE) + SIZE_SIGMA * rng.standard_normal(n)
    fy = year_of(f.founded)
    # Pareto tail: about 1% of mature firms (tech firms twice as likely) are large, with
    # revenue = TAIL_MIN x Pareto(TAIL_ALPHA); these carry the top of the size distribution.
    k_tail = max(3, round(TAIL_SHARE_OF_FIRMS * n_main))
    candidates = np.flatnonzero((fy[:n_main] <= 2018) & np.isin(f.status[:n_main], ALIVE))
    if candidates.size:
        pw = np.where(tech[candidates], 2.0, 1.0)
        tail = rng.choice(candidates, size=min(k_tail, candidates.size), replace=False, p=pw / pw.sum())
        level[tail] = np.log(TAIL_MIN) + np.minimum(
            rng.exponential(1.0 / TAIL_ALPHA, size=tail.size), TAIL_CAP
        )
    growth = growth_mu + 0.12 * rng.standard_normal(n)
    shocks = np.zeros((n, ny))
    e = 0.12 * rng.standard_normal(n)
    for t in range(ny):
        e = 0.5 * e + 0.12 * rng.standard_normal(n)
        shocks[:, t] = e
    age = years[None, :] - fy[:, None]
    ramp = 1.0 - 0.85 * np.exp(-np.maximum(age, 0) / 2.5)
    year_start = np.array([days_of(y) for y in YEARS])
    year_len = np.array([days_of(y + 1) - days_of(y) for y in YEARS])
    frac = np.clip((year_start[None, :] + year_len[None, :] - f.founded[:, None]) / year_len[None, :], 0, 1)
    log_rev = level[:, None] + growth[:, None] * (years[None, :] - 2024) + YEAR_EFFECT[None, :] + shocks
    rev_wan = np.exp(log_rev) * ramp * frac
    shell_p = np.where(tech, 0.02, 0.06)
    shell = rng.random(n) < shell_p
    rev_wan[shell] = 0.0

    exit_year = np.where(f.exit_day >= 0, year_of(np.maximum(f.exit_day, 0)), 9999)
    last = np.where(f.exit_day >= 0, exit_year - 1, 2024)
    present = (years[None, :] >= np.maximum(fy, 2020)[:, None]) & (years[None, :] <= last[:, None])

    revenue = _yuan_fen(rev_wan)
    out_ratio = rng.uniform(0.92, 1.12, size=(n, ny))
    output = np.where(manufacturing[:, None], _yuan_fen(rev_wan * out_ratio), 0)
    tax_rate = rng.uniform(0.03, 0.08, size=n)
    tax = _yuan_fen(rev_wan * tax_rate[:, None] * np.exp(0.1 * rng.standard_normal((n, ny))))
    rd_share = rng.uniform(rd_lo, rd_hi)
    no_rd = ~tech & (rng.random(n) < 0.7)
    rd_share[no_rd] = 0.0
    rd = _yuan_fen(rev_wan * rd_share[:, None] * np.exp(0.08 * rng.standard_normal((n, ny))))
    margin = 0.07 + 0.08 * rng.standard_normal(n)
    profit_wan = rev_wan * (margin[:, None] + 0.04 * rng.standard_normal((n, ny)))
    profit_wan[shell] = -rng.uniform(1, 20, size=(int(shell.sum()), ny))
    profit = _yuan_fen(profit_wan)
    exporter = (manufacturing | tech) & (rng.random(n) < 0.18)
    export_share = np.where(exporter, rng.uniform(0.03, 0.4, size=n), 0.0)
    export = _yuan_fen(rev_wan * export_share[:, None])

    fe = 0.5 * rng.standard_normal(n)
    emp = np.round(rev_wan / (rph * np.exp(fe))[:, None] * np.exp(0.05 * rng.standard_normal((n, ny))))
    employees = np.maximum(emp, 1).astype(np.int64)
    employees[shell] = rng.integers(1, 6, size=(int(shell.sum()), 1))
    insured_rate = rng.uniform(0.55, 1.0, size=n)
    insured = np.minimum(np.floor(employees * insured_rate[:, None]).astype(np.int64), employees)

    lam = np.where(tech, (1.0 + 30.0 * rd_share) * (1.0 + np.log1p(employees[:, -1] / 10.0)), 0.1)
    stock = rng.poisson(lam * 1.5)
    adds = rng.poisson(lam[:, None] * 0.4, size=(n, ny))
    patents = stock[:, None] + np.cumsum(adds, axis=1)
    inv_share = rng.uniform(0.1, 0.45, size=n)
    inventions = np.floor(patents * inv_share[:, None]).astype(np.int64)

    # A few firms with R&D have not reported the latest year's figure yet (研发费用未报送): the data
    # a policy needs is missing, so the demo shows the 待核实 queue. A stream of its own, so that
    # every other figure stays as it was.
    rd_reported = np.ones((n, ny), dtype=np.bool_)
    unreported = stream(seed, "zone.finance.unreported").random(n) < UNREPORTED_RD
    rd_reported[:, -1] = ~(unreported & (rd[:, -1] > 0))
    return _Panel(
        present,
        revenue,
        output,
        tax,
        rd,
        profit,
        export,
        employees,
        insured,
        patents,
        inventions,
        manufacturing,
        rd_share,
        rd_reported,
    )


def _write_finance(path: Path, f: _Firms, p: _Panel, n: int) -> int:
    firm, t = np.nonzero(p.present[:n])
    mfg = p.manufacturing[firm]
    cols = [
        pa.array(f.uscc[firm]),
        pa.array(np.array(YEARS)[t]),
        wan_text(p.revenue[firm, t]),
        wan_text(p.output[firm, t], mfg),
        wan_text(p.tax[firm, t]),
        wan_text(p.rd[firm, t], p.rd_reported[firm, t]),
        wan_text(p.profit[firm, t]),
        wan_text(p.export[firm, t]),
        pa.array(p.employees[firm, t]),
        pa.array(p.insured[firm, t]),
        pa.array(p.patents[firm, t]),
        pa.array(p.inventions[firm, t]),
    ]
    return write_csv(path, [c.header for c in FINANCE.columns], cols, bom=True)


# ---------------------------------------------------------------- tags


@dataclass
class _Tags:
    rows: list[tuple[int, str, str, str]]  # firm, tag, since, until
    hitech_first: dict[int, int]  # firm → first certification day
    hitech_renewals: dict[int, list[int]]
    scale: npt.NDArray[np.bool_]  # above-scale (规上 / 限上) in 2024


def _day_in(rng: np.random.Generator, year: int, m0: int, m1: int) -> int:
    lo = days_of(year, m0)
    hi = days_of(year + 1) if m1 == 12 else days_of(year, m1 + 1)
    return lo + int(rng.integers(0, hi - lo))


def _plus_years(day: int, years: int) -> int:
    d = np.datetime64(day, "D").astype(object)
    try:
        e = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        e = d.replace(year=d.year + years, day=28)
    return int(np.datetime64(e, "D").astype(np.int64)) - 1


def _tags(seed: int, f: _Firms, p: _Panel, n: int) -> _Tags:
    rng = stream(seed, "zone.tags")
    ct = class_table()
    rows: list[tuple[int, str, str, str]] = []
    first: dict[int, int] = {}
    renewals: dict[int, list[int]] = {}
    alive = np.isin(f.status[:n], ALIVE)
    r24 = np.where(p.present[:n, -1], p.revenue[:n, -1], 0) / WAN
    fy = year_of(f.founded[:n])
    tech = np.array([GROUPS[g].tech for g in f.group[:n]])
    scale = np.zeros(n, dtype=bool)

    size_factor = np.where(r24 >= 1000, 1.6, np.where(r24 >= 100, 1.0, 0.5))
    p_hitech = np.where(tech, 0.17, 0.015) * size_factor
    hitech = alive & (fy <= 2023) & (rng.random(n) < p_hitech)
    for i in np.flatnonzero(hitech).tolist():
        latest_year = int(rng.choice([2022, 2023, 2024]))
        if latest_year <= fy[i]:
            latest_year = 2024
        k_max = max(0, (latest_year - max(2008, int(fy[i]) + 1)) // 3)
        k = int(rng.integers(0, min(k_max, 4) + 1))
        cycle = [latest_year - 3 * j for j in range(k, -1, -1)]
        days = [_day_in(rng, y, 10, 12) for y in cycle]
        first[i] = days[0]
        renewals[i] = days[1:]
        rows.append((i, "高新技术企业", iso_day(days[-1]), iso_day(_plus_years(days[-1], 3))))

    emp24 = p.employees[:n, -1]
    smes = alive & tech & (emp24 <= 500) & (r24 <= 20_000) & (rng.random(n) < SME_SHARE)
    for i in np.flatnonzero(smes).tolist():
        rows.append((i, "科技型中小企业", iso_day(_day_in(rng, 2024, 4, 9)), "2024-12-31"))

    srdi = alive & ((hitech & (r24 >= 1000) & (rng.random(n) < 0.35)) | (tech & (rng.random(n) < 0.004)))
    giants = srdi & (r24 >= 5000) & (rng.random(n) < 0.3)
    for i in np.flatnonzero(srdi).tolist():
        since = _day_in(rng, int(rng.choice([2022, 2023, 2024])), 6, 8)
        rows.append((i, "专精特新中小企业", iso_day(since), iso_day(_plus_years(since, 3))))
    for i in np.flatnonzero(giants).tolist():
        since = _day_in(rng, int(rng.choice([2022, 2023, 2024])), 7, 9)
        rows.append((i, "专精特新小巨人", iso_day(since), iso_day(_plus_years(since, 3))))

    for i in np.flatnonzero(alive & p.present[:n, -1]).tolist():
        code = ct.codes[int(f.cls[i])]
        section = ct.sections[int(f.cls[i])]
        rev_years = np.where(p.present[i], p.revenue[i], 0) / WAN
        tag, threshold = "", 0.0
        if section == "C":
            tag, threshold = "规上工业", 2000.0
        elif code[:2] in TRADE_THRESHOLD:
            tag, threshold = "限上商贸", float(TRADE_THRESHOLD[code[:2]])
        elif SERVICE_THRESHOLD.get(section, 0) > 0:
            tag, threshold = "规上服务业", float(SERVICE_THRESHOLD[section])
        if tag and rev_years[-1] >= threshold:
            above = np.flatnonzero(rev_years >= threshold)
            rows.append((i, tag, f"{YEARS[int(above[0])]}-01-01", ""))
            scale[i] = True

    order = np.argsort(-r24, kind="stable")
    top = [i for i in order[: max(20, n // 1000)].tolist() if alive[i]]
    k_listed = max(2, n // 4000)
    listed: list[int] = rng.choice(top, size=min(k_listed, len(top)), replace=False).tolist() if top else []
    for i in sorted(listed):
        rows.append((i, "上市企业", iso_day(_day_in(rng, int(rng.integers(2010, 2024)), 1, 12)), ""))
    for gi, g in enumerate(GROUPS):
        if not g.tech:
            continue
        members = [i for i in order.tolist() if f.group[i] == gi and alive[i]]
        if members:
            rows.append((members[0], "链主企业", iso_day(_day_in(rng, 2023, 3, 5)), ""))

    r21 = np.where(p.present[:n, 1], p.revenue[:n, 1], 0) / WAN
    with np.errstate(divide="ignore", invalid="ignore"):
        cagr = np.where(r21 > 0, (r24 / np.where(r21 > 0, r21, 1)) ** (1 / 3) - 1, 0)
    gazelle = alive & tech & (f.founded[:n] >= days_of(2014)) & (r21 >= 1000) & (cagr >= 0.3)
    for i in np.flatnonzero(gazelle).tolist():
        since = _day_in(rng, 2024, 5, 7)
        rows.append((i, "瞪羚企业", iso_day(since), "2025-12-31"))

    books = alive & (rng.random(n) < 0.93)
    place = alive & (rng.random(n) < 0.90)
    for i in np.flatnonzero(books).tolist():
        rows.append((i, "独立核算", "", ""))
    for i in np.flatnonzero(place).tolist():
        rows.append((i, "固定经营场所", "", ""))
    # drawn last, so every tag above is the same as before these were added
    branch = alive & ~books & (rng.random(n) < BRANCH_SHARE)
    for i in np.flatnonzero(branch).tolist():
        rows.append((i, "非独立核算", "", ""))  # a branch: the 市场监管 register of 分支机构
    division = np.array([ct.codes[int(c)][:2] for c in f.cls[:n]])
    heavy = alive & np.isin(division, ADJUSTED_DIVISIONS)
    u = rng.random(n)
    restricted, eliminated = heavy & (u < RESTRICTED_SHARE), heavy & (u >= 1 - ELIMINATED_SHARE)
    # at least one of each in a zone with two such firms or more, so that a small demo shows these
    # exclusions at work too: the firm with the lowest draw, and the one with the highest
    candidates = np.flatnonzero(heavy)
    if candidates.size >= 2:
        ranked = candidates[np.argsort(u[candidates], kind="stable")]
        restricted[ranked[0]] = eliminated[ranked[-1]] = True
    for i in np.flatnonzero(restricted).tolist():
        rows.append((i, "产业结构调整限制类", CATALOGUE_SINCE, ""))
    for i in np.flatnonzero(eliminated).tolist():
        rows.append((i, "产业结构调整淘汰类", CATALOGUE_SINCE, ""))
    rows.sort(key=lambda r: r[0])
    return _Tags(rows, first, renewals, scale)


def _write_tags(path: Path, f: _Firms, tags: _Tags) -> int:
    rows = [[str(f.uscc[i]), tag, since, until] for i, tag, since, until in tags.rows]
    write_rows_csv(path, [c.header for c in TAGS_FORMAT.columns], rows, encoding="utf-8-sig")
    return len(rows)


# ---------------------------------------------------------------- monthly


def _split_exact(
    total_yuan: npt.NDArray[np.int64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Split integer totals over the columns of *weights* exactly (largest remainder), in whole 元."""
    w = weights / weights.sum(axis=1, keepdims=True)
    raw = total_yuan[:, None] * w
    base = np.floor(raw).astype(np.int64)
    short = total_yuan - base.sum(axis=1)
    rank = np.argsort(np.argsort(-(raw - base), axis=1, kind="stable"), axis=1, kind="stable")
    base += (rank < short[:, None]) & (w > 0)
    if np.any(base.sum(axis=1) != total_yuan):  # pragma: no cover - guards the float step
        raise ArithmeticError("monthly split does not add up to the yearly total")
    return np.asarray(base, dtype=np.int64)


def _write_monthly(path: Path, seed: int, f: _Firms, p: _Panel, tags: _Tags, n: int) -> int:
    rng = stream(seed, "zone.monthly")
    sample = rng.random(n) < 0.05
    chosen = tags.scale | sample
    cols: dict[str, list[Any]] = {k: [] for k in ("uscc", "month", "rev", "out", "tax", "emp", "mfg")}
    for t, year in enumerate(YEARS):
        if year not in MONTH_YEARS:
            continue
        firms = np.flatnonzero(chosen & p.present[:n, t])
        m = firms.size
        first_month = np.where(year_of(f.founded[firms]) == year, month_of(f.founded[firms]), 1)
        active = np.arange(1, 13)[None, :] >= first_month[:, None]
        weights = SEASON[None, :] * np.exp(0.08 * rng.standard_normal((m, 12))) * active
        rev = _split_exact(p.revenue[firms, t] // 100, weights) * 100
        out_w = weights * np.exp(0.03 * rng.standard_normal((m, 12))) * active
        out = _split_exact(p.output[firms, t] // 100, out_w) * 100
        tax_w = weights * np.exp(0.25 * rng.standard_normal((m, 12))) * active
        tax = _split_exact(p.tax[firms, t] // 100, tax_w) * 100
        emp = np.maximum(
            np.round(p.employees[firms, t][:, None] * np.exp(0.03 * rng.standard_normal((m, 12)))), 1
        ).astype(np.int64)
        fi, mi = np.nonzero(active)
        cols["uscc"].append(f.uscc[firms][fi])
        cols["month"].append(np.array([f"{year}-{k:02d}" for k in range(1, 13)])[mi])
        cols["rev"].append(rev[fi, mi])
        cols["out"].append(out[fi, mi])
        cols["tax"].append(tax[fi, mi])
        cols["emp"].append(emp[fi, mi])
        cols["mfg"].append(p.manufacturing[firms][fi])
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((cat["month"], cat["uscc"]))
    arrays = [
        pa.array(cat["uscc"][order]),
        pa.array(cat["month"][order]),
        wan_text(cat["rev"][order]),
        wan_text(cat["out"][order], cat["mfg"][order]),
        wan_text(cat["tax"][order]),
        pa.array(cat["emp"][order]),
    ]
    return write_csv(path, [c.header for c in MONTHLY.columns], arrays, bom=True)
