"""demand_history -> demand_forecasts: weekly units per item, demand classes, forecasts a planner can act on.

The forecasts are judged in the same run by a rolling-origin backtest against the baselines (naive, seasonal
naive, moving average, TSB, ETS); see ``longtail.demand``.
"""

import time

import dagster as dg
import numpy as np
import pandas as pd

from assets.metadata import embedded_png, new_figure, preview, write_dataset_reports
from longtail.data.warehouse import drop_other_datasets, read_table, replace_dataset_rows, replace_rows
from longtail.demand import (
    DemandPlan,
    backtest_table,
    class_counts,
    class_table,
    interval_table,
    invalid_forecasts,
    invalid_orders,
    plan_demand,
    signal_counts,
    simulation_table,
    weekly_history,
)
from longtail.demand.replenishment import StockSettings
from longtail.demand.series import DEFAULT_MAX_UNITS
from longtail.privacy.dp import optional_privacy, privacy_record
from resources import home
from resources.warehouse import WAREHOUSE_POOL, WarehouseResource

GROUP = "demand"
REPORT_NAME = "demand_forecasts"
# Items drawn in the "items to look at first" plot: the largest suggested orders.
PLOTTED_ITEMS = 6
# The characters of an item's title its plot shows.
TITLE_CHARS = 28


class DemandConfig(dg.Config):
    """``datasets_without_calendar``: datasets whose timestamps are not real calendar time (Instacart's are
    reconstructed from order gaps), so weekly demand would be fiction; they are skipped. ``dp_epsilon`` set (off
    by default): each dataset's weekly units are user-level (``dp_epsilon``, ``dp_delta``) differentially private,
    each customer (and each guest order) counting for at most ``dp_max_item_weeks_per_user`` item-weeks of at most
    ``dp_max_units`` units each (``longtail.demand.series``); the classes and the forecasts downstream are computed
    from them."""

    datasets_without_calendar: list[str] = ["instacart_sample"]
    dp_epsilon: float | None = None
    dp_delta: float = 1e-6
    dp_max_item_weeks_per_user: int = 20
    dp_max_units: int = DEFAULT_MAX_UNITS


@dg.asset(deps=["cleaned_events", "guest_sales"], group_name=GROUP, kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def demand_history(
    context: dg.AssetExecutionContext, config: DemandConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Units sold per item and calendar week (Monday-based), zero-filled from each item's first sale to the last
    complete week, with each item's demand class (smooth / erratic / intermittent / lumpy by ADI and CV²). The
    sales are the customers' (cleaned_events) and the guests' (guest_sales)."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        events = pd.concat(
            [read_table(connection, "cleaned_events", "ts is not null"), read_table(connection, "guest_sales")],
            ignore_index=True,
        )
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


class StockConfig(dg.Config):
    """Stock settings of a dataset: weeks from order to arrival, weeks between orders, and the fill rate (share of
    demanded units served from stock) to plan for."""

    lead_time_weeks: int = 2
    review_period_weeks: int = 1
    fill_rate_target: float = 0.95


class ForecastConfig(dg.Config):
    """``horizon`` weeks ahead; the backtest forecasts from ``backtest_origins`` origins ``backtest_step`` weeks
    apart, ending with the last ``horizon`` weeks of data (fewer origins where a dataset's history is short);
    ``interval_level`` (%) of the planner's interval. ``stock`` is every dataset's stock settings unless
    ``stock_by_dataset`` names it; ``stock_by_category`` (category path -> settings) overrides both for the items of
    a category. ``workers``: worker processes that plan the large datasets, each process one stage of a dataset at a
    time (its forecasts and stock plan, or its backtest; see ``longtail.demand.plan_demand``)."""

    horizon: int = 4
    backtest_origins: int = 4
    backtest_step: int = 4
    interval_level: int = 80
    stock: StockConfig = StockConfig()
    stock_by_dataset: dict[str, StockConfig] = {}
    stock_by_category: dict[str, StockConfig] = {}
    workers: int = 2

    def stock_settings(self) -> dict[str, StockSettings]:
        """dataset -> its settings, "" for the default."""
        return _settings({"": self.stock} | self.stock_by_dataset)

    def category_stock_settings(self) -> dict[str, StockSettings]:
        """category -> its settings, overriding its dataset's."""
        return _settings(self.stock_by_category)


def _settings(configs: dict[str, StockConfig]) -> dict[str, StockSettings]:
    return {name: StockSettings(**values.model_dump()) for name, values in configs.items()}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "demand_forecasts",
            deps=[demand_history, "cleaned_items", "item_similarity"],
            group_name=GROUP,
            kinds={"duckdb"},
            description="Per item: the weekly forecast over the horizon, the quantiles and a calibrated interval of "
            "the horizon total, the demand class and a planning signal; backtested against the baselines.",
        ),
        dg.AssetSpec(
            "replenishment_plan",
            deps=[demand_history],
            group_name=GROUP,
            kinds={"duckdb"},
            description="Per item: the order-up-to level and reorder point for the fill-rate target, the suggested "
            "order this week, dormant and obsolete flags; the policy replayed over the backtest weeks against two "
            "baseline policies.",
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def demand_plans(context: dg.AssetExecutionContext, config: ForecastConfig, warehouse: WarehouseResource):
    """Forecasts and stock decisions from one pass over each dataset (``longtail.demand.plan_demand``): sparse items
    borrow from their content neighbours (``item_similarity``) or category; the rolling-origin backtest and the
    inventory replay go to ``$LONGTAIL_HOME/reports/demand_forecasts.json`` (the dataset with the most scored
    series; one file per dataset under ``reports/demand_forecasts/``)."""
    started = time.perf_counter()
    with warehouse.connect() as connection:
        weekly = read_table(connection, "demand_history")
        items = read_table(connection, "cleaned_items")
        similarity = read_table(connection, "item_similarity", "source = 'content'")
    stock = config.stock_settings()
    plan = plan_demand(
        weekly,
        items=items,
        similarity=similarity,
        horizon=config.horizon,
        n_origins=config.backtest_origins,
        step=config.backtest_step,
        level=config.interval_level,
        stock=stock,
        category_stock=config.category_stock_settings(),
        progress=context.log.info,
        workers=config.workers,
    )
    planner, reports = plan.planner, plan.reports
    with warehouse.connect() as connection:
        for table_name, table in (("demand_forecasts", planner), ("replenishment_plan", plan.replenishment)):
            for _, part in table.groupby("dataset"):
                replace_dataset_rows(connection, table_name, part)
            drop_other_datasets(connection, table_name, sorted(planner["dataset"].unique()) if len(planner) else [])

    reports_dir = home.reports_dir()
    write_dataset_reports(reports, reports_dir, REPORT_NAME, size=lambda report: report["backtest"]["n_series"])
    seconds = round(time.perf_counter() - started, 2)
    yield dg.MaterializeResult(asset_key="demand_forecasts", metadata=forecast_metadata(plan, reports_dir, seconds))
    # A shop with no catalogue file has no cleaned_items table: its items have no titles.
    titles = items.set_index(["dataset", "item_id"])["title"] if len(items.columns) else pd.Series(dtype="string")
    yield dg.MaterializeResult(
        asset_key="replenishment_plan", metadata=replenishment_metadata(plan, titles, reports_dir)
    )


def forecast_metadata(plan: DemandPlan, reports_dir, seconds: float) -> dict:
    """What the UI shows of ``demand_forecasts``: counts, previews, the backtest tables and plots."""
    planner = plan.planner
    metadata = {
        "dagster/row_count": len(planner),
        "seconds_by_dataset": dg.MetadataValue.json(plan.seconds),
        "report": dg.MetadataValue.path(str(reports_dir / f"{REPORT_NAME}.json")),
        "planner_preview": preview(
            planner.sort_values("forecast_total", ascending=False) if len(planner) else planner, rows=20
        ),
        "signals": preview(signal_counts(planner), rows=40) if len(planner) else preview(planner),
        "seconds": seconds,
    }
    for dataset, report in plan.reports.items():
        metadata[f"{dataset}: backtest RMSSE by class"] = preview(backtest_table(report, "rmsse"), rows=20)
        metadata[f"{dataset}: backtest MASE by class"] = preview(backtest_table(report, "mase"), rows=20)
        metadata[f"{dataset}: scaled pinball loss by class"] = preview(class_table(report["quantile_loss"]), rows=20)
        metadata[f"{dataset}: 80% interval coverage by class"] = preview(class_table(report["coverage80"]), rows=20)
        metadata[f"{dataset}: quantile loss against the best baseline, 95% intervals"] = preview(interval_table(report))
        metadata[f"{dataset}: RMSSE by class (plot)"] = dg.MetadataValue.md(_rmsse_plot(report, reports_dir))
        metadata[f"{dataset}: interval coverage"] = report["backtest"]["interval"]["coverage"]
    return metadata


def replenishment_metadata(plan: DemandPlan, titles: pd.Series, reports_dir) -> dict:
    """What the UI shows of ``replenishment_plan``: the orders, the flags, the replay per policy and class, the
    trade-off curves, and the items a planner would look at first, named by their ``titles`` (indexed by dataset
    and item id; an item without one is shown by its id)."""
    if plan.replenishment.empty:  # no dataset has purchase events (a shop of reviews alone): nothing to stock
        return {"dagster/row_count": 0, "items_to_order": 0, "dormant_items": 0, "obsolete_items": 0}
    orders = plan.replenishment.sort_values("suggested_order", ascending=False)
    named = pd.MultiIndex.from_frame(orders[["dataset", "item_id"]])
    orders.insert(orders.columns.get_loc("item_id") + 1, "title", titles.reindex(named).to_numpy())
    metadata = {
        "dagster/row_count": len(orders),
        "orders_preview": preview(orders),
        "items_to_order": int((orders["suggested_order"] > 0).sum()) if len(orders) else 0,
        "dormant_items": int(orders["dormant"].sum()) if len(orders) else 0,
        "obsolete_items": int(orders["obsolete"].sum()) if len(orders) else 0,
    }
    for dataset, report in plan.reports.items():
        if "inventory_simulation" not in report:
            continue
        metadata[f"{dataset}: replay by policy and stock group"] = preview(simulation_table(report), rows=20)
        metadata[f"{dataset}: fill rate against stock (plot)"] = dg.MetadataValue.md(
            _tradeoff_plot(report, reports_dir)
        )
        first = orders[orders["dataset"] == dataset].head(PLOTTED_ITEMS)
        metadata[f"{dataset}: items to look at first (plot)"] = dg.MetadataValue.md(
            _item_plot(dataset, plan, dict(zip(first["item_id"], first["title"])), reports_dir)
        )
    return metadata


def _rmsse_plot(report: dict, reports_dir) -> str:
    """Grouped bars of RMSSE per demand class and model, saved beside the report and embedded in markdown."""
    table = backtest_table(report, "rmsse").set_index("model")
    figure, axis = new_figure(size=(7, 4))
    table.T.plot.bar(ax=axis, width=0.8)
    axis.set_ylabel("RMSSE (lower is better)")
    axis.set_title(f"{report['dataset']}: backtest RMSSE by demand class")
    axis.legend(fontsize=7)
    return embedded_png(figure, reports_dir / REPORT_NAME / f"{report['dataset']}_rmsse.png", "RMSSE by demand class")


def _tradeoff_plot(report: dict, reports_dir) -> str:
    """Average stock against fill rate per policy, one panel per stock group, the tuned points marked."""
    curves = report["tradeoff"]
    classes = list(next(iter(curves.values())))
    figure, axes = new_figure(len(classes), size=(3.2 * len(classes), 3.2))
    for axis, name in zip(np.atleast_1d(axes), classes):
        for policy, by_class in curves.items():
            points = [point for point in by_class[name] if point["fill_rate"] is not None]
            axis.plot([p["fill_rate"] for p in points], [p["avg_stock"] for p in points], label=policy)
            tuned = report["inventory_simulation"][policy][name]
            if tuned["fill_rate"] is not None:  # None: the class had no demand in the replayed weeks
                axis.plot(tuned["fill_rate"], tuned["avg_stock"], "o", color=axis.lines[-1].get_color())
        axis.axvline(report["settings"]["fill_rate_target"], color="grey", linestyle=":")
        axis.set_title(name)
        axis.set_xlabel("fill rate")
    np.atleast_1d(axes)[0].set_ylabel("average units on hand")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    path = reports_dir / REPORT_NAME / f"{report['dataset']}_stock_tradeoff.png"
    return embedded_png(figure, path, "average stock against fill rate")


def _item_plot(dataset: str, plan: DemandPlan, items: dict[str, str | None], reports_dir) -> str:
    """Per item of ``items`` (id -> title): weekly demand, the replayed stock and order-up-to level, and the quantile
    fan of the next protection period's demand."""
    weekly = plan.history[plan.history["dataset"] == dataset]
    path_table = plan.stock_paths[dataset]
    orders = plan.replenishment[plan.replenishment["dataset"] == dataset].set_index("item_id")
    figure, axes = new_figure(max(len(items), 1), size=(3.2 * max(len(items), 1), 3.2))
    for axis, (item, title) in zip(np.atleast_1d(axes), items.items()):
        sales = weekly[weekly["item_id"] == item]
        axis.bar(sales["week"], sales["units"], width=5, color="lightgrey", label="demand")
        replay = path_table[path_table["item_id"] == item]
        axis.step(replay["week"], replay["closing_stock"], where="post", label="stock (replay)")
        axis.step(replay["week"], replay["order_up_to"], where="post", linestyle="--", label="order-up-to")
        row = orders.loc[item]
        future = sales["week"].max() + pd.Timedelta(weeks=1)
        # The fan spans the protection period its quantiles are of.
        period = [future, future + pd.Timedelta(weeks=int(row["lead_time_weeks"] + row["review_period_weeks"]))]
        axis.fill_between(period, row["p10"], row["p90"], alpha=0.3, label="P10-P90")
        axis.fill_between(period, row["p25"], row["p75"], alpha=0.5, label="P25-P75")
        axis.axhline(row["reorder_point"], color="red", linewidth=0.8, label="reorder point")
        name = f"{item} {title[:TITLE_CHARS]}" if isinstance(title, str) else item
        group = row["demand_class"] if row["stock_group"] == row["demand_class"] else f"{row['stock_group']} item"
        axis.set_title(f"{name}\n{group}, order {row['suggested_order']:,.0f}", fontsize=8)
        axis.tick_params(axis="x", labelrotation=45, labelsize=6)
    np.atleast_1d(axes)[0].legend(fontsize=6)
    return embedded_png(figure, reports_dir / REPORT_NAME / f"{dataset}_items.png", "items to look at first")


def _rows_valid(warehouse: WarehouseResource, table_name: str, invalid) -> dg.AssetCheckResult:
    """Pass when ``invalid`` (a frame -> boolean mask) marks no row of ``table_name``; examples of those it marks."""
    with warehouse.connect() as connection:
        table = read_table(connection, table_name)
    if table.empty:
        return dg.AssetCheckResult(passed=True, metadata={"note": "no dataset has calendar demand"})
    bad = invalid(table)
    return dg.AssetCheckResult(
        passed=not bad.any(),
        metadata={"rows": len(table), "invalid_rows": int(bad.sum()), "examples": preview(table[bad])},
    )


@dg.asset_check(asset="demand_forecasts", blocking=True, pool=WAREHOUSE_POOL)
def forecasts_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every forecast is finite and non-negative, its quantiles never decrease, and its interval is 0 <= lo <= hi."""
    return _rows_valid(warehouse, "demand_forecasts", invalid_forecasts)


@dg.asset_check(asset="replenishment_plan", blocking=True, pool=WAREHOUSE_POOL)
def orders_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every suggested order and level is a whole number of units >= 0, and no obsolete item is ordered."""
    return _rows_valid(warehouse, "replenishment_plan", invalid_orders)


DEMAND_CHECKS = [forecasts_valid, orders_valid]
