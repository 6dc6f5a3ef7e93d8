"""The forecasting models, as small fit/predict estimators over a ``History`` (the weeks before an origin).

Every model: ``fit(history)`` returns the model, ``predict(horizon)`` the (n, horizon) forecast in units a week of
the weeks after the history, one row per history row.

The system, ``GlobalGBM`` ("global_gbm"), borrows strength across all items with one global model, as the winners
of the M5 competition did: gradient-boosted trees (scikit-learn's HistGradientBoostingRegressor) fitted on every
item's history. Training examples are (item, cut point) pairs at the last ``N_CUTS`` cut points ``horizon``,
``horizon + CUT_STEP_WEEKS``, ... weeks before the origin, so that every target week lies before it; the features
are taken from the weeks before the cut (recent and lifetime means, age, weeks since the last sale, share of
weeks with demand, non-zero sizes, ADI, CV^2, the shop's recent trend) and the target is the mean weekly demand
over the ``horizon`` weeks after the cut, both divided by the item's RMSSE scale at the cut (root mean squared
one-step change; the mean weekly demand for single-week or constant series), so that one model serves items whose
sizes differ by orders of magnitude. The trees predict the ``GBM_QUANTILE`` quantile of the scaled target, not its
mean: the metric averages per-item RMSSE, which is closer to an absolute than to a squared loss, and many items
decay or stop selling after their launch while a few bulk orders dominate the squared loss (squared loss on the
scaled target scored far worse on the tuning origins). The forecast is that prediction times the item's scale,
flat over the horizon, moved towards a borrowed prior for young items (``longtail.demand.borrowing``). Its
quantiles and interval come from ``longtail.demand.quantiles``, which shares the features and training examples.

The baselines (naive, seasonal naive, moving average, TSB, ETS) are statsforecast's models fitted to each series.
Every setting here was chosen on origins earlier than the reported ones (``bench/demand_forecasts.py --tune``,
whose docstring says what was tried).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from longtail.demand.borrowing import NeighbourPrior
from longtail.demand.classes import classify
from longtail.demand.series import History
from longtail.validation import check_positive_int

GLOBAL_GBM = "global_gbm"
BASELINES = ("naive", "seasonal_naive", "moving_average", "tsb", "ets")
# The system: training cut points every CUT_STEP_WEEKS weeks, the latest N_CUTS of them; the quantile of the
# scaled target the boosted trees predict; their settings; the windows (weeks) of the mean-demand features.
CUT_STEP_WEEKS = 4
N_CUTS = 3
GBM_QUANTILE = 0.4
GBM_SETTINGS = {"max_iter": 100, "learning_rate": 0.1, "max_depth": 4, "min_samples_leaf": 50}
MEAN_WEEKS = (1, 2, 4, 8, 13, 26)
# Baselines: the moving average's window and TSB's smoothing, in weeks and per week. Seasonal naive repeats the
# same week of last year when the history holds a full year, else the last SHORT_SEASON_WEEKS weeks (a "monthly"
# cycle): Online Retail's ~53 weeks never leave 52 weeks of training.
MOVING_AVERAGE_WEEKS = 4
TSB_ALPHA = 0.3
SEASON_WEEKS = 52
SHORT_SEASON_WEEKS = 4


class FlatForecaster:
    """Base of the models whose forecast is the same every week: ``rate_`` (n,) units a week after ``fit``."""

    rate_: np.ndarray

    def predict(self, horizon: int) -> np.ndarray:
        """(n, horizon) units a week: the fitted rate, flat."""
        return np.repeat(self.rate_[:, None], check_positive_int(horizon, "horizon"), 1)


class GlobalGBM(FlatForecaster):
    """The system (see the module docstring): one quantile GBM over every item's scaled history, its forecast
    moved towards ``prior`` for young items; ``horizon`` is the number of weeks its training target averages.

    After ``fit(history)`` (n items): ``rate_`` (n,) units a week, ``scale_`` (n,) each item's normalising scale
    in units a week and ``demand_class_`` (n,).
    """

    name = GLOBAL_GBM

    def __init__(self, horizon: int, prior: NeighbourPrior | None = None):
        self.horizon = check_positive_int(horizon, "horizon")
        self.prior = prior

    def fit(self, history: History) -> GlobalGBM:
        classes, features, self.scale_ = features_of(history)
        self.demand_class_ = classes["demand_class"].to_numpy()
        cuts = training_cuts(history.n_weeks, self.horizon, N_CUTS)
        if not cuts:
            # Too few weeks to learn from: the item's mean.
            self.rate_ = history.mean()
            return self
        train, target, _ = training_examples(history, cuts, self.horizon)
        (predicted,) = fit_predict_quantiles(train, target, [GBM_QUANTILE], features)
        predicted = predicted[:, 0]
        rate = np.clip(predicted, 0.0, None) * self.scale_
        self.rate_ = rate if self.prior is None else self.prior.shrink(history, rate)
        return self


def training_cuts(n_weeks: int, window: int, n_cuts: int) -> list[int]:
    """The latest ``n_cuts`` cut points (week indices, newest first) ``window``, ``window + CUT_STEP_WEEKS``, ...
    weeks before the end of a ``n_weeks``-week history, so that every target week lies inside it."""
    return list(range(n_weeks - window, 0, -CUT_STEP_WEEKS))[:n_cuts]


def training_examples(history: History, cuts: list[int], window: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features (``scaled_features``), scaled targets and demand classes of every (item, cut) pair of the items
    that had sold by the cut: the target is the mean weekly units of the ``window`` weeks after the cut divided by
    the item's scale at the cut."""
    features, targets, classes = [], [], []
    for cut in cuts:
        past_classes, cut_features, scale = features_of(history.before(cut))
        features.append(cut_features)
        targets.append(history.units[history.alive[:, cut - 1], cut : cut + window].mean(1) / scale)
        classes.append(past_classes["demand_class"].to_numpy())
    return pd.concat(features, ignore_index=True), np.concatenate(targets), np.concatenate(classes)


def features_of(history: History) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``classify(history)`` and ``scaled_features`` of it, computed once per origin of a panel (``history.memo``)."""
    if history.memo is not None and history.n_weeks in history.memo:
        return history.memo[history.n_weeks]
    classes = classify(history)
    features, scale = scaled_features(history, classes)
    if history.memo is None:
        return classes, features, scale
    # Read-only, so that no reader can change what the next one gets.
    scale.setflags(write=False)
    history.memo[history.n_weeks] = classes, features, scale
    return history.memo[history.n_weeks]


def fit_predict_quantiles(
    train: pd.DataFrame, target: np.ndarray, quantiles, *features: pd.DataFrame
) -> tuple[np.ndarray, ...]:
    """One boosted-tree model (``GBM_SETTINGS``) per distinct quantile in ``quantiles`` (m,) fitted on ``train`` and
    ``target``; returns, per frame of ``features``, its (rows, m) predictions. A quantile given twice (the 80%
    interval's upper tail is the 0.9 level) is fitted once: the same data, quantile and seed give the same model."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    predicted = {}
    # One OpenMP thread: on a shared CPU the busy-waiting threads made each fit ~15x slower (76 s vs 5 s).
    with threadpool_limits(limits=1, user_api="openmp"):
        for quantile in dict.fromkeys(quantiles):
            model = HistGradientBoostingRegressor(loss="quantile", quantile=quantile, random_state=0, **GBM_SETTINGS)
            model.fit(train, target)
            predicted[quantile] = [model.predict(frame) for frame in features]
    return tuple(np.column_stack([predicted[quantile][i] for quantile in quantiles]) for i in range(len(features)))


def scaled_features(history: History, classes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per history row, given its ``classify`` table ``classes``: the GBM's features (a frame of n rows: recent
    and lifetime mean demand, age, weeks since the last sale, share of weeks with demand, non-zero sizes, ADI /
    CV^2, the shop's recent trend; unit-valued ones also divided by the scale) and the normalising scale (n,) in
    units a week: the RMSSE scale (root mean squared one-step change), else the item's mean weekly demand for
    single-week or constant series."""
    units = history.units
    n_rows, n_weeks = units.shape
    age = history.age()
    demand = units > 0
    since_last = np.argmax(demand[:, ::-1], axis=1)
    sizes = np.where(demand, units, np.nan)
    columns = {f"mean_{weeks}": units[:, -weeks:].sum(1) / np.minimum(weeks, age) for weeks in MEAN_WEEKS}
    columns |= {
        "mean_all": units.sum(1) / age,
        "median_size": history.median_size(),
        "mean_size": np.nanmean(sizes, axis=1),
        "max_size": np.nanmax(sizes, axis=1),
        "last_size": units[np.arange(n_rows), n_weeks - 1 - since_last],
        "first_size": units[np.arange(n_rows), n_weeks - age],
    }
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
    scale = np.where(squared_scale > 0, np.sqrt(squared_scale), history.mean())
    scaled = {f"{name}_scaled": values / scale for name, values in columns.items()}
    return pd.DataFrame(columns | other | scaled | {"scale": scale}), scale


class Naive(FlatForecaster):
    """The last week's units."""

    name = "naive"

    def fit(self, history: History) -> Naive:
        self.rate_ = history.units[:, -1]
        return self


class SeasonalNaive:
    """The units of the same week one season (``season_weeks``) earlier; the last week's units where the item
    had not sold yet one season before the forecast week."""

    name = "seasonal_naive"

    def fit(self, history: History) -> SeasonalNaive:
        self.history_ = history
        return self

    def predict(self, horizon: int) -> np.ndarray:
        """(n, horizon) units a week."""
        history = self.history_
        season = season_weeks(history.n_weeks)
        weeks = history.n_weeks - season + np.arange(check_positive_int(horizon, "horizon")) % season
        known = (weeks >= 0)[None, :] & history.alive[:, np.maximum(weeks, 0)]
        return np.where(known, history.units[:, np.maximum(weeks, 0)], history.units[:, -1:])


class MovingAverage(FlatForecaster):
    """The mean of the last ``MOVING_AVERAGE_WEEKS`` weeks; the mean of all weeks for items younger than that."""

    name = "moving_average"

    def fit(self, history: History) -> MovingAverage:
        recent = history.units[:, -MOVING_AVERAGE_WEEKS:].mean(1)
        self.rate_ = np.where(history.age() >= MOVING_AVERAGE_WEEKS, recent, history.mean())
        return self


class TSB(FlatForecaster):
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed non-zero size (``TSB_ALPHA`` each)."""

    name = "tsb"

    def fit(self, history: History) -> TSB:
        self.rate_, _ = tsb_forecast(history)
        return self


def tsb_forecast(history: History) -> tuple[np.ndarray, np.ndarray]:
    """statsforecast's TSB (``alpha_d = alpha_p = TSB_ALPHA``) of every series of ``history`` (its weeks from the
    first sale on) at once: the (n,) next-week forecast and the (n, n_weeks) one-step in-sample fitted values (NaN up
    to and including each series' first week); the same numbers as ``TSB(...).forecast(y=series, h=1, fitted=True)``
    series by series, without a Python loop over the items at every origin of the backtest and the replays.

    Both parts are simple exponential smoothing in statsforecast's order of operations: of the occurrence (1 in a
    week with demand), one step a week, and of the sizes of the weeks with demand, one step each; each starts at its
    first value, which is also the forecast of a single value. One step a week over the items begun by then."""
    n_items, n_weeks = history.units.shape
    sold = (history.units > 0) & history.alive
    sales = sold.sum(1)
    first_sale = np.where(sales > 0, sold.argmax(1), n_weeks)
    start = n_weeks - history.age()
    # Items in order of their first week, so that those begun by a week are a leading block; weeks as rows.
    order = np.argsort(start, kind="stable")
    start, sales, first_sale = start[order], sales[order], first_sale[order]
    units = np.ascontiguousarray(history.units[order].T)
    occurred = (units != 0).astype(float)
    begun = np.searchsorted(start, np.arange(n_weeks + 1))
    items = np.arange(n_items)
    occurrence, size = occurred[start, items], units[np.minimum(first_sale, n_weeks - 1), items]
    complement = 1.0 - TSB_ALPHA
    fitted = np.full((n_weeks, n_items), np.nan)
    for week in range(1, n_weeks + 1):
        # Week n_weeks is the forecast's step, where a one-week series keeps its first value (``begun[week - 1]``).
        n = begun[min(week, n_weeks - 1)]
        last = units[week - 1, :n]
        occurrence[:n] = TSB_ALPHA * occurred[week - 1, :n] + complement * occurrence[:n]
        # A single sale's size is its own forecast.
        grows = (last > 0) & (sales[:n] > 1)
        size[:n] = np.where(grows, TSB_ALPHA * last + complement * size[:n], size[:n])
        if week < n_weeks:
            fitted[week, :n] = occurrence[:n] * np.where(first_sale[:n] < week, size[:n], last)
    rate, in_sample = np.empty(n_items), np.empty((n_items, n_weeks))
    rate[order] = np.where(sales == 0, 0.0, occurrence * size)
    in_sample[order] = fitted.T
    return rate, in_sample


class ETS(FlatForecaster):
    """Simple exponential smoothing, each series' smoothing weight optimised in-sample."""

    name = "ets"

    def fit(self, history: History) -> ETS:
        from statsforecast.models import SimpleExponentialSmoothingOptimized

        self.rate_ = statsforecast_rate(history, SimpleExponentialSmoothingOptimized())
        return self


def statsforecast_rate(history: History, model) -> np.ndarray:
    """(n,) next-week forecast of statsforecast's flat-forecast ``model`` fitted to each series on its own (its
    weeks from the first sale on). One call per series: StatsForecast's long-frame machinery cost more than
    the models."""
    with warnings.catch_warnings():
        # statsforecast warns about very short series; their forecasts are still defined.
        warnings.simplefilter("ignore")
        return np.array(
            [model.forecast(y=units[alive], h=1)["mean"][0] for units, alive in zip(history.units, history.alive)]
        )


def baseline_models() -> list:
    """One unfitted estimator per name of ``BASELINES``, in that order."""
    return [Naive(), SeasonalNaive(), MovingAverage(), TSB(), ETS()]


def season_weeks(n_weeks: int) -> int:
    """The seasonal naive's season, in weeks, for a history of ``n_weeks`` weeks."""
    return SEASON_WEEKS if n_weeks >= SEASON_WEEKS else SHORT_SEASON_WEEKS
