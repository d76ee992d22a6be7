"""Delivery tracking: promised vs the warehouse's enterprise figures, with flags for far behind."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest

from tests.pipeline.conftest import People
from zonebrain.core.errors import InputError
from zonebrain.pipeline import DeliveryRule, Pipeline, Stage, delivery
from zonebrain.storage import TABLES, Warehouse
from zonebrain.storage._schema import arrow_schema

WAN = 1_000_000  # fen in 1 万元
A, B, C, D = "91110000600037341L", "91350503MA31DKY80A", "91410100MA47XL1W6U", "91410100MA0000007G"


def _fill(wh: Warehouse) -> None:
    ent = [
        {"uscc": u, "name": n, "park_id": "wutong", "registered_capital_fen": cap}
        for u, n, cap in ((A, "甲", 5000 * WAN), (B, "乙", 1000 * WAN), (C, "丙", None))
    ]
    wh.replace("enterprises", pa.Table.from_pylist(ent, schema=arrow_schema(TABLES["enterprises"])))
    years = [
        {"uscc": A, "year": 2024, "output_fen": 1000 * WAN, "tax_fen": 10 * WAN, "employees": 10},
        {"uscc": A, "year": 2025, "output_fen": 9000 * WAN, "tax_fen": 90 * WAN, "employees": 90},
        {"uscc": B, "year": 2025, "revenue_fen": 6000 * WAN, "tax_fen": 50 * WAN, "employees": 70},
    ]
    wh.replace(
        "enterprise_years", pa.Table.from_pylist(years, schema=arrow_schema(TABLES["enterprise_years"]))
    )


def _project(pipe: Pipeline, who: People, name: str, uscc: str | None, stage: Stage) -> int:
    p = pipe.create(
        who.wang,
        name=name,
        park_id="wutong",
        origin="targeting",
        uscc=uscc,
        promised_output_fen=10_000 * WAN,
        promised_tax_fen=100 * WAN,
        promised_jobs=100,
        promised_investment_fen=10_000 * WAN,
        at=dt.datetime(2024, 1, 1),
    ).project
    pipe.move(who.wang, p.id, stage, expected_version=p.version, at=dt.datetime(2024, 6, 1))
    return p.id


def test_promised_vs_actual(pipe: Pipeline, people: People, wh: Warehouse) -> None:
    _fill(wh)
    ids = {
        "a": _project(pipe, people, "甲", A, Stage.PRODUCTION),
        "b": _project(pipe, people, "乙", B, Stage.FULL_PRODUCTION),
        "c": _project(pipe, people, "丙", C, Stage.PRODUCTION),
        "d": _project(pipe, people, "丁", D, Stage.CONSTRUCTION),
        "e": _project(pipe, people, "戊", None, Stage.REGISTERED),
        "f": _project(pipe, people, "己", None, Stage.SIGNED),  # not registered yet: not listed
    }
    df = delivery(pipe.list(), wh).set_index("project_id")
    assert ids["f"] not in df.index
    a = df.loc[ids["a"]]
    assert (a["year"], a["actual_output_fen"], a["status"]) == (2025, 9000 * WAN, "ok")
    assert a["output_rate"] == pytest.approx(0.9) and a["delivery_rate"] == pytest.approx(0.9)
    assert a["investment_rate"] == pytest.approx(0.5)  # registered capital as the stand-in
    b = df.loc[ids["b"]]
    assert b["actual_output_fen"] == 6000 * WAN  # revenue when output is missing
    assert b["delivery_rate"] == pytest.approx(0.6) and b["status"] == "behind"
    assert df.loc[ids["c"], "status"] == "no_data"
    assert df.loc[ids["d"], "status"] == "not_registered"
    assert df.loc[ids["e"], "status"] == "no_uscc"
    assert str(df["actual_output_fen"].dtype) == "Int64"
    y2024 = delivery(pipe.list(), wh, year=2024, rule=DeliveryRule(behind=0.9, far_behind=0.2)).set_index(
        "project_id"
    )
    assert y2024.loc[ids["a"], "status"] == "far_behind" and y2024.loc[ids["b"], "status"] == "no_data"
    assert math.isnan(y2024.loc[ids["b"], "delivery_rate"])
    with pytest.raises(InputError):
        DeliveryRule(behind=0.4, far_behind=0.5)
