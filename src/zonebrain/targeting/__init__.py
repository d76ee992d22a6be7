"""精准招商 / Targeting: where the zone can break through, and whom to approach.

* :func:`opportunities` ranks the GB/T 4754 classes the zone does not yet hold by feasibility
  (relatedness density, peer presence), attractiveness (PCI, national growth proxy, revenue per
  worker, R&D proxy, chain-gap fill) and strategic fit, with visible preset weights (稳妥/均衡/跨越);
  it returns Arrow tables: the ranking, the feasibility × attractiveness scatter data, the weights.
* :func:`candidates` ranks reference firms outside the zone for a class, a chain node or every
  gap, as one set-based query on any engine; each row carries its reasons with numbers.
* :func:`backtest` and :func:`holdout_check` hold the feasibility measure (relatedness density) to
  history: ROC-AUC and precision@k against a global-size baseline.

See docs/targeting.md.
"""

from ._backtest import SCORES, BacktestReport, backtest, evaluate_scores, holdout_check
from ._candidates import (
    DEFAULT_WEIGHTS,
    HALF_LIFE_DAYS,
    SIGNAL_WEIGHTS,
    TAG_POINTS,
    Candidates,
    Target,
    candidate_query,
    candidates,
    resolve_target,
)
from ._export import PIPELINE_COLUMNS, export_candidates, export_opportunities
from ._metrics import precision_at_k, roc_auc
from ._opportunities import (
    Opportunities,
    Ranking,
    class_statistics,
    opportunities,
    rank_opportunities,
    zone_values,
)
from ._presets import COMPONENTS, PRESET_ALIASES, PRESETS, resolve_weights, weights_table

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "HALF_LIFE_DAYS",
    "PIPELINE_COLUMNS",
    "PRESETS",
    "PRESET_ALIASES",
    "SCORES",
    "SIGNAL_WEIGHTS",
    "TAG_POINTS",
    "BacktestReport",
    "Candidates",
    "Opportunities",
    "Ranking",
    "Target",
    "backtest",
    "candidate_query",
    "candidates",
    "class_statistics",
    "evaluate_scores",
    "export_candidates",
    "export_opportunities",
    "holdout_check",
    "opportunities",
    "precision_at_k",
    "rank_opportunities",
    "resolve_target",
    "resolve_weights",
    "roc_auc",
    "weights_table",
    "zone_values",
]
