"""The demo zone's events (``events.csv``): what registries record about its firms over the years."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zonebrain.registry.formats import EVENTS

from ._common import class_table, stream
from ._io import days_of, iso_day, wan_str, write_rows_csv
from ._vocab import FICTIONAL_CITIES, GROUPS, PARKS, STATUS_NAMES

if TYPE_CHECKING:
    from ._zone import _Firms, _Panel, _Tags

_PENALTIES = (
    "未按规定办理变更登记，罚款{x}万元",
    "消防安全检查不合格，责令改正并罚款{x}万元",
    "发布虚假广告，罚款{x}万元",
    "未依法履行环境影响评价手续，罚款{x}万元",
    "产品质量抽检不合格，没收违法所得并罚款{x}万元",
)
_ABNORMAL = (
    "未按规定公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
)
_HONOURS = (
    "认定为省级工程技术研究中心",
    "认定为市级企业技术中心",
    "入选省级创新型中小企业名单",
    "获市科学技术进步奖二等奖",
    "获评高新区优秀创新企业",
)


def write_events(path: Path, seed: int, f: _Firms, tags: _Tags, p: _Panel, n: int) -> int:
    """``events.csv``: 高新 certifications (as the tags say), moves, penalties, abnormal operation,
    dishonesty, honours, accidents, labour disputes and 一事一议 agreements, one row per firm, kind
    and day; returns the rows written."""
    rng = stream(seed, "zone.events")
    ct = class_table()
    events: list[tuple[int, str, int, str]] = []
    end = days_of(2024, 12, 31)

    def day_after(start: int, lo_year: int = 2016) -> int:
        lo = max(start + 30, days_of(lo_year))
        if lo >= end:
            return end
        return lo + int(rng.integers(0, end - lo))

    for i, d in tags.hitech_first.items():
        events.append((i, "高新技术企业首次认定", d, "首次认定为国家高新技术企业，有效期三年"))
        for r in tags.hitech_renewals[i]:
            events.append((i, "高新技术企业重新认定", r, "通过高新技术企业重新认定"))
    cities = FICTIONAL_CITIES
    for i in range(n):
        found = int(f.founded[i])
        stop = int(f.exit_day[i]) if f.exit_day[i] >= 0 else end
        status = STATUS_NAMES[int(f.status[i])]
        u = rng.random(8)
        park = PARKS[int(f.park[i])].full
        if u[0] < 0.05 and found + 400 < stop:
            d = found + 365 + int(rng.integers(0, stop - found - 365))
            events.append((i, "迁入", d, f"自{cities[int(rng.integers(0, len(cities)))]}迁入{park}"))
        if status == "迁出":
            events.append((i, "迁出", stop, f"迁往{cities[int(rng.integers(0, len(cities)))]}"))
        if u[1] < 0.03:
            for _ in range(int(rng.integers(1, 3))):
                x = wan_str(int(rng.integers(1, 60)) * 1_000_000 // 2 // 100 * 100)
                text = _PENALTIES[int(rng.integers(0, len(_PENALTIES)))].format(x=x)
                events.append((i, "行政处罚", min(day_after(found), stop), text))
        bad_standing = status == "吊销"
        if u[2] < (0.5 if bad_standing else 0.035):
            events.append(
                (
                    i,
                    "经营异常",
                    min(day_after(found), stop),
                    f"列入经营异常名录：{_ABNORMAL[int(rng.integers(0, len(_ABNORMAL)))]}",
                )
            )
        if u[3] < (0.15 if bad_standing else 0.001):
            events.append(
                (
                    i,
                    "严重违法失信",
                    min(day_after(found, 2019), stop),
                    "列入严重违法失信名单（被列入经营异常名录届满3年仍未履行相关义务）",
                )
            )
        if GROUPS[int(f.group[i])].tech and u[4] < 0.03:
            events.append((i, "荣誉", day_after(found, 2018), _HONOURS[int(rng.integers(0, len(_HONOURS)))]))
        if ct.sections[int(f.cls[i])] == "C" and u[5] < 0.001:
            events.append(
                (
                    i,
                    "重大安全事故",
                    min(day_after(found), stop),
                    "生产车间发生安全生产事故造成人员受伤，已责令停产整顿",
                )
            )
        if u[6] < 0.004:
            events.append(
                (i, "劳资纠纷", min(day_after(found), stop), "拖欠员工工资引发劳动争议，已调解结案")
            )
    r24 = np.where(p.present[:n, -1], p.revenue[:n, -1], 0)
    for i in np.argsort(-r24, kind="stable")[:10].tolist():
        if rng.random() < 0.5:
            amount = int(rng.integers(2, 30))
            events.append(
                (
                    i,
                    "一事一议协议",
                    day_after(int(f.founded[i]), 2019),
                    f"与高新区管委会签订一事一议协议，承诺新增投资{amount}亿元",
                )
            )
    seen: set[tuple[int, str, int]] = set()
    rows: list[list[str]] = []
    for i, kind, d, text in sorted(events, key=lambda e: (e[0], e[2], e[1])):
        key = (i, kind, d)
        if key in seen:
            continue
        seen.add(key)
        rows.append([str(f.uscc[i]), kind, iso_day(d), text])
    write_rows_csv(path, [c.header for c in EVENTS.columns], rows, encoding="utf-8-sig")
    return len(rows)
