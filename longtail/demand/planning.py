"""What the demand assets compute: weekly history with classes, and per dataset the forecasts a planner acts on
plus the rolling-origin backtest that says how far to trust them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from longtail.demand.backtest import LEVEL, backtest_report, panel_errors
from longtail.demand.borrowing import NeighbourPrior
from longtail.demand.classes import classify_demand
from longtail.demand.models import GlobalGBM, features_of
from longtail.demand.quantiles import LEVELS, QuantileGBM, interval_tails
from longtail.demand.replenishment import StockSettings, plan_replenishment
from longtail.demand.series import (
    DEFAULT_MAX_UNITS,
    Panel,
    check_weekly,
    empty_weekly,
    for_dataset,
    weekly_demand,
)
from longtail.parallel import worker_pool
from longtail.privacy.dp import PrivacySettings
from longtail.validation import check_positive_int

# The backtest's first origin needs this many weeks of history; a dataset with fewer gets forecasts only.
MIN_TRAINING_WEEKS = 8
# The planner's signal compares the forecast with the mean of this many recent weeks.
SIGNAL_WEEKS = 13
SIGNALS = ("dormant", "rising", "falling", "steady")
# A dataset is planned in worker processes (plan_demand's workers) from this many items: Online Retail II's 4,600
# take about 40 s, against some 2 s to start a process.
PROCESS_MIN_ITEMS = 1_000
# The two parts of a dataset's plan, which a large dataset sends to two processes: the forecasts with the stock plan
# and its replay, then the rolling-origin backtest (22 s and 15 s of Online Retail II's 37; the longer goes first).
STAGES = ("plan", "backtest")


def weekly_history(
    events: pd.DataFrame,
    skip_datasets: Iterable[str] = (),
    *,
    privacy: PrivacySettings | None = None,
    max_units: int = DEFAULT_MAX_UNITS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(weekly_demand(events), classify_demand(...))`` of the datasets of ``events`` other than
    ``skip_datasets`` (those whose timestamps are not calendar time); both empty when no event is left
    (``events`` may be an empty frame without columns). ``privacy``, ``max_units``: as ``weekly_demand`` (the
    classes are computed from the private units, so they cost no more privacy)."""
    if len(events):
        events = events[~events["dataset"].isin(list(skip_datasets))]
    weekly = weekly_demand(events, privacy=privacy, max_units=max_units) if len(events) else empty_weekly()
    return weekly, classify_demand(weekly)


def forecast_items(
    weekly: pd.DataFrame,
    horizon: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = LEVEL,
) -> pd.DataFrame:
    """The system's forecast of the ``horizon`` weeks after the last week of ``weekly``, per item.

    ``categories`` (``item_id, category``) and ``neighbours`` (``item_id, neighbour_id, similarity``), each
    optionally with ``dataset``, are what young items borrow from besides the global model.
    Returns one row per item: ``dataset, item_id, demand_class, adi, cv2, forecast_per_week`` (units a week,
    the same every week), ``forecast_total`` (units over the horizon), the quantiles ``p10 .. p95`` of the
    horizon total (``longtail.demand.quantiles.LEVELS``) and ``total_lo_L``, ``total_hi_L``: its calibrated
    central ``level`` % interval (``QuantileGBM``; ``backtest`` measures the coverage of both).
    """
    check_weekly(weekly)
    horizon = check_positive_int(horizon, "horizon")
    interval_tails(level)
    parts = []
    for dataset, part in weekly.groupby("dataset", sort=True):
        panel = Panel.from_weekly(part)
        prior = NeighbourPrior.build(panel.item_ids, for_dataset(categories, dataset), for_dataset(neighbours, dataset))
        parts.append(_panel_forecasts(dataset, panel, prior, horizon, level))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_forecast_columns(level))


def _panel_forecasts(dataset: str, panel: Panel, prior: NeighbourPrior, horizon: int, level: int) -> pd.DataFrame:
    """``forecast_items``' rows of ``dataset``, from its ``panel`` and what its young items borrow from, ``prior``."""
    history = panel.history(panel.n_weeks)
    model = GlobalGBM(horizon, prior).fit(history)
    quantiles = QuantileGBM(horizon, interval_level=level).fit(history)
    frame = features_of(history)[0][["adi", "cv2", "demand_class"]].assign(
        dataset=dataset,
        item_id=panel.item_ids,
        forecast_per_week=model.rate_,
        forecast_total=model.rate_ * horizon,
    )
    frame = pd.concat([frame, pd.DataFrame(quantiles.quantiles_, columns=quantile_columns())], axis=1)
    frame[f"total_lo_{level}"], frame[f"total_hi_{level}"] = quantiles.interval_
    return frame[_forecast_columns(level)]


def _forecast_columns(level: int) -> list[str]:
    columns = ["dataset", "item_id", "demand_class", "adi", "cv2", "forecast_per_week", "forecast_total"]
    return columns + [*quantile_columns(), f"total_lo_{level}", f"total_hi_{level}"]


def quantile_columns() -> list[str]:
    """``p10``, ``p25``, ...: the columns of the quantiles at ``LEVELS``."""
    return [f"p{round(level * 100)}" for level in LEVELS]


def planner_table(
    weekly: pd.DataFrame,
    horizon: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = LEVEL,
    recent_weeks: int = SIGNAL_WEEKS,
) -> pd.DataFrame:
    """``forecast_items`` plus a signal comparing the forecast with the item's own recent sales:

    - ``recent_per_week``: mean weekly units over the item's last ``recent_weeks`` weeks (fewer if younger);
    - ``signal``: "dormant" when it sold nothing in those weeks, else "rising" / "falling" when the weekly
      forecast is above 1.25x / below 0.8x ``recent_per_week``, else "steady".

    What to order is ``replenishment_table``'s.
    """
    recent_weeks = check_positive_int(recent_weeks, "recent_weeks")
    table = forecast_items(weekly, horizon, categories=categories, neighbours=neighbours, level=level)
    return _with_signals(table, weekly, recent_weeks)


def _with_signals(table: pd.DataFrame, weekly: pd.DataFrame, recent_weeks: int) -> pd.DataFrame:
    """``table`` (``forecast_items``' rows of the datasets of ``weekly``) with ``planner_table``'s ``recent_per_week``
    and ``signal``."""
    recent_start = weekly.groupby("dataset")["week"].transform("max") - pd.Timedelta(weeks=recent_weeks - 1)
    recent = weekly[weekly["week"] >= recent_start].groupby(["dataset", "item_id"])["units"].mean()
    table = table.join(recent.rename("recent_per_week"), on=["dataset", "item_id"])
    ratio = table["forecast_per_week"] / table["recent_per_week"].where(table["recent_per_week"] > 0)
    table["signal"] = np.select([table["recent_per_week"] == 0, ratio > 1.25, ratio < 0.8], SIGNALS[:3], SIGNALS[3])
    return table


@dataclass
class DemandPlan:
    """``plan_demand``'s result: ``planner`` (``planner_table`` of every dataset), ``history`` (the weekly
    demand it was planned from), ``replenishment``
    (``replenishment_table`` of every dataset, with ``dataset``), ``reports`` (dataset -> ``backtest`` report,
    for the datasets long enough to backtest, plus ``plan_replenishment``'s report keys where the history allows the
    inventory replay), ``origins`` (dataset -> number of backtest origins, 0 where none) and ``seconds`` (dataset
    -> wall seconds of its backtest, forecasts and replay) and ``stock_paths`` (dataset -> the system policy's
    replayed stock, as ``plan_replenishment``'s)."""

    planner: pd.DataFrame
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    replenishment: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["dataset"]))
    stock_paths: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, dict] = field(default_factory=dict)
    origins: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def plan_demand(
    weekly: pd.DataFrame,
    *,
    items: pd.DataFrame | None = None,
    similarity: pd.DataFrame | None = None,
    horizon: int = 4,
    n_origins: int = 4,
    step: int = 4,
    level: int = LEVEL,
    stock: dict[str, StockSettings] | None = None,
    category_stock: dict[str, StockSettings] | None = None,
    progress: Callable[[str], None] = lambda message: None,
    workers: int = 1,
) -> DemandPlan:
    """Per dataset of ``weekly``: the planner table and, where the history allows (``backtest_origins``), the
    rolling-origin backtest with up to ``n_origins`` origins ``step`` weeks apart; the replenishment plan with
    ``stock`` (dataset -> its settings, "" for the others; default ``StockSettings()``) and, where the history
    allows, the inventory replay of the backtest weeks (``plan_replenishment``). ``category_stock`` (category ->
    settings) overrides the dataset's settings for the items of a category (of ``items``): they are planned from
    their own replay, tuned with their settings (the report's replay keeps the dataset's settings for every item).
    ``progress`` hears what each dataset got. With ``workers`` of 2 or more, the datasets large enough to repay a
    process (``PROCESS_MIN_ITEMS``) are planned in that many worker processes, stage by stage (``STAGES``); the plan
    is the same.

    ``items`` (``dataset, item_id, category``: the cleaned items) and ``similarity`` (``dataset, item_id,
    neighbour_id, score``: content neighbours) are what young items borrow from; None or empty for nothing.
    """
    workers = check_positive_int(workers, "workers")
    categories = items[["dataset", "item_id", "category"]] if items is not None and len(items) else None
    neighbours = None
    if similarity is not None and len(similarity):
        neighbours = similarity.rename(columns={"score": "similarity"})
        neighbours = neighbours[["dataset", "item_id", "neighbour_id", "similarity"]]
    plan = DemandPlan(planner=pd.DataFrame(columns=["dataset"]))
    stock = {"": StockSettings()} | (stock or {})
    plan.history = weekly
    parts = dict(tuple(weekly.groupby("dataset"))) if len(weekly) else {}
    for part in parts.values():
        check_weekly(part)
    jobs = {
        dataset: (
            dataset,
            part,
            for_dataset(categories, dataset),
            for_dataset(neighbours, dataset),
            _PlanSettings(horizon, n_origins, step, level, stock.get(dataset, stock[""]), category_stock or {}),
        )
        for dataset, part in parts.items()
    }
    planned = {}
    for dataset, dataset_plan in _each_dataset(jobs, workers):
        for message in dataset_plan.messages:
            progress(message)
        planned[dataset] = dataset_plan
    for dataset in parts:
        dataset_plan = planned[dataset]
        plan.origins[dataset], plan.stock_paths[dataset] = dataset_plan.origins, dataset_plan.stock_path
        if dataset_plan.report is not None:
            plan.reports[dataset] = dataset_plan.report
        plan.seconds[dataset] = dataset_plan.seconds
    if planned:
        plan.planner = pd.concat([planned[dataset].forecasts for dataset in parts], ignore_index=True)
        plan.replenishment = pd.concat([planned[dataset].orders for dataset in parts], ignore_index=True)
    return plan


@dataclass(frozen=True)
class _PlanSettings:
    """``plan_demand``'s settings for one dataset: ``stock`` its own, ``category_stock`` the overrides."""

    horizon: int
    n_origins: int
    step: int
    level: int
    stock: StockSettings
    category_stock: dict[str, StockSettings]


@dataclass(frozen=True)
class _DatasetPlan:
    """What ``_plan_dataset`` made of stages of one dataset, to be gathered into the ``DemandPlan`` (picklable, so
    that a worker process can send it back): ``report`` the backtest's figures followed by the replay's, None where
    neither stage made any; ``forecasts``, ``orders`` and ``stock_path`` None without the "plan" stage;
    ``messages`` the progress lines it would have said; ``seconds`` spent on it."""

    origins: int
    report: dict | None
    forecasts: pd.DataFrame | None
    orders: pd.DataFrame | None
    stock_path: pd.DataFrame | None
    messages: list[str]
    seconds: float

    def merged(self, plan_stage: _DatasetPlan) -> _DatasetPlan:
        """This "backtest" stage's plan joined with ``plan_stage``, the same dataset's "plan" stage: what
        ``_plan_dataset`` makes of both stages at once."""
        neither = self.report is None and plan_stage.report is None
        report = None if neither else (self.report or {}) | (plan_stage.report or {})
        return _DatasetPlan(
            self.origins,
            report,
            plan_stage.forecasts,
            plan_stage.orders,
            plan_stage.stock_path,
            plan_stage.messages,
            round(self.seconds + plan_stage.seconds, 1),
        )


def _each_dataset(jobs: dict[str, tuple], workers: int):
    """``(dataset, _plan_dataset(*job))`` for each dataset's job, in the order they finish. With ``workers`` of 2 or
    more, each of the ``STAGES`` of a dataset with ``PROCESS_MIN_ITEMS`` items goes to a pool of ``workers``
    processes, the largest datasets' first, while the others are planned here, one after another.

    Processes, because the plan is mostly boosted-tree fits whose Python stretches hold the GIL (two in threads ran
    no faster than one after the other), and each fit keeps about one core busy; a spawned worker costs about 2 s of
    start-up, which only a large dataset repays (``bench/demand_speed.py``). By stages rather than whole datasets,
    so that one large dataset keeps two processes busy, and two of unequal size do not leave one idle at the end."""
    items = {dataset: job[1]["item_id"].nunique() for dataset, job in jobs.items()}
    large = sorted((dataset for dataset in jobs if items[dataset] >= PROCESS_MIN_ITEMS), key=lambda d: -items[d])
    if workers < 2 or not large:
        for dataset, job in jobs.items():
            yield dataset, _plan_dataset(*job)
        return
    from concurrent.futures import as_completed

    with worker_pool(min(workers, len(large) * len(STAGES))) as pool:
        futures = {
            pool.submit(_plan_dataset, *jobs[dataset], (stage,)): (dataset, stage)
            for dataset in large
            for stage in STAGES
        }
        for dataset, job in jobs.items():
            if dataset not in large:
                yield dataset, _plan_dataset(*job)
        stages: dict[str, dict[str, _DatasetPlan]] = {}
        for future in as_completed(futures):
            dataset, stage = futures[future]
            stages.setdefault(dataset, {})[stage] = future.result()
            if len(stages[dataset]) == len(STAGES):
                yield dataset, stages[dataset]["backtest"].merged(stages[dataset]["plan"])


def _plan_dataset(
    dataset: str,
    part: pd.DataFrame,
    categories: pd.DataFrame | None,
    neighbours: pd.DataFrame | None,
    settings: _PlanSettings,
    stages: tuple[str, ...] = STAGES,
) -> _DatasetPlan:
    """One dataset's ``stages`` (of ``STAGES``) of its backtest, forecasts and stock plan (see ``plan_demand``);
    ``categories`` and ``neighbours`` are the dataset's rows of ``plan_demand``'s."""
    started = time.perf_counter()
    horizon, step, level = settings.horizon, settings.step, settings.level
    # One panel for the backtest, the forecasts and the replays, so that its memo serves them all.
    panel = Panel.from_weekly(part)
    prior = NeighbourPrior.build(panel.item_ids, categories, neighbours)
    origins = backtest_origins(part["week"].nunique(), horizon, settings.n_origins, step)
    report = None
    if "backtest" in stages and origins:
        report = backtest_report(part, panel_errors(panel, prior, horizon, origins, step, level), horizon, step, level)
    if "plan" not in stages:
        return _DatasetPlan(origins, report, None, None, None, [], round(time.perf_counter() - started, 1))
    forecasts = _with_signals(_panel_forecasts(dataset, panel, prior, horizon, level), part, SIGNAL_WEEKS)
    overrides = [
        (name, _category_items(categories, dataset, name), value) for name, value in settings.category_stock.items()
    ]
    stock_report, table, stock_path = _plan_stock(panel, horizon, origins, step, settings.stock, overrides)
    messages = [
        f"{dataset}: {members.isin(table['item_id']).sum()} items of {name!r} planned with {own}"
        for name, members, own in overrides
        if members.isin(table["item_id"]).any()
    ]
    if stock_report is not None:
        report = (report or {}) | stock_report
    messages.append(
        f"{dataset}: backtest over {origins} origins, "
        + ("inventory replayed" if stock_report else "too few weeks to replay the stock policies")
        if origins
        else f"{dataset}: too few weeks to backtest; forecasting only"
    )
    orders = table.assign(dataset=dataset)
    return _DatasetPlan(
        origins, report, forecasts, orders, stock_path, messages, round(time.perf_counter() - started, 1)
    )


def _plan_stock(
    panel: Panel, horizon: int, n_origins: int, step: int, settings: StockSettings, overrides: list
) -> tuple[dict | None, pd.DataFrame, pd.DataFrame]:
    """``plan_replenishment`` with ``settings``; then, per ``(category, item ids, settings)`` of ``overrides`` that
    holds any planned item, those items' rows (of the table and the stock path) from a plan made with their own
    settings."""
    report, table, path = plan_replenishment(panel, horizon, n_origins, step, settings, MIN_TRAINING_WEEKS)
    for _, members, own_settings in overrides:
        if members.isin(table["item_id"]).any():
            _, own_table, own_path = plan_replenishment(
                panel, horizon, n_origins, step, own_settings, MIN_TRAINING_WEEKS
            )
            table, path = _take_items(table, own_table, members), _take_items(path, own_path, members)
    return report, table, path


def _take_items(frame: pd.DataFrame, other: pd.DataFrame, members: pd.Series) -> pd.DataFrame:
    """``frame`` with the rows of the items ``members`` taken from ``other`` instead."""
    return pd.concat([frame[~frame["item_id"].isin(members)], other[other["item_id"].isin(members)]])


def backtest_origins(n_weeks: int, horizon: int, n_origins: int, step: int) -> int:
    """How many of ``n_origins`` backtest origins ``step`` weeks apart a history of ``n_weeks`` weeks allows
    while the first origin keeps ``MIN_TRAINING_WEEKS`` weeks before it and the last ``horizon`` after it
    (0: too short to backtest)."""
    return max(min(n_origins, (n_weeks - horizon - MIN_TRAINING_WEEKS) // step + 1), 0)


def _category_items(categories: pd.DataFrame | None, dataset: str, category: str) -> pd.Series:
    """The item ids (str) of ``dataset`` in ``category`` according to ``categories`` (empty without it)."""
    if categories is None:
        return pd.Series([], dtype=str)
    chosen = categories[(categories["dataset"] == dataset) & (categories["category"] == category)]
    return chosen["item_id"].astype(str)
