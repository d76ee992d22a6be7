"""The national reference registry: firms in every prefecture-level city, signals, and the city x industry panel.

Vectorised with numpy and Arrow throughout: a million firms in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from zonebrain.core.divisions import divisions
from zonebrain.core.uscc import build_many
from zonebrain.registry.formats import REFERENCE, SIGNAL_KINDS, SIGNALS, TAGS

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
from ._io import FEN_PER_WAN, Progress, date_text, days_of, report, wan_text, write_csv
from ._vocab import SYLLABLES, check_vocabulary

SECTION_SHARES: dict[str, float] = {
    "A": 0.030,
    "B": 0.003,
    "C": 0.130,
    "D": 0.010,
    "E": 0.005,
    "F": 0.080,
    "G": 0.320,
    "H": 0.040,
    "I": 0.060,
    "J": 0.010,
    "K": 0.030,
    "L": 0.120,
    "M": 0.080,
    "N": 0.010,
    "O": 0.030,
    "P": 0.010,
    "Q": 0.005,
    "R": 0.020,
}
"""National share of firms by 门类 (S and T hold no enterprises)."""

SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "A": ("农业科技", "农业开发", "生态农业", "种养殖"),
    "B": ("矿业", "资源开发"),
    "C": ("制造", "机械", "电子", "新材料", "实业", "精密", "化工", "食品", "纺织", "设备"),
    "D": ("能源", "电力", "燃气"),
    "E": ("环境工程", "水务"),
    "F": ("建设工程", "建筑工程", "装饰工程", "建筑劳务"),
    "G": ("商贸", "贸易", "供应链", "商业", "医药", "电子商务"),
    "H": ("餐饮管理", "酒店管理", "餐饮"),
    "I": ("信息技术", "网络科技", "软件", "数据科技", "智能科技"),
    "J": ("投资管理", "资产管理"),
    "K": ("置业", "房地产开发", "物业服务"),
    "L": ("企业管理", "商务咨询", "人力资源", "广告", "文化传播"),
    "M": ("科技", "技术服务", "检测", "设计", "工程技术"),
    "N": ("环保科技", "园林绿化"),
    "O": ("家政服务", "维修服务"),
    "P": ("教育科技", "培训"),
    "Q": ("健康管理", "医疗管理"),
    "R": ("文化传媒", "体育发展", "影视"),
}
SECTION_SIZE: dict[str, tuple[float, float]] = {
    "C": (500.0, 80.0),
    "G": (300.0, 200.0),
    "F": (400.0, 100.0),
    "I": (200.0, 40.0),
    "D": (800.0, 150.0),
    "K": (600.0, 150.0),
}
"""Median revenue (万元) and revenue per employee (万元) by section; others use (150, 50)."""
SIZE_SIGMA = 1.9
REVENUE_MISSING = 0.10
TECH_DIVISIONS = frozenset({"27", "39", "40", "63", "64", "65", "73", "74", "75"})
SIGNAL_SHARE = 0.07
SIGNAL_WEIGHTS = (0.30, 0.15, 0.10, 0.30, 0.15)
SPECIALISED_PER_CITY = 3
SPECIAL_BOOST = (3.0, 10.0)
NOISE_SHAPE = 4.0
_ROUNDS = ("天使轮", "Pre-A轮", "A轮", "B轮", "C轮", "战略")
_PROJECTS = (
    "智慧城市平台建设项目",
    "数据中心设备采购项目",
    "道路改造工程",
    "医疗设备采购项目",
    "信息化运维服务项目",
    "校园安防系统项目",
    "污水处理设施改造项目",
    "物业管理服务项目",
)
MUNICIPALITIES = ("11", "12", "31", "50")
OUTSIDE_MAINLAND = ("71", "81", "82")
BIG_CITIES = frozenset(
    {
        "440300",
        "440100",
        "320500",
        "330100",
        "320100",
        "370200",
        "330200",
        "441900",
        "440600",
        "350200",
        "320200",
        "420100",
        "510100",
        "410100",
    }
)
"""Large non-capital or especially large economies (深圳, 广州, 苏州, 杭州, 南京, 青岛, 宁波, 东莞, 佛山, 厦门,
无锡, 武汉, 成都, 郑州)."""
_ETHNIC = (
    "苗族",
    "侗族",
    "朝鲜族",
    "土家族",
    "白族",
    "傣族",
    "彝族",
    "藏族",
    "蒙古",
    "柯尔克孜",
    "哈萨克",
    "回族",
    "壮族",
    "哈尼族",
    "景颇族",
    "傈僳族",
    "布依族",
    "羌族",
)


@dataclass(frozen=True)
class ReferenceFiles:
    """Paths of the files :func:`generate_reference` wrote, with their data-row counts."""

    out_dir: Path
    enterprises: Path
    signals: Path
    region_activity: Path
    n_firms: int
    n_signals: int
    n_region_rows: int


def short_city_name(name: str) -> str:
    """郑州市 → 郑州; 延边朝鲜族自治州 → 延边; 大兴安岭地区 → 大兴安岭; 锡林郭勒盟 → 锡林郭勒."""
    if name.endswith("自治州"):
        cuts = [name.find(e) for e in _ETHNIC if name.find(e) > 0]
        return name[: min(cuts)] if cuts else name[:2]
    for suffix in ("特别行政区", "地区", "省", "市", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def city_weights(rng: np.random.Generator, codes: list[str]) -> npt.NDArray[np.float64]:
    """Relative firm counts: log-normal sizes, capitals x2.5, municipalities x6, big cities x4, floor 0.25 x mean.

    台湾, 香港 and 澳门 (carried as prefecture-level units) get the floor weight.
    """
    w = np.exp(0.6 * rng.standard_normal(len(codes)))
    capital = np.array([c[2:4] == "01" for c in codes])
    muni = np.array([c[:2] in MUNICIPALITIES for c in codes])
    big = np.array([c in BIG_CITIES for c in codes])
    outside = np.array([c[:2] in OUTSIDE_MAINLAND for c in codes])
    w = w * np.where(capital & ~outside, 2.5, 1.0) * np.where(muni, 6.0, 1.0) * np.where(big, 4.0, 1.0)
    w = np.maximum(w, 0.25 * w.mean())
    w[outside] = 0.25 * w.mean()
    return np.asarray(w / w.sum(), dtype=np.float64)


def national_mix(rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Share of firms per class: section share times a log-normal weight inside the section."""
    ct = class_table()
    sec = np.array(ct.sections)
    inner = np.exp(1.0 * rng.standard_normal(len(ct.codes)))
    w = np.zeros(len(ct.codes))
    for s, share in SECTION_SHARES.items():
        m = sec == s
        w[m] = share * inner[m] / inner[m].sum()
    return np.asarray(w / w.sum(), dtype=np.float64)


def city_mixes(
    rng: np.random.Generator, base: npt.NDArray[np.float64], n_cities: int
) -> npt.NDArray[np.float64]:
    """Per-city class mix: Gamma(4, 1/4) noise on every class, and 3 specialised 2-digit divisions boosted 3-10x."""
    ct = class_table()
    divs = np.array([c[:2] for c in ct.codes])
    special_pool = sorted({d for d, s in zip(divs.tolist(), ct.sections, strict=True) if s in "CIM"})
    mix = base[None, :] * rng.gamma(NOISE_SHAPE, 1.0 / NOISE_SHAPE, size=(n_cities, base.size))
    for c in range(n_cities):
        for d in rng.choice(special_pool, size=SPECIALISED_PER_CITY, replace=False).tolist():
            mix[c, divs == d] *= rng.uniform(*SPECIAL_BOOST)
    mix /= mix.sum(axis=1, keepdims=True)
    return mix


def generate_reference(
    out_dir: Path, seed: int = 42, n_firms: int = 1_000_000, progress: Progress | None = None
) -> ReferenceFiles:
    """Write ``reference_enterprises.csv``, ``reference_signals.csv`` and ``region_activity.csv``.

    Firms are spread over every carried prefecture-level city; the same seed gives
    byte-identical files. *progress* is called as ``progress(step, done, total)``.
    """
    if n_firms < 1:
        raise ValueError("n_firms must be at least 1")
    check_vocabulary()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    step = "reference: firms"
    total_steps = 6
    report(progress, step, 0, total_steps)
    ct = class_table()
    prefectures = sorted(divisions().prefectures(), key=lambda d: d.code)
    if not prefectures:
        raise ValueError("no prefecture-level divisions carried; cannot spread the reference registry")
    city_codes = [d.code for d in prefectures]
    city_short = [short_city_name(d.name) for d in prefectures]
    n = n_firms

    rng = stream(seed, "reference.cities")
    weights = city_weights(rng, city_codes)
    counts = rng.multinomial(n, weights)
    base = national_mix(stream(seed, "reference.mix"))
    mixes = city_mixes(stream(seed, "reference.specialisation"), base, len(city_codes))
    rng = stream(seed, "reference.firms")
    city = np.repeat(np.arange(len(city_codes)), counts)
    cls = np.empty(n, dtype=np.int64)
    start = 0
    for c, k in enumerate(counts.tolist()):
        cdf = np.cumsum(mixes[c])
        cdf[-1] = 1.0
        cls[start : start + k] = np.searchsorted(cdf, rng.random(k), side="right")
        start += k
    order = rng.permutation(n)
    city = city[order]
    cls = cls[order]
    report(progress, step, 1, total_steps)

    years = np.arange(1990, 2025)
    yw = np.exp(0.09 * (years - 1990))
    fy = rng.choice(years, size=n, p=yw / yw.sum())
    start_days = (fy - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    length = (fy - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) - start_days
    founded = start_days + np.floor(rng.random(n) * length).astype(np.int64)

    legacy = (founded < days_of(2015, 10, 1)) & (rng.random(n) < 0.85)
    bodies = np.empty(n, dtype="U8")
    bodies[~legacy] = ma_bodies(distinct_integers(rng, int((~legacy).sum()), 31**6))
    bodies[legacy] = legacy_bodies(distinct_integers(rng, int(legacy.sum()), 10**8 - 3 * 10**7) + 3 * 10**7)
    codes_arr = np.array(city_codes, dtype="U6")
    uscc = build_many(codes_arr[city], bodies)
    del bodies
    report(progress, step, 2, total_steps)

    sec_codes = sorted(SECTION_WORDS)
    sec_of_class = np.array([sec_codes.index(s) if s in SECTION_WORDS else 0 for s in ct.sections])
    firm_sec = sec_of_class[cls]
    flat_words: list[str] = []
    offsets = np.zeros(len(sec_codes), dtype=np.int64)
    sizes = np.zeros(len(sec_codes), dtype=np.int64)
    for i, s in enumerate(sec_codes):
        offsets[i] = len(flat_words)
        sizes[i] = len(SECTION_WORDS[s])
        flat_words.extend(SECTION_WORDS[s])
    word_idx = offsets[firm_sec] + np.floor(rng.random(n) * sizes[firm_sec]).astype(np.int64)
    suffix_idx = rng.choice(3, size=n, p=[0.90, 0.06, 0.04])
    a, b = syllable_pairs(rng, n)
    syl = pa.array(list(SYLLABLES))
    parts = [
        pa.array(city_short).take(pa.array(city)),
        syl.take(pa.array(a)),
        syl.take(pa.array(b)),
        pa.array(flat_words).take(pa.array(word_idx)),
        pa.array(["有限公司", "有限责任公司", "股份有限公司"]).take(pa.array(suffix_idx)),
    ]
    names = unique_names(rng, parts, 2)
    del parts
    report(progress, step, 3, total_steps)

    section_letter = np.array(sec_codes)[firm_sec]
    med = np.full(n, 150.0)
    rph = np.full(n, 50.0)
    for s, (m, r) in SECTION_SIZE.items():
        hit = section_letter == s
        med[hit] = m
        rph[hit] = r
    age = np.maximum(2024 - fy, 0)
    ramp = 1.0 - 0.85 * np.exp(-age / 2.5)
    rev_wan = np.exp(np.log(med) + SIZE_SIGMA * rng.standard_normal(n)) * ramp
    revenue_fen = np.round(rev_wan * 10_000).astype(np.int64) * 100
    has_revenue = rng.random(n) >= REVENUE_MISSING
    employees = np.maximum(np.round(rev_wan / rph * np.exp(0.5 * rng.standard_normal(n))), 1).astype(np.int64)
    capital_fen = nice_capital_fen(rng, np.clip(np.exp(np.log(100.0) + 1.4 * rng.standard_normal(n)), 1, 2e5))
    tags = _tag_strings(rng, cls, section_letter, rev_wan, founded)
    report(progress, step, 4, total_steps)

    files = ReferenceFiles(
        out_dir=out_dir,
        enterprises=out_dir / "reference_enterprises.csv",
        signals=out_dir / "reference_signals.csv",
        region_activity=out_dir / "region_activity.csv",
        n_firms=n,
        n_signals=0,
        n_region_rows=0,
    )
    class_codes = pa.array(list(ct.codes))

    def on_chunk(done: int) -> None:
        report(progress, "reference: writing", done, n)

    write_csv(
        files.enterprises,
        [c.header for c in REFERENCE.columns],
        [
            pa.array(uscc),
            names,
            pa.array(codes_arr).take(pa.array(city)),
            class_codes.take(pa.array(cls)),
            wan_text(capital_fen),
            date_text(founded),
            wan_text(revenue_fen, has_revenue),
            pa.array(employees),
            tags,
        ],
        bom=False,
        on_chunk=on_chunk,
    )
    del names, tags
    report(progress, step, 5, total_steps)

    n_signals = _write_signals(
        files.signals, stream(seed, "reference.signals"), uscc, city, city_short, founded, capital_fen
    )
    n_region = _write_region_activity(
        files.region_activity, city_codes, city, cls, np.where(has_revenue, revenue_fen, 0), employees
    )
    report(progress, step, total_steps, total_steps)
    return ReferenceFiles(
        out_dir, files.enterprises, files.signals, files.region_activity, n, n_signals, n_region
    )


def _tag_strings(
    rng: np.random.Generator,
    cls: npt.NDArray[np.int64],
    section: npt.NDArray[np.str_],
    rev_wan: npt.NDArray[np.float64],
    founded: npt.NDArray[np.int64],
) -> pa.Array:
    ct = class_table()
    n = cls.size
    div = np.array([c[:2] for c in ct.codes])[cls]
    tech = np.isin(div, sorted(TECH_DIVISIONS))
    u = rng.random((8, n))
    masks: dict[str, npt.NDArray[np.bool_]] = {}
    masks["高新技术企业"] = (founded < days_of(2024)) & ((tech & (u[0] < 0.12)) | (~tech & (u[0] < 0.004)))
    masks["科技型中小企业"] = tech & (u[1] < 0.10) & (rev_wan < 20_000)
    masks["专精特新中小企业"] = masks["高新技术企业"] & (rev_wan >= 1000) & (u[2] < 0.2)
    masks["专精特新小巨人"] = masks["专精特新中小企业"] & (rev_wan >= 5000) & (u[3] < 0.2)
    masks["规上工业"] = (section == "C") & (rev_wan >= 2000)
    svc = np.zeros(n)
    for s, t in (
        ("I", 2000),
        ("N", 2000),
        ("L", 1000),
        ("M", 1000),
        ("P", 1000),
        ("K", 1000),
        ("O", 500),
        ("Q", 500),
        ("R", 500),
    ):
        svc[section == s] = t
    masks["规上服务业"] = (svc > 0) & (rev_wan >= svc)
    masks["限上商贸"] = (
        ((div == "51") & (rev_wan >= 2000))
        | ((div == "52") & (rev_wan >= 500))
        | (np.isin(div, ["61", "62"]) & (rev_wan >= 200))
    )
    masks["上市企业"] = (rev_wan >= 50_000) & (u[4] < 0.08)
    masks["链主企业"] = (rev_wan >= 200_000) & (u[5] < 0.2)
    masks["瞪羚企业"] = tech & (founded >= days_of(2014)) & (rev_wan >= 2000) & (u[6] < 0.15)
    pieces = [pc.if_else(pa.array(masks[t]), t + ";", "") for t in TAGS if t in masks]
    joined = pc.binary_join_element_wise(*pieces, "")
    return pc.utf8_rtrim(joined, ";")


def _write_signals(
    path: Path,
    rng: np.random.Generator,
    uscc: npt.NDArray[np.str_],
    city: npt.NDArray[np.int64],
    city_short: list[str],
    founded: npt.NDArray[np.int64],
    capital_fen: npt.NDArray[np.int64],
) -> int:
    n = uscc.size
    firms = np.flatnonzero(rng.random(n) < SIGNAL_SHARE)
    w = np.array(SIGNAL_WEIGHTS)
    kind = rng.choice(len(SIGNAL_KINDS), size=firms.size, p=w / w.sum())
    again = rng.random(firms.size) < 0.15
    firms2 = firms[again]
    kind2 = (kind[again] + rng.integers(1, len(SIGNAL_KINDS), size=firms2.size)) % len(SIGNAL_KINDS)
    f = np.concatenate([firms, firms2])
    k = np.concatenate([kind, kind2])
    lo = np.maximum(days_of(2022), founded[f] + 1)
    hi = days_of(2025)
    day = np.where(
        lo < hi, lo + np.floor(rng.random(f.size) * np.maximum(hi - lo, 1)).astype(np.int64), hi - 1
    )
    order = np.lexsort((k, day, f))
    f, k, day = f[order], k[order], day[order]
    m = f.size
    other_city = rng.integers(0, len(city_short), size=m)
    amount = np.round(np.exp(np.log(500.0) + 1.2 * rng.standard_normal(m))).astype(np.int64) + 1
    area = (np.round(np.exp(np.log(8000.0) + 0.8 * rng.standard_normal(m)) / 100) * 100).astype(
        np.int64
    ) + 100
    rounds = rng.integers(0, len(_ROUNDS), size=m)
    projects = rng.integers(0, len(_PROJECTS), size=m)
    cap_wan = capital_fen[f] // FEN_PER_WAN
    factor = rng.integers(2, 6, size=m)
    details: list[str] = []
    for j, kk in enumerate(k.tolist()):
        if kk == 0:
            details.append(f"在{city_short[int(other_city[j])]}设立分公司")
        elif kk == 1:
            details.append(f"完成{_ROUNDS[int(rounds[j])]}融资，金额约{int(amount[j])}万元")
        elif kk == 2:
            details.append(f"新建厂房约{int(area[j])}平方米")
        elif kk == 3:
            details.append(f"中标{_PROJECTS[int(projects[j])]}，中标金额{int(amount[j])}万元")
        else:
            before = max(int(cap_wan[j]), 1)
            details.append(f"注册资本由{before}万元增至{before * int(factor[j])}万元")
    del city
    write_csv(
        path,
        [c.header for c in SIGNALS.columns],
        [
            pa.array(uscc[f]),
            pa.array(list(SIGNAL_KINDS)).take(pa.array(k)),
            date_text(day),
            pa.array(details),
        ],
        bom=False,
    )
    return m


def _write_region_activity(
    path: Path,
    city_codes: list[str],
    city: npt.NDArray[np.int64],
    cls: npt.NDArray[np.int64],
    revenue_fen: npt.NDArray[np.int64],
    employees: npt.NDArray[np.int64],
) -> int:
    """Exact integer sums per (city, class): firms, revenue_fen (missing revenue counts 0), employees."""
    ct = class_table()
    n_cls = len(ct.codes)
    key = city * n_cls + cls
    order = np.argsort(key, kind="stable")
    sk = key[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    cells = sk[starts]
    firms = np.diff(np.r_[starts, sk.size])
    revenue = np.add.reduceat(revenue_fen[order], starts)
    emp = np.add.reduceat(employees[order], starts)
    m = cells.size
    region = pa.array(np.array(city_codes, dtype="U6")[cells // n_cls])
    activity = pa.array(list(ct.codes)).take(pa.array(cells % n_cls))
    measure_names = ("firms", "revenue_fen", "employees")
    values = np.stack([firms, revenue, emp], axis=1).ravel()
    write_csv(
        path,
        ["region_code", "activity_code", "year", "value", "measure"],
        [
            region.take(pa.array(np.repeat(np.arange(m), 3))),
            activity.take(pa.array(np.repeat(np.arange(m), 3))),
            pa.array(np.full(3 * m, 2024, dtype=np.int64)),
            pa.array(values.astype(np.int64)),
            pa.array(list(measure_names)).take(pa.array(np.tile(np.arange(3), m))),
        ],
        bom=False,
    )
    return 3 * m
