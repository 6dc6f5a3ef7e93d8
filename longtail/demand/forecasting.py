"""Weekly demand per item, Syntetos-Boylan demand classes, class-aware forecasts that borrow strength from
similar items, a rolling-origin backtest against baselines and a planner table.

Conventions (decided here, used everywhere below):

- **Demand.** Per dataset: when it has purchase events, demand is their ``quantity`` in units (a missing
  quantity counts as one unit; non-positive quantities, i.e. returns, are left out); a dataset without
  purchases counts every event as one unit (ratings and reviews as a proxy of sales). Events without ``ts``
  are left out.
- **Weeks.** UTC calendar weeks starting on ``week_start`` (Monday by default), labelled by their first day
  (tz-naive midnight). A dataset's final week is kept only when its last event falls on the week's last day,
  so a week cut short by the end of the export (Online Retail II ends on Thursday 2010-12-09) is dropped;
  the first week is kept even if the data starts mid-week.
- **Zero fill.** An item's series runs from the week of its first sale to the dataset's last complete week,
  with zeros in weeks without sales. Weeks before the first sale are not zero demand: the item was not on
  sale yet, and counting them would inflate ADI and pull the rate towards zero for every new product.
  Weeks in which the whole shop sold nothing (Online Retail's Christmas closure) stay zeros.
- **Classes** (Syntetos, Boylan and Croston 2005): ADI = weeks in the series / weeks with demand, CV^2 =
  squared coefficient of variation of the non-zero weekly demands (population variance, so an item with a
  single sale has CV^2 = 0); smooth (ADI < 1.32, CV^2 < 0.49), erratic (ADI < 1.32), intermittent
  (CV^2 < 0.49), lumpy (otherwise).

The system ("global_gbm") borrows strength across all items with one global model, as the winners of the
M5 competition did: at each origin, gradient-boosted trees (scikit-learn's HistGradientBoostingRegressor)
are fitted on every item's history before that origin. Training examples are (item, cut point) pairs at
the last ``N_CUTS`` cut points ``horizon``, ``horizon + CUT_STEP_WEEKS``, ... weeks before the origin, so
that every target week lies before it; the features are taken from the weeks before the cut (recent and
lifetime means, age, weeks since the last sale, share of weeks with demand, non-zero sizes, ADI, CV^2, the
shop's recent trend) and the target is the mean weekly demand over the ``horizon`` weeks after the cut,
both divided by the item's RMSSE scale at the cut (root mean squared one-step change; the mean weekly
demand for single-week or constant series), so that one model serves items whose sizes differ by orders
of magnitude. The trees predict the ``GBM_QUANTILE`` quantile of the scaled target, not its mean: the
metric averages per-item RMSSE, which is closer to an absolute than to a squared loss, and many items decay
or stop selling after their launch while a few bulk orders dominate the squared loss (squared loss on the
scaled target scored far worse on the tuning origins). The forecast is that prediction times the item's
scale, flat over the horizon. Category and neighbour tables then move young items toward what they
borrow from: the similarity-weighted recent occurrence share of the item's neighbours (else its
category's) times its median non-zero size, with that prior worth ``PRIOR_WEEKS`` weeks of history.
The interval of the horizon total adds the 10% / 90% (for 80%) quantiles of the training examples' scaled
residuals, per demand class, to the forecast.

What was tried, on origins earlier than the reported ones (``bench/demand_forecasts.py --tune``), is written
in that script's docstring. Heavy imports (statsforecast, scikit-learn, scipy) happen inside the functions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from longtail.validation import check_positive_int, require_columns

CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
WEEK_STARTS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKLY_COLUMNS = ["dataset", "item_id", "week", "units"]

SYSTEM = "global_gbm"
BASELINES = ("naive", "seasonal_naive", "moving_average", "tsb", "ets")
# Baseline settings, chosen on the tuning origins like the system's (bench/demand_forecasts.py --tune).
MOVING_AVERAGE_WEEKS = 4
TSB_ALPHA = 0.3
# Seasonal naive repeats the same week of last year when the training window holds a full year, else the
# last SHORT_SEASON weeks (a "monthly" cycle): Online Retail's ~53 weeks never leave 52 weeks of training.
SEASON_WEEKS = 52
SHORT_SEASON_WEEKS = 4
# The system, chosen on the tuning origins: training cut points every CUT_STEP_WEEKS weeks, the latest
# N_CUTS of them; the quantile of the scaled target the boosted trees predict; their settings; the mean
# windows of the features; the weight of the borrowed prior in weeks and the window of its occurrence share.
CUT_STEP_WEEKS = 4
N_CUTS = 3
GBM_QUANTILE = 0.4
GBM_SETTINGS = {"max_iter": 100, "learning_rate": 0.1, "max_depth": 4, "min_samples_leaf": 50}
MEAN_WEEKS = (1, 2, 4, 8, 13, 26)
PRIOR_WEEKS = 1.0
RECENT_WEEKS = 13


def weekly_demand(events: pd.DataFrame, *, week_start: str = "MON") -> pd.DataFrame:
    """Units sold per item and week, zero-filled (see the module docstring for every convention).

    ``events``: cleaned events with ``dataset, item_id, event_type, ts`` (UTC) and optionally ``quantity``.
    Returns ``WEEKLY_COLUMNS``: one row per item and week from the item's first sale to its dataset's last
    complete week; ``week`` is datetime64 (the week's first day), ``units`` float64 >= 0; sorted by dataset,
    item, week.
    """
    require_columns(events, ["dataset", "item_id", "event_type", "ts"], "events")
    if week_start not in WEEK_STARTS:
        raise ValueError(f"week_start must be one of {WEEK_STARTS}, got {week_start!r}")
    events = events[events["ts"].notna()]
    ts = pd.to_datetime(events["ts"], utc=True).dt.tz_convert(None)
    quantity = events["quantity"] if "quantity" in events.columns else pd.Series(np.nan, index=events.index)
    frame = pd.DataFrame(
        {
            "dataset": events["dataset"].astype(str),
            "item_id": events["item_id"].astype(str),
            "purchase": (events["event_type"] == "purchase").to_numpy(),
            "day": ts.dt.normalize(),
            "units": quantity.astype(float).fillna(1.0),
        }
    )
    frame = frame[frame["purchase"] | ~frame.groupby("dataset")["purchase"].transform("any")]
    counted = frame["purchase"] & (frame["units"] > 0)
    frame = frame[counted | ~frame["purchase"]]
    frame.loc[~frame["purchase"], "units"] = 1.0
    week_end = WEEK_STARTS[(WEEK_STARTS.index(week_start) - 1) % 7]
    frame["week"] = frame["day"].dt.to_period(f"W-{week_end}").dt.start_time
    parts = [_zero_filled(dataset, part) for dataset, part in frame.groupby("dataset", sort=True)]
    if not parts:
        return pd.DataFrame({"dataset": [], "item_id": [], "week": pd.Series(dtype="datetime64[ns]"), "units": []})
    return pd.concat(parts, ignore_index=True)


def _zero_filled(dataset: str, frame: pd.DataFrame) -> pd.DataFrame:
    last_day = frame["day"].max()
    last_week = frame["week"].max()
    if last_day < last_week + pd.Timedelta(days=6):
        last_week -= pd.Timedelta(weeks=1)
    sold = frame[frame["week"] <= last_week].groupby(["item_id", "week"], sort=True)["units"].sum()
    if sold.empty:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    first_week = sold.reset_index().groupby("item_id", sort=True)["week"].min()
    lengths = ((last_week - first_week) // pd.Timedelta(weeks=1) + 1).to_numpy()
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.DataFrame(
        {
            "item_id": np.repeat(first_week.index.to_numpy(), lengths),
            "week": np.repeat(first_week.to_numpy(), lengths) + pd.to_timedelta(offsets, unit="W"),
        }
    )
    units = grid.join(sold, on=["item_id", "week"])["units"].fillna(0.0)
    return grid.assign(dataset=dataset, units=units.to_numpy())[WEEKLY_COLUMNS]


def category_demand(weekly: pd.DataFrame, categories: pd.DataFrame) -> pd.DataFrame:
    """Weekly units per category: ``weekly`` (as from ``weekly_demand``) summed over the items of each
    category of ``categories`` (``item_id, category``, optionally ``dataset``). Items without a category are
    left out. Columns ``dataset, category, week, units``."""
    _check_weekly(weekly)
    keys = ["dataset", "item_id"] if "dataset" in categories.columns else ["item_id"]
    labelled = weekly.merge(_categories_frame(categories), on=keys, how="inner")
    summed = labelled.groupby(["dataset", "category", "week"], sort=True)["units"].sum()
    return summed.reset_index()


def classify_demand(weekly: pd.DataFrame) -> pd.DataFrame:
    """ADI, CV^2 and Syntetos-Boylan class of every item of ``weekly`` (as from ``weekly_demand``; leading
    zero weeks are ignored, items that never sold are left out). Columns ``dataset, item_id, n_weeks,
    n_demand_weeks, adi, cv2, demand_class``."""
    _check_weekly(weekly)
    parts = []
    for dataset, part in weekly.groupby("dataset", sort=True):
        panel = _Panel.from_weekly(part)
        classes = _classify(panel.history(panel.n_weeks))
        parts.append(classes.assign(dataset=dataset, item_id=panel.item_ids))
    columns = ["dataset", "item_id", "n_weeks", "n_demand_weeks", "adi", "cv2", "demand_class"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def forecast_items(
    weekly: pd.DataFrame,
    horizon: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: tuple[int, ...] = (80,),
) -> pd.DataFrame:
    """The system's forecast of the ``horizon`` weeks after the last week of ``weekly``, per item.

    ``categories`` (``item_id, category``) and ``neighbours`` (``item_id, neighbour_id, similarity``), each
    optionally with ``dataset``, are what young items borrow from besides the global model.
    Returns one row per item: ``dataset, item_id, demand_class, adi, cv2, forecast_per_week`` (units a week,
    the same every week), ``forecast_total`` (units over the horizon) and, per level L, ``total_lo_L`` and
    ``total_hi_L``: a central L% interval of the horizon total from the quantiles of the global model's
    scaled training residuals of the item's class, widened where needed to contain the forecast.
    ``backtest`` measures its coverage.
    """
    _check_weekly(weekly)
    horizon = check_positive_int(horizon, "horizon")
    levels = _levels(level)
    parts = []
    for dataset, part in weekly.groupby("dataset", sort=True):
        panel = _Panel.from_weekly(part)
        prior = _Prior.build(panel.item_ids, _for_dataset(categories, dataset), _for_dataset(neighbours, dataset))
        history = panel.history(panel.n_weeks)
        forecast = _system_forecast(panel, panel.n_weeks, horizon, prior)
        frame = _classify(history)[["adi", "cv2", "demand_class"]].assign(
            dataset=dataset,
            item_id=panel.item_ids,
            forecast_per_week=forecast.rate,
            forecast_total=forecast.rate * horizon,
        )
        for value in levels:
            frame[f"total_lo_{value}"], frame[f"total_hi_{value}"] = forecast.total_interval(horizon, value)
        parts.append(frame)
    columns = ["dataset", "item_id", "demand_class", "adi", "cv2", "forecast_per_week", "forecast_total"]
    columns += [f"total_{side}_{value}" for value in levels for side in ("lo", "hi")]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def planner_table(
    weekly: pd.DataFrame,
    horizon: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = 80,
    recent_weeks: int = 13,
) -> pd.DataFrame:
    """``forecast_items`` (one ``level``) plus what a planner acts on, the horizon being the lead time.

    There is no stock data, so the signals compare the forecast with the item's own recent sales:

    - ``recent_per_week``: mean weekly units over the item's last ``recent_weeks`` weeks (fewer if younger);
    - ``signal``: "dormant" when it sold nothing in those weeks, else "rising" / "falling" when the weekly
      forecast is above 1.25x / below 0.8x ``recent_per_week``, else "steady";
    - ``plan_units``: units to have available over the horizon, the upper end of the interval rounded up:
      a stock-out over the lead time should happen in about (100 - level) / 2 % of the cases (the coverage
      ``backtest`` measured says how well that holds).
    """
    recent_weeks = check_positive_int(recent_weeks, "recent_weeks")
    table = forecast_items(weekly, horizon, categories=categories, neighbours=neighbours, level=(level,))
    recent_start = weekly.groupby("dataset")["week"].transform("max") - pd.Timedelta(weeks=recent_weeks - 1)
    recent = weekly[weekly["week"] >= recent_start].groupby(["dataset", "item_id"])["units"].mean()
    table = table.join(recent.rename("recent_per_week"), on=["dataset", "item_id"])
    ratio = table["forecast_per_week"] / table["recent_per_week"].where(table["recent_per_week"] > 0)
    table["signal"] = np.select(
        [table["recent_per_week"] == 0, ratio > 1.25, ratio < 0.8], ["dormant", "rising", "falling"], "steady"
    )
    table["plan_units"] = np.ceil(table[f"total_hi_{level}"]).astype(np.int64)
    return table


def backtest_errors(
    weekly: pd.DataFrame,
    horizon: int,
    n_origins: int,
    step: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = 80,
) -> pd.DataFrame:
    """Rolling-origin errors of the system and every baseline on the single dataset of ``weekly``.

    The last origin leaves exactly ``horizon`` weeks to forecast; the others step back ``step`` weeks each.
    At an origin only the weeks before it exist: classes, scales, priors and forecasts all come from them,
    and items whose first sale comes later are not forecast. Scales are the in-sample one-step naive errors
    of those weeks (mean squared for RMSSE, mean absolute for MASE); a series with zero scale (one training
    week, or constant) cannot be scored and is kept with ``excluded`` True and NaN errors.

    Returns one row per origin, item and model: ``origin`` (the first forecast week), ``item_id``,
    ``demand_class`` (at the origin), ``model``, ``rmsse``, ``mase``, ``excluded``, ``forecast_total`` and
    ``actual_total`` (units over the horizon) and, for the system only, ``covered`` (the total fell in its
    ``level`` interval).
    """
    _check_weekly(weekly)
    if weekly["dataset"].nunique() != 1:
        raise ValueError(f"weekly must hold one dataset, got {weekly['dataset'].nunique()}")
    horizon, step = check_positive_int(horizon, "horizon"), check_positive_int(step, "step")
    n_origins = check_positive_int(n_origins, "n_origins")
    panel = _Panel.from_weekly(weekly)
    dataset = weekly["dataset"].iloc[0]
    prior = _Prior.build(panel.item_ids, _for_dataset(categories, dataset), _for_dataset(neighbours, dataset))
    origins = [panel.n_weeks - horizon - step * back for back in reversed(range(n_origins))]
    if origins[0] < 2:
        raise ValueError(
            f"{n_origins} origins {step} weeks apart with horizon {horizon} need more than the {panel.n_weeks} weeks"
        )
    parts = []
    for origin in origins:
        history = panel.history(origin)
        actual = panel.units[history.rows, origin : origin + horizon]
        system = _system_forecast(panel, origin, horizon, prior)
        forecasts = {**_baseline_forecasts(history, horizon), SYSTEM: np.repeat(system.rate[:, None], horizon, 1)}
        lo, hi = system.total_interval(horizon, level)
        actual_total = actual.sum(1)
        squared_scale, absolute_scale = history.naive_scales()
        excluded = squared_scale == 0
        classes = _classify(history)["demand_class"].to_numpy()
        for model, forecast in forecasts.items():
            error = actual - forecast
            with np.errstate(divide="ignore", invalid="ignore"):
                rmsse = np.sqrt((error**2).mean(1) / squared_scale)
                mase = np.abs(error).mean(1) / absolute_scale
            parts.append(
                pd.DataFrame(
                    {
                        "origin": panel.weeks[origin],
                        "item_id": panel.item_ids[history.rows],
                        "demand_class": classes,
                        "model": model,
                        "rmsse": np.where(excluded, np.nan, rmsse),
                        "mase": np.where(excluded, np.nan, mase),
                        "excluded": excluded,
                        "forecast_total": forecast.sum(1),
                        "actual_total": actual_total,
                        "covered": (lo <= actual_total) & (actual_total <= hi) if model == SYSTEM else np.nan,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def backtest(
    weekly: pd.DataFrame,
    horizon: int,
    n_origins: int,
    step: int,
    *,
    categories: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    level: int = 80,
) -> dict:
    """The report (``backtest_report``) of ``backtest_errors`` run with the same arguments."""
    errors = backtest_errors(
        weekly, horizon, n_origins, step, categories=categories, neighbours=neighbours, level=level
    )
    return backtest_report(weekly, errors, horizon, step, level)


def backtest_report(weekly: pd.DataFrame, errors: pd.DataFrame, horizon: int, step: int, level: int = 80) -> dict:
    """``{"dataset", "backtest", "system", "models"}`` from the ``errors`` that ``backtest_errors`` computed
    on ``weekly`` with ``horizon``, ``step`` and ``level``. Each scored (origin, item) pair is one series;
    ``models[name]["rmsse"|"mase"]`` holds the mean over all of them (``"all"``) and per class at the origin
    (``None`` for a class without series). ``backtest`` holds ``origins`` (ISO dates of the first forecast
    weeks), ``horizon``, ``step``, ``n_series`` (scored pairs), ``n_items`` (distinct items among them),
    ``n_excluded`` (zero-scale pairs), ``n_series_per_class``, ``seasonal_naive_weeks`` (the season each
    origin used) and ``interval`` (``level`` and the measured ``coverage`` of the system's interval of the
    horizon total).
    """
    system = errors[errors["model"] == SYSTEM]
    scored = system[~system["excluded"]]
    origins = [pd.Timestamp(origin) for origin in sorted(system["origin"].unique())]
    weeks_before = [(origin - weekly["week"].min()) // pd.Timedelta(weeks=1) for origin in origins]
    return {
        "dataset": str(weekly["dataset"].iloc[0]),
        "backtest": {
            "origins": [origin.date().isoformat() for origin in origins],
            "horizon": horizon,
            "step": step,
            "n_series": len(scored),
            "n_items": int(scored["item_id"].nunique()),
            "n_excluded": int(system["excluded"].sum()),
            "n_series_per_class": {name: int((scored["demand_class"] == name).sum()) for name in CLASSES},
            "seasonal_naive_weeks": [_season_weeks(n_weeks) for n_weeks in weeks_before],
            "interval": {"level": level, "coverage": float(scored["covered"].astype(bool).mean())},
        },
        "system": SYSTEM,
        "models": {
            model: {metric: _class_means(part[~part["excluded"]], metric) for metric in ("rmsse", "mase")}
            for model, part in errors.groupby("model", sort=False)
        },
    }


def _class_means(errors: pd.DataFrame, metric: str) -> dict[str, float | None]:
    means = {"all": float(errors[metric].mean()) if len(errors) else None}
    by_class = errors.groupby("demand_class")[metric].mean()
    return means | {name: float(by_class[name]) if name in by_class.index else None for name in CLASSES}


@dataclass(frozen=True)
class _History:
    """The weeks before an origin of the items that had sold by then.

    ``rows``: (n,) indices into the panel's items; ``units``: (n, origin) float; ``alive``: (n, origin) bool,
    True from the item's first sale on (earlier weeks are not part of its series and are zero in ``units``).
    """

    rows: np.ndarray
    units: np.ndarray
    alive: np.ndarray

    def naive_scales(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean squared and mean absolute one-step change of each series: (n,) each, 0 for one-week series."""
        pairs = self.alive[:, 1:] & self.alive[:, :-1]
        change = np.where(pairs, np.diff(self.units, axis=1), 0.0)
        n_pairs = np.maximum(pairs.sum(1), 1)
        return (change**2).sum(1) / n_pairs, np.abs(change).sum(1) / n_pairs

    def long_frame(self, values: np.ndarray) -> pd.DataFrame:
        """``values`` (n, origin) as statsforecast's long frame (unique_id = row, ds = week index, y)."""
        row, week = np.nonzero(self.alive)
        return pd.DataFrame({"unique_id": row, "ds": week, "y": values[row, week]})


@dataclass(frozen=True)
class _Panel:
    """One dataset's weekly series as a matrix: ``units`` (n_items, n_weeks) float, zero before ``start``
    (n_items,) int, the index of each item's first sale; ``weeks`` (n_weeks,) datetime64."""

    item_ids: np.ndarray
    weeks: pd.DatetimeIndex
    units: np.ndarray
    start: np.ndarray

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    @classmethod
    def from_weekly(cls, weekly: pd.DataFrame) -> _Panel:
        weeks = pd.date_range(weekly["week"].min(), weekly["week"].max(), freq="7D")
        if not weekly["week"].isin(weeks).all():
            raise ValueError("weekly['week'] must lie on one grid of 7-day steps")
        wide = weekly.pivot_table(index="item_id", columns="week", values="units", aggfunc="sum", fill_value=0.0)
        wide = wide.reindex(columns=weeks, fill_value=0.0)
        units = wide.to_numpy(dtype=float)
        sold = (units > 0).any(1)
        units = units[sold]
        return cls(wide.index.to_numpy()[sold].astype(str), weeks, units, (units > 0).argmax(1))

    def history(self, origin: int) -> _History:
        rows = np.nonzero(self.start < origin)[0]
        alive = np.arange(origin)[None, :] >= self.start[rows, None]
        return _History(rows, np.where(alive, self.units[rows, :origin], 0.0), alive)


def _classify(history: _History) -> pd.DataFrame:
    """ADI, CV^2 and class of each history row (see the module docstring)."""
    n_weeks = history.alive.sum(1)
    demand = history.units > 0
    n_demand = demand.sum(1)
    sizes = np.where(demand, history.units, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cv2 = np.nanvar(sizes, axis=1) / np.nanmean(sizes, axis=1) ** 2
    adi = n_weeks / n_demand
    frequent, steady = adi < ADI_CUTOFF, cv2 < CV2_CUTOFF
    demand_class = np.select([frequent & steady, frequent, steady], CLASSES[:3], CLASSES[3])
    return pd.DataFrame(
        {"n_weeks": n_weeks, "n_demand_weeks": n_demand, "adi": adi, "cv2": cv2, "demand_class": demand_class}
    )


@dataclass(frozen=True)
class _Prior:
    """Where each panel item borrows from: ``neighbours`` (n_items, n_items) sparse, non-negative similarity
    to other panel items, or None; ``category`` (n_items,) int codes (-1: none), or None."""

    neighbours: object
    category: np.ndarray | None

    @classmethod
    def build(cls, item_ids: np.ndarray, categories: pd.DataFrame | None, neighbours: pd.DataFrame | None) -> _Prior:
        import scipy.sparse as sp

        index = pd.Index(item_ids)
        similarity = None
        if neighbours is not None:
            require_columns(neighbours, ["item_id", "neighbour_id", "similarity"], "neighbours")
            rows = index.get_indexer(neighbours["item_id"].astype(str))
            cols = index.get_indexer(neighbours["neighbour_id"].astype(str))
            weights = neighbours["similarity"].to_numpy(dtype=float).clip(min=0.0)
            keep = (rows >= 0) & (cols >= 0) & (rows != cols) & (weights > 0)
            shape = (len(index), len(index))
            similarity = sp.csr_matrix((weights[keep], (rows[keep], cols[keep])), shape=shape)
        codes = None
        if categories is not None:
            labels = _categories_frame(categories).drop_duplicates("item_id").set_index("item_id")["category"]
            codes = pd.factorize(labels.reindex(index))[0]
        return cls(similarity, codes)

    def probability(self, rows: np.ndarray, probability: np.ndarray) -> np.ndarray:
        """The prior demand probability of each history row (NaN where there is nothing to borrow from):
        the similarity-weighted mean over its neighbours among ``rows``, else the mean over the other items
        of its category among ``rows``."""
        prior = np.full(len(rows), np.nan)
        if self.category is not None:
            codes = self.category[rows]
            labelled = codes >= 0
            totals = np.bincount(codes[labelled], weights=probability[labelled], minlength=codes.max() + 1)
            counts = np.bincount(codes[labelled], minlength=codes.max() + 1)
            others = counts[codes[labelled]] - 1
            prior[labelled] = np.where(
                others > 0, (totals[codes[labelled]] - probability[labelled]) / np.maximum(others, 1), np.nan
            )
        if self.neighbours is not None:
            similarity = self.neighbours[rows][:, rows]
            weight = np.asarray(similarity.sum(1)).ravel()
            borrowed = (similarity @ probability) / np.where(weight > 0, weight, 1.0)
            prior = np.where(weight > 0, borrowed, prior)
        return prior


@dataclass(frozen=True)
class _Forecast:
    """The system's weekly ``rate`` (n,) and what its interval needs: each item's normalising ``scale`` (n,),
    its demand class (n,), and the scaled in-sample residuals (target - fit) of the training examples with
    their classes (m,) each."""

    rate: np.ndarray
    scale: np.ndarray
    demand_class: np.ndarray
    residuals: np.ndarray
    residual_class: np.ndarray

    def total_interval(self, horizon: int, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` % interval of the units over ``horizon`` weeks: the weekly rate plus the
        ``(100 - level) / 2`` and ``(100 + level) / 2`` % quantiles of the training residuals of the item's
        class (all residuals for a class without training examples), times its scale and the horizon,
        clipped at 0 and widened to contain the mean."""
        tail = (1 - level / 100) / 2
        lo_shift, hi_shift = np.zeros(len(self.rate)), np.zeros(len(self.rate))
        for name in np.unique(self.demand_class):
            residuals = self.residuals[self.residual_class == name]
            residuals = residuals if len(residuals) else self.residuals
            if len(residuals):
                members = self.demand_class == name
                lo_shift[members], hi_shift[members] = np.quantile(residuals, [tail, 1 - tail])
        mean = horizon * self.rate
        lo = np.maximum(mean + horizon * self.scale * lo_shift, 0.0)
        hi = mean + horizon * self.scale * hi_shift
        return np.minimum(lo, mean), np.maximum(hi, mean)


def _system_forecast(panel: _Panel, origin: int, horizon: int, prior: _Prior) -> _Forecast:
    """The system's forecast, at week index ``origin``, of each item of ``panel.history(origin)`` (see the
    module docstring). Training examples come from cut points ``horizon``, ``horizon + CUT_STEP_WEEKS``, ...
    weeks before the origin, so every training target lies before it."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    cuts = [cut for cut in range(origin - horizon, 0, -CUT_STEP_WEEKS)][:N_CUTS]
    features, targets, classes = [], [], []
    for cut in cuts:
        history = panel.history(cut)
        cut_features, scale = _features(history)
        features.append(cut_features)
        targets.append(panel.units[history.rows, cut : cut + horizon].mean(1) / scale)
        classes.append(_classify(history)["demand_class"].to_numpy())
    history = panel.history(origin)
    origin_features, scale = _features(history)
    demand_class = _classify(history)["demand_class"].to_numpy()
    if not cuts:
        # Too few weeks to learn from: the item's mean, and no interval beyond it.
        rate = _history_mean(history)
        return _Forecast(rate, scale, demand_class, np.zeros(0), np.zeros(0, dtype=str))
    train, target = pd.concat(features, ignore_index=True), np.concatenate(targets)
    # One OpenMP thread: on a shared CPU the busy-waiting threads made each fit ~15x slower (76 s vs 5 s).
    with threadpool_limits(limits=1, user_api="openmp"):
        model = HistGradientBoostingRegressor(loss="quantile", quantile=GBM_QUANTILE, random_state=0, **GBM_SETTINGS)
        model.fit(train, target)
        fitted, predicted = model.predict(train), model.predict(origin_features)
    rate = np.clip(predicted, 0.0, None) * scale
    occurrence = np.where(history.alive[:, -RECENT_WEEKS:], history.units[:, -RECENT_WEEKS:] > 0, np.nan)
    borrowed = prior.probability(history.rows, np.nanmean(occurrence, axis=1))
    sizes = np.where(history.units > 0, history.units, np.nan)
    age = history.alive.sum(1)
    own_weight = np.where(np.isnan(borrowed), 1.0, age / (age + PRIOR_WEEKS))
    rate = own_weight * rate + (1 - own_weight) * np.nan_to_num(borrowed) * np.nanmedian(sizes, axis=1)
    residuals = target - np.clip(fitted, 0.0, None)
    return _Forecast(rate, scale, demand_class, residuals, np.concatenate(classes))


def _features(history: _History) -> tuple[pd.DataFrame, np.ndarray]:
    """Per history row: the model's features (a frame of n rows: recent and lifetime mean demand, age,
    weeks since the last sale, share of weeks with demand, non-zero sizes, ADI / CV^2, the shop's recent
    trend; unit-valued ones also divided by the scale) and the normalising scale (n,): the RMSSE scale (root
    mean squared one-step change), else the item's mean weekly demand for single-week or constant series."""
    units, alive = history.units, history.alive
    n_rows, n_weeks = units.shape
    age = alive.sum(1)
    demand = units > 0
    since_last = np.argmax(demand[:, ::-1], axis=1)
    sizes = np.where(demand, units, np.nan)
    columns = {f"mean_{weeks}": units[:, -weeks:].sum(1) / np.minimum(weeks, age) for weeks in MEAN_WEEKS}
    columns |= {
        "mean_all": units.sum(1) / age,
        "median_size": np.nanmedian(sizes, axis=1),
        "mean_size": np.nanmean(sizes, axis=1),
        "max_size": np.nanmax(sizes, axis=1),
        "last_size": units[np.arange(n_rows), n_weeks - 1 - since_last],
        "first_size": units[np.arange(n_rows), n_weeks - age],
    }
    classes = _classify(history)
    shop = units.sum(0)
    other = {
        "since_last": since_last,
        "age": age,
        "share_demand": demand.sum(1) / age,
        "share_demand_4": demand[:, -4:].sum(1) / np.minimum(4, age),
        "share_demand_13": demand[:, -13:].sum(1) / np.minimum(13, age),
        "adi": classes["adi"].to_numpy(),
        "cv2": classes["cv2"].to_numpy(),
        "shop_trend": np.full(n_rows, shop[-4:].mean() / max(shop[-13:].mean(), 1e-9)),
    }
    squared_scale, _ = history.naive_scales()
    scale = np.where(squared_scale > 0, np.sqrt(squared_scale), _history_mean(history))
    scaled = {f"{name}_scaled": values / scale for name, values in columns.items()}
    return pd.DataFrame(columns | other | scaled | {"scale": scale}), scale


def _baseline_forecasts(history: _History, horizon: int) -> dict[str, np.ndarray]:
    """(n, horizon) forecasts of each baseline. Seasonal naive falls back to naive for items younger than
    its season, and the moving average to the mean of all weeks for items younger than its window."""
    from statsforecast.models import (
        TSB,
        Naive,
        SeasonalNaive,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    season = _season_weeks(history.units.shape[1])
    models = {
        "naive": Naive(),
        "seasonal_naive": SeasonalNaive(season_length=season),
        "moving_average": WindowAverage(window_size=MOVING_AVERAGE_WEEKS),
        "tsb": TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA),
        "ets": SimpleExponentialSmoothingOptimized(),
    }
    paths = _statsforecast(history, {name: (history.units, model) for name, model in models.items()}, horizon)
    paths["seasonal_naive"] = np.where(np.isnan(paths["seasonal_naive"]), paths["naive"], paths["seasonal_naive"])
    mean = np.repeat(_history_mean(history)[:, None], horizon, 1)
    paths["moving_average"] = np.where(np.isnan(paths["moving_average"]), mean, paths["moving_average"])
    return paths


def _season_weeks(n_weeks: int) -> int:
    return SEASON_WEEKS if n_weeks >= SEASON_WEEKS else SHORT_SEASON_WEEKS


def _history_mean(history: _History) -> np.ndarray:
    return history.units.sum(1) / history.alive.sum(1)


def _statsforecast(history: _History, models: dict, horizon: int = 1) -> dict[str, np.ndarray]:
    """Forecast every history row with each ``name: (values, model)`` of ``models`` (values (n, origin)):
    ``name: (n,)`` one-step forecasts when ``horizon`` is 1, else ``(n, horizon)`` paths."""
    from statsforecast import StatsForecast

    out = {}
    with warnings.catch_warnings():
        # statsforecast warns about series shorter than a model's window; those forecasts are NaN and handled.
        warnings.simplefilter("ignore")
        for name, (values, model) in models.items():
            frame = history.long_frame(values)
            result = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=frame, h=horizon)
            column = [c for c in result.columns if c not in ("unique_id", "ds")][0]
            result = result.sort_values(["unique_id", "ds"])
            paths = result[column].to_numpy(dtype=float).reshape(len(history.rows), horizon)
            out[name] = paths[:, 0] if horizon == 1 else paths
    return out


def _check_weekly(weekly: pd.DataFrame) -> None:
    require_columns(weekly, WEEKLY_COLUMNS, "weekly")
    if (weekly["units"] < 0).any():
        raise ValueError("weekly['units'] must be >= 0")


def _categories_frame(categories: pd.DataFrame) -> pd.DataFrame:
    require_columns(categories, ["item_id", "category"], "categories")
    frame = categories.dropna(subset=["category"])
    return frame.assign(item_id=frame["item_id"].astype(str))


def _for_dataset(frame: pd.DataFrame | None, dataset: str) -> pd.DataFrame | None:
    if frame is None or "dataset" not in frame.columns:
        return frame
    return frame[frame["dataset"] == dataset]


def _levels(level) -> tuple[int, ...]:
    levels = tuple(level)
    if not levels or any(not 0 < value < 100 for value in levels):
        raise ValueError(f"level must hold percentages strictly between 0 and 100, got {level!r}")
    return levels
