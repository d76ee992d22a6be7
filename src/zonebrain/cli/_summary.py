"""Print the zone summary as rich tables."""

from __future__ import annotations

from zonebrain.cli._common import arrow_table, console
from zonebrain.portrait import zone_summary
from zonebrain.storage import Warehouse


def print_summary(wh: Warehouse) -> None:
    s = zone_summary(wh)
    year = f"{s.year} 年" if s.year else "无财务数据 (no finance yet)"
    console.print(
        f"[bold]园区概况 Zone summary[/bold]: 在营企业 {s.enterprises} 家; 营收年度 (revenue year) {year}"
    )
    console.print(arrow_table("各园区 By park", s.by_park))
    console.print(arrow_table("按门类营收 Revenue by GB/T 4754 section", s.by_section))
    console.print(arrow_table("企业数前十小类 Top 10 classes", s.top_classes))
