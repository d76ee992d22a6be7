"""A copy of the demo zone with 待核实 firms, for the tests of the 待核实 workflow.

The demo generator writes every firm's accounts from its founding year on, so every result of a
run is decided (the firms founded in the last year, once asked for earlier years they never had,
are decided since a firm has no revenue before it was registered). Here those firms are registered
a year earlier instead, with that year's accounts not in, as a real zone's newest firms often are:
their first-breakthrough award is 待核实, asking for ``max_revenue_fen_before``.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow as pa
import pytest

from tests.web.conftest import Demo
from zonebrain.storage import open_warehouse

LAST_YEAR = 2024
"""The demo's last year of accounts."""


def _year_earlier(day: dt.date) -> dt.date:
    return dt.date(day.year - 1, 2, 28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def with_undetermined(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo zone copied, its firms founded in the last year registered a year before it."""
    folder = tmp_path_factory.mktemp("undetermined")
    copy = Demo(folder / "warehouse.duckdb", demo.files, demo.own_firm, demo.wutong_firm)
    shutil.copy(demo.warehouse, copy.warehouse)
    with open_warehouse(copy.warehouse) as wh:
        ent = wh.table("enterprises")
        young = wh.to_arrow(ent.filter(ent.registered_on.year() == LAST_YEAR))
        assert young.num_rows, "the demo zone should have firms founded in its last year"
        at = young.schema.get_field_index("registered_on")
        earlier = pa.array([_year_earlier(d) for d in young["registered_on"].to_pylist()], pa.date32())
        with wh.transaction():
            wh.delete_where_in("enterprises", "uscc", young["uscc"].to_pylist())
            wh.append("enterprises", young.set_column(at, "registered_on", earlier))
    return copy
