"""Optional cleaning like the Atlas's and the OEC's: drop tiny exporters and thinly traded activities."""

from __future__ import annotations

import pandas as pd

from ._panel import TO_CLEAN, check_values, require_columns


def clean(
    panel: pd.DataFrame,
    *,
    location: str,
    activity: str,
    value: str,
    year: str | None = None,
    population: pd.DataFrame | pd.Series | None = None,
    population_column: str = "population",
    min_population: float = 1_000_000.0,
    min_location_total: float = 1_000_000_000.0,
    min_activity_total: float = 10_000_000.0,
) -> pd.DataFrame:
    """Keep locations and activities big enough for stable complexity estimates.

    Per year, drop locations whose total (e.g. exports) is below ``min_location_total`` or whose
    population is below ``min_population`` (only when ``population`` is given; a location with no
    population is dropped too), then drop activities whose total over the remaining locations is below
    ``min_activity_total``. Returns the kept rows of ``panel`` (same columns), in their order.
    Defaults: population ≥ 1 million, exports ≥ 1 billion and world trade of a product ≥ 10 million
    (in the units of ``value``, e.g. USD).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"c": ["a", "a", "b"], "p": ["x", "y", "x"], "v": [2e9, 5e6, 3e9]})
    >>> clean(t, location="c", activity="p", value="v")
       c  p             v
    0  a  x  2.000000e+09
    2  b  x  3.000000e+09
    """
    keys = [location, activity] if year is None else [year, location, activity]
    require_columns(panel, [*keys, value], TO_CLEAN)
    check_values(panel, value, keys, TO_CLEAN)
    group_loc = [location] if year is None else [year, location]
    group_act = [activity] if year is None else [year, activity]
    loc_total = panel.groupby(group_loc, sort=False, observed=True)[value].transform("sum")
    keep = (loc_total >= min_location_total).to_numpy()
    if population is not None:
        if isinstance(population, pd.Series):
            pop = panel[location].map(population)
        else:
            on = [location] + ([year] if year is not None and year in population.columns else [])
            pop = panel[on].merge(population[[*on, population_column]], on=on, how="left")[population_column]
        keep = keep & (pop.to_numpy(dtype=float, na_value=float("nan")) >= min_population)
    kept = panel[keep]
    act_total = kept.groupby(group_act, sort=False, observed=True)[value].transform("sum")
    return kept[(act_total >= min_activity_total).to_numpy()]
