"""经济复杂度与关联度引擎 — economic complexity and relatedness over any location × activity (× year) table.

Pure maths (numpy / scipy / pandas): RCA (Balassa) or a location quotient, RPOP, presence,
diversity and ubiquity, ECI and PCI (eigenvector method), proximity, relatedness density,
distance, complexity outlook index (COI) and gain (COG), for many years in one call.

Two named conventions (see docs/complexity.md): ``"atlas"`` (default; equals the Growth Lab's Stata
``ecomplexity``, the Atlas and the OEC) and ``"ecomplexity"`` (equals the PyPI package of that name).

>>> import pandas as pd
>>> from zonebrain.complexity import compute
>>> t = pd.DataFrame({"city": list("aaabbbbccdddd"), "industry": list("wyzwxyzyzwxyz"),
...                   "output": [8.0, 1, 2, 1, 8, 8, 5, 3, 4, 6, 4, 2, 1]})
>>> panel = pd.concat([t.assign(year=2023), t.assign(year=2024, output=t.output * 2)])
>>> r = compute(panel, location="city", activity="industry", value="output", year="year")
>>> list(r.pairs.columns)
['year', 'city', 'industry', 'output', 'rca', 'M', 'density', 'distance', 'cog']
>>> r.locations.groupby("year").eci.mean().round(12).tolist()
[0.0, 0.0]
"""

from ._clean import clean
from ._compute import compute
from ._conventions import ATLAS, CONVENTIONS, ECOMPLEXITY, Convention, get_convention
from ._panel import ComplexityInputError
from ._result import ComplexityResult, Proximity, YearResult

__all__ = [
    "ATLAS",
    "CONVENTIONS",
    "ECOMPLEXITY",
    "ComplexityInputError",
    "ComplexityResult",
    "Convention",
    "Proximity",
    "YearResult",
    "clean",
    "compute",
    "get_convention",
]
