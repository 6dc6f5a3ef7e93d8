"""demand_history -> demand_forecasts: weekly units per item, demand classes, forecasts a planner can act on.

The forecasts are judged in the same run by a rolling-origin backtest against the baselines (naive, seasonal
naive, moving average, TSB, ETS); see ``longtail.demand``.
"""

import time

import dagster as dg

from assets.metadata import embedded_png, new_figure, preview, write_dataset_reports
from longtail.data.warehouse import drop_other_datasets, read_table, replace_dataset_rows, replace_rows
from longtail.demand import (
    backtest_table,
    class_counts,
    invalid_forecasts,
    plan_demand,
    signal_counts,
    weekly_history,
)
from longtail.demand.series import DEFAULT_MAX_UNITS
from longtail.privacy.dp import optional_privacy, privacy_record
from resources import home
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "demand"
REPORT_NAME = "demand_forecasts"


class DemandConfig(dg.Config):
    """``datasets_without_calendar``: datasets whose timestamps are not real calendar time (Instacart's are
    reconstructed from order gaps), so weekly demand would be fiction; they are skipped. ``dp_epsilon`` set (off
    by default): each dataset's weekly units are user-level (``dp_epsilon``, ``dp_delta``) differentially private,
    each customer counting for at most ``dp_max_item_weeks_per_user`` item-weeks of at most ``dp_max_units``
    units each (``longtail.demand.series``); the classes and the forecasts downstream are computed from them."""

    datasets_without_calendar: list[str] = ["instacart_sample"]
    dp_epsilon: float | None = None
    dp_delta: float = 1e-6
    dp_max_item_weeks_per_user: int = 20
    dp_max_units: int = DEFAULT_MAX_UNITS


@dg.asset(deps=["cleaned_events"], group_name=GROUP, kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def demand_history(
    context: dg.AssetExecutionContext, config: DemandConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Units sold per item and calendar week (Monday-based), zero-filled from each item's first sale to the last
    complete week, with each item's demand class (smooth / erratic / intermittent / lumpy by ADI and CV²)."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        events = read_table(connection, "cleaned_events", "ts is not null")
    privacy = optional_privacy(config.dp_epsilon, config.dp_delta, config.dp_max_item_weeks_per_user)
    weekly, classes = weekly_history(
        events, config.datasets_without_calendar, privacy=privacy, max_units=config.dp_max_units
    )
    with warehouse.connect() as connection:
        replace_rows(connection, "demand_history", weekly)
        replace_rows(connection, "demand_classes", classes)
    context.log.info(f"{len(weekly):,} item-weeks of {classes['dataset'].nunique()} datasets")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(weekly),
            "items": len(classes),
            "items_by_demand_class": preview(class_counts(classes), rows=20),
            "skipped_datasets": ", ".join(config.datasets_without_calendar) or "none",
            "preview": preview(classes),
            "differential_privacy": dg.MetadataValue.json(
                privacy_record(privacy, count_vectors=1) | ({"max_units": config.dp_max_units} if privacy else {})
            ),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


class ForecastConfig(dg.Config):
    """``horizon`` weeks ahead; the backtest forecasts from ``backtest_origins`` origins ``backtest_step`` weeks
    apart, ending with the last ``horizon`` weeks of data (fewer origins where a dataset's history is short);
    ``interval_level`` (%) of the planner's interval."""

    horizon: int = 4
    backtest_origins: int = 4
    backtest_step: int = 4
    interval_level: int = 80


@dg.asset(
    deps=[demand_history, "cleaned_items", "item_similarity"], group_name=GROUP, kinds={"duckdb"}, pool=WAREHOUSE_POOL
)
def demand_forecasts(
    context: dg.AssetExecutionContext, config: ForecastConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Per item: the weekly forecast over ``horizon`` weeks, an interval of the horizon total, the demand class
    and a planning signal; sparse items borrow from their content neighbours (``item_similarity``) or category.
    The rolling-origin backtest against the baselines is written to ``$LONGTAIL_HOME/reports/demand_forecasts.json``
    (the dataset with the most scored series; one file per dataset under ``reports/demand_forecasts/``)."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        weekly = read_table(connection, "demand_history")
        items = read_table(connection, "cleaned_items")
        similarity = read_table(connection, "item_similarity", "source = 'content'")
    plan = plan_demand(
        weekly,
        items=items,
        similarity=similarity,
        horizon=config.horizon,
        n_origins=config.backtest_origins,
        step=config.backtest_step,
        level=config.interval_level,
    )
    for dataset, origins in plan.origins.items():
        if origins:
            context.log.info(f"{dataset}: backtest over {origins} origins")
        else:
            context.log.warning(f"{dataset}: too few weeks to backtest; forecasting only")
    planner, reports = plan.planner, plan.reports
    with warehouse.connect() as connection:
        for dataset, table in planner.groupby("dataset"):
            replace_dataset_rows(connection, "demand_forecasts", table)
        drop_other_datasets(connection, "demand_forecasts", sorted(planner["dataset"].unique()))

    reports_dir = home.reports_dir()
    write_dataset_reports(reports, reports_dir, REPORT_NAME, size=lambda report: report["backtest"]["n_series"])

    metadata = {
        "dagster/row_count": len(planner),
        "seconds_by_dataset": dg.MetadataValue.json(plan.seconds),
        "report": dg.MetadataValue.path(str(reports_dir / f"{REPORT_NAME}.json")),
        "planner_preview": preview(
            planner.sort_values("forecast_total", ascending=False) if len(planner) else planner, rows=20
        ),
        "signals": preview(signal_counts(planner), rows=40) if len(planner) else preview(planner),
        "seconds": round(time.perf_counter() - started, 2),
    }
    for dataset, report in reports.items():
        metadata[f"{dataset}: backtest RMSSE by class"] = preview(backtest_table(report, "rmsse"), rows=20)
        metadata[f"{dataset}: backtest MASE by class"] = preview(backtest_table(report, "mase"), rows=20)
        metadata[f"{dataset}: RMSSE by class (plot)"] = dg.MetadataValue.md(_rmsse_plot(report, reports_dir))
        metadata[f"{dataset}: interval coverage"] = report["backtest"]["interval"]["coverage"]
    return dg.MaterializeResult(metadata=metadata)


def _rmsse_plot(report: dict, reports_dir) -> str:
    """Grouped bars of RMSSE per demand class and model, saved beside the report and embedded in markdown."""
    table = backtest_table(report, "rmsse").set_index("model")
    figure, axis = new_figure(size=(7, 4))
    table.T.plot.bar(ax=axis, width=0.8)
    axis.set_ylabel("RMSSE (lower is better)")
    axis.set_title(f"{report['dataset']}: backtest RMSSE by demand class")
    axis.legend(fontsize=7)
    return embedded_png(figure, reports_dir / REPORT_NAME / f"{report['dataset']}_rmsse.png", "RMSSE by demand class")


@dg.asset_check(asset=demand_forecasts, blocking=True, pool=WAREHOUSE_POOL)
def forecasts_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every forecast is finite and non-negative and lies inside its interval (lo <= total <= hi)."""
    with warehouse.connect() as connection:
        table = read_table(connection, "demand_forecasts")
    if table.empty:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no dataset has calendar demand"})
    bad = invalid_forecasts(table)
    return dg.AssetCheckResult(
        passed=not bad.any(),
        metadata={"rows": len(table), "invalid_rows": int(bad.sum()), "examples": preview(table[bad])},
    )


DEMAND_CHECKS = [forecasts_valid]
