import warnings

import numpy as np
import pytest
from scipy import stats

from longtail.demand.quantiles import (
    CONFORMAL_WINDOWS,
    LEVELS,
    MIN_CALIBRATION,
    RECENT_WEEKS,
    CalibratedTSB,
    Calibration,
    EmpiricalQuantiles,
    NegativeBinomial,
    QuantileGBM,
    StatsForecastConformal,
    _statsforecast_key,
    check_levels,
    interval_tails,
    quantile_models,
    volume_sample,
)
from longtail.demand.series import History, Panel
from tests.longtail.demand.weekly_rows import final_history, poisson_weekly, weekly_frame


def _rated_panel(seed: int, rates: np.ndarray, n_weeks: int) -> Panel:
    """Items ``item00, item01, ...`` selling Poisson units at the given ``rates`` (in order) from week 0."""
    rng = np.random.default_rng(seed)
    return Panel.from_weekly(
        weekly_frame({f"item{i:02d}": list(rng.poisson(rate, n_weeks).astype(float)) for i, rate in enumerate(rates)})
    )


@pytest.mark.parametrize("levels", [[], [0.0, 0.5], [0.5, 1.0], [0.5, 0.4], [0.5, 0.5], [[0.1, 0.2]], [-0.1, 0.5]])
def test_check_levels_rejects_bad_levels(levels):
    with pytest.raises(ValueError, match="levels"):
        check_levels(levels)


def test_check_levels_rejects_nan():
    with pytest.raises(ValueError, match="levels"):
        check_levels([0.2, np.nan])


def test_check_levels_returns_a_float_array():
    values = check_levels((0.1, 0.5, 0.9))
    assert values.dtype == float and values.tolist() == [0.1, 0.5, 0.9]


def test_interval_tails():
    assert interval_tails(80) == pytest.approx((0.1, 0.9))
    assert interval_tails(50) == pytest.approx((0.25, 0.75))
    for level in (0, 100, -5, 150):
        with pytest.raises(ValueError, match="interval level"):
            interval_tails(level)


def test_models_validate_their_settings():
    with pytest.raises(ValueError, match="window"):
        QuantileGBM(0)
    with pytest.raises(ValueError, match="levels"):
        EmpiricalQuantiles(4, levels=(0.5, 0.25))
    with pytest.raises(ValueError, match="interval level"):
        NegativeBinomial(4, interval_level=100)
    with pytest.raises(ValueError, match="model"):
        StatsForecastConformal("arima", 4)


def test_every_model_gives_sorted_non_negative_quantiles_and_an_interval():
    rng = np.random.default_rng(0)
    series = {f"item{i}": list(rng.poisson(rng.uniform(0.05, 4), 36).astype(float)) for i in range(24)}
    # Young items (first sale in the last few weeks) and one that stopped selling long ago.
    series |= {
        "young1": [0.0] * 34 + [2.0, 0.0],
        "young2": [0.0] * 30 + [1.0, 0, 0, 3, 0, 1],
        "stopped": [4.0] + [0] * 35,
    }
    panel = Panel.from_weekly(weekly_frame(series))
    history = panel.history(panel.n_weeks)
    models = quantile_models(4)
    assert [model.name for model in models] == [
        "global_gbm",
        "tsb_calibrated",
        "tsb_conformal",
        "ses_conformal",
        "adida_conformal",
        "empirical",
        "negative_binomial",
    ]
    for model in models:
        fitted = model.fit(history)
        assert fitted is model
        n = len(history.rows)
        assert model.quantiles_.shape == (n, len(LEVELS)), model.name
        assert np.isfinite(model.quantiles_).all(), model.name
        assert (model.quantiles_ >= 0).all(), model.name
        assert (np.diff(model.quantiles_, axis=1) >= 0).all(), model.name
        lo, hi = model.interval_
        assert lo.shape == hi.shape == (n,), model.name
        assert (lo >= 0).all() and (lo <= hi).all(), model.name
        assert np.isfinite(hi).all(), model.name


def test_quantile_gbm_covers_about_its_level_and_ranks_busy_items_higher():
    rates = np.geomspace(0.05, 6, 60)
    panel = _rated_panel(0, rates, 50)
    covered, below_p10, below_p90, spearman = [], [], [], []
    for origin in (42, 46):
        history = panel.history(origin)
        model = QuantileGBM(4).fit(history)
        assert model.scale_.shape == model.demand_class_.shape == (len(history.rows),)
        actual = panel.units[history.rows, origin : origin + 4].sum(1)
        lo, hi = model.interval_
        covered.append((lo <= actual) & (actual <= hi))
        below_p10.append(actual <= model.quantiles_[:, LEVELS.index(0.10)])
        below_p90.append(actual <= model.quantiles_[:, LEVELS.index(0.90)])
        spearman.append(stats.spearmanr(rates[history.rows], model.quantiles_[:, LEVELS.index(0.50)]).statistic)
    coverage = np.concatenate(covered).mean()
    assert 0.6 <= coverage <= 0.97
    assert np.concatenate(below_p90).mean() >= np.concatenate(below_p10).mean() + 0.3
    assert min(spearman) > 0.8
    busy, rare = rates >= np.quantile(rates, 0.75), rates <= np.quantile(rates, 0.25)
    p50 = model.quantiles_[:, LEVELS.index(0.50)]
    assert p50[busy[history.rows]].min() > p50[rare[history.rows]].max()


def test_quantile_gbm_never_reads_weeks_after_the_history():
    rng = np.random.default_rng(1)
    calm = poisson_weekly(rng, 30, 40, (0.1, 4))
    origin = 32
    exploded = calm.copy()
    after = exploded["week"] >= exploded["week"].min() + np.timedelta64(7 * origin, "D")
    exploded.loc[after, "units"] = exploded.loc[after, "units"] * 50 + 100
    fits = [QuantileGBM(4).fit(Panel.from_weekly(frame).history(origin)) for frame in (calm, exploded)]
    np.testing.assert_array_equal(fits[0].quantiles_, fits[1].quantiles_)
    np.testing.assert_array_equal(fits[0].interval_[0], fits[1].interval_[0])
    np.testing.assert_array_equal(fits[0].interval_[1], fits[1].interval_[1])


def test_quantile_gbm_is_deterministic():
    history = Panel.from_weekly(poisson_weekly(np.random.default_rng(2), 20, 30, (0.1, 3))).history(30)
    first, second = QuantileGBM(3).fit(history), QuantileGBM(3).fit(history)
    np.testing.assert_array_equal(first.quantiles_, second.quantiles_)


def test_quantile_gbm_with_the_panels_memo_or_without_an_interval_gives_the_quantiles_of_a_fresh_full_fit():
    panel = Panel.from_weekly(poisson_weekly(np.random.default_rng(3), 25, 36, (0.1, 3)))
    for origin in (36, 32):
        # The memo holds the features of the earlier fits' cuts; a history made by hand has no memo.
        history = panel.history(origin)
        fresh = QuantileGBM(4).fit(History(history.rows, history.units, history.alive))
        memoised = QuantileGBM(4).fit(history)
        np.testing.assert_array_equal(memoised.quantiles_, fresh.quantiles_)
        np.testing.assert_array_equal(memoised.interval_[0], fresh.interval_[0])
        np.testing.assert_array_equal(memoised.interval_[1], fresh.interval_[1])
        quantiles_only = QuantileGBM(4, interval_level=None).fit(history)
        np.testing.assert_array_equal(quantiles_only.quantiles_, fresh.quantiles_)
        assert quantiles_only.interval_ is None


def test_volume_weighted_quantile_gbm_is_deterministic_differs_from_the_plain_fit_and_has_no_interval():
    history = Panel.from_weekly(poisson_weekly(np.random.default_rng(2), 30, 30, (0.1, 20))).history(30)
    first = QuantileGBM(3, interval_level=None, volume_weighted=True).fit(history)
    second = QuantileGBM(3, interval_level=None, volume_weighted=True).fit(history)
    plain = QuantileGBM(3, interval_level=None).fit(history)
    np.testing.assert_array_equal(first.quantiles_, second.quantiles_)
    assert first.interval_ is None and not np.array_equal(first.quantiles_, plain.quantiles_)
    assert (first.quantiles_ >= 0).all() and (np.diff(first.quantiles_, axis=1) >= 0).all()
    with pytest.raises(ValueError, match="interval_level=None"):
        QuantileGBM(3, volume_weighted=True)
    with pytest.raises(ValueError, match="volume_weighted"):
        QuantileGBM(3, interval_level=None, volume_weighted=1)


def test_volume_sample_draws_rows_in_proportion_to_their_scale():
    scale = np.repeat([0.0, 1.0, 3.0], 2000)
    drawn = volume_sample(scale)
    assert len(drawn) == len(scale) and np.array_equal(drawn, volume_sample(scale))
    counts = np.bincount(drawn // 2000, minlength=3)
    # Expected 0, 1,500 and 4,500 of the 6,000 draws; the binomial std is about 34.
    assert counts[0] == 0 and abs(counts[1] - 1500) < 150 and abs(counts[2] - 4500) < 150


@pytest.mark.parametrize("scale", [np.zeros(3), np.array([1.0, -1.0]), np.array([np.nan, 1.0]), np.array([])])
def test_volume_sample_rejects_scales_it_cannot_draw_by(scale):
    with pytest.raises(ValueError, match="scale"):
        volume_sample(scale)


def test_quantile_gbm_falls_back_to_empirical_quantiles_on_a_short_history():
    # 8 weeks and a 4-week window leave no training cut before the held-out one.
    _, history = final_history(
        {"a": [1, 0, 2, 0, 3, 1, 0, 2], "b": [0, 0, 0, 2, 2, 1, 0, 4], "c": [5, 5, 4, 6, 5, 5, 4, 6]}
    )
    model = QuantileGBM(4).fit(history)
    np.testing.assert_array_equal(model.quantiles_, EmpiricalQuantiles(4).fit(history).quantiles_)


def test_calibration_interval_with_ties_at_zero_covers_the_level_on_the_held_out_data():
    # Ten held-out examples, six of them 0; the lower tail prediction is 0 and the upper 1 for every one.
    target = np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], dtype=float)
    held_out = np.column_stack([np.zeros(10), np.ones(10)])
    calibration = Calibration(target, np.full(10, "lumpy"), np.array(["lumpy"]))
    lo, hi = calibration.interval(np.array([[0.0, 1.0]]), held_out, 80)
    # The lower tail's residual quantile is 0; the six zeros are covered whatever the upper end, so the upper end
    # must cover ceil(11 * 0.8) - 6 = 3 of the targets above 0, residuals (t - 1) sorted 0, 1, 2, 3: a shift of 2.
    assert lo.tolist() == [0.0] and hi.tolist() == [3.0]
    covered = (target >= lo[0]) & (target <= hi[0])
    assert covered.mean() >= 0.8
    # The smallest such interval: one unit less leaves 8 of 10 covered, below ceil(11 * 0.8) = 9.
    assert ((target >= lo[0]) & (target <= hi[0] - 1)).sum() < 9


def test_calibration_interval_collapses_to_its_lower_end_when_zeros_alone_reach_the_level():
    target = np.array([0.0] * 9 + [5.0])
    held_out = np.column_stack([np.zeros(10), np.full(10, 2.0)])
    calibration = Calibration(target, np.full(10, "intermittent"), np.array(["intermittent", "intermittent"]))
    lo, hi = calibration.interval(np.array([[0.0, 3.0], [0.5, 4.0]]), held_out, 80)
    assert lo.tolist() == [0.0, 0.5]
    np.testing.assert_array_equal(hi, lo)


def test_calibration_interval_moves_the_lower_end_by_the_lower_residual_quantile():
    # Residuals of the lower prediction 10..19 (targets 11..20, prediction 1): the 10% quantile is 10.9.
    target = np.arange(11, 21, dtype=float)
    held_out = np.column_stack([np.ones(10), np.full(10, 30.0)])
    lo, hi = Calibration(target, np.full(10, "smooth"), np.array(["smooth"])).interval(
        np.array([[2.0, 40.0]]), held_out, 80
    )
    assert lo[0] == pytest.approx(2.0 + np.quantile(target - 1.0, 0.1))
    # The held-out lower ends are 11.9, so the target 11 lies below its interval whatever the upper end: covering
    # ceil(11 * 0.8) = 9 targets takes all of 12 .. 20, the upper end moving by the largest residual, 20 - 30.
    assert hi[0] == pytest.approx(40.0 + (20.0 - 30.0))


def test_calibration_quantiles_shift_each_level_by_its_residual_quantile():
    target = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    held_out = np.ones((5, 2))
    calibrated = Calibration(target, np.full(5, "smooth"), np.array(["smooth"])).quantiles(
        np.array([[10.0, 20.0]]), held_out, np.array([0.25, 0.75])
    )
    # Residuals -1, 0, 1, 2, 3: the 25% quantile is 0 and the 75% quantile is 2.
    assert calibrated.tolist() == [[10.0, 22.0]]


def test_calibration_quantiles_with_weights_shift_by_the_weighted_residual_quantile():
    # Residuals 0, 0, 0, 5: the median is 0 unweighted, 5 when the last example weighs more than the other three.
    target = np.array([1.0, 1.0, 1.0, 6.0])
    held_out = np.ones((4, 1))
    classes, items = np.full(4, "erratic"), np.array(["erratic"])
    plain = Calibration(target, classes, items).quantiles(np.zeros((1, 1)), held_out, np.array([0.5]))
    weighted = Calibration(target, classes, items, np.array([1.0, 1.0, 1.0, 4.0])).quantiles(
        np.zeros((1, 1)), held_out, np.array([0.5])
    )
    assert plain.tolist() == [[0.0]] and weighted.tolist() == [[5.0]]


def test_calibration_is_per_class_with_enough_examples_else_pooled():
    k = MIN_CALIBRATION
    target = np.concatenate([np.zeros(k), np.full(k, 5.0), [100.0]])
    classes = np.array(["smooth"] * k + ["lumpy"] * k + ["erratic"])
    held_out = np.zeros((2 * k + 1, 1))
    predicted = np.ones((3, 1))
    calibrated = Calibration(target, classes, np.array(["smooth", "lumpy", "erratic"])).quantiles(
        predicted, held_out, np.array([0.5])
    )
    # Smooth and lumpy have their own residuals; erratic (one example) borrows every class's (median 5).
    assert calibrated[:, 0].tolist() == [1.0, 6.0, 1.0 + np.median(target)]
    assert calibrated is not predicted and predicted.tolist() == [[1.0]] * 3


def test_empirical_quantiles_are_the_quantiles_of_the_recent_window_totals():
    values = [1, 0, 2, 0, 3, 1, 0, 0, 4, 2]
    long = list(np.arange(RECENT_WEEKS + 4, dtype=float) % 5)
    long[:4] = [100.0] * 4  # older than RECENT_WEEKS weeks: left out
    _, history = final_history({"a": [0.0] * 20 + values, "late": [0.0] * 28 + [1, 1], "long": long})
    model = EmpiricalQuantiles(3).fit(history)
    totals = np.convolve(values, np.ones(3), mode="valid")
    np.testing.assert_allclose(model.quantiles_[0], np.quantile(totals, LEVELS))
    # The late item is younger than the window: its mean times the window at every level.
    np.testing.assert_allclose(model.quantiles_[1], np.full(len(LEVELS), 3.0))
    recent_totals = np.convolve(long[-RECENT_WEEKS:], np.ones(3), mode="valid")
    np.testing.assert_allclose(model.quantiles_[2], np.quantile(recent_totals, LEVELS))
    lo, hi = model.interval_
    np.testing.assert_allclose([lo[0], hi[0]], np.interp(interval_tails(80), LEVELS, model.quantiles_[0]))


def test_empirical_quantiles_on_a_history_shorter_than_the_window_use_the_mean_times_the_window():
    model = EmpiricalQuantiles(3).fit(final_history({"a": [1.0, 2.0]})[1])
    np.testing.assert_allclose(model.quantiles_[0], np.full(len(LEVELS), 1.5 * 3))


def test_negative_binomial_zero_for_no_recent_sale_and_poisson_without_over_dispersion():
    window = 4
    steady = [2.0] * 30  # variance 0 <= mean: Poisson
    spiky = [0.0, 0.0, 0.0, 8.0] * 7 + [0.0, 0.0]  # over-dispersed
    gone = [5.0] * 4 + [0.0] * 26  # no sale in the last RECENT_WEEKS weeks
    model = NegativeBinomial(window).fit(final_history({"gone": gone, "spiky": spiky, "steady": steady})[1])
    np.testing.assert_array_equal(model.quantiles_[0], np.zeros(len(LEVELS)))
    np.testing.assert_array_equal(model.quantiles_[2], stats.poisson.ppf(LEVELS, 2.0 * window))
    recent = np.array(spiky[-RECENT_WEEKS:])
    mean, variance = recent.mean() * window, recent.var() * window
    expected = stats.nbinom.ppf(LEVELS, mean**2 / (variance - mean), mean / variance)
    np.testing.assert_array_equal(model.quantiles_[1], expected)
    # Moment matching: the fitted negative binomial has the window total's mean and variance.
    distribution = stats.nbinom(mean**2 / (variance - mean), mean / variance)
    assert distribution.mean() == pytest.approx(mean) and distribution.var() == pytest.approx(variance)


@pytest.mark.parametrize("name", ["tsb", "ses", "adida"])
def test_statsforecast_conformal_short_series_get_their_flat_forecast_at_every_level(name):
    window = 3
    # "short" has 2 * window weeks (too few for two conformal windows); "long" has 3 * window.
    _, history = final_history({"long": [1, 0, 2, 0, 3, 1, 0, 0, 4], "short": [0, 0, 0, 1, 2, 0, 1, 0, 3]})
    model = StatsForecastConformal(name, window).fit(history)
    assert model.name == f"{name}_conformal"
    short = model.quantiles_[1]
    np.testing.assert_allclose(short, np.full(len(LEVELS), short[0]))
    assert short[0] > 0
    long = model.quantiles_[0]
    assert long[-1] > long[LEVELS.index(0.5)] > long[0]


def test_tsb_conformal_totals_equal_statsforecasts_conformal_tsb_series_by_series():
    rng = np.random.default_rng(12)
    n_weeks, window = 30, 4
    # Intermittent series beginning at every week, so that some are too short for the conformal windows.
    series = {
        f"item{i:02d}": [0.0] * (i % n_weeks) + list(rng.poisson(0.6, n_weeks - i % n_weeks) * rng.integers(1, 9))
        for i in range(80)
    }
    history = Panel.from_weekly(weekly_frame(series)).history(n_weeks)
    model = StatsForecastConformal("tsb", window)
    keys = [_statsforecast_key(level) for level in model.levels]
    widths = sorted({int(key[3:]) for key in keys if key != "mean"})
    conformal, flat = model._estimator(CONFORMAL_WINDOWS), model._estimator(None)
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for units, alive in zip(history.units, history.alive):
            y = units[alive]
            long = len(y) > CONFORMAL_WINDOWS * window
            forecast = conformal.forecast(y=y, h=window, level=widths) if long else flat.forecast(y=y, h=window)
            expected.append([forecast.get(key, forecast["mean"]).sum() for key in keys])
    assert (history.age() <= CONFORMAL_WINDOWS * window).any() and (history.age() > CONFORMAL_WINDOWS * window).any()
    np.testing.assert_array_equal(model._tsb_totals(history, keys, widths), np.array(expected))


def test_calibrated_tsb_on_a_flat_series_without_held_out_cut_is_the_flat_forecast():
    _, history = final_history({"a": [2.0, 2.0, 2.0]})
    model = CalibratedTSB(3).fit(history)
    # No cut leaves 3 target weeks inside a 3-week history: TSB's rate (2 a week, constant) times the window.
    np.testing.assert_allclose(model.quantiles_, np.full((1, len(LEVELS)), 6.0))
