"""Demand forecasting: weekly series (``series``), demand classes (``classes``), the global GBM and the baselines
(``models``), quantile forecasts (``quantiles``), what young items borrow (``borrowing``), the rolling-origin
backtest (``backtest``), the inventory replay and order policies (``inventory``, ``replenishment``, with the stock
groups their safety factors are tuned for, ``stock_groups``) and what the
assets compute (``planning``) and show (``reporting``). The public API is re-exported here."""

from longtail.demand.backtest import backtest, backtest_errors, backtest_report, backtest_table
from longtail.demand.classes import CLASSES, class_counts, classify_demand
from longtail.demand.models import BASELINES, GLOBAL_GBM
from longtail.demand.planning import DemandPlan, forecast_items, plan_demand, planner_table, weekly_history
from longtail.demand.reporting import (
    class_table,
    interval_table,
    invalid_forecasts,
    invalid_orders,
    signal_counts,
    simulation_table,
)
from longtail.demand.series import WEEKLY_COLUMNS, category_demand, weekly_demand

__all__ = [
    "BASELINES",
    "CLASSES",
    "GLOBAL_GBM",
    "WEEKLY_COLUMNS",
    "DemandPlan",
    "backtest",
    "backtest_errors",
    "backtest_report",
    "backtest_table",
    "category_demand",
    "class_counts",
    "classify_demand",
    "class_table",
    "forecast_items",
    "interval_table",
    "invalid_forecasts",
    "invalid_orders",
    "plan_demand",
    "planner_table",
    "signal_counts",
    "simulation_table",
    "weekly_demand",
    "weekly_history",
]
