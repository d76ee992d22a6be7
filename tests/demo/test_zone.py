"""The demo zone files: import formats, validity, exact money, distributions, bad rows."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from zonebrain.core.errors import MoneyError
from zonebrain.core.industry import gbt4754
from zonebrain.core.money import parse_amount
from zonebrain.core.uscc import broken_rule, validate_many
from zonebrain.demo import BAD_ROW_RULES, GROUPS, PARKS, DemoFiles, generate_zone, park_lookup
from zonebrain.registry.formats import (
    ENTERPRISE_STATUS,
    ENTERPRISES,
    EVENT_KINDS,
    EVENTS,
    FINANCE,
    MONTHLY,
    TAGS,
    TAGS_FORMAT,
)

ZONE_N = 2_000
CLASSES = {i.code for i in gbt4754().level("class")}
GROUP_OF = {code: g.key for g in GROUPS for code, _ in g.codes}


def read_csv(path: Path, encoding: str = "utf-8-sig") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def read_xlsx(path: Path) -> tuple[list[str], list[list[object]], list[str]]:
    """Header, values, and the data type of the 行业代码 cells."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.active
    assert ws is not None
    rows = list(ws.iter_rows())
    header = [str(c.value) for c in rows[0]]
    col = header.index("行业代码")
    values = [[c.value for c in r] for r in rows[1:]]
    types = [str(r[col].data_type) for r in rows[1:]]
    wb.close()
    return header, values, types


@pytest.fixture(scope="module")
def enterprises(zone: DemoFiles) -> tuple[list[str], list[list[object]], list[str]]:
    return read_xlsx(zone.enterprises)


def fen(text: str) -> int:
    return parse_amount(text, unit="万元")


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a = generate_zone(tmp_path / "a", seed=7, n_enterprises=300)
    b = generate_zone(tmp_path / "b", seed=7, n_enterprises=300)
    c = generate_zone(tmp_path / "c", seed=8, n_enterprises=300)
    names = sorted(p.name for p in a.out_dir.iterdir())
    assert names == sorted(p.name for p in b.out_dir.iterdir())
    assert len(names) == 9
    for name in names:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    for name in ("enterprises.xlsx", "finance.csv", "monthly.csv", "tags.csv", "events.csv"):
        assert (a.out_dir / name).read_bytes() != (c.out_dir / name).read_bytes(), name


def test_progress_is_reported_and_bounded(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_zone(tmp_path, seed=1, n_enterprises=100, progress=lambda s, d, t: calls.append((s, d, t)))
    assert calls
    assert all(0 <= d <= t for _, d, t in calls)
    assert any(d == t for _, d, t in calls)


def test_rejects_empty_zone(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_zone(tmp_path, n_enterprises=0)


# ---------------------------------------------------------------- enterprises


def test_headers_match_the_import_formats(zone: DemoFiles, enterprises: tuple) -> None:
    assert enterprises[0] == [c.header for c in ENTERPRISES.columns]
    expected = {
        zone.enterprises_sample: ENTERPRISES,
        zone.bad_rows: ENTERPRISES,
        zone.finance: FINANCE,
        zone.monthly: MONTHLY,
        zone.tags: TAGS_FORMAT,
        zone.events: EVENTS,
    }
    for path, fmt in expected.items():
        assert read_csv(path)[0] == [c.header for c in fmt.columns], path.name
    assert read_csv(zone.bad_rows_gbk, "gbk")[0] == [c.header for c in ENTERPRISES.columns]
    for path in (zone.finance, zone.monthly, zone.tags, zone.events, zone.bad_rows, zone.enterprises_sample):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path.name


def test_usccs_valid_unique_and_in_the_zone(enterprises: tuple) -> None:
    codes = [str(r[0]) for r in enterprises[1]]
    assert len(codes) == ZONE_N
    assert not validate_many(codes).any()
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("91410172") for c in codes)
    assert sum(c[8:10] == "MA" for c in codes) > ZONE_N // 2


def test_industry_codes_are_real_classes_written_as_text(enterprises: tuple) -> None:
    header, rows, types = enterprises
    col = header.index("行业代码")
    codes = [r[col] for r in rows]
    assert all(isinstance(c, str) and len(c) == 4 for c in codes)
    assert set(codes) <= CLASSES
    assert set(types) == {"s"}
    # the zone's industries dominate, and every group is present
    in_groups = [GROUP_OF.get(str(c), "other") for c in codes]
    assert {g.key for g in GROUPS} <= set(in_groups)
    assert sum(g != "other" for g in in_groups) > 0.5 * len(codes)


def test_parks_resolve_to_the_five_units_in_every_spelling(enterprises: tuple) -> None:
    header, rows, _ = enterprises
    lookup = park_lookup()
    values = [str(r[header.index("所属园区")]) for r in rows]
    assert all(v in lookup for v in values)
    assert {lookup[v] for v in values} == {p.code for p in PARKS}
    assert any(v.isdigit() for v in values)
    assert any(v in {p.short for p in PARKS} for v in values)
    assert any(v in {p.full for p in PARKS} for v in values)
    share = sum(lookup[v] == "410172561" for v in values) / len(values)
    assert 0.28 < share < 0.42  # 梧桐 35%


def test_other_enterprise_columns(enterprises: tuple) -> None:
    header, rows, _ = enterprises
    h = {name: i for i, name in enumerate(header)}
    names = [str(r[h["企业名称"]]) for r in rows]
    assert len(set(names)) == len(names)
    assert all(n.startswith("郑州") and n.endswith("公司") for n in names)
    for r in rows:
        capital = r[h["注册资本(万元)"]]
        assert isinstance(capital, int | float) and capital > 0
        assert fen(repr(capital)) > 0  # at most 4 decimals in 万元
        day = dt.date.fromisoformat(str(r[h["成立日期"]]))
        assert dt.date(1995, 1, 1) <= day <= dt.date(2024, 12, 31)
        assert r[h["登记状态"]] in ENTERPRISE_STATUS
        assert str(r[h["经营范围"]]).endswith("（依法须经批准的项目，经相关部门批准后方可开展经营活动）")
        assert str(r[h["注册地址"]]).startswith("郑州高新技术产业开发区")
    statuses = [r[h["登记状态"]] for r in rows]
    assert statuses.count("存续") > 0.7 * len(rows)
    years = [int(str(r[h["成立日期"]])[:4]) for r in rows]
    assert sum(y >= 2015 for y in years) > sum(y < 2015 for y in years)


def test_sample_is_the_first_rows_as_text(zone: DemoFiles, enterprises: tuple) -> None:
    header, sample = read_csv(zone.enterprises_sample)
    rows = enterprises[1]
    assert len(sample) == 200
    cap = header.index("注册资本(万元)")
    for s, r in zip(sample, rows, strict=False):
        assert s[0] == r[0] and s[1] == r[1] and s[3] == r[3]
        assert fen(s[cap]) == fen(repr(r[cap]))


# ---------------------------------------------------------------- finance


@pytest.fixture(scope="module")
def finance(zone: DemoFiles) -> tuple[list[str], list[list[str]]]:
    return read_csv(zone.finance)


def test_finance_money_is_exact_and_consistent(finance: tuple, enterprises: tuple) -> None:
    header, rows = finance
    h = {name: i for i, name in enumerate(header)}
    section = {str(r[0]): gbt4754().section_of(str(r[3])) for r in enterprises[1]}
    money = [c.header for c in FINANCE.columns if c.kind == "money"]
    seen = set()
    unreported = 0
    for r in rows:
        key = (r[0], r[1])
        assert key not in seen
        seen.add(key)
        assert 2020 <= int(r[h["年度"]]) <= 2024
        for m in money:
            text = r[h[m]]
            if m == "工业总产值(万元)":
                assert (text != "") == (section[r[0]] == "C")
                if not text:
                    continue
            if m == "研发费用(万元)" and not text:  # not reported yet: the latest year only
                assert r[h["年度"]] == "2024"
                unreported += 1
                continue
            assert "." not in text or len(text.split(".")[1]) <= 4
            value = fen(text)
            if m != "利润总额(万元)":
                assert value >= 0
        emp, insured = int(r[h["从业人员"]]), int(r[h["参保人数"]])
        assert emp >= 1 and 0 <= insured <= emp
        assert 0 <= int(r[h["发明专利数"]]) <= int(r[h["专利数"]])
        assert fen(r[h["纳税总额(万元)"]]) <= 0.2 * fen(r[h["营业收入(万元)"]]) + 100
    latest = sum(1 for r in rows if r[h["年度"]] == "2024")
    assert 0 < unreported < 0.02 * latest  # about 1% of the firms, those with R&D (docs/demo-data.md)


def test_finance_years_follow_founding_and_exit(finance: tuple, enterprises: tuple) -> None:
    _header, rows, _ = enterprises
    founded = {str(r[0]): int(str(r[5])[:4]) for r in rows}
    status = {str(r[0]): r[6] for r in rows}
    years: dict[str, list[int]] = defaultdict(list)
    for r in finance[1]:
        years[r[0]].append(int(r[1]))
    for code, ys in years.items():
        assert min(ys) >= max(2020, founded[code])
        assert ys == list(range(min(ys), max(ys) + 1))
        if status[code] in ("存续", "在业"):
            assert max(ys) == 2024
    alive = [c for c, s in status.items() if s in ("存续", "在业")]
    assert all(c in years for c in alive)


def test_revenue_is_heavy_tailed(finance: tuple) -> None:
    _header, rows = finance
    rev = np.array([fen(r[2]) for r in rows if r[1] == "2024"], dtype=np.float64)
    top = np.sort(rev)[::-1][: len(rev) // 100]
    assert top.sum() / rev.sum() > 0.30
    median_wan = np.median(rev) / 1_000_000
    assert 50 < median_wan < 1000


def test_rd_intensity_differs_by_industry_as_documented(finance: tuple, enterprises: tuple) -> None:
    group = {str(r[0]): GROUP_OF.get(str(r[3]), "other") for r in enterprises[1]}
    ratios: dict[str, list[float]] = defaultdict(list)
    for r in finance[1]:
        rev = fen(r[2])
        if rev > 0 and r[5]:  # an empty R&D cell was not reported
            ratios[group[r[0]]].append(fen(r[5]) / rev)
    med = {g: float(np.median(v)) for g, v in ratios.items()}
    assert 0.08 <= med["cyber"] <= 0.15
    assert 0.06 <= med["biomed"] <= 0.10
    assert 0.03 <= med["materials"] <= 0.05
    assert med["other"] < 0.01
    assert med["cyber"] > med["biomed"] > med["materials"] > med["other"]


# ---------------------------------------------------------------- monthly


def test_monthly_sums_equal_yearly_in_fen(zone: DemoFiles, finance: tuple) -> None:
    _header, rows = read_csv(zone.monthly)
    yearly = {(r[0], r[1]): (fen(r[2]), r[3], fen(r[4])) for r in finance[1]}
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    by_month = np.zeros(12)
    for r in rows:
        assert r[1][:4] in ("2023", "2024") and 1 <= int(r[1][5:]) <= 12
        s = sums[(r[0], r[1][:4])]
        s[0] += fen(r[2])
        s[1] += fen(r[3]) if r[3] else 0
        s[2] += fen(r[4])
        assert int(r[5]) >= 1
        by_month[int(r[1][5:]) - 1] += fen(r[2])
    assert len(sums) > 100
    for key, (rev, out, tax) in sums.items():
        y_rev, y_out, y_tax = yearly[key]
        assert rev == y_rev, key
        assert out == (fen(y_out) if y_out else 0), key
        assert tax == y_tax, key
    assert by_month[1] < by_month[5] < by_month[11]  # Spring Festival low, December high


def test_above_scale_firms_report_monthly(zone: DemoFiles) -> None:
    _, tags = read_csv(zone.tags)
    _, monthly = read_csv(zone.monthly)
    scale = {r[0] for r in tags if r[1] in ("规上工业", "规上服务业", "限上商贸")}
    reporting = {r[0] for r in monthly}
    assert scale and scale <= reporting
    assert len(reporting) > len(scale)  # plus a sample of smaller firms


# ---------------------------------------------------------------- tags and events


def test_tags_are_known_unique_and_plausible(zone: DemoFiles, finance: tuple, enterprises: tuple) -> None:
    _, rows = read_csv(zone.tags)
    assert {r[1] for r in rows} <= set(TAGS)
    assert len({(r[0], r[1]) for r in rows}) == len(rows)
    firms = {str(r[0]): r for r in enterprises[1]}
    share = sum(r[1] == "高新技术企业" for r in rows) / ZONE_N
    assert 0.06 <= share <= 0.12
    rev24 = {r[0]: fen(r[2]) for r in finance[1] if r[1] == "2024"}
    for r in rows:
        assert firms[r[0]][6] in ("存续", "在业")
        if r[2]:
            since = dt.date.fromisoformat(r[2])
            if r[3]:
                assert dt.date.fromisoformat(r[3]) > since
        if r[1] == "规上工业":
            assert gbt4754().section_of(str(firms[r[0]][3])) == "C"
            assert rev24[r[0]] >= 2000 * 1_000_000
    hitech = [GROUP_OF.get(str(firms[r[0]][3]), "other") for r in rows if r[1] == "高新技术企业"]
    assert sum(g != "other" for g in hitech) > 0.8 * len(hitech)
    counts = defaultdict(int)
    for r in rows:
        counts[r[1]] += 1
    assert counts["上市企业"] <= 10 and counts["专精特新小巨人"] <= counts["专精特新中小企业"]
    assert counts["独立核算"] > 0.8 * ZONE_N


def test_events_are_known_unique_and_consistent(zone: DemoFiles, enterprises: tuple) -> None:
    _, rows = read_csv(zone.events)
    _, tags = read_csv(zone.tags)
    assert {r[1] for r in rows} <= set(EVENT_KINDS)
    assert len({(r[0], r[1], r[2]) for r in rows}) == len(rows)
    firms = {str(r[0]): r for r in enterprises[1]}
    for r in rows:
        assert dt.date.fromisoformat(r[2]) >= dt.date.fromisoformat(str(firms[r[0]][5]))
        assert dt.date.fromisoformat(r[2]) <= dt.date(2024, 12, 31)
    first = {r[0]: r[2] for r in rows if r[1] == "高新技术企业首次认定"}
    hitech = {r[0]: r[2] for r in tags if r[1] == "高新技术企业"}
    assert set(first) == set(hitech)
    assert all(first[c] <= hitech[c] for c in hitech)
    moved_out = {r[0] for r in rows if r[1] == "迁出"}
    assert moved_out == {c for c, r in firms.items() if r[6] == "迁出"}
    assert all(r[3].startswith("自") for r in rows if r[1] == "迁入")


# ---------------------------------------------------------------- bad rows


def problems(row: list[str], header: list[str], earlier: set[str]) -> set[tuple[str, str]]:
    """What an importer should find in one ENTERPRISES row, as (column, rule)."""
    h = {name: i for i, name in enumerate(header)}
    found: set[tuple[str, str]] = set()
    code = row[h["统一社会信用代码"]]
    broken = broken_rule(code)
    if broken:
        found.add(("统一社会信用代码", broken[0]))
    elif code in earlier:
        found.add(("统一社会信用代码", "duplicate"))
    if not row[h["企业名称"]]:
        found.add(("企业名称", "required"))
    if row[h["所属园区"]] not in park_lookup():
        found.add(("所属园区", "park_unknown"))
    industry = row[h["行业代码"]]
    if industry not in CLASSES:
        lost = industry.isdigit() and len(industry) < 4 and industry.zfill(4) in CLASSES
        found.add(("行业代码", "industry_leading_zero" if lost else "industry_unknown"))
    capital = row[h["注册资本(万元)"]]
    try:
        if parse_amount(capital, unit="万元", strict_unit=True) < 0:
            found.add(("注册资本(万元)", "negative"))
    except MoneyError as exc:
        found.add(("注册资本(万元)", "unit_mismatch" if "unit mismatch" in str(exc) else "not_a_number"))
    try:
        dt.date.fromisoformat(row[h["成立日期"]])
    except ValueError:
        found.add(("成立日期", "impossible_date"))
    return found


def test_bad_rows_match_their_expectations(zone: DemoFiles) -> None:
    header, rows = read_csv(zone.bad_rows)
    exp_header, expected = read_csv(zone.bad_rows_expected, "utf-8")
    assert exp_header == ["row", "column", "rule", "value"]
    listed: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for row_no, column, rule, value in expected:
        assert rule in BAD_ROW_RULES
        data = rows[int(row_no) - 2]
        assert data[header.index(column)] == value
        listed[int(row_no)].add((column, rule))
    earlier: set[str] = set()
    for k, row in enumerate(rows, start=2):
        assert problems(row, header, earlier) == listed.get(k, set()), k
        earlier.add(row[0])
    assert {rule for _, _, rule, _ in expected} == set(BAD_ROW_RULES)
    assert any(v == "610" for *_, v in expected) and any("O" in v for *_, v in expected)


def test_gbk_file_is_not_utf8_but_valid_gbk(zone: DemoFiles, enterprises: tuple) -> None:
    raw = zone.bad_rows_gbk.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    header, rows = read_csv(zone.bad_rows_gbk, "gbk")
    assert len(rows) >= 5
    main = {str(r[0]) for r in enterprises[1]}
    for row in rows:
        assert problems(row, header, set()) == set()
        assert row[0] not in main
