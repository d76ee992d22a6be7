"""portrait/: 产业画像与诊断 — what the zone has (by park, industry and chain), how strong each chain
node is, how the zone compares with its peers, and the Word/Excel report (docs/portrait.md).

>>> from zonebrain.portrait import StrengthRules
>>> StrengthRules().strong_lq
1.2
"""

from zonebrain.portrait._benchmark import INDICATORS, Benchmark, benchmark
from zonebrain.portrait._diagnosis import Diagnosis, StrengthRules, diagnose
from zonebrain.portrait._profile import Portrait, portrait
from zonebrain.portrait._report import ReportFiles, default_peers, portrait_report
from zonebrain.portrait._summary import ZoneSummary, industry_dimension, latest_year, zone_summary

__all__ = [
    "INDICATORS",
    "Benchmark",
    "Diagnosis",
    "Portrait",
    "ReportFiles",
    "StrengthRules",
    "ZoneSummary",
    "benchmark",
    "default_peers",
    "diagnose",
    "industry_dimension",
    "latest_year",
    "portrait",
    "portrait_report",
    "zone_summary",
]
