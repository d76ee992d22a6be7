"""`zonebrain complexity` as mounted in a main Typer app, driven through CliRunner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from zonebrain.cli.complexity_cmd import app as complexity_app
from zonebrain.complexity import compute

CITY = list("aaabbbbccdddd")
INDUSTRY = [
    "0101",
    "0103",
    "0104",
    "0101",
    "0102",
    "0103",
    "0104",
    "0103",
    "0104",
    "0101",
    "0102",
    "0103",
    "0104",
]
OUTPUT = [8.0, 1, 2, 1, 8, 8, 5, 3, 4, 6, 4, 2, 1]


def _main() -> typer.Typer:
    main = typer.Typer()

    @main.callback()
    def root() -> None:
        """ZoneBrain."""

    main.add_typer(complexity_app, name="complexity")
    return main


def _panel() -> pd.DataFrame:
    t = pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT})
    return pd.concat([t.assign(yr=2023), t.assign(yr=2024, output=t["output"] * 2.5)])


def test_help_is_bilingual() -> None:
    result = CliRunner().invoke(_main(), ["complexity", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "INPUT" in text and "--location" in text and "--convention" in text and "--out" in text
    assert "经济复杂度" in text and "Economic complexity and relatedness" in text
    assert (
        "Usage: root complexity [OPTIONS] {INPUT}" in " ".join(text.split())
        or "INPUT" in text.splitlines()[1]
    )
    assert text.index("口径") < text.index("Convention")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_multi_year_csv_and_parquet(tmp_path: Path, suffix: str) -> None:
    panel = _panel()
    inp = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        panel.to_csv(inp, index=False)
    else:
        panel.to_parquet(inp, index=False)
    out = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(
        _main(),
        [
            "complexity",
            str(inp),
            "--location",
            "city",
            "--activity",
            "industry",
            "--value",
            "output",
            "--year",
            "yr",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 32 rows" in result.output
    got = pd.read_csv(out, dtype={"industry": str}) if suffix == ".csv" else pd.read_parquet(out)
    assert list(got.columns) == [
        "yr",
        "city",
        "industry",
        "output",
        "rca",
        "M",
        "density",
        "distance",
        "cog",
        "diversity",
        "eci",
        "coi",
        "ubiquity",
        "pci",
    ]
    assert set(got["industry"]) == {"0101", "0102", "0103", "0104"}  # leading zeros kept
    api = compute(panel, location="city", activity="industry", value="output", year="yr")
    merged = got.astype({"city": str, "industry": str}).merge(
        api.locations.astype({"city": str}), on=["yr", "city"], suffixes=("", "_api")
    )
    np.testing.assert_allclose(merged["eci"], merged["eci_api"], rtol=1e-12)


def test_levels_and_convention(tmp_path: Path) -> None:
    inp = tmp_path / "in.csv"
    _panel().to_csv(inp, index=False)
    out = tmp_path / "loc.parquet"
    result = CliRunner().invoke(
        _main(),
        [
            "complexity",
            str(inp),
            "--location",
            "city",
            "--activity",
            "industry",
            "--value",
            "output",
            "--year",
            "yr",
            "--convention",
            "ecomplexity",
            "--level",
            "locations",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    got = pd.read_parquet(out)
    assert list(got.columns) == ["yr", "city", "diversity", "eci", "coi"]
    for _, part in got.groupby("yr"):
        assert part["eci"].std(ddof=0) == pytest.approx(1.0)


def test_population_file(tmp_path: Path) -> None:
    inp = tmp_path / "in.csv"
    pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT}).to_csv(inp, index=False)
    pop = tmp_path / "pop.csv"
    pd.DataFrame({"city": list("abcd"), "population": [1e6, 2e6, 3e6, 4e6]}).to_csv(pop, index=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        _main(),
        [
            "complexity",
            str(inp),
            "--location",
            "city",
            "--activity",
            "industry",
            "--value",
            "output",
            "--population",
            str(pop),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rpop" in pd.read_csv(out).columns


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    inp = tmp_path / "in.csv"
    t = pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT})
    t.loc[3, "output"] = -1.0
    t.to_csv(inp, index=False)
    result = CliRunner().invoke(
        _main(),
        [
            "complexity",
            str(inp),
            "--location",
            "city",
            "--activity",
            "industry",
            "--value",
            "output",
            "--out",
            str(tmp_path / "out.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "negative" in result.output and "city='b'" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_unknown_convention(tmp_path: Path) -> None:
    inp = tmp_path / "in.csv"
    pd.DataFrame({"city": CITY, "industry": INDUSTRY, "output": OUTPUT}).to_csv(inp, index=False)
    result = CliRunner().invoke(
        _main(),
        [
            "complexity",
            str(inp),
            "--location",
            "city",
            "--activity",
            "industry",
            "--value",
            "output",
            "--convention",
            "oec",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "unknown complexity convention 'oec'" in result.output
