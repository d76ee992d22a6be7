"""Bad and degenerate input: a clear InputError naming the offender, or a documented result — never silent NaN."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from zonebrain.complexity import ComplexityInputError, ComplexityResult, compute
from zonebrain.core.errors import InputError

# a small connected table: 4 cities × 4 industries (also the docstring example)
CITY = list("aaabbbbccdddd")
INDUSTRY = list("wyzwxyzyzwxyz")
OUTPUT = [8.0, 1, 2, 1, 8, 8, 5, 3, 4, 6, 4, 2, 1]


def table(**changes: object) -> pd.DataFrame:
    t = pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT})
    return t.assign(**changes) if changes else t


def run(t: pd.DataFrame, **kwargs: Any) -> ComplexityResult:
    kwargs.setdefault("location", "city")
    kwargs.setdefault("activity", "industry")
    kwargs.setdefault("value", "output")
    return compute(t, **kwargs)


def test_error_class_is_an_input_error() -> None:
    assert issubclass(ComplexityInputError, InputError)
    assert issubclass(ComplexityInputError, ValueError)


def test_missing_column() -> None:
    with pytest.raises(InputError, match=r"no column 'exports'.*columns are"):
        run(table(), value="exports")


def test_empty_table() -> None:
    with pytest.raises(InputError, match="no rows"):
        run(table().iloc[:0])


def test_negative_value_names_cell() -> None:
    t = table()
    t.loc[4, "output"] = -3.0
    with pytest.raises(InputError, match=r"negative .* -3\.0 at city='b', industry='x'") as info:
        run(t)
    assert info.value.value == -3.0  # type: ignore[attr-defined]


def test_nan_value_names_cell_and_fix() -> None:
    t = table()
    t.loc[2, "output"] = np.nan
    with pytest.raises(InputError, match=r"missing \(NaN\).*city='a', industry='z'.*fillna\(0\)"):
        run(t)


def test_infinite_value() -> None:
    t = table()
    t.loc[0, "output"] = np.inf
    with pytest.raises(InputError, match="infinite value"):
        run(t)


def test_non_numeric_value() -> None:
    t = table().astype({"output": object})
    t.loc[1, "output"] = "n/a"
    with pytest.raises(InputError, match=r"not numeric: value 'n/a' at city='a', industry='y'"):
        run(t)


def test_missing_key() -> None:
    t = table().astype({"city": object})
    t.loc[3, "city"] = None
    with pytest.raises(InputError, match="have no 'city'"):
        run(t)


def test_duplicate_keys() -> None:
    t = pd.concat([table(), table().iloc[[5]]], ignore_index=True)
    with pytest.raises(InputError, match=r"1 duplicate key row.*city='b', industry='y'.*groupby"):
        run(t)


def test_duplicate_keys_with_year_name_the_year() -> None:
    t = pd.concat([table().assign(year=2023), table().assign(year=2024).iloc[[0, 0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"duplicate key row.*year=2024, city='a', industry='w'"):
        run(t, year="year")


def test_year_with_all_zeros() -> None:
    t = pd.concat([table().assign(year=2023), table(output=0.0).assign(year=2024)], ignore_index=True)
    with pytest.raises(ComplexityInputError, match="year 2024: every value is 0") as info:
        run(t, year="year")
    assert info.value.year == 2024


def test_location_with_no_exports_is_left_out_and_reported() -> None:
    extra = pd.DataFrame({"city": ["e", "e"], "industry": ["w", "x"], "output": [0.0, 0.0]})
    result = run(pd.concat([table(), extra], ignore_index=True))
    assert "e" not in set(result.locations["city"])
    issues = result.issues
    row = issues[issues["label"] == "e"].iloc[0]
    assert row["kind"] == "location" and row["reason"] == "all_zero"
    assert row["message"].startswith("数值全为 0") and "(all values are 0" in row["message"]  # Chinese first
    # and the others are exactly what they are without it
    pd.testing.assert_frame_equal(result.locations, run(table()).locations)


def test_activity_with_no_trade_is_left_out_and_reported() -> None:
    extra = pd.DataFrame({"city": ["a", "b"], "industry": ["v", "v"], "output": [0.0, 0.0]})
    result = run(pd.concat([table(), extra], ignore_index=True))
    assert "v" not in set(result.activities["industry"])
    assert "v" in set(result.issues["label"])


def test_single_location() -> None:
    t = table()
    with pytest.raises(
        InputError, match=r"^只有一个地区 'a' .*\(only one location, 'a', has non-zero values"
    ):
        run(t[t["city"] == "a"])


def test_single_activity() -> None:
    t = table()
    with pytest.raises(
        InputError, match=r"^只有一个活动 'w' .*\(only one activity, 'w', has non-zero values"
    ):
        run(t[t["industry"] == "w"])


def test_disconnected_product_space() -> None:
    # two economies that share no activity (a presence matrix given directly)
    t = pd.DataFrame({"city": list("aabccd"), "industry": list("wxxyzz"), "output": [1.0] * 6})
    with pytest.raises(
        InputError, match=r"2 disconnected parts.*\['a', 'b'\].*\['c', 'd'\].*disconnected='largest'"
    ):
        run(t, presence_test="manual")


def test_disconnected_largest_part() -> None:
    small = pd.DataFrame(
        {"city": ["e", "e", "f", "f"], "industry": ["u", "v", "u", "v"], "output": [3.0, 1, 1, 3]}
    )
    t = pd.concat([table(), small], ignore_index=True)
    result = run(t, disconnected="largest")
    locs = result.locations.set_index("city")
    assert locs.loc[["e", "f"], "eci"].isna().all()
    assert locs.loc[list("abcd"), "eci"].notna().all()
    assert {"e", "f", "u", "v"} <= set(result.issues["label"])
    pairs = result.pairs
    assert pairs[["rca", "M", "density", "distance", "cog"]].notna().all().all()


def test_identical_locations_cannot_be_ranked() -> None:
    t = pd.DataFrame({"city": list("aabbcc"), "industry": list("xyxyxy"), "output": [1.0] * 6})
    # every RCA is exactly 1: with the atlas convention nothing is present ...
    with pytest.raises(InputError, match="0 location"):
        run(t)
    # ... and with the ecomplexity convention everything is, so all locations are alike
    with pytest.raises(InputError, match="same set of activities"):
        run(t, convention="ecomplexity")


def test_presence_threshold_boundary_depends_on_convention() -> None:
    # a location 'e' whose mix is exactly the world's: all its RCAs are exactly 1
    base = table()
    mirror = base.groupby("industry", as_index=False)["output"].sum().assign(city="e")
    t = pd.concat([base, mirror], ignore_index=True)
    atlas = run(t).pairs
    ecx = run(t, convention="ecomplexity").pairs
    e_atlas, e_ecx = atlas[atlas["city"] == "e"], ecx[ecx["city"] == "e"]
    assert (e_atlas["rca"] == 1.0).all()
    assert (e_atlas["M"] == 0).all() and (e_ecx["M"] == 1).all()
    # atlas: 'e' has no presence, so its ECI is undefined and reported; the others keep their values
    locs = run(t).locations.set_index("city")
    assert np.isnan(locs.loc["e", "eci"])
    assert "e" in set(run(t).issues["label"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"convention": "oec"}, "unknown complexity convention 'oec'; choose one of: atlas, ecomplexity"),
        ({"threshold": 0.0}, "threshold must be a positive number"),
        ({"threshold": float("nan")}, "threshold must be a positive number"),
        ({"presence_test": "rpop"}, "needs a population table"),
        ({"presence_test": "best"}, "unknown presence test 'best'"),
        ({"knn": 0}, "knn must be a positive number"),
        ({"disconnected": "ignore"}, "disconnected must be"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(table(), **kwargs)


def test_manual_presence_must_be_binary() -> None:
    with pytest.raises(InputError, match=r"0/1 values.*8\.0 at city='a', industry='w'"):
        run(table(), presence_test="manual")


def test_population_problems() -> None:
    pop = pd.DataFrame({"city": list("abc"), "population": [1e6, 2e6, 3e6]})
    with pytest.raises(InputError, match="no population for location 'd'"):
        run(table(), population=pop)
    pop_bad = pd.DataFrame({"city": list("abcd"), "population": [1e6, 0.0, 3e6, 1e6]})
    with pytest.raises(InputError, match=r"non-positive value.*city='b'"):
        run(table(), population=pop_bad)
    pop_dup = pd.DataFrame({"city": list("abcdd"), "population": [1e6, 2e6, 3e6, 1e6, 1e6]})
    with pytest.raises(InputError, match="duplicate rows for city='d'"):
        run(table(), population=pop_dup)


def test_population_as_series_and_by_year(close: Callable[..., None]) -> None:
    pop = pd.Series([1e6, 2e6, 3e6, 4e6], index=list("abcd"))
    one = run(table(), population=pop).pairs
    panel = pd.concat([table().assign(year=2023), table().assign(year=2024)], ignore_index=True)
    pop_y = pd.DataFrame(
        {"year": [2023] * 4 + [2024] * 4, "city": list("abcd") * 2, "population": [*pop, *pop]}
    )
    two = run(panel, year="year", population=pop_y).pairs
    for y in (2023, 2024):
        close(one["rpop"], two[two["year"] == y]["rpop"], rtol=1e-15, label="rpop")
    # rpop by its definition: (x_cp / X_p) / (pop_c / POP)
    t = table()
    x_p = t.groupby("industry")["output"].sum()
    row = one[(one["city"] == "b") & (one["industry"] == "x")].iloc[0]
    assert row["rpop"] == pytest.approx((8.0 / x_p["x"]) / (2e6 / 10e6), rel=1e-14)


def test_location_quotient_against_reference(close: Callable[..., None]) -> None:
    reference = pd.Series({"w": 100.0, "x": 50.0, "y": 25.0, "z": 25.0, "other": 800.0})
    result = run(table(), reference=reference).pairs
    t = table().set_index(["city", "industry"])["output"]
    city_total = t.groupby(level="city").sum()
    for (city, industry), value in t.items():
        expected = (value / city_total[city]) / (reference[industry] / reference.sum())
        got = result[(result["city"] == city) & (result["industry"] == industry)]["rca"].iloc[0]
        assert got == pytest.approx(expected, rel=1e-14)


def test_reference_missing_activity() -> None:
    with pytest.raises(InputError, match=r"no positive total for activity 'z'"):
        run(table(), reference=pd.Series({"w": 1.0, "x": 1.0, "y": 1.0}))


def test_unknown_year_and_missing_year_argument() -> None:
    panel = pd.concat([table().assign(year=2023), table().assign(year=2024)], ignore_index=True)
    result = run(panel, year="year")
    with pytest.raises(InputError, match="year 1999 was not computed"):
        result.proximity(1999)
    with pytest.raises(InputError, match="several years"):
        result.proximity()


def test_no_nan_in_normal_output() -> None:
    result = run(table())
    for frame in (result.pairs, result.locations, result.activities):
        numeric = frame.select_dtypes("number")
        assert numeric.notna().all().all()


def test_clean_drops_small_locations_and_thin_activities() -> None:
    from zonebrain.complexity import clean

    t = pd.DataFrame(
        {
            "year": [2017] * 6,
            "c": ["big", "big", "big", "tiny", "poor", "poor"],
            "p": ["x", "y", "z", "x", "x", "z"],
            "v": [5e9, 2e9, 4e6, 1e8, 3e9, 1e6],
        }
    )
    pop = pd.DataFrame({"c": ["big", "tiny", "poor"], "population": [5e7, 5e7, 5e5]})
    kept = clean(t, location="c", activity="p", value="v", year="year", population=pop)
    # 'tiny' exports < 1e9, 'poor' has < 1e6 people; 'z' then trades only 4e6 < 1e7
    assert kept[["c", "p"]].values.tolist() == [["big", "x"], ["big", "y"]]
    without_pop = clean(t, location="c", activity="p", value="v", year="year")
    assert set(without_pop["c"]) == {"big", "poor"}
    with pytest.raises(InputError, match="negative"):
        clean(t.assign(v=-1.0), location="c", activity="p", value="v")
