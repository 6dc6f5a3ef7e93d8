"""The demand figures as the assets show and check them: report figures as tables for the UI, signal counts, and
the planner and plan rows the data-quality checks reject."""

from __future__ import annotations

import numpy as np
import pandas as pd

from longtail.demand.models import GLOBAL_GBM
from longtail.demand.planning import quantile_columns


def signal_counts(planner: pd.DataFrame) -> pd.DataFrame:
    """``dataset, signal, items``: how many items of ``planner_table`` got each signal, per dataset."""
    return planner.groupby(["dataset", "signal"]).size().reset_index(name="items")


def invalid_forecasts(planner: pd.DataFrame) -> pd.Series:
    """Boolean mask of the planner rows with a negative or non-finite forecast total, quantiles (``p10 ..``)
    that are negative or decrease, or an interval (the first ``total_lo_*`` / ``total_hi_*`` columns) that is
    negative or inverted; 1e-9 units of slack for rounding."""
    lo, hi = (next(c for c in planner.columns if c.startswith(f"total_{side}_")) for side in ("lo", "hi"))
    quantiles = planner[quantile_columns()].to_numpy(dtype=float)
    total = planner["forecast_total"]
    valid = np.isfinite(total) & total.ge(0) & planner[lo].ge(0) & planner[lo].le(planner[hi] + 1e-9)
    valid &= (quantiles >= 0).all(1) & (np.diff(quantiles, axis=1) >= -1e-9).all(1)
    return ~valid


def invalid_orders(plan: pd.DataFrame) -> pd.Series:
    """Boolean mask of the ``replenishment_table`` rows whose order-up-to level, reorder point or suggested order is
    negative, not whole or not finite, or that suggest an order for an obsolete item."""
    columns = plan[["order_up_to", "reorder_point", "suggested_order"]].to_numpy(dtype=float)
    whole = np.isfinite(columns).all(1) & (columns >= 0).all(1) & (columns == np.round(columns)).all(1)
    return ~whole | (plan["obsolete"].astype(bool) & (plan["suggested_order"] > 0))


def class_table(figures: dict[str, dict[str, float | None]]) -> pd.DataFrame:
    """model -> class -> figure (``report["quantile_loss"]`` or ``report["coverage80"]``) as one row per model,
    the system's marked " (longtail)", one column per class, rounded to 4 decimals."""
    rows = [
        {"model": name + (" (longtail)" if name == GLOBAL_GBM else ""), **by_class}
        for name, by_class in figures.items()
    ]
    return pd.DataFrame(rows).round(4)


def simulation_table(report: dict) -> pd.DataFrame:
    """``report["inventory_simulation"]`` as one row per policy and stock group (``policy, stock_group, fill_rate,
    target, avg_stock, stockout_weeks, orders, items, knob``, and the intervals as "low-high" text)."""
    rows = [
        {"policy": policy, "stock_group": name, **figures}
        for policy, by_class in report["inventory_simulation"].items()
        for name, figures in by_class.items()
    ]
    table = pd.DataFrame(rows).round(4).round({"avg_stock": 0})
    for column, digits in (("fill_rate_ci95", 3), ("avg_stock_ci95", 0)):
        if column in table.columns:
            table[column] = [
                None if bounds is None else f"{bounds[0]:.{digits}f}-{bounds[1]:.{digits}f}" for bounds in table[column]
            ]
    return table


def interval_table(report: dict) -> pd.DataFrame:
    """``report["quantile_intervals"]`` as one row per class: the best quantile baseline, the system's pinball-loss
    ratio to it and its interval coverage, each with its 95% interval, rounded to 3 decimals."""
    rows = [
        {
            "demand_class": name,
            "baseline": figures["baseline"],
            "loss_ratio": round(figures["ratio"], 3),
            "ratio_ci95": "{:.3f}-{:.3f}".format(*figures["ratio_ci95"]),
            "coverage": round(figures["coverage"], 3),
            "coverage_ci95": "{:.3f}-{:.3f}".format(*figures["coverage_ci95"]),
        }
        for name, figures in report["quantile_intervals"].items()
        if figures is not None
    ]
    return pd.DataFrame(rows)
