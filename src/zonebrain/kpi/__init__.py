"""kpi/: economic operations and target assessment (经济运行, 目标考核).

Indicators are data (``catalogue/indicators.yaml``); targets come from the committee's 目标责任书
workbook or from edits with history; actuals are derived from the enterprise panels or imported
park-level values. Every function reads the warehouse through Ibis and returns Arrow tables, so it
runs on DuckDB, PostgreSQL and Spark alike. See ``docs/kpi.md``.
"""

from zonebrain.kpi._catalogue import Catalogue, Indicator, Rate, load_catalogue, working_days
from zonebrain.kpi._contrib import contributions
from zonebrain.kpi._forecast import backtest, forecast
from zonebrain.kpi._format import display_value, period_label
from zonebrain.kpi._monitor import ZONE_ID, latest_month, monitor, trend, warnings
from zonebrain.kpi._quality import data_quality
from zonebrain.kpi._report import build_report, forecast_rows
from zonebrain.kpi._scope import check_month, data_months, reporting_enterprises, scope_note
from zonebrain.kpi._targets import (
    KpiImport,
    TargetChange,
    TargetError,
    import_actuals,
    import_targets,
    parse_target_value,
    set_target,
    target_history,
    write_template,
)

__all__ = [
    "ZONE_ID",
    "Catalogue",
    "Indicator",
    "KpiImport",
    "Rate",
    "TargetChange",
    "TargetError",
    "backtest",
    "build_report",
    "check_month",
    "contributions",
    "data_months",
    "data_quality",
    "display_value",
    "forecast",
    "forecast_rows",
    "import_actuals",
    "import_targets",
    "latest_month",
    "load_catalogue",
    "monitor",
    "parse_target_value",
    "period_label",
    "reporting_enterprises",
    "scope_note",
    "set_target",
    "target_history",
    "trend",
    "warnings",
    "working_days",
    "write_template",
]
