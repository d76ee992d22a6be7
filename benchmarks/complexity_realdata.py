"""Real-data tables for docs/complexity.md: ECI of countries in 2017, ZoneBrain next to ``ecomplexity``.

    .venv/bin/python benchmarks/complexity_realdata.py [--data ../shared/data] > tables.md

Reads ``world_trade_hs4_2017.csv`` (exports by country and HS4 product) and
``world_gdp_population_2017.csv`` (GDP, population, GDP per capita), computes ECI raw and after
:func:`zonebrain.complexity.clean`, and prints Markdown: the top and bottom 10 countries and the
correlation of ECI with log GDP per capita.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from zonebrain.complexity import clean, compute

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
LOC, ACT, VAL = "reporter_iso", "product_code", "export_value_usd"


def _ecomplexity(trade: pd.DataFrame) -> pd.Series:
    from ecomplexity import ecomplexity

    cols = {"time": "year", "loc": LOC, "prod": ACT, "val": VAL}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        out = ecomplexity(trade.assign(year=2017), cols, verbose=False, check_logsupermodularity=False)
    return out.groupby(LOC)["eci"].first()


def _eci(trade: pd.DataFrame) -> pd.DataFrame:
    atlas = compute(trade, location=LOC, activity=ACT, value=VAL).locations.set_index(LOC)
    ecx = compute(trade, location=LOC, activity=ACT, value=VAL, convention="ecomplexity").locations.set_index(
        LOC
    )
    table = pd.DataFrame(
        {
            "diversity": atlas["diversity"],
            "zonebrain_atlas": atlas["eci"],
            "zonebrain_ecomplexity": ecx["eci"],
            "ecomplexity_pkg": _ecomplexity(trade),
        }
    )
    return table.sort_values("zonebrain_atlas", ascending=False)


def _markdown(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for row in frame.itertuples(index=False):
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _top_bottom(table: pd.DataFrame) -> str:
    shown = table.reset_index().rename(columns={LOC: "country"})
    shown.insert(0, "rank", np.arange(1, len(shown) + 1))
    shown = shown[
        ["rank", "country", "diversity", "zonebrain_atlas", "zonebrain_ecomplexity", "ecomplexity_pkg"]
    ]
    rank_pkg = table["ecomplexity_pkg"].rank(ascending=False).astype(int).to_numpy()
    shown.insert(6, "rank_in_pkg", rank_pkg)
    return "Top 10:\n\n" + _markdown(shown.head(10)) + "\n\nBottom 10:\n\n" + _markdown(shown.tail(10))


def _correlations(table: pd.DataFrame, gdp: pd.DataFrame) -> str:
    joined = table.join(gdp.set_index(LOC)["gdp_pc_usd"], how="inner").dropna()
    joined = joined[joined["gdp_pc_usd"] > 0]
    log_gdp = np.log(joined["gdp_pc_usd"])
    rows = []
    for col in ("zonebrain_atlas", "zonebrain_ecomplexity", "ecomplexity_pkg"):
        rows.append(
            {
                "ECI": col,
                "countries": len(joined),
                "Pearson r with log GDP pc": float(np.corrcoef(joined[col], log_gdp)[0, 1]),
                "Spearman ρ": float(joined[col].rank().corr(log_gdp.rank())),
            }
        )
    return _markdown(pd.DataFrame(rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the shared data files")
    args = parser.parse_args()
    trade = pd.read_csv(args.data / "world_trade_hs4_2017.csv", dtype={LOC: str, ACT: str})
    gdp = pd.read_csv(args.data / "world_gdp_population_2017.csv", dtype={LOC: str})
    population = gdp.rename(columns={"population_total": "population"})[[LOC, "population"]].dropna()

    raw = _eci(trade)
    cleaned_trade = clean(trade, location=LOC, activity=ACT, value=VAL, population=population)
    cleaned = _eci(cleaned_trade)

    print("### Raw data (原始数据)\n")
    print(f"{trade[LOC].nunique()} countries × {trade[ACT].nunique()} products, {len(trade):,} rows.\n")
    print(_top_bottom(raw))
    diff = float((raw["zonebrain_ecomplexity"] - raw["ecomplexity_pkg"]).abs().max())
    print(f"\nLargest |ZoneBrain (ecomplexity convention) − ecomplexity| over all countries: {diff:.1e}\n")
    print("### Cleaned data (清洗后)\n")
    print(
        f"Countries with population ≥ 1 million and exports ≥ 1 billion USD, then products with world trade "
        f"≥ 10 million USD among them: {cleaned_trade[LOC].nunique()} countries × "
        f"{cleaned_trade[ACT].nunique()} products.\n"
    )
    print(_top_bottom(cleaned))
    diff = float((cleaned["zonebrain_ecomplexity"] - cleaned["ecomplexity_pkg"]).abs().max())
    print(f"\nLargest |ZoneBrain (ecomplexity convention) − ecomplexity| over all countries: {diff:.1e}\n")
    print("### ECI and log GDP per capita (ECI 与人均 GDP 对数的相关)\n")
    print("Raw:\n")
    print(_correlations(raw, gdp))
    print("\nCleaned:\n")
    print(_correlations(cleaned, gdp))


if __name__ == "__main__":
    main()
