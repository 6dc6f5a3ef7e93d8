import warnings

import numpy as np
import pandas as pd
import pytest

from longtail.demand.borrowing import NeighbourPrior
from longtail.demand.models import (
    BASELINES,
    ETS,
    GLOBAL_GBM,
    TSB,
    TSB_ALPHA,
    GlobalGBM,
    MovingAverage,
    Naive,
    SeasonalNaive,
    baseline_models,
    features_of,
    fit_predict_quantiles,
    season_weeks,
    training_examples,
    tsb_forecast,
)
from longtail.demand.series import History, Panel
from tests.longtail.demand.weekly_rows import final_history, poisson_weekly


def test_naive_and_moving_average_repeat_the_last_week_and_the_last_four_weeks_mean():
    _, history = final_history({"old": [1, 2, 3, 4, 5, 6], "young": [0, 0, 0, 0, 2, 0]})
    np.testing.assert_array_equal(Naive().fit(history).predict(3), [[6, 6, 6], [0, 0, 0]])
    # young is younger than the window: the mean of its two weeks.
    np.testing.assert_allclose(MovingAverage().fit(history).predict(2), [[4.5, 4.5], [1.0, 1.0]])


def test_seasonal_naive_repeats_the_last_season_and_falls_back_to_naive_before_the_first_sale():
    _, history = final_history({"old": [1, 2, 3, 4, 5, 6], "young": [0, 0, 0, 0, 2, 3]})
    assert season_weeks(history.n_weeks) == 4 and season_weeks(52) == 52
    forecast = SeasonalNaive().fit(history).predict(6)
    np.testing.assert_array_equal(forecast[0], [3, 4, 5, 6, 3, 4])
    # young's weeks one season before the first two forecast weeks came before its first sale: its last week.
    np.testing.assert_array_equal(forecast[1], [3, 3, 2, 3, 3, 3])


def test_tsb_multiplies_smoothed_occurrence_by_smoothed_size():
    _, history = final_history({"a": [0, 4, 0, 0, 2, 0]})

    def smoothed(values):
        level = values[0]
        for value in values[1:]:
            level = TSB_ALPHA * value + (1 - TSB_ALPHA) * level
        return level

    expected = smoothed([1, 0, 0, 1, 0]) * smoothed([4, 2])  # from the first sale on
    np.testing.assert_allclose(TSB().fit(history).predict(2), [[expected, expected]])


def _statsforecast_tsb(history: History) -> tuple[np.ndarray, np.ndarray]:
    """``tsb_forecast``'s numbers from statsforecast's TSB, series by series."""
    from statsforecast.models import TSB as StatsForecastTSB

    rate, fitted = [], np.full(history.units.shape, np.nan)
    model = StatsForecastTSB(alpha_d=TSB_ALPHA, alpha_p=TSB_ALPHA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row, (units, alive) in enumerate(zip(history.units, history.alive)):
            forecast = model.forecast(y=units[alive], h=1, fitted=True)
            rate.append(forecast["mean"][0])
            fitted[row, alive] = forecast["fitted"]
    return np.array(rate), fitted


def test_tsb_forecast_equals_statsforecasts_tsb_on_random_intermittent_series():
    rng = np.random.default_rng(11)
    n_items, n_weeks = 300, 60
    occurs = rng.random((n_items, n_weeks)) < rng.uniform(0.02, 0.9, (n_items, 1))
    units = np.where(occurs, rng.lognormal(1.0, 1.2, (n_items, n_weeks)).round(1) + 0.1, 0.0)
    # Series of every length down to one week, with one sale, with the only sale last, and (by hand: a panel never
    # makes them) series that start without a sale and one that never sells.
    alive = np.arange(n_weeks)[None, :] >= rng.integers(0, n_weeks, n_items)[:, None]
    alive[:6], alive[6, :-1] = True, False
    units[1, -1], units[2, -2:], units[3], units[4, :-1], units[5] = 0.0, [0.0, 3.0], 0.0, 0.0, 0.0
    units[5, 30] = 2.0
    history = History(np.arange(n_items), np.where(alive, units, 0.0), alive)
    expected_rate, expected_fitted = _statsforecast_tsb(history)
    rate, fitted = tsb_forecast(history)
    np.testing.assert_array_equal(rate, expected_rate)
    np.testing.assert_array_equal(fitted, expected_fitted)


def test_features_of_a_panel_are_computed_once_per_origin_and_equal_a_fresh_computation():
    panel = Panel.from_weekly(poisson_weekly(np.random.default_rng(5), 15, 20, (0.2, 3)))
    history = panel.history(16)
    memoised = features_of(history)
    # Any history of the panel at that origin reads the same entry, also one cut from a later origin.
    assert features_of(panel.history(16)) is memoised and features_of(panel.history(20).before(16)) is memoised
    assert list(panel.memo) == [16]
    classes, features, scale = features_of(History(history.rows, history.units, history.alive))
    pd.testing.assert_frame_equal(memoised[0], classes, check_exact=True)
    pd.testing.assert_frame_equal(memoised[1], features, check_exact=True)
    np.testing.assert_array_equal(memoised[2], scale)
    with pytest.raises(ValueError, match="read-only"):
        memoised[2][0] = 1.0


def test_fit_predict_quantiles_fits_a_repeated_quantile_once_with_the_same_predictions():
    history = Panel.from_weekly(poisson_weekly(np.random.default_rng(6), 20, 30, (0.2, 3))).history(30)
    train, target, _ = training_examples(history, [22, 21, 20], 4)
    features = features_of(history)[1]
    (repeated,) = fit_predict_quantiles(train, target, [0.9, 0.5, 0.9], features)
    (alone,) = fit_predict_quantiles(train, target, [0.9], features)
    np.testing.assert_array_equal(repeated[:, 0], alone[:, 0])
    np.testing.assert_array_equal(repeated[:, 2], alone[:, 0])


def test_ets_forecasts_a_constant_series_at_its_value_and_stays_within_the_range():
    _, history = final_history({"flat": [3, 3, 3, 3], "varied": [1, 5, 2, 4]})
    forecast = ETS().fit(history).predict(1)[:, 0]
    assert forecast[0] == pytest.approx(3.0)
    assert 1.0 <= forecast[1] <= 5.0


def test_baseline_models_are_the_named_baselines_in_order():
    assert tuple(model.name for model in baseline_models()) == BASELINES
    _, history = final_history({"a": [1, 0, 2, 3, 0, 1], "b": [0, 0, 5, 0, 0, 5]})
    for model in baseline_models():
        forecast = model.fit(history).predict(4)
        assert forecast.shape == (2, 4) and np.isfinite(forecast).all() and (forecast >= 0).all()


def test_global_gbm_forecast_is_flat_and_non_negative():
    rng = np.random.default_rng(5)
    panel = Panel.from_weekly(poisson_weekly(rng, 60, 30, (0.2, 6)))
    history = panel.history(panel.n_weeks)
    model = GlobalGBM(4).fit(history)
    assert model.name == GLOBAL_GBM
    forecast = model.predict(4)
    assert forecast.shape == (60, 4) and (forecast == forecast[:, :1]).all() and (forecast >= 0).all()
    assert model.scale_.shape == (60,) and (model.scale_ > 0).all()


def test_global_gbm_without_enough_weeks_to_learn_forecasts_each_items_mean():
    _, history = final_history({"a": [1, 3, 2], "b": [0, 4, 0]})
    model = GlobalGBM(4).fit(history)
    np.testing.assert_allclose(model.rate_, [2.0, 2.0])


def test_global_gbm_moves_young_items_towards_the_prior():
    rng = np.random.default_rng(6)
    weekly = poisson_weekly(rng, 40, 30, (0.2, 3))
    weekly = weekly[(weekly["item_id"] != "item0") | (weekly["week"] == weekly["week"].max())]
    panel = Panel.from_weekly(weekly)
    history = panel.history(panel.n_weeks)
    [young] = np.nonzero(panel.item_ids == "item0")[0]
    neighbours = {"item_id": ["item0"], "neighbour_id": ["item1"], "similarity": [1.0]}
    prior = NeighbourPrior.build(panel.item_ids, neighbours=pd.DataFrame(neighbours))
    alone, pooled = GlobalGBM(4).fit(history), GlobalGBM(4, prior).fit(history)
    expected = prior.shrink(history, alone.rate_)
    assert pooled.rate_[young] == pytest.approx(expected[young]) and pooled.rate_[young] != alone.rate_[young]
    others = np.arange(len(panel.item_ids)) != young
    np.testing.assert_array_equal(pooled.rate_[others], alone.rate_[others])


def test_system_learns_that_launch_sales_decay():
    # Three items launch every week; each sells 40 units in its launch week, halving every week after.
    n_weeks = 40
    series = {
        f"launch{launch}_{copy}": [0.0] * launch + [np.round(40 * 0.5**age) for age in range(n_weeks - launch)]
        for launch in range(n_weeks - 1)
        for copy in range(3)
    }
    panel, history = final_history(series)
    rate = dict(zip(panel.item_ids, GlobalGBM(4).fit(history).rate_))
    for launch in (n_weeks - 4, n_weeks - 3):
        item = f"launch{launch}_0"
        sold = np.array(series[item][launch:])
        future_mean = np.mean([np.round(40 * 0.5**age) for age in range(len(sold), len(sold) + 4)])
        forecast = rate[item]
        assert forecast < 0.5 * sold.mean()
        assert abs(forecast - future_mean) < abs(sold[-4:].mean() - future_mean)
