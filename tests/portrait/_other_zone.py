"""The portrait's sample zone moved to another zone (洛阳高新区 410371, the docs' example, or 苏州工业园区
320571), written from a zone file as a user of another zone would: the tests of the zone defaults
(targeting, portrait, kpi, web) show that the warehouse's zone, not 郑州高新区, is used."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pyarrow as pa

from tests.portrait._data import LOADED, sample_tables
from tests.registry.conftest import code
from zonebrain.registry import Zone, load_zone
from zonebrain.storage import Warehouse

ZONES: Final = {
    "410371": ("洛阳高新技术产业开发区", "洛阳高新区", "Luoyang High-tech Zone", "410300"),
    "320571": ("苏州工业园区", "苏州园区", "Suzhou Industrial Park", "320500"),
}
"""code → (name_zh, short_name_zh, name_en, prefecture_code)."""
PARKS: Final = (("丰李", "Fengli"), ("辛店", "Xindian"))


def zone_file(folder: Path, zone_code: str = "410371", park_ids: tuple[str, str] = ("alpha", "beta")) -> Path:
    """A zone file (the format of docs/policy.md '其他园区') for *zone_code* whose two parks have
    the ids *park_ids* (those the sample's firms are filed under)."""
    name_zh, short, name_en, prefecture = ZONES[zone_code]
    lines = [
        "zone:",
        f'  code: "{zone_code}"',
        f"  name_zh: {name_zh}",
        f"  short_name_zh: {short}",
        f"  name_en: {name_en}",
        f'  prefecture_code: "{prefecture}"',
        "parks:",
    ]
    for i, (pid, (zh, en)) in enumerate(zip(park_ids, PARKS, strict=True), start=1):
        lines += [
            f"  - id: {pid}",
            f"    short_name: {zh}",
            f"    names: [{zh}镇]",
            f"    name_en: {en}",
            f'    division_code: "{zone_code}{i:03d}"',
        ]
    path = folder / f"zone-{zone_code}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def other_zone(folder: Path, zone_code: str = "410371") -> Zone:
    return load_zone(zone_file(folder, zone_code))


def load_other_sample(wh: Warehouse, zone: Zone) -> Warehouse:
    """The portrait's sample with *zone*'s parks (the firms registered in the zone), and two reference
    firms of class 3976 in the zone's city, so a candidate search can find a firm of the zone's province."""
    tables = sample_tables()
    tables["parks"] = zone.parks_table()
    ent = tables["enterprises"]
    i = ent.column_names.index("division_code")
    tables["enterprises"] = ent.set_column(i, "division_code", pa.array([zone.zone.code] * ent.num_rows))
    ref = tables["reference_enterprises"]
    city = zone.zone.prefecture_code
    extra = [
        dict(ref.slice(0, 1).to_pylist()[0], uscc=code(2000 + n, city), name=f"本省参考{n}",
             division_code=city, province_code=city[:2] + "0000", prefecture_code=city, industry_code="3976",
             revenue_fen=8_000_000, employees=12, tags="高新技术企业", loaded_at=LOADED)
        for n in (1, 2)
    ]  # fmt: skip
    tables["reference_enterprises"] = pa.concat_tables([ref, pa.Table.from_pylist(extra, schema=ref.schema)])
    with wh.transaction():
        for name, table in tables.items():
            wh.replace(name, table)
    return wh
