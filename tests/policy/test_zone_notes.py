"""QA: a Luoyang zone ran the built-in (Zhengzhou) library and got 282 × 不符合 without a word. A
run, coverage and what-if on a warehouse of another zone now say the library's subject cannot hold."""

from __future__ import annotations

from pathlib import Path

from tests.registry.test_zone import OTHER_ZONE
from zonebrain.policy import load_library
from zonebrain.policy._run import zone_notes
from zonebrain.registry import ensure_ready, load_zone
from zonebrain.storage import Warehouse


def test_a_library_for_another_zone_is_warned_of(wh: Warehouse, tmp_path: Path) -> None:
    ensure_ready(wh, load_zone())  # the built-in zone, 410172: the library is its own
    assert zone_notes(wh, load_library()) == []
    other = tmp_path / "zone.yaml"
    other.write_text(OTHER_ZONE, encoding="utf-8")
    with open_other(tmp_path) as elsewhere:
        ensure_ready(elsewhere, load_zone(other))
        (note,) = zone_notes(elsewhere, load_library())
    assert "政策族 zz-gxq-2022" in note and "以 410172 开头的企业 (第一条)" in note
    assert "仓库的园区代码为 320571: 所有企业都将不符合" in note and "--dir" in note


def open_other(tmp_path: Path) -> Warehouse:
    from zonebrain.storage import open_warehouse

    return open_warehouse(tmp_path / "other.duckdb")
