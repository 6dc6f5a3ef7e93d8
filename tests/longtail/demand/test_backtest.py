import numpy as np
import pandas as pd
import pytest

from longtail.demand.backtest import backtest, backtest_errors, backtest_table, pinball_loss
from longtail.demand.classes import CLASSES
from longtail.demand.models import GLOBAL_GBM
from longtail.demand.planning import forecast_items
from tests.longtail.demand.weekly_rows import MONDAY, poisson_weekly, weekly_frame


def test_pinball_loss_matches_hand_computed_values():
    actual = np.array([3.0, 0.0])
    quantiles = np.array([[1.0, 4.0], [0.0, 2.0]])
    # Row 0: errors 2 and -1 -> 0.25 * 2 = 0.5 and 0.25 * 1 = 0.25. Row 1: errors 0 and -2 -> 0 and 0.25 * 2.
    assert pinball_loss(actual, quantiles, [0.25, 0.75]) == pytest.approx([0.375, 0.25])
    assert pinball_loss(np.array([5.0]), np.array([[5.0, 5.0]]), (0.1, 0.9)) == pytest.approx([0.0])


def test_pinball_loss_is_lowest_at_the_empirical_quantile():
    actual = np.arange(101, dtype=float)
    candidates = np.linspace(0, 100, 201)
    losses = [pinball_loss(actual, np.full((101, 1), value), [0.9]).mean() for value in candidates]
    assert candidates[int(np.argmin(losses))] == pytest.approx(90.0)


def test_backtest_scores_match_hand_computed_rmsse_and_mase():
    values = [2, 0, 4, 0, 2, 6, 0, 3]
    errors = backtest_errors(weekly_frame({"a": values}), horizon=2, n_origins=1, step=1)
    naive = errors[errors["model"] == "naive"].iloc[0]
    train, test = np.array(values[:6], float), np.array(values[6:], float)
    forecast = train[-1]
    squared_scale = np.mean(np.diff(train) ** 2)
    absolute_scale = np.mean(np.abs(np.diff(train)))
    assert naive["rmsse"] == pytest.approx(np.sqrt(np.mean((test - forecast) ** 2) / squared_scale))
    assert naive["mase"] == pytest.approx(np.mean(np.abs(test - forecast)) / absolute_scale)
    moving_average = errors[errors["model"] == "moving_average"].iloc[0]
    assert moving_average["mase"] == pytest.approx(np.mean(np.abs(test - train[-4:].mean())) / absolute_scale)


def test_backtest_excludes_and_counts_zero_scale_series():
    weekly = weekly_frame({"flat": [3, 3, 3, 3, 3, 3], "moving": [1, 0, 2, 0, 1, 3]})
    errors = backtest_errors(weekly, horizon=2, n_origins=1, step=1)
    flat = errors[errors["item_id"] == "flat"]
    assert flat["excluded"].all() and flat["rmsse"].isna().all()
    report = backtest(weekly, horizon=2, n_origins=1, step=1)
    assert report["backtest"]["n_excluded"] == 1
    assert report["backtest"]["n_series"] == 1


def test_backtest_never_uses_weeks_after_the_origin():
    calm = poisson_weekly(np.random.default_rng(0), 12, 30, (0.3, 4))
    first_origin = MONDAY + pd.Timedelta(weeks=22)
    exploded = calm.copy()
    after = exploded["week"] >= first_origin
    exploded.loc[after, "units"] = exploded.loc[after, "units"] * 100 + 1000
    neighbours = pd.DataFrame({"item_id": ["item0", "item1"], "neighbour_id": ["item1", "item0"], "similarity": 0.9})
    calm_run, exploded_run = (backtest_errors(frame, 4, 2, 4, neighbours=neighbours) for frame in (calm, exploded))
    assert calm_run["origin"].min() == first_origin
    at_origin = [run[run["origin"] == first_origin].reset_index(drop=True) for run in (calm_run, exploded_run)]
    columns = ["item_id", "model", "demand_class", "forecast_total", "excluded"]
    pd.testing.assert_frame_equal(at_origin[0][columns], at_origin[1][columns])
    assert (at_origin[1]["actual_total"] > at_origin[0]["actual_total"]).all()
    # The later origin sees the explosion in its training weeks, so its forecasts do change.
    later = [run[(run["origin"] > first_origin) & run["forecast_total"].notna()] for run in (calm_run, exploded_run)]
    assert (later[1]["forecast_total"].to_numpy() > later[0]["forecast_total"].to_numpy()).all()


def test_backtest_report_schema():
    rng = np.random.default_rng(1)
    weekly = weekly_frame({f"i{i}": list(rng.poisson(1.5, 20).astype(float)) for i in range(8)})
    report = backtest(weekly, horizon=3, n_origins=2, step=3)
    assert set(report) == {
        "dataset",
        "backtest",
        "system",
        "models",
        "quantile_loss",
        "coverage80",
        "quantile_intervals",
    }
    overall = report["quantile_intervals"]["all"]
    assert overall["baseline"] in report["quantile_loss"] and overall["baseline"] != GLOBAL_GBM
    ratio = report["quantile_loss"][GLOBAL_GBM]["all"] / report["quantile_loss"][overall["baseline"]]["all"]
    assert overall["ratio"] == pytest.approx(ratio)
    assert overall["ratio_ci95"][0] <= overall["ratio"] <= overall["ratio_ci95"][1]
    assert overall["coverage"] == pytest.approx(report["coverage80"][GLOBAL_GBM]["all"])
    assert 0 <= overall["coverage_ci95"][0] <= overall["coverage"] <= overall["coverage_ci95"][1] <= 1
    assert {GLOBAL_GBM, "tsb_calibrated", "tsb_conformal", "negative_binomial"} <= set(report["quantile_loss"])
    assert set(report["coverage80"]) == set(report["quantile_loss"])
    assert report["dataset"] == "shop" and report["system"] == GLOBAL_GBM
    assert {"origins", "horizon", "n_series", "n_excluded"} <= set(report["backtest"])
    assert len(report["backtest"]["origins"]) == 2
    assert set(report["models"]) == {"naive", "seasonal_naive", "moving_average", "tsb", "ets", GLOBAL_GBM}
    for scores in report["models"].values():
        for metric in ("rmsse", "mase"):
            assert set(scores[metric]) == {"all", *CLASSES}
            present = [value for value in scores[metric].values() if value is not None]
            assert present and all(np.isfinite(present))
    assert 0.0 <= report["backtest"]["interval"]["coverage"] <= 1.0


def test_backtest_rejects_too_many_origins():
    with pytest.raises(ValueError, match="origins"):
        backtest(weekly_frame({"a": [1, 0, 2, 1, 0, 1]}), horizon=2, n_origins=3, step=2)


def test_system_forecast_at_an_origin_ignores_every_later_week():
    rng = np.random.default_rng(3)
    weekly = poisson_weekly(rng, 40, 30, (0.2, 5))
    origin = MONDAY + pd.Timedelta(weeks=26)
    shuffled = weekly.copy()
    later = shuffled["week"] >= origin
    shuffled.loc[later, "units"] = rng.permutation(shuffled.loc[later, "units"].to_numpy()) * 7
    at_origin = [
        backtest_errors(frame, 4, 1, 4).query("model == @GLOBAL_GBM").set_index("item_id")["forecast_total"]
        for frame in (weekly, shuffled)
    ]
    pd.testing.assert_series_equal(at_origin[0], at_origin[1])
    before = forecast_items(weekly[~later], 4).set_index("item_id")["forecast_total"]
    np.testing.assert_allclose(at_origin[0].sort_index().to_numpy(), before.sort_index().to_numpy())


def test_backtest_table_has_a_row_per_model_with_the_system_marked():
    report = {
        "system": GLOBAL_GBM,
        "models": {
            "naive": {"rmsse": {"all": 1.234567, "smooth": None}},
            GLOBAL_GBM: {"rmsse": {"all": 0.987654, "smooth": 0.5}},
        },
    }
    table = backtest_table(report, "rmsse")
    assert list(table["model"]) == ["naive", f"{GLOBAL_GBM} (longtail)"]
    assert list(table.columns) == ["model", "all", "smooth"]
    assert table["all"].tolist() == [1.2346, 0.9877] and np.isnan(table.loc[0, "smooth"])
