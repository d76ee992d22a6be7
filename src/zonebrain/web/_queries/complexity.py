"""经济复杂度: the city × industry space of the reference panel, and where the zone stands in it.

The panel is ``region_activity`` (cities × GB/T 4754 classes, measure ``firms``, latest year)
plus one more location, the zone itself, counted from its own active enterprises. The zone
thus gets an ECI rank among the cities, and every industry a density (how related it is to
what the zone already does) and a PCI (how complex it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from zonebrain.core.divisions import divisions
from zonebrain.core.industry import gbt4754
from zonebrain.storage import Warehouse
from zonebrain.web._queries._common import active, rows
from zonebrain.web._tables import Col, DataTable

if TYPE_CHECKING:
    from zonebrain.web._context import WebContext

MEASURE = "firms"


def available() -> bool:
    try:
        import zonebrain.complexity  # noqa: F401
    except ImportError:
        return False
    return True


def _compute(wh: Warehouse, zone_code: str) -> dict[str, Any] | None:
    import pandas as pd

    from zonebrain.complexity import compute

    ra = wh.table("region_activity")
    ra = ra.filter(ra.measure == MEASURE)
    latest = rows(wh, ra.aggregate(y=ibis._.year.max()))[0]["y"]
    if latest is None:
        return None
    panel = wh.to_arrow(
        ra.filter(ra.year == latest).select("region_code", "activity_code", "value")
    ).to_pandas()
    ent = active(wh)
    own = wh.to_arrow(
        ent.filter(ent.industry_code.notnull())
        .group_by("industry_code")
        .aggregate(value=ibis._.uscc.count())
        .rename(activity_code="industry_code")
    ).to_pandas()
    own["region_code"] = zone_code
    panel = panel[panel.region_code != zone_code]
    full = pd.concat([panel, own[["region_code", "activity_code", "value"]]], ignore_index=True)
    full["value"] = full["value"].astype("float64")  # firm counts, not money
    if full.empty or full.region_code.nunique() < 3:
        return None
    r = compute(full, location="region_code", activity="activity_code", value="value", disconnected="largest")
    loc = r.locations.sort_values("eci", ascending=False).reset_index(drop=True)
    loc["rank"] = loc.index + 1
    pairs = r.pairs[r.pairs.region_code == zone_code][["activity_code", "rca", "M", "density", "cog"]]
    own_firms = own[["activity_code", "value"]].rename(columns={"value": "zone_firms"})
    merged = (
        r.activities[["activity_code", "ubiquity", "pci"]]
        .merge(pairs, on="activity_code", how="left")
        .merge(own_firms, on="activity_code", how="left")
        .fillna({"rca": 0.0, "M": 0, "density": 0.0, "cog": 0.0, "zone_firms": 0})
    )
    activities = [
        {
            "activity_code": str(code),
            "ubiquity": int(ubiquity),
            "pci": float(pci),
            "rca": float(rca),
            "present": int(m),
            "density": float(density),
            "cog": float(cog),
            "zone_firms": int(firms),
        }
        for code, ubiquity, pci, rca, m, density, cog, firms in zip(
            *(
                merged[c].tolist()
                for c in ("activity_code", "ubiquity", "pci", "rca", "M", "density", "cog", "zone_firms")
            ),
            strict=True,
        )
    ]
    zone_row = loc[loc.region_code == zone_code]
    return {
        "year": int(latest),
        "locations": [
            {
                "region_code": str(code),
                "diversity": int(div),
                "eci": float(eci),
                "coi": float(coi),
                "rank": int(rk),
            }
            for code, div, eci, coi, rk in zip(
                *(loc[c].tolist() for c in ("region_code", "diversity", "eci", "coi", "rank")), strict=True
            )
        ],
        "zone": None
        if zone_row.empty
        else {
            "eci": float(zone_row.eci.iloc[0]),
            "rank": int(zone_row["rank"].iloc[0]),
            "diversity": int(zone_row.diversity.iloc[0]),
            "coi": float(zone_row.coi.iloc[0]),
            "of": len(loc),
        },
        "activities": activities,
    }


def space(ctx: WebContext) -> dict[str, Any] | None:
    """The computed space (cached per data version); None without a reference panel."""
    code = ctx.zone.zone.code
    return ctx.cache.get(("complexity", code), lambda wh: _compute(wh, code))


def _region_name(code: str, zone_code: str, zone_name: str) -> str:
    if code == zone_code:
        return zone_name
    reg = divisions()
    return reg.get(code).name if code in reg else code


LOCATION_COLUMNS = [
    Col("rank", "col.rank", "int"),
    Col("region_code", "col.region_code"),
    Col("region", "col.region"),
    Col("diversity", "col.diversity", "int"),
    Col("eci", "col.eci", "float"),
    Col("coi", "col.coi", "float"),
]
ACTIVITY_COLUMNS = [
    Col("activity_code", "col.industry_code"),
    Col("class_name", "col.class_name"),
    Col("zone_firms", "col.zone_firms", "int"),
    Col("present", "col.present", "int"),
    Col("rca", "col.rca", "float"),
    Col("density", "col.density", "float"),
    Col("pci", "col.pci", "float"),
    Col("cog", "col.cog", "float"),
]


def location_table(ctx: WebContext, data: dict[str, Any]) -> DataTable:
    z = ctx.zone.zone
    out = [
        {**r, "region": _region_name(r["region_code"], z.code, z.short_name_zh)} for r in data["locations"]
    ]
    return DataTable(
        "complexity_locations",
        "complexity.locations_title",
        LOCATION_COLUMNS,
        out,
        title_params={"year": data["year"]},
    )


def activity_table(data: dict[str, Any], *, only: str | None = None, limit: int | None = None) -> DataTable:
    """The industries seen from the zone; *only* = ``absent`` gives the most related absent ones."""
    cls = gbt4754()
    acts = data["activities"]
    if only == "absent":
        acts = sorted((a for a in acts if not a["present"]), key=lambda a: -a["density"])
    else:
        acts = sorted(acts, key=lambda a: (-a["present"], -a["density"]))
    if limit:
        acts = acts[:limit]
    out = [
        {**a, "class_name": cls.get(a["activity_code"]).name if a["activity_code"] in cls else ""}
        for a in acts
    ]
    name = "complexity_related_absent" if only == "absent" else "complexity_industries"
    title = "complexity.related_title" if only == "absent" else "complexity.industries_title"
    return DataTable(name, title, ACTIVITY_COLUMNS, out, title_params={"year": data["year"]})


def scatter(data: dict[str, Any]) -> dict[str, Any]:
    """Density × PCI points, split by whether the zone has the industry (RCA > 1)."""
    cls = gbt4754()

    def point(a: dict[str, Any]) -> list[Any]:
        name = cls.get(a["activity_code"]).name if a["activity_code"] in cls else a["activity_code"]
        return [round(a["density"], 4), round(a["pci"], 4), a["activity_code"], name]

    return {
        "present": [point(a) for a in data["activities"] if a["present"]],
        "absent": [point(a) for a in data["activities"] if not a["present"]],
    }
