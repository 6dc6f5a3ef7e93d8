"""Quantile forecasts of an item's demand total over the next ``window`` weeks, and the baselines they are judged
against.

Every model: ``fit(history)`` returns the model, with ``quantiles_`` (n, m) the units over the ``window`` weeks
after the history at each of its ``levels`` (m,), non-decreasing along each row, and ``interval_`` (lo, hi), (n,)
each, its central ``interval_level`` % interval of that total (None with ``interval_level`` None: the stock
policies read the quantiles only, and the system then fits no model for the interval).

The system, ``QuantileGBM`` ("global_gbm"), is conformalised quantile regression (Romano, Patterson and Candès
2019) on the global model's features (``longtail.demand.models``): one boosted-tree quantile model per level is
fitted on every item's scaled history at the older training cuts, and the newest cut, whose target weeks end at
the origin, is held out to calibrate it per demand class (split conformal, one calibration per class: Mondrian).
Each level's prediction moves by the matching quantile of the calibration residuals; the interval is the CQR
interval of the ``(100 - level) / 2`` and ``(100 + level) / 2`` % predictions widened (or narrowed) by the
``level`` % quantile of their conformity scores. The interval is calibrated as an interval, not built from the
calibrated quantiles: most intermittent totals are 0, so a calibrated 10% quantile is 0 and [P10, P90] would hold
90% of the outcomes.

Baselines: ``CalibratedTSB`` (TSB's flat forecast plus the same per-class calibration, so that the comparison
isolates the model), statsforecast's conformal intervals (``ConformalIntervals``) around TSB, simple exponential
smoothing and ADIDA (``StatsForecastConformal``), the empirical quantiles of the item's recent window totals
(``EmpiricalQuantiles``) and a moment-matched negative binomial of its recent weeks (``NegativeBinomial``).
"""

from __future__ import annotations

import warnings

import numpy as np

from longtail.demand.models import (
    GLOBAL_GBM,
    TSB_ALPHA,
    features_of,
    fit_predict_quantiles,
    training_cuts,
    training_examples,
    tsb_forecast,
)
from longtail.demand.series import History
from longtail.validation import check_positive_int

LEVELS = (0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
INTERVAL_LEVEL = 80
# Recent weeks the empirical and negative binomial baselines read (half a year; 13 and 52 scored worse on the
# tuning origins, see bench/demand_forecasts.py).
RECENT_WEEKS = 26
# The system's training cuts: every QUANTILE_CUT_STEP_WEEKS weeks, the latest QUANTILE_CUTS of them before the
# held-out cut (chosen on the tuning origins, scaled pinball loss on intermittent / lumpy items: 6 cuts 2 weeks
# apart 2.196 / 0.501; 8 cuts 1 apart 2.165 / 0.495; 12 cuts 1 apart 2.186 / 0.498).
QUANTILE_CUTS = 8
QUANTILE_CUT_STEP_WEEKS = 1
# A class with fewer calibration examples than this is calibrated with every class's.
MIN_CALIBRATION = 30
# statsforecast's conformal windows (its default).
CONFORMAL_WINDOWS = 2


class QuantileModel:
    """What every quantile model shares: ``window`` (weeks of the total), ``levels`` and ``interval_level`` (None:
    no interval)."""

    name: str

    def __init__(self, window: int, levels=LEVELS, interval_level: int | None = INTERVAL_LEVEL):
        self.window = check_positive_int(window, "window")
        self.levels = check_levels(levels)
        self.interval_level = interval_level
        self.interval_tails = () if interval_level is None else interval_tails(interval_level)

    def _calibrated(
        self, predicted: np.ndarray, held_out: np.ndarray, calibrate: Calibration, units: np.ndarray
    ) -> QuantileModel:
        """Store the calibrated quantiles and interval from scaled predictions of the items (n, m + 2) and of the
        held-out examples (k, m + 2), each at ``levels`` then the interval's two tails (without an interval: (n, m)
        and (k, m), at ``levels`` only); ``units`` (n,) turns a scaled value into units of the total."""
        m = len(self.levels)
        quantiles = calibrate.quantiles(predicted[:, :m], held_out[:, :m], self.levels)
        if self.interval_level is None:
            return self._set(quantiles * units[:, None])
        lo, hi = calibrate.interval(predicted[:, m:], held_out[:, m:], self.interval_level)
        return self._set(quantiles * units[:, None], (lo * units, hi * units))

    def _set(self, quantiles: np.ndarray, interval: tuple[np.ndarray, np.ndarray] | None = None) -> QuantileModel:
        """Store ``quantiles`` (n, m) units, clipped at 0 and sorted per row, and the interval: ``interval`` or the
        quantiles at the interval's tail levels (interpolated between the grid's); None without an interval."""
        self.quantiles_ = np.sort(np.clip(quantiles, 0.0, None), axis=1)
        if self.interval_level is None:
            self.interval_ = None
            return self
        if interval is None:
            interval = tuple(
                np.array([np.interp(tail, self.levels, row) for row in self.quantiles_]) for tail in self.interval_tails
            )
        lo, hi = interval
        self.interval_ = (np.clip(lo, 0.0, None), np.maximum(np.clip(hi, 0.0, None), np.clip(lo, 0.0, None)))
        return self


class QuantileGBM(QuantileModel):
    """The system (see the module docstring). After ``fit``: also ``scale_`` (n,) and ``demand_class_`` (n,).

    ``volume_weighted``: the training examples are drawn (with replacement, seeded, as many as there are) with
    probability proportional to their item's scale (units a week per scaled unit), and the calibration's residual
    quantiles weigh each held-out example by its scale, so that the fit weighs units, as a fill rate does, rather
    than items. The stock policy uses it, without an interval; the forecast report does not, because its scaled
    loss weighs every item alike. Drawn rather than weighted: scikit-learn's sample weights gave about the same stock
    on the tuning weeks but made the replay 5.5 times slower (weighted binning and leaves).
    """

    name = GLOBAL_GBM

    def __init__(
        self,
        window: int,
        levels=LEVELS,
        interval_level: int | None = INTERVAL_LEVEL,
        volume_weighted: bool = False,
    ):
        super().__init__(window, levels, interval_level)
        if not isinstance(volume_weighted, bool):
            raise ValueError(f"volume_weighted must be True or False, got {volume_weighted!r}")
        if volume_weighted and interval_level is not None:
            raise ValueError(
                "a volume-weighted model gives stock levels, which read no interval: set interval_level=None"
            )
        self.volume_weighted = volume_weighted

    def fit(self, history: History) -> QuantileGBM:
        classes, features, self.scale_ = features_of(history)
        self.demand_class_ = classes["demand_class"].to_numpy()
        units = self.scale_ * self.window
        # The training targets end where the held-out cut's begin, so that its residuals are out of sample.
        calibration_cut = history.n_weeks - self.window
        cuts = list(range(calibration_cut - self.window, 0, -QUANTILE_CUT_STEP_WEEKS))[:QUANTILE_CUTS]
        if not cuts:
            # Too few weeks to learn and calibrate: the recent windows' own quantiles.
            return self._set(EmpiricalQuantiles(self.window, self.levels, self.interval_level).fit(history).quantiles_)
        train, target, _ = training_examples(history, cuts, self.window)
        if self.volume_weighted:
            drawn = volume_sample(train["scale"].to_numpy())
            train, target = train.iloc[drawn].reset_index(drop=True), target[drawn]
        held_out, held_out_target, held_out_class = training_examples(history, [calibration_cut], self.window)
        tails = np.array(self.interval_tails)
        predicted, calibration = fit_predict_quantiles(
            train, target, np.concatenate([self.levels, tails]), features, held_out
        )
        weights = held_out["scale"].to_numpy() if self.volume_weighted else None
        calibrate = Calibration(held_out_target, held_out_class, self.demand_class_, weights)
        return self._calibrated(predicted, calibration, calibrate, units)


def volume_sample(scale: np.ndarray, seed: int = 0) -> np.ndarray:
    """(k,) row indices, k = len(``scale``), drawn with replacement with probability proportional to ``scale`` (k,)
    (units per scaled unit, >= 0, not all 0): resampling by them weighs each example by its units."""
    scale = np.asarray(scale, dtype=float)
    if scale.ndim != 1 or not len(scale) or not np.isfinite(scale).all() or (scale < 0).any() or scale.sum() <= 0:
        raise ValueError("scale must be a non-empty 1-D array of finite values >= 0, not all 0")
    return np.random.default_rng(seed).choice(len(scale), size=len(scale), p=scale / scale.sum())


class CalibratedTSB(QuantileModel):
    """TSB's flat forecast (``TSB_ALPHA``) calibrated per class exactly as ``QuantileGBM``, on the same held-out
    cut: the calibration's quantiles of the scaled residuals are added to the scaled forecast."""

    name = "tsb_calibrated"

    def fit(self, history: History) -> CalibratedTSB:
        classes, _, scale = features_of(history)
        cuts = training_cuts(history.n_weeks, self.window, 1)
        rate = tsb_forecast(history)[0] / scale
        predicted = np.repeat(rate[:, None], len(self.levels) + len(self.interval_tails), 1)
        if not cuts:
            return self._set(predicted[:, : len(self.levels)] * (scale * self.window)[:, None])
        held_out_features, target, held_out_class = training_examples(history, cuts, self.window)
        past_rate = tsb_forecast(history.before(cuts[0]))[0] / held_out_features["scale"].to_numpy()
        held_out = np.repeat(past_rate[:, None], predicted.shape[1], 1)
        calibrate = Calibration(target, held_out_class, classes["demand_class"].to_numpy())
        return self._calibrated(predicted, held_out, calibrate, scale * self.window)


class Calibration:
    """Split-conformal calibration per demand class from held-out examples: ``target`` (k,) scaled outcomes and
    ``classes`` (k,) their classes; ``item_classes`` (n,) the classes of the items to calibrate; ``weights`` (k,)
    the held-out examples' weights in the quantiles' residual quantiles (None: equal)."""

    def __init__(
        self, target: np.ndarray, classes: np.ndarray, item_classes: np.ndarray, weights: np.ndarray | None = None
    ):
        self.target, self.classes, self.item_classes, self.weights = target, classes, item_classes, weights

    def _groups(self):
        """(items of a class, held-out examples that calibrate them) per class of ``item_classes``."""
        for name in np.unique(self.item_classes):
            examples = self.classes == name
            yield self.item_classes == name, examples if examples.sum() >= MIN_CALIBRATION else slice(None)

    def quantiles(self, predicted: np.ndarray, held_out: np.ndarray, levels: np.ndarray) -> np.ndarray:
        """``predicted`` (n, m) at ``levels`` (m,), each level moved by the level's quantile of the held-out
        residuals (``target`` - ``held_out`` (k, m)) of the item's class, weighted by ``weights`` where given."""
        calibrated = predicted.copy()
        for items, examples in self._groups():
            residuals = self.target[examples, None] - held_out[examples]
            if self.weights is None:
                shift = [np.quantile(residuals[:, j], level) for j, level in enumerate(levels)]
            else:
                weights = self.weights[examples]
                shift = [
                    np.quantile(residuals[:, j], level, method="inverted_cdf", weights=weights)
                    for j, level in enumerate(levels)
                ]
            calibrated[items] += np.array(shift)
        return calibrated

    def interval(self, predicted: np.ndarray, held_out: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``level`` % interval from ``predicted`` (n, 2) lower and upper tail predictions, per class: the
        lower end moved by the lower tail's quantile of the held-out residuals (target - ``held_out[:, 0]``) and
        clipped at 0; then the upper end moved by the smallest shift that covers ``level`` % of the held-out
        targets (with split conformal's finite-sample correction). Ties make this differ from symmetric CQR: a
        held-out target of exactly 0 with a lower end at 0 is covered whatever the upper end, so the upper end
        covers only what the zeros leave (where they alone reach ``level`` %, the interval is [lo, lo])."""
        tail = (1 - level / 100) / 2
        lo, hi = predicted[:, 0].copy(), predicted[:, 1].copy()
        for items, examples in self._groups():
            target = self.target[examples]
            lo_shift = np.quantile(target - held_out[examples, 0], tail)
            held_out_lo = np.clip(held_out[examples, 0] + lo_shift, 0.0, None)
            at_lo = target == held_out_lo
            above = np.sort((target - held_out[examples, 1])[target > held_out_lo])
            needed = int(np.ceil(min((len(target) + 1) * level / 100, len(target)))) - int(at_lo.sum())
            hi_shift = -np.inf if needed <= 0 else above[min(needed, len(above)) - 1] if len(above) else 0.0
            lo[items] = np.clip(lo[items] + lo_shift, 0.0, None)
            hi[items] = np.maximum(hi[items] + hi_shift, lo[items])
        return lo, hi


class StatsForecastConformal(QuantileModel):
    """statsforecast's ``model`` ("tsb", "ses" or "adida") with its conformal intervals (``CONFORMAL_WINDOWS``
    windows of ``window`` weeks) on each weekly series; the total's quantiles are the sums of the weekly ones
    (the comonotone total, which is what adding the weekly bounds of a plan gives). A series too short for the
    windows (statsforecast needs at least two) gets its flat forecast at every level."""

    def __init__(self, model: str, window: int, levels=LEVELS, interval_level: int = INTERVAL_LEVEL):
        super().__init__(window, levels, interval_level)
        if model not in ("tsb", "ses", "adida"):
            raise ValueError(f"model must be 'tsb', 'ses' or 'adida', got {model!r}")
        self.model = model
        self.name = f"{model}_conformal"

    def _estimator(self, n_windows: int | None):
        """The statsforecast model, with conformal intervals over ``n_windows`` windows (None: without)."""
        from statsforecast.models import ADIDA, TSB, SimpleExponentialSmoothingOptimized
        from statsforecast.utils import ConformalIntervals

        intervals = ConformalIntervals(h=self.window, n_windows=n_windows) if n_windows else None
        if self.model == "tsb":
            return TSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA, prediction_intervals=intervals)
        if self.model == "ses":
            return SimpleExponentialSmoothingOptimized(prediction_intervals=intervals)
        return ADIDA(prediction_intervals=intervals)

    def fit(self, history: History) -> StatsForecastConformal:
        keys = [_statsforecast_key(level) for level in self.levels]
        widths = sorted({int(key[3:]) for key in keys if key != "mean"})
        if self.model == "tsb":
            return self._set(self._tsb_totals(history, keys, widths))
        conformal, flat = self._estimator(CONFORMAL_WINDOWS), self._estimator(None)
        rows = []
        with warnings.catch_warnings():
            # statsforecast warns about very short series; their forecasts are still defined.
            warnings.simplefilter("ignore")
            for units, alive in zip(history.units, history.alive):
                series = units[alive]
                if len(series) > CONFORMAL_WINDOWS * self.window:
                    forecast = conformal.forecast(y=series, h=self.window, level=widths)
                else:
                    forecast = flat.forecast(y=series, h=self.window)
                rows.append([forecast.get(key, forecast["mean"]).sum() for key in keys])
        return self._set(np.array(rows).reshape(len(history.units), len(keys)))

    def _tsb_totals(self, history: History, keys: list[str], widths: list[int]) -> np.ndarray:
        """(n, len(keys)) what ``fit``'s loop sums of statsforecast's conformal TSB, for every series at once from
        ``tsb_forecast`` (the same numbers; the loop's per-series calls were most of this model's time): the
        conformity scores are the absolute errors of the forecasts made ``window`` and twice ``window`` weeks before
        the end over the next ``window`` weeks, and a bound is a quantile of the forecast minus and plus them
        (statsforecast's "conformal_distribution")."""
        rate = tsb_forecast(history)[0]
        flat = np.repeat(rate[:, None], self.window, 1).sum(1)
        totals = dict.fromkeys(keys, flat)
        # Only the series long enough for the windows get bounds; the others their flat forecast at every level.
        long = history.age() > CONFORMAL_WINDOWS * self.window
        if not long.any():
            return np.column_stack([totals[key] for key in keys])
        scores = []
        for back in range(CONFORMAL_WINDOWS, 0, -1):
            cut = history.n_weeks - back * self.window
            past = np.zeros(len(rate))
            past[history.alive[:, cut - 1]] = tsb_forecast(history.before(cut))[0]
            scores.append(np.abs(past[long, None] - history.units[long, cut : cut + self.window]))
        mean = rate[long, None]
        tails = [(100 - width) / 200 for width in reversed(widths)] + [1 - (100 - width) / 200 for width in widths]
        bounds = np.quantile(np.concatenate([mean - np.stack(scores), mean + np.stack(scores)]), tails, axis=0)
        names = [f"lo-{width}" for width in reversed(widths)] + [f"hi-{width}" for width in widths]
        for name, bound in zip(names, bounds):
            totals[name] = flat.copy()
            totals[name][long] = bound.sum(1)
        return np.column_stack([totals[key] for key in keys])


def _statsforecast_key(level: float) -> str:
    """statsforecast's column of the ``level`` quantile: "mean", "lo-W" or "hi-W" (W the central width, %)."""
    width = round(abs(2 * level - 1) * 100)
    return "mean" if width == 0 else f"{'lo' if level < 0.5 else 'hi'}-{width}"


class EmpiricalQuantiles(QuantileModel):
    """The quantiles of the item's ``window``-week totals over its last ``RECENT_WEEKS`` weeks (every window of
    consecutive weeks from its first sale on); its mean times ``window`` where it is younger than ``window``."""

    name = "empirical"

    def fit(self, history: History) -> EmpiricalQuantiles:
        if history.n_weeks < self.window:
            return self._set(np.repeat((history.mean() * self.window)[:, None], len(self.levels), 1))
        units, alive = _recent(history)
        totals = np.lib.stride_tricks.sliding_window_view(units, self.window, axis=1).sum(2)
        complete = np.lib.stride_tricks.sliding_window_view(alive, self.window, axis=1).all(2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            quantiles = np.nanquantile(np.where(complete, totals, np.nan), self.levels, axis=1).T
        young = ~complete.any(1)
        quantiles[young] = (history.mean()[young] * self.window)[:, None]
        return self._set(quantiles)


class NegativeBinomial(QuantileModel):
    """The negative binomial whose mean and variance are ``window`` times those of the item's weekly units over its
    last ``RECENT_WEEKS`` weeks (Poisson where the variance is not above the mean; 0 for an item with no recent
    sale): weeks independent, sizes and occurrences in one over-dispersed count."""

    name = "negative_binomial"

    def fit(self, history: History) -> NegativeBinomial:
        from scipy import stats

        units, alive = _recent(history)
        weeks = alive.sum(1)
        mean = np.where(alive, units, 0.0).sum(1) / weeks
        variance = (np.where(alive, units - mean[:, None], 0.0) ** 2).sum(1) / weeks
        total_mean, total_variance = mean * self.window, variance * self.window
        levels = np.array(self.levels)[None, :]
        over = total_variance > total_mean
        with np.errstate(divide="ignore", invalid="ignore"):
            size = total_mean**2 / (total_variance - total_mean)
            quantiles = np.where(
                over[:, None],
                stats.nbinom.ppf(levels, size[:, None], (total_mean / total_variance)[:, None]),
                stats.poisson.ppf(levels, total_mean[:, None]),
            )
        return self._set(np.where(total_mean[:, None] > 0, np.nan_to_num(quantiles), 0.0))


def _recent(history: History) -> tuple[np.ndarray, np.ndarray]:
    """The last ``RECENT_WEEKS`` weeks of ``history``: units and alive, (n, w) each."""
    return history.units[:, -RECENT_WEEKS:], history.alive[:, -RECENT_WEEKS:]


def quantile_models(window: int, interval_level: int = INTERVAL_LEVEL) -> list[QuantileModel]:
    """The system and every quantile baseline, unfitted, for totals over ``window`` weeks with ``LEVELS`` and a
    central ``interval_level`` % interval."""
    options = {"levels": LEVELS, "interval_level": interval_level}
    return [
        QuantileGBM(window, **options),
        CalibratedTSB(window, **options),
        *(StatsForecastConformal(model, window, **options) for model in ("tsb", "ses", "adida")),
        EmpiricalQuantiles(window, **options),
        NegativeBinomial(window, **options),
    ]


def check_levels(levels) -> np.ndarray:
    """``levels`` as a float array, ``ValueError`` unless strictly increasing and inside (0, 1)."""
    values = np.asarray(levels, dtype=float)
    inside = np.isfinite(values).all() and (values > 0).all() and (values < 1).all()
    if values.ndim != 1 or not len(values) or not inside or (np.diff(values) <= 0).any():
        raise ValueError(f"levels must be strictly increasing and inside (0, 1), got {levels!r}")
    return values


def interval_tails(level: int) -> tuple[float, float]:
    """The lower and upper quantile levels of the central ``level`` % interval."""
    if not 0 < level < 100:
        raise ValueError(f"an interval level must lie strictly between 0 and 100 (%), got {level!r}")
    tail = (1 - level / 100) / 2
    return tail, 1 - tail
